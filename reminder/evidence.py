"""The evidence log: an append-only, keyed hash chain of what was done on a case.

Each entry (a call, an e-mail, a letter, a screenshot, a verification code…) gets
the next number of its case and a MAC over a canonical JSON of its fields, its
attachments' hashes and the previous entry's MAC (:func:`canonical_json`). Nothing
is edited or deleted in place: a correction is a new entry with ``corrects = N``.
:func:`evidence_verify.verify` recomputes the chain and every attachment's hash and
names exactly what no longer matches. Attachments are stored and read back by
``evidence_files.py``; the key and the heads file live in ``evidence_key.py``.

What the record must withstand, and how
---------------------------------------
The log is what a person takes to a regulator, so "the database says so" is not
enough. Three guards, each against a stronger editor of the database file:

1. **Triggers** (m003, m006) refuse UPDATE and DELETE on ``evidence`` and on
   ``evidence_heads``: casual edits and bugs cannot change the log.

2. **A keyed chain.** A plain SHA-256 chain only shows *accidental* change:
   whoever can write the file can recompute every hash with ``hashlib`` (they are
   public functions of the rows). Since scheme 2 each entry's ``hash`` is an
   HMAC-SHA256 under a 32-byte key kept *outside* the database, in the user's
   state directory (``$XDG_STATE_HOME/reminder/evidence.key``, 0600, created on
   first use). Not in the data directory: that directory is what gets copied —
   ``[store] path`` on a synced or shared folder, a backup, a copy sent to a
   helper — and a key beside the database would travel with it, leaving every
   holder of a copy able to forge entries that verify. Rows written before the key
   existed keep scheme 1 and verify as before; an unkeyed row *after* a keyed one
   is reported, and a log rewritten entirely as unkeyed rows is caught by the
   heads below.

3. **The head, kept where deleting rows cannot move it.** A chain cannot show that
   its *last* entries were removed: what remains is a valid, shorter chain. So
   the head — entry count and newest MAC — is kept three times:

   - ``evidence_heads`` in the database, written in the same transaction as each
     entry; its triggers refuse DELETE and allow only moves forward to the newest
     entry. This catches rows deleted by anyone who did not also drop the
     triggers and rewind the head;
   - the heads file beside the key (``evidence-heads``), one line appended per
     entry after the transaction commits (a crash in between leaves the file one
     entry behind — a weaker witness, never a false one). Someone who can only
     write the database cannot touch it;
   - every reminder e-mail and every dossier prints the head (entry number, the
     first 16 hex digits of its MAC and ``reminder evidence verify ID --head …``),
     so the user's mailbox holds independent, dated witnesses that no one on this
     machine can reach. ``--head`` takes a prefix of 8 or more hex digits and
     checks that the log still holds that entry (and so everything before it).

What this cannot do: someone who can read the key (the same user account, or
root) can rewrite the log, recompute every MAC, rewind both heads and verify
clean. Against them only the witnesses sent away — the e-mails, an exported
dossier — still show the log as it was. Losing the key makes the keyed entries
uncheckable (``verify`` says so); it is one small file to back up with the data.

Verify names only what is wrong: a deleted middle entry is "entry N: missing",
and the entry after it is not also called missing or broken (its own MAC pins its
link to the deleted one); an entry whose MAC fails is named, and the link of the
next one to it is then not reported a second time.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from .errors import InputError, NotFound, StoreError
from .i18n import N_, SOURCE_LANGUAGE, _, current_language
from .lazylog import get_logger
from .models import EVIDENCE_KINDS, EvidenceEntry
from .record import Record, replace, setfield

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from .evidence_files import Attachments
    from .evidence_key import EvidenceKey, KeyDir
    from .store import Store

__all__ = [
    "CODE_WARNING",
    "EVIDENCE_KINDS",
    "FUTURE_TOLERANCE",
    "HEAD_PREFIX",
    "JSON_VERSION",
    "MIN_HEAD_PREFIX",
    "SCHEME_HMAC",
    "SCHEME_SHA256",
    "SENT_LETTER_PREFIX",
    "Attachment",
    "add_entry",
    "attachment_path",
    "attachments_of",
    "canonical_json",
    "corrections_of",
    "current_versions",
    "db_head",
    "entries_by_case",
    "entry_hash",
    "entry_to_dict",
    "get_entry",
    "head_witness",
    "list_entries",
    "sent_letter_to",
    "summary_for_people",
]

log = get_logger(__name__)

# How the summary of the entry that ``letter --send`` records begins ("...sent by e-mail to Batelco
# <...>: SUBJECT (Message-ID ...)"). Kept in English, whatever the letter's language: the letters
# quote it, and read it back (letters.py), as the reminders' next steps do (messages.py).
SENT_LETTER_PREFIX = "Letter to the {to} sent by e-mail to "


def sent_letter_to(e: EvidenceEntry) -> str | None:
    """Whom the letter ``e`` records was sent to ("organisation" or "regulator") when ``e`` is
    the record ``letter --send`` made of it; None for any other entry."""
    if e.kind != "email":
        return None
    for to in ("organisation", "regulator"):
        if e.summary.startswith(SENT_LETTER_PREFIX.format(to=to)):
            return to
    return None


# What follows the prefix: "<recipient name> <address>: <subject> (Message-ID <id>)". The address
# holds no space or angle bracket (it is checked when it is set), the Message-ID (reminder's own)
# no space or parenthesis, so a subject with ": " or brackets in it is still split right.
# Compiled on first use (re keeps it), not by every command that imports this module.
_SENT_LETTER_REST = r"(?P<recipient>.*? <[^<>\s]+>): (?P<subject>.*) \(Message-ID (?P<id>[^\s()]+)\)"


def summary_for_people(e: EvidenceEntry) -> str:
    """The summary of ``e`` as a person reads it, in the current language.

    The record ``letter --send`` made is stored in English (:data:`SENT_LETTER_PREFIX`: the chain
    hashes it, and the letters read it back): every view a person reads — ``show``, ``evidence
    list`` and ``show``, the reminders' evidence, the dossier — words it as the reader's language
    does, quoting the recipient, the subject and the Message-ID as sent. Any other summary (the
    user's words), and every summary in English, is the stored text itself; ``--json`` keeps it.
    """
    to = sent_letter_to(e)
    if to is None or current_language() == SOURCE_LANGUAGE:
        return e.summary
    import re  # only for reminder's own record, read in another language than it was stored in

    rest = re.compile(_SENT_LETTER_REST, re.S).fullmatch(e.summary, len(SENT_LETTER_PREFIX.format(to=to)))
    if rest is None:
        return e.summary
    parts = rest.groupdict()
    if to == "regulator":
        return _(
            "Letter to the regulator sent by e-mail to %(recipient)s: %(subject)s (Message-ID %(id)s)",
            **parts,
        )
    return _(
        "Letter to the organisation sent by e-mail to %(recipient)s: %(subject)s (Message-ID %(id)s)", **parts
    )


# English in --json; the command line shows it in the user's language.
CODE_WARNING = N_(
    "Fraudsters call people who are waiting on exactly this kind of request: never give a "
    "verification code to someone who calls you — the organisation will not ask for it by phone."
)
# An entry may be stamped a little ahead of the clock (two devices); more is a typo.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST_YEAR = 1900  # an --at before this is a typo
JSON_VERSION = 1
SCHEME_SHA256 = 1  # rows written before the key existed: SHA-256 of the canonical JSON
SCHEME_HMAC = 2  # HMAC-SHA256 under the evidence key; the scheme and key id are in the MAC'd JSON
# The head as witnesses print it: 16 hex digits (64 bits) cannot be forged by trying, and fit a line.
HEAD_PREFIX = 16
MIN_HEAD_PREFIX = 8


class Attachment(Record):
    """A file attached to an entry, as recorded (and hashed) in the entry."""

    sha256: str
    name: str
    size: int

    __slots__ = ("sha256", "name", "size")

    def __init__(self, sha256: str, name: str, size: int) -> None:
        setfield(self, "sha256", sha256)
        setfield(self, "name", name)
        setfield(self, "size", size)

    def as_mapping(self) -> dict[str, str]:
        return {"sha256": self.sha256, "name": self.name, "size": str(self.size)}


def _offset(moment: datetime) -> str:
    """``moment``'s UTC offset as an ISO time writes it: ``+03:00``."""
    minutes = round((moment.utcoffset() or timedelta(0)).total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _future_at(at: datetime, now: datetime) -> str:
    """Why ``at`` is refused: the time it is now where ``at`` is read, so that a person who typed
    their own clock's time for a case in another zone (a Chinese user in Beijing, a case in
    Bahrain) sees which clock reminder read it on, and how to give theirs."""
    there = now.astimezone(at.tzinfo)
    zone = getattr(at.tzinfo, "key", None)  # a ZoneInfo: the case's zone, no offset was typed
    here = now.astimezone()  # this computer's zone, the clock the person may have read
    values = {"at": f"{at:%Y-%m-%d %H:%M}", "now": f"{there:%Y-%m-%d %H:%M}"}
    if zone is None or _offset(here) == _offset(there):
        return _(
            "--at %(at)s is in the future: it is now %(now)s in %(zone)s",
            zone=zone or f"UTC{_offset(at)}",
            **values,
        )
    return _(
        "--at %(at)s is in the future: it is now %(now)s in %(zone)s, the case's time zone; "
        "for this computer's time, add its offset: %(example)s",
        zone=zone,
        example=f"{at:%Y-%m-%dT%H:%M}{_offset(here)}",
        **values,
    )


def attachments_of(entry: EvidenceEntry) -> list[Attachment]:
    return [Attachment(a["sha256"], a["name"], int(a["size"])) for a in entry.attachments]


def head_witness(case_id: str, seq: int, mac: str) -> str:
    """The head as reminders and dossiers print it, with the command that checks the log against it
    (in the current language)."""
    return _(
        "Evidence log head: entry %(seq)d, %(head)s (keep this; check the log against it "
        "with: reminder evidence verify %(case)s --head %(head)s)",
        seq=seq,
        head=mac[:HEAD_PREFIX],
        case=case_id,
    )


# --- hashing -------------------------------------------------------------------------------------


def canonical_json(entry: EvidenceEntry) -> bytes:
    """The bytes an entry's hash or MAC is computed over: sorted keys, no whitespace, UTF-8.

    Scheme 1 rows keep exactly the document they were hashed over; scheme 2 adds the
    scheme and the key id, so a keyed row cannot pass for an unkeyed one or another key's.
    """
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
    if entry.scheme != SCHEME_SHA256:
        doc["scheme"] = entry.scheme
        doc["key_id"] = entry.key_id
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: EvidenceEntry) -> str:
    """The unkeyed SHA-256 of an entry (scheme 1)."""
    import hashlib

    return hashlib.sha256(canonical_json(entry)).hexdigest()


# --- the database (tables: backends/sqlite.py's m003_evidence and m006_evidence_keyed) -----------


_COLUMNS = (
    "case_id, seq, kind, summary, at, recorded_at, attachments, corrects, prev_hash, hash, scheme, key_id"
)


def _row_to_entry(row: Sequence[Any]) -> EvidenceEntry:
    case_id, seq, kind, summary, at, recorded_at, attachments, corrects, prev_hash, digest, scheme, key_id = (
        row
    )
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
            scheme=int(scheme),
            key_id=key_id,
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
            hash=str(digest),
            scheme=-1,
        )


