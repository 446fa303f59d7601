"""Business days of a country: weekends, public holidays, make-up working days, closures.

:func:`get_calendar` returns a cached :class:`BusinessCalendar` for an ISO 3166
country code and optional subdivision. It is built from the ``holidays`` package
(the country's own weekend, its holidays and its make-up working days), the
curated official closures of :mod:`reminder.overrides` on top, and the user's
closures on top of both.

Each year is turned once into a bytes flag per day; the loaded years form one
contiguous run with a cumulative count of business days, so counting and adding
business days is a bisect, not a day-by-day walk. Neighbouring years load lazily
when a computation crosses a year end.

Closures are kept as sorted runs of days, never expanded day by day: each is clipped
to the years loaded, a computation that runs into one jumps to its end, and a year a
closure covers whole is not looked up in ``holidays`` at all. So a closure costs what
it covers inside the span a computation reaches, whatever its length: one from
0001-01-01 to 9999-12-31 is an immediate "no business day", not a walk to year 9998.

A holiday on an estimated date (lunar calendars) and a closure predicted by a rule
rather than announced are *tentative*; :meth:`BusinessCalendar.tentative_days`
lists those a span crosses. Years the ``holidays`` package has no (or incomplete)
data for are reported by :meth:`BusinessCalendar.warnings`.

The ``holidays`` package's data for one year is :mod:`reminder.holiday_years`'s, and which
countries and subdivisions exist (and how a person may spell them) is
:mod:`reminder.countries`'.

Pure: no clock, no I/O beyond reading package data.
"""

from __future__ import annotations

import itertools
from _thread import allocate_lock
from bisect import bisect_left, bisect_right
from datetime import date
from functools import lru_cache
from itertools import accumulate

from .countries import validated
from .errors import InputError
from .holiday_years import (
    YearDays,
    closed_year,
    holiday_cache,
    install_cache,
    load_year,
)
from .i18n import _
from .lazylog import get_logger
from .models import Closure, DayInfo, TentativeDay
from .record import Record, setfield

# typing is for mypy: a window or an add does not import it (issue #20).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from .models import ReasonCode

__all__ = [
    "HOLIDAYS_VERSION",
    "BusinessCalendar",
    "HolidayCache",
    "get_calendar",
    "holiday_cache",
    "parse_closure",
    "use_holiday_cache",
]

log = get_logger(__name__)

if TYPE_CHECKING:
    from .holiday_years import HolidayCache

    HOLIDAYS_VERSION: str


def __getattr__(name: str) -> Any:
    if name == "HOLIDAYS_VERSION":  # the data a result comes from (holiday_years.py reads it once asked)
        from . import holiday_years

        return holiday_years.HOLIDAYS_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MIN_YEAR, _MAX_YEAR = 1, 9998
_FIRST_DAY, _LAST_DAY = date(_MIN_YEAR, 1, 1).toordinal(), date(_MAX_YEAR, 12, 31).toordinal()


# --- closures as runs of days ---------------------------------------------------------------------


class _Closed(Record):
    """A calendar's closures as ordinal runs, sorted and disjoint.

    ``starts/ends/labels``: where closures overlap, the one given later names the day (as
    when each closure's days were written over the previous ones). ``spans``: the same days
    with touching runs merged, for "how far does the closed stretch from here reach".
    """

    starts: list[int]
    ends: list[int]
    labels: list[str]
    span_starts: list[int]
    span_ends: list[int]

    __slots__ = ("starts", "ends", "labels", "span_starts", "span_ends")

    def __init__(
        self,
        starts: list[int],
        ends: list[int],
        labels: list[str],
        span_starts: list[int],
        span_ends: list[int],
    ) -> None:
        setfield(self, "starts", starts)
        setfield(self, "ends", ends)
        setfield(self, "labels", labels)
        setfield(self, "span_starts", span_starts)
        setfield(self, "span_ends", span_ends)

    def label(self, o: int) -> str | None:
        i = bisect_right(self.starts, o) - 1
        return self.labels[i] if i >= 0 and self.ends[i] >= o else None

    def stretch(self, o: int) -> tuple[int, int] | None:
        """The first and last day of the closed stretch that holds day ``o``, or None."""
        i = bisect_right(self.span_starts, o) - 1
        return (self.span_starts[i], self.span_ends[i]) if i >= 0 and self.span_ends[i] >= o else None

    def overlapping(self, lo: int, hi: int) -> Iterable[tuple[int, int]]:
        """The runs' parts inside ``[lo, hi]``."""
        for i in range(max(0, bisect_left(self.span_ends, lo)), len(self.span_starts)):
            if self.span_starts[i] > hi:
                break
            yield max(lo, self.span_starts[i]), min(hi, self.span_ends[i])


