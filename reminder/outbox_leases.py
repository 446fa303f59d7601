"""Leases on the outbox's rows: a daemon claims the rows it is about to send, and only the
daemon that holds a row records how its send went — sent, retried with backoff, failed for
good, or released unsent. The rows, their states and what is due are ``outbox.py``'s.

Leases. A claim records who took the row (``lease_owner``: the daemon's
:func:`~reminder.outbox.process_owner`, host:pid:random) and until when the claim holds
(``lease_until``). While it holds, no other daemon claims the row; once it has expired, a
``sending`` row is due again and the next daemon to claim it takes it over — that is how a
dead daemon's rows are sent. Only the owner records the outcome: :func:`mark_sent`,
:func:`record_failure` and :func:`release` by anyone else (a daemon whose lease expired while
it was still sending, and whose row was since taken over) change nothing and are logged. A
repeat is the same row, so it carries the same key, hence the same e-mail Message-ID. Every
claim also renews the claiming daemon's other leases (a heartbeat per chunk), and so does each
message it sends once a quarter of the lease has passed (:func:`renew`). On SQLite one
daemon runs per database (the pid lock), so :func:`lease_for` gives it a zero-length lease,
recorded as none: a row left ``sending`` is due at once, as it always was, whatever the next
daemon's clock reads. The guarantees and how to size the lease are in the README ("Several
daemons on one database").

A row that failed for good stays ``failed`` until the person, having fixed the cause (a wrong
recipient, a password, a server's policy), asks for it again (:func:`retry_failed`, ``reminder
notify retry``): the same row goes back to ``planned``, so it keeps its key and Message-ID.

A retry's time is fixed when the attempt fails, on the wall clock of that moment. If
that clock was ahead (months, before NTP set it right), the retry would wait as long.
So :func:`bound_retries` runs before each pass: a retry planned further ahead than the
policy's longest delay is planned again from now. To keep an idle pass free of a scan
of every planned row, ``meta.retry_horizon`` holds the latest retry time ever planned;
only when it lies beyond that bound can any row need it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from .errors import InputError, StoreError
from .i18n import _, alternatives
from .lazylog import get_logger
from .outbox import CLAIMABLE, process_owner
from .record import Record, setfield
from .wakeups import notify

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

    from .store import Store

__all__ = [
    "RetryPolicy",
    "RetryReport",
    "backoff_delay",
    "bound_retries",
    "claim",
    "lease_for",
    "longest_delay",
    "mark_sent",
    "record_failure",
    "release",
    "renew",
    "retry_failed",
    "shared",
]


log = get_logger(__name__)

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


def lease_for(store: Store, seconds: float) -> timedelta:
    """The lease a claim takes on ``store``: ``seconds`` on a store several daemons share, zero
    on SQLite, where the pid lock lets one daemon run and a row left ``sending`` by a daemon
    that died is due again at once (the next start sends it), as before leases existed."""
    return timedelta(seconds=seconds) if shared(store) else timedelta(0)


def shared(store: Store) -> bool:
    """Whether several daemons may use ``store`` at once (PostgreSQL; SQLite has the pid lock)."""
    return store.dialect != "sqlite"


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
                    f" AND {store.backend.unindexed}status IN ('planned', 'sending') AND {CLAIMABLE}",
                    (*ids, now_ts, owner),
                )
            }
        if lease > timedelta(0):
            _renew(store, _ts(now + lease), owner)
        store.conn.executemany(
            "UPDATE deliveries SET status = 'sending', lease_owner = ?, lease_until = ?, updated_at = ?"
            " WHERE id = ?",
            [(owner, until, stamp, i) for i in ids if i in live],
        )
    return live


def renew(store: Store, now: datetime, lease: timedelta, *, owner: str | None = None) -> int:
    """Extend to ``now + lease`` the lease on every row ``owner`` (this process) holds ``sending``;
    returns how many. The daemon calls it as it sends, so that a chunk that takes longer to send
    than one lease stays its own while every message goes through in less. A row another daemon
    has taken over is not the owner's any more and stays as it is."""
    owner = owner or process_owner()
    with store.atomic():
        return _renew(store, _ts(now + lease), owner)


def _renew(store: Store, until: float, owner: str) -> int:
    cur = store.conn.execute(
        "UPDATE deliveries SET lease_until = ? WHERE status = 'sending' AND lease_owner = ?", (until, owner)
    )
    return max(int(cur.rowcount), 0)