def _rows(store: Store, sql: str, params: Sequence[Any]) -> list[Any]:
    try:
        return list(store.conn.execute(sql, params).fetchall())
    except (sqlite3.Error, StoreError) as exc:
        raise StoreError(_("cannot read the evidence log: %(error)s", error=exc)) from exc


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
        raise NotFound(_("case %(id)s has no evidence entry %(seq)s", id=case_id, seq=seq))
    return _row_to_entry(rows[0])


def db_head(store: Store, case_id: str) -> tuple[int, str] | None:
    rows = _rows(store, "SELECT entries, head FROM evidence_heads WHERE case_id = ?", (case_id,))
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def corrections_of(entries: Iterable[EvidenceEntry]) -> dict[int, list[int]]:
    """Entry number → the entries that correct it."""
    out: dict[int, list[int]] = {}
    for e in entries:
        if e.corrects is not None:
            out.setdefault(e.corrects, []).append(e.seq)
    return out


def current_versions(entries: Iterable[EvidenceEntry]) -> dict[int, int]:
    """Entry number → the number of the entry that now states its fact: its last version.

    A correction is the entry it corrects as it should have been (``evidence_api.log_evidence``),
    so an entry, what it corrects and every entry correcting one of those state one fact, and
    the newest of them is that fact as it stands: along a chain (1 ← 3 ← 4: 4) as among several
    corrections of one entry (2 ← 7, 2 ← 8: 8, made after 7). An entry nothing corrects and that
    corrects nothing is its own. The letters state each fact once, in this version; the dossier
    lists every entry and names it.
    """
    root: dict[int, int] = {}
    for e in sorted(entries, key=lambda e: e.seq):  # a correction comes after what it corrects
        root[e.seq] = e.seq if e.corrects is None else root.get(e.corrects, e.corrects)
    last: dict[int, int] = {}
    for seq, first in root.items():
        last[first] = max(last.get(first, seq), seq)
    return {seq: last[first] for seq, first in root.items()}


