"""The environment of the programs reminder starts: reminder's own, minus its secrets.

A notifier names the variable holding its secret (``password_env = "SMTP_PASSWORD"``) so
the secret stays out of the config file. Those variables are in reminder's environment,
and a child process inherits the environment unless told otherwise: the user's command
notifier, a ``systemctl`` — anything reminder starts could read the SMTP password from
its own ``/proc/PID/environ``. :func:`child_environ` is the environment every child gets
instead: ``os.environ`` without

- every variable that any configured notifier names as a secret — any key ending in
  ``_env`` whose value is a variable name (``password_env``, a plugin's ``token_env``),
  enabled or not, from every ``[notifiers.*]`` table loaded in this process
  (:func:`note_secret_env`, which loading the config and building notifiers call);
- every ``REMINDER_NOTIFIERS__*`` variable: a notifier's settings given through the
  environment (apprise URLs carry tokens) are the notifiers' business, not the child's.

The names are remembered for the life of the process and only ever added to: a config
reload that drops a notifier does not make its old secret safe to hand out.
"""

from __future__ import annotations

import _thread
import os
from collections.abc import Iterable, Mapping

__all__ = ["child_environ", "note_secret_env", "noted_secret_env", "secret_env_names"]

NOTIFIER_SETTINGS_PREFIX = "REMINDER_NOTIFIERS__"
SECRET_KEY_SUFFIX = "_env"

_secret_names: set[str] = set()
# _thread's lock is threading.Lock itself; threading's import costs every command ~1 ms.
_lock = _thread.allocate_lock()


def secret_env_names(tables: Mapping[str, object]) -> frozenset[str]:
    """The variables that ``[notifiers.*]`` tables name as holding a secret (keys ``*_env``)."""
    names: set[str] = set()
    for table in tables.values():
        if not isinstance(table, Mapping):
            continue
        for key, value in table.items():
            if str(key).endswith(SECRET_KEY_SUFFIX) and isinstance(value, str) and value:
                names.add(value)
    return frozenset(names)


def note_secret_env(names: Iterable[str]) -> None:
    """Remember ``names`` as secrets no child process may inherit."""
    with _lock:
        _secret_names.update(names)


def noted_secret_env() -> frozenset[str]:
    """The names :func:`note_secret_env` was given so far in this process."""
    with _lock:
        return frozenset(_secret_names)


def child_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: ours without any secret, then ``extra`` on top.

    ``extra`` is what the caller hands the child on purpose (the command notifier's
    ``env`` table), so it is added last even if it reuses a secret's name.
    """
    with _lock:
        secret = set(_secret_names)
    # A REMINDER_NOTIFIERS__X__PASSWORD_ENV override names a secret too, even before any
    # config was loaded in this process.
    for name, value in os.environ.items():
        if name.startswith(NOTIFIER_SETTINGS_PREFIX) and name.lower().endswith(SECRET_KEY_SUFFIX):
            secret.add(value)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in secret and not name.startswith(NOTIFIER_SETTINGS_PREFIX)
    }
    if extra:
        env.update(extra)
    return env
