"""The daemon's store: one kept open for every pass, checked before each use, and what a refusal means.

Opening a store (WAL mode, PRAGMAs, the schema check) costs more CPU than a whole idle pass, so the
passes share one, kept open (:class:`KeptStore`); after an error it is dropped, and the next pass
opens a fresh one.

Before each use the daemon checks that its open store still sees the database file at its path
(``Store.lost``): a daemon that kept sending from a deleted or replaced file would look alive to
``reminder status`` while never seeing a case the CLI adds. If the file was deleted or replaced, or
its ``-wal``/``-shm`` deleted while open, the pass raises ``StoreLost`` and the daemon logs why and
exits with ``EXIT_STORE_LOST`` (daemon_stop.py) for systemd to start a fresh one, rather than keep
running blind. And it checks that the schema is still one this code knows
(``Store.check_schema``, one cheap read): a newer reminder, installed while this daemon runs,
migrates the database when it first opens it, and old code working on a schema it does not know
could write what the new code misreads. The pass raises ``NewerSchema`` before it sends anything,
and the daemon stops with ``EXIT_SCHEMA_UPGRADED`` (daemon_stop.py), for the service to restart
it with the new code.

A server that cannot be reached, or is restarting, comes back: the daemon waits for it. One that
answers and refuses (a wrong password, no such database, a right this role lacks: SQLSTATE 42501)
does not, nor does a database a newer reminder upgraded (``NewerSchema``, SQLite's file too):
before the daemon has ever connected that is a config error, exit 2; after, a refusal is an
operator at work, tried again at a growing interval (store_refusal.py), and a newer schema stops
the daemon, as above. At start the daemon opens its store
before it says READY, on either backend (:meth:`KeptStore.connect_first`); a refusal met later by
a daemon that never connected ends it from the pass (daemon_stop.py). SIGHUP tries at once (and
``password_file`` is read again, as for every connection).

A SIGHUP whose config names another store (``[store] url``, or ``path``: its directory holds the
daemon's lock) moves the daemon whole, or not at all (:meth:`KeptStore.move`): the new store is
opened and its lock taken while the old ones are still held, and only then let go of; the
connection the daemon listens on for other processes' changes follows (wakeups.py). Half a move
left a daemon partly blind: its passes on the new store, but its listener on the old database, or
its lock beside the old file, where neither the CLI's wake-up nor ``reminder status`` looks, and
where a second daemon could start on the new file beside it. A store that cannot be opened, or
whose lock another daemon holds, is refused as a broken edit is: the daemon keeps its settings.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .daemon_stop import exit_lost, exit_refused
from .errors import ConfigError, ReminderError, StoreConflict, StoreError, StoreLost, StoreRefused

if TYPE_CHECKING:
    from .config import Settings
    from .notifiers import Notifier
    from .pidlock import PidLock
    from .store import Store
    from .wakeups import Listener

__all__ = [
    "CONFLICT_RETRY_SECONDS",
    "FIRST_RETRY_SECONDS",
    "STORE_RETRY_SECONDS",
    "KeptStore",
    "close_notifiers",
    "describe",
    "follow",
    "listener_for",
    "name_connections_for",
    "pid_lock_for",
    "store_where",
]

log = logging.getLogger(__name__)

# A failing store (disk full, locked too long) is retried after this long rather than spinning.
STORE_RETRY_SECONDS = 30.0
# A shared store's first failed pass in a row is retried this soon: after a server restart, the
# pass that finds the connection it kept dead fails, and the next one, on a fresh connection, goes
# through; waiting 30 s for it only held back what was due (the server coming back woke the daemon).
FIRST_RETRY_SECONDS = 2.0
# A pass the server aborted as a deadlock or a serialization failure with another process's
# (StoreConflict) is run again this soon, every time: the connection is fine and the other
# transaction went through; nor is it counted as a failed pass (which would wait 30 s next time).
CONFLICT_RETRY_SECONDS = FIRST_RETRY_SECONDS
# A shared store's daemon whose clock differs from the server's by more than this says so: leases
# are wall-clock times, read by every machine (NTP keeps clocks within milliseconds).
CLOCK_SKEW_WARN_SECONDS = 5.0


class KeptStore:
    """The store every pass shares, kept open between them (:meth:`use`)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        # The daemon's clock, compared with a shared store's server's at each connection.
        self._clock = clock
        self.store: Store | None = None
        # Whether a store was ever opened (a shared store's refusal is a config error until then),
        # and the refusals in a row since the last pass that went through: not since the last
        # connection, which a right revoked (42501 on a table) lets through before it refuses.
        self.connected = False
        self.refusals = 0

    @contextlib.contextmanager
    def use(self, settings: Settings) -> Iterator[Store]:
        """The open store, opened first if need be; checked before it is yielded (``Store.lost``;
        and a store kept open, ``Store.check_schema``), and dropped if that check or the block
        fails (but for a conflict, StoreConflict: the server's connection is as good as before)."""
        where = store_where(settings)
        if self.store is not None and (self.store.path, self.store.url) != where:
            self.close(where[0])  # not the store the settings name (a move installs that one)
        kept = self.store is not None
        if self.store is None:
            self.store = self._open(settings)
            self.connected = True
        lost = self.store.lost()
        if lost is not None:
            raise StoreLost(lost)
        try:
            if kept:
                self.store.check_schema()  # NewerSchema: a newer reminder migrated it meanwhile
            yield self.store
        except StoreConflict:
            # The server rolled the transaction back and the connection is fine: kept, unless
            # the conflict left it inside a transaction (then a fresh one is surer).
            if self.store is not None and self.store.conn.in_transaction:
                self.close(where[0])
            raise
        except BaseException:
            self.close(where[0])
            raise

    def _open(self, settings: Settings) -> Store:
        from .store import open_store

        store = open_store(settings, any_thread=True)  # its schema checked as it opens
        if self._clock is not None and store.dialect != "sqlite":
            warn_of_clock_skew(store, self._clock)
        return store

    def move(self, old: Settings, new: Settings, lock: PidLock | None) -> PidLock:
        """Move to the store ``new`` names, from ``old``'s, whose lock is ``lock``: open the new store
        and take its lock first, then let go of the old ones. Returns the lock now held.

        Raises the ReminderError that stopped it (the new store cannot be opened, or is refused;
        another daemon holds its lock): then nothing changed, the old store and lock still held.
        """
        fresh = pid_lock_for(new)
        keep = lock is not None and fresh.path == lock.path  # the same directory, the same backend
        name_connections_for(new)  # before the new store's first connection
        try:
            if not keep:
                fresh.acquire()
            try:
                store = self._open(new)
            except BaseException:
                if not keep:
                    fresh.release()
                raise
        except BaseException:
            name_connections_for(old)
            raise
        self.close(store_where(new)[0])  # a store lost meanwhile ends the daemon: the next opens this
        self.store, self.connected, self.refusals = store, True, 0
        if keep:
            assert lock is not None
            return lock
        if lock is not None:
            lock.release()
        return fresh

    def close(self, path: Path) -> None:
        """Close the open store, if any; when it was lost, end the process instead (closing it could
        delete the live file's log), saying that a fresh daemon opens the file at ``path``."""
        if self.store is not None:
            store, self.store = self.store, None
            lost = store.lost()
            if lost is not None:
                exit_lost(lost, path)
            with contextlib.suppress(Exception):
                store.close()

    def connect_first(self, settings: Settings) -> bool:
        """Open the store before READY: a refusal (a newer schema too, on SQLite as well) raises
        its ConfigError (exit 2); a server that cannot be reached is waited for, and a SQLite file
        that cannot be opened now (locked) is tried again as a failed pass would be. Returns
        whether the first pass may run now."""
        try:
            with self.use(settings):
                return True
        except StoreRefused as exc:
            raise refused(settings, exc) from None
        except ConfigError:
            raise  # a password_env not set, a password_file that cannot be read
        except ReminderError as exc:
            if settings.store.url is not None:
                log.warning(
                    "cannot reach the database yet (%s); waiting for it: trying again every %.0f s",
                    exc,
                    STORE_RETRY_SECONDS,
                )
            else:
                log.error("cannot open the database, retrying in %.0f s: %s", STORE_RETRY_SECONDS, exc)
        except Exception:
            log.exception("cannot open the database; waiting: trying again every %.0f s", STORE_RETRY_SECONDS)
        return False

    def went_through(self) -> None:
        """A pass went through: the next refusal is the first in a row again."""
        self.refusals = 0

    def refused_again(
        self, exc: StoreRefused, settings: Settings, clock: Callable[[], datetime], lock: PidLock | None
    ) -> datetime:
        """When to try again after a refusal in a pass; a daemon that never connected exits 2
        (``lock``, its pid lock, released). Not for a newer schema met after connecting: the
        daemon stops for that (daemon_stop.py)."""
        if not self.connected:
            exit_refused(refused(settings, exc), lock)
        from .store_refusal import refusal_delay

        self.refusals += 1
        delay = refusal_delay(self.refusals, STORE_RETRY_SECONDS)
        env = settings.store.password_env
        if exc.sqlstate == "42501":
            why = "its rights being changed? SIGHUP tries at once"
        elif exc.sqlstate == "28P01" and env:
            # The variable is this process's: neither a SIGHUP nor any wait gives it the new value.
            why = (
                f"a password being changed? [store] password_env {env} is read when the daemon starts:"
                " restart it with the new password (a password_file is read again at each connection)"
            )
        else:
            why = "a password being changed? SIGHUP tries at once"
        log.error(
            "the database refused this daemon, which had connected before: %s; trying again in %.0f s (%s)",
            exc,
            delay,
            why,
        )
        return clock() + timedelta(seconds=delay)


