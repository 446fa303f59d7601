"""How the daemon ends: asked to, within a deadline whatever a notifier does; or by itself, from a pass.

Exit statuses (the unit's ``Restart=on-failure`` restarts every one but 0 and 2):

- 0: stopped by SIGTERM or SIGINT.
- 2: a config error at start; or a database that refuses a daemon which never connected to it
  (:func:`exit_refused`; store_refusal.py says why that is not waited out). The unit's
  ``RestartPreventExitStatus=2`` leaves it failed, its last log line saying why.
- 75 (EX_TEMPFAIL): a fresh daemon is needed. :data:`EXIT_STORE_LOST`: the database file the
  daemon has open was deleted or replaced (:func:`exit_lost`); a fresh daemon opens whatever file
  is at the path now. :data:`EXIT_SCHEMA_UPGRADED`: a newer reminder migrated the database to a
  schema this code does not know (:func:`schema_upgraded`); a fresh daemon runs the new code. One
  that is still the old code (reminder upgraded in another environment, or on another machine)
  meets the newer schema at start and exits 2, saying to upgrade: the unit is then failed, visibly.

Stopping. A pass runs on a worker thread and calls notifiers, which may be plugins: any
of them can block (a server that answers a byte at a time, a program that never exits, a
D-Bus call nobody answers), and a thread cannot be interrupted from outside. So the main
thread never waits for a pass without a bound. On SIGTERM it arms no more passes and gives
the one running ``STOP_GRACE_SECONDS`` to finish: the send in flight completes and is
recorded, and no new one starts (``deliver_due``'s ``should_stop``). Past that it calls
every notifier's ``cancel()`` (the command notifier kills its program) and waits
``CANCEL_GRACE_SECONDS`` more (:func:`stop_passes`); a send cut short that way reports a failure
and its row goes back to ``planned``, uncounted. A pass still running then is abandoned
(:func:`abandon_pass`): the main thread puts every row left ``sending`` back to ``planned``
through a connection of its own (this daemon holds the one daemon lock, so those rows are its own
or a dead daemon's), and ``Daemon.serve()`` ends the process with ``os._exit(0)``, because a
normal exit would wait for the stuck thread (Python joins worker threads at exit). Ending a
process mid-transaction is what SQLite's journal is for; the pass's writes are each one
transaction. A message abandoned after the server had it (the end of DATA sent, the answer never
read) goes again at the next start, with the same key, which is the e-mail's Message-ID:
README's guarantees say so.

The alternatives were worse: ``os._exit`` at once loses the send that would have finished
in a second; waiting for notifiers' own timeouts is no bound at all for a plugin (or for a
server that trickles, which resets a per-read timeout forever); and a pass in a child
process would cost a fork and a new database connection on every pass.

Signals stay blocked to the end of ``serve()``, so a second SIGTERM or SIGINT during the
stop is read and logged (:func:`drain_signals`), never delivered: no exit 143, no
KeyboardInterrupt.

Ending from a pass. The main thread waits for signals, so a pass that must end the daemon at once
ends the process itself, with ``os._exit`` after flushing the log: when the database file was lost
(the store is not closed: see :data:`EXIT_STORE_LOST`), and when a shared store refuses a daemon
that started before it could reach it. A newer schema needs no haste, only that nothing more is
sent: the pass that finds it (before it sends anything: the store is checked before each use,
daemon_store.py) arms no other, logs one line, and wakes the main thread, which stops as on
SIGTERM and returns :data:`EXIT_SCHEMA_UPGRADED`. A pass that was already sending when the
migration committed finishes what it had claimed, with the old code; the next pass, at most
``max_sleep_seconds`` later (at once when poked), is the one that stops.

On a shared store (PostgreSQL) each daemon checks the schema on its own passes, so each stops on
its own, within a pass of the migration, and each machine's service restarts its own: one whose
reminder was upgraded runs on with the new code; one that was not is left failed (exit 2) until
reminder is upgraded there too. Meanwhile the daemons that run share the outbox as always.

This module never imports daemon.py; the daemon passes in what the stop needs.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import threading
    from datetime import datetime
    from pathlib import Path

    from .config import Settings
    from .errors import ConfigError, NewerSchema
    from .notifiers import Notifier
    from .pidlock import PidLock

__all__ = [
    "CANCEL_GRACE_SECONDS",
    "EXIT_SCHEMA_UPGRADED",
    "EXIT_STORE_LOST",
    "RELEASE_BUSY_SECONDS",
    "STOP_DEADLINE_SECONDS",
    "STOP_GRACE_SECONDS",
    "abandon_pass",
    "drain_signals",
    "exit_lost",
    "exit_refused",
    "new_scheduler",
    "schema_upgraded",
    "stop_passes",
]

log = logging.getLogger(__name__)

# The exit status when the database file the daemon has open was deleted or replaced (EX_TEMPFAIL).
# The daemon cannot reopen it in place: closing a connection whose files were swapped lets SQLite
# checkpoint the stale log and then delete "<db>-wal" by path, which is now the live file's log.
# So the process ends without closing anything, and systemd's Restart=on-failure starts a fresh
# daemon, which opens whatever file is at the path now.
EXIT_STORE_LOST = 75
# The exit status when a newer reminder migrated the database to a schema this code does not know:
# the same as EXIT_STORE_LOST, since both ask for a fresh process, which is what EX_TEMPFAIL says
# (any status but 2 is restarted); the log's last lines say which.
EXIT_SCHEMA_UPGRADED = 75
# What SIGTERM/SIGINT promise (systemd's TimeoutStopSec is longer): the process has ended by then.
STOP_DEADLINE_SECONDS = 10.0
# After SIGTERM, the pass in flight may finish on its own for this long ...
STOP_GRACE_SECONDS = 6.0
# ... then notifiers are told to cancel (Notifier.cancel) and it gets this much more ...
CANCEL_GRACE_SECONDS = 1.5
# ... then it is abandoned; putting its rows back waits at most this long for the database.
# Together 8.5 s: the rest of STOP_DEADLINE_SECONDS is for the process to end.
RELEASE_BUSY_SECONDS = 1.0


def new_scheduler(**options: Any) -> Any:
    """APScheduler's ``BackgroundScheduler`` (built with ``options``), made safe to shut down while
    its thread is finishing a job's run.

    ``shutdown()`` marks the scheduler stopped before it takes the job-store lock, and a
    scheduler thread that has just handed a one-off job (the daemon's ``pass``) to the executor
    then removes it as if the scheduler had never started: it looks among the jobs waiting for a
    start, finds none, and raises ``JobLookupError`` in its thread — a traceback on stderr, out of
    the daemon's log, at a stop that was otherwise clean (seen in the test suite, about once in
    six stops under load). A job missing once the scheduler is stopped is one the shutdown
    cleared: nothing is lost by not raising.
    """
    from apscheduler.jobstores.base import JobLookupError
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.base import STATE_STOPPED

    class Scheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler has no types
        def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
            try:
                super().remove_job(job_id, jobstore)
            except JobLookupError:
                if self.state != STATE_STOPPED:
                    raise

    return Scheduler(**options)


def stop_passes(
    *,
    stop: threading.Event,
    lock: threading.Lock,
    scheduler: Any,
    passing: threading.Lock,
    notifiers: Callable[[], Iterable[Notifier]],
    grace: float,
    cancel_grace: float,
) -> bool:
    """Stop passes: none is armed after the one running, which gets a bounded grace.

    ``stop`` is the daemon's stop, set under ``lock``, the lock a pass holds while it checks the
    stop and re-arms, so no pass re-arms after it; ``passing`` is held while a pass runs;
    ``notifiers`` are read once the grace is over (a reload in that pass may have replaced them).

    Returns True when no pass is running any more; False when one still is after ``grace`` and,
    notifiers cancelled, ``cancel_grace`` more (the module docstring says why the main thread
    never waits longer).

    The scheduler shuts down without waiting for the pass, which once deadlocked:
    ``shutdown(wait=True)`` held the job-store lock while waiting for a pass that waited in
    ``add_job`` for that lock (seen once, in the test suite).
    """
    with lock:
        stop.set()
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
    if passing.acquire(timeout=grace):
        passing.release()
        return True
    log.warning("a notifier is still sending %g s after the stop: cancelling it", grace)
    for notifier in list(notifiers()):
        try:
            notifier.cancel()
        except Exception:  # a plugin's broken cancel must not hold the stop either
            log.warning("cancelling %r failed", notifier, exc_info=True)
    if passing.acquire(timeout=cancel_grace):
        passing.release()
        return True
    return False


def abandon_pass(settings: Settings, clock: Callable[[], datetime], *, shared: bool, waited: float) -> None:
    """Leave the stuck pass to the end of the process; its rows go back to ``planned``.

    ``shared``: the store is shared with other daemons, whose rows are theirs to send; ``waited``:
    how long the stop gave the pass.
    """
    import sqlite3

    from . import outbox
    from .errors import ReminderError
    from .store import open_store

    log.error(
        "a pass is still running %g s after the stop (a notifier that does not return): abandoning it",
        waited,
    )
    try:
        # A connection of its own: the pass's may be in the middle of anything.
        with open_store(settings) as store:
            if store.dialect == "sqlite":
                store.conn.execute(f"PRAGMA busy_timeout = {int(RELEASE_BUSY_SECONDS * 1000)}")
            # Shared: only this daemon's rows; the others' are theirs to send.
            owner = outbox.process_owner() if shared else None
            released = outbox.release_sending(store, clock(), owner=owner)
    except (ReminderError, sqlite3.Error) as exc:
        # Left `sending`, they are still due: the next start sends them all the same.
        log.error("cannot put the reminders in flight back to planned: %s", exc)
        return
    if released:
        log.warning("%d reminder(s) in flight put back to planned: the next start sends them", released)


def drain_signals(signals: Iterable[signal.Signals]) -> None:
    """Read the signals that came during the stop (still pending: they are blocked)."""
    while (info := signal.sigtimedwait(signals, 0)) is not None:
        log.info("%s during the stop: already stopping", signal.Signals(info.si_signo).name)


def exit_lost(reason: str, store_path: Path) -> NoReturn:
    """End the process at once, without closing the store: see :data:`EXIT_STORE_LOST`."""
    log.critical(
        "lost the database: %s; exiting with status %d so that a fresh daemon opens the file "
        "at %s (systemd restarts it; otherwise start 'reminder daemon' again)",
        reason,
        EXIT_STORE_LOST,
        store_path,
    )
    _exit_now(EXIT_STORE_LOST, f"lost the database: {reason}")


def exit_refused(error: ConfigError, lock: PidLock | None) -> NoReturn:
    """End a daemon that never connected and was refused, from its pass: exit 2, ``error`` the log's
    last line; ``lock`` (its pid lock) is released first."""
    log.critical("%s", error)
    if lock is not None:
        lock.release()
    _exit_now(error.exit_code, "the database refused this daemon: see its log")


def schema_upgraded(exc: NewerSchema) -> None:
    """Say that a newer reminder upgraded the database and that this daemon stops for it (the daemon
    then stops as on SIGTERM, and exits with :data:`EXIT_SCHEMA_UPGRADED`)."""
    from . import systemd

    log.warning(
        "the store was upgraded to schema %d by a newer reminder; this daemon (schema %d) stops, "
        "exit status %d, so that the service restarts it with the new code (without a service, "
        "start 'reminder daemon' again)",
        exc.version,
        exc.known,
        EXIT_SCHEMA_UPGRADED,
    )
    systemd.notify(f"STATUS=the database was upgraded to schema {exc.version} by a newer reminder")


def _exit_now(status: int, why: str) -> NoReturn:
    from . import systemd

    systemd.notify(f"STATUS={why}")
    logging.shutdown()  # flush the log: os._exit skips every handler
    os._exit(status)  # the main thread waits for signals, and a normal exit would join this thread
