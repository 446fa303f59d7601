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
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .daemon_stop import exit_lost, exit_refused
from .errors import ConfigError, ReminderError, StoreLost, StoreRefused

if TYPE_CHECKING:
    from .config import Settings
    from .pidlock import PidLock
    from .store import Store

__all__ = ["STORE_RETRY_SECONDS", "KeptStore"]

log = logging.getLogger(__name__)

# A failing store (disk full, locked too long) is retried after this long rather than spinning.
STORE_RETRY_SECONDS = 30.0
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
        fails."""
        from .store import open_store

        where = (Path(settings.store.path).expanduser(), settings.store.url)
        if self.store is not None and (self.store.path, self.store.url) != where:
            self.close(where[0])  # a reload moved the database
        kept = self.store is not None
        if self.store is None:
            self.store = open_store(settings.store, any_thread=True)  # its schema checked as it opens
            self.connected = True
            if self._clock is not None and self.store.dialect != "sqlite":
                warn_of_clock_skew(self.store, self._clock)
        lost = self.store.lost()
        if lost is not None:
            raise StoreLost(lost)
        try:
            if kept:
                self.store.check_schema()  # NewerSchema: a newer reminder migrated it meanwhile
            yield self.store
        except BaseException:
            self.close(where[0])
            raise

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
        if exc.sqlstate == "42501":
            why = "its rights being changed? SIGHUP tries at once"
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
            "this machine's clock is %.0f s %s of the database server's: daemons whose clocks disagree "
            "take each other's reminders over before their leases end ([daemon] lease_seconds) and send "
            "them twice; set the clocks right (NTP)",
            abs(skew),
            "ahead" if skew > 0 else "behind",
        )
    return skew


def refused(settings: Settings, exc: StoreRefused) -> ConfigError:
    """A refusal as the config error it is (store_refusal.py)."""
    from .store_refusal import refusal_error

    return refusal_error(settings, exc)
