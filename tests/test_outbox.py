"""The outbox on a real SQLite file and a real PostgreSQL database (each test taking ``db`` runs
on both): re-planning, claiming, retries with backoff, supersession."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sample_cases import add_one_case, make_case

from reminder import outbox, outbox_leases
from reminder.models import Reminder
from reminder.outbox_leases import RetryPolicy, backoff_delay
from reminder.outbox_summary import retrying
from reminder.record import replace
from reminder.store import MIGRATIONS, Store
from reminder.window import compute_window

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path, db_url: str | None) -> Store:
    store = Store(tmp_path / "reminder.db", url=db_url)
    add_one_case(store)
    return store


def rem(kind: str, day: int, n: int = 1) -> Reminder:
    return Reminder(
        case_id="abc123",
        kind=kind,
        due=datetime(2026, 3, day, 6, 0, tzinfo=UTC),
        key=f"abc123:{kind}:{n}",
        sequence=n,
    )


def statuses(store: Store) -> dict[tuple[str, str], str]:
    return {(d.key, d.notifier): d.status for d in outbox.list_deliveries(store, "abc123")}


def test_sync_adds_updates_and_cancels(db: Store) -> None:
    with db.atomic():
        stats = outbox.sync_plan(
            db,
            "abc123",
            [(rem("opened", 10), "log"), (rem("deadline", 20), "log"), (rem("deadline", 20), "email")],
            NOW,
        )
    assert stats == {"added": 3, "updated": 0, "cancelled": 0}
    # The opened reminder went out; then the case is edited and its plan moves.
    (opened,) = [d for d in outbox.list_deliveries(db, "abc123") if d.kind == "opened"]
    outbox_leases.claim(db, [opened.id], NOW)
    outbox_leases.mark_sent(db, opened.id, NOW)
    with db.atomic():
        stats = outbox.sync_plan(
            db, "abc123", [(rem("opened", 12), "log"), (rem("deadline", 22), "log")], NOW
        )
    assert stats == {"added": 1, "updated": 1, "cancelled": 1}
    rows = {(d.key, d.notifier): d for d in outbox.list_deliveries(db, "abc123")}
    assert rows[("abc123:opened:1", "log")].status == "sent"  # history is never re-sent
    assert rows[("abc123:opened:1", "log")].due.day == 10
    # The window now opens on the 12th, still to come: that day's reminder is one of its own.
    assert rows[("abc123:opened:1@2026-03-12", "log")].status == "planned"
    assert rows[("abc123:deadline:1", "log")].due.day == 22
    assert rows[("abc123:deadline:1", "email")].status == "cancelled"
    # Planning it again (a reopened case) revives the cancelled row rather than adding a duplicate.
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("deadline", 22), "email")], NOW)
    assert statuses(db)[("abc123:deadline:1", "email")] == "planned"
    assert statuses(db)[("abc123:opened:1@2026-03-12", "log")] == "cancelled"  # no longer wanted
    assert len(outbox.list_deliveries(db, "abc123")) == 4


def test_a_reminder_that_went_out_and_moved_to_another_day_gets_a_row_of_its_own(db: Store) -> None:
    """Its key names what it is, so a re-plan moves a planned row; once the row is history, the
    plan's other day still to come is a reminder of its own (the submission date corrected)."""
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("deadline", 10), "log"), (rem("escalation", 11), "log")], NOW)
    rows = {d.kind: d for d in outbox.list_deliveries(db, "abc123")}
    later = datetime(2026, 3, 11, 7, tzinfo=UTC)
    outbox_leases.claim(db, [rows["deadline"].id], later)
    outbox_leases.mark_sent(db, rows["deadline"].id, later)
    outbox_leases.claim(db, [rows["escalation"].id], later)
    outbox_leases.mark_sent(db, rows["escalation"].id, later)
    # The same day at another hour (the reminder hour changed) is the same reminder: nothing new.
    same_day = replace(rem("deadline", 10), due=datetime(2026, 3, 10, 14, tzinfo=UTC))
    with db.atomic():
        assert outbox.sync_plan(db, "abc123", [(same_day, "log"), (rem("escalation", 11), "log")], later) == {
            "added": 0,
            "updated": 0,
            "cancelled": 0,
        }
    # Moved to days to come: a row each, keyed by the day, planned; the sent rows stay as they were.
    moved = [(rem("deadline", 20), "log"), (rem("escalation", 21), "log")]
    with db.atomic():
        assert outbox.sync_plan(db, "abc123", moved, later)["added"] == 2
    assert statuses(db) == {
        ("abc123:deadline:1", "log"): "sent",
        ("abc123:escalation:1", "log"): "sent",
        ("abc123:deadline:1@2026-03-20", "log"): "planned",
        ("abc123:escalation:1@2026-03-21", "log"): "planned",
    }
    with db.atomic():  # planned again, unchanged: nothing written
        assert outbox.sync_plan(db, "abc123", moved, later) == {"added": 0, "updated": 0, "cancelled": 0}
    # Moved to a day already past: no message about a day gone by.
    with db.atomic():
        stats = outbox.sync_plan(
            db, "abc123", [(rem("deadline", 5), "log"), (rem("escalation", 21), "log")], later
        )
    assert stats == {"added": 0, "updated": 0, "cancelled": 1}
    assert statuses(db)[("abc123:deadline:1@2026-03-20", "log")] == "cancelled"


