"""Temporary files a crash can leave behind: how reminder writes them, and the sweep that removes them.

Every file reminder writes whole — an attachment copied into the data directory, an
exported dossier or calendar — is written to a temporary file beside its target and
renamed into place, so a reader never sees half of one. A process killed mid-write
(SIGKILL, power cut) leaves that temporary file behind. Two kinds exist:

- ``<data dir>/attachments/<xx>/.incoming-<token>`` (``evidence add --file``), found
  by looking in the attachments directories;
- ``<dir>/.<name>.<token>.tmp`` beside an export's target, which may be any
  directory. Those are found through a *journal*: before such a file is created, its
  path is written to ``<data dir>/pending-writes/<token>``, and the entry is removed
  once the file has been renamed or deleted.

:func:`sweep` removes what a dead writer left; the daemon runs it at start-up and in
its hourly housekeeping.

Why the sweep never removes a file a live process is writing: the writer holds an
exclusive ``flock`` on its temporary file from the moment it creates it until it has
renamed or removed it, and the kernel drops that lock only when the writer closes the
file or dies. The sweep removes a file only while holding that same lock itself (so
the writer is gone), and only a file older than :data:`LEFTOVER_AGE` — which covers
the instant between a writer's ``open`` and its ``flock``. Neither is a SQLite file,
so taking and dropping locks on them cannot disturb the database (store.py's rule).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from .files import open_private, private_dir
from .lazylog import get_logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = [
    "INCOMING_PREFIX",
    "JOURNAL_DIR",
    "LEFTOVER_AGE",
    "atomic_file",
    "journal_dir",
    "sweep",
    "temp_file",
]

log = get_logger(__name__)

# A leftover must be this old before the sweep looks at it: the lock is what proves its
# writer dead, the age only covers the instant before a new writer has taken that lock.
LEFTOVER_AGE = timedelta(minutes=5)
INCOMING_PREFIX = ".incoming-"
JOURNAL_DIR = "pending-writes"
TMP_SUFFIX = ".tmp"
# evidence_files.attachment_path's layout: <data dir>/attachments/<sha256[:2]>/. Spelled
# out here because evidence_files.py imports this module, not the other way round.
_BLOB_DIRS = "attachments/*"


def journal_dir(data_dir: Path) -> Path:
    """Where the paths of temporary files written outside ``data_dir`` are recorded."""
    return data_dir / JOURNAL_DIR


@contextlib.contextmanager
def temp_file(
    directory: Path, *, prefix: str, suffix: str = "", journal: Path | None = None
) -> Iterator[tuple[int, Path]]:
    """A new temporary file in ``directory`` (mode 0600), locked for as long as the block runs.

    Yields its descriptor and path; the block renames the file into place or leaves it to
    be deleted here. ``journal`` (see :func:`journal_dir`) records the file first, for a
    file outside the data directory, so that a crash before the rename cannot hide it.
    """
    # secrets.token_hex(8), without importing secrets (hmac, hashlib and OpenSSL with it).
    token = os.urandom(8).hex()
    path = directory / f"{prefix}{token}{suffix}"
    marker: Path | None = None
    if journal is not None:
        private_dir(journal)
        marker = journal / token
        _write_marker(marker, path.absolute())
    fd = -1
    try:
        fd = open_private(path, os.O_RDWR | os.O_EXCL)
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd, path
    finally:
        if fd >= 0:
            # Still ours (locked): gone if the block renamed it, else an abandoned write.
            path.unlink(missing_ok=True)
            os.close(fd)
        if marker is not None:
            marker.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(path: Path, *, mode: int = 0o600, journal: Path | None = None) -> Iterator[BinaryIO]:
    """Write ``path`` whole or not at all: through a synced temporary file beside it, renamed.

    Yields a binary file to write to (and seek in: a zip needs that). On an error the old
    file, if any, stays as it was and the temporary file is removed.
    """
    private_dir(path.parent)
    with temp_file(path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX, journal=journal) as (fd, tmp):
        # A second descriptor for the file object, so closing it keeps temp_file's lock.
        with os.fdopen(os.dup(fd), "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.fchmod(fd, mode)
        os.replace(tmp, path)


def _write_marker(marker: Path, target: Path) -> None:
    fd = open_private(marker, os.O_WRONLY | os.O_EXCL)
    try:
        os.write(fd, os.fsencode(target))
    finally:
        os.close(fd)


# --- the sweep ----------------------------------------------------------------------------------


def sweep(data_dir: Path, *, now: datetime, min_age: timedelta = LEFTOVER_AGE) -> list[Path]:
    """Remove temporary files whose writer died; return the paths removed.

    Only files named as reminder names its temporary files are considered, older than
    ``min_age`` and not locked by a live writer (see the module docstring).
    """
    removed: list[Path] = []
    try:
        _sweep(data_dir, now.timestamp() - min_age.total_seconds(), removed)
    except OSError as exc:  # an unreadable directory must not stop the daemon
        log.warning("cannot sweep %s for leftover temporary files: %s", data_dir, exc)
    for path in removed:
        log.info("removed %s, left by a write that did not finish", path)
    return removed


def _sweep(data_dir: Path, cutoff: float, removed: list[Path]) -> None:
    for folder in sorted(data_dir.glob(_BLOB_DIRS)):
        for path in sorted(folder.glob(f"{INCOMING_PREFIX}*")):
            if _remove_if_abandoned(path, cutoff):
                removed.append(path)
    try:
        markers = sorted(journal_dir(data_dir).iterdir())
    except FileNotFoundError:
        markers = []
    for marker in markers:
        target = _read_marker(marker)
        if target is not None and _is_temp_name(target) and _lexists(target):
            if _remove_if_abandoned(target, cutoff):
                removed.append(target)
                marker.unlink(missing_ok=True)
            continue  # a live or young write keeps its entry
        # Nothing (or nothing of ours) to remove: the entry goes once it is old enough not to
        # belong to a writer that has recorded the path but not yet created the file.
        with contextlib.suppress(OSError):
            if marker.lstat().st_mtime < cutoff:
                marker.unlink()


def _read_marker(marker: Path) -> Path | None:
    try:
        raw = marker.read_bytes()
    except OSError:
        return None
    path = Path(os.fsdecode(raw))
    return path if raw and path.is_absolute() else None


def _is_temp_name(path: Path) -> bool:
    # A journal entry names a file atomic_file made, or nothing is done with it: whoever can
    # write the journal cannot make the sweep delete an arbitrary file.
    return path.name.startswith(".") and path.name.endswith(TMP_SUFFIX)


def _lexists(path: Path) -> bool:
    try:
        path.lstat()
    except OSError:
        return False
    return True


def _remove_if_abandoned(path: Path, cutoff: float) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_mtime >= cutoff:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it
        same = os.fstat(fd)
        if (same.st_dev, same.st_ino) != (st.st_dev, st.st_ino):
            return False
        try:
            path.unlink()
        except OSError as exc:
            log.warning("cannot remove the leftover %s: %s", path, exc)
            return False
        return True
    finally:
        os.close(fd)
