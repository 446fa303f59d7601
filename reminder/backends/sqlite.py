"""The SQLite backend: a database file, opened in WAL mode, and its migrations.

What only SQLite has lives here: the file (mode 0600, created with its directories), the
PRAGMAs, ``BEGIN IMMEDIATE``, ``PRAGMA user_version`` as the schema version, the
migrations' DDL, noticing a database file deleted or replaced under an open connection,
and the WAL checkpoints. The SQL every backend shares stays in store.py, case_store.py,
outbox.py and evidence.py; see :mod:`reminder.backends` for the seam.

The rule for the store's files in store.py's docstring holds here above all: only SQLite
opens, closes, renames, truncates or deletes the database, its ``-wal`` and its ``-shm``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import DATABASE_LOCKED, DatabaseLocked, StoreError
from ..files import private_dir
from ..i18n import _
from ..lazylog import get_logger
from ..paths import parent

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FILE_MODE",
    "MIGRATIONS",
    "WAL_AUTOCHECKPOINT",
    "Migration",
    "SqliteBackend",
    "m001_cases",
    "m002_outbox",
    "m003_evidence",
    "m004_case_docs",
    "m005_case_doc_split",
    "m006_evidence_keyed",
    "m007_case_letters",
    "m008_outbox_leases",
    "m013_open_case_lookalikes",
    "m014_folded_lookalikes",
]

log = get_logger(__name__)

BUSY_TIMEOUT_MS = 5000
# SQLite's own default: a checkpoint in the commit that takes the log past this many pages.
WAL_AUTOCHECKPOINT = 1000
FILE_MODE = 0o600

Migration = Callable[[sqlite3.Connection], None]


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


def m008_outbox_leases(conn: sqlite3.Connection) -> None:
    """Who is sending a ``sending`` row, and until when that claim holds (outbox_leases.py), so
    several daemons on one shared store never send a row at once and take over a dead one's."""
    conn.execute("ALTER TABLE deliveries ADD COLUMN lease_owner TEXT")  # host:pid:random of the sender
    conn.execute("ALTER TABLE deliveries ADD COLUMN lease_until REAL")  # epoch seconds; NULL: no lease


def m009_listing_index(conn: sqlite3.Connection) -> None:
    """``reminder list`` reads its columns from one index, in its order, without visiting the
    cases' rows (each holds its JSON document: 10,000 of them are thousands of pages).

    It replaces m005's (status, deadline, id), a prefix of it that every other query finds
    here too. IF [NOT] EXISTS: a database restored from an older copy may have either.
    """
    conn.execute(
        "CREATE INDEX IF NOT EXISTS cases_listing"
        " ON cases (status, deadline, id, title, organisation, timezone, opens, tentative)"
    )
    conn.execute("DROP INDEX IF EXISTS cases_by_status_deadline")


