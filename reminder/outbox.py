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

This module keeps the rows following the plan (:func:`sync_plan`: ``add``, ``edit`` and
``close`` call it, so it imports little), says what is due (:func:`due`, :func:`next_due_at`)
and how a catch-up folds it (:func:`due_folded`, :func:`supersede_all`), and puts back what a
stopping daemon left ``sending`` (:func:`release_sending`). A row's send — claimed under a
lease, then recorded sent, retried with backoff, failed or released by the daemon that holds
it — is ``outbox_leases.py``'s. Both read which rows a daemon may take now (:data:`CLAIMABLE`)
and its name on the leases it takes (:func:`process_owner`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from .models import Delivery, Reminder, moved_key, preset_step
from .outbox_summary import counts
from .record import replace
from .wakeups import notify

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "CASE_CLOSED",
    "CLAIMABLE",
    "DEFAULT_FOLD_GRACE",
    "FOLD_MARGIN",
    "NO_LONGER_PLANNED",
    "SUPERSEDED",
    "cancel_case",
    "counts",
    "due",
    "due_folded",
    "is_cancel_reason",
    "list_deliveries",
    "next_due_at",
    "process_owner",
    "release_sending",
    "rows_by_case",
    "supersede_all",
    "sync_plan",
]


# Why a row was cancelled, kept in its last_error (in English: logs and --json read it; the
# command line words it in the user's language, cli_labels.reminder_note). Why a send failed is
# kept there in English too, and read back into the user's language by delivery_errors.py.
SUPERSEDED = "superseded"  # "superseded by <key>": folded into that reminder, which went out
CASE_CLOSED = "case closed"
NO_LONGER_PLANNED = "no longer planned"


def is_cancel_reason(text: str) -> bool:
    """Whether ``text`` (a row's last_error) says why the row was cancelled, not why a send failed."""
    return text in (CASE_CLOSED, NO_LONGER_PLANNED) or text.startswith(f"{SUPERSEDED} by ")


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


