"""The SQLite store: connection, migrations, transactions, and the case tables.

One file holds everything (cases and their checklists here; the outbox and the
evidence log add their own tables through :data:`MIGRATIONS`). The file is opened
in WAL mode with a busy timeout, so the CLI can write while the daemon runs, and
created with mode 0600 because it holds personal data. Every write happens inside
:meth:`Store.atomic`.

A case's review window is stored beside it (``opens``, ``deadline``, ``tentative``
and the rest as JSON) and recomputed by ``api.py`` whenever the case changes, so
listing and sorting by deadline are plain SQL and never need the holiday data.

**The rule for the store's files.** Only SQLite opens, closes, renames, truncates or
deletes the database, its ``-wal`` and its ``-shm``. No code of ours calls ``open``,
``os.open``, ``os.close``, ``os.replace``, ``os.truncate``, ``unlink`` or ``shutil.copy``
on them while this process may hold a connection — and a process that imports this module
may, from any thread. The reason is POSIX advisory locking, which SQLite relies on: a
process's locks on a file are dropped when it closes *any* descriptor of that file, so one
stray ``os.close`` lets another process think it is the last user and delete the log that
our connections still write to (how a running daemon corrupted the database, issue 15).
What is allowed: ``stat`` and ``chmod`` by path (they open nothing); copies through
SQLite's own backup API; and new connections through :class:`Store`. Files beside the
database (attachments, the daemon's lock) are ours; they never share its name's stem.

This module never imports click or pydantic and never prints.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from .errors import DATABASE_LOCKED, DatabaseLocked, InputError, NotFound, StoreError
from .files import private_dir
from .i18n import _, pgettext
from .listing import case_docs, code_stamp, status_filter
from .models import Case, ChecklistItem, Closure, ReviewWindow, TentativeDay

__all__ = [
    "CASE_ID_ALPHABET",
    "CASE_ID_LENGTH",
    "MIGRATIONS",
    "MIN_ID_PREFIX",
    "Migration",
    "StatusFilter",
    "Store",
    "m001_cases",
    "m003_evidence",
    "m004_case_docs",
    "m005_case_doc_split",
    "m006_evidence_keyed",
    "m007_case_letters",
    "new_case_id",
    "normalize_case_id",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# SQLite's own default: a checkpoint in the commit that takes the log past this many pages.
WAL_AUTOCHECKPOINT = 1000
FILE_MODE = 0o600

# Case ids are 6 random characters from an alphabet without look-alikes (no 0/o, 1/l/i):
# short enough to type from a phone screen, random so that two processes adding cases
# at once never race for the same id (a counter would need the write lock first), and
# 31**6 ≈ 887 million of them makes a collision rare enough to just retry.
CASE_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CASE_ID_LENGTH = 6
_ID_RETRIES = 20
# The shortest prefix that stands for an id: one or two characters match some case in most
# stores, and `delete k --yes` acting on whichever that is would be a trap.
MIN_ID_PREFIX = 3

StatusFilter = Literal["open", "closed", "all"]
Migration = Callable[[sqlite3.Connection], None]


def new_case_id() -> str:
    import secrets  # here, not at the top: read-only commands need not load hashlib

    return "".join(secrets.choice(CASE_ID_ALPHABET) for _ in range(CASE_ID_LENGTH))


def normalize_case_id(case_id: str) -> str:
    """Ids are case-insensitive and forgiving of surrounding blanks."""
    return case_id.strip().lower()


# --- migrations ----------------------------------------------------------------------------------


def m001_cases(conn: sqlite3.Connection) -> None:
    """Cases with their stored review window, and their checklists."""
    conn.execute(
        """
        CREATE TABLE cases (
            id             TEXT PRIMARY KEY,
            title          TEXT NOT NULL,
            organisation   TEXT NOT NULL,
            kind           TEXT NOT NULL DEFAULT 'other',
            filed          TEXT,
            reference      TEXT,
            channels       TEXT NOT NULL DEFAULT '[]',   -- JSON list of strings
            country        TEXT NOT NULL,
            subdivision    TEXT,
            timezone       TEXT NOT NULL,
            submitted      TEXT NOT NULL,                -- ISO date
            submitted_time TEXT,                         -- ISO time, optional
            min_days       INTEGER NOT NULL,
            max_days       INTEGER NOT NULL,
            unit           TEXT NOT NULL DEFAULT 'business',
            status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            resolution     TEXT,
            closed_at      TEXT,                         -- ISO datetime, UTC
            created_at     TEXT NOT NULL,
            updated_at     TEXT NOT NULL,
            notes          TEXT,
            preset         TEXT,
            remind         TEXT NOT NULL DEFAULT '{}',   -- JSON object: per-case policy overrides
            closures       TEXT NOT NULL DEFAULT '[]',   -- JSON list of the case's own closures
            opens          TEXT,                         -- the window, as last computed
            deadline       TEXT,
            tentative      INTEGER NOT NULL DEFAULT 0,
            window_extra   TEXT NOT NULL DEFAULT '{}'    -- JSON: tentative_because, versions, warnings
        )
        """
    )
    conn.execute("CREATE INDEX cases_status_deadline ON cases (status, deadline)")
    conn.execute(
        """
        CREATE TABLE checklist_items (
            case_id  TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text     TEXT NOT NULL,
            done     INTEGER NOT NULL DEFAULT 0,
            done_at  TEXT,
            PRIMARY KEY (case_id, position)
        )
        """
    )


def m002_outbox(conn: sqlite3.Connection) -> None:
    """The outbox: one row per planned reminder × notifier (see outbox.py for the states)."""
    conn.execute(
        """
        CREATE TABLE deliveries (
            id              INTEGER PRIMARY KEY,
            case_id         TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            key             TEXT NOT NULL,                -- <case>:<kind>:<n>, stable across re-plans
            kind            TEXT NOT NULL,
            notifier        TEXT NOT NULL,
            due             TEXT NOT NULL,                -- ISO datetime in the case's timezone
            due_ts          REAL NOT NULL,                -- the same instant, epoch seconds, for ordering
            status          TEXT NOT NULL DEFAULT 'planned'
                            CHECK (status IN ('planned', 'sending', 'sent', 'failed', 'cancelled')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts REAL,                         -- retry time after a failure (epoch seconds)
            wake_ts         REAL NOT NULL,                -- when the row is next actionable: due_ts,
                                                          -- or next_attempt_ts after a failure
            last_error      TEXT,
            sent_at         TEXT,
            note            TEXT,
            updated_at      TEXT NOT NULL,
            UNIQUE (key, notifier)
        )
        """
    )
    # "What is due" and "when is the next one" are both range scans of this index: an idle
    # daemon pass over 100,000 cases reads a handful of index pages, not the table.
    conn.execute("CREATE INDEX deliveries_active ON deliveries (status, wake_ts)")
    conn.execute("CREATE INDEX deliveries_case ON deliveries (case_id)")


def m003_evidence(conn: sqlite3.Connection) -> None:
    """The evidence table; triggers refuse UPDATE and DELETE, so the log stays append-only.

    The cascade meets the delete trigger: a case with evidence cannot be deleted, only closed.
    """
    # One statement per execute(): executescript() would COMMIT the migration's transaction.
    conn.execute(
        """
        CREATE TABLE evidence (
            case_id     TEXT    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL CHECK (seq >= 1),
            kind        TEXT    NOT NULL,
            summary     TEXT    NOT NULL,
            at          TEXT    NOT NULL,
            recorded_at TEXT    NOT NULL,
            attachments TEXT    NOT NULL DEFAULT '[]',  -- JSON list of {sha256, name, size}
            corrects    INTEGER,
            prev_hash   TEXT    NOT NULL,
            hash        TEXT    NOT NULL,
            PRIMARY KEY (case_id, seq)
        )
        """
    )
    for action in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER evidence_append_only_{action.lower()} BEFORE {action} ON evidence "
            "BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END"
        )


def m004_case_docs(conn: sqlite3.Connection) -> None:
    """Each case's ``--json`` object, kept beside it so listing needs no Python per case."""
    conn.execute("ALTER TABLE cases ADD COLUMN doc TEXT")  # NULL: not rendered yet
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def m005_case_doc_split(conn: sqlite3.Connection) -> None:
    """Split the stored doc where ``days_left`` goes, and index listing's order.

    The object is ``doc_head || days_left || doc_tail``, so listing fills in the day's
    value by concatenation instead of searching each document. A case without a window
    has its whole object in ``doc_head`` and a NULL tail; a NULL head is not rendered yet.
    """
    conn.execute("ALTER TABLE cases DROP COLUMN doc")
    conn.execute("ALTER TABLE cases ADD COLUMN doc_head TEXT")
    conn.execute("ALTER TABLE cases ADD COLUMN doc_tail TEXT")
    # Listing walks these in deadline order instead of sorting 10,000 documents.
    conn.execute("CREATE INDEX cases_by_status_deadline ON cases (status, deadline, id)")
    conn.execute("CREATE INDEX cases_by_deadline ON cases (deadline, id)")
    conn.execute("CREATE INDEX cases_by_timezone ON cases (timezone)")  # DISTINCT without a table scan
    conn.execute("DELETE FROM meta WHERE key = 'case_doc_shape'")  # Store re-renders every doc on open


def m006_evidence_keyed(conn: sqlite3.Connection) -> None:
    """Keyed evidence entries, and each log's head in a table that only moves forward.

    ``scheme`` 1 is the plain SHA-256 chain every existing row keeps; new rows are
    scheme 2, an HMAC under a key kept outside the database (``key_id`` names it).
    ``evidence_heads`` holds each log's entry count and newest hash, written in the
    same transaction as each entry; existing logs start at their newest entry. Its
    triggers refuse deleting a head and moving one anywhere but forward to the newest
    entry, so deleting the last rows shows. Why and against whom: see evidence.py.
    """
    conn.execute("ALTER TABLE evidence ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1")
    conn.execute("ALTER TABLE evidence ADD COLUMN key_id TEXT")
    conn.execute(
        """
        CREATE TABLE evidence_heads (
            case_id TEXT    PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            entries INTEGER NOT NULL CHECK (entries >= 1),
            head    TEXT    NOT NULL                       -- the hash of entry number `entries`
        )
        """
    )
    conn.execute(
        "INSERT INTO evidence_heads (case_id, entries, head) SELECT e.case_id, e.seq, e.hash FROM evidence e "
        "WHERE e.seq = (SELECT max(seq) FROM evidence WHERE case_id = e.case_id)"
    )
    # The head names an entry that exists, and none comes after it.
    not_newest = (
        "NEW.head IS NOT (SELECT hash FROM evidence WHERE case_id = NEW.case_id AND seq = NEW.entries) "
        "OR EXISTS (SELECT 1 FROM evidence WHERE case_id = NEW.case_id AND seq > NEW.entries)"
    )
    conn.execute(
        f"CREATE TRIGGER evidence_heads_insert BEFORE INSERT ON evidence_heads WHEN {not_newest} "
        "BEGIN SELECT RAISE(ABORT, 'an evidence head must name the newest entry'); END"
    )
    conn.execute(
        "CREATE TRIGGER evidence_heads_forward BEFORE UPDATE ON evidence_heads "
        f"WHEN NEW.case_id IS NOT OLD.case_id OR NEW.entries <= OLD.entries OR {not_newest} "
        "BEGIN SELECT RAISE(ABORT, 'an evidence head only moves forward, to the newest entry'); END"
    )
    conn.execute(
        "CREATE TRIGGER evidence_heads_delete BEFORE DELETE ON evidence_heads "
        "BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END"
    )


def m007_case_letters(conn: sqlite3.Connection) -> None:
    """What letters to the organisation need (letters.py): the account it knows the person by,
    the address it takes written complaints at, and the language it reads (NULL: the country's)."""
    for column in ("account", "org_email", "letter_language"):
        conn.execute(f"ALTER TABLE cases ADD COLUMN {column} TEXT")
    conn.execute("DELETE FROM meta WHERE key = 'case_doc_shape'")  # the docs gain these keys


# Applied in order on open; PRAGMA user_version counts how many have run. Never edit or
# reorder an entry that has shipped: append a new function instead. Reserved so far:
# m002 — the outbox (outbox.py, the lead), m003 and m006 — the evidence log (evidence.py),
# m007 — letters (letters.py).
MIGRATIONS: list[Migration] = [
    m001_cases,
    m002_outbox,
    m003_evidence,
    m004_case_docs,
    m005_case_doc_split,
    m006_evidence_keyed,
    m007_case_letters,
]


# --- conversions ---------------------------------------------------------------------------------


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware one")
    return value.astimezone(UTC).isoformat()


def _parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _closures_json(closures: Iterable[Closure]) -> str:
    items = [
        {"start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label, "source": c.source}
        for c in closures
    ]
    return json.dumps(items) if items else "[]"


def _closures_from(text: str) -> tuple[Closure, ...]:
    if text == "[]":
        return ()
    return tuple(
        Closure(
            start=date.fromisoformat(c["start"]),
            end=date.fromisoformat(c["end"]),
            label=c["label"],
            source=c.get("source"),
        )
        for c in json.loads(text)
    )


def _window_extra(window: ReviewWindow) -> str:
    extra: dict[str, Any] = {}
    if window.tentative_because:
        extra["tentative_because"] = [[t.date.isoformat(), t.name] for t in window.tentative_because]
    if window.holidays_version:
        extra["holidays_version"] = window.holidays_version
    if window.overrides:
        extra["overrides"] = list(window.overrides)
    if window.warnings:
        extra["warnings"] = list(window.warnings)
    return json.dumps(extra) if extra else "{}"


_CASE_COLUMNS = (
    "id, title, organisation, kind, filed, reference, channels, country, subdivision, timezone, "
    "submitted, submitted_time, min_days, max_days, unit, status, resolution, closed_at, created_at, "
    "updated_at, notes, preset, remind, closures, opens, deadline, tentative, window_extra, "
    "account, org_email, letter_language"
)
# The columns after the window's (m007), written by _letter_values; rows index them from 28.
_LETTER_COLUMNS = ("account", "org_email", "letter_language")


def _case_values(case: Case) -> tuple[Any, ...]:
    if case.created_at is None or case.updated_at is None:
        raise ValueError("a stored case needs created_at and updated_at")
    return (
        case.id,
        case.title,
        case.organisation,
        case.kind,
        case.filed,
        case.reference,
        json.dumps(list(case.channels)) if case.channels else "[]",
        case.country,
        case.subdivision,
        case.timezone,
        case.submitted.isoformat(),
        case.submitted_time.isoformat() if case.submitted_time else None,
        case.min_days,
        case.max_days,
        case.unit,
        case.status,
        case.resolution,
        _ts(case.closed_at),
        _ts(case.created_at),
        _ts(case.updated_at),
        case.notes,
        case.preset,
        json.dumps(dict(case.remind), sort_keys=True) if case.remind else "{}",
        _closures_json(case.closures),
    )


def _letter_values(case: Case) -> tuple[Any, ...]:
    return (case.account, case.org_email, case.letter_language)


def _window_values(window: ReviewWindow | None) -> tuple[Any, ...]:
    if window is None:
        return (None, None, 0, "{}")
    return (
        window.opens.isoformat(),
        window.deadline.isoformat(),
        int(window.tentative),
        _window_extra(window),
    )


def _case_from_row(row: sqlite3.Row | tuple[Any, ...], checklist: tuple[ChecklistItem, ...]) -> Case:
    return Case(
        id=row[0],
        title=row[1],
        organisation=row[2],
        kind=row[3],
        filed=row[4],
        reference=row[5],
        channels=tuple(json.loads(row[6])) if row[6] != "[]" else (),
        country=row[7],
        subdivision=row[8],
        timezone=row[9],
        submitted=date.fromisoformat(row[10]),
        submitted_time=time.fromisoformat(row[11]) if row[11] else None,
        min_days=row[12],
        max_days=row[13],
        unit=row[14],
        status=row[15],
        resolution=row[16],
        closed_at=_parse_ts(row[17]),
        created_at=_parse_ts(row[18]),
        updated_at=_parse_ts(row[19]),
        notes=row[20],
        preset=row[21],
        remind=json.loads(row[22]) if row[22] != "{}" else {},
        closures=_closures_from(row[23]),
        checklist=checklist,
        account=row[28],
        org_email=row[29],
        letter_language=row[30],
    )


def _window_from_row(row: sqlite3.Row | tuple[Any, ...]) -> ReviewWindow | None:
    if row[24] is None:
        return None
    extra: dict[str, Any] = json.loads(row[27]) if row[27] != "{}" else {}
    return ReviewWindow(
        country=row[7],
        subdivision=row[8],
        submitted=date.fromisoformat(row[10]),
        opens=date.fromisoformat(row[24]),
        deadline=date.fromisoformat(row[25]),
        min_days=row[12],
        max_days=row[13],
        unit=row[14],
        tentative=bool(row[26]),
        tentative_because=tuple(
            TentativeDay(date=date.fromisoformat(d), name=n) for d, n in extra.get("tentative_because", ())
        ),
        holidays_version=extra.get("holidays_version", ""),
        overrides=tuple(extra.get("overrides", ())),
        warnings=tuple(extra.get("warnings", ())),
    )


def _item_from_row(row: Sequence[Any]) -> ChecklistItem:
    return ChecklistItem(position=row[0], text=row[1], done=bool(row[2]), done_at=_parse_ts(row[3]))


_DAYS_LEFT_NULL = '"days_left":null'


def _doc(case: Case, window: ReviewWindow | None) -> tuple[str, str | None]:
    """The case's JSON as ``list --json`` prints it, split where ``days_left`` goes (see m005)."""
    from .export import case_to_dict

    text = json.dumps(case_to_dict(case, window), ensure_ascii=False, separators=(",", ":"))
    if window is None:
        return text, None
    # Escaped inside strings, so this exact text only occurs as the real key.
    head, found, tail = text.partition(_DAYS_LEFT_NULL)
    if not found:
        raise StoreError("export.case_to_dict no longer has window.days_left; update store._doc")
    return head + '"days_left":', tail


@lru_cache(maxsize=1)
def _doc_shape() -> str:
    """A sample case's doc: when the code renders cases differently, the stored docs are redone."""
    day = date(2000, 1, 1)
    sample = Case(
        id="x",
        title="x",
        organisation="x",
        submitted=day,
        country="x",
        timezone="UTC",
        checklist=(ChecklistItem(1, "x"),),
        closures=(Closure(day, day, "x"),),
    )
    window = ReviewWindow(
        country="x",
        subdivision=None,
        submitted=day,
        opens=day,
        deadline=day,
        min_days=0,
        max_days=0,
        tentative_because=(TentativeDay(day, "x"),),
    )
    return "".join(p or "" for p in _doc(sample, window))


def _not_found(case_id: str, close: Sequence[str] = ()) -> NotFound:
    if close:
        return NotFound(
            _(
                "no case with id %(id)s; did you mean %(guesses)s? "
                "(see 'reminder list --status all' for the ids)",
                id=repr(case_id),
                guesses=pgettext("alternatives", " or ").join(close),
            )
        )
    return NotFound(
        _("no case with id %(id)s (see 'reminder list --status all' for the ids)", id=repr(case_id))
    )


def _store_error(path: Path, exc: sqlite3.Error, doing: str = "") -> StoreError:
    """The StoreError for a failed SQLite call. SQLite reports a write lock held past the busy
    timeout as a bare "database is locked", which tells the user neither who nor what to do."""
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        waited = BUSY_TIMEOUT_MS / 1000
        return DatabaseLocked(path, waited, _(DATABASE_LOCKED, path=path, seconds=f"{waited:g}"))
    return StoreError(_("%(path)s: %(doing)s%(error)s", path=path, doing=doing, error=exc))


def _enable_wal(conn: sqlite3.Connection) -> None:
    # Two processes opening a brand-new file race to switch it to WAL, and SQLite answers
    # the loser "database is locked" at once, without its busy handler: retry until the
    # busy timeout instead.
    import threading
    import time as _time

    deadline = _time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            contended = "locked" in str(exc) or "busy" in str(exc)
            if not contended or _time.monotonic() > deadline:
                raise
            # Not time.sleep: under libfaketime (the daemon tests' clock) it fails with EINVAL.
            threading.Event().wait(0.01)


def _file_identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino


def _deleted_open_files(path: Path) -> list[str]:
    """The database's files (itself, ``-wal``, ``-shm``) this process holds open although
    they were deleted; Linux names such a descriptor's target "... (deleted)". Empty where
    there is no /proc to ask."""
    stem = os.path.realpath(path)
    names = {f"{stem}{suffix} (deleted)" for suffix in ("", "-wal", "-shm", "-journal")}
    found: list[str] = []
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since the listing
            continue
        if target in names:
            found.append(os.path.basename(target.removesuffix(" (deleted)")))
    return sorted(set(found))


def _make_private(path: Path) -> None:
    """Give the database file mode 0600 (SQLite creates it with the umask's, often 0644).

    By path, never through a descriptor of our own: POSIX advisory locks belong to a process
    and an inode, and closing ANY descriptor of a file drops all of the process's locks on it
    ("How To Corrupt An SQLite Database File", §2.2). The store used to create the file with
    ``os.open`` and ``os.close`` before every connect; while the daemon held connections from
    other threads, that close dropped their locks, the next CLI process believed it was the
    last user and deleted the ``-wal`` and ``-shm`` the daemon still wrote to: a malformed
    database within minutes (issue 15). ``chmod`` opens nothing. The moment between SQLite
    creating the empty file and this call is covered by the directory, which is 0700.
    SQLite gives the ``-wal`` and ``-shm`` it creates later the database file's mode.
    """
    try:
        if (path.stat().st_mode & 0o777) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except OSError as exc:
        raise StoreError(
            _("%(path)s: cannot set the database file's mode: %(why)s", path=path, why=exc.strerror)
        ) from None


# --- the store -----------------------------------------------------------------------------------


class Store:
    """A reminder database file. Use as a context manager; writes go through :meth:`atomic`.

    ``Store(path)`` creates the parent directories and the file (mode 0600) if needed,
    opens it in WAL mode and applies pending :data:`MIGRATIONS`.
    """

    def __init__(self, path: Path | str, *, any_thread: bool = False) -> None:
        self.path = Path(path).expanduser()
        self._depth = 0
        try:
            self.conn = self._connect(any_thread)
            self._identity = _file_identity(self.path)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, _("cannot open the database: ")) from None
        try:
            self.migrate()
        except BaseException:
            self.conn.close()
            raise

    def _connect(self, any_thread: bool = False) -> sqlite3.Connection:
        try:
            private_dir(self.path.parent)  # 0700, its missing parents too (files.py)
        except OSError as exc:
            raise StoreError(
                _("%(path)s: cannot create the directory: %(why)s", path=self.path.parent, why=exc.strerror)
            ) from None
        # any_thread: the daemon keeps one store across passes, which run on a worker thread
        # one at a time, and closes it from the main thread; it never uses it from two at once.
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=not any_thread
        )
        try:
            _make_private(self.path)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(conn)
            conn.execute("PRAGMA foreign_keys = ON")
            # WAL makes NORMAL durable against application crashes; only a power cut can lose
            # the last transaction, never corrupt the file.
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()  # a connection that failed to set up (locked at start-up) is not leaked
            raise
        return conn

    # context management

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def lost(self) -> str | None:
        """Why this store no longer sees the database file at its path; None while it does.

        A connection keeps the files it opened. If the database at ``path`` is deleted,
        moved or replaced (a backup restored over it), or its ``-wal``/``-shm`` deleted while
        open (what the os.close bug did, see :func:`_make_private`), the connection still
        works — on files no other process reads or writes. It is then blind: cases the CLI
        adds are never seen, and what it writes is lost. The daemon asks before each pass.
        """
        try:
            if _file_identity(self.path) != self._identity:
                return f"{self.path} was replaced by another file since it was opened"
        except FileNotFoundError:
            return f"{self.path} was deleted or moved since it was opened"
        except OSError as exc:
            return f"{self.path}: cannot look at the database file: {exc.strerror}"
        deleted = _deleted_open_files(self.path)
        if deleted:
            return f"this process still has {', '.join(deleted)} open, deleted by someone else"
        return None

    @contextmanager
    def checkpoints_aside(self, *, every: float = 0.05, restart_frames: int = 2000) -> Iterator[None]:
        """Checkpoint the WAL from another thread while this connection makes many small commits.

        SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000
        pages and waits there for its fsyncs: on average ~90 µs of every commit in a catch-up,
        spent on the one thread that drives the sending, while the mail server waits for it.
        Here a thread with its own connection checkpoints PASSIVE every ``every`` seconds,
        which never blocks this connection's writes, and RESTART once the log holds more than
        ``restart_frames`` frames: a log written to every millisecond is never copied to its
        end by a passive checkpoint, so without the restart it would grow without bound (to
        ~100 MB over 10,000 messages). RESTART waits for the commit in progress, and the
        next one starts the log from its beginning. At the end the log is truncated.
        """
        import threading

        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        stop = threading.Event()

        def checkpoint() -> None:
            try:
                conn = self._connect()
                try:
                    while not stop.wait(every):
                        _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        if frames > restart_frames:
                            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                finally:
                    conn.close()
            except (sqlite3.Error, StoreError) as exc:  # the log grows until the truncate below
                log.warning("%s: checkpointing aside stopped: %s", self.path, exc)

        thread = threading.Thread(target=checkpoint, name="checkpoint", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            try:
                self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:  # the next commit's automatic checkpoint will do it
                log.warning("%s: cannot checkpoint the log: %s", self.path, exc)

    # transactions and schema

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """A transaction (BEGIN IMMEDIATE), or a SAVEPOINT inside an enclosing one.

        IMMEDIATE takes the write lock up front, so a read-then-write never fails half
        way with "database is locked"; another writer waits up to the busy timeout.
        """
        depth = self._depth
        savepoint = f"sp_{depth}"
        try:
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, _("cannot start a transaction: ")) from None
        self._depth += 1
        try:
            yield self.conn
        except BaseException as exc:
            self._depth -= 1
            if depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO {savepoint}")
                self.conn.execute(f"RELEASE {savepoint}")
            if isinstance(exc, sqlite3.Error):
                raise _store_error(self.path, exc) from exc
            raise
        else:
            self._depth -= 1
            try:
                self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
            except sqlite3.Error as exc:
                if depth == 0 and self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise _store_error(self.path, exc, _("cannot commit: ")) from exc

    @property
    def schema_version(self) -> int:
        version: int = self.conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    def migrate(self) -> None:
        """Apply pending migrations, each in its own transaction; then re-render stale case docs."""
        if self.schema_version != len(MIGRATIONS):
            self._apply_migrations()
        self._check_docs()

    def _apply_migrations(self) -> None:
        while True:
            with self.atomic():
                # Re-read under the write lock: another process may have migrated meanwhile.
                version = self.schema_version
                if version > len(MIGRATIONS):
                    raise StoreError(
                        _(
                            "%(path)s: the database has schema version %(version)s, newer than this "
                            "reminder knows (%(known)d); upgrade reminder",
                            path=self.path,
                            version=version,
                            known=len(MIGRATIONS),
                        )
                    )
                if version == len(MIGRATIONS):
                    return
                migration = MIGRATIONS[version]
                log.info("migrating %s: %s", self.path, migration.__name__)
                migration(self.conn)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    def _check_docs(self) -> None:
        shape, stamp = _doc_shape(), code_stamp()
        query = "SELECT key, value FROM meta WHERE key IN ('case_doc_shape', 'case_doc_code')"
        if dict(self.conn.execute(query).fetchall()) == {"case_doc_shape": shape, "case_doc_code": stamp}:
            return
        with self.atomic():
            recorded = dict(self.conn.execute(query).fetchall())
            if recorded.get("case_doc_shape") != shape:
                ids = [r[0] for r in self.conn.execute("SELECT id FROM cases")]
                for case_id in ids:
                    self._refresh_doc(case_id)
                if ids:
                    log.info("%s: re-rendered %d case documents", self.path, len(ids))
            # The stamp tells `list --json`'s fast path (listing.docs_current) these docs are current.
            self.conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("case_doc_shape", shape), ("case_doc_code", stamp)],
            )

    def _refresh_doc(self, case_id: str) -> None:
        """Re-render a case's stored JSON after any change to it or its checklist."""
        row = self.conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is not None:
            case = _case_from_row(row, self.get_checklist(case_id))
            self.conn.execute(
                "UPDATE cases SET doc_head = ?, doc_tail = ? WHERE id = ?",
                (*_doc(case, _window_from_row(row)), case_id),
            )

    # cases

    def add_case(self, case: Case, window: ReviewWindow | None = None) -> Case:
        """Insert a case (and its checklist); an empty ``case.id`` gets a fresh one. Returns it stored."""
        with self.atomic():
            for _attempt in range(_ID_RETRIES):
                stored = case if case.id else replace(case, id=new_case_id())
                try:
                    with self.atomic():
                        self.conn.execute(
                            f"INSERT INTO cases ({_CASE_COLUMNS}) VALUES ({', '.join('?' * 31)})",
                            _case_values(stored) + _window_values(window) + _letter_values(stored),
                        )
                except StoreError as exc:
                    if not isinstance(exc.__cause__, sqlite3.IntegrityError):
                        raise
                    if case.id:
                        raise InputError(
                            _("a case with id %(id)s already exists", id=repr(case.id))
                        ) from None
                    continue
                self._insert_items(stored.id, stored.checklist)
                self.conn.execute(
                    "UPDATE cases SET doc_head = ?, doc_tail = ? WHERE id = ?",
                    (*_doc(stored, window), stored.id),
                )
                return stored
        raise StoreError(_("%(path)s: could not find a free case id", path=self.path))  # pragma: no cover

    def resolve_id(self, text: str) -> str:
        """The id of the one case ``text`` names: its id, or a unique prefix of at least
        :data:`MIN_ID_PREFIX` characters (any case, blanks around ignored).

        Raises NotFound naming up to three close ids for an id that matches none, and
        InputError naming the matches for a prefix that is ambiguous or too short: a command
        never acts on a guess.
        """
        case_id = normalize_case_id(text)
        if self.conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None:
            return case_id
        # A range, not LIKE: it uses the primary key's index and needs no escaping of % and _.
        rows = self.conn.execute(
            "SELECT id FROM cases WHERE id > ? AND id < ? ORDER BY id LIMIT 6",
            (case_id, case_id + "\U0010ffff"),
        )
        matches = [str(row[0]) for row in rows] if case_id else []
        listed = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        if len(matches) == 1 and len(case_id) >= MIN_ID_PREFIX:
            return matches[0]
        if matches and len(case_id) < MIN_ID_PREFIX:
            raise InputError(
                _(
                    "case id %(id)s is too short: give at least %(n)d characters (%(matches)s)",
                    id=repr(case_id),
                    n=MIN_ID_PREFIX,
                    matches=listed,
                )
            )
        if matches:
            raise InputError(
                _(
                    "case id %(id)s is ambiguous: it matches %(matches)s; give more of the id",
                    id=repr(case_id),
                    matches=listed,
                )
            )
        import difflib  # here: only a mistyped id needs it

        ids = [row[0] for row in self.conn.execute("SELECT id FROM cases")]
        raise _not_found(case_id, difflib.get_close_matches(case_id, ids, n=3))

    def get_case(self, case_id: str) -> Case:
        """The case with this id (or unique prefix, see :meth:`resolve_id`), or NotFound."""
        case_id = normalize_case_id(case_id)
        row = self.conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            case_id = self.resolve_id(case_id)
            row = self.conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        return _case_from_row(row, self.get_checklist(case_id))

    def get_window(self, case_id: str) -> ReviewWindow | None:
        """The window stored with the case (None if it was never computed)."""
        case_id = normalize_case_id(case_id)
        row = self.conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            case_id = self.resolve_id(case_id)
            row = self.conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        return _window_from_row(row)

    def list_cases(self, status: StatusFilter = "open", due_before: date | None = None) -> list[Case]:
        """Cases sorted by deadline (then id), optionally only those due on or before a date."""
        return [case for case, _ in self.list_cases_with_windows(status, due_before)]

    def list_cases_with_windows(
        self, status: StatusFilter = "open", due_before: date | None = None
    ) -> list[tuple[Case, ReviewWindow | None]]:
        """Like :meth:`list_cases`, each with its stored window — one query, no recomputation."""
        where, params = status_filter(status, due_before)
        rows = self.conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases{where} ORDER BY deadline IS NULL, deadline, id", params
        ).fetchall()
        items: dict[str, list[ChecklistItem]] = {}
        if rows:
            # One pass over all checklist rows beats one query per case at 10,000 cases.
            item_sql = "SELECT case_id, position, text, done, done_at FROM checklist_items"
            if where:
                item_sql += f" WHERE case_id IN (SELECT id FROM cases{where})"
            for r in self.conn.execute(item_sql + " ORDER BY case_id, position", params):
                items.setdefault(r[0], []).append(_item_from_row(r[1:]))
        return [(_case_from_row(row, tuple(items.get(row[0], ()))), _window_from_row(row)) for row in rows]

    def case_batch(
        self, status: StatusFilter = "open", *, after: str = "", limit: int = 1000
    ) -> list[tuple[Case, ReviewWindow | None]]:
        """The next ``limit`` cases in id order after the id ``after``, each with its stored window.

        For walking every case a batch at a time (the daemon re-plans 100,000 of them)
        without holding them all in memory: pass the last id of a batch as ``after``.
        """
        # "+status": walk the primary key in order; SQLite would otherwise take the status
        # index and sort every open case again for each batch (quadratic at 100,000 cases).
        where, params = status_filter(status, None, alias="+")
        where = f"{where} AND id > ?" if where else " WHERE id > ?"
        rows = self.conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases{where} ORDER BY id LIMIT ?", (*params, after, limit)
        ).fetchall()
        items: dict[str, list[ChecklistItem]] = {}
        if rows:
            # A range of the primary key: no parameter per case, and other cases' items are ignored.
            for r in self.conn.execute(
                "SELECT case_id, position, text, done, done_at FROM checklist_items"
                " WHERE case_id BETWEEN ? AND ? ORDER BY case_id, position",
                (rows[0][0], rows[-1][0]),
            ):
                items.setdefault(r[0], []).append(_item_from_row(r[1:]))
        return [(_case_from_row(row, tuple(items.get(row[0], ()))), _window_from_row(row)) for row in rows]

    def cases_with_windows(self, case_ids: Sequence[str]) -> dict[str, tuple[Case, ReviewWindow | None]]:
        """Several cases by id, each with its stored window, in two queries; unknown ids are left out."""
        out: dict[str, tuple[Case, ReviewWindow | None]] = {}
        ids = sorted({normalize_case_id(i) for i in case_ids})
        for start in range(0, len(ids), 500):  # well below SQLite's limit on parameters
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {_CASE_COLUMNS} FROM cases WHERE id IN ({marks})"
            rows = self.conn.execute(sql, chunk).fetchall()
            items: dict[str, list[ChecklistItem]] = {}
            item_sql = "SELECT case_id, position, text, done, done_at FROM checklist_items"
            for r in self.conn.execute(f"{item_sql} WHERE case_id IN ({marks}) ORDER BY position", chunk):
                items.setdefault(r[0], []).append(_item_from_row(r[1:]))
            for row in rows:
                out[row[0]] = (_case_from_row(row, tuple(items.get(row[0], ()))), _window_from_row(row))
        return out

    def list_cases_json(
        self, status: StatusFilter = "open", due_before: date | None = None, *, today: Mapping[str, date]
    ) -> str:
        """The JSON array ``reminder list --json`` prints: the stored docs with ``days_left`` filled in.

        The same objects as ``export.case_to_dict`` (a test holds them equal), but no
        Python object is made per case (see ``listing.py``). ``today`` maps each case
        time zone to its current date (``listing.todays``).
        """
        rows = case_docs(self.conn, status, due_before, today)
        return (
            "[" + ",".join(doc if doc is not None else self.case_doc(cid, today) for cid, doc in rows) + "]"
        )

    def case_doc(self, case_id: str, today: Mapping[str, date]) -> str:
        """One case's ``list --json`` object rendered now, for a row without a stored document."""
        # A row written by code that did not render docs yet (see m005); rare, so slow is fine.
        from .export import case_to_dict

        case = self.get_case(case_id)
        data = case_to_dict(case, self.get_window(case_id), today=today.get(case.timezone))
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def count_cases(self, status: StatusFilter = "all") -> int:
        where, params = status_filter(status, None)
        count: int = self.conn.execute(f"SELECT count(*) FROM cases{where}", params).fetchone()[0]
        return count

    def update_case(self, case: Case, window: ReviewWindow | None = None) -> Case:
        """Overwrite a stored case's fields (not its checklist); a given window replaces the stored one."""
        sets = [c.strip() + " = ?" for c in _CASE_COLUMNS.split(",")[1:24]]
        sets += [f"{c} = ?" for c in _LETTER_COLUMNS]
        values = _case_values(case)[1:] + _letter_values(case)
        if window is not None:
            sets += ["opens = ?", "deadline = ?", "tentative = ?", "window_extra = ?"]
            values += _window_values(window)
        with self.atomic():
            cur = self.conn.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id = ?", (*values, case.id))
            if cur.rowcount == 0:
                raise _not_found(case.id)
            self._refresh_doc(case.id)
        return case

    def delete_case(self, case_id: str) -> None:
        """Delete a case and everything that cascades from it."""
        case_id = normalize_case_id(case_id)
        try:
            with self.atomic():
                cur = self.conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
                if cur.rowcount == 0:
                    raise _not_found(case_id)
        except StoreError as exc:
            if "append-only" in str(exc.__cause__ or ""):
                raise InputError(
                    _(
                        "case %(id)s has evidence, which is never deleted; close the case instead "
                        "('reminder close %(id)s')",
                        id=case_id,
                    )
                ) from None
            raise

    # checklists

    def get_checklist(self, case_id: str) -> tuple[ChecklistItem, ...]:
        rows = self.conn.execute(
            "SELECT position, text, done, done_at FROM checklist_items WHERE case_id = ? ORDER BY position",
            (normalize_case_id(case_id),),
        ).fetchall()
        return tuple(_item_from_row(r) for r in rows)

    def add_checklist_items(self, case_id: str, texts: Sequence[str]) -> tuple[ChecklistItem, ...]:
        """Append items to a case's checklist; returns the whole checklist."""
        case_id = normalize_case_id(case_id)
        with self.atomic():
            if self.conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
                raise _not_found(case_id)
            last = self.conn.execute(
                "SELECT coalesce(max(position), 0) FROM checklist_items WHERE case_id = ?", (case_id,)
            ).fetchone()[0]
            self._insert_items(
                case_id, [ChecklistItem(position=last + i, text=t) for i, t in enumerate(texts, start=1)]
            )
            self._refresh_doc(case_id)
        return self.get_checklist(case_id)

    def set_item_done(self, case_id: str, position: int, *, done: bool, at: datetime | None) -> ChecklistItem:
        """Tick (or untick) one checklist item by its position (1-based)."""
        case_id = normalize_case_id(case_id)
        with self.atomic():
            cur = self.conn.execute(
                "UPDATE checklist_items SET done = ?, done_at = ? WHERE case_id = ? AND position = ?",
                (int(done), _ts(at) if done else None, case_id, position),
            )
            if cur.rowcount == 0:
                self.get_case(case_id)  # raises NotFound for an unknown case
                raise NotFound(_("case %(id)s has no checklist item %(n)s", id=case_id, n=position))
            self._refresh_doc(case_id)
            row = self.conn.execute(
                "SELECT position, text, done, done_at FROM checklist_items"
                " WHERE case_id = ? AND position = ?",
                (case_id, position),
            ).fetchone()
        return _item_from_row(row)

    def _insert_items(self, case_id: str, items: Iterable[ChecklistItem]) -> None:
        self.conn.executemany(
            "INSERT INTO checklist_items (case_id, position, text, done, done_at) VALUES (?, ?, ?, ?, ?)",
            [(case_id, i.position, i.text, int(i.done), _ts(i.done_at)) for i in items],
        )

    # misc

    def touch(self, case_id: str, now: datetime) -> None:
        """Record that a case changed (e.g. its checklist) without rewriting it."""
        with self.atomic():
            self.conn.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (_ts(now), case_id))
            self._refresh_doc(case_id)
