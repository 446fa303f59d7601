"""The holidays package's results, kept between commands (``calendar.use_holiday_cache``).

``reminder add`` and ``reminder window`` need a year or two of one country's business days.
Computing them imports the holidays package and that country's module and runs its rules
(~60 ms, more than the rest of the command); the answer depends only on the package's
files, reminder's calendar and holiday-name code, its official-closure data and its holiday
names. This cache keeps what the calendar computed — each year's days, each valid country
code, the package's version — and the holidays' names in another language, the package's own
for a year and reminder's catalogue (``holiday_names.py``, for ``window --explain`` in
Chinese), in one JSON file under ``$XDG_CACHE_HOME/reminder`` whose name is a hash of the
package's release and of those files' sizes and times, so an upgrade of either starts a new
file (and removes the old one).

It holds only public holiday data: no setting, no case.
"""

from __future__ import annotations

import os
from functools import cache

from .paths import user_cache_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["FileHolidayCache", "holiday_cache_file", "holidays_release", "install"]

_PREFIX = "holidays-"
_FORMAT = 1


class FileHolidayCache:
    """A ``calendar.HolidayCache`` in one JSON file, read once, written once at exit if it grew."""

    def __init__(self, path: str, stamp: str) -> None:
        self.path = path
        self.stamp = stamp  # what the file name hashes, kept inside and compared: never a collision
        self._data: dict[str, Any] | None = None
        self._new: dict[str, Any] = {}

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._read()
        return self._data

    def _read(self) -> dict[str, Any]:
        import json

        try:
            with open(self.path, "rb") as f:
                data = json.loads(f.read())
        except (OSError, ValueError):
            return {}
        ok = isinstance(data, dict) and data.get("format") == _FORMAT and data.get("stamp") == self.stamp
        return data if ok else {}

    def get(self, key: str) -> Any:
        return self._loaded().get(key)

    def put(self, key: str, value: Any) -> None:
        if not self._new:
            import atexit

            atexit.register(self.save)
        self._new[key] = value
        self._loaded()[key] = value

    def save(self) -> None:
        """Write what this process added (merged with what others wrote meanwhile); a cache
        that cannot be written is skipped."""
        if not self._new:
            return
        import json

        from .files import KEPT_OTHERS, write_cache_file

        # Read, merge and write under a lock on the cache's directory: two commands saving at
        # once would otherwise each write what it read before the other wrote, and drop its keys.
        lock = _lock_directory(os.path.dirname(self.path))
        try:
            data = {**self._read(), **self._new, "format": _FORMAT, "stamp": self.stamp}
            text = json.dumps(data, ensure_ascii=False)
            # Other installations' files are kept too (a few): two installs sharing this directory
            # (a venv and a pipx one) would otherwise throw each other's away on every command.
            write_cache_file(
                self.path,
                text.encode("utf-8"),
                lambda n: n.startswith(_PREFIX) and n.endswith(".json"),
                others=KEPT_OTHERS,
            )
        finally:
            if lock is not None:
                os.close(lock)  # closing the only descriptor releases the lock
        self._new = {}


def _lock_directory(folder: str) -> int | None:
    """A descriptor of ``folder`` holding an exclusive ``flock`` (released when it is closed, or
    the process dies); None without the directory (not made yet), on a file system without
    locks, or when the holder keeps it past :data:`_LOCK_WAIT_S` (stopped, say): a cache is never
    worth an error or a command that does not end. Unlocked, the worst is a key computed again."""
    import fcntl
    import time

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    waited_until = time.monotonic() + _LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() < waited_until:
                time.sleep(0.005)
                continue
        except OSError:
            pass
        os.close(fd)
        return None


# How long a save waits for another's: a save takes milliseconds, so only a stopped holder waits it out.
_LOCK_WAIT_S = 2.0


@cache  # asked twice by a command that computes a window (settings_cache.py's key, then here)
def holidays_release() -> tuple[str, str] | None:
    """The installed holidays package's directory and release ("0.62"), found without importing
    it (its import costs more than a command); None when it is not installed. The release is
    read from the name of its ``.dist-info`` directory beside it ("" when there is none, as in a
    source checkout): an upgrade that keeps every file's size and time still changes it."""
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    package = os.path.dirname(spec.origin)
    try:
        names = os.listdir(os.path.dirname(package))
    except OSError:
        names = []
    prefix, suffix = "holidays-", ".dist-info"
    found = sorted(
        n[len(prefix) : -len(suffix)] for n in names if n.startswith(prefix) and n.endswith(suffix)
    )
    return package, ",".join(found)


def holiday_cache_file() -> tuple[str, str] | None:
    """This installation's cache file and the stamp of the files it depends on, or None (no
    cache directory, or holidays not found)."""
    # The builtin module, not zlib: settings_cache.py has loaded it already.
    from _blake2 import blake2b

    from . import __version__

    folder = user_cache_dir()
    release = holidays_release()
    if folder is None or release is None:
        return None
    holidays_dir, holidays_version = release
    here = os.path.dirname(__file__)
    # Official closures (overrides.py) and reminder's own holiday names (holiday_names.py).
    data_files = []
    for kind in ("overrides", "holiday_names"):
        folder_of = os.path.join(here, "data", kind)
        try:
            names = os.listdir(folder_of)
        except OSError:
            names = []
        data_files += sorted(os.path.join(folder_of, n) for n in names)
    stamp = [__version__, f"holidays {holidays_version}"]
    for path in (
        os.path.join(holidays_dir, "__init__.py"),
        os.path.join(holidays_dir, "registry.py"),
        os.path.join(holidays_dir, "version.py"),
        os.path.join(here, "calendar.py"),
        os.path.join(here, "holiday_years.py"),
        os.path.join(here, "countries.py"),
        os.path.join(here, "holiday_names.py"),
        os.path.join(here, "overrides.py"),
        os.path.join(here, "holiday_cache.py"),
        *data_files,
    ):
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    text = "\0".join(stamp)
    key = blake2b(text.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()
    return os.path.join(folder, f"{_PREFIX}{key}.json"), text


def install() -> None:
    """Keep the calendar's holiday results in this installation's cache file (if there is one)."""
    from .calendar import use_holiday_cache

    found = holiday_cache_file()
    if found is not None:
        use_holiday_cache(FileHolidayCache(*found))
