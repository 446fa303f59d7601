"""The curated Bahrain layer: shipped data, the days-in-lieu rule, and how entries apply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

import reminder.calendar as calendar_mod
import reminder.overrides as overrides_mod
from reminder import holiday_years
from reminder.errors import ConfigError
from reminder.overrides import (
    CountryOverrides,
    HolidayDay,
    OverrideEntry,
    _parse_file,
    entries_for_year,
    load_overrides,
)

FRI_SAT = frozenset({4, 5})


def _days(name: str, *days: date, estimated: bool = False) -> list[HolidayDay]:
    return [HolidayDay(d, name, estimated) for d in days]


def _rule_only() -> CountryOverrides:
    shipped = load_overrides("BH")
    assert shipped is not None and shipped.rule is not None
    return CountryOverrides("BH", frozenset(), (), shipped.rule, shipped.rule_source)


def test_shipped_bahrain_data_has_sources_and_statuses() -> None:
    bh = load_overrides("BH")
    assert bh is not None
    assert {2025, 2026} <= bh.announced_years
    assert bh.entries
    for e in bh.entries:
        assert e.source and e.status in ("announced", "rule")
        assert e.start <= e.end
    assert load_overrides("US") is None


def test_rule_reproduces_the_2025_circulars() -> None:
    # holidays 0.109's 2025 dates; the circulars gave Arafat Thu 5 Jun, Eid al-Adha days in
    # lieu Mon 9 and Tue 10 Jun, and Ashura's day in lieu Mon 7 Jul.
    hols = (
        _days("Eid al-Fitr", date(2025, 3, 30), date(2025, 3, 31), date(2025, 4, 1))
        + _days("Eid al-Adha", date(2025, 6, 6), date(2025, 6, 7), date(2025, 6, 8))
        + _days("Ashura", date(2025, 7, 5), date(2025, 7, 6))
        + _days("National Day", date(2025, 12, 16), date(2025, 12, 17))
    )
    got = entries_for_year(_rule_only(), 2025, hols, FRI_SAT)
    assert [e.start for e in got] == [date(2025, 6, 5), date(2025, 6, 9), date(2025, 6, 10), date(2025, 7, 7)]
    assert all(e.status == "rule" and e.tentative for e in got)
    shipped = load_overrides("BH")
    assert shipped is not None
    announced = {d for e in shipped.entries if e.start.year == 2025 for d in (e.start, e.end)}
    assert {e.start for e in got} <= announced


def test_rule_does_not_compensate_a_weekend_arafat_day() -> None:
    # 2014: Arafat Fri 3 Oct, Eid Sat 4 – Mon 6; the circular made up only the Saturday (Tue 7).
    hols = _days("Eid al-Adha", date(2014, 10, 4), date(2014, 10, 5), date(2014, 10, 6))
    got = entries_for_year(_rule_only(), 2014, hols, FRI_SAT)
    assert [(e.start, e.name.split(" (")[0]) for e in got] == [
        (date(2014, 10, 3), "Arafat Day"),
        (date(2014, 10, 7), "Eid al-Adha day in lieu"),
    ]


def test_rule_ashura_on_friday_and_saturday_2023() -> None:
    # The 2023 circular: Ashura Fri 28 – Sat 29 Jul, days in lieu Sun 30 and Mon 31 Jul.
    got = entries_for_year(_rule_only(), 2023, _days("Ashura", date(2023, 7, 28), date(2023, 7, 29)), FRI_SAT)
    assert [e.start for e in got] == [date(2023, 7, 30), date(2023, 7, 31)]


def test_rule_marks_estimated_predictions() -> None:
    hols = _days("Eid al-Adha (estimated)", date(2027, 5, 16), date(2027, 5, 17), estimated=True)
    (arafat,) = entries_for_year(_rule_only(), 2027, hols, FRI_SAT)
    assert arafat.start == date(2027, 5, 15)
    assert arafat.name == "Arafat Day (estimated; not yet announced)"


def test_parse_rejects_entries_without_source_or_with_bad_status() -> None:
    with pytest.raises(ConfigError, match="source"):
        _parse_file("XX", '[[add]]\ndate = "2026-01-05"\nname = "x"\n', "XX.toml")
    with pytest.raises(ConfigError, match="status"):
        _parse_file(
            "XX", '[[add]]\ndate = "2026-01-05"\nname = "x"\nsource = "s"\nstatus = "maybe"\n', "XX.toml"
        )
    with pytest.raises(ConfigError, match="ISO date"):
        _parse_file("XX", '[[add]]\ndate = "5 Jan"\nname = "x"\nsource = "s"\n', "XX.toml")


@pytest.fixture
def fake_us_overrides(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    text = """
announced_years = [2026]
[[add]]
date = "2026-03-10"
name = "Federal offices closed (storm)"
source = "OPM announcement (test)"
[[remove]]
date = "2026-07-03"
name = "Independence Day (observed) not observed"
source = "test"
"""
    parsed = _parse_file("US", text, "US.toml")
    # The calendar imports overrides.py when it computes a year: patched where it is defined.
    monkeypatch.setattr(overrides_mod, "load_overrides", lambda c: parsed if c == "US" else None)
    holiday_years.load_year.cache_clear()
    calendar_mod._cached_calendar.cache_clear()
    calendar_mod._calendar_for.cache_clear()
    yield
    holiday_years.load_year.cache_clear()
    calendar_mod._cached_calendar.cache_clear()
    calendar_mod._calendar_for.cache_clear()


@pytest.mark.usefixtures("fake_us_overrides")
def test_added_and_removed_entries_apply_and_are_reported() -> None:
    us = calendar_mod.get_calendar("US")
    assert not us.is_business_day(date(2026, 3, 10))
    assert us.day_reason(date(2026, 3, 10)) == "Federal offices closed (storm)"
    assert us.is_business_day(date(2026, 7, 3))  # the removed holiday counts again
    used = us.overrides_used(date(2026, 3, 1), date(2026, 7, 31))
    assert len(used) == 2 and used[0].startswith("US +2026-03-10") and used[1].startswith("US -2026-07-03")


def test_describe_names_the_source() -> None:
    e = OverrideEntry("BH", date(2026, 5, 26), date(2026, 5, 26), "Arafat Day", "add", "rule", "practice")
    assert e.describe() == "BH +2026-05-26 Arafat Day [rule: practice]"
    assert e.tentative and e.covers(date(2026, 5, 26))