def test_due_and_next_due(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 20), "log")], NOW)
    assert outbox.due(db, NOW) == []
    assert outbox.next_due_at(db) == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    later = datetime(2026, 3, 15, tzinfo=UTC)
    assert [d.kind for d in outbox.due(db, later)] == ["opened"]
    # A row left 'sending' by a crashed process is due again.
    (row,) = outbox.due(db, later)
    outbox_leases.claim(db, [row.id], later)
    assert [d.status for d in outbox.due(db, later)] == ["sending"]
    with db.atomic():
        assert outbox.cancel_case(db, "abc123", later) == 1
    assert outbox.counts(db) == {"planned": 0, "sending": 1, "sent": 0, "failed": 0, "cancelled": 1}


def test_a_revived_row_drops_why_it_was_cancelled_and_a_retry_keeps_its_error(db: Store) -> None:
    wanted = [(rem("opened", 10), "log"), (rem("deadline", 20), "email")]
    with db.atomic():
        outbox.sync_plan(db, "abc123", wanted, NOW)
    (email,) = [d for d in outbox.list_deliveries(db, "abc123") if d.notifier == "email"]
    policy = RetryPolicy(max_attempts=3)
    outbox_leases.claim(db, [email.id], NOW)
    assert outbox_leases.record_failure(db, email.id, "connection refused", NOW, policy) == "planned"
    with db.atomic():
        outbox.cancel_case(db, "abc123", NOW)  # closed
    assert {d.last_error for d in outbox.list_deliveries(db, "abc123")} == {"case closed"}
    with db.atomic():
        outbox.sync_plan(db, "abc123", wanted, NOW)  # reopened
    rows = outbox.list_deliveries(db, "abc123")
    assert [(d.status, d.last_error) for d in rows] == [("planned", None), ("planned", None)]
    # A planned row that kept the note (revived before revival dropped it) drops it when next planned.
    db.conn.execute("UPDATE deliveries SET last_error = 'case closed' WHERE notifier = 'log'")
    with db.atomic():
        stats = outbox.sync_plan(db, "abc123", wanted, NOW)
    assert stats["updated"] == 1 and {d.last_error for d in outbox.list_deliveries(db, "abc123")} == {None}
    # A planned row's own failed attempt is not a cancellation: its error stays while the plan moves.
    (email,) = [d for d in outbox.list_deliveries(db, "abc123") if d.notifier == "email"]
    outbox_leases.claim(db, [email.id], NOW)
    outbox_leases.record_failure(db, email.id, "connection refused", NOW, policy)
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 21), "email")], NOW)
    (email,) = [d for d in outbox.list_deliveries(db, "abc123") if d.notifier == "email"]
    assert (email.status, email.due.day, email.last_error) == ("planned", 21, "connection refused")


def test_retry_with_backoff_then_failed(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "email")], NOW)
    policy = RetryPolicy(max_attempts=3, base_seconds=10, max_seconds=100)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    (row,) = outbox.due(db, now)
    assert (
        outbox_leases.record_failure(db, row.id, "connection refused", now, policy, rng=random.Random(1))
        == "planned"
    )
    (after,) = outbox.list_deliveries(db, "abc123")
    assert after.attempts == 1 and after.last_error == "connection refused"
    assert after.next_attempt_at is not None
    assert 7.5 <= (after.next_attempt_at - now).total_seconds() <= 12.5
    assert outbox.due(db, now) == []  # waits for its retry time
    assert outbox.next_due_at(db) == after.next_attempt_at
    outbox_leases.record_failure(db, row.id, "again", now, policy)
    assert outbox_leases.record_failure(db, row.id, "and again", now, policy) == "failed"
    (final,) = outbox.list_deliveries(db, "abc123")
    assert (final.status, final.attempts, final.last_error) == ("failed", 3, "and again")
    assert outbox.next_due_at(db) is None


def test_non_retryable_failure_fails_at_once(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "email")], NOW)
    (row,) = outbox.due(db, NOW + timedelta(days=1))
    assert outbox_leases.record_failure(
        db, row.id, "535 authentication failed", NOW, RetryPolicy(), retryable=False
    ) == ("failed")


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=30, max_seconds=600)
    rng = random.Random(7)
    delays = [backoff_delay(n, policy, rng) for n in range(1, 9)]
    assert 22.5 <= delays[0] <= 37.5
    assert all(d <= 600 * 1.25 for d in delays)
    assert delays[4] > delays[0] * 8  # 30·2⁴ = 480 against 30, jitter ±25 %


