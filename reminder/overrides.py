"""Official closures that the ``holidays`` package lacks, applied on top of it.

Two layers, per country:

* **announced** entries, shipped in ``reminder/data/overrides/<CC>.toml``: closures
  added (a day in lieu, Arafat Day, …) and holidays removed, each with the circular,
  gazette or official page it comes from. A year listed in ``announced_years`` uses
  exactly these entries.
* a **rule**, for years whose list is not announced yet: the practice as a rule (in
  Bahrain: Arafat Day is off, and an Eid, Ashura or National Day falling on a
  Friday or Saturday is made up on the next working day). Days a rule produces are
  tentative: they are what the practice predicts, not what a circular said.

Everything here is pure: the TOML files are package data read once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Literal

from .errors import ConfigError
from .i18n import N_
from .lazylog import get_logger

__all__ = [
    "CountryOverrides",
    "HolidayDay",
    "OverrideEntry",
    "entries_for_year",
    "load_overrides",
]

log = get_logger(__name__)

Action = Literal["add", "remove"]
Status = Literal["announced", "rule"]


@dataclass(frozen=True, slots=True)
class OverrideEntry:
    """One curated change to a country's holidays: a closure added or a holiday removed."""

    country: str
    start: date
    end: date
    name: str
    action: Action
    status: Status
    source: str

    @property
    def tentative(self) -> bool:
        # A rule predicts what the government usually does; only a circular makes it certain.
        return self.status == "rule"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def describe(self) -> str:
        """One line that lets a result be reproduced: ``BH +2026-05-26 Arafat Day [announced: …]``."""
        span = self.start.isoformat() if self.start == self.end else f"{self.start}..{self.end}"
        sign = "+" if self.action == "add" else "-"
        return f"{self.country} {sign}{span} {self.name} [{self.status}: {self.source}]"


@dataclass(frozen=True, slots=True)
class HolidayDay:
    """A public holiday as the rule sees it: its date, English name and whether it is estimated."""

    date: date
    name: str
    estimated: bool = False


Rule = Callable[[int, Sequence[HolidayDay], frozenset[int]], list[OverrideEntry]]


@dataclass(frozen=True, slots=True)
class CountryOverrides:
    """A country's curated entries and the rule for years without an announced list."""

    country: str
    announced_years: frozenset[int]
    entries: tuple[OverrideEntry, ...]
    rule: Rule | None = None
    rule_source: str = ""


# --- Bahrain ---------------------------------------------------------------------------------------

_BH_COMPENSATED = ("Eid al-Fitr", "Eid al-Adha", "Ashura", "National Day")


def _base_name(name: str) -> str:
    # "Eid al-Adha (estimated)" → "Eid al-Adha": the rule matches on the holiday, not its certainty.
    return name.split(" (", 1)[0].strip()


def _bh_rule(year: int, holidays: Sequence[HolidayDay], weekend: frozenset[int]) -> list[OverrideEntry]:
    """Bahrain's practice, for a year whose circulars are not out yet.

    Arafat Day (9 Dhu al-Hijjah, the eve of Eid al-Adha) is a public holiday; for each
    day of Eid al-Fitr, Eid al-Adha, Ashura or National Day that falls on the Friday–
    Saturday weekend, the Civil Service Bureau grants a day in lieu on the next working
    day after the holiday block.
    """
    source = _RULE_SOURCES["BH"]
    entries: list[OverrideEntry] = []
    by_date = {h.date: h for h in holidays if h.date.year == year}
    off: set[date] = set(by_date)

    adha = sorted(d for d, h in by_date.items() if _base_name(h.name) == "Eid al-Adha")
    if adha:
        arafat = adha[0] - timedelta(days=1)
        estimated = by_date[adha[0]].estimated
        label = "Arafat Day (estimated; not yet announced)" if estimated else "Arafat Day (not yet announced)"
        if arafat not in off:
            entries.append(OverrideEntry("BH", arafat, arafat, label, "add", "rule", source))
            off.add(arafat)

    for holiday in _BH_COMPENSATED:
        # Arafat Day itself is not compensated: in 2014 and 2022 Arafat fell on a Friday and
        # only the Saturday Eid day got a day in lieu.
        days = sorted(d for d, h in by_date.items() if _base_name(h.name) == holiday)
        lost = [d for d in days if d.weekday() in weekend]
        if not lost:
            continue
        cursor = max(days)
        for _ in lost:
            cursor += timedelta(days=1)
            while cursor.weekday() in weekend or cursor in off:
                cursor += timedelta(days=1)
            off.add(cursor)
            estimated = any(by_date[d].estimated for d in days if d in by_date)
            what = "estimated; not yet announced" if estimated else "not yet announced"
            entries.append(
                OverrideEntry("BH", cursor, cursor, f"{holiday} day in lieu ({what})", "add", "rule", source)
            )
    return entries