def _closed_runs(closures: Sequence[Closure]) -> _Closed:
    """Sweep the closures' ends in order, O(k log k) for k closures, whatever their lengths."""
    if not closures:  # most cases have none: no heap to import (heapq, ~0.4 ms of `add`)
        return _Closed([], [], [], [], [])
    import heapq

    points = sorted({p for c in closures for p in (c.start.toordinal(), c.end.toordinal() + 1)})
    by_start = sorted(range(len(closures)), key=lambda i: closures[i].start)
    active: list[tuple[int, int]] = []  # (-index, end + 1): the latest closure on top
    starts: list[int] = []
    ends: list[int] = []
    labels: list[str] = []
    nxt = 0
    for here, there in itertools.pairwise(points):
        while nxt < len(by_start) and closures[by_start[nxt]].start.toordinal() <= here:
            i = by_start[nxt]
            heapq.heappush(active, (-i, closures[i].end.toordinal() + 1))
            nxt += 1
        while active and active[0][1] <= here:
            heapq.heappop(active)
        if not active:
            continue
        label = closures[-active[0][0]].label
        if ends and ends[-1] == here - 1 and labels[-1] == label:
            ends[-1] = there - 1
        else:
            starts.append(here)
            ends.append(there - 1)
            labels.append(label)
    span_starts: list[int] = []
    span_ends: list[int] = []
    for a, b in zip(starts, ends, strict=True):
        if span_ends and span_ends[-1] == a - 1:
            span_ends[-1] = b
        else:
            span_starts.append(a)
            span_ends.append(b)
    return _Closed(starts, ends, labels, span_starts, span_ends)


# --- the calendar ----------------------------------------------------------------------------------


class _Run(Record):
    """Contiguous loaded years: flags, cumulative counts and what explains them."""

    first_year: int
    last_year: int
    # ordinal of 1 January of first_year
    base: int
    flags: bytes
    # cum[i] = business days among base..base+i inclusive
    cum: list[int]
    reasons: Mapping[int, str]
    codes: Mapping[int, ReasonCode]
    tentative_ordinals: list[int]
    tentative_names: Mapping[int, str]
    override_starts: list[int]
    override_ends: list[int]
    override_texts: list[str]
    # days of the longest entry, so a bisect on starts finds overlaps
    override_longest: int
    # year → what holidays lacks for it
    warnings: Mapping[int, str]

    __slots__ = (
        "first_year",
        "last_year",
        "base",
        "flags",
        "cum",
        "reasons",
        "codes",
        "tentative_ordinals",
        "tentative_names",
        "override_starts",
        "override_ends",
        "override_texts",
        "override_longest",
        "warnings",
    )

    def __init__(
        self,
        first_year: int,
        last_year: int,
        base: int,
        flags: bytes,
        cum: list[int],
        reasons: Mapping[int, str],
        codes: Mapping[int, ReasonCode],
        tentative_ordinals: list[int],
        tentative_names: Mapping[int, str],
        override_starts: list[int],
        override_ends: list[int],
        override_texts: list[str],
        override_longest: int,
        warnings: Mapping[int, str],
    ) -> None:
        setfield(self, "first_year", first_year)
        setfield(self, "last_year", last_year)
        setfield(self, "base", base)
        setfield(self, "flags", flags)
        setfield(self, "cum", cum)
        setfield(self, "reasons", reasons)
        setfield(self, "codes", codes)
        setfield(self, "tentative_ordinals", tentative_ordinals)
        setfield(self, "tentative_names", tentative_names)
        setfield(self, "override_starts", override_starts)
        setfield(self, "override_ends", override_ends)
        setfield(self, "override_texts", override_texts)
        setfield(self, "override_longest", override_longest)
        setfield(self, "warnings", warnings)