def test_supersede(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "log"), (rem("deadline", 2), "log")], NOW)
    rows = outbox.due(db, NOW + timedelta(days=5))
    outbox.supersede_all(db, [([rows[0].id], rows[1].key)], NOW)
    first = outbox.list_deliveries(db, "abc123")[0]
    assert first.status == "cancelled" and first.last_error == "superseded by abc123:deadline:1"
    # Re-planning (daemon start, SIGHUP) must not bring a folded reminder back to life.
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "log"), (rem("deadline", 2), "log")], NOW)
    assert outbox.list_deliveries(db, "abc123")[0].status == "cancelled"


def test_deleting_a_case_removes_its_rows(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "log")], NOW)
    db.delete_case("abc123")
    assert outbox.counts(db)["planned"] == 0


def test_due_folded_keeps_the_latest_per_case_and_notifier(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(
            db,
            "abc123",
            [(rem("opened", 1), "log"), (rem("deadline", 2), "log"), (rem("opened", 1), "mail")],
            NOW,
        )
    rows = outbox.due(db, NOW + timedelta(days=5))
    folded = outbox.due_folded(db, NOW + timedelta(days=5))
    by_key = {(d.key, d.notifier): d for d in rows}
    assert folded == [
        (by_key[("abc123:deadline:1", "log")], [by_key[("abc123:opened:1", "log")].id], [], [], [], []),
        (by_key[("abc123:opened:1", "mail")], [], [], [], [], []),
    ]


def test_a_missed_preset_step_gives_its_step_to_the_row_sent_in_its_place(db: Store) -> None:
    # Off over a preset's step and the escalation after it: the catch-up sent is the escalation,
    # which said only "escalate"; the step's own advice ("call again, ask for a complaint
    # number") was folded away with its row.
    def step(day: int, n: int) -> Reminder:
        due = datetime(2026, 3, day, 6, 0, tzinfo=UTC)
        return Reminder("abc123", "escalation", due, f"abc123:preset:{n}", n, f"Step {n}: call again")

    with db.atomic():
        outbox.sync_plan(
            db,
            "abc123",
            [
                *((rem("escalation", 2, 1), "log"), (step(2, 1), "log"), (step(3, 2), "log")),
                *((rem("escalation", 4, 2), "log"), (rem("deadline", 1), "mail"), (step(2, 1), "mail")),
            ],
            NOW,
        )
    folded = {
        d.notifier: (d.key, d.note, len(e)) for d, e, *_ in outbox.due_folded(db, NOW + timedelta(days=9))
    }
    # The latest step missed (2, not 1) goes with the escalation sent; its row keeps its own note.
    assert folded["log"] == ("abc123:escalation:2", "Step 2: call again", 3)
    assert {d.key: d.note for d in outbox.list_deliveries(db, "abc123") if d.notifier == "log"}[
        "abc123:escalation:2"
    ] is None
    # A step that is itself the latest keeps its note.
    assert folded["mail"] == ("abc123:preset:1", "Step 1: call again", 1)


def test_claim_and_supersede_leave_rows_cancelled_meanwhile_alone(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "log"), (rem("deadline", 2), "log")], NOW)
    first, second = outbox.due(db, NOW + timedelta(days=5))
    outbox.cancel_case(db, "abc123", NOW)  # the case is closed while a catch-up is under way
    assert outbox_leases.claim(db, [first.id, second.id], NOW) == set()
    assert outbox.supersede_all(db, [([first.id], second.key)], NOW) == 0
    assert {d.status for d in outbox.list_deliveries(db, "abc123")} == {"cancelled"}
    assert {d.last_error for d in outbox.list_deliveries(db, "abc123")} == {"case closed"}


@pytest.mark.parametrize("seed", range(5))
def test_due_folded_is_due_grouped_by_case_and_notifier(db: Store, seed: int) -> None:
    # due_folded reads the outbox its own way (a slim read, then the latest rows by id); the
    # answer, order included, must be what folding due()'s list by hand gives.
    rng = random.Random(seed)
    base = db.get_case("abc123")
    for n in range(6):
        case = replace(base, id=f"case{n}")
        db.add_case(case, compute_window(case.submitted, country="BH"))
        wanted = [
            (
                Reminder(
                    case_id=case.id,
                    kind=kind,
                    due=datetime(2026, 3, rng.randint(1, 9), rng.choice([6, 9]), tzinfo=UTC),
                    key=f"{case.id}:{kind}:{i}",
                    sequence=i,
                ),
                notifier,
            )
            for i, kind in enumerate(rng.sample(["opened", "before_deadline", "deadline", "escalation"], 3))
            for notifier in rng.sample(["log", "email"], rng.randint(1, 2))
        ]
        with db.atomic():
            outbox.sync_plan(db, case.id, wanted, NOW)
    at = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    rows = outbox.due(db, at)
    for row in rng.sample(rows, 4):  # some rows wait for a retry, some went out already
        if rng.random() < 0.5:
            outbox_leases.record_failure(db, row.id, "421 try later", at - timedelta(days=3), RetryPolicy())
        else:
            outbox_leases.mark_sent(db, row.id, at)
    rows = outbox.due(db, at)
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row.case_id, row.notifier), []).append(row)
    expected = []
    for group in groups.values():
        latest = max(group, key=lambda d: (d.due, d.key))
        expected.append((latest, sorted(d.id for d in group if d is not latest)))
    # The earlier ids are a set to supersede: their order is not part of the answer.
    assert [(d, sorted(earlier), *why) for d, earlier, *why in outbox.due_folded(db, at)] == [
        (d, earlier, [], [], [], []) for d, earlier in expected
    ]
    assert len(expected) > 6


