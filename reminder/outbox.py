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

A retry's time is fixed when the attempt fails, on the wall clock of that moment. If
that clock was ahead (months, before NTP set it right), the retry would wait as long.
So :func:`bound_retries` runs before each pass: a retry planned further ahead than the
policy's longest delay is planned again from now. To keep an idle pass free of a scan
of every planned row, ``meta.retry_horizon`` holds the latest retry time ever planned;
only when it lies beyond that bound can any row need it.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .errors import StoreError
from .i18n import _
from .models import Delivery, Reminder

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "DEFAULT_FOLD_GRACE",
    "FOLD_MARGIN",
    "RetryPolicy",
    "backoff_delay",
    "bound_retries",
    "cancel_case",
    "claim",
    "counts",
    "due",
    "due_folded",
    "list_deliveries",
    "longest_delay",
    "mark_sent",
    "next_due_at",
    "record_failure",
    "release",
    "release_sending",
    "supersede_all",
    "sync_plan",
]


SUPERSEDED = "superseded"
RETRY_HORIZON = "retry_horizon"  # meta key: the latest retry time planned (epoch seconds)
_JITTER = 0.25


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0


def backoff_delay(attempts: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, with ±25 % jitter.

    The jitter keeps several failing notifiers (or several machines) from
    retrying in lock-step against a server that is just coming back.
    """
    raw = min(policy.max_seconds, policy.base_seconds * 2.0 ** max(0, attempts - 1))
    return float(raw * (rng or random).uniform(1 - _JITTER, 1 + _JITTER))


def longest_delay(policy: RetryPolicy) -> float:
    """The longest wait :func:`backoff_delay` can give, jitter included (seconds)."""
    return policy.max_seconds * (1 + _JITTER)


def _ts(dt: datetime) -> float:
    return dt.timestamp()


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


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
    store: Store, case_id: str, wanted: Iterable[tuple[Reminder, str]], now: datetime
) -> dict[str, int]:
    """Make the outbox match the plan for one case; call inside the case write's transaction.

    ``wanted`` pairs each planned reminder with a notifier name. Sent, sending and
    failed rows are history and stay as they are; planned rows follow the plan
    (new due time), rows the plan dropped are cancelled, and cancelled rows the
    plan wants again (a reopened case) come back as planned. Rows that already
    match are not written at all, so re-planning 100,000 unchanged cases at start-up
    is reads only.
    """
    conn = store.conn
    existing = {
        (key, notifier): (id_, status, reason or "", (kind, due, note))
        for id_, key, notifier, status, reason, kind, due, note in conn.execute(
            "SELECT id, key, notifier, status, last_error, kind, due, note FROM deliveries WHERE case_id = ?",
            (case_id,),
        )
    }
    stamp = now.isoformat()
    seen: set[tuple[str, str]] = set()
    stats = {"added": 0, "updated": 0, "cancelled": 0}
    for reminder, notifier in wanted:
        pair = (reminder.key, notifier)
        seen.add(pair)
        found = existing.get(pair)
        due_iso, due_ts = reminder.due.isoformat(), _ts(reminder.due)
        if found is None:
            conn.execute(
                "INSERT INTO deliveries (case_id, key, kind, notifier, due, due_ts, wake_ts, status,"
                " attempts, note, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', 0, ?, ?)",
                (
                    case_id,
                    reminder.key,
                    reminder.kind,
                    notifier,
                    due_iso,
                    due_ts,
                    due_ts,
                    reminder.note,
                    stamp,
                ),
            )
            stats["added"] += 1
            continue
        id_, status, reason, current = found
        if status == "planned" and current == (reminder.kind, due_iso, reminder.note):
            continue
        # A superseded row was folded into a catch-up message that did go out: it stays
        # history. Other cancelled rows (case closed, then reopened) are wanted again.
        if status == "planned" or (status == "cancelled" and not reason.startswith(SUPERSEDED)):
            conn.execute(
                "UPDATE deliveries SET kind = ?, due = ?, due_ts = ?, wake_ts = ?, note = ?,"
                " status = 'planned', next_attempt_ts = NULL, updated_at = ? WHERE id = ?",
                (reminder.kind, due_iso, due_ts, due_ts, reminder.note, stamp, id_),
            )
            stats["updated"] += 1
    for pair, (id_, status, _reason, _current) in existing.items():
        if pair not in seen and status == "planned":
            conn.execute(
                "UPDATE deliveries SET status = 'cancelled', last_error = 'no longer planned', updated_at = ?"
                " WHERE id = ?",
                (stamp, id_),
            )
            stats["cancelled"] += 1
    return stats


def cancel_case(store: Store, case_id: str, now: datetime, reason: str = "case closed") -> int:
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
        " AND wake_ts <= ? ORDER BY wake_ts, id"
    )
    params: tuple[object, ...] = (_ts(now),)
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
) -> list[tuple[Delivery, list[int]]]:
    """:func:`due`, folded for sending: per case and notifier, the rows missed while no daemon
    ran go into its latest due row (by due time, then key), and every row that is still current
    is sent on its own. Each item is a row to send and the ids of the missed rows it replaces;
    the items come in the order :func:`due` gives their groups' first rows. Only the rows sent
    become :class:`Delivery` objects: after a month off, 10,000 of some 60,000 due rows.

    A row is missed when the time it should have been acted on (its due time, or its retry
    time after a failure) is more than ``grace`` before ``now``: see :data:`FOLD_MARGIN`.
    """
    # Two reads: the few columns the fold needs for every due row, then whole rows for the
    # ones sent only. Looking the rows up by id in rowid order (the IN subquery)
    # reads the table front to back instead of jumping around it in wake_ts order: 0.40 s
    # instead of 0.65 s for 64,000 due rows.
    groups: dict[tuple[object, object], list[tuple[int, float, float, str]]] = {}
    sql = (
        "SELECT id, case_id, notifier, wake_ts, due_ts, key FROM deliveries WHERE id IN"
        " (SELECT id FROM deliveries WHERE status IN ('planned', 'sending') AND wake_ts <= ?)"
    )
    for id_, case_id, notifier, wake_ts, due_ts, key in store.conn.execute(sql, (_ts(now),)):
        groups.setdefault((case_id, notifier), []).append((id_, wake_ts, due_ts, key))
    missed_before = _ts(now - grace)
    picked: list[tuple[tuple[float, int], tuple[float, int], int, list[int]]] = []
    for rows in groups.values():
        first = min((r[1], r[0]) for r in rows)
        if len(rows) == 1:
            picked.append((first, first, rows[0][0], []))
            continue
        latest = max(rows, key=lambda r: (r[2], r[3]))
        earlier = [r[0] for r in rows if r is not latest and r[1] < missed_before]
        picked.append((first, (latest[1], latest[0]), latest[0], earlier))
        picked.extend(
            (first, (r[1], r[0]), r[0], []) for r in rows if r is not latest and r[1] >= missed_before
        )
    picked.sort()
    sent_ids = [row_id for _, _, row_id, _ in picked]
    full: dict[int, Delivery] = {}
    for start in range(0, len(sent_ids), 500):  # well below SQLite's limit on parameters
        chunk = sent_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in store.conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE id IN ({marks})", chunk):
            full[int(row[0])] = _row_to_delivery(row)
    # The two reads are separate snapshots: a row deleted in between (its case removed) is skipped.
    return [(full[row_id], earlier) for _, _, row_id, earlier in picked if row_id in full]


def next_due_at(store: Store) -> datetime | None:
    """When the next row becomes actionable (None: nothing planned)."""
    row = store.conn.execute(
        "SELECT MIN(wake_ts) FROM deliveries WHERE status IN ('planned', 'sending')"
    ).fetchone()
    return None if row is None or row[0] is None else datetime.fromtimestamp(float(row[0]), UTC)


def next_delivery(store: Store) -> tuple[datetime, Delivery] | None:
    """The row that becomes actionable next, and when (:func:`next_due_at`); None: nothing planned.

    A ``sending`` row is being sent, or was left so by a process that died mid-send and goes
    again at the next pass: its wake time is not a time anything happens, so the time given
    is the one it fell due at (not whatever the crash left in ``wake_ts``, such as 1970).
    """
    row = store.conn.execute(
        f"SELECT wake_ts, {_COLUMNS} FROM deliveries WHERE status IN ('planned', 'sending')"
        " ORDER BY wake_ts, id LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    delivery = _row_to_delivery(row[1:])
    if delivery.status == "sending":
        return delivery.due, delivery
    return datetime.fromtimestamp(float(row[0]), UTC), delivery


def claim(store: Store, ids: Sequence[int], now: datetime) -> set[int]:
    """Mark rows ``sending`` (committed before the notifier is called); returns the ids claimed.

    Only rows still ``planned`` or ``sending`` are: one that was cancelled since it was read
    as due (its case closed meanwhile, during a long catch-up) is left alone and not sent.
    """
    with store.atomic():
        # The unary + keeps SQLite from answering this through deliveries_active, which it
        # otherwise prefers: that walks every planned row (16 ms at 64,000, with the write
        # lock held and other writers waiting) instead of looking up the given ids (0.3 ms).
        live = {
            int(i)
            for (i,) in store.conn.execute(
                f"SELECT id FROM deliveries WHERE id IN ({', '.join('?' * len(ids))})"
                f" AND {store.backend.unindexed}status IN ('planned', 'sending')",
                tuple(ids),
            )
        }
        store.conn.executemany(
            "UPDATE deliveries SET status = 'sending', updated_at = ? WHERE id = ?",
            [(now.isoformat(), i) for i in ids if i in live],
        )
    return live


def release(store: Store, ids: Sequence[int], now: datetime) -> None:
    """Put claimed rows that no notifier was handed back to ``planned`` (a batch stopped early)."""
    with store.atomic():
        store.conn.executemany(
            "UPDATE deliveries SET status = 'planned', updated_at = ? WHERE id = ? AND status = 'sending'",
            [(now.isoformat(), i) for i in ids],
        )


def release_sending(store: Store, now: datetime) -> int:
    """Put every row left ``sending`` back to ``planned``; returns how many.

    For the daemon that abandons a send stuck past its stop: it holds the one daemon lock,
    so every such row is its own or was left by a daemon that died. Either way it was not
    recorded sent, and ``planned`` says so (the next start sends it, as it would anyway).
    """
    with store.atomic():
        cur = store.conn.execute(
            "UPDATE deliveries SET status = 'planned', updated_at = ? WHERE status = 'sending'",
            (now.isoformat(),),
        )
    return int(cur.rowcount)


def mark_sent(store: Store, delivery_id: int, now: datetime) -> None:
    # One statement, so no BEGIN IMMEDIATE ... COMMIT around it: outside a transaction it is
    # its own, inside one (a caller's atomic()) it joins it. This runs once per message sent,
    # on the thread that drives the sending: the two extra statements cost ~20 µs each time.
    stamp = now.isoformat()
    try:
        store.conn.execute(
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL,"
            " next_attempt_ts = NULL, updated_at = ? WHERE id = ?",
            (stamp, stamp, delivery_id),
        )
    except sqlite3.Error as exc:
        raise StoreError(
            _("%(path)s: cannot record a sent reminder: %(error)s", path=store.location, error=exc)
        ) from exc


def record_failure(
    store: Store,
    delivery_id: int,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    *,
    retryable: bool = True,
    rng: random.Random | None = None,
) -> str:
    """Count a failed attempt: schedule a retry with backoff, or mark the row failed.

    Returns the row's new status.
    """
    with store.atomic():
        row = store.conn.execute("SELECT attempts FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        attempts = (int(row[0]) if row else 0) + 1
        if not retryable or attempts >= policy.max_attempts:
            store.conn.execute(
                "UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ?,"
                " next_attempt_ts = NULL, updated_at = ? WHERE id = ?",
                (attempts, error, now.isoformat(), delivery_id),
            )
            return "failed"
        retry_at = now + timedelta(seconds=backoff_delay(attempts, policy, rng))
        store.conn.execute(
            "UPDATE deliveries SET status = 'planned', attempts = ?, last_error = ?, next_attempt_ts = ?,"
            " wake_ts = ?, updated_at = ? WHERE id = ?",
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


def supersede_all(store: Store, folded: Iterable[tuple[Sequence[int], str]], now: datetime) -> int:
    """Cancel rows folded into a later reminder of their case (catch-up after downtime).

    ``folded`` gives, per case, the ids and the key they were folded into; all go in one
    statement, so a catch-up of 10,000 cases is one write, not 10,000. Rows no longer
    ``planned`` or ``sending`` are left as they are. Returns how many were cancelled.
    """
    stamp = now.isoformat()
    params = [(f"{SUPERSEDED} by {by_key}", stamp, i) for ids, by_key in folded for i in ids]
    if not params:
        return 0
    with store.atomic():
        cur = store.conn.executemany(
            "UPDATE deliveries SET status = 'cancelled', last_error = ?, updated_at = ?"
            " WHERE id = ? AND status IN ('planned', 'sending')",
            params,
        )
    return int(cur.rowcount)


def list_deliveries(store: Store, case_id: str) -> list[Delivery]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM deliveries WHERE case_id = ? ORDER BY due_ts, key, notifier", (case_id,)
    )
    return [_row_to_delivery(r) for r in rows]


def counts(store: Store) -> dict[str, int]:
    out = {status: 0 for status in ("planned", "sending", "sent", "failed", "cancelled")}
    for status, n in store.conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status"):
        out[str(status)] = int(n)
    return out
