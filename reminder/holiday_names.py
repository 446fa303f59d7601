"""Holiday names in the reader's language.

The calendar names holidays in English (the ``holidays`` package's en_US names, and the
labels of :mod:`reminder.overrides`). :func:`holiday_name` gives the name in another
language:

1. from the ``holidays`` package itself where it translates that country into the language
   (China into zh_CN; Bahrain into ar): the same day's holidays in both languages, paired
   in order — which needs the ``day``;
2. else from reminder's own catalogue, ``data/holiday_names/<lang>.toml``: English name →
   name, per country, with patterns for the variants ("Eid al-Adha (estimated)", "Ashura
   day in lieu (not yet announced)");
3. else the English name. Never another script: a name the catalogue lacks does not fall
   back to the country's own language (Arabic for Bahrain) for a reader of Chinese.

:func:`usual_name` says a holiday named without a date (a data warning) the same way, with
the ``holidays`` package's name for it in the years it covers completely before English.

Pure: package data read once, and the ``holidays`` package.
"""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cache, lru_cache

from .i18n import SOURCE_LANGUAGE
from .record import Record, setfield

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["NAME_SEPARATOR", "HolidayNames", "holiday_name", "load_names", "usual_name"]

# The calendar joins the names of a day with several holidays this way (calendar.py).
NAME_SEPARATOR = "; "
_SEPARATORS = {"zh_CN": "；"}


class HolidayNames(Record):
    """One language's catalogue: exact names per country ("*": any) and patterns."""

    lang: str
    names: dict[str, dict[str, str]]
    patterns: tuple[tuple[re.Pattern[str], str], ...]

    __slots__ = ("lang", "names", "patterns")

    def __init__(
        self, lang: str, names: dict[str, dict[str, str]], patterns: tuple[tuple[re.Pattern[str], str], ...]
    ) -> None:
        setfield(self, "lang", lang)
        setfield(self, "names", names)
        setfield(self, "patterns", patterns)

    def lookup(self, name: str, country: str) -> str | None:
        """``name`` in this language, or None when the catalogue cannot say it."""
        for table in (self.names.get(country.upper(), {}), self.names.get("*", {})):
            if name in table:
                return table[name]
        for pattern, template in self.patterns:
            m = pattern.fullmatch(name)
            if m is not None:
                inner = self.lookup(m.group(1), country)
                if inner is not None:
                    return template.replace("%s", inner, 1)
        return None


def catalogue_path(lang: str) -> str:
    """Where reminder's catalogue for ``lang`` is (it may not exist)."""
    # The package's own file, found as i18n.py finds the catalogues: importlib.resources would
    # import zipfile, tempfile and shutil first (~5 ms of `reminder window` in Chinese).
    return os.path.join(os.path.dirname(__file__), "data", "holiday_names", f"{lang}.toml")


@cache
def load_names(lang: str) -> HolidayNames | None:
    """The catalogue for ``lang``, or None where reminder ships none."""
    # Kept in the calendar's holiday cache, whose file name stamps the catalogues: reading the
    # TOML imports tomllib (and typing with it), ~7 ms of `reminder window` in Chinese.
    from .holiday_years import holiday_cache

    cache, key = holiday_cache(), f"catalogue {lang}"
    kept = cache.get(key) if cache is not None else None
    if not _is_catalogue(kept):
        kept = _read_catalogue(lang)
        if cache is not None:
            cache.put(key, kept)
    if not kept:
        return None
    patterns = tuple(
        (re.compile(re.escape(pattern).replace(re.escape("%s"), "(.+)", 1)), template)
        for pattern, template in kept["patterns"]
    )
    return HolidayNames(lang=lang, names=kept["names"], patterns=patterns)


def _read_catalogue(lang: str) -> dict[str, Any]:
    """The catalogue file as plain data ({} where there is none): ``names`` per country, and
    ``patterns`` as [pattern, template] pairs, the longest first."""
    import tomllib

    try:
        with open(catalogue_path(lang), encoding="utf-8") as f:
            data = tomllib.loads(f.read())
    except FileNotFoundError:
        return {}
    raw_patterns: dict[str, str] = data.get("patterns", {})
    # The longest pattern first: "%s (observed, estimated)" before "%s (estimated)".
    ordered = sorted(raw_patterns.items(), key=lambda kv: len(kv[0]), reverse=True)
    names = {country.upper(): dict(table) for country, table in data["names"].items()}
    return {"names": names, "patterns": [list(kv) for kv in ordered]}


def _is_catalogue(kept: object) -> bool:
    """Whether what the cache holds is a catalogue as :func:`_read_catalogue` gives it."""
    if kept == {}:
        return True
    if not isinstance(kept, dict) or not isinstance(kept.get("names"), dict):
        return False
    patterns = kept.get("patterns")
    return isinstance(patterns, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p) for p in patterns
    )