def test_claim_looks_rows_up_by_id(db: Store) -> None:
    if db.dialect != "sqlite":
        pytest.skip("about SQLite's query planner")
    # SQLite would otherwise answer the claim's read through deliveries_active, walking every
    # planned row while the write lock is held (16 ms at 64,000 rows) instead of reading 200.
    # A chunk's worth (SEND_CHUNK): with a few ids SQLite picks the rowid lookups by itself.
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("escalation", 2, n), "log") for n in range(200)], NOW)
    ids = [d.id for d in outbox.due(db, NOW + timedelta(days=5))]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        assert outbox_leases.claim(db, ids, NOW) == set(ids)
    finally:
        db.conn.set_trace_callback(None)
    (read,) = [s for s in statements if s.startswith("SELECT")]
    plan = " ".join(str(r[-1]) for r in db.conn.execute(f"EXPLAIN QUERY PLAN {read}"))
    assert "INTEGER PRIMARY KEY" in plan and "deliveries_active" not in plan, plan


def test_mark_sent_commits_alone_or_with_the_callers_transaction(db: Store, tmp_path: Path) -> None:
    # mark_sent is one statement without BEGIN/COMMIT of its own; it must still be durable on
    # its own and still roll back with a transaction it was called in.
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "log"), (rem("deadline", 2), "log")], NOW)
    first, second = outbox.due(db, NOW + timedelta(days=5))
    outbox_leases.mark_sent(db, first.id, NOW)
    with db.reopen() as other:  # another connection sees it committed
        assert statuses(other)[(first.key, "log")] == "sent"
    with pytest.raises(RuntimeError), db.atomic():
        outbox_leases.mark_sent(db, second.id, NOW)
        raise RuntimeError("the caller's transaction fails")
    assert statuses(db)[(second.key, "log")] == "planned"


def test_rows_due_at_the_same_minute_while_running_are_not_folded(db: Store) -> None:
    # A deadline and a preset step due at the same 09:00, looked at 20 s later by a running
    # daemon: nothing was missed, so each goes out on its own.
    deadline = replace(rem("deadline", 20), due=datetime(2026, 3, 20, 6, 0, tzinfo=UTC))
    step = replace(deadline, kind="escalation", key="abc123:preset:1")
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(deadline, "log"), (step, "log")], NOW)
    folded = outbox.due_folded(db, datetime(2026, 3, 20, 6, 0, 20, tzinfo=UTC))
    assert sorted((d.key, earlier) for d, earlier, *_ in folded) == [
        ("abc123:deadline:1", []),
        ("abc123:preset:1", []),
    ]


def test_only_rows_missed_longer_than_the_grace_are_folded(db: Store) -> None:
    # The window opened ten days ago with no daemon running; today's two reminders are current.
    opened = rem("opened", 10)
    deadline = rem("deadline", 20)
    step = replace(deadline, kind="escalation", key="abc123:preset:1")
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(opened, "log"), (deadline, "log"), (step, "log")], NOW)
    ids = {d.key: d.id for d in outbox.due(db, datetime(2026, 3, 21, tzinfo=UTC))}
    at = deadline.due + timedelta(seconds=30)
    folded = {d.key: earlier for d, earlier, *_ in outbox.due_folded(db, at, grace=timedelta(minutes=6))}
    # The missed one goes into the latest (by due time, then key); the other current one alone.
    assert folded == {"abc123:preset:1": [ids["abc123:opened:1"]], "abc123:deadline:1": []}
    # Seen an hour late (the machine was suspended), all three were missed: one message.
    late = {
        d.key: sorted(e)
        for d, e, *_ in outbox.due_folded(db, at + timedelta(hours=1), grace=timedelta(minutes=6))
    }
    assert late == {"abc123:preset:1": sorted([ids["abc123:opened:1"], ids["abc123:deadline:1"]])}


def test_a_retry_that_comes_due_now_is_not_called_missed(db: Store) -> None:
    # A reminder that failed yesterday and is retried now was not missed by a stopped daemon.
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 20), "log")], NOW)
    opened = outbox.due(db, datetime(2026, 3, 10, 6, 0, tzinfo=UTC))[0]
    at = datetime(2026, 3, 20, 6, 0, 10, tzinfo=UTC)
    outbox_leases.record_failure(
        db, opened.id, "421 try later", at - timedelta(seconds=40), RetryPolicy(base_seconds=30)
    )
    folded = {d.key: e for d, e, *_ in outbox.due_folded(db, at + timedelta(seconds=30))}
    assert folded == {"abc123:opened:1": [], "abc123:deadline:1": []}


