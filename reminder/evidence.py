"""The evidence log: an append-only, hash-chained record of what was done on a case.

Each entry (a call, an e-mail, a letter, a screenshot, a verification code…)
gets the next sequence number of its case and a SHA-256 over a canonical JSON
of its fields, its attachments' hashes and the previous entry's hash
(:func:`entry_hash`). Nothing is edited or deleted in place: a correction is a
new entry with ``corrects = N``. :func:`verify` recomputes the chain and every
attachment's file hash and names the first entry or file that changed.

Attachments are copied into ``<data dir>/attachments/<sha256[:2]>/<sha256>``
(mode 0600), content-addressed, and never moved or altered; the original file
name stays in the entry. Files are copied *before* the database transaction:
if the transaction fails, the copied blobs are orphans — harmless, since a
blob is only reachable through an entry and identical content maps to the
same name — and no entry is visible.

The chain makes accidental or casual edits evident; someone who can rewrite
the database could recompute every hash, which is why the dossier prints the
head hash: a copy kept elsewhere pins the log as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, NotFound, StoreError
from .models import EVIDENCE_KINDS, EvidenceEntry

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "CODE_WARNING",
    "EVIDENCE_KINDS",
    "FUTURE_TOLERANCE",
    "JSON_VERSION",
    "Attachment",
    "Problem",
    "VerifyReport",
    "add_entry",
    "attachment_path",
    "attachments_of",
    "canonical_json",
    "corrections_of",
    "entries_by_case",
    "entry_hash",
    "entry_to_dict",
    "get_entry",
    "list_entries",
    "verify",
]

log = logging.getLogger(__name__)

CODE_WARNING = (
    "Fraudsters call people who are waiting on exactly this kind of request: never give a "
    "verification code to someone who calls you — the organisation will not ask for it by phone."
)
# An entry may be stamped a little ahead of the clock (two devices); more is a typo.
FUTURE_TOLERANCE = timedelta(minutes=5)
JSON_VERSION = 1
ATTACHMENTS_DIR = "attachments"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to an entry, as recorded (and hashed) in the entry."""

    sha256: str
    name: str
    size: int

    def as_mapping(self) -> dict[str, str]:
        return {"sha256": self.sha256, "name": self.name, "size": str(self.size)}


def attachments_of(entry: EvidenceEntry) -> list[Attachment]:
    return [Attachment(a["sha256"], a["name"], int(a["size"])) for a in entry.attachments]


def attachment_path(data_dir: Path, sha256: str) -> Path:
    """Where the blob with this hash lives under the data directory."""
    return data_dir / ATTACHMENTS_DIR / sha256[:2] / sha256


# --- hashing -------------------------------------------------------------------------------------


def canonical_json(entry: EvidenceEntry) -> bytes:
    """The bytes an entry's hash is computed over: sorted keys, no whitespace, UTF-8."""
    doc: dict[str, Any] = {
        "case_id": entry.case_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "summary": entry.summary,
        "at": entry.at.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(),
        "attachments": [{"sha256": a.sha256, "name": a.name, "size": a.size} for a in attachments_of(entry)],
        "corrects": entry.corrects,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: EvidenceEntry) -> str:
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def _file_sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


# --- the database (table: store.m003_evidence) --------------------------------------------------


_COLUMNS = "case_id, seq, kind, summary, at, recorded_at, attachments, corrects, prev_hash, hash"


def _row_to_entry(row: Sequence[Any]) -> EvidenceEntry:
    case_id, seq, kind, summary, at, recorded_at, attachments, corrects, prev_hash, digest = row
    try:
        files = tuple(
            {"sha256": str(a["sha256"]), "name": str(a["name"]), "size": str(a["size"])}
            for a in json.loads(attachments)
        )
        return EvidenceEntry(
            case_id=case_id,
            seq=int(seq),
            kind=kind,
            summary=summary,
            at=datetime.fromisoformat(at),
            recorded_at=datetime.fromisoformat(recorded_at),
            attachments=files,
            corrects=None if corrects is None else int(corrects),
            prev_hash=prev_hash,
            hash=digest,
        )
    except (ValueError, TypeError, KeyError) as exc:
        # A row nobody could have written through reminder: show it as tampered, don't crash.
        return EvidenceEntry(
            case_id=str(case_id),
            seq=int(seq),
            kind=str(kind),
            summary=f"<unreadable row: {exc}>",
            at=datetime.min.replace(tzinfo=UTC),
            recorded_at=datetime.min.replace(tzinfo=UTC),
            prev_hash=str(prev_hash),
            hash="",
        )


