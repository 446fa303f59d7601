"""The ``holidays`` package's answers for one country and year, as the calendar uses them.

A year becomes a :class:`YearDays`: a flag per day (a business day or not), why each other day
is not (a weekend, a holiday's name, an official closure from :mod:`reminder.overrides`)
or is despite a weekend (a make-up working day), which of those are tentative (an
estimated lunar date, a predicted closure), and what the package's data lacks for it.
:mod:`reminder.calendar` lays the years side by side and counts across them.

The package is imported only where a year is computed (its import costs more than an
everyday command): a year once computed is kept in the cache ``calendar.use_holiday_cache``
installs (``holiday_cache.py``: a file between processes), as is the package's version,
:data:`HOLIDAYS_VERSION`, which every result records.

Pure: no clock, no I/O beyond reading package data and the cache it is given.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache, lru_cache

from .i18n import N_
from .lazylog import get_logger
from .models import REASON_CODES
from .record import Record, setfield

TYPE_CHECKING = False  # typing is for mypy: a window or an add does not import it (issue #20)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    from .models import ReasonCode
    from .overrides import HolidayDay, OverrideEntry

__all__ = [
    "HOLIDAYS_VERSION",
    "MAKE_UP_REASON",
    "MISSING_HOLIDAYS_WARNING",
    "NO_HOLIDAYS_WARNING",
    "REFERENCE_YEARS",
    "WEEKDAY_NAMES",
    "HolidayCache",
    "YearDays",
    "closed_year",
    "holiday_cache",
    "holiday_class",
    "holidays_package",
    "install_cache",
    "load_year",
    "package_language",
    "show_estimated_options",
]

log = get_logger(__name__)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
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
REFERENCE_YEARS = (2024, 2025, 2026)
REFERENCE_YEAR = REFERENCE_YEARS[-1]
# Days in lieu that exist only when a holiday meets a weekend (Japan's "Substitute Holiday")
# come and go by weekday, so their absence says nothing about missing data.
_IRREGULAR = r"substitute|alternative|observed|in lieu|bridge"  # compiled when first used (re keeps it)


# --- holidays, one year at a time -----------------------------------------------------------------


class YearDays(Record):
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


def install_cache(cache: HolidayCache | None) -> None:
    """Keep the years and the version in ``cache`` from now on (``calendar.use_holiday_cache``
    calls this, and forgets the calendars it built from the old one)."""
    global _cache, _kept_years
    _cache = cache
    _kept_years = 0
    _holidays_version.cache_clear()
    load_year.cache_clear()


def holidays_package() -> ModuleType:
    import holidays

    return holidays


@cache
def holiday_class(country: str) -> type[Any]:
    _load_country(country)
    return type(holidays_package().country_holidays(country))


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
    path = os.path.join(os.path.dirname(str(holidays_package().__file__)), "countries", f"{modules[0]}.py")
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
def show_estimated_options(country: str) -> dict[str, Any]:
    # Each lunar-calendar mixin has its own "<calendar>_show_estimated" switch, some off by
    # default (Chinese); switch them all on so every estimated date is labelled as such.
    from inspect import signature  # once per country, where a calendar is built

    options: dict[str, Any] = {}
    for klass in holiday_class(country).__mro__:
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
    cls = holiday_class(country)
    if not cls.start_year <= year <= cls.end_year:
        return frozenset()
    obj = holidays_package().country_holidays(
        country, subdiv=subdivision, years=year, language=package_language(cls)
    )
    return frozenset(_norm_name(n) for d in obj for n in obj.get_list(d))


def calendar_name(name: str, language: str | None) -> str:
    """A holiday's name as the calendar keeps it, from the package's name in ``language``:
    an en_US name with its dates written as every other date reminder prints (China's "Day off
    (substituted from 09/20/2026)" → "… from 2026-09-20"; every en_US catalogue of the package
    writes %m/%d/%Y)."""
    if language != "en_US" or "/" not in name:
        return name
    return re.sub(r"\b(\d{2})/(\d{2})/(\d{4})\b", r"\3-\1-\2", name)


def package_language(cls: type[Any]) -> str | None:
    langs = getattr(cls, "supported_languages", ())
    for lang in ("en_US", "en_GB", "en"):
        if lang in langs:
            return lang
    return None


# How many years one process adds to the cache it installed. Every later command reads the cache file whole,
# and a window of years (--max-days 100000, a submission in year 1) computes hundreds of them:
# kept, they made every command after it slower for good (12 MB: +170 ms each). A command needs
# one to three years; what a process computes beyond these is for it alone.
KEPT_YEARS_PER_PROCESS = 8
_kept_years = 0


@lru_cache(maxsize=512)
def load_year(country: str, subdivision: str | None, year: int) -> YearDays:
    global _kept_years
    cache, key = _cache, f"year {country} {subdivision or ''} {year}"
    if cache is not None:
        found = _year_from_data(cache.get(key), year)
        if found is not None:
            return found
    computed = _compute_year(country, subdivision, year)
    if cache is not None and _kept_years < KEPT_YEARS_PER_PROCESS:
        _kept_years += 1
        cache.put(key, _year_to_data(computed))
    return computed


def _year_to_data(y: YearDays) -> dict[str, Any]:
    return {
        "business": y.business.hex(),
        "reasons": {str(o): r for o, r in y.reasons.items()},
        "codes": {str(o): c for o, c in y.codes.items()},
        "tentative": {str(o): t for o, t in y.tentative.items()},
        "overrides": [list(o) for o in y.overrides],
        "warning": y.warning,
    }


def _year_from_data(data: Any, year: int) -> YearDays | None:
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
        return YearDays(
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


def _compute_year(country: str, subdivision: str | None, year: int) -> YearDays:
    from .overrides import HolidayDay, entries_for_year, load_overrides  # tomllib and resources: here

    cls = holiday_class(country)
    language = package_language(cls)
    obj = holidays_package().country_holidays(
        country,
        subdiv=subdivision,
        years=year,
        language=language,
        **show_estimated_options(country),
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
            holiday_days.append(HolidayDay(d, calendar_name(name, language), is_estimated(name)))

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
    return YearDays(
        year=year,
        business=bytes(business),
        reasons=reasons,
        codes=codes,
        tentative=tentative,
        overrides=tuple((e.start.toordinal(), e.end.toordinal(), e.describe()) for e in entries),
        warning=warning,
    )


def closed_year(year: int) -> YearDays:
    """A year a closure covers whole: no business day, and no need for its holidays.

    Its estimated holidays are not listed as tentative: a holiday that moves by a few
    days stays inside the closure, so its date cannot move a window.
    """
    n_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    return YearDays(
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
    if year > REFERENCE_YEAR:
        usual = frozenset.intersection(*(_country_names(country, subdivision, y) for y in REFERENCE_YEARS))
        missing = {name for name in usual - names if not re.search(_IRREGULAR, name, re.IGNORECASE)}
        if missing:
            return MISSING_HOLIDAYS_WARNING % {
                "version": _holidays_version(),
                "year": year,
                "names": ", ".join(sorted(missing)),
                "where": where,
            }
    return None