def test_reminders_that_fell_due_while_the_case_was_closed_are_told_apart_from_missed_ones(db: Store) -> None:
    """Closed on the 2nd, reopened on the 21st: the opened (10th) and deadline (20th) reminders
    fell due while the case was closed, the daemon running all along. The catch-up after the
    reopen said they fell due "while reminder was not running" (the test failed before)."""
    escalations = [(rem("escalation", 23, 1), "log"), (rem("escalation", 26, 2), "log")]
    wanted = [(rem("opened", 10), "log"), (rem("deadline", 20), "log"), *escalations]
    with db.atomic():
        outbox.sync_plan(db, "abc123", wanted, NOW)
    ids = {d.key: d.id for d in outbox.list_deliveries(db, "abc123")}
    outbox.cancel_case(db, "abc123", NOW + timedelta(days=1))
    reopened = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    with db.atomic():
        outbox.sync_plan(db, "abc123", wanted, reopened)
    # The running daemon's pass 20 s after the reopen (a re-plan that changes nothing meanwhile):
    # one message, replacing the one before it, which fell due while the case was closed.
    with db.atomic():
        assert outbox.sync_plan(db, "abc123", wanted, reopened + timedelta(seconds=10))["updated"] == 0
    due = {d.key: d for d in outbox.due(db, reopened + timedelta(seconds=20))}
    folded = outbox.due_folded(db, reopened + timedelta(seconds=20))
    assert folded == [(due["abc123:deadline:1"], [], [ids["abc123:opened:1"]], [], [], [])]
    # Reopened with no daemon running, which starts on the 27th: the escalation of the 23rd
    # was missed while nothing ran; the opened and deadline reminders, while the case was closed.
    late = outbox.due_folded(db, datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    assert [(d.key, missed, sorted(closed)) for d, missed, closed, *_ in late] == [
        (
            "abc123:escalation:2",
            [ids["abc123:escalation:1"]],
            sorted([ids["abc123:opened:1"], ids["abc123:deadline:1"]]),
        )
    ]
    # The reminders still to come when it was reopened are due at their own time, as before.
    assert [d.key for d in outbox.due(db, reopened + timedelta(days=1))] == [
        "abc123:opened:1",
        "abc123:deadline:1",
    ]


def test_reminders_due_before_the_case_was_added_are_told_apart_from_missed_ones(db: Store) -> None:
    """A request filed on 1 March and added on the 18th, the daemon running all along: its opened
    (10th) and before-deadline (14th) reminders were past when they were planned, never missed by
    a daemon. The person's first message said they fell due "while reminder was not running"."""
    added = datetime(2026, 3, 18, 8, 0, tzinfo=UTC)
    db.add_case(
        make_case(id="late01", created_at=added, updated_at=added),
        compute_window(date(2026, 3, 1), country="BH"),
    )
    wanted = [(rem("opened", 10), "log"), (rem("before_deadline", 14), "log"), (rem("deadline", 20), "log")]
    wanted = [(replace(r, case_id="late01", key=r.key.replace("abc123", "late01")), n) for r, n in wanted]
    with db.atomic():
        outbox.sync_plan(db, "late01", wanted, added)
    ids = {d.key: d.id for d in outbox.list_deliveries(db, "late01")}
    (folded,) = outbox.due_folded(db, added + timedelta(seconds=20))
    assert folded[0].key == "late01:before_deadline:1"
    assert (folded[1], folded[2], folded[3], folded[4]) == ([], [], [ids["late01:opened:1"]], [])
    # Seen on the 21st only: the deadline's reminder goes, replacing the two due before the case was added.
    (folded,) = outbox.due_folded(db, datetime(2026, 3, 21, 8, 0, tzinfo=UTC))
    assert folded[0].key == "late01:deadline:1" and folded[1] == folded[2] == folded[4] == []
    assert sorted(folded[3]) == sorted([ids["late01:opened:1"], ids["late01:before_deadline:1"]])


def test_reminders_an_edit_moved_into_the_past_are_told_apart_from_missed_ones(db: Store) -> None:
    """Added on 1 March, its reminders on the 10th, 14th and 20th; on the 21st, the daemon
    running all along and nothing sent yet, an edit moves them to the 2nd, 6th and 9th and an
    escalation to the 25th. Their days had passed when the edit planned them: the catch-up said
    they fell due "while reminder was not running" (the test failed before)."""
    days = {"opened": 10, "before_deadline": 14, "deadline": 20}
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem(kind, day), "log") for kind, day in days.items()], NOW)
    ids = {d.key: d.id for d in outbox.list_deliveries(db, "abc123")}
    edited = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    moved = {"opened": 2, "before_deadline": 6, "deadline": 9, "escalation": 25}
    with db.atomic():
        db.touch("abc123", edited)  # the edit stamps the case with the time it plans it at
        outbox.sync_plan(db, "abc123", [(rem(kind, day), "log") for kind, day in moved.items()], edited)
    # The running daemon's pass 20 s after the edit: one message, replacing two for that reason.
    (folded,) = outbox.due_folded(db, edited + timedelta(seconds=20))
    assert folded[0].key == "abc123:deadline:1"
    assert folded[1:] == ([], [], [], sorted([ids["abc123:opened:1"], ids["abc123:before_deadline:1"]]), [])
    # Seen only on the 26th (the daemon stopped after the edit): the escalation of the 25th,
    # due after the edit, was missed; the three before it had passed when the edit planned them.
    (folded,) = outbox.due_folded(db, datetime(2026, 3, 26, 8, 0, tzinfo=UTC))
    assert folded[0].key == "abc123:escalation:1" and folded[2] == folded[3] == folded[5] == []
    assert (folded[1], sorted(folded[4])) == ([], sorted(ids.values()))
    # Unknown when the rows were planned (a database from before m012): missed, as before.
    db.conn.execute("UPDATE deliveries SET planned_ts = NULL")
    (folded,) = outbox.due_folded(db, edited + timedelta(seconds=20))
    assert sorted(folded[1]) == sorted([ids["abc123:opened:1"], ids["abc123:before_deadline:1"]])
    assert folded[4] == folded[5] == []


