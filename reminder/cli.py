"""The ``reminder`` command line: thin commands over ``api.py``.

Each command parses its options, calls one library function and renders the
result (people-first text, or ``--json`` for scripts). Errors become one line
on stderr — ``{"error": …}`` with ``--json`` — and an exit status: 0 success,
1 an operation that failed, 2 bad input or configuration. Heavy modules are
imported inside the commands so that ``reminder --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .cli_help import TranslatedHelp, install_click_translations
from .cli_labels import (
    case_kind,
    case_status,
    days_left_text,
    delivery_problem,
    evidence_kind,
    reminder_kind,
    reminder_status,
)
from .errors import InputError, ReminderError
from .i18n import _, format_date, ngettext, pgettext
from .shipped import localised
from .terminal import escape_controls as _t

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
    import json  # here, not at the top: every import counts against `reminder --help`

    click.echo(json.dumps(obj, default=_json_default, ensure_ascii=False, indent=2))


class IsoDate(click.ParamType):  # type: ignore[type-arg]
    """A date on the command line: 2026-03-01, 2026-3-1 or 2026/3/1."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        from .dates import parse_date

        try:
            return parse_date(str(value))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


ISO_DATE = IsoDate()


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A ``click.Choice`` whose choices load when first needed: ``lambda: models.EVIDENCE_KINDS``
    keeps ``reminder --help`` from importing modules only one command needs."""

    def __init__(self, load: Callable[[], Sequence[str]], case_sensitive: bool = True) -> None:
        self._load = load
        self._choices: tuple[str, ...] | None = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(self._load())
        return self._choices

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        self._choices = tuple(value)


def _evidence_kinds() -> Sequence[str]:
    from .models import EVIDENCE_KINDS

    return EVIDENCE_KINDS


def settings_from(ctx: click.Context, *, model: bool = False) -> Settings:
    """The settings for this invocation, loaded once (``--config`` or the usual search path).

    Validated once per config and environment (settings_cache.py); ``model``: the pydantic
    model itself, for what reads more of it than its fields (``config check``).
    """
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if "settings" not in obj or (model and obj.get("restored")):
        obj["settings"] = _load_settings(obj.get("config_path"), cached=not model and bool(obj.get(_PROGRAM)))
        obj["restored"] = not model and type(obj["settings"]).__name__ == "RestoredSettings"
    settings: Settings = obj["settings"]
    return settings


def _load_settings(path: Path | None, *, cached: bool = False) -> Settings:
    """Load the settings and speak their language from now on ([defaults] language, else the locale)."""
    from .i18n import set_language

    if cached:
        from .settings_cache import cached_settings

        settings = cached_settings(path)
    else:
        from .config import load_settings

        settings = load_settings(path)
    set_language(settings.defaults.language)
    return settings


def _use_holiday_cache(ctx: click.Context) -> None:
    """For a command that computes windows: keep the holiday data between commands (holiday_cache.py)."""
    if ctx.find_root().ensure_object(dict).get(_PROGRAM):
        from .holiday_cache import install

        install()


# --- error handling ------------------------------------------------------------------------------


def _fail(message: str, code: int, as_json: bool) -> NoReturn:
    if as_json:
        import json

        click.echo(json.dumps({"error": message}, ensure_ascii=False), err=True)
    else:
        # The message may quote what the user typed, or a file name: shown, never obeyed.
        click.echo(_("Error: %(message)s", message=_t(message)), err=True)
    sys.exit(code)


def _not_utf8(argv: Sequence[str]) -> str | None:
    """The error for the first argument that is not valid UTF-8, or None.

    Python hands such bytes over as lone surrogates (U+DC80–U+DCFF, "surrogateescape"),
    which no database, file or terminal can take as text.
    """
    for i, arg in enumerate(argv):
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            before = argv[i - 1] if i else ""
            if before.startswith("-") and "=" not in before:
                where = _("the value of %(option)s", option=before)
            else:
                where = _("argument %(n)d", n=i + 1)
            return _(
                "'%(shown)s' (%(where)s) is not valid UTF-8; reminder takes text and file names in UTF-8",
                shown=shown,
                where=where,
            )
    return None


def _config_in(argv: Sequence[str]) -> Path | None:
    """The group's ``--config`` value in ``argv`` (before the command's name), if given."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--config="):
            return Path(arg.partition("=")[2])
        if not arg.startswith("-"):
            break
    return None


