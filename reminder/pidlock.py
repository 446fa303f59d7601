"""One daemon per data directory: ``daemon.lock`` there, held with ``flock``, holding the daemon's pid.

The daemon takes it for its lifetime (:class:`PidLock`); ``reminder status`` and the CLI's
:func:`poke` only read it (:func:`running_pid`), so they need none of the daemon's code.
``reminder db copy`` takes it for the copy's length, marked as its own (:data:`COPY_MARK`), so
that no daemon sends from the file it copies.

On a shared store (PostgreSQL) any number of daemons may run side by side, so none takes
``daemon.lock``: each holds a lock of its own, ``daemons/<pid>.lock`` in the data directory
(:meth:`PidLock.shared`), removed when it stops, so that ``reminder status`` can say which run on
this machine (:func:`running_pids`). One a killed daemon left is held by nobody, so not counted,
and the next daemon to start removes it, as does every running daemon's hourly housekeeping
(:meth:`PidLock.remove_stale`).

Why that never removes the file of a live daemon, nor one a daemon is just creating: a file in
``daemons/`` is only ever unlinked by a process that holds its ``flock`` and has checked, under
it, that the file it locked is still the one at the path (the sweep; a daemon's own release, whose
lock already passed that check). A live daemon holds its lock until it exits, so no sweep gets it.
A starting daemon creates its file and then takes the lock, and between the two a sweep may take
the lock first and unlink the file; so the daemon, once it holds the lock, checks the same thing
(:func:`_still_at`) and starts again on a fresh file if its own was removed meanwhile. Once both
hold, nobody can unlink the file but its holder. The check and the unlink are not one step, but
nothing can replace the file between them: only an unlink could, and that needs the lock the
sweep holds. A sweep holding the lock for an instant makes a starting daemon of that pid (pid
reuse) wait and try again, never say "already running".
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select

from .errors import ALREADY_RUNNING, AlreadyRunning, StoreError
from .files import open_private, private_dir
from .i18n import _

TYPE_CHECKING = False  # not typing's: every command that writes pokes the daemon through this module
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "COPY_MARK",
    "LOCK_ATTEMPTS",
    "LOCK_NAME",
    "LOCK_PAUSE_SECONDS",
    "SHARED_LOCKS",
    "PidLock",
    "copier",
    "poke",
    "running_pid",
    "running_pids",
]

LOCK_NAME = "daemon.lock"
# What ``reminder db copy`` writes before its pid in daemon.lock while it holds it: not a bare pid,
# so no command pokes (signals) it as a daemon and ``reminder status`` counts no daemon, and a daemon
# that starts meanwhile says what holds the lock rather than "already running".
COPY_MARK = "db-copy"
# On a shared store: the directory, in the data directory, of each daemon's own <pid>.lock.
SHARED_LOCKS = "daemons"
# Taking the pid lock while `reminder status` holds it shared: up to 40 tries 50 ms apart.
LOCK_ATTEMPTS = 40
LOCK_PAUSE_SECONDS = 0.05


class PidLock:
    """An exclusive ``flock`` on ``<data dir>/daemon.lock`` that also records the holder's pid."""

    def __init__(self, data_dir: str | os.PathLike[str], name: str = LOCK_NAME) -> None:
        from pathlib import Path  # here: the commands that only poke (below) need no pathlib

        self.path = Path(data_dir, name)
        self._fd: int | None = None
        self._remove = name != LOCK_NAME

    @classmethod
    def shared(cls, data_dir: str | os.PathLike[str]) -> PidLock:
        """This daemon's own lock on a shared store, ``daemons/<pid>.lock``: no other daemon
        wants it (no two live processes share a pid), and it is removed on release."""
        return cls(data_dir, f"{SHARED_LOCKS}/{os.getpid()}.lock")

    def acquire(self, attempts: int = LOCK_ATTEMPTS, *, copy: bool = False) -> None:
        """Take the lock, or raise AlreadyRunning. ``copy``: for ``reminder db copy``, which holds
        it so that no daemon starts sending from the file it copies (:data:`COPY_MARK`).

        Bounded in attempts, not in time: under libfaketime the monotonic clock may be
        faked, even frozen, so a deadline on it never came, and an ``Event.wait`` (an
        absolute deadline on that clock) never returned — a second daemon hung, with its
        signals blocked. A daemon holding the lock is told apart from ``reminder status``
        holding a shared lock for an instant without waiting at all.
        """
        for _attempt in range(max(1, attempts)):
            try:
                private_dir(self.path.parent)
                fd = open_private(self.path, os.O_RDWR)
            except OSError as exc:
                why = exc.strerror or exc
                raise StoreError(
                    _("%(path)s: cannot open the daemon lock: %(why)s", path=self.path, why=why)
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # A shared store's own lock is wanted by no other daemon: held, it is a sweep's
                # instant (remove_stale), as `reminder status`'s is on daemon.lock.
                if not self._remove and not _only_readers(fd):
                    os.close(fd)
                    raise _already_running(self.path) from None
                os.close(fd)
                _pause(LOCK_PAUSE_SECONDS)  # wait that instant out
                continue
            if self._remove and not _still_at(fd, self.path):
                os.close(fd)  # a sweep removed it before we held it (see the module's docstring)
                continue
            break
        else:
            raise _already_running(self.path)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{COPY_MARK + ' ' if copy else ''}{os.getpid()}\n".encode())
            os.fsync(fd)
        except OSError as exc:  # a full disk: say so, and leave no half-written pid behind
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)
            raise StoreError(
                _("%(path)s: cannot write the daemon's pid: %(why)s", path=self.path, why=exc.strerror or exc)
            ) from None
        self._fd = fd

    def remove_stale(self) -> list[int]:
        """Remove the other ``daemons/*.lock`` files nobody holds: daemons killed with SIGKILL
        left them. Only a shared store's lock, once held, does this (the daemon, at start and hourly).
        Returns the pids in the files it removed.

        Each is removed only under its own ``flock``, taken without waiting, and only if it is
        still the file at its path (the module's docstring says why that is safe). A file held by
        anyone (a live daemon, or ``reminder status`` for an instant) is left; the next start
        looks again.
        """
        if not self._remove or self._fd is None:
            return []
        directory = self.path.parent
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return []
        removed: list[int] = []
        for name in names:
            if not name.endswith(".lock") or name == self.path.name:
                continue
            path = os.path.join(directory, name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError:
                continue  # gone already (another daemon's sweep), or not a file of ours
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # held: a live daemon
                if not _still_at(fd, path):
                    continue  # removed by another sweep since we opened it
                pid = _read_pid(path)
                try:
                    os.unlink(path)  # still holding its lock, so nobody takes the name meanwhile
                except OSError:
                    continue
                if pid is not None:
                    removed.append(pid)
            finally:
                os.close(fd)
        return removed

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            if self._remove:  # still holding it, so nobody takes the name meanwhile
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            os.close(self._fd)
            self._fd = None


def _only_readers(fd: int) -> bool:
    """Whether the lock is held only shared (readers such as ``reminder status``), not by a daemon."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _still_at(fd: int, path: str | os.PathLike[str]) -> bool:
    """Whether the file open as ``fd`` is the one at ``path`` (not unlinked, not replaced)."""
    try:
        at_path = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (at_path.st_dev, at_path.st_ino)


def _pause(seconds: float) -> None:
    # select() takes a relative timeout, which libfaketime passes on (scaled by its rate);
    # time.sleep and Event.wait turn it into a deadline on a clock libfaketime may fake.
    # At rate 0 it refuses the call (EINVAL): then no pause, and the attempts still end.
    with contextlib.suppress(OSError, ValueError):
        select.select([], [], [], seconds)


def _read_pid(path: str | os.PathLike[str]) -> int | None:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def running_pid(data_dir: str | os.PathLike[str]) -> int | None:
    """The pid of the daemon running on ``data_dir``, or None."""
    return _holder(os.path.join(data_dir, LOCK_NAME))


def running_pids(data_dir: str | os.PathLike[str]) -> list[int]:
    """The pids of the daemons running on ``data_dir`` with a shared store (:meth:`PidLock.shared`)."""
    directory = os.path.join(data_dir, SHARED_LOCKS)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    held = (_holder(os.path.join(directory, name)) for name in names if name.endswith(".lock"))
    return sorted(pid for pid in held if pid is not None)


def _holder(path: str) -> int | None:
    """The pid in the lock file at ``path`` while a daemon holds it; None if nobody does."""
    return _held(path)[1]


def _held(path: str) -> tuple[bool, int | None]:
    """Whether a daemon holds the lock file at ``path`` (exclusively: ``reminder status``'s shared
    instant is not one), and the pid in it then (None: not written yet, or unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False, None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True, _read_pid(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, None
    finally:
        os.close(fd)


def poke(data_dir: str | os.PathLike[str]) -> bool:
    """Ask a running daemon to look at the outbox now (after the CLI changed a case)."""
    pid = running_pid(data_dir)
    if pid is None:
        return False
    import signal  # here: with no daemon running (the usual case) a command need not import it

    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return False
    return True


def _already_running(path: Path) -> AlreadyRunning:
    pid = _read_pid(path)
    copier_pid = copier(path)
    if copier_pid is not None:
        return AlreadyRunning(
            None,
            _(
                "reminder db copy (pid %(pid)d) is copying this store: no daemon may send from it "
                "meanwhile; start again once the copy is done",
                pid=copier_pid,
            ),
            by_copy=True,
        )
    return AlreadyRunning(pid, _(ALREADY_RUNNING, pid=pid if pid is not None else "?"))


def copier(path: str | os.PathLike[str]) -> int | None:
    """The pid of the ``reminder db copy`` holding the lock file at ``path`` (its mark), or None.
    A copy clears its mark when it ends; one killed leaves it, in a file nobody holds."""
    try:
        with open(path, encoding="utf-8") as f:
            mark, _space, pid = f.read().strip().partition(" ")
    except (OSError, UnicodeDecodeError):
        return None
    if mark != COPY_MARK or not pid.isdigit() or not _held(os.fspath(path))[0]:
        return None
    return int(pid)