def test_a_change_that_leaves_the_days_alone_does_not_make_missed_reminders_late(db: Store) -> None:
    """What tells a reminder the edit planned late from one the daemon missed is when the row's
    day was planned, not when the case last changed: missed while no daemon ran, then the case
    retitled and a reminder's note reworded (its day the same), they were still missed."""
    wanted = [(rem("opened", 10), "log"), (rem("deadline", 20), "log")]
    with db.atomic():
        outbox.sync_plan(db, "abc123", wanted, NOW)
    ids = {d.key: d.id for d in outbox.list_deliveries(db, "abc123")}
    edited = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    reworded = [(replace(r, note="Call them") if r.kind == "opened" else r, n) for r, n in wanted]
    with db.atomic():
        db.touch("abc123", edited)
        assert outbox.sync_plan(db, "abc123", reworded, edited)["updated"] == 1
    (folded,) = outbox.due_folded(db, edited + timedelta(seconds=20))
    assert folded[0].key == "abc123:deadline:1" and folded[1:] == ([ids["abc123:opened:1"]], [], [], [], [])


def test_reminders_a_replan_planned_after_their_day_are_told_apart_from_missed_ones(db: Store) -> None:
    """Added on 1 March with the log notifier, its reminders on the 10th, 14th and 20th, the case
    last changed on the 5th; the daemon stopped on the 9th. On the 21st an e-mail notifier is
    configured and the daemon started: its re-plan of every case (no change of this one) gives
    the e-mail notifier the three reminders, their days past. The log's were missed while no
    daemon ran, and still say so; the e-mail's had passed when they were planned, and their
    catch-up said they fell due "while reminder was not running" (the test failed before)."""
    logged = [
        (rem(kind, day), "log") for kind, day in {"opened": 10, "before_deadline": 14, "deadline": 20}.items()
    ]
    with db.atomic():
        outbox.sync_plan(db, "abc123", logged, NOW)
    db.touch("abc123", datetime(2026, 3, 5, 8, 0, tzinfo=UTC))  # retitled, say: no day moved
    started = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    with db.atomic():
        stats = outbox.sync_plan(db, "abc123", [*logged, *((r, "email") for r, _ in logged)], started)
    assert stats == {"added": 3, "updated": 0, "cancelled": 0}  # the log's rows are not written
    ids = {(d.key, d.notifier): d.id for d in outbox.list_deliveries(db, "abc123")}
    earlier = ("abc123:opened:1", "abc123:before_deadline:1")
    folded = {
        d.notifier: (d.key, *map(sorted, why))
        for d, *why in outbox.due_folded(db, started + timedelta(seconds=20))
    }
    assert folded == {
        # (sent, then replaced: missed, closed, added, changed, planned late)
        "log": ("abc123:deadline:1", sorted(ids[k, "log"] for k in earlier), [], [], [], []),
        "email": ("abc123:deadline:1", [], [], [], [], sorted(ids[k, "email"] for k in earlier)),
    }


