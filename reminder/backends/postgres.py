"""The PostgreSQL backend: a shared database that several machines' CLIs and daemons use at once.

Imported only when ``[store] url`` is a ``postgresql://`` URL, and it alone imports psycopg 3.

- **One dialect for the callers.** The store's SQL is written with ``?`` placeholders (what
  sqlite3 takes); :class:`PgConnection` turns them into psycopg's ``%s`` (and a literal
  ``%`` into ``%%``) outside quotes and comments, once per distinct statement. Its
  ``execute``/``executemany``/``in_transaction``/``total_changes`` are the part of
  ``sqlite3.Connection`` the callers use, so outbox.py and evidence.py need no second copy.
- **Errors.** Every driver error becomes a :class:`~reminder.errors.StoreError` naming the
  database by its URL without the password, with the driver's error as ``__cause__``.
- **A refusal** — the server answers but refuses the login (SQLSTATE 28P01, 28000), has no
  such database (3D000), or denies this role a right (42501: CONNECT on the database, at
  connecting; its tables, at any statement) — is a :class:`~reminder.errors.StoreRefused`
  (:func:`refusal`): waiting does not fix it, so the daemon does not wait for it at start (daemon_store.py).
- **A conflict** — the server aborts a transaction as a deadlock (SQLSTATE 40P01) or a
  serialization failure (40001) with another process's — is a :class:`~reminder.errors.StoreConflict`
  saying so, not a failed connection (the connection is fine, the transaction rolled back whole):
  ``Store.atomically`` runs again the transactions that write only to the database.
- **A lost connection** (a server restart, a network cut) fails the operation in progress
  with a StoreError; the next operation connects again. A transaction cut short is rolled
  back by the server, so nothing half-written remains.
- **Migrations** mirror SQLite's one for one (same names and count, so the schema version
  means the same on both) and run under ``pg_advisory_xact_lock``: two machines starting
  at once never migrate together, and the second finds the work done.
- **Text columns are** ``COLLATE "C"``: ids and ISO dates sort by their bytes, as in SQLite,
  whatever the database's default collation.
- **Attachments** live in the database, content-addressed by SHA-256 in 1 MiB chunks
  (``postgres_blobs.py``), so every machine reads them; written and read a chunk at a time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import psycopg
import psycopg.errors

from ..errors import StoreConflict, StoreError, StoreRefused
from ..i18n import _
from ..lazylog import get_logger
from . import RETRYING, connection_name, redact_url

__all__ = [
    "CONFLICT_STATES",
    "MIGRATIONS",
    "MIGRATION_LOCK",
    "REFUSED_STATES",
    "PgConnection",
    "PostgresBackend",
    "refusal",
    "translate",
]

log = get_logger(__name__)

# pg_advisory_xact_lock's key for migrating: any constant, the same in every reminder.
MIGRATION_LOCK = 0x72656D696E646572  # "reminder"
CONNECT_TIMEOUT_S = 10
_T = 'TEXT COLLATE "C"'  # every text column: byte order, as SQLite compares

# What a connection that fails to open is refused for, when waiting will not fix it: the login
# (28P01, the password; 28000, the role, pg_hba.conf or another method), the database (3D000) or
# the right to connect to it (42501: no CONNECT, which PUBLIC has unless an operator revoked it).
# libpq keeps the SQLSTATE of an error at connecting to itself (psycopg's ``sqlstate`` is None
# then), so the server's words tell them: English unless its lc_messages says otherwise, and then
# such a refusal is taken for a server that is down (the daemon waits for it, as before).
_REFUSALS = (
    ("28P01", re.compile(r"FATAL:\s+password authentication failed for user ")),
    ("3D000", re.compile(r'FATAL:\s+database ".*" does not exist')),
    (
        "28000",
        re.compile(
            r'FATAL:\s+(?:role ".*" (?:does not exist|is not permitted to log in)|no pg_hba\.conf entry for '
            r"|pg_hba\.conf rejects connection |\w+ authentication failed for user )"
        ),
    ),
    ("42501", re.compile(r'FATAL:\s+permission denied for database ".*"')),
)
REFUSED_STATES = frozenset(state for state, _pattern in _REFUSALS)
# What the server aborts a transaction for when another one did something at the same moment that
# this one cannot go on after: a deadlock between the two, or (REPEATABLE READ, SERIALIZABLE: an
# operator's default_transaction_isolation) a row changed since this one's snapshot.
CONFLICT_STATES = frozenset({"40P01", "40001"})


# --- the ? dialect ---------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """``sql`` with ``?`` placeholders as psycopg's ``%s`` and a literal ``%`` as ``%%``.

    Quoted strings, quoted identifiers, dollar-quoted bodies and comments are left alone.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = sql.find(ch, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == ch:  # '' inside a string
                end = sql.find(ch, end + 2)
            end = n if end == -1 else end + 1
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("$$", i):
            end = sql.find("$$", i + 2)
            end = n if end == -1 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _Cursor:
    """The rows of one statement, fetched already (``sqlite3.Cursor``'s reading part)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        return self._rowcount

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest

    def fetchmany(self, size: int) -> list[Any]:
        rows = self._rows[self._next : self._next + size]
        self._next += len(rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        while (row := self.fetchone()) is not None:
            yield row


_TX_END = ("ROLLBACK", "RELEASE")


class PgConnection:
    """A psycopg connection that takes the store's ``?`` SQL and reconnects after a loss.

    In autocommit mode: the store's ``atomic()`` issues BEGIN/SAVEPOINT/COMMIT itself, as
    it does on SQLite, and a statement outside it is its own transaction.
    """

    def __init__(self, backend: PostgresBackend) -> None:
        self._backend = backend
        self._conn: psycopg.Connection[Any] | None = None
        self._changes = 0
        self._open_tx = False  # a BEGIN was sent and no COMMIT or ROLLBACK yet
        self._live()

    def _live(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
            log.warning("%s: the connection was lost; connecting again", self._backend.location)
        self._conn = None
        self._conn = self._backend.raw_connect()
        return self._conn

    def _run(self, sql: str, parameters: Any, many: bool) -> _Cursor:
        head = sql.lstrip()[:10].upper()
        if self._conn is not None and self._conn.broken and self._open_tx:
            if head.startswith(_TX_END):
                # The server dropped the transaction with the connection: nothing left to end.
                self._open_tx = not head.startswith("ROLLBACK") or head.startswith("ROLLBACK T")
                return _Cursor([], -1)
            # Never carry on a transaction's later statements on a new connection, each on its own.
            raise StoreError(
                _("%(path)s: the connection was lost inside a transaction", path=self._backend.location)
            )
        conn = self._live()
        try:
            with conn.cursor() as cur:
                if many:
                    cur.executemany(translate(sql), list(parameters))
                elif parameters:
                    cur.execute(translate(sql), tuple(parameters))
                else:
                    cur.execute(sql)
                wrote = cur.description is None
                rows = [] if wrote else cur.fetchall()
                count = cur.rowcount
        except psycopg.Error as exc:
            raise self._backend.wrap(exc) from exc
        if wrote and count > 0:
            self._changes += count
        if head.startswith("BEGIN"):
            self._open_tx = True
        elif head.startswith(("COMMIT", "ROLLBACK")) and not head.startswith("ROLLBACK T"):
            self._open_tx = False
        return _Cursor(rows, count)

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        return self._run(sql, parameters, many=False)

    def executemany(self, sql: str, parameters: Any, /) -> _Cursor:
        return self._run(sql, parameters, many=True)

    @property
    def in_transaction(self) -> bool:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            return False
        return conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @property
    def total_changes(self) -> int:
        """Rows written through this connection so far (as ``sqlite3.Connection.total_changes``)."""
        return self._changes

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def raw(self) -> psycopg.Connection[Any]:
        """The psycopg connection itself, for what only PostgreSQL has (LISTEN, COPY)."""
        return self._live()


# --- migrations (each mirrors sqlite.py's one of the same name) ----------------------------------------

Migration = Callable[[Any], None]


def m001_cases(conn: Any) -> None:
    conn.execute(
        f"""
        CREATE TABLE cases (
            id             {_T} PRIMARY KEY,
            title          {_T} NOT NULL,
            organisation   {_T} NOT NULL,
            kind           {_T} NOT NULL DEFAULT 'other',
            filed          {_T},
            reference      {_T},
            channels       {_T} NOT NULL DEFAULT '[]',
            country        {_T} NOT NULL,
            subdivision    {_T},
            timezone       {_T} NOT NULL,
            submitted      {_T} NOT NULL,
            submitted_time {_T},
            min_days       INTEGER NOT NULL,
            max_days       INTEGER NOT NULL,
            unit           {_T} NOT NULL DEFAULT 'business',
            status         {_T} NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            resolution     {_T},
            closed_at      {_T},
            created_at     {_T} NOT NULL,
            updated_at     {_T} NOT NULL,
            notes          {_T},
            preset         {_T},
            remind         {_T} NOT NULL DEFAULT '{{}}',
            closures       {_T} NOT NULL DEFAULT '[]',
            opens          {_T},
            deadline       {_T},
            tentative      INTEGER NOT NULL DEFAULT 0,
            window_extra   {_T} NOT NULL DEFAULT '{{}}'
        )
        """
    )
    conn.execute("CREATE INDEX cases_status_deadline ON cases (status, deadline)")
    conn.execute(
        f"""
        CREATE TABLE checklist_items (
            case_id  {_T} NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text     {_T} NOT NULL,
            done     INTEGER NOT NULL DEFAULT 0,
            done_at  {_T},
            PRIMARY KEY (case_id, position)
        )
        """
    )
    # listing.py computes days_left with SQLite's julianday(); the same function here.
    conn.execute(
        "CREATE FUNCTION julianday(text) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT "
        "AS $$ SELECT (($1::date - DATE '0001-01-01') + 1721425.5)::double precision $$"
    )


def m002_outbox(conn: Any) -> None:
    conn.execute(
        f"""
        CREATE TABLE deliveries (
            id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            case_id         {_T} NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            key             {_T} NOT NULL,
            kind            {_T} NOT NULL,
            notifier        {_T} NOT NULL,
            due             {_T} NOT NULL,
            due_ts          DOUBLE PRECISION NOT NULL,
            status          {_T} NOT NULL DEFAULT 'planned'
                            CHECK (status IN ('planned', 'sending', 'sent', 'failed', 'cancelled')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts DOUBLE PRECISION,
            wake_ts         DOUBLE PRECISION NOT NULL,
            last_error      {_T},
            sent_at         {_T},
            note            {_T},
            updated_at      {_T} NOT NULL,
            UNIQUE (key, notifier)
        )
        """
    )
    conn.execute("CREATE INDEX deliveries_active ON deliveries (status, wake_ts)")
    conn.execute("CREATE INDEX deliveries_case ON deliveries (case_id)")


def _refuse(name: str, message: str, when: str = "") -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + (f"IF {when} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; " if when else "")
        + (f"RAISE EXCEPTION '{message}'; " if not when else "")
        + "END $$"
    )


def m003_evidence(conn: Any) -> None:
    """The evidence table (append-only by trigger), and the attachments' chunks."""
    conn.execute(
        f"""
        CREATE TABLE evidence (
            case_id     {_T}    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL CHECK (seq >= 1),
            kind        {_T}    NOT NULL,
            summary     {_T}    NOT NULL,
            at          {_T}    NOT NULL,
            recorded_at {_T}    NOT NULL,
            attachments {_T}    NOT NULL DEFAULT '[]',
            corrects    INTEGER,
            prev_hash   {_T}    NOT NULL,
            hash        {_T}    NOT NULL,
            PRIMARY KEY (case_id, seq)
        )
        """
    )
    conn.execute(_refuse("evidence_append_only", "the evidence log is append-only"))
    for action in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER evidence_append_only_{action.lower()} BEFORE {action} ON evidence "
            "FOR EACH ROW EXECUTE FUNCTION evidence_append_only()"
        )
    # Content-addressed like the files under SQLite: a blob is complete once its row in
    # `attachments` exists (written last, in the chunks' transaction).
    conn.execute(
        f"CREATE TABLE attachments (sha256 {_T} PRIMARY KEY, size BIGINT NOT NULL,"
        f" chunks INTEGER NOT NULL, stored_at {_T} NOT NULL)"
    )
    conn.execute(
        f"CREATE TABLE attachment_chunks (sha256 {_T} NOT NULL, n INTEGER NOT NULL,"
        " data BYTEA NOT NULL, PRIMARY KEY (sha256, n))"
    )
    # Screenshots and PDFs are compressed already: store the chunks as they are.
    conn.execute("ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL")


def m004_case_docs(conn: Any) -> None:
    conn.execute("ALTER TABLE cases ADD COLUMN doc TEXT")
    conn.execute(f"CREATE TABLE meta (key {_T} PRIMARY KEY, value {_T} NOT NULL)")


def m005_case_doc_split(conn: Any) -> None:
    conn.execute("ALTER TABLE cases DROP COLUMN doc")
    conn.execute(f"ALTER TABLE cases ADD COLUMN doc_head {_T}")
    conn.execute(f"ALTER TABLE cases ADD COLUMN doc_tail {_T}")
    conn.execute("CREATE INDEX cases_by_status_deadline ON cases (status, deadline, id)")
    conn.execute("CREATE INDEX cases_by_deadline ON cases (deadline, id)")
    conn.execute("CREATE INDEX cases_by_timezone ON cases (timezone)")
    conn.execute("DELETE FROM meta WHERE key = 'case_doc_shape'")


def m006_evidence_keyed(conn: Any) -> None:
    conn.execute("ALTER TABLE evidence ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1")
    conn.execute(f"ALTER TABLE evidence ADD COLUMN key_id {_T}")
    conn.execute(
        f"""
        CREATE TABLE evidence_heads (
            case_id {_T}    PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            entries INTEGER NOT NULL CHECK (entries >= 1),
            head    {_T}    NOT NULL
        )
        """
    )
    conn.execute(
        "INSERT INTO evidence_heads (case_id, entries, head) SELECT e.case_id, e.seq, e.hash FROM evidence e "
        "WHERE e.seq = (SELECT max(seq) FROM evidence WHERE case_id = e.case_id)"
    )
    not_newest = (
        "NEW.head IS DISTINCT FROM"
        " (SELECT hash FROM evidence WHERE case_id = NEW.case_id AND seq = NEW.entries) "
        "OR EXISTS (SELECT 1 FROM evidence WHERE case_id = NEW.case_id AND seq > NEW.entries)"
    )
    conn.execute(_refuse("evidence_heads_insert", "an evidence head must name the newest entry", not_newest))
    conn.execute(
        "CREATE TRIGGER evidence_heads_insert BEFORE INSERT ON evidence_heads "
        "FOR EACH ROW EXECUTE FUNCTION evidence_heads_insert()"
    )
    forward = f"NEW.case_id IS DISTINCT FROM OLD.case_id OR NEW.entries <= OLD.entries OR {not_newest}"
    conn.execute(
        _refuse("evidence_heads_forward", "an evidence head only moves forward, to the newest entry", forward)
    )
    conn.execute(
        "CREATE TRIGGER evidence_heads_forward BEFORE UPDATE ON evidence_heads "
        "FOR EACH ROW EXECUTE FUNCTION evidence_heads_forward()"
    )
    conn.execute(
        "CREATE TRIGGER evidence_heads_delete BEFORE DELETE ON evidence_heads "
        "FOR EACH ROW EXECUTE FUNCTION evidence_append_only()"
    )


def m007_case_letters(conn: Any) -> None:
    for column in ("account", "org_email", "letter_language"):
        conn.execute(f"ALTER TABLE cases ADD COLUMN {column} {_T}")
    conn.execute("DELETE FROM meta WHERE key = 'case_doc_shape'")


def m008_outbox_leases(conn: Any) -> None:
    conn.execute(f"ALTER TABLE deliveries ADD COLUMN lease_owner {_T}")
    conn.execute("ALTER TABLE deliveries ADD COLUMN lease_until DOUBLE PRECISION")


def m009_listing_index(conn: Any) -> None:
    """Nothing here: SQLite's m009 puts the listing's columns in one index, but a PostgreSQL
    btree entry holds at most about 2,700 bytes, and a long title would then be refused.
    Numbered all the same, so both backends count the same versions."""


def m010_delivery_counts(conn: Any) -> None:
    """Nothing here: SQLite's m010 keeps the outbox's counts per status in a table its triggers
    update. Here several daemons change rows' status at once, and each change would wait on
    the same few counter rows (and two transactions that changed them in opposite orders
    would deadlock), so ``reminder status`` counts the rows. Numbered all the same."""


def m011_retrying_index(conn: Any) -> None:
    """As SQLite's m011: the rows waiting for a retry, in a partial index of their own."""
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS deliveries_retrying ON deliveries (status, updated_at) WHERE {RETRYING}"
    )


