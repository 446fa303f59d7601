"""Dates and times as people type them, placed in a case's time zone.

Parsing (:func:`parse_moment`, :func:`parse_date`) reads text only. Placing a
:class:`Moment` (:meth:`Moment.on_day`, :meth:`Moment.instant`) takes ``now`` and the
case's zone as arguments: "today" is the organisation's today, and a time without an
offset is its wall clock, not the computer's — a traveller's laptop is often in
another zone than the case. No clock is read here.

Accepted, case-insensitive::

    2026-03-01   2026-3-1   2026/3/1   today   yesterday
    2026年3月1日   2026.3.1   今天 (今日)   昨天 (昨日)   前天   — as a Chinese reader writes them
    … then optionally T or a blank and a time:  14:30   9:05   14:30:15   14：30 (a Chinese colon)
    … and after the time optionally an offset:  Z   +05:00   +0500   -03
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from .errors import InputError
from .i18n import N_, _
from .record import Record, setfield

__all__ = ["FORMS", "Moment", "check_not_future", "parse_date", "parse_moment"]

# What the help texts and error messages show as the accepted forms.
FORMS = N_("YYYY-MM-DD (or 2026-3-1, 2026/3/1, today, yesterday)")
# The nouns the command line names a date by (cli.MomentType), said in the reader's language.
_NOUNS = frozenset({N_("a date"), N_("a date and time"), N_("submission date")})

_DAY = (
    r"(?:(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|(?P<cy>\d{4})\s*年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*[日号]?"
    r"|(?P<word>today|yesterday|今天|今日|昨天|昨日|前天))"
)
# The colon also as a Chinese input mode types it (14：30).
_TIME = r"(?:[T ]\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)"
_OFFSET = r"(?:\s*(?P<z>Z)|\s*(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)"
# Compiled when first matched (re keeps it), not at import: most commands parse no date.
_MOMENT = rf"{_DAY}(?:{_TIME}{_OFFSET}?)?"
_DAYS_BACK = {"today": 0, "yesterday": 1, "今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}


class Moment(Record):
    """A day, maybe a time of day, maybe a UTC offset, as typed; not yet placed in a zone.

    ``day`` is None for "today"/"yesterday" (``days_back`` 0 or 1), which only mean
    something once the zone and the clock are known.
    """

    text: str
    day: date | None
    days_back: int
    time_of_day: time | None
    offset: timezone | None

    __slots__ = ("text", "day", "days_back", "time_of_day", "offset")

    def __init__(
        self,
        text: str,
        day: date | None = None,
        days_back: int = 0,
        time_of_day: time | None = None,
        offset: timezone | None = None,
    ) -> None:
        setfield(self, "text", text)
        setfield(self, "day", day)
        setfield(self, "days_back", days_back)
        setfield(self, "time_of_day", time_of_day)
        setfield(self, "offset", offset)

    def local_day(self, *, now: datetime, zone: tzinfo) -> date:
        """The day as written, with today/yesterday taken in ``zone`` at ``now``."""
        if self.day is not None:
            return self.day
        return now.astimezone(zone).date() - timedelta(days=self.days_back)

    def on_day(self, *, now: datetime, zone: tzinfo) -> tuple[date, time | None]:
        """The local date and wall-clock time in ``zone``: a time with an offset is converted
        there (so the date can move), a time without one is already ``zone``'s."""
        day = self.local_day(now=now, zone=zone)
        if self.time_of_day is None or self.offset is None:
            return day, self.time_of_day
        local = _convert(self.text, datetime.combine(day, self.time_of_day, self.offset), zone)
        return local.date(), local.time()

    def instant(self, *, now: datetime, zone: tzinfo) -> datetime:
        """An aware datetime: with an offset as typed, otherwise ``zone``'s wall clock (a date
        alone is its start, 00:00)."""
        day = self.local_day(now=now, zone=zone)
        moment = datetime.combine(day, self.time_of_day or time(0), self.offset or zone)
        _convert(self.text, moment, UTC)  # refuses 0001-01-01T00:00+05:00, which is year 0 in UTC
        return moment


def parse_moment(text: str, *, noun: str = "a date") -> Moment:
    """Read a date with an optional time and offset (see the module docstring); InputError if not."""
    cleaned = text.strip()
    match = re.fullmatch(_MOMENT, cleaned, re.IGNORECASE)
    bad = InputError(
        _(
            "%(text)s is not %(noun)s; use %(forms)s, with an optional time as in 2026-03-01T14:30",
            text=repr(text),
            noun=_(noun) if noun in _NOUNS else noun,
            forms=_(FORMS),
        )
    )
    if match is None:
        raise bad
    g = match.groupdict()
    try:
        if g["y"]:
            day: date | None = date(int(g["y"]), int(g["m"]), int(g["d"]))
        elif g["cy"]:
            day = date(int(g["cy"]), int(g["cm"]), int(g["cd"]))
        else:
            day = None
        at = None
        if g["H"] is not None:
            micro = int((g["f"] or "0").ljust(6, "0"))
            at = time(int(g["H"]), int(g["M"]), int(g["S"] or 0), micro)
        offset = None
        if g["z"]:
            offset = UTC
        elif g["sign"]:
            delta = timedelta(hours=int(g["oh"]), minutes=int(g["om"] or 0))
            offset = timezone(-delta if g["sign"] == "-" else delta)
    except ValueError:
        raise bad from None
    days_back = _DAYS_BACK[g["word"].lower()] if g["word"] else 0
    return Moment(text=cleaned, day=day, days_back=days_back, time_of_day=at, offset=offset)


def parse_date(text: str) -> date:
    """A calendar date without a clock: 2026-03-01, 2026-3-1 or 2026/3/1 (not today/yesterday)."""
    try:
        moment: Moment | None = parse_moment(text)
    except InputError:  # its words offer today, yesterday and a time, which a date does not take
        moment = None
    if moment is None or moment.day is None or moment.time_of_day is not None:
        raise InputError(
            _(
                "%(text)s is not a date; use YYYY-MM-DD (or 2026-3-1, 2026/3/1), e.g. 2026-03-01",
                text=repr(text),
            )
        )
    return moment.day


def check_not_future(day: date, *, now: datetime, zone: tzinfo, what: str = "submission date") -> None:
    """Refuse a date after today in ``zone``: a typo there would silently push every reminder out."""
    today = now.astimezone(zone).date()
    if day > today:
        raise InputError(
            _(
                "the %(what)s %(day)s is in the future (today is %(today)s in %(zone)s); "
                "pass --future if that is right",
                what=_(what) if what in _NOUNS else what,
                day=day.isoformat(),
                today=today.isoformat(),
                zone=zone,
            )
        )


def _convert(text: str, moment: datetime, zone: tzinfo) -> datetime:
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):
        raise InputError(
            _("%(text)s is out of range once converted to %(zone)s", text=repr(text), zone=zone)
        ) from None
