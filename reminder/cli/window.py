"""``reminder window`` and ``reminder countries``: review windows and the countries they count in."""

from __future__ import annotations

import sys
from datetime import date
from itertools import chain

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..i18n import _, format_date, joined, joined_clauses, pgettext
from ..terminal import escape_controls as _t
from .common import (
    SUBMITTED,
    echo_json,
    json_option,
    settings_from,
    use_holiday_cache,
    utc_now,
)


def _weekday_short(name: str) -> str:
    """A weekday's English name ("Friday") shortened as the language does ("Fri", "周五")."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    if name not in days:
        return name[:3]
    return format_date(date(2024, 1, 1 + days.index(name)), style="weekday")  # 2024-01-01 is a Monday


TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from ..dates import Moment
    from ..fast_table import Justify
    from ..models import ReviewWindow


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
    from ..explain import override_text, tentative_name, warning_text  # the core's English, worded

    if w.tentative:
        because = joined_clauses(
            (f"{format_date(t.date)} {tentative_name(w, t)}" for t in w.tentative_because), semicolons=True
        )
        lines.append(_("Tentative: the count crosses dates not yet official — %(dates)s", dates=because))
    lines += [_("Warning: %(text)s", text=warning_text(text, w.country)) for text in w.warnings]
    if w.overrides:
        lines.append(_("Official closures added to holidays %(version)s:", version=w.holidays_version))
        lines += [f"  {override_text(text)}" for text in w.overrides]
    return lines


# The day-by-day table's columns: how rich justifies each, and the last ("Why") wraps, folding
# a word too long for its line (a closure's label, an address) rather than cutting it.
_JUSTIFY: tuple[Justify, ...] = ("left", "left", "center", "right", "left")
_WRAPS = (False, False, False, False, True)


def window_table(w: ReviewWindow) -> None:
    """Every day of the window and why it counted or not, as rich prints the table (laid out by
    ``fast_table`` without importing rich, ~50 ms, wherever it can answer for rich)."""
    from ..explain import day_why  # the day's reason, "tentative" and the milestones, in the user's language

    headers = [
        pgettext("column", "Date"),
        pgettext("column", "Day"),
        pgettext("column", "Business"),
        pgettext("column", "Count"),
        pgettext("column", "Why"),
    ]
    rows = [
        (
            d.date.isoformat(),
            format_date(d.date, style="weekday"),
            pgettext("business day", "yes") if d.business else pgettext("business day", "no"),
            "" if d.count is None else str(d.count),
            _t(day_why(w, d)),  # a closure's label is the user's: no markup, no control characters
        )
        for d in w.days
    ]
    text = _fast_table(headers, rows)
    if text is not None:
        sys.stdout.write(text)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=None, show_edge=False, pad_edge=False)
    for name, justify in zip(headers[:-1], _JUSTIFY[:-1], strict=True):
        table.add_column(name, justify=justify, no_wrap=True)
    table.add_column(headers[-1], overflow="fold")
    for row in rows:
        table.add_row(*row[:-1], Text(row[-1]))
    Console(soft_wrap=False).print(table)


def _fast_table(headers: list[str], rows: list[tuple[str, str, str, str, str]]) -> str | None:
    """The table as rich prints it on this stdout, or None where only rich knows: the terminal
    (``console_setup``), a header that wraps, cells rich reads as markup (all but "Why" are
    markup to rich) or that are not printable."""
    from ..console_setup import console_setup
    from ..fast_paragraph import read_literally
    from ..fast_table import table_text

    setup = console_setup()
    if setup is None or not rows:
        return None
    columns = [list(column) for column in zip(*rows, strict=True)]
    if not read_literally(chain(headers, *columns[:-1]), columns[-1]):
        return None
    return table_text(
        headers,
        columns,
        _WRAPS,
        setup.width,
        styled=setup.color_system is not None,
        justify=_JUSTIFY,
        fold=_WRAPS,
    )


@cmdline.command("window", cls=TranslatedHelp)
@cmdline.option(
    "--country",
    help="ISO 3166 country code or name, e.g. BH, Bahrain or 巴林"
    " (default: [defaults] country in the config).",
)
@cmdline.option("--subdivision", help="State, province or nation within the country, e.g. BY for Bavaria.")
@cmdline.option(
    "--submitted",
    type=SUBMITTED,
    required=True,
    help="When you submitted (day 0, never counted): 2026-03-01, 2026-3-1, 2026/3/1, today or yesterday, "
    "optionally with a time (2026-03-01T14:30), as for add: today, yesterday and a time with an offset "
    "(T14:30+05:00) are taken in the country's time zone.",
)
@cmdline.option("--min-days", type=cmdline.IntRange(min=0), help="The window opens on this day (default 7).")
@cmdline.option(
    "--max-days", type=cmdline.IntRange(min=0), help="The deadline falls on this day (default 15)."
)
@cmdline.option(
    "--unit", type=cmdline.Choice(["business", "calendar"]), help="Count business or calendar days."
)
@cmdline.option(
    "--closure",
    "closures",
    multiple=True,
    metavar="DATE[..DATE][=LABEL]",
    help="A day or range on which the office is shut (repeatable), on top of the config's closures.",
)
@cmdline.option(
    "--explain", is_flag=True, help="List every day up to the deadline and why it counted or not."
)
@json_option
@cmdline.pass_context
def window_command(
    ctx: cmdline.Context,
    country: str | None,
    subdivision: str | None,
    submitted: Moment,
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
      reminder window --country AE --submitted today
      reminder window --country CN --submitted 2026-09-15 --explain
      reminder window --country DE --subdivision BY --submitted 2026-05-06 --json
    """
    use_holiday_cache(ctx)
    from .. import api
    from ..calendar import parse_closure
    from ..window import compute_window, window_to_dict

    settings = settings_from(ctx)
    d = settings.defaults
    if country is None:
        country, subdivision = d.country, subdivision if subdivision is not None else d.subdivision
    extra = tuple(parse_closure(text) for text in closures)
    day = api.submission_day(settings, submitted, country=country, subdivision=subdivision, now=utc_now())
    w = compute_window(
        day,
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
        cmdline.echo(_t(line))  # closure labels are the user's
    if explain:
        cmdline.echo()
        window_table(w)


@cmdline.command("countries", cls=TranslatedHelp)
@cmdline.argument("codes", nargs=-1, metavar="[COUNTRY]...")
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
    from ..calendar import get_calendar
    from ..countries import list_countries
    from ..labels import country_name

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
            cmdline.echo(line)
            for code, name in i.subdivisions.items():
                cmdline.echo(f"    {code:<6} {name}" if name != code else f"    {code}")
        else:
            subs = _("  subdivisions: %(codes)s", codes=joined(i.subdivisions)) if i.subdivisions else ""
            cmdline.echo(line + subs)