class ReminderGroup(TranslatedHelp, click.Group):
    """A click group that turns every expected error into one line and an exit status, and
    whose commands' help and click's own messages speak the user's language."""

    command_class = TranslatedHelp
    group_class = type  # subgroups are ReminderGroups too

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv
        # Until the settings load (a command loads them, then speaks [defaults] language): the
        # language of the config read as plain TOML, for --help, usage errors and a broken config.
        from .i18n import set_language
        from .paths import language_before_settings

        if set_language(language_before_settings(_config_in(argv))) != "en":
            install_click_translations()
        bad = _not_utf8(argv)
        if bad is not None:
            # Refused before anything runs: such a title would fail half-way into the database.
            _fail(bad, 2, as_json)
        try:
            return super().main(args=argv, prog_name=prog_name, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            # `reminder` (or `reminder evidence`) alone asks what there is: the help, not an error.
            click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
            sys.exit(0)
        except click.exceptions.Abort:
            _fail(_("aborted"), 1, as_json)
        except click.ClickException as exc:
            # Usage errors get a pointer to --help, still on one line.
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = _(" (see '%(command)s --help')", command=exc.ctx.command_path)
            _fail(exc.format_message() + hint, exc.exit_code, as_json)
        except ReminderError as exc:
            _fail(str(exc), exc.exit_code, as_json)
        except KeyboardInterrupt:
            _fail(_("interrupted"), 130, as_json)


@click.group(cls=ReminderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
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


# In ctx.obj when the process is the command itself (main), not a caller of cli in its own process
# (a test's CliRunner): only then are validated settings and holiday data kept under
# $XDG_CACHE_HOME/reminder and read back, so nothing a caller patches in its process outlives it.
_PROGRAM = "reminder.program"


def main() -> None:
    from .i18n import keep_in_cache
    from .paths import user_cache_dir

    keep_in_cache(user_cache_dir())
    cli.main(prog_name="reminder", obj={_PROGRAM: True})


# --- commands are added below, one section per area ------------------------------------------------


# --- calendar and review window (issue #3: `window`, `countries`) ----------------------------------

if TYPE_CHECKING:
    from .models import ReviewWindow


def _window_summary(w: ReviewWindow) -> list[str]:
    place = w.country + (f"-{w.subdivision}" if w.subdivision else "")
    # Whole sentences per unit, not "day" + "s": a translation words each its own way.
    numbers = {"place": place, "min": w.min_days, "max": w.max_days}
    days = {"submitted": format_date(w.submitted), "opens": format_date(w.opens)}
    days["deadline"] = format_date(w.deadline)
    if w.unit == "business":
        lines = [
            _(
                "%(place)s · submitted %(submitted)s · review %(min)d–%(max)d business days",
                **numbers,
                **days,
            ),
            _(
                "Opens %(opens)s (business day %(min)d) · Deadline %(deadline)s (business day %(max)d)",
                **numbers,
                **days,
            ),
        ]
    else:
        lines = [
            _("%(place)s · submitted %(submitted)s · review %(min)d–%(max)d days", **numbers, **days),
            _("Opens %(opens)s (day %(min)d) · Deadline %(deadline)s (day %(max)d)", **numbers, **days),
        ]
    from .explain import override_text, tentative_name, warning_text  # the core's English, worded

    if w.tentative:
        because = "; ".join(f"{format_date(t.date)} {tentative_name(w, t)}" for t in w.tentative_because)
        lines.append(_("Tentative: the count crosses dates not yet official — %(dates)s", dates=because))
    lines += [_("Warning: %(text)s", text=warning_text(text, w.country)) for text in w.warnings]
    if w.overrides:
        lines.append(_("Official closures added to holidays %(version)s:", version=w.holidays_version))
        lines += [f"  {override_text(text)}" for text in w.overrides]
    return lines


def _window_table(w: ReviewWindow) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=None, show_edge=False, pad_edge=False)
    columns = (
        (pgettext("column", "Date"), "left"),
        (pgettext("column", "Day"), "left"),
        (pgettext("column", "Business"), "center"),
        (pgettext("column", "Count"), "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column(pgettext("column", "Why"), overflow="fold")
    from .explain import day_why  # the day's reason, "tentative" and the milestones, in the user's language

    for d in w.days:
        table.add_row(
            d.date.isoformat(),
            format_date(d.date, style="weekday"),
            pgettext("business day", "yes") if d.business else pgettext("business day", "no"),
            "" if d.count is None else str(d.count),
            Text(_t(day_why(w, d))),  # a closure's label is the user's: no markup, no control characters
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
    _use_holiday_cache(ctx)
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
        click.echo(_t(line))  # closure labels are the user's
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
    from .labels import country_name

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
        weekend = "–".join(_weekday_short(day) for day in i.weekend) or pgettext("weekend", "none")
        name = country_name(i.code, i.name)
        line = _("%(code)s  %(name)s  (weekend %(weekend)s)", code=i.code, name=name, weekend=weekend)
        if i.subdivisions and codes:
            click.echo(line)
            for code, name in i.subdivisions.items():
                click.echo(f"    {code:<6} {name}" if name != code else f"    {code}")
        else:
            subs = _("  subdivisions: %(codes)s", codes=", ".join(i.subdivisions)) if i.subdivisions else ""
            click.echo(line + subs)


# --- daemon, status and the systemd service (issue #4: `daemon`, `status`, `service`) ------------------


def _weekday_short(name: str) -> str:
    """A weekday's English name ("Friday") shortened as the language does ("Fri", "周五")."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    if name not in days:
        return name[:3]
    return format_date(date(2024, 1, 1 + days.index(name)), style="weekday")  # 2024-01-01 is a Monday


def _setup_logging(verbose: int) -> None:
    import logging

    from .logs import setup_daemon_logging

    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose == 1 else logging.WARNING
    setup_daemon_logging(level, apscheduler_level=logging.DEBUG if verbose > 1 else logging.WARNING)


@cli.command("daemon")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron and tests).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@json_option
@click.pass_context
def daemon_command(ctx: click.Context, once: bool, verbose: int, as_json: bool) -> None:
    """Run the reminder daemon in the foreground (systemd runs it this way).

    It sends each reminder when it falls due, through every configured notifier,
    and sleeps in between. Signals: SIGTERM/SIGINT stop it within 10 s (the send
    in flight finishes, or goes again at the next start); SIGHUP reloads the
    config file and re-plans every case. Only one daemon runs per data directory.

    \b
    Example:
      reminder daemon            # until stopped; `reminder service install` runs it under systemd
      reminder daemon --once     # send what is due now and exit (cron)
    """
    from .daemon import Daemon

    _setup_logging(max(verbose, 0 if once else 1))
    config_path = ctx.find_root().ensure_object(dict).get("config_path")
    daemon = Daemon(lambda: _load_settings(config_path))
    log_file, source = daemon.settings.daemon.log_file, daemon.settings.source
    if log_file is not None:
        from .logs import add_log_file

        log_file = log_file.expanduser()
        if not log_file.is_absolute() and source is not None:
            log_file = source.parent / log_file  # as notifiers' paths: relative to the config file
        add_log_file(log_file, key=f"{source}: daemon.log_file" if source else "daemon.log_file")
    if once:
        report = daemon.run_once()
        if as_json:
            echo_json(
                {
                    "sent": report.sent,
                    "retried": report.retried,
                    "failed": report.failed,
                    "superseded": report.superseded,
                }
            )
        else:
            click.echo(
                _(
                    "%(sent)d sent, %(retried)d to retry, %(failed)d failed, "
                    "%(superseded)d folded into catch-up messages",
                    sent=report.sent,
                    retried=report.retried,
                    failed=report.failed,
                    superseded=report.superseded,
                )
            )
        if report.failed:
            sys.exit(1)
        return
    daemon.serve()


@cli.command("status")
@json_option
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """Show whether the daemon runs, the next reminder due, and reminders by status.

    \b
    Example:
      reminder status
      reminder status --json | jq .next_due
    """
    from . import api
    from .store import open_store

    settings = settings_from(ctx)
    with open_store(settings.store) as store:
        info = api.reminder_status(store, store.path.parent)
    if as_json:
        echo_json(info)
        return
    if info["running"]:
        click.echo(_("daemon:    running (pid %(pid)s)", pid=info["pid"]))
    else:
        click.echo(_("daemon:    not running"))
    nxt = info["next"]
    if isinstance(nxt, dict):
        at = datetime.fromisoformat(str(nxt["at"]))
        click.echo(
            _(
                "next due:  %(at)s %(timezone)s — %(kind)s for %(case)s (%(title)s) by %(notifier)s",
                at=format_date(at, style="datetime"),
                timezone=nxt["timezone"],
                kind=reminder_kind(str(nxt["kind"])),
                case=nxt["case"],
                title=_t(str(nxt["title"])),
                notifier=nxt["notifier"],
            )
        )
        if nxt.get("status") == "sending":
            click.echo(
                _("           being sent by the daemon")
                if info["running"]
                else _("           left sending when a daemon stopped: it goes again when the daemon starts")
            )
        elif not info["running"] and at <= _now():
            click.echo(_("           already due, and no daemon runs: 'reminder service install'"))
    else:
        click.echo(_("next due:  nothing planned"))
    counts = info["counts"]
    assert isinstance(counts, dict)
    shown = ", ".join(
        _("%(n)d %(status)s", n=n, status=reminder_status(status)) for status, n in counts.items()
    )
    click.echo(_("reminders: %(counts)s", counts=shown))
    if counts.get("failed"):
        click.echo(_("Some reminders failed for good; see `reminder show ID` and `reminder notify test`."))


@cli.group("service")
@click.pass_context
def service_group(ctx: click.Context) -> None:
    """Install, remove or inspect the systemd user service that runs the daemon.

    \b
    Example:
      reminder service install     # writes ~/.config/systemd/user/reminder.service and starts it
      reminder service status
    """
    # Loaded for the secrets its notifiers name, which the systemctl these commands run must
    # not inherit (childenv.py); a broken config does not stop `service uninstall`.
    import contextlib

    with contextlib.suppress(ReminderError):
        settings_from(ctx)


def _service_output(st: object, as_json: bool, done: str) -> None:
    from dataclasses import asdict

    data = asdict(st)  # type: ignore[call-overload]
    if as_json:
        echo_json(data)
        return
    click.echo(done % {"path": data["unit_path"]})
    if data.get("config_path"):
        click.echo(_("config: %(path)s", path=data["config_path"]))
    if data["systemd"]:
        click.echo(
            _("active: %(active)s   enabled: %(enabled)s", active=data["active"], enabled=data["enabled"])
        )
    elif data["commands"]:
        click.echo(_("No systemd user manager answers here; run these where it does:"))
        for cmd in data["commands"]:
            click.echo(f"  {cmd}")
    for note in data.get("notes", []):
        click.echo(_("Note: %(note)s", note=note))


@service_group.command("install")
@click.option("--no-start", is_flag=True, help="Only write the unit file; do not enable or start it.")
@json_option
@click.pass_context
def service_install(ctx: click.Context, no_start: bool, as_json: bool) -> None:
    """Write the user unit (ExecStart = this reminder), enable it and start it.

    \b
    Example:
      reminder service install
      reminder --config ~/work-reminder.toml service install
    """
    from . import systemd

    # The config in use, however it was found (--config, $REMINDER_CONFIG, the user's): the
    # service sees neither the flag nor the variable.
    settings = settings_from(ctx)
    st = systemd.install(settings.source, start=not no_start, notifier_tables=settings.notifiers)
    _service_output(st, as_json, _("unit written: %(path)s"))
    if st.errors:
        _fail("; ".join(st.errors), 1, as_json)
    if not no_start and not st.systemd:
        _fail(
            _(
                "the unit is written, but no systemd user manager answers here to enable and start it "
                "(run the commands above where one does, or pass --no-start to only write it)"
            ),
            1,
            as_json,
        )


@service_group.command("uninstall")
@json_option
def service_uninstall(as_json: bool) -> None:
    """Stop and disable the service and remove its unit file.

    \b
    Example:
      reminder service uninstall
    """
    from . import systemd

    _service_output(systemd.uninstall(), as_json, _("unit removed: %(path)s"))


@service_group.command("status")
@json_option
def service_status(as_json: bool) -> None:
    """Whether the unit is installed, enabled and active.

    \b
    Example:
      reminder service status --json
    """
    from . import systemd

    st = systemd.status()
    _service_output(st, as_json, _("unit: %(path)s") if st.installed else _("unit: %(path)s (not installed)"))


# --- cases, checklists and the config file (issue #7: add, list, show, edit, close, reopen, delete,
# --- check, config) ---------------------------------------------------------------------------------

if TYPE_CHECKING:
    from .api import CaseView
    from .dates import Moment
    from .store import Store


class MomentType(click.ParamType):  # type: ignore[type-arg]
    """A date with an optional time and UTC offset, as ``dates.parse_moment`` reads it; the
    command places it in the case's time zone once the case is known."""

    name = "DATE[THH:MM]"

    def __init__(self, noun: str = "a date") -> None:
        self.noun = noun

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from .dates import Moment, parse_moment

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
FUTURE_OPTION = click.option(
    "--future", is_flag=True, help="Accept a submission date after today (in the case's time zone)."
)


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


def _config_arg(ctx: click.Context) -> Path | None:
    path: Path | None = ctx.find_root().ensure_object(dict).get("config_path")
    return path


def _open_store(ctx: click.Context, path: Path | None = None) -> Store:
    """The store for this invocation, closed when the command ends."""
    from .store import Store, open_store

    store = Store(path) if path is not None else open_store(settings_from(ctx).store)
    baseline = store.conn.total_changes

    def close() -> None:
        changed = store.conn.total_changes != baseline
        store.close()
        if changed:
            # After the commit, so the daemon re-reads what this command wrote (within 2 s,
            # not at its next minute-long wake-up). No daemon running: nothing to do.
            from .pidlock import poke

            poke(store.path.parent)

    ctx.call_on_close(close)
    return store


def _case_json(view: CaseView) -> dict[str, Any]:
    from .export import case_to_dict

    data = case_to_dict(view.case, view.window, today=view.today)
    if view.warning:
        data["warning"] = view.warning
    if view.reminders is not None:
        data["reminders"] = [dict(r) for r in view.reminders]
        if view.case.preset:
            data["preset_steps"] = view.preset_steps
    if view.evidence_count is not None:
        from .evidence import entry_to_dict

        data["evidence"] = {"count": view.evidence_count, "latest": [entry_to_dict(e) for e in view.evidence]}
    return data


def _print_case(view: CaseView, *, explain: bool = False) -> None:
    # Each line is one message (label and value), so a translation aligns its own labels.
    # Every field the user typed goes through _t: its control characters are shown, not obeyed.
    c, w = view.case, view.window
    click.echo(_("%(id)s  %(title)s  [%(status)s]", id=c.id, title=_t(c.title), status=case_status(c.status)))
    click.echo(_("  organisation: %(value)s", value=_t(c.organisation)))
    kind = _t(case_kind(c.kind))
    if c.filed:
        click.echo(_("  kind:         %(kind)s — %(filed)s", kind=kind, filed=_t(c.filed)))
    else:
        click.echo(_("  kind:         %(kind)s", kind=kind))
    if c.reference:
        click.echo(_("  reference:    %(value)s", value=_t(c.reference)))
    if c.channels:
        from .labels import channels as channel_names

        channels = channel_names(c.channels)
        click.echo(_("  channels:     %(value)s", value=_t(channels)))
    if c.account:
        click.echo(_("  account:      %(value)s", value=_t(c.account)))
    if c.org_email:
        click.echo(_("  org e-mail:   %(value)s", value=_t(c.org_email)))
    if c.letter_language or c.account or c.org_email:
        from .regulators import country_language

        if c.letter_language:
            click.echo(_("  letters in:   %(value)s", value=_t(c.letter_language)))
        else:
            click.echo(
                _(
                    "  letters in:   %(lang)s (the default for %(country)s)",
                    lang=country_language(c.country),
                    country=c.country,
                )
            )
    place = c.country + (f"-{c.subdivision}" if c.subdivision else "")
    day = format_date(c.submitted) + (f" {c.submitted_time:%H:%M}" if c.submitted_time else "")
    click.echo(
        _("  submitted:    %(day)s (%(place)s, %(timezone)s)", day=day, place=place, timezone=c.timezone)
    )
    if w is not None:
        left = case_status("closed") if c.status == "closed" else days_left_text(view.days_left)
        line = {"opens": format_date(w.opens), "deadline": format_date(w.deadline), "left": left}
        if w.unit == "business":
            text = _(
                "  window:       opens %(opens)s · deadline %(deadline)s "
                "(%(min)d–%(max)d business days) · %(left)s",
                min=w.min_days,
                max=w.max_days,
                **line,
            )
        else:
            text = _(
                "  window:       opens %(opens)s · deadline %(deadline)s (%(min)d–%(max)d days) · %(left)s",
                min=w.min_days,
                max=w.max_days,
                **line,
            )
        click.echo(text)
        if w.tentative:
            from .explain import tentative_name

            because = "; ".join(f"{t.date:%Y-%m-%d} {tentative_name(w, t)}" for t in w.tentative_because)
            click.echo(
                _("  tentative:    counts across dates not yet official — %(dates)s", dates=_t(because))
            )
        from .explain import warning_text

        for text in w.warnings:
            click.echo(_("  warning:      %(text)s", text=_t(warning_text(text, w.country))))
    for cl in c.closures:
        span = f"{cl.start}" if cl.start == cl.end else f"{cl.start}..{cl.end}"
        click.echo(_("  closure:      %(span)s %(label)s", span=span, label=_t(cl.label)))
    if c.preset:
        preset = _t(c.preset)
        if view.preset_title:
            title = _t(localised(view.preset_title))
            click.echo(_("  escalation:   %(preset)s — %(title)s", preset=preset, title=title))
        else:
            click.echo(_("  escalation:   %(preset)s", preset=preset))
        for step in view.preset_steps:
            due = format_date(datetime.fromisoformat(str(step["due"])))
            text = _t(localised(str(step["step"])))
            click.echo(_("    step %(n)s  %(day)s  %(step)s", n=step["n"], day=due, step=text))
    if c.status == "closed":
        when = f"{c.closed_at:%Y-%m-%d}" if c.closed_at else "?"
        if c.resolution:
            click.echo(_("  closed:       %(day)s — %(resolution)s", day=when, resolution=_t(c.resolution)))
        else:
            click.echo(_("  closed:       %(day)s", day=when))
    if c.notes:
        click.echo(_("  notes:        %(value)s", value=_t(c.notes, multiline=True)))
    if c.checklist:
        click.echo(_("  checklist:"))
        for item in c.checklist:
            click.echo(f"    [{'x' if item.done else ' '}] {item.position}. {_t(localised(item.text))}")
    if view.warning:
        click.echo(f"  ⚠ {_t(localised(view.warning))}")
    if view.evidence_count is not None:
        n = view.evidence_count
        if n > len(view.evidence):
            click.echo(
                ngettext(
                    "  evidence:     %(n)d entry (all: reminder evidence list %(id)s)",
                    "  evidence:     %(n)d entries (all: reminder evidence list %(id)s)",
                    n,
                    id=c.id,
                )
            )
        else:
            click.echo(ngettext("  evidence:     %(n)d entry", "  evidence:     %(n)d entries", n))
        for e in view.evidence:
            click.echo("    " + _evidence_line(e, {}))
    if view.reminders:
        click.echo(_("  reminders:"))
        for r in view.reminders:
            sent = _(" at %(time)s", time=str(r["sent_at"])[:16]) if r.get("sent_at") else ""
            # A notifier's error can quote a remote server: shown, not obeyed.
            why = f" ({_t(str(r['last_error']))})" if r.get("last_error") and r["status"] != "sent" else ""
            due = str(r["due"])[:16]
            key = str(r["key"])
            # A preset's step by its name, not as one more "escalation".
            if ":preset:" in key:
                kind = _("%(preset)s step %(n)s", preset=c.preset or "preset", n=key.rsplit(":", 1)[1])
            else:
                kind = reminder_kind(str(r["kind"]))
            kind_cell = _pad(kind, 15)
            status = reminder_status(str(r["status"]))
            click.echo(f"    {due}  {kind_cell} {_pad(str(r['notifier']), 8)} {status}{sent}{why}")
    if explain and w is not None and w.days:
        _window_table(w)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns: a Chinese character takes two."""
    from unicodedata import east_asian_width

    used = sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def _emit(view: CaseView, as_json: bool, message: str | None = None) -> None:
    if as_json:
        echo_json(_case_json(view))
        return
    if message:
        click.echo(message)
    _print_case(view)


def _view_after_write(ctx: click.Context, store: Store, case_id: str, now: datetime) -> CaseView:
    from . import api

    return api.get_case_view(store, settings_from(ctx), case_id, now=now)


def _case_options(f: F) -> F:
    """Options shared by ``add`` and ``edit``: every field of a case but title/org/submitted."""
    options = [
        click.option("--country", help="ISO 3166 code of the country whose business days count."),
        click.option("--subdivision", help="State or region whose holidays also apply, e.g. BY for Bavaria."),
        click.option("--timezone", help="IANA time zone for reminders (default: the country's / config's)."),
        click.option(
            "--kind",
            help="cancellation, refund, permit, visa, data-request, complaint, other — or a checklist "
            "template such as sim-cancellation.",
        ),
        click.option("--filed", help="What you filed, e.g. 'cancel roaming eSIM'."),
        click.option("--reference", help="Reference or ticket number the organisation gave you."),
        click.option(
            "--channel",
            "channels",
            multiple=True,
            help="How you filed or can reach them (repeatable): hotline, e-mail, web form, shop…",
        ),
        click.option("--min-days", type=click.IntRange(min=0), help="The window opens on this day (7)."),
        click.option("--max-days", type=click.IntRange(min=0), help="The deadline falls on this day (15)."),
        click.option(
            "--unit", type=click.Choice(["business", "calendar"]), help="Count business or calendar days."
        ),
        click.option(
            "--closure",
            "closures",
            multiple=True,
            metavar="DATE[..DATE][=LABEL]",
            help="A day or range on which this organisation is shut (repeatable).",
        ),
        click.option("--preset", help="Escalation preset after the deadline, e.g. telecom, gdpr."),
        click.option(
            "--remind",
            multiple=True,
            metavar="NAME=VALUE",
            help="Override the [reminders] policy for this case (repeatable), e.g. before_deadline=3, "
            "opened=no, escalation_every=5, hour=8; on edit it replaces earlier overrides ('reset' clears).",
        ),
        click.option("--notes", help="Free text: who you spoke to, what they said."),
        click.option(
            "--account",
            help="The customer, account, phone or SIM number the organisation knows you by (for letters).",
        ),
        click.option(
            "--org-email",
            "org_email",
            metavar="ADDRESS",
            help="Where the organisation takes written complaints (the To: of 'reminder letter --send').",
        ),
        click.option(
            "--lang",
            "letter_language",
            metavar="LANG",
            help="The language of letters to the organisation: en, ar or zh_CN (default: its country's).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _parse_closures(texts: Sequence[str]) -> tuple[Any, ...]:
    from .calendar import parse_closure

    return tuple(parse_closure(t) for t in texts)


@cli.command("add")
@click.option("--title", required=True, help="A name you will recognise, e.g. 'Cancel roaming eSIM'.")
@click.option("--org", "organisation", required=True, help="The organisation handling it, e.g. Batelco.")
@click.option("--submitted", type=SUBMITTED, required=True, help=SUBMITTED_HELP)
@FUTURE_OPTION
@_case_options
@json_option
@click.pass_context
def add_command(
    ctx: click.Context,
    /,
    title: str,
    organisation: str,
    submitted: Moment,
    future: bool,
    channels: tuple[str, ...],
    closures: tuple[str, ...],
    kind: str | None,
    unit: str | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Record a submission; prints the case with its review window.

    The window opens on business day --min-days and the deadline is business day
    --max-days after the submission, in the country's calendar. A --kind with a
    checklist template (sim-cancellation) attaches its checklist.

    \b
    Example:
      reminder add --title "Cancel roaming eSIM" --org Batelco --submitted 2026-03-01 \\
          --kind sim-cancellation --reference BT-48213 --channel hotline
      reminder add --title "Refund" --org DB --country DE --subdivision BY --submitted 2026-03-02 --json
    """
    _use_holiday_cache(ctx)
    from . import api
    from .plan import parse_remind_overrides

    fields["remind"] = parse_remind_overrides(fields.get("remind") or ())
    now = _now()
    settings = settings_from(ctx)
    store = _open_store(ctx)
    case = api.add_case(
        store,
        settings,
        now=now,
        title=title,
        organisation=organisation,
        submitted=submitted,
        refuse_future=not future,
        channels=channels,
        closures=_parse_closures(closures),
        kind=kind or "other",
        unit=unit,  # type: ignore[arg-type]
        **fields,
    )
    _emit(_view_after_write(ctx, store, case.id, now), as_json, _("Added case %(id)s.", id=case.id))


@cli.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "closed", "all"]),
    default="open",
    show_default=True,
    help="Which cases to list.",
)
@click.option("--due-before", type=ISO_DATE, help="Only cases whose deadline is on or before this date.")
@json_option
@click.pass_context
def list_command(ctx: click.Context, status: str, due_before: date | None, as_json: bool) -> None:
    """List cases by deadline, with the days left.

    \b
    Example:
      reminder list
      reminder list --status all --due-before 2026-04-01 --json
    """
    from . import api
    from .case_table import cases_table
    from .paths import store_path_fast

    # For scripts, only the store's path is read from the config (validating it all would cost
    # more than listing 10,000 cases); people get the whole config checked.
    path = store_path_fast(_config_arg(ctx)) if as_json else None  # None: as the settings say
    store = _open_store(ctx, path)
    filters: dict[str, Any] = {"status": status, "due_before": due_before}
    if as_json:
        # Megabytes for 10,000 cases: straight to stdout, without click.echo's per-line work.
        sys.stdout.write(api.list_cases_json(store, now=_now(), **filters) + "\n")
        return
    lines = api.list_case_lines(store, now=_now(), **filters)
    if not lines:
        if status == "closed":
            click.echo(_("No closed cases."))
        elif status == "open":
            click.echo(_("No open cases. Add one with 'reminder add'."))
        else:
            click.echo(_("No cases. Add one with 'reminder add'."))
        return
    sys.stdout.write(cases_table(lines))


@cli.command("show")
@click.argument("case_id", metavar="ID")
@click.option("--explain", is_flag=True, help="Also list every day of the window and why it counted or not.")
@json_option
@click.pass_context
def show_command(ctx: click.Context, case_id: str, explain: bool, as_json: bool) -> None:
    """Show everything about a case: its window, checklist and status.

    \b
    Example:
      reminder show k7m2qx
      reminder show k7m2qx --explain
      reminder show k7m2qx --json
    """
    from . import api

    view = api.get_case_view(_open_store(ctx), settings_from(ctx), case_id, now=_now(), explain=explain)
    if as_json:
        data = _case_json(view)
        if explain and view.window is not None:
            from .window import window_to_dict

            data["window"]["days"] = window_to_dict(view.window).get("days", [])
        echo_json(data)
        return
    _print_case(view, explain=explain)


@cli.command("presets")
@json_option
@click.pass_context
def presets_command(ctx: click.Context, as_json: bool) -> None:
    """List the escalation presets (built in and the config's) with their steps and sources.

    A case takes one with `reminder add … --preset NAME`; after its deadline its reminders
    include the preset's steps.

    \b
    Example:
      reminder presets
      reminder presets --json
    """
    from .presets import presets_listing

    presets = settings_from(ctx).presets
    if as_json:
        echo_json(presets_listing(presets))
        return
    # For people: the shipped texts in their language, the config's own as written.
    for i, (name, preset) in enumerate(sorted(presets.items())):
        click.echo(("\n" if i else "") + name + (f" — {localised(preset.title)}" if preset.title else ""))
        for rule in preset.steps:
            period = ""
            if rule.valid_from:
                period += _(" (for requests from %(day)s)", day=rule.valid_from.isoformat())
            if rule.valid_until:
                period += _(" (for requests before %(day)s)", day=rule.valid_until.isoformat())
            step = _("%(when)s: %(step)s", when=rule.describe_for_people(), step=localised(rule.step))
            click.echo(f"  {step}{period}")
            if rule.source:
                click.echo(_("    source: %(source)s", source=localised(rule.source)))
        if preset.source:
            click.echo(_("  source: %(source)s", source=localised(preset.source)))


@cli.command("edit")
@click.argument("case_id", metavar="ID")
@click.option("--title", help="New title.")
@click.option("--org", "organisation", help="New organisation.")
@click.option("--submitted", type=SUBMITTED, help="Corrected submission date (and time), as for add.")
@FUTURE_OPTION
@_case_options
@json_option
@click.pass_context
def edit_command(
    ctx: click.Context,
    /,
    case_id: str,
    submitted: Moment | None,
    channels: tuple[str, ...],
    closures: tuple[str, ...],
    future: bool,
    as_json: bool,
    **changes: Any,
) -> None:
    """Correct a case; the window is recomputed. An empty value clears a field.

    --channel and --closure replace the case's list when given.

    \b
    Example:
      reminder edit k7m2qx --submitted 2026-03-02 --reference BT-48213
      reminder edit k7m2qx --notes ""        # clear the notes
    """
    _use_holiday_cache(ctx)
    from . import api

    if submitted is not None:
        changes["submitted"] = submitted
    if channels:
        changes["channels"] = tuple(c for c in channels if c.strip())
    if closures:
        changes["closures"] = _parse_closures([c for c in closures if c.strip()])
    remind = changes.pop("remind", ())
    if remind:
        from .plan import parse_remind_overrides

        changes["remind"] = {} if list(remind) == ["reset"] else parse_remind_overrides(remind)
    now = _now()
    store = _open_store(ctx)
    case = api.edit_case(store, settings_from(ctx), case_id, now=now, refuse_future=not future, **changes)
    _emit(_view_after_write(ctx, store, case.id, now), as_json, _("Updated case %(id)s.", id=case.id))


@cli.command("close")
@click.argument("case_id", metavar="ID")
@click.option("--resolution", help="What happened, e.g. 'cancelled, confirmation letter received'.")
@json_option
@click.pass_context
def close_command(ctx: click.Context, case_id: str, resolution: str | None, as_json: bool) -> None:
    """Close a case: its reminders stop.

    \b
    Example:
      reminder close k7m2qx --resolution "cancelled; letter BT-48213 received"
    """
    from . import api

    now = _now()
    store = _open_store(ctx)
    case = api.close_case(store, settings_from(ctx), case_id, now=now, resolution=resolution)
    _emit(_view_after_write(ctx, store, case.id, now), as_json, _("Closed case %(id)s.", id=case.id))


@cli.command("reopen")
@click.argument("case_id", metavar="ID")
@json_option
@click.pass_context
def reopen_command(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Reopen a closed case: its reminders resume.

    \b
    Example:
      reminder reopen k7m2qx
    """
    _use_holiday_cache(ctx)
    from . import api

    now = _now()
    store = _open_store(ctx)
    case = api.reopen_case(store, settings_from(ctx), case_id, now=now)
    _emit(_view_after_write(ctx, store, case.id, now), as_json, _("Reopened case %(id)s.", id=case.id))


@cli.command("delete")
@click.argument("case_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Really delete: the case and everything stored with it.")
@json_option
@click.pass_context
def delete_command(ctx: click.Context, case_id: str, yes: bool, as_json: bool) -> None:
    """Delete a case for good (to keep its record, close it instead).

    \b
    Example:
      reminder delete k7m2qx --yes
    """
    from . import api

    if not yes:
        raise click.UsageError(
            _("refusing to delete without --yes (to keep the record, use 'reminder close')")
        )
    case = api.delete_case(_open_store(ctx), settings_from(ctx), case_id, now=_now())
    if as_json:
        echo_json({"deleted": case.id, "title": case.title})
    else:
        click.echo(_("Deleted case %(id)s (%(title)s).", id=case.id, title=_t(case.title)))


@cli.command("check")
@click.argument("case_id", metavar="ID")
@click.argument("item")
@click.option("--undo", is_flag=True, help="Untick the item instead.")
@json_option
@click.pass_context
def check_command(ctx: click.Context, case_id: str, item: str, undo: bool, as_json: bool) -> None:
    """Tick a checklist item, by its number or the start of its text.

    \b
    Example:
      reminder check k7m2qx 2
      reminder check k7m2qx "back up"
      reminder check k7m2qx 2 --undo
    """
    from . import api

    now = _now()
    store = _open_store(ctx)
    ticked = api.check_item(store, case_id, item, now=now, undo=undo)
    view = _view_after_write(ctx, store, case_id, now)
    if as_json:
        echo_json(_case_json(view))
        return
    if undo:
        click.echo(_("Unticked %(n)d. %(text)s", n=ticked.position, text=_t(localised(ticked.text))))
    else:
        click.echo(_("Ticked %(n)d. %(text)s", n=ticked.position, text=_t(localised(ticked.text))))
    left = [i for i in view.case.checklist if not i.done]
    total = len(view.case.checklist)
    click.echo(
        ngettext("%(n)d of %(total)d items left.", "%(n)d of %(total)d items left.", len(left), total=total)
        if left
        else _("Checklist complete.")
    )


@cli.group("config")
def config_group() -> None:
    """Create, check and locate the config file.

    \b
    Example:
      reminder config init && reminder config check
    """


@config_group.command("path")
@json_option
@click.pass_context
def config_path_command(ctx: click.Context, as_json: bool) -> None:
    """Print the config file reminder reads (--config, $REMINDER_CONFIG or the user's).

    \b
    Example:
      $EDITOR "$(reminder config path)"
    """
    from .paths import config_location

    loc = config_location(_config_arg(ctx))
    if as_json:
        echo_json({"path": loc.path, "source": loc.source, "exists": loc.exists})
        return
    click.echo(_t(str(loc.path)))
    if not loc.exists:
        # A file named by --config or $REMINDER_CONFIG must be there: other commands refuse to run.
        if loc.source == "user config directory":
            click.echo(
                _("(not there yet: the embedded defaults apply; 'reminder config init' creates it)"), err=True
            )
        else:
            click.echo(_("(not there yet: 'reminder config init' creates it)"), err=True)


@config_group.command("init")
@json_option
@click.pass_context
def config_init_command(ctx: click.Context, as_json: bool) -> None:
    """Write the documented example config to the config path (never overwrites).

    \b
    Example:
      reminder config init
      REMINDER_CONFIG=~/reminder.toml reminder config init
    """
    from .config import example_config_text
    from .errors import InputError, StoreError
    from .files import private_dir, write_file_atomic
    from .paths import config_location

    loc = config_location(_config_arg(ctx))
    exists = _("%(path)s already exists; not overwriting it (edit it, or move it away first)", path=loc.path)
    if loc.path.exists():
        raise InputError(exists)
    try:
        private_dir(loc.path.parent)
        # 0600: the file will likely hold notifier passwords or tokens. All or nothing: a full
        # disk must not leave an empty file that every later command would read as the config.
        if not write_file_atomic(loc.path, example_config_text().encode("utf-8"), overwrite=False):
            raise InputError(exists)
    except OSError as exc:
        raise StoreError(
            _("%(path)s: cannot write the config file: %(why)s", path=loc.path, why=exc.strerror or exc)
        ) from None
    if as_json:
        echo_json({"path": loc.path, "created": True})
    else:
        click.echo(_("Wrote %(path)s; edit it, then run 'reminder config check'.", path=loc.path))


@config_group.command("check")
@json_option
@click.pass_context
def config_check_command(ctx: click.Context, as_json: bool) -> None:
    """Validate the config and print the effective settings (secrets masked).

    Environment variables REMINDER_<SECTION>__<KEY> override the file and are
    included. Notifier tables are checked by the daemon's own code (nothing is
    sent). Exit status 2 and one line naming the file and key if it is broken.

    \b
    Example:
      reminder config check
      REMINDER_DEFAULTS__HOUR=8 reminder config check --json
    """
    from .config import settings_as_dict
    from .notifiers.check import check_notifiers

    _notifier_warnings(ctx)
    settings = settings_from(ctx, model=True)
    # What the daemon and `add` refuse, refused here by the same code.
    check_notifiers(settings.notifiers, config_file=settings.source)
    data = settings_as_dict(settings)
    source = str(settings.source) if settings.source else "embedded defaults (no config file)"
    if as_json:
        echo_json({"source": source, "valid": True, "settings": data})
        return
    shown = _t(str(settings.source)) if settings.source else _("embedded defaults (no config file)")
    click.echo(_("# OK: %(source)s", source=shown))
    for line in _flatten(data):
        click.echo(_t(line))  # JSON escapes C0 controls, but not DEL or C1


def _flatten(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict) and data:
        out: list[str] = []
        for key, value in data.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    import json

    return [f"{prefix} = {json.dumps(data, ensure_ascii=False)}"]


# --- evidence log, dossier and calendar export (issue #6: `evidence add|list|show|verify`, `export`) -----


def _evidence_line(e: Any, fixes: dict[int, list[int]]) -> str:
    links = []
    if e.corrects is not None:
        links.append(_("corrects #%(n)d", n=e.corrects))
    if e.seq in fixes:
        links.append(_("corrected by %(entries)s", entries=", ".join(f"#{n}" for n in fixes[e.seq])))
    files = len(e.attachments)
    extra = ([ngettext("%(n)d file", "%(n)d files", files)] if files else []) + links
    # In this computer's time zone: the user reads the log where they are.
    line = (
        f"#{e.seq:<3} {e.at.astimezone():%Y-%m-%d %H:%M}  {_pad(evidence_kind(e.kind), 10)} {_t(e.summary)}"
    )
    return line + (_("  (%(notes)s)", notes="; ".join(extra)) if extra else "")


@cli.group("evidence")
def evidence_group() -> None:
    """Keep a tamper-evident log of what you did: calls, e-mails, letters, codes.

    Entries are never edited or deleted: to fix one, add a new entry with
    --corrects N. Files are copied into the data directory and hashed.

    \b
    Example:
      reminder evidence add q7k2mp --kind call --summary "Called 196, ref 77"
      reminder evidence verify q7k2mp
    """


@evidence_group.command("add")
@click.argument("case_id", metavar="ID")
@click.option(
    "--kind",
    required=True,
    type=LazyChoice(_evidence_kinds),
    help="What it was (code: a verification check).",
)
@click.option("--summary", required=True, help="What happened, in a sentence.")
@click.option(
    "--at",
    "at",
    type=MomentType("a date and time"),
    metavar="DATETIME",
    help="When it happened (default: now), e.g. 2026-03-05T14:30, in the case's time zone unless it "
    "carries an offset (2026-03-05T14:30+03:00); a date alone is its start (00:00).",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Attach a file (a screenshot, a letter, an e-mail); repeat for more.",
)
@click.option("--corrects", type=click.IntRange(min=1), help="This entry corrects entry N.")
@json_option
@click.pass_context
def evidence_add_command(
    ctx: click.Context,
    case_id: str,
    kind: str,
    summary: str,
    at: Moment | None,
    files: tuple[Path, ...],
    corrects: int | None,
    as_json: bool,
) -> None:
    """Add an entry to a case's evidence log.

    \b
    Example:
      reminder evidence add q7k2mp --kind email --summary "Asked for the status" --file mail.eml
      reminder evidence add q7k2mp --kind code --summary "SMS code for identity check" --at 2026-03-02T10:15
      reminder evidence add q7k2mp --kind note --summary "The call was on Tuesday" --corrects 1
    """
    from .api import log_evidence
    from .evidence import CODE_WARNING, entry_to_dict

    store = _open_store(ctx)
    entry = log_evidence(
        store, case_id, kind=kind, summary=summary, now=_now(), at=at, files=files, corrects=corrects
    )
    warning = CODE_WARNING if kind == "code" else None
    if as_json:
        echo_json({"version": 1, "entry": entry_to_dict(entry, store.attachments), "warning": warning})
        return
    kind_text = evidence_kind(entry.kind)
    if entry.attachments:
        click.echo(
            _(
                "Recorded evidence #%(seq)d for case %(case)s (%(kind)s, %(files)d file(s) stored).",
                seq=entry.seq,
                case=entry.case_id,
                kind=kind_text,
                files=len(entry.attachments),
            )
        )
    else:
        click.echo(
            _(
                "Recorded evidence #%(seq)d for case %(case)s (%(kind)s).",
                seq=entry.seq,
                case=entry.case_id,
                kind=kind_text,
            )
        )
    if warning:
        click.echo(_("Warning: %(text)s", text=_(warning)))


@evidence_group.command("list")
@click.argument("case_id", metavar="ID")
@json_option
@click.pass_context
def evidence_list_command(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """List a case's evidence, oldest first, with corrections linked.

    \b
    Example:
      reminder evidence list q7k2mp
    """
    from .api import list_evidence
    from .evidence import corrections_of, entry_to_dict

    store = _open_store(ctx)
    entries = list_evidence(store, case_id)
    fixes = corrections_of(entries)
    if as_json:
        items = [
            {**entry_to_dict(e, store.attachments), "corrected_by": fixes.get(e.seq, [])} for e in entries
        ]
        echo_json({"version": 1, "case_id": store.get_case(case_id).id, "entries": items})
        return
    if not entries:
        click.echo(
            _(
                "No evidence yet. Add some with: reminder evidence add %(id)s --kind call --summary …",
                id=_t(case_id),
            )
        )
        return
    for e in entries:
        click.echo(_evidence_line(e, fixes))


@evidence_group.command("show")
@click.argument("case_id", metavar="ID")
@click.argument("seq", metavar="N", type=click.IntRange(min=1))
@json_option
@click.pass_context
def evidence_show_command(ctx: click.Context, case_id: str, seq: int, as_json: bool) -> None:
    """Show one entry: its text, files (with where they are kept) and hashes.

    \b
    Example:
      reminder evidence show q7k2mp 2
    """
    from .api import get_evidence, list_evidence
    from .evidence import corrections_of, entry_to_dict

    store = _open_store(ctx)
    entry = get_evidence(store, case_id, seq)
    fixed_by = corrections_of(list_evidence(store, case_id)).get(seq, [])
    data = {**entry_to_dict(entry, store.attachments), "corrected_by": fixed_by}
    if as_json:
        echo_json({"version": 1, "entry": data})
        return
    click.echo(_("Evidence #%(seq)d of case %(case)s", seq=entry.seq, case=entry.case_id))
    click.echo(_("  kind:      %(value)s", value=evidence_kind(entry.kind)))
    click.echo(_("  at:        %(value)s", value=entry.at.isoformat()))
    click.echo(_("  recorded:  %(value)s", value=entry.recorded_at.isoformat()))
    click.echo(_("  summary:   %(value)s", value=_t(entry.summary)))
    if entry.corrects is not None:
        click.echo(_("  corrects:  #%(n)d", n=entry.corrects))
    if fixed_by:
        click.echo(_("  corrected by: %(entries)s", entries=", ".join(f"#{n}" for n in fixed_by)))
    for a in data["attachments"]:
        click.echo(_("  file:      %(name)s (%(size)d bytes)", name=_t(a["name"]), size=a["size"]))
        click.echo(_("             sha256 %(hash)s", hash=a["sha256"]))
        click.echo(_("             kept at %(path)s", path=_t(str(a["path"]))))
    click.echo(_("  hash:      %(value)s", value=entry.hash))
    click.echo(_("  previous:  %(value)s", value=entry.prev_hash or _("(first entry)")))


def _head_prefix(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    import re

    if value is None:
        return None
    value = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{8,64}", value):
        raise click.BadParameter(
            _("%(value)s: give 8 to 64 hex digits of a head, e.g. from a reminder e-mail", value=repr(value))
        )
    return value


@evidence_group.command("verify")
@click.argument("case_id", metavar="ID")
@click.option(
    "--head",
    metavar="HEX",
    callback=_head_prefix,
    help="Also check that the log still holds the entry with this head (8+ hex digits, from an "
    "old reminder e-mail or dossier): that nothing up to it was cut or changed.",
)
@json_option
@click.pass_context
def evidence_verify_command(ctx: click.Context, case_id: str, head: str | None, as_json: bool) -> None:
    """Check that a case's evidence log and files are unchanged (exit 1 if not).

    Recomputes every entry's hash (keyed with the evidence key in the state
    directory), the chain linking them and each file's SHA-256, checks the log
    against its recorded head, and names each entry or file that is wrong.

    \b
    Example:
      reminder evidence verify q7k2mp
      reminder evidence verify q7k2mp --head 3f9a0c1d2e4b5a69
    """
    from .api import verify_evidence
    from .evidence import HEAD_PREFIX

    report = verify_evidence(_open_store(ctx), case_id, head=head)
    if as_json:
        echo_json(
            {
                "version": 1,
                "case_id": report.case_id,
                "ok": report.ok,
                "entries": report.entries,
                "attachments": report.attachments,
                "head_hash": report.head_hash,
                "head_entry": report.head_seq,
                "witnessed_entries": report.witnessed,
                "head_checked": report.head_checked,
                "problems": [
                    {
                        "entry": p.seq,
                        "through": p.through,
                        "attachment": p.attachment,
                        "problem": p.problem,
                        "message": str(p),
                    }
                    for p in report.problems
                ],
            }
        )
    elif report.ok:
        click.echo(
            _(
                "OK: %(entries)d entries and %(files)d files are intact.",
                entries=report.entries,
                files=report.attachments,
            )
        )
        if head is not None:
            click.echo(
                _(
                    "The head %(head)s is entry %(n)s: the log still holds it and all before it.",
                    head=head,
                    n=report.head_checked,
                )
            )
        if report.head_hash:
            click.echo(_("Head: entry %(n)s, %(hash)s", n=report.head_seq, hash=report.head_hash))
            prefix = report.head_hash[:HEAD_PREFIX]
            click.echo(
                _(
                    "Check it later with: reminder evidence verify %(id)s --head %(prefix)s",
                    id=report.case_id,
                    prefix=prefix,
                )
            )
    else:
        # A problem may name an attachment: shown, not obeyed.
        click.echo(_("NOT INTACT: %(problem)s", problem=_t(str(report.first))), err=True)
        for p in report.problems[1:]:
            click.echo(_("  also: %(problem)s", problem=_t(str(p))), err=True)
    if not report.ok:
        sys.exit(1)


@cli.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@json_option
@click.pass_context
def backup_command(ctx: click.Context, path: Path | None, as_json: bool) -> None:
    """Copy the database (consistently, even while the daemon runs) and the attachments.

    PATH is a new directory (default: ./reminder-backup-YYYYmmdd-HHMMSS). To restore, stop
    the daemon and point the config's [store] path (or $REMINDER_STORE__PATH) at the
    backup's reminder.db, or copy reminder.db and attachments/ back into the data directory.

    \b
    Example:
      reminder backup
      reminder backup /media/usb/reminder-2026-03 --json
    """
    from .backup import backup
    from .errors import InputError

    settings = settings_from(ctx)
    if settings.store.url is not None:
        raise InputError(
            _("backup copies a SQLite store; a PostgreSQL store is backed up with pg_dump (see the README)")
        )
    report = backup(settings.store.path, path, now=_now())
    if as_json:
        from dataclasses import asdict

        echo_json(asdict(report))
        return
    click.echo(_("Backed up to %(path)s", path=report.path))
    click.echo(
        _(
            "  %(name)s: %(cases)d cases, %(evidence)d evidence entries, integrity %(integrity)s",
            name=report.database.name,
            cases=report.cases,
            evidence=report.evidence,
            integrity=report.integrity,
        )
    )
    click.echo(
        _(
            "  attachments/: %(files)d files, %(size)s bytes",
            files=report.attachments,
            size=f"{report.attachment_bytes:,}",
        )
    )
    for name in report.skipped:
        click.echo(_("  skipped attachments/%(name)s: not a regular file", name=name))
    click.echo(_('Restore: stop the daemon, set [store] path = "%(db)s" in the config', db=report.database))
    click.echo(
        _("(or REMINDER_STORE__PATH), or copy reminder.db and attachments/ back into the data directory.")
    )


@cli.group("db")
def db_group() -> None:
    """Bring the database's schema up to date, or copy a SQLite store into PostgreSQL.

    \b
    Example:
      reminder db migrate
      reminder db copy --to postgresql://reminder@db.example:5432/reminder
    """


@db_group.command("migrate")
@json_option
@click.pass_context
def db_migrate_command(ctx: click.Context, as_json: bool) -> None:
    """Apply the schema migrations the database still needs (every command does it on its
    own; this does it on purpose, say after an upgrade, before the daemons start again).
    On PostgreSQL it runs under a lock, so two machines never migrate at once.

    \b
    Example:
      reminder db migrate
      REMINDER_STORE__URL=postgresql://reminder@db/reminder reminder db migrate --json
    """
    from .store import open_store

    with open_store(settings_from(ctx).store, migrate=False) as store:
        before = store.schema_version
        store.migrate()
        after = store.schema_version
        where = store.location
    if as_json:
        echo_json({"version": 1, "database": where, "schema_before": before, "schema": after})
        return
    if before == after:
        click.echo(_("%(db)s: schema version %(n)d, up to date", db=where, n=after))
    else:
        click.echo(_("%(db)s: migrated from schema version %(a)d to %(b)d", db=where, a=before, b=after))


@db_group.command("copy")
@click.option("--to", "target", required=True, metavar="URL", help="The PostgreSQL database to copy into.")
@click.option(
    "--password-env",
    metavar="NAME",
    help="The environment variable holding the target's password (else PGPASSWORD or ~/.pgpass).",
)
@click.option(
    "--force", is_flag=True, help="Copy into a database that is not empty, adding only what is missing."
)
@json_option
@click.pass_context
def db_copy_command(
    ctx: click.Context, target: str, password_env: str | None, force: bool, as_json: bool
) -> None:
    """Copy the configured SQLite store into a PostgreSQL database: every case, checklist,
    outbox row, evidence entry and attachment. The evidence chains are verified on the copy
    and the counts printed. Then set [store] url to the new database on every machine.

    \b
    Example:
      reminder db copy --to postgresql://reminder@db.example:5432/reminder
    """
    import os

    from .backends import is_postgres_url, redact_url
    from .dbcopy import copy_store
    from .errors import ConfigError
    from .evidence_key import KeyDir
    from .store import Store, open_store

    if not is_postgres_url(target):
        raise click.BadParameter(
            _("%(url)s is not a postgresql:// URL", url=redact_url(target)), param_hint="--to"
        )
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise ConfigError(_("--password-env: the variable $%(name)s is not set", name=password_env))
    settings = settings_from(ctx)
    with open_store(settings.store) as source, Store(source.path, url=target, password=password) as into:
        report = copy_store(source, into, data_dir=source.path.parent, keys=KeyDir.default(), force=force)
    if as_json:
        from dataclasses import asdict

        echo_json({"version": 1, **asdict(report)})
    else:
        click.echo(_("Copied %(source)s into %(target)s:", source=report.source, target=report.target))
        for table, count in report.rows.items():
            click.echo(f"  {table}: {count}")
        click.echo(
            _(
                "  attachments: %(files)d files, %(size)s bytes",
                files=report.attachments,
                size=f"{report.attachment_bytes:,}",
            )
        )
        click.echo(_("  evidence logs verified on the copy: %(n)d", n=report.verified))
        for problem in report.problems:
            click.echo(_("  problem: %(problem)s", problem=problem), err=True)
    if report.problems:
        sys.exit(1)


@cli.command("export")
@click.argument("case_id", metavar="[ID]", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "zip", "pdf"]),
    default="html",
    show_default=True,
    help="Dossier format: Markdown, one HTML file, a zip with both and the attachments, or PDF "
    "(needs pip install 'reminder[pdf]').",
)
@click.option("--ics", is_flag=True, help="Export open cases' windows and deadlines as iCalendar instead.")
@click.option(
    "--output",
    "-o",
    "output_text",
    metavar="PATH",
    help="Where to write ('-' for stdout; default: a file in the current directory, or [export] ics_path). "
    "Its directory must exist; a symlink is written through (the file it points to is replaced, the "
    "link stays).",
)
@json_option
@click.pass_context
def export_command(
    ctx: click.Context, case_id: str | None, fmt: str, ics: bool, output_text: str | None, as_json: bool
) -> None:
    """Export a case's complaint dossier, or a calendar of open cases (--ics).

    The dossier holds the case, the review window with its day-by-day
    explanation, the timeline of evidence and reminders sent, the files with
    their hashes, the holiday data used, and the escalation step that applies now.

    \b
    Example:
      reminder export q7k2mp --format zip
      reminder export q7k2mp --format pdf -o dossier.pdf
      reminder export q7k2mp --format md --output -
      reminder export --ics --output ~/calendar/reminder.ics
    """
    from .api import export_dossier_checked, export_ics, save_dossier, write_ics
    from .outfile import output_path

    # Checked before anything is rendered, so a bad path costs nothing and leaves nothing behind.
    output = None if output_text is None else Path("-") if output_text == "-" else output_path(output_text)
    settings = settings_from(ctx)
    store = _open_store(ctx)
    now = _now()
    if ics:
        target = output or settings.export.ics_path or Path("reminder.ics")
        if str(target) == "-":
            click.echo(export_ics(store, settings, now=now, case_id=case_id).decode("utf-8"), nl=False)
            return
        changed = write_ics(store, settings, target, now=now, case_id=case_id)
        _report_written(target, as_json, changed=changed, kind=_("calendar"))
        return
    if case_id is None:
        raise click.UsageError(_("give a case ID to export its dossier, or --ics for the calendar"))
    if str(output) == "-" and fmt in ("zip", "pdf"):
        raise click.BadParameter(
            _("a %(format)s cannot go to stdout; give a file name", format=fmt), param_hint="'--output'"
        )
    if str(output) == "-":
        data, report = export_dossier_checked(store, settings, case_id, now=now, fmt=fmt)
        click.echo(data.decode("utf-8"), nl=False)
        where = _("the dossier above says so")
    else:
        target = output or Path(f"dossier-{store.get_case(case_id).id}.{fmt}")
        report = save_dossier(store, settings, case_id, target, now=now, fmt=fmt)
        _report_written(target, as_json, changed=True, kind=_("%(format)s dossier", format=fmt))
        where = _("the dossier in %(path)s says so", path=target)
    if not report.ok:
        # Written all the same (it is the record, and says so inside); the exit status must not hide it.
        more = _(" (and %(n)d more)", n=len(report.problems) - 1) if len(report.problems) > 1 else ""
        _fail(
            _(
                "the evidence log of case %(id)s does not verify: %(problem)s%(more)s; %(where)s",
                id=report.case_id,
                problem=report.first,
                more=more,
                where=where,
            ),
            1,
            as_json,
        )


def _report_written(path: Path, as_json: bool, *, changed: bool, kind: str) -> None:
    if as_json:
        echo_json({"version": 1, "path": path.resolve(), "written": changed})
    elif changed:
        click.echo(_("Wrote the %(what)s to %(path)s", what=kind, path=_t(str(path))))
    else:
        click.echo(_("%(path)s is up to date; nothing changed", path=_t(str(path))))


# --- letters (issue 18: `letter`) ------------------------------------------------------------------


def _letter_formats() -> Sequence[str]:
    from .letter_render import FORMATS

    return FORMATS


def _letter_report(letter: Any, *, strict: bool, as_json: bool) -> None:
    """The blanks and notes, one line each on stderr, in the user's language; --strict refuses blanks."""
    from .i18n import _

    if letter.missing:
        if strict:
            names = ", ".join(_(letter.field_hint(k)[0]) for k in letter.missing)
            _fail(_("the letter would have blanks ([____]) for: %(names)s", names=names), 2, as_json)
        click.echo(_("Missing in the letter, left as [____] to fill in:"), err=True)
        for key in letter.missing:
            what, how = letter.field_hint(key)
            how = _(how, id=letter.case.id) if "%(id)s" in how else _(how)
            click.echo(_("  - %(what)s: %(how)s", what=_(what), how=how), err=True)
    for note in letter.notes:
        click.echo(_("note: %(note)s", note=note), err=True)


def _letter_preview(letter: Any) -> None:
    from .i18n import _
    from .letter_render import to_text

    msg = letter.message
    click.echo(_("About to send this e-mail:"))
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        click.echo(f"  {header}: {msg[header]}")
    for name in letter.attachments:
        click.echo(_("  Attachment: %(name)s", name=name))
    click.echo("")
    click.echo(to_text(letter.rendered))


@cli.command("letter")
@click.argument("case_id", metavar="ID")
@click.option(
    "--to",
    "to",
    type=click.Choice(["organisation", "regulator"]),
    required=True,
    help="A follow-up to the organisation, or a complaint to the regulator.",
)
@click.option(
    "--lang",
    metavar="LANG",
    help="The recipient's language: en, ar or zh_CN (default: the regulator's; else the case's --lang; "
    "else its country's).",
)
@click.option(
    "--format",
    "fmt",
    type=LazyChoice(_letter_formats),
    help="txt (the default), md, html, eml (an e-mail a mail client opens as a draft) or pdf.",
)
@click.option(
    "--output",
    "-o",
    "output_text",
    metavar="PATH",
    help="Where to write ('-' for stdout; default: stdout for txt, md and html, letter-ID-TO-LANG.FMT for "
    "eml and pdf). Its directory must exist; a symlink is written through.",
)
@click.option(
    "--regulator",
    "regulator_id",
    metavar="ID",
    help="The regulator to write to, e.g. bh-tra, gb-cisas, cn-miit, ie-dpc (default: the one that fits "
    "the case's country and preset or kind).",
)
@click.option(
    "--attach-dossier", is_flag=True, help="Attach the case's HTML dossier to the e-mail (eml, --send)."
)
@click.option(
    "--send",
    is_flag=True,
    help="Send the e-mail through [notifiers.email] after showing it, and record it in the evidence log.",
)
@click.option("--yes", is_flag=True, help="With --send: send without asking (for scripts).")
@click.option("--strict", is_flag=True, help="Refuse (exit 2) to write or send a letter that has blanks.")
@json_option
@click.pass_context
def letter_command(
    ctx: click.Context,
    case_id: str,
    to: str,
    lang: str | None,
    fmt: str | None,
    output_text: str | None,
    regulator_id: str | None,
    attach_dossier: bool,
    send: bool,
    yes: bool,
    strict: bool,
    as_json: bool,
) -> None:
    """Write a letter from a case: a follow-up to the organisation, or a complaint to the regulator.

    The letter states what reminder holds — the request as filed, the period promised and
    the deadline it gave, the evidence with its dates and hashes — in the recipient's
    language (en, ar, zh_CN). What it does not hold is left as a visible blank [____], and
    the missing fields are listed on stderr (exit 0; --strict: exit 2). Templates can be
    overridden in <config dir>/templates/letters/<lang>/<to>.html.j2 (README: Letters).

    \b
    Example:
      reminder letter k7m2qx --to organisation
      reminder letter k7m2qx --to organisation --lang ar --format html -o letter.html
      reminder letter k7m2qx --to organisation --send --attach-dossier
      reminder letter k7m2qx --to regulator --format pdf
    """
    from .config import config_path
    from .i18n import _
    from .ics import write_bytes_atomic
    from .leftovers import journal_dir
    from .letter_api import check_sendable, compose_letter, send_letter
    from .letter_render import USER_TEMPLATE_DIR
    from .outfile import output_path

    fmt = fmt or ("eml" if send else "txt")
    if send and fmt != "eml":
        raise click.UsageError(_("--send sends the e-mail: use --format eml, or leave --format out"))
    if send and not yes and not sys.stdin.isatty():
        raise InputError(
            _("not sending without a confirmation, and there is no terminal to ask on: add --yes to send")
        )
    # Checked before anything is rendered, so a bad path costs nothing and leaves nothing behind.
    output = None if output_text is None else Path("-") if output_text == "-" else output_path(output_text)
    settings = settings_from(ctx)
    store = _open_store(ctx)
    now = _now()
    letter = compose_letter(
        store,
        settings,
        case_id,
        to=to,
        now=now,
        fmt=fmt,
        lang=lang,
        regulator_id=regulator_id,
        attach_dossier=attach_dossier,
        user_dir=config_path(_config_arg(ctx)).path.parent / USER_TEMPLATE_DIR,
    )
    if send:  # what would stop the sending is said first, alone
        check_sendable(settings, letter).close()
    _letter_report(letter, strict=strict, as_json=as_json)
    report = letter.as_dict()
    if send:
        if not as_json:
            _letter_preview(letter)
        if not yes:
            click.confirm(
                _("Send it to %(to)s?", to=letter.recipient or "?"), default=False, abort=True, err=True
            )
        entry = send_letter(store, settings, letter, now=now)
        report["sent"] = {"to": letter.recipient, "evidence": entry.seq}
        if not as_json:
            click.echo(
                _(
                    "Sent to %(to)s (Message-ID %(id)s); recorded as evidence #%(seq)s of case %(case)s.",
                    to=letter.recipient,
                    id=letter.message_id,
                    seq=entry.seq,
                    case=letter.case.id,
                )
            )
        if output is None:
            if as_json:
                echo_json(report)
            return
    if output is None and (as_json or fmt in ("eml", "pdf")):
        output = Path(letter.file_name)
    if output is None or str(output) == "-":
        if fmt in ("eml", "pdf"):
            sys.stdout.buffer.write(letter.data)
            sys.stdout.buffer.flush()
        else:
            click.echo(letter.data.decode("utf-8"), nl=False)
        return
    # Journalled like every export, so a letter cut off mid-write is swept (leftovers.py).
    write_bytes_atomic(output, letter.data, journal=journal_dir(store.path.parent))
    report["path"] = str(output.resolve())
    if as_json:
        echo_json(report)
    elif not send:
        click.echo(_("Wrote the letter to %(path)s", path=output), err=fmt not in ("eml", "pdf"))


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


def _notifier_sources(ctx: click.Context) -> tuple[dict[str, dict[str, Any]], Path | None]:
    _notifier_warnings(ctx)
    settings = settings_from(ctx)
    return settings.notifiers, settings.source


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

    tables, config_file = _notifier_sources(ctx)
    rows = list_notifiers(tables, config_file=config_file)
    if as_json:
        echo_json([row.to_dict() for row in rows])
        return
    width = max(len(r.name) for r in rows)
    for row in rows:
        if row.configured:
            state = pgettext("notifier", "enabled") if row.enabled else pgettext("notifier", "disabled")
        elif row.name == "log" and row.enabled:
            state = pgettext("notifier", "default")
        else:
            state = pgettext("notifier", "not configured")
        ready = pgettext("notifier", "available") if row.available else pgettext("notifier", "unavailable")
        line = f"{row.name:<{width}}  {row.type:<8} {_pad(state, 15)} {_pad(ready, 12)}"
        if row.reason:
            line += f" {row.reason}"
        elif not row.configured and row.summary:
            line += f" {_(row.summary)}"  # a built-in's is marked for translation (N_)
        if row.source != "built-in":
            line += _(" [plugin: %(source)s]", source=row.source)
        click.echo(_t(line.rstrip()))  # a reason can quote a path or a server


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
    recipient refused, no D-Bus session bus, no notification server on the bus. Exit
    status 1 if any notifier failed, 2 for an unknown notifier name or a broken config.

    \b
    Example:
      reminder notify test
      reminder notify test --notifier email --json
    """
    from datetime import UTC

    from .notifiers.check import test_notifiers

    tables, config_file = _notifier_sources(ctx)
    outcomes = test_notifiers(tables, now=datetime.now(UTC), only=name, config_file=config_file)
    if as_json:
        echo_json([o.to_dict() for o in outcomes])
    else:
        width = max((len(o.name) for o in outcomes), default=0)
        for o in outcomes:
            if o.ok:
                status = pgettext("notifier test", "OK")
            elif o.problem:
                status = _("FAILED (%(problem)s)", problem=delivery_problem(o.problem))
            else:
                status = pgettext("notifier test", "FAILED")
            click.echo(_t(f"{o.name:<{width}}  {_pad(status, 20)} {o.detail}".rstrip()))  # a server's words
        if not outcomes:
            click.echo(_("No notifier is enabled: every [notifiers.*] table has enabled = false."))
    if not outcomes or not all(o.ok for o in outcomes):
        sys.exit(1)
