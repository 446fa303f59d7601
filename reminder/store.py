"""The store: connection, migrations, transactions, and the case tables.

One database holds everything (cases and their checklists here; the outbox and the
evidence log add their own tables through :data:`MIGRATIONS`). By default it is a
SQLite file, opened in WAL mode with a busy timeout, so the CLI can write while the
daemon runs, and created with mode 0600 because it holds personal data; with
``[store] url`` it is a shared PostgreSQL database. The SQL here is written once for
both; what differs (connecting, locking, the schema version, the migrations' DDL) is in
``backends/sqlite.py`` and ``backends/postgres.py`` (see :mod:`reminder.backends`).
Every write happens inside :meth:`Store.atomic`.

A case's review window is stored beside it (``opens``, ``deadline``, ``tentative``
and the rest as JSON) and recomputed by ``cases.py`` whenever the case changes, so
listing and sorting by deadline are plain SQL and never need the holiday data. How a
case maps to its row's columns is in ``case_rows.py``, imported where a case is read or
written (``reminder list`` needs no model at all).

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
The code that connects, sets the file's mode and watches for it being replaced is in
``backends/sqlite.py``, under the same rule.

This module never imports the command line or pydantic and never prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from types import TracebackType

from .backends import is_postgres_url
from .backends.sqlite import (
    BUSY_TIMEOUT_MS,
    FILE_MODE,
    MIGRATIONS,
    WAL_AUTOCHECKPOINT,
    Migration,
    SqliteBackend,
)
from .case_ids import ID_RETRIES, MIN_ID_PREFIX, new_case_id, normalize_case_id, not_found
from .errors import InputError, NewerSchema, NotFound, StoreConflict, StoreError, StoreRefused
from .i18n import _
from .lazylog import get_logger
from .listing import code_stamp, status_filter
from .paths import as_path, expand_path, parent

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (status, list: see entry.py)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Literal, TypeVar

    from .backends.postgres_blobs import PgBlobs
    from .backends.seam import Backend, Connection
    from .config import Settings
    from .models import Case, ChecklistItem, ReviewWindow

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CONFLICT_RETRIES",
    "FILE_MODE",
    "MIGRATIONS",
    "WAL_AUTOCHECKPOINT",
    "Migration",
    "Store",
    "open_store",
]

log = get_logger(__name__)

if TYPE_CHECKING:
    StatusFilter = Literal["open", "closed", "all"]
    T = TypeVar("T")

# How many more times :meth:`Store.atomically` runs a transaction the server aborted as a deadlock
# or a serialization failure (StoreConflict): the other transaction goes through as this one is
# aborted, so the next run most likely does too; a third conflict in a row is said as it is.
CONFLICT_RETRIES = 2


# --- the store -----------------------------------------------------------------------------------


class Store:
    """A reminder database. Use as a context manager; writes go through :meth:`atomic`.

    ``Store(path)`` is the SQLite file at ``path``: it creates the parent directories and
    the file (mode 0600) if needed, opens it in WAL mode and applies pending
    :data:`MIGRATIONS`. ``Store(path, url="postgresql://…")`` is that PostgreSQL database
    instead (``path`` still names the local data directory, for the daemon's lock and
    temporary files); see :mod:`reminder.backends`.
    """

    backend: Backend

    def __init__(
        self,
        path: Path | str,
        *,
        url: str | None = None,
        password: str | None = None,
        any_thread: bool = False,
        migrate: bool = True,
    ) -> None:
        # The file as text: pathlib is ~5 ms of a command's start and every command opens the
        # store (issue #20); ``path`` makes its Path when a caller asks for one.
        self.file = expand_path(path)
        self.url = url
        self._password = password
        self._any_thread = any_thread
        self._depth = 0
        self.migrated = False  # this process applied migrations: a running daemon must hear of it
        if url is not None and is_postgres_url(url):
            try:
                from .backends.postgres import PostgresBackend  # psycopg loads only for a PostgreSQL URL
            except ImportError as exc:
                from .errors import ConfigError

                raise ConfigError(
                    _(
                        "[store] url is a PostgreSQL database, which needs psycopg (%(missing)s is missing):"
                        " pip install 'reminder[postgresql]'",
                        missing=exc.name,
                    )
                ) from None

            self.backend = PostgresBackend(url, password)
        elif url is not None:
            raise StoreError(_("%(url)s is not a postgresql:// URL", url=url.split(":", 1)[0]))
        else:
            self.backend = SqliteBackend(self.file)
        try:
            self.conn: Connection = self.backend.connect(any_thread=any_thread)
            self.backend.opened()
        except StoreError:
            raise
        except Exception as exc:
            error = self.backend.error(exc, _("cannot open the database: "))
            if error is None:
                raise
            raise error from None
        if not migrate:  # `reminder db migrate` says what it does
            return
        try:
            self.migrate()
        except BaseException:
            self.conn.close()
            raise

    @property
    def path(self) -> Path:
        """The SQLite file (for PostgreSQL, a file in the local data directory)."""
        return as_path(self.file)

    @property
    def data_dir(self) -> str:
        """The directory of :attr:`file`: the daemon's lock, and (SQLite) the evidence's attachments."""
        return parent(self.file)

    @property
    def location(self) -> str:
        """The database as messages name it: the file's path, or the URL without its password."""
        return self.backend.location

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.backend.name

    def reopen(self, *, any_thread: bool = False) -> Store:
        """Another connection to the same database (a notifier's thread sends on its own)."""
        return Store(self.file, url=self.url, password=self._password, any_thread=any_thread)

    @property
    def attachments(self) -> Path | PgBlobs:
        """Where evidence attachments live: files under the data directory (SQLite), or the
        database itself (PostgreSQL). See evidence_files.py."""
        return self.attachments_at(self.data_dir)

    def attachments_at(self, data_dir: str | os.PathLike[str]) -> Path | PgBlobs:
        """:attr:`attachments`, with the files under ``data_dir`` for SQLite."""
        if self.backend.name == "sqlite":
            return as_path(os.fspath(data_dir))
        from .backends.postgres import PgConnection
        from .backends.postgres_blobs import PgBlobs

        assert isinstance(self.conn, PgConnection)
        return PgBlobs(self.conn, self.atomic)

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
        """Why this store no longer sees its database; None while it does (see the backends:
        a SQLite file deleted or replaced under an open connection)."""
        return self.backend.lost()

    def checkpoints_aside(
        self, *, every: float = 0.05, restart_frames: int = 2000
    ) -> AbstractContextManager[None]:
        """Checkpoint the WAL from another thread while this connection makes many small commits
        (SQLite; see ``SqliteBackend.checkpoints_aside``). Nothing to do on PostgreSQL."""
        return self.backend.checkpoints_aside(self.conn, every=every, restart_frames=restart_frames)

    def checkpoint(self) -> None:
        """Hourly upkeep of the database's log (SQLite's WAL); nothing on PostgreSQL."""
        try:
            self.backend.checkpoint(self.conn)
        except StoreError:
            raise
        except Exception as exc:
            error = self.backend.error(exc, "cannot checkpoint: ")
            if error is None:
                raise
            raise error from None

    # transactions and schema

    @contextmanager
    def atomic(self) -> Iterator[Connection]:
        """A transaction, or a SAVEPOINT inside an enclosing one.

        On SQLite BEGIN IMMEDIATE takes the write lock up front, so a read-then-write never
        fails half way with "database is locked"; another writer waits up to the busy timeout.
        """
        depth = self._depth
        savepoint = f"sp_{depth}"
        try:
            self.conn.execute(self.backend.begin if depth == 0 else f"SAVEPOINT {savepoint}")
        except Exception as exc:
            raise self._error(exc, _("cannot start a transaction: ")) from None
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
            mapped = None if isinstance(exc, StoreError) else self.backend.error(exc)
            if mapped is not None:
                raise mapped from exc
            raise
        else:
            self._depth -= 1
            try:
                self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
            except Exception as exc:
                if depth == 0 and self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise self._error(exc, _("cannot commit: ")) from exc

    def atomically(self, body: Callable[[], T]) -> T:
        """``body()`` in :meth:`atomic`, run again (up to :data:`CONFLICT_RETRIES` more times) when
        the server aborts the transaction as a deadlock or a serialization failure with another
        process's (StoreConflict: PostgreSQL; SQLite's lock never aborts a transaction so).

        Only for a body that writes to this database and nothing else, and reads no state of its
        own that the first run changed: everything the aborted run did was rolled back with it,
        and the run again must do the same. A body that sends, writes files or calls out must not
        be run twice; it uses :meth:`atomic`, and its conflict is said to the user as it is.
        Inside an enclosing transaction the body runs once: the conflict aborted that one, and
        its owner decides.
        """
        attempt = 0
        while True:
            nested = self._depth > 0
            try:
                with self.atomic():
                    return body()
            except StoreConflict as exc:
                if nested or attempt >= CONFLICT_RETRIES:
                    raise
                attempt += 1
                log.info("%s: transaction aborted (%s); running it again", self.location, exc.detail)

    @contextmanager
    def read_snapshot(self) -> Iterator[Connection]:
        """Reads that see one state of the store, whatever other processes write meanwhile.

        Each statement outside a transaction sees the store as it is then: a case added between
        two reads is in the second and not the first. Inside an enclosing transaction (a
        caller's :meth:`atomic`) nothing is begun: the caller chose its transaction.
        """
        if self._depth or self.conn.in_transaction:
            yield self.conn
            return
        try:
            self.conn.execute(self.backend.begin_read)
        except Exception as exc:
            raise self._error(exc, _("cannot start a transaction: ")) from None
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:  # a read-only transaction: nothing to commit or lose
                self.conn.execute("ROLLBACK")

    def _error(self, exc: Exception, doing: str) -> Exception:
        if isinstance(exc, StoreError):
            return exc
        mapped = self.backend.error(exc, doing)
        return exc if mapped is None else mapped

    @property
    def schema_version(self) -> int:
        return self.backend.schema_version(self.conn)

    def _migrations(self) -> Sequence[Callable[[Any], None]]:
        # SQLite's are this module's MIGRATIONS, looked up here so that a test can add one.
        return MIGRATIONS if self.backend.name == "sqlite" else self.backend.migrations

    def migrate(self) -> int:
        """Apply the pending migrations; then re-render stale case docs. Returns the schema
        version this found under the migration lock: where it migrated from, or the version
        another process already brought the database to."""
        before = self.schema_version
        if before != len(self._migrations()):
            before = self._apply_migrations()
        self._check_docs()
        return before

    def _apply_migrations(self) -> int:
        migrations = self._migrations()
        # All in one transaction under the lock (SQLite's write lock, PostgreSQL's advisory lock),
        # held until the last is done: a process waiting for it then finds them all applied. One
        # transaction each let a waiting process in between two of them on PostgreSQL, and both
        # reported the whole run as theirs. A migration that fails leaves the database as it was.
        with self.atomic():
            self.backend.lock_for_migration(self.conn)
            # Read again under the lock: another process may have migrated meanwhile.
            before = self.schema_version
            if before > len(migrations):
                # A refusal (NewerSchema): the daemon stops at start rather than retry for ever.
                raise self._newer(before, len(migrations))
            for version in range(before, len(migrations)):
                migration = migrations[version]
                log.info("migrating %s: %s", self.location, migration.__name__)
                migration(self.conn)
                self.backend.set_schema_version(self.conn, version + 1)
        self.migrated = before < len(migrations)
        return before

    def check_schema(self) -> None:
        """Raise NewerSchema if a newer reminder has migrated the database since it was opened.

        Opening checks the schema (:meth:`migrate`); a store kept open, as the daemon keeps one,
        is checked again with this before each use. One cheap read: SQLite's ``user_version`` is in
        the file's header, PostgreSQL's version is a one-row table.
        """
        try:
            version = self.schema_version
        except Exception as exc:
            raise self._error(exc, "") from None
        known = len(self._migrations())
        if version > known:
            raise self._newer(version, known)

    def _newer(self, version: int, known: int) -> NewerSchema:
        return NewerSchema(
            _(
                "%(path)s: the database has schema version %(version)s, newer than this "
                "reminder knows (%(known)d); upgrade reminder",
                path=self.location,
                version=version,
                known=known,
            ),
            version=version,
            known=known,
        )

    def _check_docs(self) -> None:
        query = "SELECT key, value FROM meta WHERE key IN ('case_doc_shape', 'case_doc_code')"
        stamp = code_stamp()
        recorded = dict(self.conn.execute(query).fetchall())
        if stamp and recorded.get("case_doc_code") == stamp and "case_doc_shape" in recorded:
            # Rendered by this very code (its files' sizes and times): the documents are what it
            # would render, as `list --json`'s fast path trusts too, without importing the models
            # to render the sample case.
            return
        from .case_rows import doc_shape

        shape = doc_shape()
        if recorded == {"case_doc_shape": shape, "case_doc_code": stamp}:
            return
        with self.atomic():
            recorded = dict(self.conn.execute(query).fetchall())
            if recorded.get("case_doc_shape") != shape:
                # In id order, as every writer of several cases locks them (see case_batch).
                ids = [r[0] for r in self.conn.execute("SELECT id FROM cases ORDER BY id")]
                for case_id in ids:
                    self._refresh_doc(case_id)
                if ids:
                    log.info("%s: re-rendered %d case documents", self.location, len(ids))
            # The stamp tells `list --json`'s fast path (listing.docs_current) these docs are current.
            self.conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("case_doc_shape", shape), ("case_doc_code", stamp)],
            )

    def _refresh_doc(self, case_id: str) -> None:
        """Re-render a case's stored JSON after any change to it or its checklist."""
        from .case_rows import CASE_COLUMNS, case_from_row, doc, window_from_row

        row = self.conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is not None:
            case = case_from_row(row, self.get_checklist(case_id))
            self.conn.execute(
                "UPDATE cases SET doc_head = ?, doc_tail = ? WHERE id = ?",
                (*doc(case, window_from_row(row)), case_id),
            )

    # cases

    def add_case(self, case: Case, window: ReviewWindow | None = None) -> Case:
        """Insert a case (and its checklist); an empty ``case.id`` gets a fresh one. Returns it stored."""
        from .case_keys import FOLDED_COLUMNS
        from .case_rows import CASE_COLUMNS, case_values, doc, folded_values, letter_values, window_values
        from .record import replace

        columns = f"{CASE_COLUMNS}, {', '.join(FOLDED_COLUMNS)}"
        with self.atomic():
            for _attempt in range(ID_RETRIES):
                stored = case if case.id else replace(case, id=new_case_id())
                try:
                    with self.atomic():
                        self.conn.execute(
                            f"INSERT INTO cases ({columns}) VALUES ({', '.join('?' * 34)})",
                            case_values(stored)
                            + window_values(window)
                            + letter_values(stored)
                            + folded_values(stored),
                        )
                except StoreError as exc:
                    if not self.backend.is_conflict(exc.__cause__):
                        raise
                    if case.id:
                        raise InputError(
                            _("a case with id %(id)s already exists", id=repr(case.id))
                        ) from None
                    continue
                self._insert_items(stored.id, stored.checklist)
                self.conn.execute(
                    "UPDATE cases SET doc_head = ?, doc_tail = ? WHERE id = ?",
                    (*doc(stored, window), stored.id),
                )
                return stored
        raise StoreError(_("%(path)s: could not find a free case id", path=self.location))  # pragma: no cover

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
        raise not_found(case_id, difflib.get_close_matches(case_id, ids, n=3))

    def get_case(self, case_id: str, *, lock: bool = False) -> Case:
        """The case with this id (or unique prefix, see :meth:`resolve_id`), or NotFound.

        ``lock``: inside :meth:`atomic`, hold the case until the transaction ends, for a case read
        to be written back (edit, close, reopen). On PostgreSQL a plain read takes no lock, so two
        commands changing one case at once each wrote back what it had read, the later one undoing
        the earlier (an edit reopened a case closed meanwhile); locked, the later one waits and
        reads the case as the earlier left it. SQLite's BEGIN IMMEDIATE holds the database already.
        """
        from .case_rows import CASE_COLUMNS, case_from_row

        sql = f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?{self.backend.for_update if lock else ''}"
        case_id = normalize_case_id(case_id)
        row = self.conn.execute(sql, (case_id,)).fetchone()
        if row is None:
            case_id = self.resolve_id(case_id)
            row = self.conn.execute(sql, (case_id,)).fetchone()
            if row is None:  # deleted since it was resolved
                raise not_found(case_id)
        return case_from_row(row, self.get_checklist(case_id))

    def get_window(self, case_id: str) -> ReviewWindow | None:
        """The window stored with the case (None if it was never computed)."""
        from .case_rows import CASE_COLUMNS, window_from_row

        case_id = normalize_case_id(case_id)
        row = self.conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            case_id = self.resolve_id(case_id)
            row = self.conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        return window_from_row(row)

    def list_cases(self, status: StatusFilter = "open", due_before: date | None = None) -> list[Case]:
        """Cases sorted by deadline (then id), optionally only those due on or before a date."""
        return [case for case, _ in self.list_cases_with_windows(status, due_before)]

    def list_cases_with_windows(
        self, status: StatusFilter = "open", due_before: date | None = None
    ) -> list[tuple[Case, ReviewWindow | None]]:
        """Like :meth:`list_cases`, each with its stored window — one query, no recomputation."""
        from .case_rows import CASE_COLUMNS, case_from_row, item_from_row, window_from_row

        where, params = status_filter(status, due_before)
        rows = self.conn.execute(
            f"SELECT {CASE_COLUMNS} FROM cases{where} ORDER BY deadline IS NULL, deadline, id", params
        ).fetchall()
        items: dict[str, list[ChecklistItem]] = {}
        if rows:
            # One pass over all checklist rows beats one query per case at 10,000 cases.
            item_sql = "SELECT case_id, position, text, done, done_at FROM checklist_items"
            if where:
                item_sql += f" WHERE case_id IN (SELECT id FROM cases{where})"
            for r in self.conn.execute(item_sql + " ORDER BY case_id, position", params):
                items.setdefault(r[0], []).append(item_from_row(r[1:]))
        return [(case_from_row(row, tuple(items.get(row[0], ()))), window_from_row(row)) for row in rows]

    def case_batch(
        self, status: StatusFilter = "open", *, after: str = "", limit: int = 1000, lock: bool = False
    ) -> list[tuple[Case, ReviewWindow | None]]:
        """The next ``limit`` cases in id order after the id ``after``, each with its stored window.

        For walking every case a batch at a time (the daemon re-plans 100,000 of them)
        without holding them all in memory: pass the last id of a batch as ``after``.

        ``lock``: inside :meth:`atomic`, hold the batch's cases until the transaction ends, for
        a batch whose cases are planned from what is read here (the re-plan of every case). On
        PostgreSQL a plain read takes no lock: a ``close`` committed after it cancelled the
        case's reminders, and the re-plan then wrote new ones, planned, for the closed case.
        Locked (shared, in id order, as every writer of several cases locks them), a command
        changing one of them waits for the batch's commit, and one that changed a case first is
        waited for: the case is read as it left it, and one no longer open is left out of the
        batch. SQLite's BEGIN IMMEDIATE holds the database already.
        """
        from .case_rows import CASE_COLUMNS, case_from_row, item_from_row, window_from_row

        # "+status": walk the primary key in order; SQLite would otherwise take the status
        # index and sort every open case again for each batch (quadratic at 100,000 cases).
        where, params = status_filter(status, None, alias=self.backend.unindexed)
        where = f"{where} AND id > ?" if where else " WHERE id > ?"
        if lock and self.backend.for_share:
            rows = self._locked_batch(where, params, after, limit)
        else:
            rows = self.conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases{where} ORDER BY id LIMIT ?", (*params, after, limit)
            ).fetchall()
        items: dict[str, list[ChecklistItem]] = {}
        if rows:
            # A range of the primary key: no parameter per case, and other cases' items are ignored.
            for r in self.conn.execute(
                "SELECT case_id, position, text, done, done_at FROM checklist_items"
                " WHERE case_id BETWEEN ? AND ? ORDER BY case_id, position",
                (rows[0][0], rows[-1][0]),
            ):
                items.setdefault(r[0], []).append(item_from_row(r[1:]))
        return [(case_from_row(row, tuple(items.get(row[0], ()))), window_from_row(row)) for row in rows]

    def _locked_batch(
        self, where: str, params: tuple[object, ...], after: str, limit: int
    ) -> list[Sequence[Any]]:
        """:meth:`case_batch`'s rows, locked: the next ``limit`` ids first, then the rows up to the
        last of them, FOR SHARE (a case added in between is in the batch too). One statement with
        both LIMIT and FOR SHARE cannot sort only its first rows (a row that fails the re-check
        after the lock is replaced by the next one): on a table not yet analysed, where PostgreSQL
        sorts the open cases instead of walking the primary key, it sorted, whole, every open case
        left after ``after`` for every batch (100,000 cases: 16 s of batch reads, 13 s unlocked, 11 s
        in two steps). A range whose cases were all closed meanwhile is passed over for the next
        one: an empty batch says no open case is left."""
        from .case_rows import CASE_COLUMNS

        rows: list[Sequence[Any]] = []
        while not rows:
            ids = self.conn.execute(
                f"SELECT id FROM cases{where} ORDER BY id LIMIT ?", (*params, after, limit)
            )
            last = [row[0] for row in ids][-1:]
            if not last:
                break
            rows = self.conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases{where} AND id <= ? ORDER BY id{self.backend.for_share}",
                (*params, after, last[0]),
            ).fetchall()
            after = str(last[0])
        return rows

    def cases_with_windows(self, case_ids: Sequence[str]) -> dict[str, tuple[Case, ReviewWindow | None]]:
        """Several cases by id, each with its stored window, in two queries; unknown ids are left out."""
        from .case_rows import CASE_COLUMNS, case_from_row, item_from_row, window_from_row

        out: dict[str, tuple[Case, ReviewWindow | None]] = {}
        ids = sorted({normalize_case_id(i) for i in case_ids})
        for start in range(0, len(ids), 500):  # well below SQLite's limit on parameters
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({marks})"
            rows = self.conn.execute(sql, chunk).fetchall()
            items: dict[str, list[ChecklistItem]] = {}
            item_sql = "SELECT case_id, position, text, done, done_at FROM checklist_items"
            for r in self.conn.execute(f"{item_sql} WHERE case_id IN ({marks}) ORDER BY position", chunk):
                items.setdefault(r[0], []).append(item_from_row(r[1:]))
            for row in rows:
                out[row[0]] = (case_from_row(row, tuple(items.get(row[0], ()))), window_from_row(row))
        return out

    def open_lookalike(self, case: Case) -> tuple[str, str] | None:
        """The open case, other than ``case``, that ``case`` looks like a second record of, and
        why: ``(id, "reference")`` for the same organisation and reference, else ``(id, "title")``
        for the same organisation, title and day of submission where one of the two has no
        reference (added before the organisation gave one, or without it: two references that
        differ are two requests). The texts compared folded (case_keys.py: "Batelco" is
        "batelco ", "R-1" is "Ｒ－１"). The oldest of them, by reference first; None when there is
        none. One statement, a lookup in each index of the open cases (m014) however many cases
        there are."""
        from .case_keys import folded

        organisation, reference, title = folded(case.organisation, case.reference, case.title)
        keyed = self.backend.keyed
        params: list[str] = []

        def same(column: str, value: str) -> str:
            # A text by the key its index holds (on PostgreSQL, its MD5), and as it is.
            if keyed == "{}":
                params.append(value)
                return f"{column} = ?"
            params.extend((value, value))
            return f"{keyed.format(column)} = {keyed.format('?')} AND {column} = ?"

        sql = ""
        if reference is not None:
            sql = (
                "SELECT id, 'reference' AS why, created_at FROM cases WHERE status = 'open'"
                f" AND {same('organisation_folded', organisation)} AND {same('reference_folded', reference)}"
                " AND reference_folded IS NOT NULL AND id <> ? UNION ALL "  # the index holds only those
            )
            params.append(case.id)
        sql += (
            "SELECT id, 'title' AS why, created_at FROM cases WHERE status = 'open'"
            f" AND {same('organisation_folded', organisation)} AND {same('title_folded', title)}"
            f" AND submitted = ?{'' if reference is None else ' AND reference_folded IS NULL'} AND id <> ?"
        )
        params += (case.submitted.isoformat(), case.id)
        # The oldest chosen here: an ORDER BY over the UNION made SQLite sort each half in a
        # temporary B-tree, 30 µs where the two lookups take 4; the matches are one or two.
        rows = self.conn.execute(sql, params).fetchall()
        if not rows:
            return None
        found, why, _created = min(rows, key=lambda r: (r[1], r[2], r[0]))
        return str(found), str(why)

    def count_cases(self, status: StatusFilter = "all") -> int:
        where, params = status_filter(status, None)
        count: int = self.conn.execute(f"SELECT count(*) FROM cases{where}", params).fetchone()[0]
        return count

    def update_case(self, case: Case, window: ReviewWindow | None = None) -> Case:
        """Overwrite a stored case's fields (not its checklist); a given window replaces the stored one."""
        from .case_keys import FOLDED_COLUMNS
        from .case_rows import (
            CASE_COLUMNS,
            LETTER_COLUMNS,
            case_values,
            folded_values,
            letter_values,
            window_values,
        )

        sets = [c.strip() + " = ?" for c in CASE_COLUMNS.split(",")[1:24]]
        sets += [f"{c} = ?" for c in (*LETTER_COLUMNS, *FOLDED_COLUMNS)]
        values = case_values(case)[1:] + letter_values(case) + folded_values(case)
        if window is not None:
            sets += ["opens = ?", "deadline = ?", "tentative = ?", "window_extra = ?"]
            values += window_values(window)
        with self.atomic():
            cur = self.conn.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id = ?", (*values, case.id))
            if cur.rowcount == 0:
                raise not_found(case.id)
            self._refresh_doc(case.id)
        return case

    def delete_case(self, case_id: str) -> None:
        """Delete a case and everything that cascades from it."""
        case_id = normalize_case_id(case_id)
        try:
            with self.atomic():
                cur = self.conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
                if cur.rowcount == 0:
                    raise not_found(case_id)
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
        from .case_rows import item_from_row

        rows = self.conn.execute(
            "SELECT position, text, done, done_at FROM checklist_items WHERE case_id = ? ORDER BY position",
            (normalize_case_id(case_id),),
        ).fetchall()
        return tuple(item_from_row(r) for r in rows)

    def add_checklist_items(self, case_id: str, texts: Sequence[str]) -> tuple[ChecklistItem, ...]:
        """Append items to a case's checklist; returns the whole checklist."""
        case_id = normalize_case_id(case_id)
        with self.atomic():
            if not self.lock_case(case_id):
                raise not_found(case_id)
            last = self.conn.execute(
                "SELECT coalesce(max(position), 0) FROM checklist_items WHERE case_id = ?", (case_id,)
            ).fetchone()[0]
            from .models import ChecklistItem

            self._insert_items(
                case_id, [ChecklistItem(position=last + i, text=t) for i, t in enumerate(texts, start=1)]
            )
            self._refresh_doc(case_id)
        return self.get_checklist(case_id)

    def set_item_done(self, case_id: str, position: int, *, done: bool, at: datetime | None) -> ChecklistItem:
        """Tick (or untick) one checklist item by its position (1-based)."""
        from .case_rows import item_from_row, ts

        case_id = normalize_case_id(case_id)
        with self.atomic():
            self.lock_case(case_id)
            cur = self.conn.execute(
                "UPDATE checklist_items SET done = ?, done_at = ? WHERE case_id = ? AND position = ?",
                (int(done), ts(at) if done else None, case_id, position),
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
        return item_from_row(row)

    def lock_case(self, case_id: str) -> bool:
        """Inside :meth:`atomic`: hold the case until the transaction ends (False: no such case).

        A read-then-write of a case (its next checklist position or evidence number, the
        document re-rendered from its rows) must not interleave with another's. SQLite's
        BEGIN IMMEDIATE already holds the one write lock; on PostgreSQL this locks the case's row.
        """
        row = self.conn.execute(f"SELECT 1 FROM cases WHERE id = ?{self.backend.for_update}", (case_id,))
        return row.fetchone() is not None

    def _insert_items(self, case_id: str, items: Iterable[ChecklistItem]) -> None:
        from .case_rows import ts

        self.conn.executemany(
            "INSERT INTO checklist_items (case_id, position, text, done, done_at) VALUES (?, ?, ?, ?, ?)",
            [(case_id, i.position, i.text, int(i.done), ts(i.done_at)) for i in items],
        )

    # misc

    def touch(self, case_id: str, now: datetime) -> None:
        """Record that a case changed (e.g. its checklist) without rewriting it."""
        from .case_rows import ts

        with self.atomic():
            self.conn.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (ts(now), case_id))
            self._refresh_doc(case_id)


def open_store(settings: Settings, *, any_thread: bool = False, migrate: bool = True) -> Store:
    """The store ``[store]`` names: the PostgreSQL database at ``url``, else the SQLite file at
    ``path``. The whole settings, not their ``[store]`` alone: a password that cannot be had is
    told with the config file it was asked for in (``Settings.store_password``)."""
    store = settings.store
    path = store.path_text("path")
    assert path is not None  # the model's default
    if store.url is None:
        return Store(path, any_thread=any_thread, migrate=migrate)
    password = settings.store_password()
    try:
        return Store(path, url=store.url, password=password, any_thread=any_thread, migrate=migrate)
    except StoreRefused as exc:
        if not exc.no_password:
            raise
        from .store_refusal import hinted, no_password_hint

        raise hinted(exc, no_password_hint()) from None