# A row can be claimed now: planned, or sending under no lease or one that has expired.
# (The owner's own rows are claimable again too: a pass that stopped early left them.)
# Parameters: now (epoch seconds), the owner. What is due and outbox_leases.claim both ask it.
CLAIMABLE = "(status = 'planned' OR lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)"


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
    daemon. A row's ``planned_ts`` says when its day was last planned: ``now`` for a row added,
    one whose due time moved and one planned again after a cancel; a row whose kind or note
    alone changed keeps its own (its day was planned before), and so does a row already overdue
    that only moves to another hour of its day (:func:`_day_planned_again`). A day already past
    when it was planned (an edit moved the case's dates back, a notifier added for reminders
    whose day had passed) is what tells :func:`due_folded` that row was never missed either.
    A row is written only if its status is still the one read: on a shared store a daemon may
    claim it between this read and the write, and a row being sent is history.
    Rows that already match are not written at all, so re-planning 100,000 unchanged cases at
    start-up is reads only. The writes go as one ``executemany`` each (on PostgreSQL, one round
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
            inserts.append((*row, now_ts, stamp))
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
            # Its day planned now (NULL: as it was) if the day moved or the row comes back.
            again = status == "cancelled" or _day_planned_again(current[1], due_iso, now_ts)
            planned = now_ts if again else None
            updates.append(
                (reminder.kind, due_iso, due_ts, wake_ts, reminder.note, error, planned, stamp, id_, status)
            )
    cancels = [
        (stamp, id_)
        for pair, (id_, status, _reason, _current) in existing.items()
        if pair not in seen and status == "planned"
    ]
    if inserts:
        conn.executemany(
            "INSERT INTO deliveries (case_id, key, kind, notifier, due, due_ts, wake_ts, status,"
            " attempts, note, planned_ts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', 0, ?, ?, ?)",
            inserts,
        )
    if updates:
        conn.executemany(
            "UPDATE deliveries SET kind = ?, due = ?, due_ts = ?, wake_ts = ?, note = ?, last_error = ?,"
            " status = 'planned', next_attempt_ts = NULL, planned_ts = COALESCE(?, planned_ts),"
            " updated_at = ? WHERE id = ? AND status = ?",
            updates,
        )
    if cancels:
        conn.executemany(
            f"UPDATE deliveries SET status = 'cancelled', last_error = '{NO_LONGER_PLANNED}', updated_at = ?"
            " WHERE id = ? AND status = 'planned'",
            cancels,
        )
    if (inserts or updates) and wake_daemons:
        notify(store)  # daemons sharing the store look now (a hint: they also look every minute)
    return {"added": len(inserts), "updated": len(updates), "cancelled": len(cancels)}


# What sync_plan compares a case's plan with, per row.
_PLAN_COLUMNS = "case_id, id, key, notifier, status, last_error, kind, due, note"


def _day_planned_again(old_due: object, due_iso: str, now_ts: float) -> bool:
    """Whether a planned row moved from ``old_due`` to ``due_iso`` (ISO local times of its case's
    zone) has its day planned again (:func:`sync_plan` stamps its ``planned_ts``): when its due
    time moved, unless the row was overdue already and keeps its day. The reminder hour changed
    while no daemon ran, the daemon that starts re-plans the reminders it missed to another hour
    of their days: their days were planned in their time, and they were missed, not planned late
    (:func:`_why_folded`)."""
    old = str(old_due)
    if old == due_iso:
        return False
    return old[:10] != due_iso[:10] or datetime.fromisoformat(old).timestamp() > now_ts


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
        f" AND wake_ts <= ? AND {CLAIMABLE} ORDER BY wake_ts, id"
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


# The rows a catch-up folds that were not due while the case was closed: (id, due_ts, planned_ts).
_Missed = list[tuple[int, float, float | None]]


def due_folded(
    store: Store, now: datetime, *, grace: timedelta = DEFAULT_FOLD_GRACE
) -> list[tuple[Delivery, list[int], list[int], list[int], list[int], list[int]]]:
    """:func:`due`, folded for sending: per case and notifier, the rows missed while no daemon
    ran, those that fell due while the case was closed, and those whose time had passed when the
    case was added or changed or when they were otherwise planned, go into its latest due row (by
    due time, then key), and every row that is still current is sent on its own. Each item is a
    row to send, and the ids of the rows it replaces, by why they were not sent in their time
    (each message says which): missed while no daemon ran, fallen due while the case was closed,
    due before the case was added, due before the change of the case that planned them, due
    before a re-plan that no change of the case made planned them; the items come in the order
    :func:`due` gives their groups' first rows. Only the rows sent become :class:`Delivery`
    objects: after a month off, 10,000 of some 60,000 due rows.

    A case added today for a request filed three weeks ago has its opening and its last
    reminders before the deadline in the past: they were never missed by a daemon, running or
    not, and the person's first message must not say reminder was not running. Nor must the
    message after an edit that moved a case's days back (its submission date corrected, its
    window shortened), nor the one after the daemon's re-plan of every case gave a notifier just
    configured the reminders whose day had passed: a row planned after its day (its
    ``planned_ts``, :func:`sync_plan`) was late from the start (:func:`_why_folded` says how).

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
    groups: dict[tuple[object, object], list[tuple[int, float, float, str, bool, float | None]]] = {}
    sql = (
        "SELECT id, case_id, notifier, wake_ts, due_ts, key, next_attempt_ts, planned_ts FROM deliveries"
        " WHERE id IN (SELECT id FROM deliveries WHERE status IN ('planned', 'sending') AND wake_ts <= ?"
        f" AND {CLAIMABLE})"
    )
    params = (_ts(now), _ts(now), process_owner())
    for id_, case_id, notifier, wake_ts, due_ts, key, retry_ts, planned in store.conn.execute(sql, params):
        # Due after its day with no retry planned: it fell due while its case was closed.
        closed = retry_ts is None and wake_ts > due_ts
        groups.setdefault((case_id, notifier), []).append((id_, wake_ts, due_ts, key, closed, planned))
    missed_before = _ts(now - grace)
    picked: list[tuple[tuple[float, int], tuple[float, int], int, _Missed, list[int]]] = []
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
        missed = [(r[0], r[2], r[5]) for r in folded if not r[4]]
        closed = [r[0] for r in folded if r[4]]
        picked.append((first, (latest[1], latest[0]), latest[0], missed, closed))
        picked.extend(
            (first, (r[1], r[0]), r[0], [], [])
            for r in rows
            if r is not latest and not r[4] and r[1] >= missed_before
        )
    picked.sort()
    times = _case_times(store, {case_id for (case_id, _), rows in groups.items() if len(rows) > 1})
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
            added, changed = times.get(full[row_id].case_id, (0.0, 0.0))
            why: tuple[list[int], ...] = ([], [], [], [])  # _MISSED, _ADDED, _CHANGED, _PLANNED
            for i, due_ts, planned in missed:
                why[_why_folded(due_ts, planned, added, changed)].append(i)
            out.append((full[row_id], why[_MISSED], closed, why[_ADDED], why[_CHANGED], why[_PLANNED]))
    return out


# Why a row folded into a catch-up was not sent in its time (:func:`_why_folded`).
_MISSED = 0  # it fell due while no daemon ran
_ADDED = 1  # its day had passed when the case was added
_CHANGED = 2  # its day had passed when a change of the case planned it there
_PLANNED = 3  # its day had passed when a re-plan that no change of the case made planned it there


def _why_folded(due_ts: float, planned_ts: float | None, added: float, changed: float) -> int:
    """Why a row folded into a catch-up (and not due while its case was closed) was not sent in
    its time: its day had passed when it was planned, as the case was added (:data:`_ADDED`), by
    a later change of the case (:data:`_CHANGED`: its submission date, window or kind edited),
    or by a re-plan no change of the case made (:data:`_PLANNED`); or it fell due while no
    daemon ran (:data:`_MISSED`).

    ``added`` and ``changed`` are the case's ``created_at`` and ``updated_at`` (epoch seconds); a
    command plans a case's rows with the same ``now`` it stamps the case with. A row planned
    after the case's last change was planned by the daemon's re-plan of every open case (at its
    start or on SIGHUP, when something a plan depends on besides the case changed: the config —
    a notifier added or given more kinds, another reminder hour, closures, presets —, reminder's
    version or the rules of its plans, the holiday data), or by ``refresh_windows``: the daemon
    may have run all along, and "when the case was changed" would not be true of it either. A
    row whose planning time is unknown (NULL: planned before m012) is told apart as before: due
    before the case was added, or else missed.
    """
    if planned_ts is not None and planned_ts > due_ts:
        if planned_ts <= added:
            return _ADDED
        if planned_ts <= changed:
            return _CHANGED
        return _PLANNED
    return _ADDED if due_ts < added else _MISSED


def _case_times(store: Store, case_ids: set[object]) -> dict[object, tuple[float, float]]:
    """When each of these cases was added and last changed (epoch seconds), for
    :func:`_why_folded`. Read only for the cases with rows to fold, 500 at a time."""
    ids = sorted(map(str, case_ids))
    found: dict[object, tuple[float, float]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for case_id, created_at, updated_at in store.conn.execute(
            f"SELECT id, created_at, updated_at FROM cases WHERE id IN ({marks})", chunk
        ):
            found[case_id] = (
                datetime.fromisoformat(str(created_at)).timestamp(),
                datetime.fromisoformat(str(updated_at)).timestamp(),
            )
    return found


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
            f" WHERE id = ? AND status IN ('planned', 'sending') AND {CLAIMABLE}",
            params,
        )
    return int(cur.rowcount)


def list_deliveries(store: Store, case_id: str) -> list[Delivery]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM deliveries WHERE case_id = ? ORDER BY due_ts, key, notifier", (case_id,)
    )
    return [_row_to_delivery(r) for r in rows]