def test_a_missed_reminder_the_replan_moves_to_another_hour_of_its_day_is_still_missed(db: Store) -> None:
    """The daemon stopped on the 9th; the reminder hour changed from 06:00 to 07:00 meanwhile. Its
    re-plan at the start on the 21st moves the reminders it missed to 07:00 of their days: their
    days were planned on the 1st, in their time, and the catch-up says they were missed. One
    whose day the re-plan moved (the plan's rules changed: the 14th became the 13th) was planned
    after its day; one still to come is planned anew, as any moved row is."""

    def at(kind: str, day: int, hour: int) -> tuple[Reminder, str]:
        return replace(rem(kind, day), due=datetime(2026, 3, day, hour, 0, tzinfo=UTC)), "log"

    with db.atomic():
        outbox.sync_plan(
            db, "abc123", [at("opened", 10, 6), at("before_deadline", 14, 6), at("deadline", 20, 6),
                           at("escalation", 25, 6)], NOW,
        )  # fmt: skip
    started = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    moved = [
        at("opened", 10, 7),
        at("before_deadline", 13, 7),
        at("deadline", 20, 7),
        at("escalation", 25, 7),
    ]
    with db.atomic():
        assert outbox.sync_plan(db, "abc123", moved, started)["updated"] == 4
    planned = dict(db.conn.execute("SELECT key, planned_ts FROM deliveries").fetchall())
    assert planned == {
        "abc123:opened:1": NOW.timestamp(),
        "abc123:before_deadline:1": started.timestamp(),
        "abc123:deadline:1": NOW.timestamp(),
        "abc123:escalation:1": started.timestamp(),
    }
    ids = {d.key: d.id for d in outbox.list_deliveries(db, "abc123")}
    (folded,) = outbox.due_folded(db, started + timedelta(seconds=20))
    assert folded[0].key == "abc123:deadline:1"
    assert folded[1:] == ([ids["abc123:opened:1"]], [], [], [], [ids["abc123:before_deadline:1"]])
    # The hour moved back on the deadline's day, the daemon running: its time had come when the
    # reload planned it, and it is planned anew (it had not been missed).
    reloaded = datetime(2026, 3, 25, 6, 30, tzinfo=UTC)
    with db.atomic():
        outbox.sync_plan(db, "abc123", [at("escalation", 25, 6)], reloaded)
    planned_at = db.conn.execute("SELECT planned_ts FROM deliveries WHERE key = 'abc123:escalation:1'")
    assert planned_at.fetchone()[0] == reloaded.timestamp()


def test_a_retry_planned_before_the_clock_went_back_is_bounded_by_the_new_now(db: Store) -> None:
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 1), "email"), (rem("deadline", 20), "email")], NOW)
    policy = RetryPolicy(base_seconds=600, max_seconds=3600)
    (row,) = outbox.due(db, NOW)
    outbox_leases.record_failure(db, row.id, "421 try later", NOW, policy, rng=random.Random(1))
    longest = timedelta(seconds=policy.max_seconds * 1.25)  # the backoff's cap, jitter included

    # The clock as it was: nothing to bound, and nothing written.
    changes = db.conn.total_changes
    assert outbox_leases.bound_retries(db, NOW + timedelta(minutes=5), policy) == 0
    assert db.conn.total_changes == changes

    back = NOW - timedelta(days=90)  # NTP corrects a clock that ran three months ahead
    assert outbox_leases.bound_retries(db, back, policy, rng=random.Random(2)) == 1
    retry = next(d for d in outbox.list_deliveries(db, "abc123") if d.kind == "opened")
    assert retry.next_attempt_at is not None and back < retry.next_attempt_at <= back + longest
    assert (retry.status, retry.attempts) == ("planned", 1)
    assert outbox.next_due_at(db) == retry.next_attempt_at
    # The planned reminder that is not a retry keeps its due time, months ahead or not.
    deadline = next(d for d in outbox.list_deliveries(db, "abc123") if d.kind == "deadline")
    assert deadline.next_attempt_at is None and deadline.due == datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
    assert outbox_leases.bound_retries(db, back, policy) == 0


