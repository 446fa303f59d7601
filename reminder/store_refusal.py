"""What a shared store's refusal means to the daemon, and how long it waits after one.

A server that cannot be reached, or is restarting, comes back: the daemon waits for it. One that
answers and refuses — the login (a wrong password, no such role, pg_hba.conf), the database (none
of that name) or a right (42501: no CONNECT on the database, no rights on its tables) — does not
change its mind by itself (``errors.StoreRefused``); nor does a database whose schema a newer
reminder upgraded (``errors.NewerSchema``, on SQLite too). Before it has ever connected, then, the
daemon does not wait: a refusal is a config error, one line naming the config file and
``store.url`` (without its password; on SQLite ``store.path``), what is wrong and what to do,
exit 2 (:func:`refusal_error`; the unit's ``RestartPreventExitStatus=2`` leaves it failed, for the
operator to see). Once it has connected, a refusal is taken for an operator at work (a password or
a grant being changed): the daemon keeps trying, from ``first`` seconds apart doubling to
:data:`REFUSED_RETRY_MAX_SECONDS` (:func:`refusal_delay`). Not a newer schema, though: waiting
cannot give a running daemon new code, so it stops for its service to restart it (daemon_stop.py),
and a restarted daemon that is still the old code meets the refusal at start, exit 2.

A command meets the same refusal when it opens the configured store. A login refused with the
configured credentials (a wrong password, none where the server asks for one, no such role) or a
database the URL names that the server does not have is the config's doing too
(:func:`refused_by_config`): the command exits 2 with the daemon's line but for why the daemon
stops (``refusal_error(..., daemon=False)``). A right the server denies (an operator's grant to
make) and a newer schema stay a failed operation for a command, exit 1.

Pure: the daemon does the connecting and the logging (daemon_store.py) and the exiting (daemon_stop.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError, NewerSchema, StoreRefused

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import Settings

__all__ = [
    "CONFIG_REFUSALS",
    "REFUSED_RETRY_MAX_SECONDS",
    "hinted",
    "no_password_hint",
    "refusal_delay",
    "refusal_error",
    "refused_by_config",
]

# A shared store that refuses a daemon that had connected before is tried again after the
# daemon's usual retry interval, then twice as long each time, up to this.
REFUSED_RETRY_MAX_SECONDS = 300.0

# The refusals the config's [store] answers for: the login (28P01: the password; 28000: the role,
# pg_hba.conf or another method) and the database its URL names (3D000: none of that name).
CONFIG_REFUSALS = frozenset({"28P01", "28000", "3D000"})


def refused_by_config(exc: StoreRefused) -> bool:
    """Whether the configured ``[store]`` is what the server refused (:data:`CONFIG_REFUSALS`, or
    no password where it asks for one), not a right or the schema."""
    return not isinstance(exc, NewerSchema) and (exc.no_password or exc.sqlstate in CONFIG_REFUSALS)


def refusal_delay(refusals: int, first: float) -> float:
    """Seconds to wait after the ``refusals``-th refusal in a row (1, 2, …): ``first``, doubling."""
    return float(min(first * 2 ** (refusals - 1), REFUSED_RETRY_MAX_SECONDS))


def hinted(exc: StoreRefused, hint: str) -> StoreRefused:
    """The same refusal, its message followed by ``hint``: what to do."""
    from .i18n import joined_clauses

    message = joined_clauses([str(exc), hint], semicolons=True)
    return StoreRefused(message, sqlstate=exc.sqlstate, detail=exc.detail, no_password=exc.no_password)


def no_password_hint() -> str:
    """What to do when the server asked ``[store]``'s database for a password and none was given."""
    from .i18n import _

    return _(
        "the server asks for a password and was given none: set [store] password_file or password_env, "
        "or use PGPASSWORD or ~/.pgpass"
    )


def refusal_error(settings: Settings, exc: StoreRefused, *, daemon: bool = True) -> ConfigError:
    """A refusal as the config error it is: one line naming the config file, ``store.url``
    without its password (or ``store.path``), what is wrong and what to do; ``daemon``: and that
    the daemon stops for it (a command says the rest of the line alone)."""
    from .backends import redact_url
    from .i18n import _
    from .paths import ENV_PREFIX
    from .validation_text import at

    url = settings.store.url
    where = redact_url(url) if url is not None else str(Path(settings.store.path).expanduser())
    if isinstance(exc, NewerSchema):
        text = _(
            "%(url)s: the database has schema version %(version)s, newer than this reminder knows "
            "(%(known)s): a newer reminder upgraded it; upgrade reminder here too, then start the "
            "daemon again; waiting will not fix this, so the daemon stops",
            url=where,
            version=exc.version,
            known=exc.known,
        )
    else:
        if exc.no_password:
            problem = no_password_hint()
        elif exc.sqlstate == "28P01":
            problem = _("the server refused the login: the password is wrong or missing")
        elif exc.sqlstate == "3D000":
            problem = _("the server has no database of that name")
        elif exc.sqlstate == "42501":
            problem = _(
                "the server denied this role a right it needs: grant it CONNECT on the database "
                "and the rights on reminder's tables (or use the role that owns them)"
            )
        else:
            problem = _("the server refused the login")
        if daemon:
            text = _(
                "%(url)s: %(problem)s (%(error)s); waiting will not fix this, so the daemon stops",
                url=where,
                problem=problem,
                error=exc.detail,
            )
        else:
            text = _("%(url)s: %(problem)s (%(error)s)", url=where, problem=problem, error=exc.detail)
    key = "store.url" if url is not None else "store.path"
    variable = f"{ENV_PREFIX}{key.upper().replace('.', '__')}"
    if variable in os.environ:  # the environment wins over the file, so the value came from there
        text = _("%(problem)s (from $%(variable)s)", problem=text, variable=variable)
    source = settings.source
    return ConfigError(at(str(source) if source else _("embedded defaults"), at(key, text)))
