"""What a shared store's refusal means to the daemon, and how long it waits after one.

A server that cannot be reached, or is restarting, comes back: the daemon waits for it. One that
answers and refuses — the login (a wrong password, no such role, pg_hba.conf) or the database
(none of that name) — does not change its mind by itself (``errors.StoreRefused``). Before it has
ever connected, then, the daemon does not wait: a refusal is a config error, one line naming the
config file and ``store.url`` (without its password), exit 2 (:func:`refusal_error`; the unit's
``RestartPreventExitStatus=2`` leaves it failed, for the operator to see). Once it has connected,
a refusal is taken for a password being changed on the server: the daemon keeps trying, from
``first`` seconds apart doubling to :data:`REFUSED_RETRY_MAX_SECONDS` (:func:`refusal_delay`).

Pure: the daemon (daemon.py) does the connecting, the logging and the exiting.
"""

from __future__ import annotations

import os

from .errors import ConfigError, StoreRefused

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import Settings

__all__ = ["REFUSED_RETRY_MAX_SECONDS", "refusal_delay", "refusal_error"]

# A shared store that refuses a daemon that had connected before is tried again after the
# daemon's usual retry interval, then twice as long each time, up to this.
REFUSED_RETRY_MAX_SECONDS = 300.0


def refusal_delay(refusals: int, first: float) -> float:
    """Seconds to wait after the ``refusals``-th refusal in a row (1, 2, …): ``first``, doubling."""
    return float(min(first * 2 ** (refusals - 1), REFUSED_RETRY_MAX_SECONDS))


def refusal_error(settings: Settings, exc: StoreRefused) -> ConfigError:
    """A refusal as the config error it is: one line naming the config file, ``store.url``
    without its password, and what is wrong."""
    from .backends import redact_url
    from .i18n import _
    from .paths import ENV_PREFIX
    from .validation_text import at

    if exc.sqlstate == "28P01":
        problem = _("the server refused the login: the password is wrong or missing")
    elif exc.sqlstate == "3D000":
        problem = _("the server has no database of that name")
    else:
        problem = _("the server refused the login")
    text = _(
        "%(url)s: %(problem)s (%(error)s); waiting will not fix this, so the daemon stops",
        url=redact_url(settings.store.url or ""),
        problem=problem,
        error=exc.detail,
    )
    variable = f"{ENV_PREFIX}STORE__URL"
    if variable in os.environ:  # the environment wins over the file, so the URL came from there
        text = _("%(problem)s (from $%(variable)s)", problem=text, variable=variable)
    source = settings.source
    return ConfigError(at(str(source) if source else _("embedded defaults"), at("store.url", text)))
