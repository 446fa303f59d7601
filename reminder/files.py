"""Creating reminder's directories and files: its owner's alone, whatever the umask.

What reminder keeps is personal (cases, evidence, passwords in a config file), and the
machine may be shared: a directory another user can write to lets them swap the database
or plant a ``-wal`` file beside it. So every directory reminder creates is 0700 and every
file 0600, in one place — here — rather than at each ``mkdir`` and ``open``:

- :func:`private_dir` creates a directory and its missing parents 0700 (``mkdir``'s mode
  alone is filtered through the umask, and ``Path.mkdir(parents=True)`` ignores it for the
  parents). A directory that already exists is left as it is: it is the user's.
- :func:`open_private` opens (creating) a file 0600; an existing file keeps its mode.
- :func:`write_file_atomic` writes a whole file through a synced temporary file and a
  rename, or a link when it must not replace one: a reader, or a full disk, never leaves
  half a file behind.
- :func:`write_cache_file` keeps a file of ``$XDG_CACHE_HOME/reminder`` that way, removes the
  older versions beside it, and skips a cache that cannot be written;
  :func:`read_marshal_file` reads one kept in ``marshal``'s format.

SQLite creates ``-wal`` and ``-shm`` with the database file's own mode, so a 0600 database
keeps those 0600 too. Only ``os``: the start-up fast path (``entry.py``) uses this.
"""

from __future__ import annotations

import contextlib
import os

TYPE_CHECKING = False  # not typing's: the start-up fast path imports this module
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "KEPT_OTHERS",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "fsync_dir",
    "open_private",
    "private_dir",
    "read_marshal_file",
    "write_cache_file",
    "write_file_atomic",
]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str]) -> None:
    """Create ``path`` and any missing parents as 0700 directories.

    Raises OSError (``NotADirectoryError`` when something other than a directory is there).
    """
    missing = []
    current = os.path.abspath(os.fspath(path))
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR_MODE)
        except FileExistsError:
            if os.path.isdir(directory):
                continue  # made by someone else meanwhile: theirs, left as it is
            raise NotADirectoryError(20, "Not a directory", directory) from None
        # mkdir's mode passed through the umask; this one does not.
        os.chmod(directory, PRIVATE_DIR_MODE)


def open_private(path: str | os.PathLike[str], flags: int) -> int:
    """``os.open(path, flags)``, creating the file 0600 if it is not there (close-on-exec)."""
    # The umask can only take bits away from 0600, never add group or other access.
    return os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)


def write_file_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> bool:
    """Write ``data`` as the whole of ``path`` (0600), all or nothing; True if it was written.

    The bytes go to a temporary file beside ``path``, are synced, then renamed over it —
    or, with ``overwrite=False``, hard-linked to it, which fails if ``path`` exists (then
    False, and nothing changes). The parent directory must exist. Raises OSError; the
    temporary file never stays behind.
    """
    target = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(target))
    tmp = os.path.join(folder, f".{name}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                return False
        fsync_dir(folder)
        return True
    finally:
        # Gone after a rename; the second name after a link; else the debris of a failure.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in ``folder`` durable (where the filesystem allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the file itself is synced
    finally:
        os.close(fd)


# How many files of other keys a cache keyed by the config or the installation keeps.
KEPT_OTHERS = 3


def write_cache_file(
    path: str, data: bytes, stale: Callable[[str], bool] | None = None, *, others: int = 0
) -> None:
    """Keep ``data`` as the cache file ``path`` (0600, in a 0700 directory, written whole) and
    remove the files beside it whose names ``stale`` accepts (other versions of the same cache),
    but the ``others`` most recently written of them: a cache whose key is the config or the
    installation keeps a few, so two of them used in turns do not throw each other's away.
    A cache that cannot be written is skipped, never an error: the next command computes it again."""
    folder, keep = os.path.split(path)
    try:
        private_dir(folder)
        write_file_atomic(path, data)
        if stale is None:
            return
        found = [os.path.join(folder, name) for name in os.listdir(folder) if name != keep and stale(name)]
        if others and len(found) > others:
            found.sort(key=_modified, reverse=True)
        for old in found[others:]:
            os.unlink(old)
    except OSError:
        pass


def _modified(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0


def read_marshal_file(path: str) -> object:
    """What :func:`write_cache_file` kept at ``path`` in ``marshal``'s format; None where there is
    none or it cannot be read (damaged, or another interpreter's format): the caller computes it."""
    import marshal  # built in: nothing to load

    try:
        with open(path, "rb") as f:
            return marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError, MemoryError):  # MemoryError: a flipped length
        return None