def holiday_name(
    name: str,
    country: str,
    lang: str,
    *,
    day: date | None = None,
    subdivision: str | None = None,
) -> str:
    """``name`` (English, as the calendar gives it) in ``lang``; the English name when
    neither the ``holidays`` package nor reminder's catalogue has it in ``lang``.

    ``day`` lets the ``holidays`` package's own translation be used (its names for a
    day are paired in order); several names joined by ``"; "`` are translated one by one.
    """
    if lang == SOURCE_LANGUAGE or not name:
        return name
    translated = [_one(part, country, lang, day, subdivision) for part in _split(name)]
    return _SEPARATORS.get(lang, NAME_SEPARATOR).join(translated)


def _split(joined: str) -> list[str]:
    """The names the calendar joined with "; ", leaving a "; " inside brackets alone
    ("Arafat Day (estimated; not yet announced)" is one name)."""
    parts: list[str] = []
    depth = start = 0
    for i, ch in enumerate(joined):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and joined.startswith(NAME_SEPARATOR, i):
            parts.append(joined[start:i])
            start = i + len(NAME_SEPARATOR)
    parts.append(joined[start:])
    return parts


def _one(name: str, country: str, lang: str, day: date | None, subdivision: str | None) -> str:
    if day is not None:
        paired = _paired(country.upper(), subdivision, day.year, lang).get((day, name))
        if paired is not None:
            return paired
    names = load_names(lang)
    found = names.lookup(name, country) if names is not None else None
    return found if found is not None else name


def usual_name(name: str, country: str, lang: str, *, subdivision: str | None = None) -> str:
    """A holiday named without a date (a data warning: "no 2027 date for Day off") in ``lang``:
    reminder's catalogue, else the ``holidays`` package's own name for it in the years it
    covers completely, else the English name."""
    if lang == SOURCE_LANGUAGE or not name:
        return name
    names = load_names(lang)
    found = names.lookup(name, country) if names is not None else None
    if found is None:
        found = _by_name(country.upper(), subdivision, lang).get(name)
    return found if found is not None else name


def _bare(name: str) -> str:
    """A name without what its brackets say: "Day off (substituted from …)" → "Day off"."""
    return re.sub(r"\s*[(（][^()（）]*[)）]", "", name).strip()


@lru_cache(maxsize=64)
def _by_name(country: str, subdivision: str | None, lang: str) -> dict[str, str]:
    """{English name: name in ``lang``} of the holidays the ``holidays`` package translates,
    as named in the reference years, with and without their brackets; empty elsewhere."""
    from .holiday_years import REFERENCE_YEARS

    out: dict[str, str] = {}
    for year in REFERENCE_YEARS:
        for (_day, english), translated in _paired(country, subdivision, year, lang).items():
            out.setdefault(english, translated)
            out.setdefault(_bare(english), _bare(translated))
    return out


@lru_cache(maxsize=64)
def _paired(country: str, subdivision: str | None, year: int, lang: str) -> dict[tuple[date, str], str]:
    """{(day, English name): name in ``lang``} for a year, where ``holidays`` translates the
    country into ``lang``; empty elsewhere. Kept in the calendar's holiday cache, as the days
    are: ``window --explain`` in Chinese need not import the package every time (~60 ms)."""
    from .holiday_years import holiday_cache

    cache, key = holiday_cache(), f"names {country} {subdivision or ''} {year} {lang}"
    kept = cache.get(key) if cache is not None else None
    if isinstance(kept, list) and all(
        isinstance(row, list) and len(row) == 3 and all(isinstance(v, str) for v in row) for row in kept
    ):
        try:
            return {(date.fromisoformat(d), a): b for d, a, b in kept}
        except ValueError:
            pass  # damaged: computed again below
    out = _compute_paired(country, subdivision, year, lang)
    if cache is not None:
        cache.put(key, [[d.isoformat(), a, b] for (d, a), b in out.items()])
    return out


def _compute_paired(
    country: str, subdivision: str | None, year: int, lang: str
) -> dict[tuple[date, str], str]:
    import holidays

    # The calendar's own choices (its English, every estimated date labelled), so the
    # English side is exactly the names the calendar produced.
    from .holiday_years import calendar_name, holiday_class, package_language, show_estimated_options

    try:
        cls = holiday_class(country)
    except (KeyError, NotImplementedError):
        return {}
    english = package_language(cls)
    if lang not in getattr(cls, "supported_languages", ()) or english is None:
        return {}
    options = show_estimated_options(country)
    try:
        source = holidays.country_holidays(
            country, subdiv=subdivision, years=year, language=english, **options
        )
        target = holidays.country_holidays(country, subdiv=subdivision, years=year, language=lang, **options)
    except (KeyError, NotImplementedError):
        return {}
    out: dict[tuple[date, str], str] = {}
    for d in source:
        here, there = source.get_list(d), target.get_list(d)
        if len(here) == len(there):  # the same holidays in the same order; else do not guess
            out.update({(d, calendar_name(a, english)): b for a, b in zip(here, there, strict=True)})
    return out