def m010_delivery_counts(conn: sqlite3.Connection) -> None:
    """The outbox's rows per status, kept by triggers as rows are added, change status or go
    (a case's removal cascades to its rows, and cascades fire triggers), so ``reminder
    status``, which a status bar polls, reads five numbers instead of counting every row:
    10,000 cases' 80,000 rows took it 9 ms. SQLite has one writer at a time, so the counts
    are always those of the committed rows (PostgreSQL counts its rows: see its m010).

    Written to run again over what it made (IF NOT EXISTS, the counts recomputed), as m009:
    a database put back to an older version may hold them already.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS delivery_counts"
        " (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID"
    )
    conn.execute(
        "INSERT OR REPLACE INTO delivery_counts (status, n) SELECT s.status, (SELECT count(*) FROM"
        " deliveries d WHERE d.status = s.status) FROM (SELECT 'planned' AS status UNION ALL"
        " SELECT 'sending' UNION ALL SELECT 'sent' UNION ALL SELECT 'failed' UNION ALL SELECT 'cancelled') s"
    )
    triggers = {
        "delivery_counts_insert": "AFTER INSERT ON deliveries BEGIN"
        " UPDATE delivery_counts SET n = n + 1 WHERE status = NEW.status; END",
        "delivery_counts_delete": "AFTER DELETE ON deliveries BEGIN"
        " UPDATE delivery_counts SET n = n - 1 WHERE status = OLD.status; END",
        "delivery_counts_update": "AFTER UPDATE OF status ON deliveries"
        " WHEN OLD.status IS NOT NEW.status BEGIN"
        " UPDATE delivery_counts SET n = n - 1 WHERE status = OLD.status;"
        " UPDATE delivery_counts SET n = n + 1 WHERE status = NEW.status; END",
    }
    for name, body in triggers.items():
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(f"CREATE TRIGGER {name} {body}")


def m011_retrying_index(conn: sqlite3.Connection) -> None:
    """The rows waiting for a retry, most recently failed last, in an index of their own, so
    that ``reminder status`` counts them and reads the latest error without reading the
    planned rows (10,000 cases' 80,000: 30 ms). Only the failing rows are in it: when sends
    fail they retry for an hour or two and then fail for good (IF NOT EXISTS: as m009).
    ``status`` leads, as in ``deliveries_active``: SQLite, which has no statistics on the
    tables, then prefers this index to that one (which holds every planned row)."""
    from . import RETRYING

    conn.execute(
        f"CREATE INDEX IF NOT EXISTS deliveries_retrying ON deliveries (status, updated_at) WHERE {RETRYING}"
    )


def m012_delivery_planned(conn: sqlite3.Connection) -> None:
    """When each outbox row's day was last planned (``planned_ts``, epoch seconds: set when the row
    is added, its due time moves or it is planned again after a cancel), so a catch-up tells a
    reminder whose day had passed when the case was changed from one a stopped daemon missed
    (outbox.due_folded). The rows already there keep NULL: when they were planned is not known,
    and they are told apart as before. Written to run again over what it made, as m009."""
    if "planned_ts" not in {str(r[1]) for r in conn.execute("PRAGMA table_info(deliveries)")}:
        conn.execute("ALTER TABLE deliveries ADD COLUMN planned_ts REAL")


def m013_open_case_lookalikes(conn: sqlite3.Connection) -> None:
    """The open cases by organisation and reference, and by organisation, title and day of
    submission, so that ``add`` finds the open case a new one looks like (a second add of the
    same request) in one lookup however many cases there are (store.open_lookalike). Only open
    cases are in them. Written to run again over what it made (IF NOT EXISTS), as m009."""
    conn.execute(
        "CREATE INDEX IF NOT EXISTS cases_open_by_reference ON cases (organisation, reference)"
        " WHERE status = 'open' AND reference IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS cases_open_by_title ON cases (organisation, title, submitted)"
        " WHERE status = 'open'"
    )


def m014_folded_lookalikes(conn: sqlite3.Connection) -> None:
    """Each case's organisation, reference and title folded (case_keys.py), in columns of their
    own written with the case, and m013's indexes of the open cases over them instead of the
    texts as typed: ``add`` took "batelco" or "r-1" for another request than "Batelco", "R-1".
    The cases already there get theirs here. Written to run again over what it made, as m009."""
    from ..case_keys import FOLDED_COLUMNS
    from . import fold_cases

    have = {str(r[1]) for r in conn.execute("PRAGMA table_info(cases)")}
    for column in FOLDED_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE cases ADD COLUMN {column} TEXT")
    fold_cases(conn)
    conn.execute("DROP INDEX IF EXISTS cases_open_by_reference")
    conn.execute("DROP INDEX IF EXISTS cases_open_by_title")
    conn.execute(
        "CREATE INDEX cases_open_by_reference ON cases (organisation_folded, reference_folded)"
        " WHERE status = 'open' AND reference_folded IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX cases_open_by_title ON cases (organisation_folded, title_folded, submitted)"
        " WHERE status = 'open'"
    )


# Applied in order on open; PRAGMA user_version counts how many have run. Never edit or
# reorder an entry that has shipped: append a new function instead. Reserved so far:
# m002 — the outbox (outbox.py, the lead), m003 and m006 — the evidence log (evidence.py),
# m007 — letters (letters.py), m008 — outbox leases (outbox_leases.py), m009 — the listing's index,
# m010 — the outbox's counts per status (outbox_summary.py), m011 — the rows waiting for a retry
# (outbox_summary.py), m012 — when each outbox row was planned (outbox.py), m013 — the open cases
# a new one may repeat (case_store.py), m014 — their texts folded (case_keys.py).
MIGRATIONS: list[Migration] = [
    m001_cases,
    m002_outbox,
    m003_evidence,
    m004_case_docs,
    m005_case_doc_split,
    m006_evidence_keyed,
    m007_case_letters,
    m008_outbox_leases,
    m009_listing_index,
    m010_delivery_counts,
    m011_retrying_index,
    m012_delivery_planned,
    m013_open_case_lookalikes,
    m014_folded_lookalikes,
]


# --- connections ---------------------------------------------------------------------------------


def _store_error(path: str, exc: BaseException, doing: str = "") -> StoreError:
    """The StoreError for a failed SQLite call. SQLite reports a write lock held past the busy
    timeout as a bare "database is locked", which tells the user neither who nor what to do."""
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        waited = BUSY_TIMEOUT_MS / 1000
        copier = _copier(path)
        if copier is not None:
            return DatabaseLocked(
                path,
                waited,
                _(
                    "%(path)s: reminder db copy (pid %(pid)d) is copying this store and holds it until "
                    "it is done; nothing was written: try again then",
                    path=path,
                    pid=copier,
                ),
            )
        return DatabaseLocked(path, waited, _(DATABASE_LOCKED, path=path, seconds=f"{waited:g}"))
    return StoreError(_("%(path)s: %(doing)s%(error)s", path=path, doing=doing, error=exc))


def _copier(path: str) -> int | None:
    """The pid of a ``reminder db copy`` holding the store at ``path`` (its mark in the daemon's
    lock beside the file), else None: a write lock held that long is most often a copy's."""
    import os

    from ..pidlock import LOCK_NAME, copier

    return copier(os.path.join(os.path.dirname(os.path.abspath(path)), LOCK_NAME))