def _rows(store: Store, sql: str, params: Sequence[Any]) -> list[Any]:
    try:
        return list(store.conn.execute(sql, params).fetchall())
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the evidence log: {exc}") from exc


def list_entries(store: Store, case_id: str) -> list[EvidenceEntry]:
    """Every entry of a case, oldest first (raises NotFound for an unknown case)."""
    case_id = store.get_case(case_id).id
    rows = _rows(store, f"SELECT {_COLUMNS} FROM evidence WHERE case_id = ? ORDER BY seq", (case_id,))
    return [_row_to_entry(r) for r in rows]


def entries_by_case(store: Store, case_ids: Sequence[str]) -> dict[str, list[EvidenceEntry]]:
    """The entries of several cases in one query (a case without entries has no key).

    For the daemon's catch-up, which renders a message for each of thousands of cases.
    """
    out: dict[str, list[EvidenceEntry]] = {}
    for start in range(0, len(case_ids), 500):  # well below SQLite's limit on parameters
        chunk = list(case_ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {_COLUMNS} FROM evidence WHERE case_id IN ({marks}) ORDER BY case_id, seq"
        for row in _rows(store, sql, chunk):
            out.setdefault(row[0], []).append(_row_to_entry(row))
    return out


def get_entry(store: Store, case_id: str, seq: int) -> EvidenceEntry:
    case_id = store.get_case(case_id).id
    rows = _rows(store, f"SELECT {_COLUMNS} FROM evidence WHERE case_id = ? AND seq = ?", (case_id, seq))
    if not rows:
        raise NotFound(f"case {case_id} has no evidence entry {seq}")
    return _row_to_entry(rows[0])


def corrections_of(entries: Iterable[EvidenceEntry]) -> dict[int, list[int]]:
    """Entry number → the entries that correct it."""
    out: dict[int, list[int]] = {}
    for e in entries:
        if e.corrects is not None:
            out.setdefault(e.corrects, []).append(e.seq)
    return out


# --- adding ---------------------------------------------------------------------------------------


def _check_readable(files: Sequence[Path]) -> list[tuple[Path, str, int]]:
    """Hash every file first, so a bad one stops the command before anything is written."""
    out = []
    for path in files:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        try:
            digest, size = _file_sha256(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
        out.append((path, digest, size))
    return out


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the file itself is synced
    finally:
        os.close(fd)


def _store_blob(data_dir: Path, source: Path, digest: str) -> None:
    """Copy ``source`` to its content address unless a blob with that hash is already there."""
    dest = attachment_path(data_dir, digest)
    if dest.exists():
        return  # same content, same name: the existing blob is never touched
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != digest:
            raise InputError(f"{source}: the file changed while it was being copied; try again")
        os.chmod(tmp, 0o600)
        # link() refuses to replace: a blob that appeared meanwhile stays as it is.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, dest)
        _fsync_dir(dest.parent)
    except OSError as exc:
        raise StoreError(f"cannot store the attachment {source.name}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def add_entry(
    store: Store,
    data_dir: Path,
    case_id: str,
    *,
    kind: str,
    summary: str,
    now: datetime,
    at: datetime | None = None,
    files: Sequence[Path] = (),
    corrects: int | None = None,
) -> EvidenceEntry:
    """Append an entry to a case's log and return it (with its number and hash).

    Order matters for "nothing half-written": validate everything, copy the
    attachments, then insert the row in one transaction.
    """
    if kind not in EVIDENCE_KINDS:
        raise InputError(f"unknown evidence kind {kind!r}; use one of: {', '.join(EVIDENCE_KINDS)}")
    summary = summary.strip()
    if not summary:
        raise InputError("the summary is empty: say in a few words what happened")
    if now.tzinfo is None or (at is not None and at.tzinfo is None):
        raise InputError("times must carry a time zone")
    at = at or now
    if at > now + FUTURE_TOLERANCE:
        raise InputError(f"--at {at.isoformat()} is in the future")
    if corrects is not None and corrects < 1:
        raise InputError("--corrects takes the number of an earlier entry (1, 2, …)")
    case_id = store.get_case(case_id).id
    checked = _check_readable(files)

    for path, digest, _size in checked:
        _store_blob(data_dir, path, digest)
    attachments = tuple(Attachment(d, p.name, s).as_mapping() for p, d, s in checked)

    try:
        with store.atomic():
            last = store.conn.execute(
                "SELECT seq, hash FROM evidence WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (case_id,)
            ).fetchone()
            seq = 1 if last is None else int(last[0]) + 1
            prev_hash = "" if last is None else str(last[1])
            if corrects is not None and corrects >= seq:
                raise NotFound(f"case {case_id} has no evidence entry {corrects} to correct")
            entry = EvidenceEntry(
                case_id=case_id,
                seq=seq,
                kind=kind,
                summary=summary,
                at=at,
                recorded_at=now,
                attachments=attachments,
                corrects=corrects,
                prev_hash=prev_hash,
            )
            entry = replace(entry, hash=entry_hash(entry))
            store.conn.execute(
                f"INSERT INTO evidence ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.case_id,
                    entry.seq,
                    entry.kind,
                    entry.summary,
                    entry.at.isoformat(),
                    entry.recorded_at.isoformat(),
                    json.dumps(
                        [{"sha256": a.sha256, "name": a.name, "size": a.size} for a in attachments_of(entry)],
                        ensure_ascii=False,
                    ),
                    entry.corrects,
                    entry.prev_hash,
                    entry.hash,
                ),
            )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot record the evidence entry: {exc}") from exc
    log.info("evidence entry %s/%d recorded (%d attachment(s))", case_id, entry.seq, len(attachments))
    return entry


# --- verifying ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing ``verify`` found wrong: an entry, or one attachment of an entry."""

    seq: int
    problem: str
    attachment: str | None = None

    def __str__(self) -> str:
        if self.attachment is not None:
            return f"attachment {self.attachment} of entry {self.seq}: {self.problem}"
        return f"entry {self.seq}: {self.problem}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    case_id: str
    entries: int
    attachments: int
    head_hash: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify(store: Store, data_dir: Path, case_id: str) -> VerifyReport:
    """Recompute the chain and every attachment's hash; list what no longer matches, in log order."""
    case_id = store.get_case(case_id).id
    entries = list_entries(store, case_id)
    problems: list[Problem] = []
    expected_prev = ""
    n_files = 0
    for index, entry in enumerate(entries, start=1):
        if entry.seq != index:
            problems.append(Problem(index, f"missing (the log jumps from {index - 1} to {entry.seq})"))
        if entry.prev_hash != expected_prev:
            problems.append(Problem(entry.seq, "does not follow the previous entry (the chain is broken)"))
        if not entry.hash or entry_hash(entry) != entry.hash:
            problems.append(Problem(entry.seq, "hash mismatch (the entry was changed after it was recorded)"))
        if entry.corrects is not None and not 1 <= entry.corrects < entry.seq:
            problems.append(
                Problem(entry.seq, f"corrects entry {entry.corrects}, which is not an earlier entry")
            )
        expected_prev = entry.hash
        for att in attachments_of(entry):
            n_files += 1
            path = attachment_path(data_dir, att.sha256)
            try:
                digest, size = _file_sha256(path)
            except FileNotFoundError:
                problems.append(Problem(entry.seq, f"missing (expected at {path})", att.name))
                continue
            except OSError as exc:
                problems.append(Problem(entry.seq, f"unreadable ({exc.strerror or exc})", att.name))
                continue
            if digest != att.sha256 or size != att.size:
                problems.append(Problem(entry.seq, f"changed (sha256 is now {digest[:16]}…)", att.name))
    head = entries[-1].hash if entries else ""
    report = VerifyReport(case_id, len(entries), n_files, head, tuple(problems))
    if problems:
        log.info("evidence of case %s does not verify: %s", case_id, problems[0])
    return report


# --- JSON ------------------------------------------------------------------------------------------


def entry_to_dict(entry: EvidenceEntry, data_dir: Path | None = None) -> dict[str, Any]:
    """An entry as plain data for ``--json`` (attachment paths when the data directory is given)."""
    files: list[dict[str, Any]] = []
    for a in attachments_of(entry):
        item: dict[str, Any] = {"name": a.name, "sha256": a.sha256, "size": a.size}
        if data_dir is not None:
            item["path"] = str(attachment_path(data_dir, a.sha256))
        files.append(item)
    return {
        "case_id": entry.case_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "summary": entry.summary,
        "at": entry.at.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(),
        "attachments": files,
        "corrects": entry.corrects,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