def warn_of_clock_skew(store: Store, clock: Callable[[], datetime]) -> float | None:
    """Log a warning when ``clock`` and the database server's clock disagree by more than
    :data:`CLOCK_SKEW_WARN_SECONDS`; the difference in seconds (positive: this machine is ahead),
    None when the server could not be asked. Daemons on machines whose clocks disagree take each
    other's reminders over before their leases end, and send them twice; the daemon whose rows
    were taken only sees its lease gone ("held it too long"), so the one that is wrong says so."""
    try:
        before = clock()
        (server,) = store.conn.execute("SELECT clock_timestamp()").fetchone()
        after = clock()
    except Exception:  # a check, not a pass: the pass meets any real failure itself
        log.debug("cannot read the database server's clock", exc_info=True)
        return None
    skew: float = ((before + (after - before) / 2) - server).total_seconds()
    if abs(skew) > CLOCK_SKEW_WARN_SECONDS:
        log.warning(
            "this machine's clock is %.0f s %s the database server's: daemons whose clocks disagree "
            "take each other's reminders over before their leases end ([daemon] lease_seconds) and send "
            "them twice; set the clocks right (NTP)",
            abs(skew),
            "ahead of" if skew > 0 else "behind",
        )
    return skew


def store_where(settings: Settings) -> tuple[Path, str | None]:
    """Which store ``settings`` name: the file's path (its directory holds the daemon's lock, on
    either backend) and the database's URL (None: SQLite's file)."""
    return Path(settings.store.path).expanduser(), settings.store.url


