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

Pure: no clock, no I/O beyond reading package data.
"""

from __future__ import annotations

import itertools
import re
from _thread import allocate_lock
from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from functools import cache, lru_cache
from itertools import accumulate

from .errors import InputError, UnknownCountry
from .i18n import N_, _, pgettext
from .lazylog import get_logger
from .models import REASON_CODES, Closure, DayInfo, TentativeDay
from .record import Record, setfield

# typing is for mypy: a window or an add does not import it (issue #20).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, Protocol

    from .models import ReasonCode
    from .overrides import HolidayDay, OverrideEntry

__all__ = [
    "HOLIDAYS_VERSION",
    "BusinessCalendar",
    "CountryInfo",
    "HolidayCache",
    "get_calendar",
    "holiday_cache",
    "list_countries",
    "parse_closure",
    "use_holiday_cache",
]

log = get_logger(__name__)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LIST_HINT = N_("run 'reminder countries' to list them all")
MAKE_UP_REASON = "make-up working day"
# What the data behind a result lacks (BusinessCalendar.warnings), in English: the words are
# marked for translation, and explain.warning_text says them in the reader's language.
NO_HOLIDAYS_WARNING = N_(
    "holidays %(version)s has no public holidays for %(where)s in %(year)s (it covers %(span)s); "
    "only weekends were left out"
)
MISSING_HOLIDAYS_WARNING = N_(
    "holidays %(version)s has no %(year)s date for %(names)s in %(where)s "
    "(not yet published or past its tables); those days were counted as business days"
)

# Years holidays 0.109 covers completely for the countries it knows. A holiday present in
# every one of them but missing from a later year most likely ran past the package's
# tables (lunar dates, China's yearly arrangement), which a result must say rather than
# count as work days. Requiring all three keeps out holidays that only occur some years
# (Korea's substitute holidays, Japan's bridge day, election days).
_REFERENCE_YEARS = (2024, 2025, 2026)
_REFERENCE_YEAR = _REFERENCE_YEARS[-1]
# Days in lieu that exist only when a holiday meets a weekend (Japan's "Substitute Holiday")
# come and go by weekday, so their absence says nothing about missing data.
_IRREGULAR = r"substitute|alternative|observed|in lieu|bridge"  # compiled when first used (re keeps it)
_MIN_YEAR, _MAX_YEAR = 1, 9998
_FIRST_DAY, _LAST_DAY = date(_MIN_YEAR, 1, 1).toordinal(), date(_MAX_YEAR, 12, 31).toordinal()


class CountryInfo(Record):
    """A country ``reminder window`` supports."""

    code: str
    name: str
    weekend: tuple[str, ...]
    subdivisions: Mapping[str, str]

    __slots__ = ("code", "name", "weekend", "subdivisions")

    def __init__(
        self,
        code: str,
        name: str,
        weekend: tuple[str, ...],
        subdivisions: Mapping[str, str] | None = None,
    ) -> None:
        setfield(self, "code", code)
        setfield(self, "name", name)
        setfield(self, "weekend", weekend)
        setfield(self, "subdivisions", {} if subdivisions is None else subdivisions)


# --- holidays, one year at a time -----------------------------------------------------------------


class _Year(Record):
    """One year of one country/subdivision, before user closures."""

    year: int
    # 1 = business day, one byte per day from 1 January
    business: bytes
    # ordinal → why not a business day (or why one despite a weekend)
    reasons: Mapping[int, str]
    # ordinal → what kind of reason (explain.py words it)
    codes: Mapping[int, ReasonCode]
    # ordinal → estimated holiday / predicted closure name
    tentative: Mapping[int, str]
    # (first, last ordinal, description) of entries applied
    overrides: tuple[tuple[int, int, str], ...]
    warning: str | None

    __slots__ = ("year", "business", "reasons", "codes", "tentative", "overrides", "warning")

    def __init__(
        self,
        year: int,
        business: bytes,
        reasons: Mapping[int, str],
        codes: Mapping[int, ReasonCode],
        tentative: Mapping[int, str],
        overrides: tuple[tuple[int, int, str], ...],
        warning: str | None,
    ) -> None:
        setfield(self, "year", year)
        setfield(self, "business", business)
        setfield(self, "reasons", reasons)
        setfield(self, "codes", codes)
        setfield(self, "tentative", tentative)
        setfield(self, "overrides", overrides)
        setfield(self, "warning", warning)


# ``import holidays`` (its package, not a country) costs ~40 ms: imported where a calendar is
# built, not where this module is only read for its constants (explain.py, show, list).
if TYPE_CHECKING:
    from types import ModuleType

    HOLIDAYS_VERSION: str


def __getattr__(name: str) -> Any:
    if name == "HOLIDAYS_VERSION":  # the data a result comes from; read from the package once asked for
        return _holidays_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _holidays_version() -> str:
    cache = _cache
    found = cache.get("version") if cache is not None else None
    if isinstance(found, str):
        return found
    from holidays.version import __version__

    if cache is not None:
        cache.put("version", str(__version__))
    return str(__version__)


if TYPE_CHECKING:

    class HolidayCache(Protocol):
        """Where what the holidays package computed (a year's days, a valid code, its version) is
        kept between processes, keyed by strings; the caller owns its storage (holiday_cache.py)
        and its key's validity (the package's and reminder's files)."""

        def get(self, key: str) -> Any: ...

        def put(self, key: str, value: Any) -> None: ...


_cache: HolidayCache | None = None
_REASON_CODES = frozenset(REASON_CODES)


def holiday_cache() -> HolidayCache | None:
    """The cache :func:`use_holiday_cache` installed (holiday_names.py keeps its names there too)."""
    return _cache


def use_holiday_cache(cache: HolidayCache | None) -> None:
    """Keep the holidays package's results in ``cache`` from now on (None: compute them each time).

    With every year a command needs in it, the package is not even imported (~60 ms).
    """
    global _cache
    _cache = cache
    _holidays_version.cache_clear()
    _load_year.cache_clear()
    _validated.cache_clear()
    _calendar_for.cache_clear()
    _cached_calendar.cache_clear()


def _holidays() -> ModuleType:
    import holidays

    return holidays


@cache
def _holiday_class(country: str) -> type[Any]:
    _load_country(country)
    return type(_holidays().country_holidays(country))


def _load_country(country: str) -> None:
    """Import the one module that defines ``country``'s holidays.

    ``holidays.countries``' ``__init__`` imports all of them (~250 modules, 0.1 s), and
    importing ``holidays.countries.<name>`` runs it first; loaded by its file instead, under
    its own name, the module is the one holidays' lazy loader and a later import of the whole
    package find in ``sys.modules``.
    """
    import importlib.util
    import os
    import sys

    from holidays.registry import COUNTRIES

    modules = [module for module, (_class, alpha2, *_aliases) in COUNTRIES.items() if alpha2 == country]
    if not modules:
        return  # not a code holidays knows: its own lookup says so
    name = f"holidays.countries.{modules[0]}"
    if name in sys.modules or "holidays.countries" in sys.modules:
        return
    path = os.path.join(os.path.dirname(str(_holidays().__file__)), "countries", f"{modules[0]}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[name]
        raise


@cache
def _show_estimated_options(country: str) -> dict[str, Any]:
    # Each lunar-calendar mixin has its own "<calendar>_show_estimated" switch, some off by
    # default (Chinese); switch them all on so every estimated date is labelled as such.
    from inspect import signature  # once per country, where a calendar is built

    options: dict[str, Any] = {}
    for klass in _holiday_class(country).__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = signature(init).parameters
        except (TypeError, ValueError):
            continue
        options.update({name: True for name in params if name.endswith("_show_estimated")})
    return options


def _label_pattern(label: str) -> re.Pattern[str] | None:
    if "%s" not in label:
        return None
    return re.compile(re.escape(label).replace(re.escape("%s"), "(.+)", 1) + r"\Z")


def _norm_name(name: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", name).strip()


@lru_cache(maxsize=64)
def _country_names(country: str, subdivision: str | None, year: int) -> frozenset[str]:
    """Normalised holiday names of a year: what a complete year of this country has."""
    cls = _holiday_class(country)
    if not cls.start_year <= year <= cls.end_year:
        return frozenset()
    obj = _holidays().country_holidays(country, subdiv=subdivision, years=year, language=_language(cls))
    return frozenset(_norm_name(n) for d in obj for n in obj.get_list(d))


def _language(cls: type[Any]) -> str | None:
    langs = getattr(cls, "supported_languages", ())
    for lang in ("en_US", "en_GB", "en"):
        if lang in langs:
            return lang
    return None


@lru_cache(maxsize=512)
def _load_year(country: str, subdivision: str | None, year: int) -> _Year:
    cache, key = _cache, f"year {country} {subdivision or ''} {year}"
    if cache is not None:
        found = _year_from_data(cache.get(key), year)
        if found is not None:
            return found
    computed = _compute_year(country, subdivision, year)
    if cache is not None:
        cache.put(key, _year_to_data(computed))
    return computed


def _year_to_data(y: _Year) -> dict[str, Any]:
    return {
        "business": y.business.hex(),
        "reasons": {str(o): r for o, r in y.reasons.items()},
        "codes": {str(o): c for o, c in y.codes.items()},
        "tentative": {str(o): t for o, t in y.tentative.items()},
        "overrides": [list(o) for o in y.overrides],
        "warning": y.warning,
    }


def _year_from_data(data: Any, year: int) -> _Year | None:
    """A year as the cache kept it; None for anything else (then it is computed again)."""
    if not isinstance(data, dict):
        return None
    try:
        business = bytes.fromhex(data["business"])
        if len(business) != date(year + 1, 1, 1).toordinal() - date(year, 1, 1).toordinal():
            return None
        codes = {int(o): c for o, c in data["codes"].items()}
        if not set(codes.values()) <= _REASON_CODES:
            return None
        warning = data["warning"]
        return _Year(
            year=year,
            business=business,
            reasons={int(o): str(r) for o, r in data["reasons"].items()},
            codes=codes,
            tentative={int(o): str(t) for o, t in data["tentative"].items()},
            overrides=tuple((int(a), int(b), str(t)) for a, b, t in data["overrides"]),
            warning=None if warning is None else str(warning),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _compute_year(country: str, subdivision: str | None, year: int) -> _Year:
    from .overrides import HolidayDay, entries_for_year, load_overrides  # tomllib and resources: here

    cls = _holiday_class(country)
    obj = _holidays().country_holidays(
        country,
        subdiv=subdivision,
        years=year,
        language=_language(cls),
        **_show_estimated_options(country),
    )
    patterns = [
        p
        for label in (getattr(obj, "estimated_label", None), getattr(obj, "observed_estimated_label", None))
        if label
        for p in [_label_pattern(obj.tr(label))]
        if p is not None
    ]

    def is_estimated(name: str) -> bool:
        return any(p.match(name) for p in patterns)

    first = date(year, 1, 1)
    n_days = (date(year + 1, 1, 1) - first).days
    get_weekend = getattr(obj, "_get_weekend", None)  # date-dependent weekends (Gulf states' changes)

    holiday_days: list[HolidayDay] = []
    for d in sorted(obj):
        if d.year != year:
            continue
        for name in obj.get_list(d):
            holiday_days.append(HolidayDay(d, name, is_estimated(name)))

    def weekend_of(d: date) -> frozenset[int]:
        return frozenset(get_weekend(d) if get_weekend is not None else obj.weekend)

    mid_weekend = weekend_of(date(year, 7, 1))
    overrides = load_overrides(country)
    entries: list[OverrideEntry] = (
        entries_for_year(overrides, year, holiday_days, mid_weekend) if overrides is not None else []
    )
    added = {
        o: e for e in entries if e.action == "add" for o in range(e.start.toordinal(), e.end.toordinal() + 1)
    }
    removed = {
        o: e
        for e in entries
        if e.action == "remove"
        for o in range(e.start.toordinal(), e.end.toordinal() + 1)
    }
    names: dict[int, list[HolidayDay]] = {}
    for h in holiday_days:
        names.setdefault(h.date.toordinal(), []).append(h)
    make_up = {d.toordinal() for d in obj.weekend_workdays if d.year == year}

    business = bytearray(n_days)
    reasons: dict[int, str] = {}
    codes: dict[int, ReasonCode] = {}
    tentative: dict[int, str] = {}
    for i in range(n_days):
        d = first + timedelta(days=i)
        o = d.toordinal()
        entry = added.get(o)
        if entry is not None:
            reasons[o] = entry.name
            codes[o] = "official_closure"
            if entry.tentative:
                tentative[o] = entry.name
            continue
        hols = names.get(o)
        if hols and o not in removed:
            reasons[o] = "; ".join(h.name for h in hols)
            codes[o] = "holiday"
            estimated = [h.name for h in hols if h.estimated]
            if estimated:
                tentative[o] = "; ".join(estimated)
            continue
        if d.weekday() in weekend_of(d):
            if o in make_up:
                business[i] = 1
                reasons[o] = MAKE_UP_REASON
                codes[o] = "make_up"
            else:
                reasons[o] = f"weekend ({WEEKDAY_NAMES[d.weekday()]})"
                codes[o] = "weekend"
            continue
        business[i] = 1

    names_this_year = frozenset(_norm_name(h.name) for h in holiday_days)
    warning = _year_warning(country, subdivision, year, cls, names_this_year)
    return _Year(
        year=year,
        business=bytes(business),
        reasons=reasons,
        codes=codes,
        tentative=tentative,
        overrides=tuple((e.start.toordinal(), e.end.toordinal(), e.describe()) for e in entries),
        warning=warning,
    )


def _closed_year(year: int) -> _Year:
    """A year a closure covers whole: no business day, and no need for its holidays.

    Its estimated holidays are not listed as tentative: a holiday that moves by a few
    days stays inside the closure, so its date cannot move a window.
    """
    n_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    return _Year(
        year=year, business=bytes(n_days), reasons={}, codes={}, tentative={}, overrides=(), warning=None
    )


def _year_warning(
    country: str, subdivision: str | None, year: int, cls: type[Any], names: frozenset[str]
) -> str | None:
    where = country + (f"-{subdivision}" if subdivision else "")
    if year < cls.start_year or year > cls.end_year:
        span = f"{cls.start_year}–{cls.end_year}"
        return NO_HOLIDAYS_WARNING % {
            "version": _holidays_version(),
            "where": where,
            "year": year,
            "span": span,
        }
    if year > _REFERENCE_YEAR:
        usual = frozenset.intersection(*(_country_names(country, subdivision, y) for y in _REFERENCE_YEARS))
        missing = {name for name in usual - names if not re.search(_IRREGULAR, name, re.IGNORECASE)}
        if missing:
            return MISSING_HOLIDAYS_WARNING % {
                "version": _holidays_version(),
                "year": year,
                "names": ", ".join(sorted(missing)),
                "where": where,
            }
    return None


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
        self._years: dict[int, _Year] = {}
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
                        _closed_year(year)
                        if self._closed_whole(year)
                        else _load_year(self.country, self.subdivision, year)
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


def _camel_to_words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


@lru_cache(maxsize=1)
def _supported() -> dict[str, tuple[str, ...]]:
    # Imports every country's module (about 250, 0.1-0.2 s): only for listing and for errors.
    return {
        code: tuple(subs)
        for code, subs in _holidays().list_supported_countries(include_aliases=False).items()
    }


@lru_cache(maxsize=1)
def _canonical_codes() -> dict[str, str]:
    """Every country code and alias ("UK", "GBR") to its ISO alpha-2 code ("GB"), read from
    holidays' registry without importing any country's module."""
    from holidays.registry import COUNTRIES

    out: dict[str, str] = {}
    for _class_name, alpha2, *aliases in COUNTRIES.values():
        for code in (alpha2, *aliases):
            if 2 <= len(code) <= 3:  # the rest are class-name aliases ("HolidaysAX")
                out.setdefault(code, alpha2)
    return out


def _country_name(code: str) -> str:
    cls = _holiday_class(code)
    for klass in cls.__mro__:
        if klass.__name__ != code and len(klass.__name__) > 3 and "Holiday" not in klass.__name__:
            return _camel_to_words(klass.__name__)
    return code


def _closest(value: str, choices: Iterable[str], names: Mapping[str, str] | None = None) -> list[str]:
    import difflib  # here: only a code that is not a country's needs suggestions

    choices = list(choices)
    found = difflib.get_close_matches(value.upper(), choices, n=5, cutoff=0.5)
    if names:
        by_name = {n.lower(): c for c, n in names.items()}
        for n in difflib.get_close_matches(value.lower(), list(by_name), n=3, cutoff=0.6):
            if by_name[n] not in found:
                found.append(by_name[n])
    return found[:5]


def _validate(country: str, subdivision: str | None) -> tuple[str, str | None]:
    code = country.strip().upper()
    if subdivision is None and "-" in code:
        code, subdivision = code.split("-", 1)
    canonical = _canonical_codes()
    if code not in canonical:
        supported = _supported()
        names = {c: _country_name(c) for c in supported}
        by_name = {n.lower(): c for c, n in names.items()}
        if country.strip().lower() in by_name:
            code = by_name[country.strip().lower()]
        else:
            close = _closest(country, supported, names)
            if close:
                raise UnknownCountry(
                    _(
                        "unknown country %(value)s (closest: %(codes)s; %(hint)s)",
                        value=repr(country),
                        codes=pgettext("list separator", ", ").join(close),
                        hint=_(LIST_HINT),
                    )
                )
            raise UnknownCountry(
                _("unknown country %(value)s (%(hint)s)", value=repr(country), hint=_(LIST_HINT))
            )
    # An alias such as "UK" or "GBR": the canonical code, so caches and output agree.
    code = canonical.get(code, code)
    if subdivision is None or subdivision == "":
        return code, None
    cls = _holiday_class(code)
    valid = tuple(cls.subdivisions)
    sub = subdivision.strip()
    if sub.upper() in valid:
        return code, sub.upper()
    aliases: Mapping[str, str] = getattr(cls, "subdivisions_aliases", {})
    for alias, target in aliases.items():
        if alias.lower() == sub.lower():
            return code, target
    if not valid:
        raise UnknownCountry(
            _(
                "country %(code)s has no subdivisions, got %(value)s (%(hint)s)",
                code=code,
                value=repr(subdivision),
                hint=_(LIST_HINT),
            )
        )
    close = _closest(sub, valid, {v: a for a, v in aliases.items()})
    values = {
        "value": repr(subdivision),
        "code": code,
        "codes": pgettext("list separator", ", ").join(close or valid[:12]),
        "hint": _(LIST_HINT),
    }
    if close:
        raise UnknownCountry(
            _("unknown subdivision %(value)s of %(code)s (closest: %(codes)s; %(hint)s)", **values)
        )
    raise UnknownCountry(
        _("unknown subdivision %(value)s of %(code)s (valid: %(codes)s; %(hint)s)", **values)
    )


@lru_cache(maxsize=256)
def _cached_calendar(
    country: str, subdivision: str | None, closures: tuple[Closure, ...]
) -> BusinessCalendar:
    return BusinessCalendar(country, subdivision, closures)


@lru_cache(maxsize=1024)
def _validated(country: str, subdivision: str | None) -> tuple[str, str | None]:
    cache, key = _cache, f"valid {country}" + ("" if subdivision is None else f" {subdivision}")
    found = cache.get(key) if cache is not None else None
    if isinstance(found, list) and len(found) == 2 and isinstance(found[0], str):
        return found[0], None if found[1] is None else str(found[1])
    code, sub = _validate(country, subdivision)  # only a valid pair is kept
    if cache is not None:
        cache.put(key, [code, sub])
    return code, sub


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
    code, sub = _validated(country, subdivision)
    return _cached_calendar(code, sub, closures)


def list_countries() -> list[CountryInfo]:
    """Every country the calendar supports, with its name, weekend and subdivisions."""
    out: list[CountryInfo] = []
    for code in sorted(_supported()):
        cls = _holiday_class(code)
        aliases: Mapping[str, str] = getattr(cls, "subdivisions_aliases", {})
        names = {target: alias for alias, target in aliases.items()}
        weekend = tuple(WEEKDAY_NAMES[d] for d in sorted(getattr(cls, "weekend", ())))
        subs = {s: names.get(s, s) for s in cls.subdivisions}
        out.append(CountryInfo(code=code, name=_country_name(code), weekend=weekend, subdivisions=subs))
    return out


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
