"""What guards the evidence log from outside the database: the evidence key and the heads file.

Both live in one directory, by default the user's state directory
(``$XDG_STATE_HOME/reminder``, mode 0700), never the data directory beside the
database — see ``evidence.py`` for why, and for what they protect against.

``evidence.key``
    32 random bytes, written as 64 hex digits and a newline (so a person can copy it
    to paper or a password manager), mode 0600. Created on first use: the bytes go to
    a temporary file (``mkstemp``: ``O_CREAT | O_EXCL``, 0600), which is fsynced and
    then hard-linked to the final name. ``link`` never replaces, so of two processes
    creating the key at once one wins and the other reads the winner's key: both end
    with the same key, and nobody ever reads a half-written one.

``evidence-heads``
    One line per entry appended: ``<recorded_at> <case_id> <entries> <mac>``, opened
    with ``O_APPEND`` (mode 0600), so lines are only ever added. Each line is a
    witness of how far a case's log reached; ``verify`` checks the log against them.

:class:`EvidenceKey` never shows its bytes: not in ``repr``, logs, ``--json``,
exports or a child's environment. Only :meth:`EvidenceKey.mac` uses them.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import stat
from datetime import UTC, datetime

from .errors import StoreError
from .files import fsync_dir, open_private, private_dir
from .i18n import N_, _
from .lazylog import get_logger
from .paths import as_path, expand_path
from .record import Record, setfield

TYPE_CHECKING = False  # not typing's: `evidence add` imports this module
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "HEADS_FILENAME",
    "KEY_BYTES",
    "KEY_FILENAME",
    "EvidenceKey",
    "KeyDir",
    "Witness",
]

log = get_logger(__name__)

KEY_FILENAME = "evidence.key"
HEADS_FILENAME = "evidence-heads"
KEY_BYTES = 32
_CANNOT_CREATE = N_("%(path)s: cannot create the evidence key: %(why)s")
KEY_ID_LENGTH = 16
DIR_MODE = 0o700
FILE_MODE = 0o600
_KEY_TEXT = re.compile(r"[0-9a-f]{64}\n?")
_HEAD_LINE = re.compile(r"(\S+) ([0-9a-z]+) ([0-9]+) ([0-9a-f]{64})")
# A FIFO or device planted at a file's name must not block reminder.
_OPEN_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


class EvidenceKey:
    """The HMAC key of the evidence chain. ``key_id`` names it without revealing it."""

    __slots__ = ("_secret", "key_id", "path")

    def __init__(self, secret: bytes, path: str | os.PathLike[str]) -> None:
        self._secret = secret
        self.path = path
        # A MAC of a fixed label: tells keys apart, and says nothing about the key.
        self.key_id = hmac.new(secret, b"reminder evidence key id", hashlib.sha256).hexdigest()[
            :KEY_ID_LENGTH
        ]

    def mac(self, data: bytes) -> str:
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"EvidenceKey(key_id={self.key_id!r}, path={str(self.path)!r})"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("the evidence key is not copied out of this process")


class Witness(Record):
    """One line of the heads file: on ``recorded``, the log of ``case_id`` reached ``entries``."""

    case_id: str
    entries: int
    mac: str
    recorded: str

    __slots__ = ("case_id", "entries", "mac", "recorded")

    def __init__(self, case_id: str, entries: int, mac: str, recorded: str) -> None:
        setfield(self, "case_id", case_id)
        setfield(self, "entries", entries)
        setfield(self, "mac", mac)
        setfield(self, "recorded", recorded)


class KeyDir:
    """The directory that holds the evidence key and the heads file.

    Its paths are text inside (``dir``, ``key_file``, ``heads_file``) and Paths outside
    (``directory``, ``key_path``, ``heads_path``): ``evidence add`` runs on every entry a
    person logs, and pathlib is ~5 ms of a command's start (issue #20).
    """

    __slots__ = ("dir", "heads_file", "key_file")

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.dir = expand_path(directory)
        self.key_file = os.path.join(self.dir, KEY_FILENAME)
        self.heads_file = os.path.join(self.dir, HEADS_FILENAME)

    @classmethod
    def default(cls) -> KeyDir:
        from .paths import user_state_text

        return cls(user_state_text())

    def __repr__(self) -> str:
        return f"KeyDir({self.dir!r})"

    @property
    def directory(self) -> Path:
        return as_path(self.dir)

    @property
    def key_path(self) -> Path:
        return as_path(self.key_file)

    @property
    def heads_path(self) -> Path:
        return as_path(self.heads_file)

    # --- the key ------------------------------------------------------------------------------------

    def load(self) -> EvidenceKey | None:
        """The key, or None when there is none yet (reading never creates one)."""
        path = self.key_file
        try:
            fd = os.open(path, _OPEN_READ)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(
                _("%(path)s: cannot read the evidence key: %(why)s", path=path, why=exc.strerror or exc)
            ) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise StoreError(_("%(path)s: the evidence key is not a regular file", path=path))
            if st.st_mode & 0o077:
                # Anyone who read it could forge entries: close the door, and say so.
                try:
                    os.fchmod(fd, FILE_MODE)
                except OSError as exc:
                    raise StoreError(
                        _(
                            "%(path)s: the evidence key is readable by others and cannot be made private: "
                            "%(why)s",
                            path=path,
                            why=exc.strerror or exc,
                        )
                    ) from None
                log.warning("%s was readable by other users; it is 0600 now", path)
            text = os.read(fd, 2 * KEY_BYTES + 2).decode("ascii", "replace")
        finally:
            os.close(fd)
        if not _KEY_TEXT.fullmatch(text):
            raise StoreError(
                _(
                    "%(path)s: not an evidence key (expected %(n)d hex digits); "
                    "restore the file from a backup",
                    path=path,
                    n=2 * KEY_BYTES,
                )
            )
        return EvidenceKey(bytes.fromhex(text.strip()), path)

    def load_or_create(self) -> EvidenceKey:
        """The key, created now if there is none (see the module docstring for the race)."""
        key = self.load()
        if key is not None:
            return key
        self._ensure_directory()
        # Here, not at the top: only the first entry ever needs them (tempfile imports shutil,
        # random and three compression modules, secrets OpenSSL's hashlib: ~4 ms).
        import secrets
        import tempfile

        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".evidence.key-", dir=self.dir)
        except OSError as exc:
            raise StoreError(_(_CANNOT_CREATE, path=self.dir, why=exc.strerror)) from None
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another process won: its key stands
                os.link(tmp_name, self.key_file)
            fsync_dir(self.dir)
        except OSError as exc:
            raise StoreError(_(_CANNOT_CREATE, path=self.key_file, why=exc.strerror)) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
        key = self.load()
        if key is None:  # pragma: no cover - removed between link and load
            raise StoreError(_("%(path)s: the evidence key vanished as it was created", path=self.key_file))
        log.info("created the evidence key %s (id %s)", self.key_file, key.key_id)
        return key

    def _ensure_directory(self) -> None:
        try:
            private_dir(self.dir)  # its missing parents 0700 too (files.py)
            # mkdir's mode passes through the umask, and the directory may predate us.
            if stat.S_IMODE(os.stat(self.dir).st_mode) != DIR_MODE:
                os.chmod(self.dir, DIR_MODE)
        except OSError as exc:
            raise StoreError(
                _("%(path)s: cannot create the directory: %(why)s", path=self.dir, why=exc.strerror)
            ) from None

    # --- the heads file -----------------------------------------------------------------------------

    def record_head(self, case_id: str, entries: int, mac: str, now: datetime) -> None:
        """Append a witness line: the log of ``case_id`` now has ``entries`` entries, the last ``mac``."""
        if not re.fullmatch(r"[0-9a-z]+", case_id):
            raise ValueError(f"case id {case_id!r} cannot go into the heads file")
        line = f"{now.astimezone(UTC).isoformat(timespec='seconds')} {case_id} {entries} {mac}\n"
        self._ensure_directory()
        fd = open_private(self.heads_file, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{self.heads_file} is not a regular file")
            os.write(fd, line.encode("ascii"))  # one short write with O_APPEND: lines never interleave
            os.fsync(fd)
        finally:
            os.close(fd)

    def heads(self, case_id: str) -> list[Witness]:
        """Every witness line of ``case_id``, in the order they were written."""
        path = self.heads_file
        try:
            fd = os.open(path, _OPEN_READ)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(
                _("%(path)s: cannot read the evidence heads: %(why)s", path=path, why=exc.strerror or exc)
            ) from None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise StoreError(_("%(path)s: the evidence heads file is not a regular file", path=path))
            data = fh.read()
        out = []
        needle = f" {case_id} ".encode("ascii", "replace")
        for raw in data.splitlines():
            if needle not in raw:
                continue
            m = _HEAD_LINE.fullmatch(raw.decode("ascii", "replace"))
            if m is None or m.group(2) != case_id:
                log.debug("%s: skipping a malformed line", path)
                continue
            out.append(Witness(case_id, int(m.group(3)), m.group(4), m.group(1)))
        return out