# Where each rule comes from: English, kept so in every window's overrides; a person reads it
# translated (explain.override_text), so it is marked for the catalogue.
_RULE_SOURCES = {
    "BH": N_(
        "practice of the Prime Minister's holiday circulars (Eid al-Adha 2014, 2022, 2025; Ashura 2017, "
        "2023, 2025; Eid al-Fitr 2016, 2026): Arafat Day off, each Eid/Ashura/National Day day on Fri/Sat "
        "made up on the next working day"
    ),
}
_RULES: dict[str, Rule] = {"BH": _bh_rule}


# --- loading ---------------------------------------------------------------------------------------


def _parse_date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not an ISO date") from exc


def _parse_file(country: str, text: str, where: str) -> CountryOverrides:
    data = tomllib.loads(text)
    years = frozenset(int(y) for y in data.get("announced_years", []))
    entries: list[OverrideEntry] = []
    actions: tuple[Action, ...] = ("add", "remove")
    for action in actions:
        key = action
        for i, raw in enumerate(data.get(key, [])):
            here = f"{where} [{key}] #{i + 1}"
            start = _parse_date(raw["date"], here)
            end = _parse_date(raw.get("end", raw["date"]), here)
            status = raw.get("status", "announced")
            if status not in ("announced", "rule"):
                raise ConfigError(f"{here}: status must be announced or rule, not {status!r}")
            if not raw.get("source"):
                raise ConfigError(f"{here}: every entry needs a source")
            entries.append(
                OverrideEntry(country, start, end, str(raw["name"]), action, status, str(raw["source"]))
            )
    return CountryOverrides(
        country=country,
        announced_years=years,
        entries=tuple(sorted(entries, key=lambda e: (e.start, e.action))),
        rule=_RULES.get(country),
        rule_source=_RULE_SOURCES.get(country, ""),
    )


@cache
def load_overrides(country: str) -> CountryOverrides | None:
    """The curated layer for ``country`` (ISO code), or ``None`` when there is none."""
    country = country.upper()
    # The package's own file, found as i18n.py finds the catalogues (importlib.resources would
    # import zipfile, tempfile and shutil first).
    path = os.path.join(os.path.dirname(__file__), "data", "overrides", f"{country}.toml")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return _parse_file(country, text, f"overrides/{country}.toml")
    if country in _RULES:
        return CountryOverrides(country, frozenset(), (), _RULES[country], _RULE_SOURCES[country])
    return None


def entries_for_year(
    overrides: CountryOverrides,
    year: int,
    holidays: Sequence[HolidayDay],
    weekend: frozenset[int],
) -> list[OverrideEntry]:
    """The override entries that apply to ``year``: the announced list, else the rule's prediction."""
    if year in overrides.announced_years:
        return [e for e in overrides.entries if e.start.year == year or e.end.year == year]
    listed = [e for e in overrides.entries if e.start.year == year or e.end.year == year]
    if overrides.rule is None:
        return listed
    predicted = overrides.rule(year, holidays, weekend)
    # Entries shipped for a not-yet-announced year (e.g. one circular already out) win over the rule.
    known = {(e.start, e.action) for e in listed}
    return listed + [e for e in predicted if (e.start, e.action) not in known]
