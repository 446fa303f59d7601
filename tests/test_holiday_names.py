"""Holiday names in Chinese: the `holidays` package's own (China), else reminder's catalogue.

These tests fail when a name the calendar can show has no Chinese: a new `holidays` release
that renames a holiday, or an override added to reminder/data/overrides without its
translation in reminder/data/holiday_names/zh_CN.toml.
"""

from __future__ import annotations

import gettext
import os
import re
from datetime import date
from pathlib import Path

import holidays
import pytest

from reminder.calendar import get_calendar
from reminder.holiday_names import holiday_name, load_names
from reminder.holiday_years import MAKE_UP_REASON
from reminder.overrides import load_overrides

LATIN = re.compile(r"[A-Za-z]")
ARABIC = re.compile(r"[\u0600-\u06ff]")
# Countries of the shipped overrides and presets (BH: overrides and the telecom preset; GB:
# telecom-uk), and Bahrain's neighbours whose regulators the letters will name (AE, SA).
CATALOGUED = ("BH", "GB", "AE", "SA")


def _holiday_days(country: str, first: int, last: int) -> list[tuple[date, str]]:
    """(day, name) of every day the calendar closes for a holiday or closure, as it names it."""
    cal = get_calendar(country)
    out = []
    for info in cal.explain(date(first, 1, 1), date(last, 12, 31)):
        if info.reason and not info.reason.startswith("weekend (") and info.reason != MAKE_UP_REASON:
            out.append((info.date, info.reason))
    return out


def _untranslated(country: str, pairs: list[tuple[date, str]]) -> list[str]:
    missing = []
    for day, name in pairs:
        zh = holiday_name(name, country, "zh_CN", day=day)
        if LATIN.search(zh) or ARABIC.search(zh):
            missing.append(f"{day} {name!r} → {zh!r}")
    return missing


def test_every_bahrain_holiday_2025_2027_is_in_chinese() -> None:
    days = _holiday_days("BH", 2025, 2027)
    names = {name for _, name in days}
    # The calendar's names: the package's, its estimated ones and the overrides' (announced and rule).
    assert {"Eid al-Fitr", "Eid al-Adha (estimated)", "Arafat Day", "National Day"} <= names
    assert any("not yet announced" in n for n in names)
    assert _untranslated("BH", days) == []
    # And every name the package itself gives for those years, even one an override replaced.
    for year in (2025, 2026, 2027):
        package = holidays.country_holidays("BH", years=year, language="en_US", islamic_show_estimated=True)
        assert _untranslated("BH", [(d, n) for d in package for n in package.get_list(d)]) == []


def test_the_words_a_reader_expects() -> None:
    expected = {
        "Eid al-Fitr": "开斋节",
        "Eid al-Adha": "宰牲节",
        "Arafat Day": "阿拉法特日",
        "Islamic New Year": "伊斯兰新年",
        "Ashura": "阿舒拉节",
        "Prophet's Birthday": "先知诞辰",
        "National Day": "国庆日",
        "Labor Day": "劳动节",
        "New Year's Day": "元旦",
        "Eid al-Adha (estimated)": "宰牲节（预计）",
        "Ashura day in lieu (estimated; not yet announced)": "阿舒拉节补休日（预计，尚未公布）",
        "Eid al-Adha days in lieu (Fri 6 and Sat 7 June)": "宰牲节补休日（补6月6日周五、6月7日周六）",
        "Islamic New Year (estimated); National Day": "伊斯兰新年（预计）；国庆日",
    }
    assert {name: holiday_name(name, "BH", "zh_CN") for name in expected} == expected


def test_every_override_label_is_in_chinese() -> None:
    bh = load_overrides("BH")
    assert bh is not None and bh.entries
    labels = [(e.start, e.name) for e in bh.entries]
    # The rule's labels, for years not announced yet (every Eid, Ashura and National Day on a weekend).
    labels += _holiday_days("BH", 2027, 2040)
    assert _untranslated("BH", labels) == []
    for path in (os.path.dirname(os.path.abspath(__file__)) + "/../reminder/data/overrides",):
        for file in os.listdir(path):
            country = file.removesuffix(".toml")
            overrides = load_overrides(country)
            assert overrides is not None
            assert _untranslated(country, [(e.start, e.name) for e in overrides.entries]) == []


@pytest.mark.parametrize("country", CATALOGUED)
def test_every_name_the_package_has_for_a_catalogued_country(country: str) -> None:
    """Every holiday name the installed `holidays` can produce for the country, in any year:
    its English catalogue's entries, with its "(estimated)"/"(observed)" templates applied."""
    folder = os.path.join(os.path.dirname(holidays.__file__), "locale")
    english = gettext.translation(country, folder, languages=["en_US"])
    # GNUTranslations keeps its entries in _catalog; there is no public way to list them.
    entries = [v for k, v in english._catalog.items() if k and isinstance(v, str)]  # type: ignore[attr-defined]
    templates = [v for v in entries if "%s" in v]
    names = [v for v in entries if "%s" not in v]
    assert names
    variants = names + [t % n for t in templates for n in names]
    assert _untranslated(country, [(date(2026, 1, 1), n) for n in variants]) == []