def m012_delivery_planned(conn: Any) -> None:
    """As SQLite's m012: when each outbox row's day was last planned (NULL for the rows already there)."""
    conn.execute("ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS planned_ts DOUBLE PRECISION")


def m013_open_case_lookalikes(conn: Any) -> None:
    """As SQLite's m013, keyed by the texts' MD5: a btree entry holds at most about 2,700 bytes
    (see m009), and a long organisation, reference or title must never make a case refused.
    The lookup compares the texts themselves too (store.open_lookalike)."""
    conn.execute(
        "CREATE INDEX IF NOT EXISTS cases_open_by_reference ON cases (md5(organisation), md5(reference))"
        " WHERE status = 'open' AND reference IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS cases_open_by_title ON cases (md5(organisation), md5(title), submitted)"
        " WHERE status = 'open'"
    )


def m014_folded_lookalikes(conn: Any) -> None:
    """As SQLite's m014: the folded texts in their own columns, m013's indexes over their MD5."""
    from ..case_keys import FOLDED_COLUMNS
    from . import fold_cases

    for column in FOLDED_COLUMNS:
        conn.execute(f"ALTER TABLE cases ADD COLUMN IF NOT EXISTS {column} {_T}")
    fold_cases(conn)
    conn.execute("DROP INDEX IF EXISTS cases_open_by_reference")
    conn.execute("DROP INDEX IF EXISTS cases_open_by_title")
    conn.execute(
        "CREATE INDEX cases_open_by_reference ON cases (md5(organisation_folded), md5(reference_folded))"
        " WHERE status = 'open' AND reference_folded IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX cases_open_by_title ON cases (md5(organisation_folded), md5(title_folded), submitted)"
        " WHERE status = 'open'"
    )


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