# --- adding ---------------------------------------------------------------------------------------


def _next_link(head: tuple[int, str] | None, last: tuple[int, str] | None) -> tuple[int, str]:
    """The new entry's number and the hash it chains to.

    Normally the head and the newest row agree. If rows at the end were deleted behind
    reminder's back, the new entry continues after the head (chained to the deleted
    entry's MAC), so the gap stays visible instead of being filled by a new entry N.
    """
    head_n = head[0] if head else 0
    last_n = last[0] if last else 0
    if head is not None and head_n > last_n:
        return head_n + 1, head[1]
    return last_n + 1, last[1] if last else ""


def key_for(store: Store, case_id: str, keys: KeyDir, *, own_key: bool = False) -> EvidenceKey:
    """The key a new entry of ``case_id`` is recorded with: this machine's, created if there is none.

    Unless ``own_key``, ConfigError (before anything is written or sent) when that would split
    a log: the case's last entry was kept with another key, or this machine has no key while
    the store's evidence is kept with one. A machine sharing a store (PostgreSQL) without a copy
    of the key made one of its own, silently, and from then on no machine could verify the log.
    """
    from .errors import ConfigError

    mine = keys.load()
    row = store.conn.execute(
        "SELECT key_id FROM evidence WHERE case_id = ? AND key_id IS NOT NULL ORDER BY seq DESC LIMIT 1",
        (case_id,),
    ).fetchone()
    chain = None if row is None else str(row[0])
    if chain is None and mine is None:
        row = store.conn.execute("SELECT key_id FROM evidence WHERE key_id IS NOT NULL LIMIT 1").fetchone()
        kept = None if row is None else str(row[0])
    else:
        kept = chain
    if own_key or kept is None or (mine is not None and mine.key_id == kept):
        return mine if mine is not None else keys.load_or_create()
    why = (
        _("this machine has no evidence key")
        if mine is None
        else _("this machine's evidence key is %(mine)s", mine=mine.key_id)
    )
    whose = (
        _("case %(id)s's evidence log is kept with key %(key)s", id=case_id, key=kept)
        if chain is not None
        else _("the store's evidence is kept with key %(key)s", key=kept)
    )
    raise ConfigError(
        _(
            "%(why)s, and %(whose)s: copy evidence.key from the machine that has it to %(path)s "
            "(as you would a password), or give --own-key to record with this machine's own (what "
            "was kept with %(key)s then verifies only where that key is)",
            why=why,
            whose=whose,
            path=keys.key_file,
            key=kept,
        )
    )


