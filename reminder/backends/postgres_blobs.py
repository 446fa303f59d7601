"""Evidence attachments kept in the PostgreSQL database, so that every machine reads them.

Content-addressed like the files under SQLite (evidence_files.py): ``attachments`` has one
row per blob (its SHA-256, size and number of chunks), written last, in the same
transaction as its ``attachment_chunks`` — the bytes, :data:`CHUNK_SIZE` per row. A blob
is written and read a chunk at a time, so memory stays flat whatever it weighs, and its
hash is checked on the way in. Tables: ``backends/postgres.py``'s m003.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from ..errors import InputError
from ..i18n import _

if TYPE_CHECKING:
    from .postgres import PgConnection

__all__ = ["CHUNK_SIZE", "PgBlobs"]

CHUNK_SIZE = 1 << 20  # one attachment_chunks row: big enough to stream fast, small enough to hold


class _ChunkReader(io.RawIOBase):
    """An attachment read a chunk (one row) at a time."""

    def __init__(self, conn: PgConnection, sha256: str, chunks: int, size: int) -> None:
        self._conn, self._sha, self._chunks = conn, sha256, chunks
        self._n, self._buf = 0, b""
        self.size = size  # what the dossier's zip needs to know before it streams

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf and self._n < self._chunks:
            row = self._conn.execute(
                "SELECT data FROM attachment_chunks WHERE sha256 = ? AND n = ?", (self._sha, self._n)
            ).fetchone()
            if row is None:
                raise OSError(f"attachment {self._sha}: chunk {self._n} is missing")
            self._buf, self._n = bytes(row[0]), self._n + 1
        size = min(len(b), len(self._buf))
        b[:size] = self._buf[:size]
        self._buf = self._buf[size:]
        return size


class PgBlobs:
    """Attachments in the database: ``attachments`` (one row per blob, written last) and
    ``attachment_chunks`` (its bytes, :data:`CHUNK_SIZE` per row)."""

    def __init__(
        self, conn: PgConnection, atomic: Callable[[], contextlib.AbstractContextManager[Any]]
    ) -> None:
        self._conn = conn
        self._atomic = atomic

    def put(self, source: Path | IO[bytes], digest: str, *, name: str = "") -> int:
        """Store the bytes of ``source`` (a path or an open binary file) under ``digest`` unless
        a blob with that hash is there already; refused if the bytes do not hash to it.
        Returns the blob's size."""
        row = self._conn.execute("SELECT size FROM attachments WHERE sha256 = ?", (digest,)).fetchone()
        if row is not None:
            return int(row[0])
        h, size, n = hashlib.sha256(), 0, 0
        with contextlib.ExitStack() as stack:
            src = stack.enter_context(source.open("rb")) if isinstance(source, Path) else source
            with self._atomic():
                while chunk := src.read(CHUNK_SIZE):
                    h.update(chunk)
                    size += len(chunk)
                    self._conn.execute(
                        "INSERT INTO attachment_chunks (sha256, n, data) VALUES (?, ?, ?)"
                        " ON CONFLICT DO NOTHING",
                        (digest, n, chunk),
                    )
                    n += 1
                if h.hexdigest() != digest:
                    raise InputError(
                        _(
                            "%(path)s: the file changed while it was being copied; try again",
                            path=name or digest,
                        )
                    )
                self._conn.execute(
                    "INSERT INTO attachments (sha256, size, chunks, stored_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (digest, size, n, datetime.now(UTC).isoformat()),
                )
        return size

    def open(self, sha256: str) -> BinaryIO:
        """The blob, for reading in chunks; FileNotFoundError if it was never stored."""
        row = self._conn.execute(
            "SELECT chunks, size FROM attachments WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            raise FileNotFoundError(f"attachment {sha256} is not in the database")
        return io.BufferedReader(_ChunkReader(self._conn, sha256, int(row[0]), int(row[1])), CHUNK_SIZE)

    def describe(self, sha256: str) -> str:
        return f"attachment {sha256[:16]}… in the database"
