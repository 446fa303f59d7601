"""The daemon: a wait/wake-up loop around ``delivery.deliver_due(now)``, and its signals.

No business rules live here. One *pass* re-plans if asked, sends what the outbox
says is due, and returns when to look next. APScheduler (3.11, the stable line)
does the timing: a single date-triggered job is re-armed after every pass at the
next due time, capped at ``daemon.max_sleep_seconds`` (60 s by default). The cap
exists because waits run on the monotonic clock, which stops while the machine is
suspended: a reminder that fell due during a suspend goes out within one cap of
resume. The job store is never where reminders live (``outbox.py`` is), so
APScheduler's own pitfalls cannot lose or repeat one: ``misfire_grace_time`` is
None (a late pass still runs), runs coalesce, and one worker thread runs passes
one at a time.

Signals are taken synchronously by the main thread (blocked everywhere, read with
``sigwaitinfo``), so no handler ever runs inside a pass:

- SIGTERM / SIGINT: stop within ``STOP_DEADLINE_SECONDS`` (10 s), whatever a notifier
  does; exit 0 (how, and every exit status the daemon ends with: daemon_stop.py).
- SIGHUP: reload the config file and re-plan every open case; a config naming another store moves
  the daemon to it whole — passes, lock, listener — or, if it cannot be had, not at all
  (daemon_store.py).
- SIGUSR1: look now — the CLI sends it after it adds, edits or closes a case, so a
  running daemon picks the change up at once without polling the database.

Each pass uses the store the passes share, kept open and checked before each use: a database
file deleted or replaced under the daemon ends it, for systemd to start a fresh one; a server that
cannot be reached is waited for, one that refuses stops a daemon that never connected
(daemon_store.py). A pass that fails (the database locked at start-up, a full disk) keeps what was
asked of it — a re-plan stays asked (``_Flags``) — and the store it opened is closed; the next pass
runs ``STORE_RETRY_SECONDS`` later.

One daemon per data directory: ``daemon.lock`` there is held with ``flock`` for the
daemon's lifetime and holds its pid; a second daemon exits with "already running" (``pidlock.py``).

A shared store (``[store] url``, PostgreSQL) is different: several daemons, on one machine or
many, run on one database, so the pid lock is not taken; each holds a lock of its own instead
(``daemons/<pid>.lock``), and names its connections after itself (presence.py), which is how
``reminder status`` knows the daemons on this machine and those the database has connected. The
outbox's leases keep two of them from sending one row at once and let the others take over a
dead one's rows (outbox.py); re-plans and housekeeping run on one daemon at a time, under an
advisory lock; and a daemon wakes when another process commits outbox changes, through
LISTEN/NOTIFY (wakeups.py), as a hint on top of the capped sleep. A lost connection fails the
pass, which is retried on a fresh connection ``FIRST_RETRY_SECONDS`` later (then, while passes
keep failing, ``STORE_RETRY_SECONDS``). A pass the server aborted as a deadlock or a serialization
failure with another process's (``StoreConflict``) is neither: it is run again
``CONFLICT_RETRY_SECONDS`` later, on the same connection, however many came before.

A daemon killed with SIGKILL leaves its ``daemons/<pid>.lock`` behind; the next one to start on
the data directory removes such files, and every running one does in its hourly housekeeping,
never one a live daemon holds (``PidLock.remove_stale``).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import leftovers
from .daemon_stop import (
    CANCEL_GRACE_SECONDS,
    EXIT_SCHEMA_UPGRADED,
    EXIT_STORE_LOST,
    STOP_GRACE_SECONDS,
    abandon_pass,
    drain_signals,
    exit_lost,
    new_scheduler,
    schema_upgraded,
    stop_passes,
)
from .daemon_store import (
    CONFLICT_RETRY_SECONDS,
    FIRST_RETRY_SECONDS,
    STORE_RETRY_SECONDS,
    KeptStore,
    close_notifiers,
    describe,
    follow,
    listener_for,
    name_connections_for,
    pid_lock_for,
    refused,
    store_where,
)
from .errors import ConfigError, NewerSchema, ReminderError, StoreConflict, StoreLost, StoreRefused
from .pidlock import LOCK_NAME, PidLock, poke, running_pid

if TYPE_CHECKING:
    from .config import Settings
    from .delivery import DispatchReport
    from .notifiers import Notifier
    from .store import Store
    from .wakeups import Listener

# PidLock, poke and running_pid live in pidlock.py (``reminder status`` needs them, not the daemon);
# the exit statuses and the stop's deadlines in daemon_stop.py.
__all__ = [
    "EXIT_SCHEMA_UPGRADED",
    "EXIT_STORE_LOST",
    "LOCK_NAME",
    "Daemon",
    "DaemonState",
    "PidLock",
    "poke",
    "running_pid",
]

log = logging.getLogger(__name__)

_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1)
# How far beyond max_sleep_seconds the armed pass may lie before the wall clock is taken to
# have gone back (APScheduler's own bookkeeping takes a few milliseconds).
CLOCK_SLACK_SECONDS = 5.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DaemonState(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass
class _Flags:
    """What has been asked of the passes; read and written under ``lock``.

    A re-plan is a request number, not a boolean: a pass carries out the requests it saw
    when it started, and only a pass that succeeds marks them done. A locked database at
    start-up, or a disk full, therefore leaves the re-plan asked for the next pass, and a
    SIGHUP that arrives during a pass is not cleared by that pass.
    """

    reload: bool = False  # SIGHUP: read the config file again (and re-plan)
    replan_asked: int = 1  # start-up asks for one: the policy may have changed while off
    replan_done: int = 0  # the highest request a successful pass carried out
    changed: bool = False  # a case changed (the CLI's poke): the calendar file may need rewriting
    requests: int = 0  # every request counted, so a pass can tell one that came while it ran
    lock: threading.Lock = field(default_factory=threading.Lock)


class Daemon:
    """The reminder daemon. ``run()`` blocks until SIGTERM/SIGINT (or a newer schema); ``run_once()``
    does one pass."""

    def __init__(
        self,
        load_settings: Callable[[], Settings],
        *,
        clock: Callable[[], datetime] = _utc_now,
        notifiers: list[Notifier] | None = None,
    ) -> None:
        self._read_settings = load_settings
        self.clock = clock
        self._injected_notifiers = notifiers is not None
        self.settings, built = self._load_settings()
        self._notifiers = notifiers if notifiers is not None else built
        self.state = DaemonState.NEW
        self._flags = _Flags()
        self._stop = threading.Event()
        # Held while a pass runs: the stop waits for it, for a bounded time.
        self._passing = threading.Lock()
        # A pass was still running when the daemon stopped; serve() then does not wait for it.
        self.abandoned = False
        # The exit status a pass ended the daemon with (a newer schema), and the thread run()
        # waits for signals on, which that pass wakes.
        self._ending: int | None = None
        self._loop_thread: int | None = None
        self._scheduler: Any = None
        # How far ahead the last pass was armed: further than max_sleep_seconds after a failed
        # pass (30 s) or a refusal (up to 5 minutes), which is no sign of a clock gone back.
        self._armed_ahead = 0.0
        self._last_housekeeping: datetime | None = None
        self._kept = KeptStore(self.clock)
        self._failed_passes = 0  # in a row
        self._lock: PidLock | None = None
        self._listening: Listener | None = None  # on a shared store, while run() runs
        self.passes = 0

    def _load_settings(self) -> tuple[Settings, list[Notifier] | None]:
        """The settings, and the notifiers built from them (None: the daemon was given its own).

        Raises ConfigError naming the file and the key when a notifier table does not validate,
        cannot be built, or names a file that cannot be read now (a ``password_file``). Checked
        here, at start and on every reload: unchecked, a daemon started or reloaded with such a
        table ran on and sent nothing through it; checked, it refuses to start, and a reload
        keeps the settings and notifiers that worked. The notifiers checked are the ones used.
        """
        settings = self._read_settings()
        if self._injected_notifiers:
            from .notifiers import parse_notifier_tables

            parse_notifier_tables(settings.notifiers, config_file=settings.source)
            return settings, None
        from .notifiers.check import checked_notifiers

        return settings, checked_notifiers(settings.notifiers, config_file=settings.source)

    # --- paths and parts -----------------------------------------------------------------------

    @property
    def store_path(self) -> Path:
        return Path(self.settings.store.path).expanduser()

    @property
    def data_dir(self) -> Path:
        return self.store_path.parent

    @property
    def shared(self) -> bool:
        """Whether the store is shared with other daemons (PostgreSQL): no pid lock then."""
        return self.settings.store.url is not None

    def notifiers(self) -> list[Notifier]:
        # Built and checked with the settings (_load_settings); built here again only once
        # closed (after run_once).
        if self._notifiers is None:
            from .notifiers import build_notifiers

            self._notifiers = build_notifiers(
                self.settings.notifiers,
                config_file=self.settings.source,
            )
        return self._notifiers

    def _open_store(self) -> contextlib.AbstractContextManager[Store]:
        """The store every pass shares, kept open and checked before each use (daemon_store.py)."""
        return self._kept.use(self.settings)

    def _close_store(self) -> None:
        self._kept.close(self.store_path)

    def _close_notifiers(self) -> None:
        if self._notifiers is not None and not self._injected_notifiers:
            close_notifiers(self._notifiers)
            self._notifiers = None

    # --- one pass ------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> DispatchReport:
        """One pass: reload/re-plan if asked, send what is due, upkeep when it is time.

        What was asked of it stays asked if it fails (see :class:`_Flags`).
        """
        from .delivery import deliver_due
        from .housekeeping import housekeeping as upkeep
        from .planning import replan_if_changed
        from .wakeups import chores_lock

        now = now or self.clock()
        flags = self._flags
        with flags.lock:
            reload, flags.reload = flags.reload, False
            asked = flags.replan_asked
            replan = asked > flags.replan_done
            changed, flags.changed = flags.changed or replan, False
        try:
            if reload:
                self._reload()
            with self._open_store() as store:
                if replan:
                    # On a shared store one daemon re-plans at a time; the others find the plans
                    # current when their turn comes (the fingerprint), or re-plan then.
                    with chores_lock(store) as ours:
                        if ours:
                            planned = replan_if_changed(store, self.settings, now=now)
                            if planned is None:
                                log.info("reminder plans are current (nothing they depend on changed)")
                            else:
                                log.info("planned reminders for %d open case(s)", planned)
                            with flags.lock:
                                flags.replan_done = max(flags.replan_done, asked)
                        else:
                            log.info(
                                "another daemon holds the re-plan lock; this one checks the plans next pass"
                            )
                report = deliver_due(
                    store,
                    self.settings,
                    self.notifiers(),
                    now=now,
                    clock=self.clock,
                    should_stop=self._stop.is_set,
                )
                housekeeping = self._housekeeping_due(now)
                if housekeeping:
                    with chores_lock(store) as ours:
                        if ours:
                            upkeep(store, self.settings, now=now)
                        else:  # another daemon upkeeps the database; this machine's files are ours
                            leftovers.sweep(self.data_dir, now=now)
                    self._sweep_locks()
                    self._last_housekeeping = now
                if changed or housekeeping:
                    self._sync_ics(store, now)
        except BaseException:
            with flags.lock:  # the calendar file is rewritten by the next pass that succeeds
                flags.changed = flags.changed or changed
            raise
        self.passes += 1
        return report

    def _sync_ics(self, store: Store, now: datetime) -> None:
        from .ics_api import sync_ics

        try:
            if sync_ics(store, self.settings, now=now):
                log.info("calendar file updated: %s", self.settings.export.ics_path)
        except (ReminderError, OSError) as exc:
            # A calendar file that cannot be written must not hold back a reminder.
            log.warning("cannot update the calendar file %s: %s", self.settings.export.ics_path, exc)

    def _sweep_locks(self) -> None:
        """On a shared store: remove the ``daemons/<pid>.lock`` files daemons killed on this machine
        left behind (``PidLock.remove_stale``), at start and hourly, so that one killed while this
        daemon runs does not stay until the next start."""
        stale = self._lock.remove_stale() if self._lock is not None else []
        if stale:
            log.info(
                "removed the lock files daemons killed here left behind (pid %s)", ", ".join(map(str, stale))
            )

    def _housekeeping_due(self, now: datetime) -> bool:
        # Rides on a pass rather than a job of its own, so an idle hour costs no extra wake-up.
        # abs(): after the wall clock went back, an hour is still an hour, not months.
        return self._last_housekeeping is None or abs(now - self._last_housekeeping) >= timedelta(hours=1)

    def _watch_seconds(self) -> float:
        return float(self.settings.daemon.max_sleep_seconds)

    def _check_clock(self) -> None:
        """Look now if the next pass is armed further ahead than any pass is ever armed.

        A pass is armed at a wall-clock time at most ``max_sleep_seconds`` ahead (or, after a pass
        that failed or was refused, as far ahead as its retry: ``_armed_ahead``), and APScheduler
        waits for the wall clock to reach it. When the wall clock goes back (a
        wrong time corrected, a VM restored), that time is suddenly months away, and the
        daemon would do nothing until then. The main thread checks on every quiet wait.
        """
        job = self._scheduler.get_job("pass") if self._scheduler is not None else None
        if job is None or job.next_run_time is None:
            return  # a pass is running; it re-arms from the clock as it is now
        now = self.clock()
        ahead = (job.next_run_time - now).total_seconds()
        if ahead > max(self._watch_seconds(), self._armed_ahead) + CLOCK_SLACK_SECONDS:
            log.warning("the wall clock went back (the next pass was armed %.0f s ahead); looking now", ahead)
            self._request_pass()

    def _reload(self) -> None:
        try:
            settings, notifiers = self._load_settings()
        except ConfigError as exc:
            # A broken edit must not take the daemon down: keep running on what worked (its
            # notifiers included: a table that cannot be used never replaces one that could).
            log.error("config reload failed, keeping the previous settings: %s", exc)
            return
        if store_where(settings) != store_where(self.settings) and not self._move(settings):
            close_notifiers(notifiers or ())  # built for nothing
            return
        self.settings = settings
        self._close_notifiers()
        if not self._injected_notifiers:
            self._notifiers = notifiers
        log.info("config reloaded")

    def _move(self, new: Settings) -> bool:
        """Move the daemon to the store ``new`` names, whole: its store, its lock and, on a shared
        store, the connection it listens on (daemon_store.py). False when the new store cannot be
        had (logged): then the daemon keeps the old one, and its settings, whole."""
        old = self.settings
        try:
            self._lock = self._kept.move(old, new, self._lock)
        except (ReminderError, OSError) as exc:
            log.error(
                "config reload failed, keeping the previous settings: cannot move to %s: %s",
                describe(new),
                exc,
            )
            return False
        self.settings = new  # what the listener connects with, from here on
        running = self.state == DaemonState.RUNNING
        self._listening = follow(self._listening, new, lambda: self.settings, self._request_pass, running)
        self._sweep_locks()
        self._last_housekeeping = None  # the new store's upkeep and this directory's leftovers: now
        log.info("reminder daemon now works on %s (was %s)", describe(new), describe(old))
        return True

    def next_wake(self, now: datetime) -> datetime:
        from . import outbox

        cap = now + timedelta(seconds=float(self.settings.daemon.max_sleep_seconds))
        with self._open_store() as store:
            due = outbox.next_due_at(store)
        return cap if due is None else max(now, min(due, cap))

    def _pid_lock(self) -> PidLock:
        return pid_lock_for(self.settings)

    def _name_connections(self, named: bool = True) -> None:
        """While the daemon runs, this process's connections to a shared store carry its name
        (presence.py); ``named=False`` when it stops (a test runs daemons in its own process)."""
        name_connections_for(self.settings if named else None)

    def run_once(self) -> DispatchReport:
        self._name_connections()
        lock = self._pid_lock()
        lock.acquire()
        try:
            return self.tick()
        except StoreRefused as exc:
            if self._kept.connected:  # refused after all went well: not the config's fault
                raise
            raise refused(self.settings, exc) from None
        finally:
            self._close_store()
            self._close_notifiers()
            lock.release()
            self._name_connections(False)

    # --- the loop ------------------------------------------------------------------------------

    def _pass_job(self) -> None:
        from . import systemd

        now = self.clock()
        with self._flags.lock:
            seen = self._flags.requests
        try:
            report = self.tick(now)
            if report.sent or report.failed or report.retried:
                log.info(
                    "pass: %d sent, %d to retry, %d failed, %d folded into catch-up",
                    report.sent,
                    report.retried,
                    report.failed,
                    report.superseded,
                )
            wake = self.next_wake(self.clock())
            self._kept.went_through()
            self._failed_passes = 0
        except StoreLost as exc:
            exit_lost(str(exc), self.store_path)
        except StoreRefused as exc:
            if isinstance(exc, NewerSchema) and self._kept.connected:
                self._end_for_schema(exc)
                return
            wake = self._kept.refused_again(exc, self.settings, self.clock, self._lock)
        except StoreConflict as exc:
            # Not a lost connection, nor a failing store: the server aborted one of the pass's
            # transactions for another process's at the same moment and rolled it back. Rows this
            # daemon claimed and did not settle are its own still (outbox.CLAIMABLE): the pass run
            # again takes them, long before their lease ends.
            log.warning(
                "pass rolled back: another process was changing the same rows at the same moment (%s);"
                " running it again in %.0f s",
                exc.detail,
                CONFLICT_RETRY_SECONDS,
            )
            wake = self.clock() + timedelta(seconds=CONFLICT_RETRY_SECONDS)
        except ReminderError as exc:
            # On a shared store, most likely the connection kept since the last pass died with a
            # server restart: the next pass connects again, so it comes soon, once.
            first = self.shared and self._failed_passes == 0
            self._failed_passes += 1
            delay = FIRST_RETRY_SECONDS if first else STORE_RETRY_SECONDS
            log.error("pass failed, retrying in %.0f s: %s", delay, exc)
            wake = self.clock() + timedelta(seconds=delay)
        except Exception:
            # One bad case or notifier must never stop the daemon; the outbox keeps what is due.
            log.exception("pass failed, retrying in %.0f s", STORE_RETRY_SECONDS)
            wake = self.clock() + timedelta(seconds=STORE_RETRY_SECONDS)
        systemd.notify("WATCHDOG=1")
        with self._flags.lock:
            if self._flags.requests != seen:  # asked for while this pass ran: look again now
                wake = self.clock()
            if not self._stop.is_set():
                self._arm(wake)

    def _guarded_pass(self) -> None:
        """What the scheduler runs: a pass, unless the daemon is stopping (a pass queued behind
        the one the stop waited for must not start), holding ``_passing`` while it runs."""
        with self._passing:
            if not self._stop.is_set():
                self._pass_job()

    def _stop_scheduler(self) -> bool:
        """Stop passes, giving the one running a bounded grace; whether none runs any more
        (daemon_stop.stop_passes). The graces are passed from this module's names, which ``run()``'s
        log line reads too, so that the two always agree."""
        return stop_passes(
            stop=self._stop,
            lock=self._flags.lock,
            scheduler=self._scheduler,
            passing=self._passing,
            notifiers=lambda: self._notifiers or (),
            grace=STOP_GRACE_SECONDS,
            cancel_grace=CANCEL_GRACE_SECONDS,
        )

    def _abandon_pass(self) -> None:
        """Leave the stuck pass to the end of the process; its rows go back to ``planned``."""
        self.abandoned = True
        waited = STOP_GRACE_SECONDS + CANCEL_GRACE_SECONDS
        abandon_pass(self.settings, self.clock, shared=self.shared, waited=waited)

    def _arm(self, when: datetime) -> None:
        from apscheduler.triggers.date import DateTrigger

        self._armed_ahead = max(0.0, (when - self.clock()).total_seconds())
        self._scheduler.add_job(
            self._guarded_pass, trigger=DateTrigger(run_date=when), id="pass", replace_existing=True
        )

    def _request_pass(self, *, reload: bool = False) -> None:
        from apscheduler.jobstores.base import JobLookupError

        with self._flags.lock:
            self._flags.changed = True
            self._flags.requests += 1
            if reload:
                self._flags.reload = True
                self._flags.replan_asked += 1
            # A pass that is running has no job to modify: it sees the request and re-arms at once.
            with contextlib.suppress(JobLookupError):
                self._scheduler.modify_job("pass", next_run_time=self.clock())

    def _end_for_schema(self, exc: NewerSchema) -> None:
        """A newer reminder migrated the database: arm no other pass, and have the loop stop with
        :data:`EXIT_SCHEMA_UPGRADED` (daemon_stop.py says why, and what several daemons do)."""
        schema_upgraded(exc)
        with self._flags.lock:
            self._ending = EXIT_SCHEMA_UPGRADED
            self._stop.set()
        if self._loop_thread is not None:
            signal.pthread_kill(self._loop_thread, signal.SIGUSR1)  # blocked there: sigtimedwait reads it

    def serve(self) -> NoReturn:
        """``run()`` as the whole life of this process (``reminder daemon``), then exit.

        Signals stay blocked until the process is gone, so one that comes during the stop
        cannot end it with 143 or a KeyboardInterrupt. After an abandoned pass, ``os._exit``:
        a normal exit would join the stuck thread (the logging handlers flush each line).
        """
        status = self.run(restore_signals=False)
        if self.abandoned:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(status)
        sys.exit(status)

    def run(self, *, restore_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT, or until a pass finds a newer schema. Returns the exit status.

        ``restore_signals``: unblock the signals at the end (after reading any that came
        during the stop), for a caller that goes on; ``serve()`` keeps them blocked.
        """
        from apscheduler.executors.pool import ThreadPoolExecutor

        from . import systemd

        # Blocked before any thread starts, so every thread inherits the mask and only
        # sigwaitinfo below ever sees these signals; and before the lock names our pid, so a
        # SIGHUP sent as soon as `reminder status` shows us running is queued, not fatal.
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        self._loop_thread = threading.get_ident()
        self._name_connections()
        self._lock = self._pid_lock()
        try:
            self._lock.acquire()
            self._sweep_locks()
            look_now = self._kept.connect_first(self.settings)
        except BaseException:
            self._lock.release()
            self._name_connections(False)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
            raise
        leftovers.sweep(self.data_dir, now=self.clock())  # what a killed writer left (and hourly)
        self._scheduler = new_scheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            # Two instances, one worker: a pass re-arms itself before it returns, and with
            # max_instances=1 a re-arm for "now" would be skipped as still running (and lost).
            # The single worker still runs passes one after the other.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 2},
        )
        try:
            self._scheduler.start()
            self._arm(self.clock() + timedelta(seconds=0 if look_now else STORE_RETRY_SECONDS))
            if self.shared:  # no pass moves the daemon before the loop below reads a SIGHUP
                self._listening = listener_for(lambda: self.settings, self._request_pass)
                self._listening.start()
            self.state = DaemonState.RUNNING
            systemd.notify("READY=1")
            # On a shared store the data is in the database; the directory holds this machine's files.
            log.info("reminder daemon running (pid %d, %s)", os.getpid(), describe(self.settings))
            while True:
                info = signal.sigtimedwait(_SIGNALS, self._watch_seconds())
                if self._ending is not None:  # a pass ended the daemon, and said why
                    break
                if info is None:
                    self._check_clock()
                    continue
                if info.si_signo in (signal.SIGTERM, signal.SIGINT):
                    name = signal.Signals(info.si_signo).name
                    if self._passing.locked():  # a pass is sending: say how long it may still take
                        grace = STOP_GRACE_SECONDS + CANCEL_GRACE_SECONDS
                        log.info("%s: stopping (the send in flight has up to %g s)", name, grace)
                    else:
                        log.info("%s: stopping", name)
                    break
                if info.si_signo == signal.SIGHUP:
                    log.info("SIGHUP: reloading the config")
                    self._request_pass(reload=True)
                    if self._listening is not None:
                        self._listening.retry_now()
                else:
                    self._request_pass()
        finally:
            self.state = DaemonState.STOPPING
            systemd.notify("STOPPING=1")
            if self._listening is not None:
                self._listening.stop()
            if self._stop_scheduler():
                self._close_store()
                self._close_notifiers()
            else:
                # The stuck pass may be using both: they end with the process.
                self._abandon_pass()
            if self._lock is not None:  # the one the last move took
                self._lock.release()
            self._name_connections(False)
            drain_signals(_SIGNALS)
            if restore_signals:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
            self.state = DaemonState.STOPPED
        log.info("reminder daemon stopped")
        return 0 if self._ending is None else self._ending