def _claim_shared(store: Store, ids: Sequence[int], now_ts: float, owner: str) -> set[int]:
    """The claim's read on PostgreSQL: lock the claimable rows, skipping those another
    transaction has locked (it is claiming them), in id order so two claims never deadlock."""
    marks = ", ".join("?" * len(ids))
    rows = store.conn.execute(
        f"SELECT id FROM deliveries WHERE id IN ({marks}) AND status IN ('planned', 'sending')"
        f" AND {CLAIMABLE} ORDER BY id FOR UPDATE SKIP LOCKED",
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


class RetryReport(Record):
    """What :func:`retry_failed` did: ``retried`` rows put back to be sent; rows that failed for
    good and were left so — ``closed``: of closed cases, whose reminders no longer matter;
    ``unconfigured``: of notifiers the config no longer has (nothing could send them)."""

    retried: int
    closed: int
    unconfigured: int

    __slots__ = ("retried", "closed", "unconfigured")

    def __init__(self, retried: int = 0, closed: int = 0, unconfigured: int = 0) -> None:
        setfield(self, "retried", retried)
        setfield(self, "closed", closed)
        setfield(self, "unconfigured", unconfigured)

    def to_dict(self) -> dict[str, int]:
        return {"retried": self.retried, "closed": self.closed, "unconfigured": self.unconfigured}


def retry_failed(
    store: Store,
    now: datetime,
    *,
    case_id: str | None = None,
    notifier: str | None = None,
    labels: Collection[str] | None = None,
) -> RetryReport:
    """Put the reminders that failed for good back to be sent: every one, or those of one case
    (``case_id``: its id or a unique prefix; NotFound for none) or of one notifier (``notifier``,
    its label), and only of open cases. ``labels``: the notifiers configured now (None: any),
    so that a row of one removed from the config, which the daemon could only fail again at
    once, is left failed and counted.

    Each is the same row, so it is sent with the same key (the e-mail Message-ID) as the
    attempts that failed; its attempts start again from 0, so the retry policy applies afresh,
    and its last error stays (``reminder status`` counts it as waiting for a retry) until the
    next attempt replaces it. One ``UPDATE … WHERE status = 'failed'``: two of these at once, or
    a daemon, cannot put a row back twice, nor touch one that is no longer failed. On a shared
    store the daemons are woken at commit (:func:`~reminder.wakeups.notify`); the CLI wakes a
    daemon on SQLite (SIGUSR1) when the command ends.
    """
    chosen: list[tuple[str, object]] = []  # (column, value): which failed rows were asked for
    if case_id is not None:
        chosen.append(("case_id", store.resolve_id(case_id)))
    if notifier is not None:
        known = store.conn.execute("SELECT 1 FROM deliveries WHERE notifier = ? LIMIT 1", (notifier,))
        if known.fetchone() is None and (labels is None or notifier not in labels):
            from .lookalikes import closest

            named = [str(n) for (n,) in store.conn.execute("SELECT DISTINCT notifier FROM deliveries")]
            guesses = closest(notifier, sorted({*named, *(labels or ())}))
            if guesses:
                raise InputError(
                    _(
                        "unknown notifier %(name)s; did you mean %(guesses)s?",
                        name=repr(notifier),
                        guesses=alternatives(guesses),
                    )
                )
            raise InputError(
                _(
                    "unknown notifier %(name)s: neither the config nor any reminder names it",
                    name=repr(notifier),
                )
            )
        chosen.append(("notifier", notifier))
    params = [value for _column, value in chosen]
    asked, asked_d = ("".join(f" AND {t}{column} = ?" for column, _value in chosen) for t in ("", "d."))
    configured = ""
    if labels is not None:
        configured = f" AND notifier IN ({', '.join('?' * len(labels))})" if labels else " AND 1 = 0"
    stamp, now_ts = now.isoformat(), _ts(now)
    with store.atomic():
        # Due now, as a retry after a failed attempt is: next_attempt_ts and wake_ts both ``now``.
        # Not its own due time: a failed row's day is usually long past, and the catch-up fold
        # (outbox.due_folded) would take a row due that long ago for one missed while no daemon
        # ran (or whose day had passed when the case was added) and fold it, so labelled, into a
        # later row of its case. Nor ``now`` with no retry time: a row due after its day with
        # none is how the fold knows one that fell due while its case was closed. As a retry due
        # now it is current: a running daemon, woken at once, sends it on its own. Only if no
        # daemon looks for longer than the fold's grace is it folded, as missed — which it then is.
        cur = store.conn.execute(
            "UPDATE deliveries SET status = 'planned', attempts = 0, next_attempt_ts = ?, wake_ts = ?,"
            " lease_owner = NULL, lease_until = NULL, updated_at = ?"
            f" WHERE status = 'failed'{asked}{configured}"
            " AND case_id IN (SELECT id FROM cases WHERE status = 'open')",
            (now_ts, now_ts, stamp, *params, *(labels or ())),
        )
        retried = max(int(cur.rowcount), 0)
        # What is still failed of what was asked for: of closed cases, or of notifiers gone.
        left = store.conn.execute(
            "SELECT c.status, count(*) FROM deliveries d JOIN cases c ON c.id = d.case_id"
            f" WHERE d.status = 'failed'{asked_d} GROUP BY c.status",
            params,
        ).fetchall()
        if retried:
            notify(store)  # daemons sharing the store look now
    closed = sum(int(n) for status, n in left if status != "open")
    unconfigured = sum(int(n) for status, n in left if status == "open")
    return RetryReport(retried, closed, unconfigured)
