"""The store's backends: SQLite (one file, the default) and PostgreSQL (a shared server).

``store.Store`` talks to either through a :class:`Backend`, and its callers (store.py,
case_store.py, outbox.py, outbox_leases.py, evidence.py, listing.py) write their SQL once,
in the dialect both accept: ``?`` placeholders, ``ON CONFLICT … DO UPDATE``, ``CAST(… AS
DOUBLE PRECISION)``. What differs lives in one module per backend:

- ``sqlite.py`` — the file and its mode, the PRAGMAs, ``BEGIN IMMEDIATE``,
  ``PRAGMA user_version``, the migrations' DDL, WAL checkpoints, a file replaced under us;
- ``postgres.py`` — psycopg (imported only there, only for a ``postgresql://`` URL), the
  ``?`` → ``%s`` adapter, a schema-version table and an advisory lock around migrating,
  the migrations' DDL (identity columns, PL/pgSQL triggers, ``COLLATE "C"`` text),
  reconnecting after a lost connection, and attachments stored in the database.

This module imports neither driver: ``reminder --help`` never loads psycopg. The seam itself,
the :class:`Backend`, ``Connection`` and ``Cursor`` protocols, is in ``seam.py``, which only
mypy reads: typing, which protocols need, costs every command ~2 ms to import.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: every command imports this module
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "POSTGRES_SCHEMES",
    "RETRYING",
    "PasswordFileError",
    "connection_name",
    "fold_cases",
    "is_postgres_url",
    "name_connections",
    "read_password_file",
    "redact_url",
    "store_key_error",
    "store_password",
]

POSTGRES_SCHEMES = ("postgresql", "postgres")

# The outbox's rows waiting for a retry: planned again after a failed send, which keeps the
# failure's error (outbox_leases.record_failure; a cancelled row planned again drops its reason). Its
# own partial index on either backend (their m011), which ``reminder status`` reads.
RETRYING = "status = 'planned' AND last_error IS NOT NULL"

# What this process's PostgreSQL connections are called on the server (``application_name``, in
# pg_stat_activity): None, a command's, leaves it to the URL or PGAPPNAME, else "reminder"; a daemon
# names its own (presence.py), so that ``reminder status`` on any machine can tell which daemons
# the database has connected. Set once, early, by the daemon: a process is a daemon or not.
_connection_name: str | None = None


def name_connections(name: str | None) -> None:
    """Call every PostgreSQL connection this process opens from now on ``name``."""
    global _connection_name
    _connection_name = name


def connection_name() -> str | None:
    """The name :func:`name_connections` set, or None."""
    return _connection_name


def fold_cases(conn: Any) -> int:
    """Write the folded texts of every case that has none yet (both backends' m014: the cases
    added before it); how many. All of them, the closed too: a case reopened is compared again."""
    from ..case_keys import FOLDED_COLUMNS, folded

    rows = conn.execute(
        "SELECT id, organisation, reference, title FROM cases WHERE title_folded IS NULL"
    ).fetchall()
    sets = ", ".join(f"{column} = ?" for column in FOLDED_COLUMNS)
    conn.executemany(
        f"UPDATE cases SET {sets} WHERE id = ?",
        [(*folded(org, ref, title), id_) for id_, org, ref, title in rows],
    )
    return len(rows)


def is_postgres_url(text: str | None) -> bool:
    """Whether ``text`` names a PostgreSQL database by URL (``postgresql://…``). Read from the
    scheme alone, never by parsing the rest: a malformed URL ("[::1" unclosed) is still one,
    and its problem is said by the settings' check, not raised from here."""
    if not text:
        return False
    scheme, sep, _rest = str(text).strip().partition(":")
    return bool(sep) and scheme.lower() in POSTGRES_SCHEMES


def redact_url(url: str) -> str:
    """``url`` as messages may show it: the password of ``user:password@`` becomes ``***``, and
    so does the value of any ``password=`` (a query parameter, or libpq's ``key=value`` form).

    Done on the text, not by parsing it: a URL that does not parse is shown in an error too.
    Where it cannot tell, it hides more (a ``:`` before the last ``@``), never less."""
    import re  # here: only a message about a store URL needs it

    text = re.sub(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&#]*)", r"\1***", url)
    head, sep, rest = text.partition("://")
    at = rest.rfind("@")
    if sep and at != -1 and ":" in rest[:at]:
        user = rest[:at].split(":", 1)[0]
        text = f"{head}{sep}{user}:***{rest[at:]}"
    return text


class PasswordFileError(ValueError):
    """A password file that gives no password; the message says why, after the key that names
    the file (``cannot read …: …``, ``… is empty``), and never anything of its content."""


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The password in the file at ``path``: its text without the line break that ends it.

    The file must be a regular file that no other user can open (mode 0600 or less, as libpq asks
    of ``~/.pgpass``), UTF-8 and not empty; else :class:`PasswordFileError` says which.
    """
    import stat

    from ..i18n import _

    try:
        # Not blocking: a FIFO (or a device) named by mistake would hang the command at open.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise PasswordFileError(
            _("cannot read %(path)s: %(why)s", path=path, why=exc.strerror or exc)
        ) from None
    try:
        mode = os.fstat(fd).st_mode  # of the file opened, even if the path is replaced meanwhile
        if not stat.S_ISREG(mode):
            raise PasswordFileError(_("%(path)s is not a regular file", path=path))
        if mode & 0o077:
            octal = format(stat.S_IMODE(mode), "04o")
            raise PasswordFileError(
                _(
                    "%(path)s is open to other users (mode %(mode)s): chmod 600 %(path)s",
                    path=path,
                    mode=octal,
                )
            )
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError as exc:
        raise PasswordFileError(
            _("cannot read %(path)s: %(why)s", path=path, why=exc.strerror or exc)
        ) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        value = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:  # its message would quote a byte of the password
        raise PasswordFileError(
            _("cannot read %(path)s: %(why)s", path=path, why=_("not UTF-8 text"))
        ) from None
    if not value:
        raise PasswordFileError(_("%(path)s is empty", path=path))
    return value


def store_password(
    password_env: str | None, password_file: str | os.PathLike[str] | None, *, origin: str | None
) -> str | None:
    """The database password ``[store] password_env`` or ``password_file`` names; None leaves it
    to libpq (``PGPASSWORD``, ``~/.pgpass``, or none). ``origin`` is the config file the settings
    came from (None: the embedded defaults). Raises ConfigError, one line naming the file, the key,
    its value and what is wrong (and the variable, when the key was set in the environment).

    Here, not on the settings model, so that settings restored without pydantic read it the same way.
    """
    from ..i18n import _

    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            why = _("the password variable $%(name)s is not set", name=password_env)
            raise store_key_error(origin, "password_env", why)
        if not value:  # as an empty password_file is: never sent as an empty password
            why = _("the password variable $%(name)s is empty", name=password_env)
            raise store_key_error(origin, "password_env", why)
        return value
    if password_file:
        try:
            return read_password_file(password_file)
        except PasswordFileError as exc:
            raise store_key_error(origin, "password_file", str(exc)) from None
    return None


def store_key_error(origin: str | None, key: str, problem: str) -> Exception:
    """``problem`` with ``[store] key`` as a ConfigError: ``config.toml: store.password_file: …``
    (``origin``: the config file; None, the embedded defaults), saying so when the environment set
    the key (``(from $REMINDER_STORE__PASSWORD_FILE)``)."""
    from ..errors import ConfigError
    from ..i18n import _
    from ..paths import ENV_PREFIX
    from ..validation_text import at

    variable = f"{ENV_PREFIX}STORE__{key.upper()}"
    if variable in os.environ:  # the environment wins over the file, so the value came from there
        problem = _("%(problem)s (from $%(variable)s)", problem=problem, variable=variable)
    return ConfigError(at(origin or _("embedded defaults"), at(f"store.{key}", problem)))