def _enable_wal(conn: sqlite3.Connection) -> None:
    # Two processes opening a brand-new file race to switch it to WAL, and SQLite answers
    # the loser "database is locked" at once, without its busy handler: retry until the
    # busy timeout instead. (threading only on a retry: every command opens the store.)
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
            import threading

            threading.Event().wait(0.01)


def _file_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _deleted_open_files(path: str) -> list[str]:
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


def _make_private(path: str) -> None:
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
        if (os.stat(path).st_mode & 0o777) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except OSError as exc:
        raise StoreError(
            _("%(path)s: cannot set the database file's mode: %(why)s", path=path, why=exc.strerror)
        ) from None


class SqliteBackend:
    """A database file: how to connect to it, lock it, version it, and notice it is gone."""

    name = "sqlite"
    begin = "BEGIN IMMEDIATE"  # takes the write lock up front: a read-then-write never fails half way
    begin_read = "BEGIN"  # a deferred transaction: its first read fixes the snapshot (WAL)
    unindexed = "+"  # a unary plus keeps SQLite's planner off a column's index
    keyed = "{}"  # a text column as its index keys it: as it is (see m013)
    for_update = ""  # BEGIN IMMEDIATE holds the only write lock already
    for_share = ""  # the same
    status_counts = "SELECT status, n FROM delivery_counts"  # kept by m010's triggers
    migrations = MIGRATIONS

    def __init__(self, path: str) -> None:
        self.path = path  # text, not a pathlib.Path: see Store.file
        self.location = path
        self.identity: tuple[int, int] | None = None

    def error(self, exc: BaseException, doing: str = "") -> StoreError | None:
        """The StoreError for a driver error; None for anything else."""
        return _store_error(self.path, exc, doing) if isinstance(exc, sqlite3.Error) else None

    def is_constraint_violation(self, exc: BaseException | None) -> bool:
        """Whether ``exc`` is a uniqueness (or other constraint) violation, such as an id already
        taken; a deadlock or serialization failure is a StoreConflict (errors.py), not this."""
        return isinstance(exc, sqlite3.IntegrityError)

    def opened(self) -> None:
        """Remember which file was opened, for :meth:`lost`."""
        self.identity = _file_identity(self.path)

    def connect(self, *, any_thread: bool = False) -> sqlite3.Connection:
        try:
            private_dir(parent(self.path))  # 0700, its missing parents too (files.py)
        except OSError as exc:
            raise StoreError(
                _("%(path)s: cannot create the directory: %(why)s", path=parent(self.path), why=exc.strerror)
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

    def lost(self) -> str | None:
        """Why this store no longer sees the database file at its path; None while it does.

        A connection keeps the files it opened. If the database at ``path`` is deleted,
        moved or replaced (a backup restored over it), or its ``-wal``/``-shm`` deleted while
        open (what the os.close bug did, see :func:`_make_private`), the connection still
        works — on files no other process reads or writes. It is then blind: cases the CLI
        adds are never seen, and what it writes is lost. The daemon asks before each pass.
        """
        try:
            if _file_identity(self.path) != self.identity:
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
    def checkpoints_aside(
        self, conn: Any, *, every: float = 0.05, restart_frames: int = 2000
    ) -> Iterator[None]:
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

        conn.execute("PRAGMA wal_autocheckpoint = 0")
        stop = threading.Event()

        def checkpoint() -> None:
            try:
                own = self.connect()
                try:
                    while not stop.wait(every):
                        _busy, frames, _copied = own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        if frames > restart_frames:
                            own.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                finally:
                    own.close()
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
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:  # the next commit's automatic checkpoint will do it
                log.warning("%s: cannot checkpoint the log: %s", self.path, exc)

    def schema_version(self, conn: Any) -> int:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    def set_schema_version(self, conn: Any, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    def lock_for_migration(self, conn: Any) -> None:
        """Nothing to do: BEGIN IMMEDIATE already holds the one write lock."""

    def checkpoint(self, conn: Any) -> None:
        """Fold the WAL back into the database (hourly housekeeping)."""
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def ids_follow(self, conn: Any, table: str, column: str) -> None:
        """Nothing to do: an INTEGER PRIMARY KEY continues after the largest id by itself."""
