"""The outbox: one durable row per planned reminder × notifier — the source of truth for what is due.

States::

    planned ──claim──▶ sending ──accepted──▶ sent
       ▲                  │
       └──retry (backoff)─┤──attempts exhausted──▶ failed
    planned ──case closed / reminder no longer planned / superseded──▶ cancelled

A row is marked ``sending`` in its own commit before the notifier is called and
``sent`` in another right after the notifier accepts it. A crash between the two
leaves the row ``sending``; the next pass sends it again with the same key (the
e-mail Message-ID), which is the one gap that cannot be closed without the
receiver's help. A crash anywhere else loses nothing and repeats nothing.

APScheduler only decides *when* to look; this table decides *what* is due.

Leases. A claim records who took the row (``lease_owner``: the daemon's
:func:`process_owner`, host:pid:random) and until when the claim holds (``lease_until``).
While it holds, no other daemon claims the row; once it has expired, a ``sending`` row is
due again and the next daemon to claim it takes it over — that is how a dead daemon's rows
are sent. Only the owner records the outcome: :func:`mark_sent`, :func:`record_failure` and
:func:`release` by anyone else (a daemon whose lease expired while it was still sending,
and whose row was since taken over) change nothing and are logged. A repeat is the same row,
so it carries the same key, hence the same e-mail Message-ID. Every claim also renews the
claiming daemon's other leases (a heartbeat per chunk). On SQLite one daemon runs per
database (the pid lock), so :func:`lease_for` gives it a zero-length lease, recorded as none:
a row left ``sending`` is due at once, as it always was, whatever the next daemon's clock
reads. The guarantees and how to size the lease are in the README ("Several daemons on one database").

A retry's time is fixed when the attempt fails, on the wall clock of that moment. If
that clock was ahead (months, before NTP set it right), the retry would wait as long.
So :func:`bound_retries` runs before each pass: a retry planned further ahead than the
policy's longest delay is planned again from now. To keep an idle pass free of a scan
of every planned row, ``meta.retry_horizon`` holds the latest retry time ever planned;
only when it lies beyond that bound can any row need it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from .errors import StoreError
from .i18n import _
from .lazylog import get_logger
from .models import Delivery, Reminder, moved_key, preset_step
from .outbox_summary import counts
from .record import Record, replace, setfield
from .wakeups import notify

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

    from .store import Store

__all__ = [
    "CASE_CLOSED",
    "DEFAULT_FOLD_GRACE",
    "FOLD_MARGIN",
    "NO_LONGER_PLANNED",
    "SUPERSEDED",
    "RetryPolicy",
    "backoff_delay",
    "bound_retries",
    "cancel_case",
    "claim",
    "counts",
    "due",
    "due_folded",
    "is_cancel_reason",
    "lease_for",
    "list_deliveries",
    "longest_delay",
    "mark_sent",
    "next_due_at",
    "process_owner",
    "record_failure",
    "release",
    "release_sending",
    "rows_by_case",
    "shared",
    "supersede_all",
    "sync_plan",
]


log = get_logger(__name__)

# Why a row was cancelled, kept in its last_error (in English: logs and --json read it; the
# command line words it in the user's language, cli_labels.reminder_note).
SUPERSEDED = "superseded"  # "superseded by <key>": folded into that reminder, which went out
CASE_CLOSED = "case closed"
NO_LONGER_PLANNED = "no longer planned"


def is_cancel_reason(text: str) -> bool:
    """Whether ``text`` (a row's last_error) says why the row was cancelled, not why a send failed."""
    return text in (CASE_CLOSED, NO_LONGER_PLANNED) or text.startswith(f"{SUPERSEDED} by ")


RETRY_HORIZON = "retry_horizon"  # meta key: the latest retry time planned (epoch seconds)
_JITTER = 0.25


class RetryPolicy(Record):
    """How a failed delivery is retried: up to ``max_attempts`` sends, waits doubling from
    ``base_seconds`` up to ``max_seconds`` (:func:`backoff_delay`)."""

    max_attempts: int
    base_seconds: float
    max_seconds: float

    __slots__ = ("max_attempts", "base_seconds", "max_seconds")

    def __init__(
        self,
        max_attempts: int = 8,
        base_seconds: float = 30.0,
        max_seconds: float = 3600.0,
    ) -> None:
        setfield(self, "max_attempts", max_attempts)
        setfield(self, "base_seconds", base_seconds)
        setfield(self, "max_seconds", max_seconds)


def backoff_delay(attempts: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, with ±25 % jitter.

    The jitter keeps several failing notifiers (or several machines) from
    retrying in lock-step against a server that is just coming back.
    """
    raw = min(policy.max_seconds, policy.base_seconds * 2.0 ** max(0, attempts - 1))
    if rng is None:
        import random  # here: only a failed delivery draws a jitter; `show` and `add` need none

        return float(raw * random.uniform(1 - _JITTER, 1 + _JITTER))
    return float(raw * rng.uniform(1 - _JITTER, 1 + _JITTER))


def longest_delay(policy: RetryPolicy) -> float:
    """The longest wait :func:`backoff_delay` can give, jitter included (seconds)."""
    return policy.max_seconds * (1 + _JITTER)


def _ts(dt: datetime) -> float:
    return dt.timestamp()


_owner: tuple[int, str] | None = None


def process_owner() -> str:
    """This process's name on the leases it takes: ``host:pid:random``.

    The random part tells a daemon apart from an earlier one that had the same pid (on another
    boot, or in a container that always starts at pid 1); made again in a forked child.
    """
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:
        # os's own host name and random bytes: secrets and socket cost every command ~8 ms to import.
        _owner = (pid, f"{os.uname().nodename}:{pid}:{os.urandom(4).hex()}")
    return _owner[1]


def lease_for(store: Store, seconds: float) -> timedelta:
    """The lease a claim takes on ``store``: ``seconds`` on a store several daemons share, zero
    on SQLite, where the pid lock lets one daemon run and a row left ``sending`` by a daemon
    that died is due again at once (the next start sends it), as before leases existed."""
    return timedelta(seconds=seconds) if shared(store) else timedelta(0)


def shared(store: Store) -> bool:
    """Whether several daemons may use ``store`` at once (PostgreSQL; SQLite has the pid lock)."""
    return store.dialect != "sqlite"


# A row can be claimed now: planned, or sending under no lease or one that has expired.
# (The owner's own rows are claimable again too: a pass that stopped early left them.)
_CLAIMABLE = "(status = 'planned' OR lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)"


def _row_to_delivery(row: Sequence[object]) -> Delivery:
    (id_, case_id, key, kind, notifier, due_s, status, attempts, next_ts, last_error, sent_at, note) = row
    return Delivery(
        id=int(id_),  # type: ignore[call-overload]
        case_id=str(case_id),
        key=str(key),
        kind=str(kind),
        notifier=str(notifier),
        due=datetime.fromisoformat(str(due_s)),
        status=str(status),
        attempts=int(attempts),  # type: ignore[call-overload]
        next_attempt_at=None if next_ts is None else datetime.fromtimestamp(float(next_ts), UTC),  # type: ignore[arg-type]
        last_error=None if last_error is None else str(last_error),
        sent_at=None if sent_at is None else datetime.fromisoformat(str(sent_at)),
        note=None if note is None else str(note),
    )


_COLUMNS = (
    "id, case_id, key, kind, notifier, due, status, attempts, next_attempt_ts, last_error, sent_at, note"
)


def sync_plan(
    store: Store,
    case_id: str,
    wanted: Iterable[tuple[Reminder, str]],
    now: datetime,
    *,
    wake_daemons: bool = True,
    existing_rows: Sequence[Sequence[object]] | None = None,
) -> dict[str, int]:
    """Make the outbox match the plan for one case; call inside the case write's transaction.

    ``wanted`` pairs each planned reminder with a notifier name. Sent, sending and
    failed rows are history and stay as they are; planned rows follow the plan
    (new due time), rows the plan dropped are cancelled, and cancelled rows the
    plan wants again (a reopened case) come back as planned, without the reason they
    were cancelled for; a superseded row stays cancelled (it went out, folded into
    another). A row the case's closing cancelled that fell due while it was closed comes back
    due from ``now``, the reopening, not from its day: its ``wake_ts`` after its ``due_ts``
    (with no retry planned) is what tells :func:`due_folded` it was not missed by a stopped
    daemon. Rows that already
    match are not written at all, so re-planning 100,000 unchanged cases at start-up
    is reads only. The writes go as one ``executemany`` each (on PostgreSQL, one round
    trip for a case's inserts rather than one per row).

    On a shared store a change wakes the daemons (:func:`wakeups.notify`), unless
    ``wake_daemons`` is False: a re-plan of every case wakes them once per batch instead.
    ``existing_rows``: the case's rows as :func:`rows_by_case` read them for a batch of cases
    (in the same transaction), instead of one read per case.
    """
    conn = store.conn
    if existing_rows is None:
        existing_rows = conn.execute(
            f"SELECT {_PLAN_COLUMNS} FROM deliveries WHERE case_id = ?", (case_id,)
        ).fetchall()
    existing = {
        (key, notifier): (id_, status, str(reason or ""), (kind, due, note))
        for _case, id_, key, notifier, status, reason, kind, due, note in existing_rows
    }
    stamp, now_ts = now.isoformat(), _ts(now)
    seen: set[tuple[str, str]] = set()
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    for reminder, notifier in wanted:
        key = reminder.key
        found = existing.get((key, notifier))
        due_iso, due_ts = reminder.due.isoformat(), _ts(reminder.due)
        if found is not None and reminder.due > now and _history_of_another_day(found, due_iso):
            key = moved_key(key, due_iso[:10])
            found = existing.get((key, notifier))
        seen.add((key, notifier))
        if found is None:
            row = (case_id, key, reminder.kind, notifier, due_iso, due_ts, due_ts, reminder.note)
            inserts.append((*row, stamp))
            continue
        id_, status, reason, current = found
        # Why a row was cancelled says nothing once it is planned again: a revived row drops it
        # (and a planned row that kept one, revived before this was so, drops it now).
        stale = status == "cancelled" or is_cancel_reason(reason)
        if status == "planned" and not stale and current == (reminder.kind, due_iso, reminder.note):
            continue
        # A superseded row was folded into a catch-up message that did go out: it stays
        # history. Other cancelled rows (case closed, then reopened) are wanted again.
        if status == "planned" or (status == "cancelled" and not reason.startswith(SUPERSEDED)):
            # A planned row keeps its last failed attempt's error (its retry is still to come).
            error = None if stale or not reason else reason
            reopened = status == "cancelled" and reason == CASE_CLOSED
            wake_ts = max(due_ts, now_ts) if reopened else due_ts
            updates.append((reminder.kind, due_iso, due_ts, wake_ts, reminder.note, error, stamp, id_))
    cancels = [
        (stamp, id_)
        for pair, (id_, status, _reason, _current) in existing.items()
        if pair not in seen and status == "planned"
    ]
    if inserts:
        conn.executemany(
            "INSERT INTO deliveries (case_id, key, kind, notifier, due, due_ts, wake_ts, status,"
            " attempts, note, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', 0, ?, ?)",
            inserts,
        )
    if updates:
        conn.executemany(
            "UPDATE deliveries SET kind = ?, due = ?, due_ts = ?, wake_ts = ?, note = ?, last_error = ?,"
            " status = 'planned', next_attempt_ts = NULL, updated_at = ? WHERE id = ?",
            updates,
        )
    if cancels:
        conn.executemany(
            f"UPDATE deliveries SET status = 'cancelled', last_error = '{NO_LONGER_PLANNED}', updated_at = ?"
            " WHERE id = ?",
            cancels,
        )
    if (inserts or updates) and wake_daemons:
        notify(store)  # daemons sharing the store look now (a hint: they also look every minute)
    return {"added": len(inserts), "updated": len(updates), "cancelled": len(cancels)}


# What sync_plan compares a case's plan with, per row.
_PLAN_COLUMNS = "case_id, id, key, notifier, status, last_error, kind, due, note"


def _history_of_another_day(
    found: tuple[object, object, str, tuple[object, object, object]], due_iso: str
) -> bool:
    """Whether ``found`` (sync_plan's view of a row) is history — sent, being sent, failed for
    good, or folded into a catch-up that went out — for another day than ``due_iso``'s (both
    are local times of the case's zone, so their first ten characters are its days). Such a
    row is the reminder for a day that is no longer the plan's: the plan's day, still to come,
    gets a row of its own (:func:`~reminder.models.moved_key`). The same day at another hour
    (the reminder hour changed) is the same reminder, and is not sent again."""
    _id, status, reason, (_kind, due, _note) = found
    history = status in ("sent", "sending", "failed") or (
        status == "cancelled" and reason.startswith(SUPERSEDED)
    )
    return history and str(due)[:10] != due_iso[:10]


def rows_by_case(store: Store, case_ids: Sequence[str]) -> dict[str, list[Sequence[object]]]:
    """The outbox rows of many cases in one read, for :func:`sync_plan`'s ``existing_rows``
    (every id given gets a list, empty for a case without rows)."""
    out: dict[str, list[Sequence[object]]] = {case_id: [] for case_id in case_ids}
    for start in range(0, len(case_ids), 500):  # well below SQLite's limit on parameters
        chunk = case_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in store.conn.execute(
            f"SELECT {_PLAN_COLUMNS} FROM deliveries WHERE case_id IN ({marks})", chunk
        ):
            out[str(row[0])].append(row)
    return out


def cancel_case(store: Store, case_id: str, now: datetime, reason: str = CASE_CLOSED) -> int:
    """Cancel every unsent reminder of a case (closing it)."""
    cur = store.conn.execute(
        "UPDATE deliveries SET status = 'cancelled', last_error = ?, updated_at = ?"
        " WHERE case_id = ? AND status = 'planned'",
        (reason, now.isoformat(), case_id),
    )
    return cur.rowcount


def due(store: Store, now: datetime, limit: int | None = None) -> list[Delivery]:
    """Rows whose time has come: planned ones past due or past their retry time, and rows left
    ``sending`` by a process that died mid-send."""
    sql = (
        f"SELECT {_COLUMNS} FROM deliveries WHERE status IN ('planned', 'sending')"
        f" AND wake_ts <= ? AND {_CLAIMABLE} ORDER BY wake_ts, id"
    )
    params: tuple[object, ...] = (_ts(now), _ts(now), process_owner())
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    return [_row_to_delivery(r) for r in store.conn.execute(sql, params)]


# How long a row may have been due before a pass and still count as current rather than missed.
# A running daemon looks at the outbox when a row falls due and at least every
# max_sleep_seconds (60 s by default; the cap also covers a suspend, since the sleep runs on the
# monotonic clock); the margin covers the pass itself (a catch-up of 10,000 e-mails takes
# ~13 s, an SMTP timeout 30 s). A row due longer ago than that fell due while no daemon ran
# (stopped, machine off or asleep): that is what a catch-up folds. Rows due at the same
# minute while the daemon runs are each sent. deliver_due passes max_sleep_seconds + margin.
FOLD_MARGIN = timedelta(minutes=5)
DEFAULT_FOLD_GRACE = timedelta(seconds=60) + FOLD_MARGIN


def due_folded(
    store: Store, now: datetime, *, grace: timedelta = DEFAULT_FOLD_GRACE
) -> list[tuple[Delivery, list[int], list[int], list[int]]]:
    """:func:`due`, folded for sending: per case and notifier, the rows missed while no daemon
    ran, those that fell due while the case was closed, and those whose time had passed when the
    case was added, go into its latest due row (by due time, then key), and every row that is
    still current is sent on its own. Each item is a row to send, and the ids of the rows it
    replaces, by why they were not sent in their time (each message says which): missed while
    no daemon ran, fallen due while the case was closed, due before the case was added; the
    items come in the order :func:`due` gives their groups' first rows. Only the rows sent
    become :class:`Delivery` objects: after a month off, 10,000 of some 60,000 due rows.

    A case added today for a request filed three weeks ago has its opening and its last
    reminders before the deadline in the past: they were never missed by a daemon, running or
    not, and the person's first message must not say reminder was not running.

    A row is missed when the time it should have been acted on (its due time, or its retry
    time after a failure) is more than ``grace`` before ``now``: see :data:`FOLD_MARGIN`.
    A row that fell due while its case was closed is due from the reopening (:func:`sync_plan`):
    all of them come due at once, each as old as its day, and are folded whenever the daemon
    looks, running all along or not — not "missed while reminder was not running".

    A preset's step missed with the rest (``<case>:preset:<n>``, its step in ``note``) is what
    the person should do now: a row sent in its place that is no step itself carries the
    latest such step's note for its message (the row in the database keeps its own).
    """
    # Two reads: the few columns the fold needs for every due row, then whole rows for the
    # ones sent only. Looking the rows up by id in rowid order (the IN subquery)
    # reads the table front to back instead of jumping around it in wake_ts order: 0.40 s
    # instead of 0.65 s for 64,000 due rows.
    groups: dict[tuple[object, object], list[tuple[int, float, float, str, bool]]] = {}
    sql = (
        "SELECT id, case_id, notifier, wake_ts, due_ts, key, next_attempt_ts FROM deliveries WHERE id IN"
        " (SELECT id FROM deliveries WHERE status IN ('planned', 'sending') AND wake_ts <= ?"
        f" AND {_CLAIMABLE})"
    )
    params = (_ts(now), _ts(now), process_owner())
    for id_, case_id, notifier, wake_ts, due_ts, key, retry_ts in store.conn.execute(sql, params):
        # Due after its day with no retry planned: it fell due while its case was closed.
        closed = retry_ts is None and wake_ts > due_ts
        groups.setdefault((case_id, notifier), []).append((id_, wake_ts, due_ts, key, closed))
    missed_before = _ts(now - grace)
    picked: list[tuple[tuple[float, int], tuple[float, int], int, list[tuple[int, float]], list[int]]] = []
    step_of: dict[int, int] = {}  # a row sent -> the missed preset step whose note it carries
    for rows in groups.values():
        first = min((r[1], r[0]) for r in rows)
        if len(rows) == 1:
            picked.append((first, first, rows[0][0], [], []))
            continue
        latest = max(rows, key=lambda r: (r[2], r[3]))
        folded = [r for r in rows if r is not latest and (r[4] or r[1] < missed_before)]
        if preset_step(latest[3]) is None:
            steps = [r for r in folded if preset_step(r[3]) is not None]
            if steps:
                step_of[latest[0]] = max(steps, key=lambda r: (r[2], r[3]))[0]
        missed = [(r[0], r[2]) for r in folded if not r[4]]
        closed = [r[0] for r in folded if r[4]]
        picked.append((first, (latest[1], latest[0]), latest[0], missed, closed))
        picked.extend(
            (first, (r[1], r[0]), r[0], [], [])
            for r in rows
            if r is not latest and not r[4] and r[1] >= missed_before
        )
    picked.sort()
    added = _added_ts(store, {case_id for (case_id, _), rows in groups.items() if len(rows) > 1})
    sent_ids = [row_id for _, _, row_id, _, _ in picked]
    wanted = [*sent_ids, *step_of.values()]  # the missed steps too, for their notes
    full: dict[int, Delivery] = {}
    for start in range(0, len(wanted), 500):  # well below SQLite's limit on parameters
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in store.conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE id IN ({marks})", chunk):
            full[int(row[0])] = _row_to_delivery(row)
    for sent, step in step_of.items():
        if sent in full and full[sent].note is None and step in full and full[step].note:
            full[sent] = replace(full[sent], note=full[step].note)
    # The two reads are separate snapshots: a row deleted in between (its case removed) is skipped.
    out = []
    for _first, _at, row_id, missed, closed in picked:
        if row_id in full:
            since = added.get(full[row_id].case_id, 0.0)
            late = [i for i, due_ts in missed if due_ts < since]
            out.append((full[row_id], [i for i, due_ts in missed if due_ts >= since], closed, late))
    return out


def _added_ts(store: Store, case_ids: set[object]) -> dict[object, float]:
    """When each of these cases was added (epoch seconds): a row due before it was planned late,
    not missed. Read only for the cases with rows to fold, 500 at a time."""
    ids = sorted(map(str, case_ids))
    added: dict[object, float] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for case_id, created_at in store.conn.execute(
            f"SELECT id, created_at FROM cases WHERE id IN ({marks})", chunk
        ):
            added[case_id] = datetime.fromisoformat(str(created_at)).timestamp()
    return added


def next_due_at(store: Store) -> datetime | None:
    """When the next row becomes actionable (None: nothing planned).

    A ``sending`` row under another daemon's lease becomes actionable when the lease
    expires (if that daemon died, this one takes it over then). Two reads, so the planned
    rows' minimum stays one probe of the (status, wake_ts) index; sending rows are few.
    """
    planned = store.conn.execute("SELECT MIN(wake_ts) FROM deliveries WHERE status = 'planned'").fetchone()
    sending = store.conn.execute(
        "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > wake_ts AND lease_owner <> ?"
        " THEN lease_until ELSE wake_ts END) FROM deliveries WHERE status = 'sending'",
        (process_owner(),),
    ).fetchone()
    times = [float(r[0]) for r in (planned, sending) if r is not None and r[0] is not None]
    return datetime.fromtimestamp(min(times), UTC) if times else None


def claim(
    store: Store,
    ids: Sequence[int],
    now: datetime,
    *,
    lease: timedelta = timedelta(0),
    owner: str | None = None,
) -> set[int]:
    """Mark rows ``sending`` under a lease (committed before the notifier is called); returns
    the ids claimed.

    Only rows still ``planned``, or ``sending`` under no live lease of another daemon, are:
    one cancelled or sent since it was read as due (its case closed meanwhile, or another
    daemon got there first) is left alone and not sent. The claim also renews the lease on
    every row this owner still has in flight. On PostgreSQL the rows are locked with
    ``FOR UPDATE SKIP LOCKED``: a row another daemon is claiming at this instant is skipped,
    not waited for.
    """
    owner = owner or process_owner()
    if not ids:
        return set()
    # A zero-length lease (SQLite: one daemon per file) is recorded as none: the claim time
    # would hold the row from a next daemon whose wall clock reads earlier (stepped back),
    # where the pid lock already says the claimer is dead.
    stamp, now_ts = now.isoformat(), _ts(now)
    until = _ts(now + lease) if lease > timedelta(0) else None
    with store.atomic():
        if shared(store):
            live = _claim_shared(store, ids, now_ts, owner)
        else:
            # The unary + keeps SQLite from answering this through deliveries_active, which it
            # otherwise prefers: that walks every planned row (16 ms at 64,000, with the write
            # lock held and other writers waiting) instead of looking up the given ids (0.3 ms).
            live = {
                int(i)
                for (i,) in store.conn.execute(
                    f"SELECT id FROM deliveries WHERE id IN ({', '.join('?' * len(ids))})"
                    f" AND {store.backend.unindexed}status IN ('planned', 'sending') AND {_CLAIMABLE}",
                    (*ids, now_ts, owner),
                )
            }
        if lease > timedelta(0):
            store.conn.execute(
                "UPDATE deliveries SET lease_until = ? WHERE status = 'sending' AND lease_owner = ?",
                (until, owner),
            )
        store.conn.executemany(
            "UPDATE deliveries SET status = 'sending', lease_owner = ?, lease_until = ?, updated_at = ?"
            " WHERE id = ?",
            [(owner, until, stamp, i) for i in ids if i in live],
        )
    return live


def _claim_shared(store: Store, ids: Sequence[int], now_ts: float, owner: str) -> set[int]:
    """The claim's read on PostgreSQL: lock the claimable rows, skipping those another
    transaction has locked (it is claiming them), in id order so two claims never deadlock."""
    marks = ", ".join("?" * len(ids))
    rows = store.conn.execute(
        f"SELECT id FROM deliveries WHERE id IN ({marks}) AND status IN ('planned', 'sending')"
        f" AND {_CLAIMABLE} ORDER BY id FOR UPDATE SKIP LOCKED",
        (*ids, now_ts, owner),
    )
    return {int(i) for (i,) in rows}


def _lost(store: Store, delivery_id: int, owner: str, what: str) -> None:
    """Log that ``owner`` no longer holds the row's lease, so ``what`` was not recorded."""
    row = store.conn.execute(
        "SELECT status, lease_owner FROM deliveries WHERE id = ?", (delivery_id,)
    ).fetchone()
    if row is None:
        return  # its case was deleted meanwhile
    log.warning(
        "reminder #%d: %s not recorded: its lease passed to %s (now %s); this daemon held it too long",
        delivery_id,
        what,
        row[1],
        row[0],
    )


# Whose outcome counts: the lease owner's. NULL: nobody claimed the row since it was last
# settled (or a test records an outcome without a claim).
_OWNED = "(lease_owner IS NULL OR lease_owner = ?)"


def release(store: Store, ids: Sequence[int], now: datetime, *, owner: str | None = None) -> int:
    """Put claimed rows that no notifier was handed back to ``planned`` (a batch stopped early);
    returns how many. Rows this owner no longer holds (taken over) stay as they are."""
    owner = owner or process_owner()
    with store.atomic():
        cur = store.conn.executemany(
            "UPDATE deliveries SET status = 'planned', lease_owner = NULL, lease_until = NULL,"
            f" updated_at = ? WHERE id = ? AND status = 'sending' AND {_OWNED}",
            [(now.isoformat(), i, owner) for i in ids],
        )
        notify(store)  # another daemon may send them before this one passes again
    return max(int(cur.rowcount), 0)


def release_sending(store: Store, now: datetime, *, owner: str | None = None) -> int:
    """Put rows left ``sending`` back to ``planned``: every one, or ``owner``'s only; returns how many.

    For the daemon that abandons a send stuck past its stop. On SQLite it holds the one daemon
    lock, so every such row is its own or was left by a daemon that died; on a shared store it
    passes its ``owner`` and leaves the other daemons' rows alone. Either way a row put back
    was not recorded sent, and ``planned`` says so (the next pass sends it, as it would anyway).
    """
    where, params = "status = 'sending'", [now.isoformat()]
    if owner is not None:
        where, params = "status = 'sending' AND lease_owner = ?", [*params, owner]
    with store.atomic():
        cur = store.conn.execute(
            "UPDATE deliveries SET status = 'planned', lease_owner = NULL, lease_until = NULL,"
            f" updated_at = ? WHERE {where}",
            params,
        )
    return int(cur.rowcount)


def mark_sent(store: Store, delivery_id: int, now: datetime, *, owner: str | None = None) -> bool:
    """Record the row sent, if ``owner`` (this process) still holds its lease; returns whether it did.

    A daemon whose lease expired mid-send and whose row another daemon took over records
    nothing: the row is the other's now, and the message went out twice with one Message-ID.
    """
    # One statement, so no BEGIN IMMEDIATE ... COMMIT around it: outside a transaction it is
    # its own, inside one (a caller's atomic()) it joins it. This runs once per message sent,
    # on the thread that drives the sending: the two extra statements cost ~20 µs each time.
    owner = owner or process_owner()
    stamp = now.isoformat()
    try:
        cur = store.conn.execute(
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL,"
            f" next_attempt_ts = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND {_OWNED}",
            (stamp, stamp, delivery_id, owner),
        )
    except sqlite3.Error as exc:
        raise StoreError(
            _("%(path)s: cannot record a sent reminder: %(error)s", path=store.location, error=exc)
        ) from exc
    if cur.rowcount == 0:
        _lost(store, delivery_id, owner, "sent")
        return False
    return True


def record_failure(
    store: Store,
    delivery_id: int,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    *,
    retryable: bool = True,
    rng: random.Random | None = None,
    owner: str | None = None,
) -> str:
    """Count a failed attempt: schedule a retry with backoff, or mark the row failed.

    Returns the row's new status, or ``"lost"`` when another daemon has taken the row over
    since ``owner`` (this process) claimed it: then nothing is recorded.
    """
    owner = owner or process_owner()
    with store.atomic():
        row = store.conn.execute(
            "SELECT attempts, lease_owner FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        if row is not None and row[1] is not None and row[1] != owner:
            _lost(store, delivery_id, owner, "a failed attempt")
            return "lost"
        attempts = (int(row[0]) if row else 0) + 1
        if not retryable or attempts >= policy.max_attempts:
            store.conn.execute(
                "UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ?,"
                " next_attempt_ts = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
                (attempts, error, now.isoformat(), delivery_id),
            )
            return "failed"
        retry_at = now + timedelta(seconds=backoff_delay(attempts, policy, rng))
        store.conn.execute(
            "UPDATE deliveries SET status = 'planned', attempts = ?, last_error = ?, next_attempt_ts = ?,"
            " wake_ts = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
            (attempts, error, _ts(retry_at), _ts(retry_at), now.isoformat(), delivery_id),
        )
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value"
            " WHERE CAST(excluded.value AS DOUBLE PRECISION) > CAST(meta.value AS DOUBLE PRECISION)",
            (RETRY_HORIZON, repr(_ts(retry_at))),
        )
        return "planned"


def bound_retries(
    store: Store, now: datetime, policy: RetryPolicy, *, rng: random.Random | None = None
) -> int:
    """Plan again, from ``now``, every retry planned further ahead than the policy allows.

    That happens only when the wall clock went back since the retry was planned. Returns
    how many rows moved. Costs one read of ``meta`` when none can have (every pass).
    """
    bound = _ts(now) + longest_delay(policy)
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (RETRY_HORIZON,)).fetchone()
    if row is None:
        return 0
    try:
        if float(row[0]) <= bound:
            return 0
    except ValueError:
        pass  # not a number: look, and write a good one
    stamp = now.isoformat()
    with store.atomic():
        rows = store.conn.execute(
            "SELECT id, attempts FROM deliveries WHERE status = 'planned' AND wake_ts > ?"
            " AND next_attempt_ts > ?",
            (bound, bound),
        ).fetchall()
        for delivery_id, attempts in rows:
            retry_ts = _ts(now + timedelta(seconds=backoff_delay(int(attempts), policy, rng)))
            store.conn.execute(
                "UPDATE deliveries SET next_attempt_ts = ?, wake_ts = ?, updated_at = ? WHERE id = ?",
                (retry_ts, retry_ts, stamp, delivery_id),
            )
        # Every retry now lies within the bound: the horizon comes back to it.
        store.conn.execute("UPDATE meta SET value = ? WHERE key = ?", (repr(bound), RETRY_HORIZON))
    return len(rows)


def supersede_all(
    store: Store, folded: Iterable[tuple[Sequence[int], str]], now: datetime, *, owner: str | None = None
) -> int:
    """Cancel rows folded into a later reminder of their case (catch-up after downtime).

    ``folded`` gives, per case, the ids and the key they were folded into; all go in one
    statement, so a catch-up of 10,000 cases is one write, not 10,000. Rows no longer
    ``planned`` or ``sending``, or being sent under another daemon's lease, are left as they
    are. Returns how many were cancelled.
    """
    owner = owner or process_owner()
    stamp, now_ts = now.isoformat(), _ts(now)
    params = [(f"{SUPERSEDED} by {by_key}", stamp, i, now_ts, owner) for ids, by_key in folded for i in ids]
    if not params:
        return 0
    with store.atomic():
        cur = store.conn.executemany(
            "UPDATE deliveries SET status = 'cancelled', last_error = ?, updated_at = ?"
            f" WHERE id = ? AND status IN ('planned', 'sending') AND {_CLAIMABLE}",
            params,
        )
    return int(cur.rowcount)


def list_deliveries(store: Store, case_id: str) -> list[Delivery]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM deliveries WHERE case_id = ? ORDER BY due_ts, key, notifier", (case_id,)
    )
    return [_row_to_delivery(r) for r in rows]
