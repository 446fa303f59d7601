"""Daemons sharing a PostgreSQL store: wake-ups through LISTEN/NOTIFY, and the lock for chores.

Wake-ups. Whoever plans or changes outbox rows on a shared store (the CLI adding a case on
one machine, a daemon putting rows back) sends ``NOTIFY reminder_outbox`` in the same
transaction (:func:`notify`); PostgreSQL delivers it at commit, to every daemon listening,
on every machine. A command that changed anything else (a case renamed or closed: each
daemon's calendar file shows it) sends one when it ends (``cli/common.py``). A notification
is a hint only: it makes a daemon look sooner, never decides what is due (the outbox does),
and a lost one costs at most the daemon's capped sleep (``[daemon] max_sleep_seconds``),
which stays. :class:`Listener` runs on a thread of
its own with a connection of its own and reconnects after losing it (a server restart).

Chores. Re-planning every open case and the hourly housekeeping need doing once, not once per
daemon: :func:`chores_lock` takes a session-level advisory lock without waiting, and the
daemon that gets it does them; the others leave them asked for, and try again next pass.
A connection lost mid-chore releases the lock with it.

On SQLite none of this is used: one daemon per database (the pid lock), and the CLI wakes it
with SIGUSR1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from .lazylog import get_logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .store import Store

__all__ = ["CHANNEL", "CHORES_LOCK", "Listener", "chores_lock", "notify"]

log = get_logger(__name__)

CHANNEL = "reminder_outbox"
# pg_try_advisory_lock's key for re-plans and housekeeping: any constant, the same in every
# reminder, and not the migrations' (backends/postgres.py MIGRATION_LOCK, "reminder").
CHORES_LOCK = 0x72656D696E646573  # "remindes"
# How long one wait for notifications lasts before the listener checks whether to stop.
POLL_SECONDS = 1.0
# After the connection is lost: wait this long before connecting again.
RECONNECT_SECONDS = 2.0
# After the server refused the connection: wait this long, then twice as long each time (up to
# store_refusal.REFUSED_RETRY_MAX_SECONDS), as the daemon's passes do (daemon_store.py's
# STORE_RETRY_SECONDS, not imported: that module imports this one through outbox.py).
REFUSED_FIRST_SECONDS = 30.0


def notify(store: Store) -> None:
    """Tell every daemon on a shared store that outbox rows changed (at commit); a no-op on SQLite."""
    if store.dialect != "sqlite":
        store.conn.execute(f"NOTIFY {CHANNEL}")


@contextlib.contextmanager
def chores_lock(store: Store) -> Iterator[bool]:
    """Yield whether this daemon holds the chores lock for the block (always True on SQLite,
    where the pid lock already makes it the only daemon)."""
    if store.dialect == "sqlite":
        yield True
        return
    (held,) = store.conn.execute("SELECT pg_try_advisory_lock(?)", (CHORES_LOCK,)).fetchone()
    try:
        yield bool(held)
    finally:
        if held:
            # The connection may be gone (then so is the lock): nothing to release.
            with contextlib.suppress(Exception):
                store.conn.execute("SELECT pg_advisory_unlock(?)", (CHORES_LOCK,))


def _pause(seconds: float) -> None:
    # As pidlock.py's: select() rather than time.sleep, which libfaketime can break.
    import select

    with contextlib.suppress(OSError, ValueError):
        select.select([], [], [], seconds)


class Listener:
    """A thread that calls ``wake()`` for every notification on :data:`CHANNEL`.

    ``connect`` returns a new psycopg connection in autocommit mode (the store backend's, made
    from the settings as they are then: a ``password_file`` rotated, or a reload, takes effect at
    the next connection, as for the daemon's passes); ``describe`` words a driver's error for the
    log (the backend's: one line, no password). A server that refuses the connection
    (``StoreRefused``: a password being changed) is tried again as the passes try it, 30 s after
    the first refusal, then twice as long each time up to 5 minutes, not every
    :data:`RECONNECT_SECONDS` (a failed login in the server's log each time); :meth:`retry_now`
    (the daemon's SIGHUP) cuts that wait short. :meth:`reconnect` (a reload that moved the daemon
    to another database) drops the connection it listens on and connects again, from the settings
    as they are now; once it listens there, it wakes the daemon for what changed meanwhile.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        wake: Callable[[], None],
        describe: Callable[[BaseException], str] = str,
    ) -> None:
        import threading  # the daemon's, on PostgreSQL: the CLI only notifies

        self._connect = connect
        self._wake = wake
        self._describe = describe
        self._stop = threading.Event()
        self._retry = threading.Event()
        self._moved = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reminder-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = POLL_SECONDS * 2) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def retry_now(self) -> None:
        """Connect at once if waiting after a refusal (the operator says the change is done)."""
        self._retry.set()

    def reconnect(self) -> None:
        """Listen on the database the settings name now: the daemon moved to another one."""
        self._moved.set()
        self._retry.set()

    def _wait(self, seconds: float) -> None:
        """Wait ``seconds`` on the monotonic clock, less if asked to stop or to retry now."""
        import time

        until = time.monotonic() + seconds
        while not self._stop.is_set() and not self._retry.is_set():
            left = until - time.monotonic()
            if left <= 0:
                break
            _pause(min(left, POLL_SECONDS))
        self._retry.clear()

    def _run(self) -> None:
        from .errors import StoreRefused

        lost = False
        refusals = 0
        moved = False
        while not self._stop.is_set():
            self._retry.clear()
            # Cleared before the settings are read: a move after this reconnects once more.
            moved = self._moved.is_set() or moved
            self._moved.clear()
            try:
                conn = self._connect()
            except StoreRefused as exc:  # an operator at work: as the passes, not every 2 s
                from .store_refusal import refusal_delay

                refusals += 1
                delay = refusal_delay(refusals, REFUSED_FIRST_SECONDS)
                if refusals == 1:
                    log.warning(
                        "the database refused the connection listening for outbox changes (%s); "
                        "trying again in %.0f s, then less often (SIGHUP tries at once)",
                        self._describe(exc),
                        delay,
                    )
                lost = True
                self._wait(delay)
                continue
            except Exception as exc:  # the server is down: the capped sleep covers the gap
                if not lost:
                    log.warning("cannot listen for outbox changes (%s); retrying", self._describe(exc))
                lost = True
                _pause(RECONNECT_SECONDS)
                continue
            try:
                refusals = 0
                conn.execute(f"LISTEN {CHANNEL}")
                if moved:
                    log.info("listening for outbox changes on the database the config now names")
                elif lost:
                    log.info("listening for outbox changes again")
                if moved or lost:
                    self._wake()  # whatever changed while we were deaf
                lost = moved = False
                while not self._stop.is_set() and not self._moved.is_set():
                    # One notification is enough to look: the pass sees every change committed.
                    for _ in conn.notifies(timeout=POLL_SECONDS, stop_after=1):
                        self._wake()
            except Exception as exc:
                if not self._stop.is_set():
                    log.warning(
                        "lost the connection listening for outbox changes (%s); reconnecting",
                        self._describe(exc),
                    )
                lost = True
            finally:
                with contextlib.suppress(Exception):
                    conn.close()
