"""The outbox in summary, for ``reminder status``: the next reminder due, the rows by status, those
waiting for a retry and who holds those being sent.

Read in a few probes of an index and returned as plain values: a status bar polls ``reminder status``,
and building the outbox's ``Delivery`` and the case's ``Case`` for five of their fields (and
importing the models that define them) was a sixth of the command.
"""

from __future__ import annotations

from datetime import UTC, datetime

TYPE_CHECKING = False  # not typing's: a status bar polls this command, and typing costs it ~2 ms
if TYPE_CHECKING:
    from .store import Store

__all__ = ["NextReminder", "case_leases", "counts", "failed_open", "holders", "next_reminder", "retrying"]


class NextReminder:
    """The outbox row that becomes actionable next, with its case's title and time zone.

    (A plain class, not a NamedTuple: that needs typing, for a value read by attribute.)"""

    __slots__ = (
        "at",
        "case_id",
        "key",
        "kind",
        "lease_owner",
        "lease_until",
        "notifier",
        "preset",
        "status",
        "timezone",
        "title",
    )

    def __init__(
        self,
        at: datetime,
        case_id: str,
        kind: str,
        notifier: str,
        status: str,
        title: str,
        timezone: str,
        key: str = "",
        preset: str | None = None,
        lease_owner: str | None = None,
        lease_until: float | None = None,
    ) -> None:
        self.at = at  # UTC
        self.case_id = case_id
        self.kind = kind
        self.key = key  # the plan's key: "<case>:preset:<n>" for a preset's step
        self.preset = preset  # the case's escalation preset
        self.notifier = notifier
        self.status = status  # "planned", or "sending": in flight, or left so by a crash
        self.title = title
        self.timezone = timezone
        # A ``sending`` row's holder (host:pid:tag; None: none recorded) and when its lease ends
        # (epoch seconds; None: no lease, as on SQLite, where one daemon runs per file).
        self.lease_owner = lease_owner
        self.lease_until = lease_until


def next_reminder(store: Store) -> NextReminder | None:
    """The row that becomes actionable next, and when; None: nothing planned.

    A ``sending`` row is being sent, or was left so by a process that died mid-send and goes
    again at the next pass: its wake time is not a time anything happens, so the time given
    is the one it fell due at (not whatever the crash left in ``wake_ts``, such as 1970).
    """
    # The first row of each status in the (status, wake_ts) index's own order (whose last
    # column is the id): a probe each, where one query over both statuses sorts every planned row.
    firsts = []
    for status in ("planned", "sending"):
        sql = "SELECT wake_ts, id FROM deliveries WHERE status = ? ORDER BY wake_ts, id LIMIT 1"
        row = store.conn.execute(sql, (status,)).fetchone()
        if row is not None:
            firsts.append((float(row[0]), int(row[1])))
    if not firsts:
        return None
    first_id = min(firsts)[1]
    row = store.conn.execute(
        "SELECT d.wake_ts, d.due, d.case_id, d.kind, d.notifier, d.status, c.title, c.timezone, d.key,"
        " c.preset, d.lease_owner, d.lease_until"
        " FROM deliveries d JOIN cases c ON c.id = d.case_id WHERE d.id = ?",
        (first_id,),
    ).fetchone()
    if row is None:  # its case was removed between the two reads
        return None
    wake_ts, due, case_id, kind, notifier, status, title, timezone, key, preset, owner, until = row
    at = (
        datetime.fromisoformat(str(due))
        if status == "sending"
        else datetime.fromtimestamp(float(wake_ts), UTC)
    )
    sending = status == "sending"
    return NextReminder(
        at,
        str(case_id),
        str(kind),
        str(notifier),
        str(status),
        str(title),
        str(timezone),
        str(key),
        preset,
        str(owner) if sending and owner else None,
        float(until) if sending and until is not None else None,
    )


def counts(store: Store) -> dict[str, int]:
    """How many outbox rows are in each status (every status named, 0 when none)."""
    out = {status: 0 for status in ("planned", "sending", "sent", "failed", "cancelled")}
    # SQLite's triggers keep the counts (its m010); PostgreSQL counts the rows (its m010 says why).
    for status, n in store.conn.execute(store.backend.status_counts):
        out[str(status)] = int(n)
    return out


def failed_open(store: Store) -> int:
    """How many reminders of open cases failed for good: those ``reminder notify retry`` sends
    again. A closed case's failed rows stay failed, and nothing is to be done about them. Failed
    rows are read through the (status, wake_ts) index, each case by its key."""
    (n,) = store.conn.execute(
        "SELECT count(*) FROM deliveries d JOIN cases c ON c.id = d.case_id"
        " WHERE d.status = 'failed' AND c.status = 'open'"
    ).fetchone()
    return int(n)


def holders(store: Store) -> list[tuple[str, int, float | None]]:
    """Who holds the ``sending`` rows: each holder (``host:pid:tag``, as on its leases), how many
    it holds and when the last of its leases ends (epoch seconds; None: no lease, SQLite). Rows
    with no holder recorded (left by a reminder before leases) are not counted. Sending rows are
    few (a daemon's chunk each), read through the (status, wake_ts) index."""
    rows = store.conn.execute(
        "SELECT lease_owner, count(*), max(lease_until) FROM deliveries"
        " WHERE status = 'sending' AND lease_owner IS NOT NULL GROUP BY lease_owner ORDER BY lease_owner"
    ).fetchall()
    return [(str(owner), int(n), None if until is None else float(until)) for owner, n, until in rows]


def case_leases(store: Store, case_id: str) -> list[tuple[str, str, str | None, float | None]]:
    """The case's ``sending`` rows, for ``reminder show``: each one's key, notifier, holder
    (``host:pid:tag``; None: none recorded) and lease end (epoch seconds; None: no lease, SQLite)."""
    rows = store.conn.execute(
        "SELECT key, notifier, lease_owner, lease_until FROM deliveries"
        " WHERE case_id = ? AND status = 'sending'",
        (case_id,),
    ).fetchall()
    return [
        (str(key), str(notifier), str(owner) if owner else None, None if until is None else float(until))
        for key, notifier, owner, until in rows
    ]


def retrying(store: Store) -> dict[str, object]:
    """The reminders waiting for a retry after a failed send, and the latest failure: its error
    (as ``reminder show`` gives it: the notifiers name the problem, never a secret), notifier,
    case and time (UTC). ``error``, ``notifier``, ``case`` and ``at`` are None when none waits.

    They are ``planned`` rows, counted in ``counts`` as such; both reads stay in their own
    partial index (m011), which holds only them, not the planned rows still to come."""
    from .backends import RETRYING

    (n,) = store.conn.execute(f"SELECT count(*) FROM deliveries WHERE {RETRYING}").fetchone()
    latest = store.conn.execute(
        f"SELECT last_error, notifier, case_id, updated_at FROM deliveries WHERE {RETRYING}"
        " ORDER BY updated_at DESC LIMIT 1"
    ).fetchone()
    error, notifier, case_id, at = latest if latest is not None else (None, None, None, None)
    return {
        "count": int(n),
        "error": None if error is None else str(error),
        "notifier": None if notifier is None else str(notifier),
        "case": None if case_id is None else str(case_id),
        "at": None if at is None else str(at),
    }