def add_entry(
    store: Store,
    data_dir: str | os.PathLike[str],
    case_id: str,
    *,
    keys: KeyDir,
    kind: str,
    summary: str,
    now: datetime,
    at: datetime | None = None,
    files: Sequence[Path] = (),
    corrects: int | None = None,
    own_key: bool = False,
) -> EvidenceEntry:
    """Append an entry to a case's log and return it (with its number and MAC).

    ``own_key``: record it with this machine's key (created if there is none) although the
    case's log, or the store's evidence, is kept with another (see :func:`key_for`).

    Order matters for "nothing half-written": validate everything, load (or create)
    the key, copy the attachments, insert the row and move the head in one
    transaction, and only then add the witness line to the heads file.
    """
    if kind not in EVIDENCE_KINDS:
        raise InputError(
            _(
                "unknown evidence kind %(kind)s; use one of: %(choices)s",
                kind=repr(kind),
                choices=", ".join(EVIDENCE_KINDS),
            )
        )
    summary = summary.strip()
    if not summary:
        raise InputError(_("the summary is empty: say in a few words what happened"))
    if now.tzinfo is None or (at is not None and at.tzinfo is None):
        raise InputError(_("times must carry a time zone"))
    at = at or now
    if at > now + FUTURE_TOLERANCE:
        raise InputError(_future_at(at, now))
    if at.year < EARLIEST_YEAR:  # a typo; year 1 would also crash showing it in a zone west of UTC
        raise InputError(
            _("--at %(at)s is before %(year)d: give when it happened", at=at.isoformat(), year=EARLIEST_YEAR)
        )
    if corrects is not None and corrects < 1:
        raise InputError(_("--corrects takes the number of an earlier entry (1, 2, …)"))
    case_id = store.get_case(case_id).id
    checked: Sequence[tuple[Path, str, int]] = ()
    if files:
        # Here, and only with files: reading the log (show, evidence list) and most entries
        # (a call, a note) need none of the file handling, nor the pathlib it takes.
        from .evidence_files import check_readable, store_blob

        checked = check_readable(files)
    key = key_for(store, case_id, keys, own_key=own_key)

    if checked:
        where = store.attachments_at(data_dir)
        for path, digest, _size in checked:
            store_blob(where, path, digest)
    attachments = tuple(Attachment(d, p.name, s).as_mapping() for p, d, s in checked)

    try:
        with store.atomic():
            store.lock_case(case_id)  # the next number and the head, read then written
            head = db_head(store, case_id)
            last = store.conn.execute(
                "SELECT seq, hash FROM evidence WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (case_id,)
            ).fetchone()
            seq, prev_hash = _next_link(head, None if last is None else (int(last[0]), str(last[1])))
            if corrects is not None and corrects >= seq:
                raise NotFound(
                    _("case %(id)s has no evidence entry %(seq)d to correct", id=case_id, seq=corrects)
                )
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
                scheme=SCHEME_HMAC,
                key_id=key.key_id,
            )
            entry = replace(entry, hash=key.mac(canonical_json(entry)))
            store.conn.execute(
                f"INSERT INTO evidence ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
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
                    entry.scheme,
                    entry.key_id,
                ),
            )
            if head is None:
                store.conn.execute(
                    "INSERT INTO evidence_heads (case_id, entries, head) VALUES (?, ?, ?)",
                    (case_id, seq, entry.hash),
                )
            else:
                store.conn.execute(
                    "UPDATE evidence_heads SET entries = ?, head = ? WHERE case_id = ?",
                    (seq, entry.hash, case_id),
                )
    except sqlite3.Error as exc:
        raise StoreError(_("cannot record the evidence entry: %(error)s", error=exc)) from exc
    try:
        keys.record_head(case_id, seq, entry.hash, now)
    except OSError as exc:
        # The entry is committed; only this witness is lost (the database head and the next
        # line still guard the log), so say so rather than report the entry as not recorded.
        why = exc.strerror or exc
        log.warning(
            "evidence entry %s/%d recorded, but not its head in %s: %s", case_id, seq, keys.heads_file, why
        )
    log.info("evidence entry %s/%d recorded (%d attachment(s))", case_id, entry.seq, len(attachments))
    return entry


def attachment_path(data_dir: str | os.PathLike[str], sha256: str) -> Path:
    """Where the blob ``sha256`` lives under ``data_dir`` (``evidence_files.attachment_path``)."""
    from .evidence_files import attachment_path as path

    return path(data_dir, sha256)


# --- JSON ------------------------------------------------------------------------------------------


def entry_to_dict(entry: EvidenceEntry, data_dir: Attachments | None = None) -> dict[str, Any]:
    """An entry as plain data for ``--json`` (attachment paths when the data directory is given)."""
    files: list[dict[str, Any]] = []
    for a in attachments_of(entry):
        item: dict[str, Any] = {"name": a.name, "sha256": a.sha256, "size": a.size}
        if data_dir is not None:
            from .evidence_files import blob_location

            item["path"] = blob_location(data_dir, a.sha256)
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
        "scheme": entry.scheme,
        "key_id": entry.key_id,
    }