def _counted(store: Store) -> dict[str, int]:
    """The rows per status, counted (what outbox.counts reads from m010's table on SQLite)."""
    out = dict.fromkeys(("planned", "sending", "sent", "failed", "cancelled"), 0)
    out.update(store.conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
    return out


@pytest.mark.parametrize("seed", range(3))
def test_the_kept_counts_follow_every_change_of_the_rows(db: Store, seed: int) -> None:
    """Planning, re-planning, claiming, sending, failing, cancelling and deleting a case (whose
    rows go by cascade): after each, ``counts`` (kept by triggers on SQLite) is the rows' count."""
    rng = random.Random(seed)
    kinds = ("opened", "before_deadline", "deadline", "escalation")
    seen: set[str] = set()
    for step in range(100):
        action = rng.choice(["plan", "plan", "claim", "sent", "fail", "cancel", "delete"])
        rows = outbox.list_deliveries(db, "abc123")
        if action == "plan":
            plan = [
                (rem(rng.choice(kinds), rng.randint(1, 28)), rng.choice(["log", "email"])) for _ in range(3)
            ]
            with db.atomic():
                outbox.sync_plan(db, "abc123", list({(r.key, n): (r, n) for r, n in plan}.values()), NOW)
        elif action in ("claim", "sent", "fail") and rows:
            row = rng.choice(rows)
            if action == "claim":
                outbox_leases.claim(db, [row.id], NOW)
            elif action == "sent":
                outbox_leases.mark_sent(db, row.id, NOW)
            else:
                outbox_leases.record_failure(db, row.id, "refused", NOW, RetryPolicy(max_attempts=2), rng=rng)
        elif action == "cancel":
            with db.atomic():
                outbox.cancel_case(db, "abc123", NOW)
        elif action == "delete":
            db.delete_case("abc123")
            add_one_case(db)
        assert outbox.counts(db) == _counted(db), (seed, step, action)
        # What status counts as waiting for a retry is a planned row that kept a failed send's
        # error: never a reason for a cancellation, never a row that was not tried.
        waiting = [r for r in outbox.list_deliveries(db, "abc123") if r.status == "planned" and r.last_error]
        assert all(r.attempts >= 1 and r.last_error == "refused" for r in waiting), (seed, step, action)
        assert retrying(db)["count"] == len(waiting), (seed, step, action)
        seen |= {status for status, n in _counted(db).items() if n}
    assert seen >= {"planned", "sending", "sent", "cancelled"}  # the run changed rows every way


def test_the_reminders_waiting_for_a_retry_are_read_from_their_own_index(db: Store) -> None:
    """``reminder status`` counts them and reads the latest error at every poll: from the
    partial index that holds only them (m011), not from the planned rows still to come
    (80,000 for 10,000 cases: 30 ms a poll). SQLite's planner, without statistics, took
    the (status, wake_ts) index, every planned row, while this index led with anything else."""
    import sqlite3

    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 20), "email")], NOW)
    first, second = outbox.list_deliveries(db, "abc123")
    for row, error, at in ((first, "older", NOW), (second, "newer", NOW + timedelta(minutes=5))):
        outbox_leases.claim(db, [row.id], at)
        assert outbox_leases.record_failure(db, row.id, error, at, RetryPolicy()) == "planned"
    got = retrying(db)
    assert (got["count"], got["error"], got["notifier"], got["case"]) == (
        2,
        "newer",
        second.notifier,
        "abc123",
    )
    if db.dialect != "sqlite":
        return  # PostgreSQL's planner has its statistics
    assert isinstance(db.conn, sqlite3.Connection)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        retrying(db)
    finally:
        db.conn.set_trace_callback(None)
    assert len(statements) == 2
    for sql in statements:
        plan = " ".join(str(r[-1]) for r in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX deliveries_retrying" in plan and "TEMP B-TREE" not in plan, (sql, plan)


def test_a_version_9_database_gains_its_counts(db: Store, tmp_path: Path) -> None:
    import sqlite3

    if db.dialect != "sqlite":
        pytest.skip("about SQLite's kept counts (PostgreSQL counts its rows)")
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 20), "email")], NOW)
        outbox.cancel_case(db, "abc123", NOW)
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log")], NOW)
    expected = _counted(db)
    db.close()
    conn = sqlite3.connect(tmp_path / "reminder.db", isolation_level=None)
    for name in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER delivery_counts_{name}")
    conn.execute("DROP TABLE delivery_counts")
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    with Store(tmp_path / "reminder.db") as again:
        assert (
            outbox.counts(again)
            == expected
            == {"planned": 1, "sending": 0, "sent": 0, "failed": 0, "cancelled": 1}
        )


def test_a_version_11_database_learns_when_its_rows_are_planned(
    db: Store, tmp_path: Path, db_url: str | None
) -> None:
    """m012 on either backend: the rows already there keep no planning time (NULL, told apart as
    before); a row planned from then on records it."""
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log")], NOW)
        db.conn.execute("ALTER TABLE deliveries DROP COLUMN planned_ts")
        db.backend.set_schema_version(db.conn, 11)
    db.close()
    later = NOW + timedelta(days=1)
    with Store(tmp_path / "reminder.db", url=db_url) as again:
        assert again.schema_version == len(MIGRATIONS) == 14
        with again.atomic():
            outbox.sync_plan(
                again, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 20), "log")], later
            )
        planned = dict(again.conn.execute("SELECT key, planned_ts FROM deliveries").fetchall())
        assert planned == {"abc123:opened:1": None, "abc123:deadline:1": later.timestamp()}
        if again.dialect == "sqlite":
            assert again.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_replan_read_before_a_daemon_claimed_its_rows_leaves_them_being_sent(db: Store) -> None:
    # On PostgreSQL an edit's re-plan reads the case's rows, and a daemon may claim one of them
    # before the re-plan writes: moving it back to planned (or cancelling it) mid-send made another
    # daemon send it again. The stale read is given here as the rows the re-plan read earlier.
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 10), "log"), (rem("deadline", 20), "log")], NOW)
    stale = db.conn.execute(
        f"SELECT {outbox._PLAN_COLUMNS} FROM deliveries WHERE case_id = ?", ("abc123",)
    ).fetchall()
    ids = [d.id for d in outbox.list_deliveries(db, "abc123")]
    assert outbox_leases.claim(db, ids, NOW) == set(ids)
    with db.atomic():
        outbox.sync_plan(db, "abc123", [(rem("opened", 12), "log")], NOW, existing_rows=stale)
    assert set(statuses(db).values()) == {"sending"}
    assert {d.due.day for d in outbox.list_deliveries(db, "abc123")} == {10, 20}