def describe(settings: Settings) -> str:
    """Where a daemon on ``settings`` works, for its log: the data's directory, or on a shared store
    the database (its password as ``***``) and the directory of this machine's files."""
    directory = store_where(settings)[0].parent
    if settings.store.url is None:
        return f"data in {directory}"
    from .backends import redact_url

    return f"database {redact_url(settings.store.url)}, this machine's files in {directory}"


def pid_lock_for(settings: Settings) -> PidLock:
    """The one-daemon lock for SQLite; on a shared store, where daemons run side by side, this
    daemon's own (``daemons/<pid>.lock``), which only says that it runs here."""
    from .pidlock import PidLock

    directory = store_where(settings)[0].parent
    return PidLock.shared(directory) if settings.store.url is not None else PidLock(directory)


def name_connections_for(settings: Settings | None) -> None:
    """Call this process's connections to a shared store after the daemon while it runs on one
    (presence.py); None, or SQLite's settings: not named (a test runs daemons in its own process)."""
    from .backends import name_connections

    if settings is None or settings.store.url is None:
        name_connections(None)
        return
    from .outbox import process_owner
    from .presence import name_for

    name_connections(name_for(process_owner()))


def listener_for(settings: Callable[[], Settings], wake: Callable[[], None]) -> Listener:
    """The thread that turns other processes' outbox changes on a shared store into ``wake()``.

    Each connection is made from ``settings()`` as they are then, the password read again: a
    password_file rotated, or a reload that moved the daemon to another database
    (:meth:`Listener.reconnect`), reaches it as it reaches the passes'. Read once, the old password
    was tried every few seconds for as long as the daemon ran, and the old database listened on.
    """
    from .backends.postgres import PostgresBackend
    from .wakeups import Listener

    last: list[PostgresBackend] = []

    def connect() -> Any:
        now = settings()
        store = now.store
        if store.url is None:  # moved to SQLite's file: the daemon stops this listener
            raise StoreError("no shared store to listen on")
        backend = PostgresBackend(store.url, now.store_password())
        last[:] = [backend]
        return backend.raw_connect()

    def describe_error(exc: BaseException) -> str:
        return last[0].describe(exc) if last else str(exc)

    return Listener(connect, wake, describe_error)


def follow(
    listening: Listener | None,
    new: Settings,
    settings: Callable[[], Settings],
    wake: Callable[[], None],
    running: bool,
) -> Listener | None:
    """The listener of a daemon just moved to the store ``new`` names: the one it had, made to
    listen on the new database; stopped if the new store is SQLite's; started if the old one was
    and the daemon ``running`` (not ``--once``). Returns the listener it has now."""
    if listening is not None and new.store.url is None:
        listening.stop()
        return None
    if listening is not None:
        listening.reconnect()
    elif new.store.url is not None and running:
        listening = listener_for(settings, wake)
        listening.start()
    return listening


def close_notifiers(notifiers: Iterable[Notifier]) -> None:
    """Close each notifier; one that fails to is logged at debug level and the rest closed all
    the same (closing must never stop a reload or a shutdown)."""
    for notifier in notifiers:
        try:
            notifier.close()
        except Exception:
            log.debug("closing %r failed", notifier, exc_info=True)


def refused(settings: Settings, exc: StoreRefused) -> ConfigError:
    """A refusal as the config error it is (store_refusal.py)."""
    from .store_refusal import refusal_error

    return refusal_error(settings, exc)
