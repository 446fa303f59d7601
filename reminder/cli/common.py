"""What the commands share: options, parameter types, settings and the store of one invocation, errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date, datetime

from .. import cmdline
from ..errors import InputError
from ..i18n import _
from ..terminal import escape_controls as _t
from ..terminal import writes_utf8

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, NoReturn, TypeVar

    from ..config import Settings
    from ..errors import ReminderError, StoreError
    from ..store import Store

    F = TypeVar("F", bound=Callable[..., Any])  # a command's function, decorated


__all__ = [
    "FUTURE_OPTION",
    "ISO_DATE",
    "PROGRAM",
    "SUBMITTED",
    "SUBMITTED_HELP",
    "IsoDate",
    "MomentType",
    "config_arg",
    "echo_json",
    "fail",
    "json_option",
    "load_settings_for",
    "open_configured_store",
    "pad",
    "refusal_for_command",
    "settings_from",
    "store_for",
    "tell_daemon_of_migration",
    "use_holiday_cache",
    "utc_now",
]

# --- shared options and output -------------------------------------------------------------------


def json_option(f: F) -> F:
    """``--json``: machine-readable output (and errors as ``{"error": …}`` on stderr)."""
    return cmdline.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print JSON for scripts instead of text.",
    )(f)


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(obj: object) -> None:
    import json  # here, not at the top: every import counts against `reminder --help`

    # Where stdout is not UTF-8, \u escapes: the JSON a script reads is then the same data.
    ascii_only = not writes_utf8(sys.stdout)
    cmdline.echo(json.dumps(obj, default=_json_default, ensure_ascii=ascii_only, indent=2))


class IsoDate(cmdline.ParamType):
    """A date on the command line: 2026-03-01, 2026-3-1 or 2026/3/1."""

    name = "DATE"

    def convert(self, value: Any, param: cmdline.Parameter | None, ctx: cmdline.Context | None) -> date:
        if isinstance(value, date):
            return value
        from ..dates import parse_date

        try:
            return parse_date(str(value))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


ISO_DATE = IsoDate()


def settings_from(ctx: cmdline.Context, *, model: bool = False) -> Settings:
    """The settings for this invocation, loaded once (``--config`` or the usual search path).

    Validated once per config and environment (settings_cache.py); ``model``: the pydantic
    model itself, for what reads more of it than its fields (``config check``).
    """
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if "settings" not in obj or (model and obj.get("restored")):
        obj["settings"] = load_settings_for(
            obj.get("config_path"), cached=not model and bool(obj.get(PROGRAM))
        )
        obj["restored"] = not model and type(obj["settings"]).__name__ == "RestoredSettings"
    settings: Settings = obj["settings"]
    return settings


def load_settings_for(path: Path | None, *, cached: bool = False) -> Settings:
    """Load the settings and speak their language from now on ([defaults] language, else the locale)."""
    from ..i18n import set_language

    if cached:
        from ..settings_cache import cached_settings

        settings = cached_settings(path)
    else:
        from ..config import load_settings

        settings = load_settings(path)
    set_language(settings.defaults.language)
    return settings


def use_holiday_cache(ctx: cmdline.Context) -> None:
    """For a command that computes windows: keep the holiday data between commands (holiday_cache.py)."""
    if ctx.find_root().ensure_object(dict).get(PROGRAM):
        from ..holiday_cache import install

        install()


# --- error handling ------------------------------------------------------------------------------


def fail(message: str, code: int, as_json: bool) -> NoReturn:
    if as_json:
        import json

        cmdline.echo(json.dumps({"error": message}, ensure_ascii=False), err=True)
    else:
        # The message may quote what the user typed, or a file name: shown, never obeyed.
        cmdline.echo(_("Error: %(message)s", message=_t(message)), err=True)
    sys.exit(code)


# In ctx.obj when the process is the command itself (main), not a caller of cli in its own process
# (a test's CliRunner): only then are validated settings and holiday data kept under
# $XDG_CACHE_HOME/reminder and read back, so nothing a caller patches in its process outlives it.
PROGRAM = "reminder.program"


class MomentType(cmdline.ParamType):
    """A date with an optional time and UTC offset, as ``dates.parse_moment`` reads it; the
    command places it in the case's time zone once the case is known."""

    name = "DATE[THH:MM]"

    def __init__(self, noun: str = "a date") -> None:
        self.noun = noun

    def convert(self, value: Any, param: cmdline.Parameter | None, ctx: cmdline.Context | None) -> Any:
        from ..dates import Moment, parse_moment

        if isinstance(value, Moment):
            return value
        try:
            return parse_moment(str(value), noun=self.noun)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