def test_china_uses_the_packages_own_chinese() -> None:
    days = _holiday_days("CN", 2026, 2026)
    by_day = {d: holiday_name(n, "CN", "zh_CN", day=d) for d, n in days}
    assert by_day[date(2026, 10, 1)] == "国庆节"
    assert by_day[date(2026, 2, 17)] == "春节"
    assert by_day[date(2026, 10, 6)] == "休息日（由 2026-09-20 调休）"
    assert _untranslated("CN", days) == []


def test_never_a_script_the_reader_did_not_choose() -> None:
    # A name the catalogue lacks stays English for a reader of Chinese, never Bahrain's Arabic.
    assert holiday_name("Victory Day", "BH", "zh_CN", day=date(2026, 12, 16)) == "Victory Day"
    assert holiday_name("Some Day (estimated)", "BH", "zh_CN") == "Some Day (estimated)"
    eid = date(2026, 3, 20)
    name = holiday_name("Eid al-Fitr", "BH", "zh_CN", day=eid)
    assert name == "开斋节" and not ARABIC.search(name)
    # A letter in Arabic (its reader chose it) gets the package's Arabic name for the day.
    assert ARABIC.search(holiday_name("Eid al-Fitr", "BH", "ar", day=eid))
    # Without the day, or where neither source has the language: the English name.
    assert holiday_name("Eid al-Fitr", "BH", "ar") == "Eid al-Fitr"
    assert holiday_name("Eid al-Fitr", "BH", "en", day=eid) == "Eid al-Fitr"
    assert holiday_name("", "BH", "zh_CN") == ""
    assert load_names("ar") is None


def test_names_the_calendar_joined_are_split_outside_brackets() -> None:
    assert holiday_name("National Day; Labor Day", "BH", "zh_CN") == "国庆日；劳动节"
    assert (
        holiday_name("Arafat Day (estimated; not yet announced)", "BH", "zh_CN")
        == "阿拉法特日（预计，尚未公布）"
    )
    assert holiday_name("Unknown; Labor Day", "BH", "zh_CN") == "Unknown；劳动节"


def test_the_catalogue_is_well_formed() -> None:
    names = load_names("zh_CN")
    assert names is not None
    for country, table in names.names.items():
        assert country == "*" or re.fullmatch(r"[A-Z]{2}", country)
        for english, chinese in table.items():
            assert english.strip() == english and chinese and not LATIN.search(chinese), (country, english)
    for pattern, template in names.patterns:
        assert "(.+)" in pattern.pattern and template.count("%s") == 1


def test_the_catalogue_is_kept_in_the_holiday_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command reads the catalogue from the holiday cache after the first: parsing its TOML
    imports tomllib (~7 ms of `reminder window` in Chinese)."""
    from reminder import holiday_names, holiday_years
    from reminder.holiday_cache import FileHolidayCache

    cache_file = tmp_path / "holidays-test.json"
    monkeypatch.setattr(holiday_years, "_cache", FileHolidayCache(str(cache_file), "stamp"))
    load_names.cache_clear()
    first = load_names("zh_CN")
    assert load_names("ar") is None
    holiday_years._cache.save()  # type: ignore[union-attr]
    assert first is not None and cache_file.exists()

    # A new process: a fresh cache object on the same file, and no way to read the TOML.
    monkeypatch.setattr(holiday_years, "_cache", FileHolidayCache(str(cache_file), "stamp"))
    load_names.cache_clear()

    def unread(lang: str) -> dict[str, object]:
        raise AssertionError(f"the {lang} catalogue was parsed again")

    monkeypatch.setattr(holiday_names, "_read_catalogue", unread)
    again = load_names("zh_CN")
    assert again == first
    assert (
        holiday_name("Arafat Day (estimated; not yet announced)", "BH", "zh_CN")
        == "阿拉法特日（预计，尚未公布）"
    )
    # A language without a catalogue is remembered as such, too.
    monkeypatch.setattr(holiday_names, "_read_catalogue", lambda lang: {})
    assert load_names("ar") is None
    load_names.cache_clear()


def test_a_changed_catalogue_starts_a_new_holiday_cache() -> None:
    from reminder.holiday_cache import holiday_cache_file
    from reminder.holiday_names import catalogue_path

    found = holiday_cache_file()
    if found is None:
        pytest.skip("no cache directory or no holidays package here")
    assert catalogue_path("zh_CN") in found[1]
