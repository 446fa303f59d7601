"""Evidence attachments on disk: storing them content-addressed, and reading them back safely.

Attachments are copied into ``<data dir>/attachments/<sha256[:2]>/<sha256>`` (mode
0600), content-addressed, and never moved or altered; the original file name stays
in the entry. Files are copied *before* the database transaction: if the
transaction fails, the copied blobs are orphans — harmless, since a blob is only
reachable through an entry and identical content maps to the same name — and no
entry is visible.

Reading a blob back (``verify``, every export) never trusts what is at its place:
it is opened without following a symbolic link and without blocking
(``O_NOFOLLOW | O_NONBLOCK``), then ``fstat`` must say "regular file". A blob
replaced by a link to ``/dev/zero``, a FIFO, a device or a directory is reported as
:class:`TamperedFile` at once, instead of reading forever or waiting for a writer
that never comes. The name is checked too: the hash comes from the database, and a
"hash" such as ``../../x`` must not walk out of the attachments directory.

On PostgreSQL the attachments live in the database instead, so that every machine reads
them (``backends/postgres.py``, :class:`Blobs`): the functions here take ``where`` — the
data directory (files, SQLite) or the store's blobs (``Store.attachments``) — and do the
same with either: content-addressed, streamed a chunk at a time, hash checked on the way in.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from .errors import InputError, StoreError
from .files import fsync_dir, private_dir
from .i18n import _
from .lazylog import get_logger
from .leftovers import INCOMING_PREFIX, temp_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, BinaryIO, Protocol, TypeAlias

__all__ = [
    "ATTACHMENTS_DIR",
    "Attachments",
    "Blobs",
    "TamperedFile",
    "attachment_path",
    "blob_location",
    "blob_sha256",
    "check_readable",
    "file_sha256",
    "open_blob",
    "read_blob",
    "store_blob",
]

log = get_logger(__name__)

ATTACHMENTS_DIR = "attachments"
_CHUNK = 1 << 20
_SHA256 = r"[0-9a-f]{64}"  # compiled when first matched (re keeps it), not at import
# O_CLOEXEC: a blob opened while a notifier starts a child must not leak into it.
_OPEN_BLOB = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


if TYPE_CHECKING:

    class Blobs(Protocol):
        """Attachments kept somewhere other than files (the PostgreSQL database)."""

        def put(self, source: Path | IO[bytes], digest: str, *, name: str = "") -> int: ...

        def open(self, sha256: str) -> BinaryIO: ...

        def describe(self, sha256: str) -> str: ...

    # Where attachments live: the data directory (its attachments/ holds the files), or Blobs.
    Attachments: TypeAlias = Path | Blobs


class TamperedFile(OSError):
    """What is stored where an attachment should be is not the regular file reminder wrote."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem

    def __str__(self) -> str:
        return self.problem


def attachment_path(data_dir: str | os.PathLike[str], sha256: str) -> Path:
    """Where the blob with this hash lives under the data directory."""
    return Path(data_dir, ATTACHMENTS_DIR, sha256[:2], sha256)


def blob_location(where: Attachments, sha256: str) -> str:
    """Where the blob with this hash is, for a message or ``--json``."""
    if isinstance(where, Path):
        return str(attachment_path(where, sha256))
    return where.describe(sha256)


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a file"


def _open_blob(data_dir: Path, sha256: str) -> int:
    """An fd on the blob, which is a regular file; TamperedFile or FileNotFoundError otherwise."""
    if not re.fullmatch(_SHA256, sha256):
        raise TamperedFile("tampered: the recorded SHA-256 is not a SHA-256 hash")
    path = attachment_path(data_dir, sha256)
    try:
        fd = os.open(path, _OPEN_BLOB)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        # ELOOP is what O_NOFOLLOW answers for a link; say what is there if we can tell.
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise exc from None
        if stat.S_ISREG(mode):
            raise
        raise TamperedFile(f"tampered: not a regular file ({_what(mode)})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise TamperedFile(f"tampered: not a regular file ({_what(mode)})")
    return fd


def blob_sha256(where: Attachments, sha256: str) -> tuple[str, int]:
    """The current SHA-256 and size of the blob stored under ``sha256`` (see :func:`_open_blob`)."""
    with open_blob(where, sha256) as fh:
        return _digest(fh)


def read_blob(where: Attachments, sha256: str, limit: int | None = None) -> bytes:
    """The bytes of the blob stored under ``sha256`` (see :func:`_open_blob`); the first ``limit`` only
    when given (enough to tell a file's type without reading a large one whole)."""
    with open_blob(where, sha256) as fh:
        return fh.read() if limit is None else fh.read(limit)


def open_blob(where: Attachments, sha256: str) -> BinaryIO:
    """The blob stored under ``sha256``, open for reading in chunks (see :func:`_open_blob`)."""
    if not isinstance(where, Path):
        if not re.fullmatch(_SHA256, sha256):
            raise TamperedFile("tampered: the recorded SHA-256 is not a SHA-256 hash")
        return where.open(sha256)
    return os.fdopen(_open_blob(where, sha256), "rb")


def _digest(fh: IO[bytes]) -> tuple[str, int]:
    import hashlib  # here: a command that only lists evidence need not load OpenSSL (~3 ms)

    h = hashlib.sha256()
    size = 0
    while chunk := fh.read(_CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file the user names (``evidence add --file``)."""
    with path.open("rb") as fh:
        return _digest(fh)


def check_readable(files: Sequence[Path]) -> list[tuple[Path, str, int]]:
    """Hash every file first, so a bad one stops the command before anything is written."""
    out = []
    for path in files:
        if not path.exists():
            raise InputError(_("%(path)s: no such file", path=path))
        if not path.is_file():
            raise InputError(_("%(path)s: not a regular file", path=path))
        try:
            digest, size = file_sha256(path)
        except OSError as exc:
            raise InputError(
                _("%(path)s: cannot read it (%(why)s)", path=path, why=exc.strerror or exc)
            ) from exc
        out.append((path, digest, size))
    return out


def store_blob(where: Attachments, source: Path, digest: str) -> None:
    """Copy ``source`` to its content address unless a blob with that hash is already there.

    Through ``.incoming-*`` beside it, held locked until linked into place: a copy killed
    half-way is swept later, never one still being written (leftovers.py). Into the
    database, in its own transaction, for :class:`Blobs`.
    """
    if not isinstance(where, Path):
        try:
            where.put(source, digest, name=source.name)
        except OSError as exc:
            raise StoreError(f"cannot store the attachment {source.name}: {exc.strerror or exc}") from exc
        return
    dest = attachment_path(where, digest)
    if dest.exists():
        return  # same content, same name: the existing blob is never touched
    import hashlib

    try:
        private_dir(dest.parent)  # attachments/ and its fan-out directories: 0700 (files.py)
        with temp_file(dest.parent, prefix=INCOMING_PREFIX) as (fd, tmp):
            h = hashlib.sha256()
            with os.fdopen(os.dup(fd), "wb") as out, source.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != digest:
                raise InputError(
                    _("%(path)s: the file changed while it was being copied; try again", path=source)
                )
            # link() refuses to replace: a blob that appeared meanwhile stays as it is.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, dest)
            fsync_dir(dest.parent)
    except OSError as exc:
        raise StoreError(
            _("cannot store the attachment %(name)s: %(why)s", name=source.name, why=exc.strerror or exc)
        ) from exc