SUBMITTED = MomentType()
SUBMITTED_HELP = (
    "When you submitted (day 0, never counted): 2026-03-01, 2026-3-1, 2026/3/1, today or yesterday, "
    "optionally with a time (2026-03-01T14:30). Without an offset it is the case's local time; with "
    "one (T14:30+05:00) it is converted to the case's time zone."
)
FUTURE_OPTION = cmdline.option(
    "--future", is_flag=True, help="Accept a submission date after today (in the case's time zone)."
)


def utc_now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


def config_arg(ctx: cmdline.Context) -> Path | None:
    path: Path | None = ctx.find_root().ensure_object(dict).get("config_path")
    return path


def open_configured_store(settings: Settings, *, migrate: bool = True) -> Store:
    """The store ``[store]`` names (``store.open_store``); a login or database the server refuses
    is the config error it is (:func:`refusal_for_command`)."""
    from ..errors import StoreRefused
    from ..store import open_store

    try:
        return open_store(settings, migrate=migrate)
    except StoreRefused as exc:
        raise refusal_for_command(settings, exc) from None


def refusal_for_command(settings: Settings, exc: StoreError) -> ReminderError:
    """What a command says of ``exc``, met opening the configured store: a login refused with the
    configured credentials, or no database of the URL's name, is a config error (exit 2) in the
    daemon's words, naming the config file and store.url (store_refusal.py); the rest as it is."""
    from ..errors import StoreRefused

    if isinstance(exc, StoreRefused):
        from ..store_refusal import refusal_error, refused_by_config

        if refused_by_config(exc):
            return refusal_error(settings, exc, daemon=False)
    return exc


def store_for(ctx: cmdline.Context, path: str | None = None) -> Store:
    """The store for this invocation, closed when the command ends."""
    from ..store import Store

    store = Store(path) if path is not None else open_configured_store(settings_from(ctx))
    baseline = store.conn.total_changes

    def close() -> None:
        changed = store.conn.total_changes != baseline
        if changed and store.dialect != "sqlite":
            # A shared store's daemons, on every machine, hear of it through NOTIFY (the pid
            # lock's SIGUSR1 finds only a SQLite daemon): each rewrites its calendar file then,
            # for a case renamed or closed too, which plans no outbox row (no NOTIFY of its own).
            _notify_daemons(store)
        store.close()
        if changed or store.migrated:
            # After the commit, so the daemon re-reads what this command wrote (within 2 s,
            # not at its next minute-long wake-up), or, from an older reminder, finds the
            # schema this one migrated to and stops for its restart. No daemon: nothing to do.
            from ..pidlock import poke

            poke(store.data_dir)

    ctx.call_on_close(close)
    return store


def _notify_daemons(store: Store) -> None:
    """NOTIFY a shared store's daemons, after the command's commits; a wake-up is only a hint, so
    a connection lost meanwhile costs the command nothing (they look within a minute anyway)."""
    import contextlib

    from ..errors import StoreError
    from ..wakeups import notify

    with contextlib.suppress(StoreError):
        notify(store)


def tell_daemon_of_migration(store: Store) -> None:
    """Poke the running daemon if opening ``store`` migrated it: a daemon of the reminder before
    the upgrade then finds the newer schema at once and stops for its restart, instead of running
    on with its old code until its next wake-up. (Commands that change rows poke it anyway.)"""
    if store.migrated:
        from ..pidlock import poke

        poke(store.data_dir)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns: a Chinese character takes two."""
    from unicodedata import east_asian_width

    used = sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)
