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


# --- calendar and review window (issue #3: `window`, `countries`) ----------------------------------

if TYPE_CHECKING:
    from .models import ReviewWindow


def _window_summary(w: ReviewWindow) -> list[str]:
    unit = "business day" if w.unit == "business" else "day"
    sub = f"-{w.subdivision}" if w.subdivision else ""
    lines = [
        f"{w.country}{sub} · submitted {w.submitted:%a %Y-%m-%d} · review {w.min_days}–{w.max_days} {unit}s",
        f"Opens {w.opens:%a %Y-%m-%d} ({unit} {w.min_days}) · "
        f"Deadline {w.deadline:%a %Y-%m-%d} ({unit} {w.max_days})",
    ]
    if w.tentative:
        because = "; ".join(f"{t.date:%a %Y-%m-%d} {t.name}" for t in w.tentative_because)
        lines.append(f"Tentative: the count crosses dates not yet official — {because}")
    lines += [f"Warning: {text}" for text in w.warnings]
    if w.overrides:
        lines.append(f"Official closures added to holidays {w.holidays_version}:")
        lines += [f"  {text}" for text in w.overrides]
    return lines


def _window_table(w: ReviewWindow) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, show_edge=False, pad_edge=False)
    for name, justify in (("Date", "left"), ("Day", "left"), ("Business", "center"), ("Count", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("Why", overflow="fold")
    milestones = {w.opens: "opens", w.deadline: "deadline"}
    for d in w.days:
        why = d.reason or ""
        if d.tentative:
            why = f"{why} (tentative)"
        mark = milestones.get(d.date)
        if mark and d.count is not None:
            why = f"{why} ← {mark}".strip()
        table.add_row(
            d.date.isoformat(),
            f"{d.date:%a}",
            "yes" if d.business else "no",
            "" if d.count is None else str(d.count),
            why,
        )
    Console(soft_wrap=False).print(table)


@cli.command("window")
@click.option("--country", help="ISO 3166 country code, e.g. BH (default: [defaults] country in the config).")
@click.option("--subdivision", help="State, province or nation within the country, e.g. BY for Bavaria.")
@click.option("--submitted", type=ISO_DATE, required=True, help="Day you submitted (day 0, never counted).")
@click.option("--min-days", type=click.IntRange(min=0), help="The window opens on this day (default 7).")
@click.option("--max-days", type=click.IntRange(min=0), help="The deadline falls on this day (default 15).")
@click.option("--unit", type=click.Choice(["business", "calendar"]), help="Count business or calendar days.")
@click.option(
    "--closure",
    "closures",
    multiple=True,
    metavar="DATE[..DATE][=LABEL]",
    help="A day or range on which the office is shut (repeatable), on top of the config's closures.",
)
@click.option("--explain", is_flag=True, help="List every day up to the deadline and why it counted or not.")
@json_option
@click.pass_context
def window_command(
    ctx: click.Context,
    country: str | None,
    subdivision: str | None,
    submitted: date,
    min_days: int | None,
    max_days: int | None,
    unit: str | None,
    closures: tuple[str, ...],
    explain: bool,
    as_json: bool,
) -> None:
    """Work out when a review opens and when its deadline falls.

    Counts business days after the submission day in the country's calendar:
    its weekend, public holidays, make-up working days, official closures
    and your closures. A window that crosses a holiday whose date is only
    estimated (a lunar holiday not yet announced) is marked tentative.

    \b
    Example:
      reminder window --country BH --submitted 2026-03-01
      reminder window --country CN --submitted 2026-09-15 --explain
      reminder window --country DE --subdivision BY --submitted 2026-05-06 --json
    """
    from .calendar import parse_closure
    from .window import compute_window, window_to_dict

    settings = settings_from(ctx)
    d = settings.defaults
    if country is None:
        country, subdivision = d.country, subdivision if subdivision is not None else d.subdivision
    extra = tuple(parse_closure(text) for text in closures)
    w = compute_window(
        submitted,
        country=country,
        subdivision=subdivision,
        min_days=d.min_days if min_days is None else min_days,
        max_days=d.max_days if max_days is None else max_days,
        unit="calendar" if (unit or d.unit) == "calendar" else "business",
        closures=settings.closure_list() + extra,
        explain=explain,
    )
    if as_json:
        echo_json(window_to_dict(w))
        return
    for line in _window_summary(w):
        click.echo(line)
    if explain:
        click.echo()
        _window_table(w)


@cli.command("countries")
@click.argument("codes", nargs=-1, metavar="[COUNTRY]...")
@json_option
def countries_command(codes: tuple[str, ...], as_json: bool) -> None:
    """List the countries reminder can count business days for.

    Each with its name, weekend and subdivisions (for --subdivision). Name
    one or more codes to see only those, with their subdivisions' names.

    \b
    Example:
      reminder countries
      reminder countries BH DE --json
    """
    from .calendar import get_calendar, list_countries

    infos = list_countries()
    if codes:
        wanted = {get_calendar(code).country for code in codes}
        infos = [i for i in infos if i.code in wanted]
    if as_json:
        echo_json(
            [
                {
                    "code": i.code,
                    "name": i.name,
                    "weekend": list(i.weekend),
                    "subdivisions": dict(i.subdivisions),
                }
                for i in infos
            ]
        )
        return
    for i in infos:
        weekend = "–".join(day[:3] for day in i.weekend) or "none"
        line = f"{i.code}  {i.name}  (weekend {weekend})"
        if i.subdivisions and codes:
            click.echo(line)
            for code, name in i.subdivisions.items():
                click.echo(f"    {code:<6} {name}" if name != code else f"    {code}")
        else:
            subs = f"  subdivisions: {', '.join(i.subdivisions)}" if i.subdivisions else ""
            click.echo(line + subs)


# --- notifiers (issue #5: `notifiers`, `notify test`) ----------------------------------------------


def _notifier_warnings(ctx: click.Context) -> None:
    """Print notifier warnings (a secret readable by others, …) as one line each on stderr.

    Failed deliveries are left out: the command reports those itself.
    """
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    handler.addFilter(lambda record: not getattr(record, "delivery_failure", False))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("reminder")
    logger.addHandler(handler)
    ctx.call_on_close(lambda: logger.removeHandler(handler))


def _notifier_sources(ctx: click.Context) -> tuple[dict[str, dict[str, Any]], Path | None, Path | None]:
    _notifier_warnings(ctx)
    settings = settings_from(ctx)
    return settings.notifiers, settings.source, settings.daemon.log_file


@cli.command("notifiers")
@json_option
@click.pass_context
def notifiers_command(ctx: click.Context, as_json: bool) -> None:
    """List every notifier (built-in and plugin): configured, enabled, available, and why not.

    A notifier is configured by a [notifiers.<name>] table in the config file;
    with none at all, reminders go to the log notifier. Plugins come from other
    installed packages (entry-point group "reminder.notifiers").

    \b
    Example:
      reminder notifiers
      reminder notifiers --json | jq '.[] | select(.available | not)'
    """
    from .notifiers.check import list_notifiers

    tables, config_file, log_file = _notifier_sources(ctx)
    rows = list_notifiers(tables, config_file=config_file, log_file=log_file)
    if as_json:
        echo_json([row.to_dict() for row in rows])
        return
    width = max(len(r.name) for r in rows)
    for row in rows:
        if row.configured:
            state = "enabled" if row.enabled else "disabled"
        elif row.name == "log" and row.enabled:
            state = "default"
        else:
            state = "not configured"
        ready = "available" if row.available else "unavailable"
        line = f"{row.name:<{width}}  {row.type:<8} {state:<15} {ready:<12}"
        if row.reason:
            line += f" {row.reason}"
        elif not row.configured and row.summary:
            line += f" {row.summary}"
        if row.source != "built-in":
            line += f" [plugin: {row.source}]"
        click.echo(line.rstrip())


@cli.group("notify")
def notify_group() -> None:
    """Check that reminders reach you.

    \b
    Example:
      reminder notify test
    """


@notify_group.command("test")
@click.option("--notifier", "name", metavar="NAME", help="Test only this notifier (a table name or a type).")
@json_option
@click.pass_context
def notify_test_command(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Send a test message through each configured notifier and report OK or the exact problem.

    Problems are named: DNS, connection, timeout, TLS (certificate), authentication,
    recipient refused, no D-Bus session bus. Exit status 1 if any notifier failed,
    2 for an unknown notifier name or a broken config.

    \b
    Example:
      reminder notify test
      reminder notify test --notifier email --json
    """
    from datetime import UTC

    from .notifiers.check import test_notifiers

    tables, config_file, log_file = _notifier_sources(ctx)
    outcomes = test_notifiers(
        tables, now=datetime.now(UTC), only=name, config_file=config_file, log_file=log_file
    )
    if as_json:
        echo_json([o.to_dict() for o in outcomes])
    else:
        width = max((len(o.name) for o in outcomes), default=0)
        for o in outcomes:
            status = "OK" if o.ok else f"FAILED ({o.problem})" if o.problem else "FAILED"
            click.echo(f"{o.name:<{width}}  {status:<20} {o.detail}".rstrip())
        if not outcomes:
            click.echo("No notifier is enabled: every [notifiers.*] table has enabled = false.")
    if not outcomes or not all(o.ok for o in outcomes):
        sys.exit(1)
