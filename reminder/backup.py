"""``reminder backup``: a consistent copy of the database and the attachments, ready to restore.

The database is copied with SQLite's online backup API (``sqlite3.Connection.backup``) in
one step, which reads one snapshot: a daemon sending and a CLI adding cases meanwhile
neither wait long nor leave half a write in the copy. Attachments are content-addressed
blobs written *before* the evidence row that names them is committed, so every blob the
snapshot refers to already exists when they are copied after it; a blob added later is
copied too and harms nothing.

The backup is a directory laid out like the data directory (``reminder.db`` beside
``attachments/``), built under a temporary name next to its destination and renamed into
place at the end: it exists whole or not at all. Restore by pointing ``[store] path`` (or
``$REMINDER_STORE__PATH``) at its ``reminder.db``, or by copying both back.

The evidence key (``evidence_key.py``, in the state directory) is left out on purpose: a copy
of the data must not carry the key that makes its log's hashes unforgeable. The report says
where it is (:class:`EvidenceKeyNote`; its path, never its bytes), so that the person keeps a
copy of it apart: without it the restored log's seal cannot be verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, StoreError
from .evidence_files import ATTACHMENTS_DIR
from .files import PRIVATE_DIR_MODE, open_private
from .i18n import _
from .lazylog import get_logger

if TYPE_CHECKING:
    from .evidence_key import KeyDir

__all__ = ["BackupReport", "EvidenceKeyNote", "backup", "default_backup_path"]

log = get_logger(__name__)

DB_NAME = "reminder.db"
_DIR_MODE = PRIVATE_DIR_MODE  # os.mkdir here, not files.private_dir: a new directory, never an existing one
_CHUNK = 1 << 20
# How long the copy waits for a writer holding the database (a long catch-up commit).
_BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class EvidenceKeyNote:
    """Where the evidence key is, which the backup leaves out (``--json``'s ``evidence_key``)."""

    path: str  # the key file: to be kept apart from the backup, like a password
    exists: bool  # False: none there (no evidence logged yet with this state directory)
    in_backup: bool = False  # never: a copy of the data must not carry its key


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What was backed up, and where."""

    path: Path  # the backup directory
    database: Path  # its reminder.db: what [store] path points at to restore
    cases: int
    evidence: int
    attachments: int
    attachment_bytes: int
    integrity: str  # PRAGMA integrity_check of the copy: "ok"
    skipped: tuple[str, ...] = ()  # attachment files that were not regular files
    evidence_key: EvidenceKeyNote | None = None  # where the key left out is (None: not asked)


def default_backup_path(now: datetime, cwd: Path | None = None) -> Path:
    """``./reminder-backup-YYYYmmdd-HHMMSS`` (local time): beside you, not beside the data it saves."""
    return (cwd or Path.cwd()) / f"reminder-backup-{now.astimezone():%Y%m%d-%H%M%S}"


def backup(store_path: Path, dest: Path | None, *, now: datetime, keys: KeyDir | None = None) -> BackupReport:
    """Copy the database at ``store_path`` and its attachments into the new directory ``dest``.
    ``keys``: where the evidence key is, which the report names (it is not copied)."""
    store_path = store_path.expanduser()
    dest = (dest or default_backup_path(now)).expanduser().absolute()
    if not store_path.is_file():
        raise StoreError(_("%(path)s: no database there, nothing to back up", path=store_path))
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(
            _("%(path)s already exists and is not an empty directory; give a new path", path=dest)
        )
    if not dest.parent.is_dir():
        raise InputError(_("%(path)s is not a directory", path=dest.parent))
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))  # mode 0700
    except OSError as exc:
        raise StoreError(
            _("cannot create the backup in %(path)s: %(why)s", path=dest.parent, why=exc.strerror or exc)
        ) from exc
    try:
        database = work / DB_NAME
        integrity, cases, evidence = _copy_database(store_path, database)
        count, size, skipped = _copy_attachments(store_path.parent / ATTACHMENTS_DIR, work / ATTACHMENTS_DIR)
        _fsync_dir(work)
        # rename() replaces an empty directory and refuses a non-empty one: nothing is overwritten.
        os.rename(work, dest)
        _fsync_dir(dest.parent)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise StoreError(
            _("cannot write the backup %(path)s: %(why)s", path=dest, why=exc.strerror or exc)
        ) from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupReport(
        path=dest,
        database=dest / DB_NAME,
        cases=cases,
        evidence=evidence,
        attachments=count,
        attachment_bytes=size,
        integrity=integrity,
        skipped=tuple(skipped),
        evidence_key=None if keys is None else EvidenceKeyNote(keys.key_file, os.path.isfile(keys.key_file)),
    )


def _copy_database(source: Path, target: Path) -> tuple[str, int, int]:
    """The online backup into ``target`` (0600), checked; (integrity, cases, evidence entries)."""
    fd = open_private(target, os.O_WRONLY | os.O_EXCL)
    os.close(fd)
    try:
        # mode=rw: never create a database where there was none.
        src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=_BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StoreError(_("%(path)s: cannot open the database: %(error)s", path=source, error=exc)) from None
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            # One step (pages=-1): one read transaction, so one snapshot, whatever writers do.
            src.backup(dst)
            # A single self-contained file: no -wal beside it (opening it as a store turns WAL back on).
            dst.execute("PRAGMA journal_mode = DELETE")
            integrity = str(dst.execute("PRAGMA integrity_check").fetchone()[0])
            cases = int(dst.execute("SELECT COUNT(*) FROM cases").fetchone()[0])
            evidence = int(dst.execute("SELECT COUNT(*) FROM evidence").fetchone()[0])
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise StoreError(_("%(path)s: the backup failed: %(error)s", path=source, error=exc)) from None
    finally:
        src.close()
    if integrity != "ok":
        raise StoreError(
            _(
                "%(path)s: the copy does not pass PRAGMA integrity_check: %(result)s",
                path=target,
                result=integrity,
            )
        )
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())
    return integrity, cases, evidence


def _copy_attachments(source: Path, target: Path) -> tuple[int, int, list[str]]:
    """Copy every blob (``xx/<sha256>``), checking its hash; (files, bytes, skipped names)."""
    os.mkdir(target, _DIR_MODE)
    count = size = 0
    skipped: list[str] = []
    if not source.is_dir():
        return count, size, skipped
    for sub in sorted(source.iterdir()):
        if not sub.is_dir() or sub.is_symlink():
            continue
        out_dir = target / sub.name
        for blob in sorted(sub.iterdir()):
            if blob.name.startswith("."):  # a blob being written (.incoming-*): not referenced yet
                continue
            copied = _copy_blob(blob, out_dir)
            if copied is None:
                skipped.append(f"{sub.name}/{blob.name}")
                continue
            count += 1
            size += copied
    return count, size, skipped


def _copy_blob(blob: Path, out_dir: Path) -> int | None:
    """Copy one blob without following links or blocking on a FIFO; None if it is not a plain file."""
    try:
        fd = os.open(blob, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        log.warning("backup: skipping %s: %s", blob, exc.strerror or exc)
        return None
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            log.warning("backup: skipping %s: not a regular file", blob)
            return None
        if not out_dir.exists():
            os.mkdir(out_dir, _DIR_MODE)
        out_fd = open_private(out_dir / blob.name, os.O_WRONLY | os.O_EXCL)
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(out_fd, "wb") as out:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    if digest.hexdigest() != blob.name:
        # Copied as it is: `reminder evidence verify` on the backup names it, as on the original.
        log.warning("backup: %s does not match its name (changed since it was attached)", blob)
    return written


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