class BusinessCalendar:
    """Business days of one country (and subdivision), with closures applied."""

    __slots__ = ("_closed", "_closures", "_lock", "_run", "_years", "country", "subdivision")

    def __init__(
        self, country: str, subdivision: str | None = None, closures: Sequence[Closure] = ()
    ) -> None:
        self.country = country
        self.subdivision = subdivision
        self._closures = tuple(closures)
        self._closed = _closed_runs(self._closures)
        self._years: dict[int, YearDays] = {}
        self._lock = allocate_lock()
        self._run: _Run | None = None

    def __repr__(self) -> str:
        sub = f", subdivision={self.subdivision!r}" if self.subdivision else ""
        return f"BusinessCalendar({self.country!r}{sub}, closures={len(self._closures)})"

    # -- loading --

    def _ensure(self, first_year: int, last_year: int) -> _Run:
        run = self._run
        if run is not None and run.first_year <= first_year and last_year <= run.last_year:
            return run
        if first_year < _MIN_YEAR or last_year > _MAX_YEAR:
            raise InputError(
                _("dates must lie between %(first)d and %(last)d", first=_MIN_YEAR, last=_MAX_YEAR)
            )
        with self._lock:
            run = self._run
            if run is not None:
                first_year = min(first_year, run.first_year)
                last_year = max(last_year, run.last_year)
            for year in range(first_year, last_year + 1):
                if year not in self._years:
                    self._years[year] = (
                        closed_year(year)
                        if self._closed_whole(year)
                        else load_year(self.country, self.subdivision, year)
                    )
            self._run = run = self._build(first_year, last_year)
        return run

    def _build(self, first_year: int, last_year: int) -> _Run:
        years = [self._years[y] for y in range(first_year, last_year + 1)]
        base = date(first_year, 1, 1).toordinal()
        flags = bytearray(b"".join(y.business for y in years))
        reasons: dict[int, str] = {}
        codes: dict[int, ReasonCode] = {}
        tentative: dict[int, str] = {}
        overrides: list[tuple[int, int, str]] = []
        for y in years:
            reasons.update(y.reasons)
            codes.update(y.codes)
            tentative.update(y.tentative)
            # An entry spanning New Year belongs to both years; list it once.
            overrides.extend(o for o in y.overrides if o not in overrides)
        # Only the closed days inside the loaded years are written; their labels are looked
        # up in self._closed, never stored per day.
        for lo, hi in self._closed.overlapping(base, base + len(flags) - 1):
            flags[lo - base : hi - base + 1] = bytes(hi - lo + 1)
        overrides.sort()
        t_ord = sorted(tentative)
        warnings = {y.year: y.warning for y in years if y.warning is not None}
        return _Run(
            first_year=first_year,
            last_year=last_year,
            base=base,
            flags=bytes(flags),
            cum=list(accumulate(flags)),
            reasons=reasons,
            codes=codes,
            tentative_ordinals=t_ord,
            tentative_names=tentative,
            override_starts=[o for o, _, _ in overrides],
            override_ends=[e for _, e, _ in overrides],
            override_texts=[t for _, _, t in overrides],
            override_longest=max((e - o + 1 for o, e, _ in overrides), default=0),
            warnings=warnings,
        )

    def _closed_whole(self, year: int) -> bool:
        stretch = self._closed.stretch(date(year, 1, 1).toordinal())
        return stretch is not None and stretch[1] >= date(year, 12, 31).toordinal()

    def _past_closures(self, run: _Run, d: date, n: int) -> int:
        """The year to load up to (``n`` > 0) or back to (``n`` < 0) for ``n`` business days from
        ``d`` that the loaded run does not hold: past a closed stretch at its edge in one step.

        Raises InputError when closures cover every day from there to the calendar's end.
        """
        cum, i = run.cum, d.toordinal() - run.base
        if n > 0:
            edge = run.base + len(run.flags)  # the first day after the run
            have, more = cum[-1] - cum[i], n - (cum[-1] - cum[i])
            stretch = self._closed.stretch(edge)
            if stretch is not None and stretch[1] >= _LAST_DAY:
                self._raise_shut(d, n, have, max(stretch[0], d.toordinal() + 1))
            beyond = edge if stretch is None else stretch[1] + 1
            # Roughly how many more years are needed, at ≥ 1 business day a week.
            return min(date.fromordinal(beyond).year + max(1, more // 52 + 1) - 1, _MAX_YEAR + 1)
        edge = run.base - 1  # the last day before the run
        have = cum[i - 1] if i > 0 else 0
        more = -n - have
        stretch = self._closed.stretch(edge) if edge >= _FIRST_DAY else None
        if stretch is not None and stretch[0] <= _FIRST_DAY:
            self._raise_shut(d, n, have, min(stretch[1], d.toordinal() - 1))
        beyond = edge if stretch is None else stretch[0] - 1
        if beyond < _FIRST_DAY:
            return _MIN_YEAR - 1
        return max(date.fromordinal(beyond).year - max(1, more // 52 + 1) + 1, _MIN_YEAR - 1)

    @staticmethod
    def _raise_shut(d: date, n: int, have: int, shut: int) -> None:
        values = {"day": d, "shut": date.fromordinal(shut), "have": have, "n": abs(n)}
        if n > 0 and have == 0:
            text = _("no business day after %(day)s: closures cover every day from %(shut)s on", **values)
        elif n > 0:
            text = _(
                "only %(have)d of %(n)d business days after %(day)s: closures cover every day "
                "from %(shut)s on",
                **values,
            )
        elif have == 0:
            text = _("no business day before %(day)s: closures cover every day up to %(shut)s", **values)
        else:
            text = _(
                "only %(have)d of %(n)d business days before %(day)s: closures cover every day "
                "up to %(shut)s",
                **values,
            )
        raise InputError(text)

    def _run_for(self, d: date) -> _Run:
        run = self._run
        if run is not None and run.first_year <= d.year <= run.last_year:
            return run
        return self._ensure(d.year, d.year)

    # -- queries --

    def is_business_day(self, d: date) -> bool:
        run = self._run_for(d)
        return run.flags[d.toordinal() - run.base] == 1

    def add_business_days(self, d: date, n: int) -> date:
        """The ``n``-th business day after ``d`` (before it if ``n`` < 0); ``d`` itself never counts.

        ``n == 0`` returns ``d`` unchanged.
        """
        if n == 0:
            return d
        o = d.toordinal()
        run = self._run
        if run is None or not run.first_year <= d.year <= run.last_year:
            run = self._ensure(d.year, d.year)
        while True:
            i = o - run.base
            cum = run.cum
            if n > 0:
                target = cum[i] + n
                if target <= cum[-1]:
                    return date.fromordinal(run.base + bisect_left(cum, target, i))
                run = self._ensure(run.first_year, self._past_closures(run, d, n))
            else:
                before = cum[i - 1] if i > 0 else 0
                target = before + n + 1
                if i > 0 and target >= 1:
                    return date.fromordinal(run.base + bisect_left(cum, target, 0, i))
                run = self._ensure(self._past_closures(run, d, n), run.last_year)

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in ``(start, end]`` (negative when ``end`` is before ``start``)."""
        if end < start:
            return -self.business_days_between(end, start)
        run = self._ensure(start.year, end.year)
        return run.cum[end.toordinal() - run.base] - run.cum[start.toordinal() - run.base]

    def day_reason(self, d: date) -> str | None:
        """Why ``d`` is not a business day, why it is one despite a weekend, or ``None``."""
        run = self._run_for(d)
        o = d.toordinal()
        return self._closed.label(o) or run.reasons.get(o)

    def explain(self, start: date, end: date) -> list[DayInfo]:
        """Every day in ``(start, end]``: business or not, its count from ``start``, and why."""
        if end <= start:
            return []
        run = self._ensure(start.year, end.year)
        base, flags, reasons, tentative = run.base, run.flags, run.reasons, run.tentative_names
        closed = self._closed.label if self._closed.starts else lambda _o: None
        codes = run.codes
        out: list[DayInfo] = []
        count = 0
        for o in range(start.toordinal() + 1, end.toordinal() + 1):
            business = flags[o - base] == 1
            if business:
                count += 1
            label = closed(o)
            out.append(
                DayInfo(
                    date=date.fromordinal(o),
                    business=business,
                    count=count if business else None,
                    reason=label or reasons.get(o),
                    tentative=o in tentative,
                    code="closure" if label else codes.get(o),
                )
            )
        return out

    def tentative_days(self, start: date, end: date) -> list[TentativeDay]:
        """Estimated holidays and predicted closures in ``(start, end]``."""
        if end <= start:
            return []
        run = self._ensure(start.year, end.year)
        ords = run.tentative_ordinals
        lo = bisect_right(ords, start.toordinal())
        hi = bisect_right(ords, end.toordinal())
        if lo == hi:
            return []
        names = run.tentative_names
        return [TentativeDay(date.fromordinal(o), names[o]) for o in ords[lo:hi]]

    def overrides_used(self, start: date, end: date) -> list[str]:
        """The curated override entries (described) with a day in ``(start, end]``."""
        if end <= start:
            return []
        run = self._ensure(start.year, end.year)
        return list(_overrides_in(run, start.toordinal(), end.toordinal()))

    def warnings(self, start: date, end: date) -> list[str]:
        """What the data behind ``[start, end]`` lacks (years ``holidays`` does not cover)."""
        lo, hi = min(start, end).year, max(start, end).year
        run = self._ensure(lo, hi)
        if not run.warnings:
            return []
        return [w for y in range(lo, hi + 1) if (w := run.warnings.get(y)) is not None]

    def span(
        self, start: date, first: int, last: int
    ) -> tuple[date, date, tuple[TentativeDay, ...], tuple[str, ...], tuple[str, ...]]:
        """The ``first``-th and ``last``-th business days after ``start`` (``0 < first <= last``),
        with the tentative days, override entries and warnings of ``(start, last-th]``.

        One call for what a review window needs, so computing windows in bulk stays cheap.
        """
        opens = self.add_business_days(start, first)
        end = self.add_business_days(opens, last - first) if last != first else opens
        run = self._run
        assert run is not None  # add_business_days loaded every year of the span
        lo_o, hi_o = start.toordinal(), end.toordinal()
        ords = run.tentative_ordinals
        lo = bisect_right(ords, lo_o)
        hi = bisect_right(ords, hi_o)
        tentative: tuple[TentativeDay, ...] = ()
        if lo != hi:
            names = run.tentative_names
            tentative = tuple(TentativeDay(date.fromordinal(o), names[o]) for o in ords[lo:hi])
        ov = _overrides_in(run, lo_o, hi_o) if run.override_starts else ()
        warn: tuple[str, ...] = ()
        if run.warnings:
            warn = tuple(w for y in range(start.year, end.year + 1) if (w := run.warnings.get(y)) is not None)
        return opens, end, tentative, ov, warn


def _overrides_in(run: _Run, lo: int, hi: int) -> tuple[str, ...]:
    """Descriptions of the override entries with a day in ``(lo, hi]`` (ordinals)."""
    starts = run.override_starts
    a = bisect_right(starts, lo - run.override_longest)
    b = bisect_right(starts, hi)
    if a == b:
        return ()
    ends, texts = run.override_ends, run.override_texts
    return tuple(texts[i] for i in range(a, b) if ends[i] > lo)


# --- construction and validation -------------------------------------------------------------------


@lru_cache(maxsize=256)
def _cached_calendar(
    country: str, subdivision: str | None, closures: tuple[Closure, ...]
) -> BusinessCalendar:
    return BusinessCalendar(country, subdivision, closures)


def use_holiday_cache(cache: HolidayCache | None) -> None:
    """Keep the holidays package's results in ``cache`` from now on (None: compute them each time).

    With every year a command needs in it, the package is not even imported (~60 ms).
    """
    install_cache(cache)
    validated.cache_clear()
    _calendar_for.cache_clear()
    _cached_calendar.cache_clear()


def get_calendar(
    country: str, subdivision: str | None = None, closures: Sequence[Closure] = ()
) -> BusinessCalendar:
    """The business calendar of ``country`` (ISO code) and ``subdivision``, with ``closures``.

    Raises :class:`~reminder.errors.UnknownCountry` naming the closest valid codes.
    """
    return _calendar_for(country, subdivision, closures if isinstance(closures, tuple) else tuple(closures))


@lru_cache(maxsize=1024)
def _calendar_for(country: str, subdivision: str | None, closures: tuple[Closure, ...]) -> BusinessCalendar:
    # Keyed on the caller's spelling; "bh" and "BH" share one calendar through _cached_calendar.
    code, sub = validated(country, subdivision)
    return _cached_calendar(code, sub, closures)


# --- closures from text ----------------------------------------------------------------------------


def parse_closure(text: str) -> Closure:
    """``2026-03-10``, ``2026-03-10..2026-03-12`` or either with ``=label`` → a :class:`Closure`."""
    raw = text.strip()
    spec, _sep, label = raw.partition("=")
    label = label.strip()
    first, dots, last = spec.strip().partition("..")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if dots else start
    except ValueError:
        raise InputError(
            _(
                "bad closure %(text)s: use YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, optionally =label",
                text=repr(text),
            )
        ) from None
    if end < start:
        raise InputError(_("bad closure %(text)s: the range ends before it starts", text=repr(text)))
    if not label:
        label = "closure" if start == end else f"closure {start}..{end}"
    return Closure(start=start, end=end, label=label)
