"""The exceptions reminder raises on purpose.

Everything the user can cause derives from one root, so the CLI can turn any of
them into a one-line message and an exit status (2 for bad input or config,
1 for an operation that failed)::

    ReminderError
    ├── ConfigError          the config file or the environment is wrong   → exit 2
    ├── InputError           a bad value on the command line or via the API → exit 2
    │   ├── UnknownCountry   names the closest valid codes
    │   └── NotFound         an unknown case id, evidence entry, …
    ├── StoreError           the database could not be read or written      → exit 1
    │   ├── AlreadyRunning   a second daemon on the same data directory     → exit 1
    │   ├── DatabaseLocked   another connection kept the write lock too long → exit 1
    │   ├── StoreLost        the open database file was deleted or replaced → exit 1
    │   ├── StoreConflict    the server aborted a transaction as a deadlock or serialization failure
    │   │                    with another one (PostgreSQL): nothing of it was written → exit 1
    │   └── StoreRefused     the server refused the login or a right, or has no such database → exit 1
    │       │                (the daemon, which waits out a server that is down, exits 2; so does a
    │       │                command for the login or the database of [store], cli/common.py)
    │       └── NewerSchema  the database's schema is newer than this reminder knows → exit 1 (daemon: 2)
    └── DeliveryError        a notifier could not deliver                   → exit 1

Library code raises these; only the command line (``cli/group.py``) maps them to exit codes.
"""

from __future__ import annotations

__all__ = [
    "ALREADY_RUNNING",
    "DATABASE_LOCKED",
    "AlreadyRunning",
    "ConfigError",
    "DatabaseLocked",
    "DeliveryError",
    "InputError",
    "NewerSchema",
    "NotFound",
    "ReminderError",
    "StoreConflict",
    "StoreError",
    "StoreLost",
    "StoreRefused",
    "UnknownCountry",
]


def N_(msgid: str) -> str:
    return msgid  # marked for translation (as i18n.N_); errors.py imports nothing of reminder


# The messages of the errors that build their own; the raiser passes them translated
# (``AlreadyRunning(pid, _(ALREADY_RUNNING, pid=pid))``), as every message is.
ALREADY_RUNNING = N_("a reminder daemon is already running (pid %(pid)s)")
DATABASE_LOCKED = N_(
    "%(path)s: the database is locked: another process has held its write lock for over "
    "%(seconds)s s (another reminder command, the daemon, or a sqlite3 shell left inside a "
    "transaction); try again in a moment, see 'reminder status' for the daemon, and end any "
    "open sqlite3 transaction (COMMIT or ROLLBACK)"
)


class ReminderError(Exception):
    """Root of every error reminder raises for the user to read."""

    exit_code = 1


class ConfigError(ReminderError):
    """The configuration is invalid; the message names the file, the key and the problem."""

    exit_code = 2


class InputError(ReminderError):
    """A value given on the command line or through the API is invalid."""

    exit_code = 2


class UnknownCountry(InputError):
    """An unknown country or subdivision code."""


class NotFound(InputError):
    """A case, evidence entry or other record that does not exist."""


class StoreError(ReminderError):
    """The database could not be opened, migrated, read or written."""


class AlreadyRunning(StoreError):
    """Another daemon holds the lock on this data directory."""

    def __init__(self, pid: int | None, message: str | None = None, *, by_copy: bool = False) -> None:
        self.pid = pid
        self.by_copy = by_copy  # held by `reminder db copy` (pidlock.COPY_MARK), not by a daemon
        super().__init__(message or ALREADY_RUNNING % {"pid": pid if pid is not None else "?"})


class DatabaseLocked(StoreError):
    """Another connection held the database's write lock past the busy timeout."""

    def __init__(self, path: object, waited: float, message: str | None = None) -> None:
        self.path = path
        super().__init__(message or DATABASE_LOCKED % {"path": path, "seconds": f"{waited:g}"})


class StoreLost(StoreError):
    """The database file an open store reads was deleted, moved or replaced (``Store.lost``)."""


class StoreConflict(StoreError):
    """The server aborted a transaction for what another one did at the same moment: a deadlock
    (SQLSTATE 40P01) or a serialization failure (40001). The transaction was rolled back whole, and
    the server is fine: run again, it most likely goes through (``Store.atomically`` does so for the
    transactions that write only to the database). ``sqlstate`` says which; ``detail`` is the
    server's words ("deadlock detected")."""

    def __init__(self, message: str, *, sqlstate: str, detail: str) -> None:
        self.sqlstate = sqlstate
        self.detail = detail
        super().__init__(message)


class StoreRefused(StoreError):
    """The database answered, and refused: the login (SQLSTATE 28P01, 28000), the database (3D000,
    none of that name) or a right this role lacks (42501: no CONNECT on the database, none on its
    tables). Unlike a server that is down, waiting does not fix it; an operator must.

    ``sqlstate`` says which (None: :class:`NewerSchema`); ``detail`` is the driver's words on one
    line, without the password; ``no_password``: the server asked for a password and none was
    given (libpq's "no password supplied"), which ``store_refusal.hinted`` says how to give.
    """

    def __init__(self, message: str, *, sqlstate: str | None, detail: str, no_password: bool = False) -> None:
        self.sqlstate = sqlstate
        self.detail = detail
        self.no_password = no_password
        super().__init__(message)


class NewerSchema(StoreRefused):
    """The database (SQLite's or PostgreSQL's) has a schema version newer than this reminder knows:
    a newer reminder upgraded it. Only upgrading this one fixes that."""

    def __init__(self, message: str, *, version: int, known: int) -> None:
        self.version = version
        self.known = known
        super().__init__(message, sqlstate=None, detail=message)


class DeliveryError(ReminderError):
    """A notifier failed to deliver a message."""

    def __init__(self, message: str, *, notifier: str | None = None, case_id: str | None = None) -> None:
        self.notifier = notifier
        self.case_id = case_id
        super().__init__(message)