# --- the backend ---------------------------------------------------------------------------------------


def refusal(exc: BaseException) -> str | None:
    """The SQLSTATE of a refusal that waiting will not fix (:data:`REFUSED_STATES`), or None: a
    server that is down, unreachable, starting up or full of connections answers None."""
    state = getattr(exc, "sqlstate", None)
    if state in REFUSED_STATES:
        return str(state)
    if not isinstance(exc, psycopg.OperationalError):
        return None
    if getattr(getattr(exc, "pgconn", None), "needs_password", False):
        return "28P01"  # the server asked for a password and libpq had none to give
    text = str(exc)
    return next((state for state, pattern in _REFUSALS if pattern.search(text)), None)


class PostgresBackend:
    """A PostgreSQL database named by a URL; the password comes from ``password`` or libpq's own
    places (``PGPASSWORD``, ``~/.pgpass``), never from a message."""

    name = "postgresql"
    begin = "BEGIN"  # row locks and constraints do what BEGIN IMMEDIATE does for SQLite
    # READ COMMITTED, the default, takes a new snapshot per statement; this one keeps the first.
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    unindexed = ""
    keyed = "md5({})"  # a text column as its index keys it: its MD5 (see m013)
    for_update = " FOR UPDATE"  # a row lock where SQLite's transaction holds the whole database
    for_share = " FOR SHARE"  # the rows' writers wait; a row changed meanwhile is read as they left it
    status_counts = "SELECT status, COUNT(*) FROM deliveries GROUP BY status"  # no kept counts: see m010
    migrations = MIGRATIONS

    def __init__(self, url: str, password: str | None = None) -> None:
        self.url = url
        self.location = redact_url(url)
        self._password = password

    def raw_connect(self) -> psycopg.Connection[Any]:
        """A new connection; StoreRefused when the server refuses it for good (:func:`refusal`)."""
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S}
        if self._password is not None:
            kwargs["password"] = self._password
        name = connection_name()  # a daemon's own (presence.py); a command's, what the URL says
        kwargs["application_name" if name else "fallback_application_name"] = name or "reminder"
        try:
            conn = psycopg.connect(self.url, **kwargs)
            conn.execute("SET TIME ZONE 'UTC'")
        except psycopg.Error as exc:
            raise self.wrap(exc, _("cannot connect: ")) from None
        return conn

    def connect(self, *, any_thread: bool = False) -> PgConnection:
        return PgConnection(self)

    def error(self, exc: BaseException, doing: str = "") -> StoreError | None:
        """The StoreError for a driver error; None for anything else."""
        return self.wrap(exc, doing) if isinstance(exc, psycopg.Error) else None

    def describe(self, exc: BaseException | str) -> str:
        """The driver's error on one line (libpq's run over several, a log line must not), with
        neither the password nor the URL that holds one: libpq quotes a URL it cannot parse.

        The password is hidden where it stands as one (``password=…``, a URL's ``user:…@``:
        :func:`redact_url`), and a password that could not be a word or a number of the message
        wherever it is. One that could ("the", "data", "password", "5432": letters only, or digits
        only) is left elsewhere: hidden there too, it took the message's own words with it ("FATAL:
        *** authentication failed"), and libpq never says the password it was given but as a
        conninfo or URL would.
        """
        text = " ".join((str(exc).strip() or type(exc).__name__).split())
        text = text.replace(self.url, self.location)
        password = self._password
        if password and not (password.isalpha() or password.isdigit()):
            text = text.replace(password, "***")
        return redact_url(text)

    def wrap(self, exc: BaseException, doing: str = "") -> StoreError:
        """The StoreError for a driver error: a StoreConflict for a deadlock or a serialization
        failure (:data:`CONFLICT_STATES`; ``doing`` left out: what happened says it all), a
        StoreRefused for a refusal (:func:`refusal`), at connecting or later (a statement on a
        table this role has no rights on)."""
        state = getattr(exc, "sqlstate", None)
        if state in CONFLICT_STATES:
            # The server's first line alone ("deadlock detected"): its DETAIL names server processes
            # and transaction numbers, and its CONTEXT the row; the server's log has them.
            diag = getattr(exc, "diag", None)
            primary = getattr(diag, "message_primary", None) or str(exc).strip().split("\n")[0]
            detail = self.describe(primary)
            return StoreConflict(
                _(
                    "%(path)s: another process was changing the same cases at the same moment (%(error)s);"
                    " nothing was written: run the command again",
                    path=self.location,
                    error=detail,
                ),
                sqlstate=str(state),
                detail=detail,
            )
        text = self.describe(exc)
        if isinstance(exc, psycopg.OperationalError) and not doing:
            doing = _("the database connection failed: ")
        message = _("%(path)s: %(doing)s%(error)s", path=self.location, doing=doing, error=text)
        state = refusal(exc)
        if state is not None:
            no_password = bool(getattr(getattr(exc, "pgconn", None), "needs_password", False))
            return StoreRefused(message, sqlstate=state, detail=text, no_password=no_password)
        return StoreError(message)

    def is_constraint_violation(self, exc: BaseException | None) -> bool:
        """Whether ``exc`` is a uniqueness (or other constraint) violation, such as an id already
        taken; a deadlock or serialization failure is a StoreConflict (errors.py), not this."""
        return isinstance(exc, psycopg.errors.IntegrityError)

    def opened(self) -> None:
        """Nothing to remember: a server cannot be replaced under an open connection the way a file can."""

    def lost(self) -> str | None:
        return None

    @contextlib.contextmanager
    def checkpoints_aside(self, conn: Any, **_: Any) -> Iterator[None]:
        yield  # the server checkpoints on its own

    def schema_version(self, conn: Any) -> int:
        row = conn.execute("SELECT to_regclass('reminder_schema') IS NOT NULL").fetchone()
        if not row[0]:
            return 0
        found = conn.execute("SELECT version FROM reminder_schema").fetchone()
        return 0 if found is None else int(found[0])

    def set_schema_version(self, conn: Any, version: int) -> None:
        conn.execute("UPDATE reminder_schema SET version = ?", (version,))

    def lock_for_migration(self, conn: Any) -> None:
        """Hold the migration lock until this transaction ends; create the version table under it."""
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS reminder_schema (version INTEGER NOT NULL)")
        if conn.execute("SELECT count(*) FROM reminder_schema").fetchone()[0] == 0:
            conn.execute("INSERT INTO reminder_schema (version) VALUES (0)")

    def checkpoint(self, conn: Any) -> None:
        """Nothing to do: the server folds its log back on its own."""

    def ids_follow(self, conn: Any, table: str, column: str) -> None:
        """After rows were inserted with their ids (a copy), new rows' ids continue after them."""
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
            f" coalesce(max({column}), 0) + 1, false) FROM {table}"
        )
