"""Outbox leases: a claim holds a row for its owner until the lease expires; then another daemon
takes it over, and only the row's current owner records its outcome. On a real SQLite file here
and on PostgreSQL (where the claim also locks rows, FOR UPDATE SKIP LOCKED); the multi-daemon
tests in test_daemon_shared.py run real daemons on PostgreSQL."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sample_cases import add_one_case

from reminder import api, outbox, outbox_leases
from reminder.config import load_settings
from reminder.models import Message, Reminder
from reminder.notifiers.base import DeliveryResult, Notifier, NotifierOptions, OnResult
from reminder.outbox_leases import RetryPolicy
from reminder.outbox_summary import retrying
from reminder.record import replace
from reminder.store import MIGRATIONS, Store

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
A, B = "host-a:100:aaaa", "host-b:200:bbbb"


@pytest.fixture
def db(tmp_path: Path, db_url: str | None) -> Iterator[Store]:
    """The store on each backend: a SQLite file, then a fresh PostgreSQL database."""
    store = Store(tmp_path / "reminder.db", url=db_url)
    add_one_case(store)
    yield store
    store.close()


def due_rows(db: Store, n: int = 3) -> list[int]:
    """``n`` reminders of the case, all due a day before NOW; their ids."""
    wanted = [
        (
            Reminder(
                case_id="abc123",
                kind="deadline",
                due=NOW - timedelta(days=1) + timedelta(minutes=i),
                key=f"abc123:deadline:{i}",
                sequence=i,
            ),
            "log",
        )
        for i in range(1, n + 1)
    ]
    with db.atomic():
        outbox.sync_plan(db, "abc123", wanted, NOW - timedelta(days=2))
    return [d.id for d in outbox.list_deliveries(db, "abc123")]


def row(db: Store, delivery_id: int) -> tuple[str, str | None, float | None, int, str]:
    found = db.conn.execute(
        "SELECT status, lease_owner, lease_until, attempts, key FROM deliveries WHERE id = ?", (delivery_id,)
    ).fetchone()
    return (str(found[0]), found[1], found[2], int(found[3]), str(found[4]))


def test_a_live_lease_keeps_the_row_from_other_daemons(db: Store) -> None:
    first, second, third = due_rows(db)
    assert outbox_leases.claim(db, [first, second], NOW, lease=LEASE, owner=A) == {first, second}
    assert row(db, first)[:3] == ("sending", A, (NOW + LEASE).timestamp())
    # B sees only the row nobody holds, and can claim only that.
    assert [d.id for d in outbox.due(db, NOW + timedelta(minutes=1))] != []
    assert outbox_leases.claim(
        db, [first, second, third], NOW + timedelta(minutes=1), lease=LEASE, owner=B
    ) == {third}
    assert row(db, first)[1] == A and row(db, third)[1] == B


def test_an_expired_lease_is_taken_over_and_only_the_new_owner_records(
    db: Store, caplog: pytest.LogCaptureFixture
) -> None:
    (first,) = due_rows(db, 1)
    key = row(db, first)[4]
    outbox_leases.claim(db, [first], NOW, lease=LEASE, owner=A)
    later = NOW + LEASE + timedelta(seconds=1)
    # A's lease ran out (A died, or hangs): the row is due again, for B.
    assert [d.id for d in outbox.due(db, later)] == [first]
    assert [d.id for d, *_ in outbox.due_folded(db, later)] == [first]
    assert outbox_leases.claim(db, [first], later, lease=LEASE, owner=B) == {first}
    # A comes back and reports: nothing is recorded, and the log says why.
    with caplog.at_level(logging.WARNING, logger="reminder.outbox_leases"):
        assert outbox_leases.mark_sent(db, first, later, owner=A) is False
        assert outbox_leases.record_failure(db, first, "421", later, RetryPolicy(), owner=A) == "lost"
        assert outbox_leases.release(db, [first], later, owner=A) == 0
    assert row(db, first)[:2] == ("sending", B)
    assert "lease passed to " + B in caplog.text
    # B's outcome counts. The repeat is the same row, so the same key (the e-mail's Message-ID).
    assert outbox_leases.mark_sent(db, first, later, owner=B) is True
    status, owner, until, attempts, same_key = row(db, first)
    assert (status, owner, until, attempts, same_key) == ("sent", B, None, 1, key)


def test_the_owner_records_failures_and_releases(db: Store) -> None:
    first, second = due_rows(db, 2)
    outbox_leases.claim(db, [first, second], NOW, lease=LEASE, owner=A)
    policy = RetryPolicy()
    assert (
        outbox_leases.record_failure(db, first, "421", NOW, policy, owner=A, rng=random.Random(1))
        == "planned"
    )
    assert outbox_leases.release(db, [first, second], NOW, owner=A) == 1  # the first is no longer claimed
    assert row(db, first)[:4] == ("planned", None, None, 1)
    assert row(db, second)[:4] == ("planned", None, None, 0)
    # Released rows are anyone's again at once.
    assert outbox_leases.claim(db, [second], NOW, lease=LEASE, owner=B) == {second}


def test_each_claim_renews_the_owners_leases(db: Store) -> None:
    first, second = due_rows(db, 2)
    outbox_leases.claim(db, [first], NOW, lease=LEASE, owner=A)
    later = NOW + timedelta(minutes=4)
    outbox_leases.claim(db, [second], later, lease=LEASE, owner=A)
    assert row(db, first)[2] == row(db, second)[2] == (later + LEASE).timestamp()
    # So at NOW + LEASE, when the first claim alone would have expired, B still cannot take it.
    assert outbox_leases.claim(db, [first], NOW + LEASE + timedelta(seconds=1), lease=LEASE, owner=B) == set()


def test_the_next_wake_up_is_when_a_foreign_lease_expires(db: Store) -> None:
    (first,) = due_rows(db, 1)
    outbox_leases.claim(db, [first], NOW, lease=LEASE, owner=A)
    assert outbox.next_due_at(db) == NOW + LEASE  # a daemon other than A wakes to take it over


def test_abandoning_releases_only_the_owners_rows(db: Store) -> None:
    first, second = due_rows(db, 2)
    outbox_leases.claim(db, [first], NOW, lease=LEASE, owner=A)
    outbox_leases.claim(db, [second], NOW, lease=LEASE, owner=B)
    assert outbox.release_sending(db, NOW, owner=A) == 1
    assert row(db, first)[0] == "planned" and row(db, second)[:2] == ("sending", B)
    assert outbox.release_sending(db, NOW) == 1  # SQLite under the pid lock: every row left sending


def test_a_catch_up_does_not_cancel_a_row_another_daemon_is_sending(db: Store) -> None:
    first, second = due_rows(db, 2)
    outbox_leases.claim(db, [first], NOW, lease=LEASE, owner=A)
    assert outbox.supersede_all(db, [([first, second], "abc123:deadline:3")], NOW, owner=B) == 1
    assert row(db, first)[0] == "sending" and row(db, second)[0] == "cancelled"


def test_sqlite_takes_a_zero_lease_so_a_crashed_send_goes_again_at_once(db: Store) -> None:
    """One daemon per SQLite file (the pid lock): no lease to wait out, as before leases."""
    if db.dialect != "sqlite":
        assert outbox_leases.lease_for(db, 300) == timedelta(seconds=300)
        return
    assert outbox_leases.lease_for(db, 300) == timedelta(0)
    (first,) = due_rows(db, 1)
    outbox_leases.claim(db, [first], NOW, lease=outbox_leases.lease_for(db, 300), owner=A)
    # The daemon died mid-send; the next one starts at once and sends the row again.
    assert [d.id for d in outbox.due(db, NOW)] == [first]
    assert outbox_leases.claim(db, [first], NOW, owner=B) == {first}


def test_process_owner_names_host_pid_and_a_random_part() -> None:
    import os
    import socket

    host, pid, token = outbox.process_owner().rsplit(":", 2)
    assert (host, pid) == (socket.gethostname(), str(os.getpid())) and len(token) == 8
    assert outbox.process_owner() == outbox.process_owner()


def test_a_version_7_database_gains_the_lease_columns(tmp_path: Path) -> None:
    path = tmp_path / "v7.db"
    with Store(path) as s:
        s.conn.execute(
            "INSERT INTO cases (id, title, organisation, country, timezone, submitted, min_days,"
            " max_days, created_at, updated_at)"
            " VALUES ('x', 't', 'o', 'BH', 'Asia/Bahrain', '2026-03-01', 1, 2, 'n', 'n')"
        )
    conn = sqlite3.connect(path, isolation_level=None)
    for column in ("lease_owner", "lease_until"):
        conn.execute(f"ALTER TABLE deliveries DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS) == 14
        columns = {r[1] for r in s.conn.execute("PRAGMA table_info(deliveries)")}
        assert {"lease_owner", "lease_until"} <= columns
        assert s.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_claim_skips_rows_another_claim_has_locked(db: Store, tmp_path: Path) -> None:
    """PostgreSQL: two daemons claiming at the same instant split the rows instead of waiting."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite has one writer at a time and one daemon per file")
    first, second = due_rows(db, 2)
    other = db.reopen()
    try:
        with db.atomic():
            # A claim in progress elsewhere holds the first row's lock until it commits.
            db.conn.execute("SELECT id FROM deliveries WHERE id = ? FOR UPDATE", (first,))
            assert outbox_leases.claim(other, [first, second], NOW, lease=LEASE, owner=B) == {second}
        assert outbox_leases.claim(other, [first], NOW, lease=LEASE, owner=B) == {first}
    finally:
        other.close()


