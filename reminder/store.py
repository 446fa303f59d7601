"""The store: its connection, transactions, migrations and the check of the case documents.

:class:`Store` is the database a command or the daemon opens. This module is how it is
opened and kept: connecting to the backend, :meth:`Store.atomic` and its retrying and
read-only kin, applying :data:`MIGRATIONS`, and re-rendering the stored case documents when
their shape changes. The queries of the case tables (a case and its checklist added, read,
listed, changed, deleted) are in ``case_store.py``, as the :class:`CaseQueries` mixin that
``Store`` inherits: callers call both halves on one ``Store`` and import only this module.

One database holds everything (cases and their checklists; the outbox and the
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
case maps to its row's columns is in ``case_rows.py``.

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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
from .case_store import CaseQueries
from .errors import NewerSchema, StoreConflict, StoreError, StoreRefused
from .i18n import _
from .lazylog import get_logger
from .listing import code_stamp
from .paths import as_path, expand_path, parent

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (status, list: see entry.py)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, TypeVar

    from .backends.postgres_blobs import PgBlobs
    from .backends.seam import Backend, Connection
    from .case_store import StatusFilter as StatusFilter  # named here too, for the modules that import it
    from .config import Settings

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
    T = TypeVar("T")

# How many more times :meth:`Store.atomically` runs a transaction the server aborted as a deadlock
# or a serialization failure (StoreConflict): the other transaction goes through as this one is
# aborted, so the next run most likely does too; a third conflict in a row is said as it is.
CONFLICT_RETRIES = 2


# --- the store -----------------------------------------------------------------------------------


class Store(CaseQueries):
    """A reminder database. Use as a context manager; writes go through :meth:`atomic`.

    ``Store(path)`` is the SQLite file at ``path``: it creates the parent directories and
    the file (mode 0600) if needed, opens it in WAL mode and applies pending
    :data:`MIGRATIONS`. ``Store(path, url="postgresql://…")`` is that PostgreSQL database
    instead (``path`` still names the local data directory, for the daemon's lock and
    temporary files); see :mod:`reminder.backends`. Its queries of the case tables are
    :class:`CaseQueries`'s (``case_store.py``).
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
                # In id order, as every writer of several cases locks them (see CaseQueries.case_batch).
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
