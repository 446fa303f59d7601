"""The ``reminder`` command line: thin commands over ``api.py``.

Each command parses its options, calls one library function and renders the
result (people-first text, or ``--json`` for scripts). Errors become one line
on stderr — ``{"error": …}`` with ``--json`` — and an exit status: 0 success,
1 an operation that failed, 2 bad input or configuration. Heavy modules are
imported inside the commands so that ``reminder --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .errors import ReminderError

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

_JSON_META = "reminder.json"


# --- shared options and output -------------------------------------------------------------------


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_JSON_META] = True
    return value


def json_option(f: F) -> F:
    """``--json``: machine-readable output (and errors as ``{"error": …}`` on stderr)."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        callback=_remember_json,
        expose_value=True,
        is_eager=True,
        help="Print JSON for scripts instead of text.",
    )(f)


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(obj: object) -> None:
    click.echo(json.dumps(obj, default=_json_default, ensure_ascii=False, indent=2))


class IsoDate(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 date (2026-03-01) on the command line."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-01", param, ctx)


ISO_DATE = IsoDate()


def settings_from(ctx: click.Context) -> Settings:
    """The settings for this invocation, loaded once (``--config`` or the usual search path)."""
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if "settings" not in obj:
        from .config import load_settings

        obj["settings"] = load_settings(obj.get("config_path"))
    settings: Settings = obj["settings"]
    return settings


# --- error handling ------------------------------------------------------------------------------


def _fail(message: str, code: int, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"error": message}, ensure_ascii=False), err=True)
    else:
        click.echo(f"Error: {message}", err=True)
    sys.exit(code)


class ReminderGroup(click.Group):
    """A click group that turns every expected error into one line and an exit status."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv
        try:
            return super().main(args=argv, prog_name=prog_name, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            _fail("aborted", 1, as_json)
        except click.ClickException as exc:
            # Usage errors get a pointer to --help, still on one line.
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            _fail(exc.format_message() + hint, exc.exit_code, as_json)
        except ReminderError as exc:
            _fail(str(exc), exc.exit_code, as_json)
        except KeyboardInterrupt:
            _fail("interrupted", 130, as_json)


@click.group(cls=ReminderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="REMINDER_CONFIG",
    help="Config file to read (default: $REMINDER_CONFIG, then the user config directory).",
)
@click.version_option(package_name="reminder")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Track submissions to organisations and remind you when their review is due.

    Record a case once (what you filed, with whom, when); reminder works out the
    review window in the business days of the right country and reminds you when
    it opens, before the deadline, at it, and after it until you close the case.

    \b
    Example:
      reminder window --country BH --submitted 2026-03-01 --explain
    """
    ctx.ensure_object(dict)["config_path"] = config_path


def main() -> None:
    cli.main(prog_name="reminder")


# --- commands are added below, one section per area ------------------------------------------------