class _Pausing(Notifier):
    """Takes messages one at a time; after the first, this process 'pauses' past its lease
    (the wall clock the pass reads jumps), as a stopped VM or a long GC would."""

    name = "pausing"

    def __init__(self, jump: list[timedelta], by: timedelta) -> None:
        super().__init__(NotifierOptions(), label="log")
        self.jump, self.by = jump, by
        self.sent: list[str] = []

    def send(self, message: Message) -> DeliveryResult:  # pragma: no cover - send_stream is used
        raise AssertionError

    def send_stream(self, messages: Iterable[Message], on_result: OnResult) -> None:
        for i, message in enumerate(messages):
            self.sent.append(message.key)
            on_result(i, DeliveryResult.success())
            self.jump[0] = self.by


def test_a_daemon_held_up_past_its_lease_hands_over_no_more_of_its_claim(
    tmp_path: Path, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "reminder.toml"
    config.write_text(f'[store]\nurl = "{pg_url}"\n[daemon]\nlease_seconds = 60\n', encoding="utf-8")
    settings = load_settings(config)
    later = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with Store(tmp_path / "reminder.db", url=pg_url) as store:
        for day in range(4, 8):
            api.add_case(store, settings, now=NOW, title="t", organisation="o", submitted=date(2026, 1, day))
        jump = [timedelta(0)]
        notifier = _Pausing(jump, timedelta(seconds=61))
        with caplog.at_level(logging.WARNING, logger="reminder.delivery"):
            report = api.deliver_due(store, settings, [notifier], now=later, clock=lambda: later + jump[0])
        # One message went before the pause; the three claimed with it were put back, not sent
        # by a daemon whose claim on them had run out.
        assert report.sent == len(notifier.sent) == 1
        assert outbox.counts(store)["sending"] == 0
        assert len(outbox.due(store, later + jump[0])) == 3
        assert "ran out before they were sent" in caplog.text


def test_a_row_left_sending_without_a_lease_is_due_whatever_the_next_clock_reads(db: Store) -> None:
    """SQLite's zero-length lease (one daemon per file, the pid lock) is no lease at all: a
    row a killed daemon left ``sending`` is the next daemon's at once, even when that one's
    wall clock reads earlier (stepped back by NTP; every process under libfaketime's "@"
    starts at the same instant). Recorded as the dead daemon's claim time, it waited for the
    clock to catch up, and ``daemon --once`` left it unsent (test_daemon's kill -9 test, 1 run in ~25)."""
    (first,) = due_rows(db, 1)
    assert outbox_leases.claim(db, [first], NOW, lease=timedelta(0), owner=A) == {first}
    assert row(db, first)[:3] == ("sending", A, None)
    # The next wake-up is the row's own time, not the dead daemon's claim.
    assert outbox.next_due_at(db) == NOW - timedelta(days=1) + timedelta(minutes=1)
    earlier = NOW - timedelta(seconds=1)
    assert [d.id for d in outbox.due(db, earlier)] == [first]
    assert outbox_leases.claim(db, [first], earlier, lease=timedelta(0), owner=B) == {first}


# --- sending again what failed for good (reminder notify retry) -----------------------------------

REFUSED = "550 5.1.1 <me@example.org>: no such user"


def plan_rows(
    db: Store, dues: Iterable[datetime], case_id: str = "abc123", notifiers: Sequence[str] = ("log",)
) -> list[int]:
    """The case's plan: a reminder per due time (keys ``<case>:deadline:1…``) for each notifier;
    the rows' ids, due time by due time, notifier by notifier."""
    reminders = [
        Reminder(case_id=case_id, kind="deadline", due=due, key=f"{case_id}:deadline:{i}", sequence=i)
        for i, due in enumerate(dues, 1)
    ]
    with db.atomic():
        outbox.sync_plan(
            db, case_id, [(r, n) for r in reminders for n in notifiers], NOW - timedelta(days=30)
        )
    ids = {(d.key, d.notifier): d.id for d in outbox.list_deliveries(db, case_id)}
    return [ids[r.key, n] for r in reminders for n in notifiers]


def fail_for_good(db: Store, ids: Iterable[int], at: datetime) -> None:
    """Each row claimed, then refused for good (an SMTP 5xx), as the daemon records it."""
    for delivery_id in ids:
        assert outbox_leases.claim(db, [delivery_id], at, lease=outbox_leases.lease_for(db, 300), owner=A)
        assert (
            outbox_leases.record_failure(
                db, delivery_id, REFUSED, at, RetryPolicy(), retryable=False, owner=A
            )
            == "failed"
        )


def full_row(db: Store, delivery_id: int) -> tuple[object, ...]:
    return tuple(
        db.conn.execute(
            "SELECT key, status, attempts, last_error, next_attempt_ts, wake_ts, due_ts, lease_owner,"
            " lease_until FROM deliveries WHERE id = ?",
            (delivery_id,),
        ).fetchone()
    )


def test_a_reminder_that_failed_for_good_is_sent_again_as_the_same_row(db: Store) -> None:
    """The same row (so the same key and Message-ID), its attempts from 0 (the retry policy
    applies afresh), its last error kept until the next attempt replaces it, due now."""
    first, second = plan_rows(db, [NOW - timedelta(days=3), NOW - timedelta(days=2)])
    fail_for_good(db, [first, second], NOW - timedelta(days=2))
    before = full_row(db, first)
    count = db.conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    later = NOW + timedelta(days=5)
    report = outbox_leases.retry_failed(db, later)
    assert report.to_dict() == {"retried": 2, "closed": 0, "unconfigured": 0}
    key, status, attempts, error, retry_ts, wake_ts, due_ts, owner, until = full_row(db, first)
    assert (key, status, attempts, error) == (before[0], "planned", 0, REFUSED)
    assert retry_ts == wake_ts == later.timestamp() and due_ts == before[6] and (owner, until) == (None, None)
    assert db.conn.execute("SELECT count(*) FROM deliveries").fetchone()[0] == count  # no new row
    # `reminder status` counts them as waiting for a retry, with the refusal as their error.
    assert outbox.counts(db)["failed"] == 0
    waiting = retrying(db)
    assert waiting["count"] == 2 and waiting["error"] == REFUSED
    # Asked again (a second command, or two at once): nothing is failed any more, nothing moves.
    assert outbox_leases.retry_failed(db, later + timedelta(seconds=1)).retried == 0
    assert full_row(db, first)[5] == later.timestamp()
    # The daemon sends it; the policy counts its attempts afresh.
    assert outbox_leases.claim(db, [first], later, owner=B) == {first}
    assert outbox_leases.mark_sent(db, first, later, owner=B)
    assert full_row(db, first)[:4] == (before[0], "sent", 1, None)


def test_a_retried_reminder_is_sent_on_its_own_not_folded_as_missed(db: Store) -> None:
    """The daemon runs all along: a reminder refused three days ago and retried now is current,
    like the reminder of the same case that fell due a moment ago. Due at its own time it would
    be folded into that one as "missed while reminder was not running"; due now with no retry
    time, as "fell due while the case was closed". Neither is true."""
    refused = NOW + timedelta(days=1)  # the case was added at NOW
    later = refused + timedelta(days=3)
    old, older, current = plan_rows(
        db, [refused, refused + timedelta(minutes=1), later - timedelta(seconds=30)]
    )
    fail_for_good(db, [old, older], refused + timedelta(minutes=1))
    assert outbox_leases.retry_failed(db, later).retried == 2
    looked = later + timedelta(seconds=2)  # woken by the command
    items = outbox.due_folded(db, looked)
    assert sorted(d.id for d, *_ in items) == sorted([old, older, current])
    assert not [folded for _d, *folded in items if any(folded)], items  # nothing folded, for any reason
    # A daemon that looks only a day later finds all three missed while it did not run: one
    # message for the case, its latest, which says so (as it would of any reminder due then).
    ((latest, missed, *other_reasons),) = outbox.due_folded(db, later + timedelta(days=1))
    assert latest.id == current and sorted(missed) == sorted([old, older]) and not any(other_reasons)


def test_only_open_cases_reminders_are_sent_again_and_the_rest_are_counted(db: Store) -> None:
    mine, email = plan_rows(db, [NOW - timedelta(days=1)], notifiers=("log", "email"))
    other = add_one_case(db, "def456")
    theirs = plan_rows(db, [NOW - timedelta(days=1), NOW], case_id="def456", notifiers=("log", "gone"))
    fail_for_good(db, [mine, email, *theirs], NOW)
    with db.atomic():
        db.update_case(replace(other, status="closed", closed_at=NOW))
    later = NOW + timedelta(hours=1)
    # One notifier's: the configured e-mail's, in every case.
    report = outbox_leases.retry_failed(db, later, notifier="email", labels=["log", "email"])
    assert report.to_dict() == {"retried": 1, "closed": 0, "unconfigured": 0}
    assert full_row(db, email)[1] == "planned" and full_row(db, mine)[1] == "failed"
    # One case's, by a prefix of its id: the closed case's reminders are left, and counted.
    assert outbox_leases.retry_failed(db, later, case_id="DEF4").to_dict() == {
        "retried": 0, "closed": 4, "unconfigured": 0,
    }  # fmt: skip
    # Every one: a notifier no longer in the config is left too (the daemon could only fail it).
    *_same, gone_open = plan_rows(db, [NOW - timedelta(days=1)], notifiers=("log", "email", "gone"))
    fail_for_good(db, [gone_open], NOW)
    report = outbox_leases.retry_failed(db, later, labels=["log", "email"])
    assert report.to_dict() == {"retried": 1, "closed": 4, "unconfigured": 1}
    assert [full_row(db, i)[1] for i in (mine, gone_open, *theirs)] == ["planned"] + ["failed"] * 5
    # A row another daemon holds is not failed: it is never touched.
    assert outbox_leases.claim(db, [mine], later, lease=LEASE, owner=B) == {mine}
    assert outbox_leases.retry_failed(db, later).retried == 1  # the gone notifier's, with labels=None
    assert full_row(db, mine)[1:2] + full_row(db, mine)[7:8] == ("sending", B)


def test_an_unknown_case_or_notifier_is_refused(db: Store) -> None:
    from reminder.errors import InputError, NotFound

    (first,) = plan_rows(db, [NOW])
    fail_for_good(db, [first], NOW)
    with pytest.raises(NotFound, match="no case with id 'zzz999'"):
        outbox_leases.retry_failed(db, NOW, case_id="zzz999")
    with pytest.raises(InputError, match="unknown notifier 'emial'"):
        outbox_leases.retry_failed(db, NOW, notifier="emial", labels=["log", "email"])
    # A notifier the config has, though no reminder went through it yet: nothing to do.
    assert outbox_leases.retry_failed(db, NOW, notifier="email", labels=["log", "email"]).retried == 0
    assert full_row(db, first)[1] == "failed"


def test_retrying_leaves_the_sqlite_file_whole(tmp_path: Path) -> None:
    with Store(tmp_path / "reminder.db") as db:
        add_one_case(db)
        ids = plan_rows(db, [NOW - timedelta(days=i) for i in range(1, 40)])
        fail_for_good(db, ids, NOW)
        assert outbox_leases.retry_failed(db, NOW + timedelta(hours=1)).retried == 39
    with Store(tmp_path / "reminder.db") as again:
        assert outbox.counts(again)["planned"] == 39
        assert again.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
