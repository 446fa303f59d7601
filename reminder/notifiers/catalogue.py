"""What each built-in notifier says about itself before it is imported: where its class lives,
its one-line summary, and whether this machine could run it at all.

``reminder notifiers`` lists every type; importing the notifier modules to ask them would
import pydantic (their options are pydantic models) and smtplib, and cost that command most
of its time. So what the listing needs lives here, in plain functions and constants, and the
classes take theirs from here too (``summary = EMAIL_SUMMARY``, ``environment()`` calls
``desktop_environment``): one answer, whichever way it is asked. The log notifier, the
default, is also described here as it stands with no ``[notifiers]`` table.
"""

from __future__ import annotations

import os

from .. import delivery_errors as said
from ..i18n import N_, _
from ..paths import as_path, default_store_file, parent

TYPE_CHECKING = False  # not typing's: this module is on `reminder notifiers`' start-up path
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "APPRISE_INSTALL_HINT",
    "APPRISE_SUMMARY",
    "BUILTIN_NOTIFIERS",
    "COMMAND_SUMMARY",
    "DESKTOP_SUMMARY",
    "EMAIL_SUMMARY",
    "LOG_DEFAULT_LEVEL",
    "LOG_SUMMARY",
    "apprise_environment",
    "builtin_environment",
    "builtin_summary",
    "default_log_file",
    "default_log_settings",
    "desktop_environment",
    "log_file_availability",
]

# name → "module:Class", imported only when used (so start-up never pays for smtplib or D-Bus).
BUILTIN_NOTIFIERS: dict[str, str] = {
    "log": "reminder.notifiers.log:LogNotifier",
    "email": "reminder.notifiers.email:EmailNotifier",
    "desktop": "reminder.notifiers.desktop:DesktopNotifier",
    "apprise": "reminder.notifiers.apprise:AppriseNotifier",
    "command": "reminder.notifiers.command:CommandNotifier",
}

LOG_SUMMARY = N_("a line on stderr and a JSON line in a file (the default)")
EMAIL_SUMMARY = N_("e-mail over SMTP (STARTTLS, TLS or a loopback relay)")
DESKTOP_SUMMARY = N_("desktop notifications over D-Bus (org.freedesktop.Notifications)")
APPRISE_SUMMARY = N_("any apprise URL: ntfy, Telegram, Matrix, Slack, … (needs reminder[apprise])")
COMMAND_SUMMARY = N_("runs your program with the reminder as JSON on stdin")

_SUMMARIES = {
    "log": LOG_SUMMARY,
    "email": EMAIL_SUMMARY,
    "desktop": DESKTOP_SUMMARY,
    "apprise": APPRISE_SUMMARY,
    "command": COMMAND_SUMMARY,
}

APPRISE_INSTALL_HINT = said.APPRISE_NOT_INSTALLED
# The log notifier's `level` unless its table sets one.
LOG_DEFAULT_LEVEL = "INFO"


def builtin_summary(name: str) -> str:
    """A built-in's ``summary`` (marked for translation, not translated)."""
    return _SUMMARIES[name]


def apprise_environment() -> tuple[bool, str]:
    """Whether apprise is installed: found, not imported (importing it costs ~40 ms, and a
    configured instance's availability() builds its URLs, so imports it, anyway)."""
    from importlib.util import find_spec

    if find_spec("apprise") is None:
        return False, _(APPRISE_INSTALL_HINT)
    return True, ""


def desktop_environment() -> tuple[bool, str]:
    """Whether desktop notifications can be shown here, waiting the default ``timeout``."""
    from .session_bus import DEFAULT_TIMEOUT, check

    return check(DEFAULT_TIMEOUT)


def _anywhere() -> tuple[bool, str]:
    return True, ""


_ENVIRONMENTS: dict[str, Callable[[], tuple[bool, str]]] = {
    "desktop": desktop_environment,
    "apprise": apprise_environment,
}


def builtin_environment(name: str) -> tuple[bool, str]:
    """A built-in's ``environment()``: whether this machine could run it (before any options)."""
    return _ENVIRONMENTS.get(name, _anywhere)()


def default_log_file() -> Path:
    """``<user data dir>/reminders.log``, beside the database's default (paths.py finds that
    directory as platformdirs does, without importing it in the common case)."""
    return as_path(default_log_text())


def default_log_text() -> str:
    """:func:`default_log_file` as text: ``reminder notifiers`` names it without pathlib (~5 ms)."""
    return os.path.join(parent(default_store_file()), "reminders.log")


def log_file_availability(path: str | os.PathLike[str]) -> tuple[bool, str]:
    """Whether the log notifier can write ``path`` (or create it), and if not, why."""
    path = os.fspath(path)
    directory = parent(path)
    while not os.path.exists(directory) and directory != parent(directory):
        directory = parent(directory)
    target = path if os.path.exists(path) else directory
    if not os.access(target, os.W_OK):
        return False, _("%(path)s is not writable", path=target)
    return True, ""


def default_log_settings(path: str | os.PathLike[str]) -> dict[str, object]:
    """``describe()`` of the log notifier built with no table (``LogOptions()``) writing ``path``.

    The options' defaults as ``model_dump`` gives them (the common options first), without
    building the model; a test compares the two.
    """
    return {
        "name": "log",
        "type": "log",
        "enabled": True,
        "kinds": None,
        "language": None,
        "path": os.fspath(path),
        "level": LOG_DEFAULT_LEVEL,
    }
