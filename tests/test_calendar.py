"""Business-day arithmetic against hand-checked dates, numpy and a plain day-by-day count."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminder.calendar import (
    HOLIDAYS_VERSION,
    get_calendar,
    parse_closure,
)
from reminder.countries import list_countries
from reminder.errors import InputError, UnknownCountry
from reminder.holiday_years import MAKE_UP_REASON
from reminder.models import Closure

# --- weekends, holidays and make-up days, from holidays' own data ---------------------------------


def test_bahrain_weekend_is_friday_and_saturday() -> None:
    bh = get_calendar("BH")
    assert not bh.is_business_day(date(2026, 3, 6))  # Friday
    assert not bh.is_business_day(date(2026, 3, 7))  # Saturday
    assert bh.is_business_day(date(2026, 3, 8))  # Sunday
    assert bh.day_reason(date(2026, 3, 6)) == "weekend (Friday)"
    assert bh.day_reason(date(2026, 3, 8)) is None


def test_china_make_up_working_days_count() -> None:
    cn = get_calendar("CN")
    for d in (date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert d.weekday() >= 5
        assert cn.is_business_day(d), d
        assert cn.day_reason(d) == MAKE_UP_REASON
    assert not cn.is_business_day(date(2026, 2, 17))  # Spring Festival
    assert "Spring Festival" in (cn.day_reason(date(2026, 2, 17)) or "")
    assert not cn.is_business_day(date(2026, 1, 10))  # an ordinary Saturday


def test_a_day_off_names_the_day_it_was_moved_from_as_iso() -> None:
    # The holidays package's en_US text says 09/20/2026; every other date reminder prints is ISO.
    cn = get_calendar("CN")
    assert cn.day_reason(date(2026, 10, 6)) == "Day off (substituted from 2026-09-20)"
    assert cn.day_reason(date(2026, 10, 7)) == "Day off (substituted from 2026-10-10)"


def test_subdivision_holidays_apply_only_there() -> None:
    # Corpus Christi (4 June 2026) is a holiday in Bavaria, not in Berlin.
    assert not get_calendar("DE", "BY").is_business_day(date(2026, 6, 4))
    assert get_calendar("DE", "BE").is_business_day(date(2026, 6, 4))


def test_us_observed_independence_day() -> None:
    us = get_calendar("US")
    assert not us.is_business_day(date(2026, 7, 3))
    assert "observed" in (us.day_reason(date(2026, 7, 3)) or "")


# --- adding and counting -------------------------------------------------------------------------


def test_add_business_days_skips_the_start_day_and_zero_is_identity() -> None:
    bh = get_calendar("BH")
    thu = date(2026, 3, 5)
    assert bh.add_business_days(thu, 1) == date(2026, 3, 8)  # over the Fri–Sat weekend
    assert bh.add_business_days(thu, 0) == thu
    assert bh.add_business_days(date(2026, 3, 8), -1) == thu
    # From a weekend day, the first business day before it is the Thursday.
    assert bh.add_business_days(date(2026, 3, 7), -1) == thu


def test_year_end_crossing_both_ways() -> None:
    gb = get_calendar("GB", "ENG")
    # Thu 24 Dec 2026 → Christmas (Fri), Boxing Day substitute (Mon 28) → Tue 29 Dec.
    assert gb.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # Tue 29, Wed 30, Thu 31, (1 Jan holiday, weekend) Mon 4 Jan 2027.
    assert gb.add_business_days(date(2026, 12, 24), 4) == date(2027, 1, 4)
    assert gb.add_business_days(date(2027, 1, 4), -4) == date(2026, 12, 24)
    assert gb.business_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 4
    assert gb.business_days_between(date(2027, 1, 4), date(2026, 12, 24)) == -4


def test_long_spans_load_many_years() -> None:
    us = get_calendar("US")
    far = us.add_business_days(date(2026, 1, 1), 2600)  # about ten years
    assert date(2036, 1, 1) < far < date(2036, 12, 31)
    assert us.add_business_days(far, -2600) == date(2025, 12, 31)  # the last business day before 1 Jan
    assert us.business_days_between(date(2026, 1, 1), far) == 2600


def test_explain_counts_days_after_start() -> None:
    cn = get_calendar("CN")
    days = cn.explain(date(2026, 2, 13), date(2026, 3, 2))
    assert days[0].date == date(2026, 2, 14)
    assert days[0].business and days[0].count == 1 and days[0].reason == MAKE_UP_REASON
    assert days[-1].date == date(2026, 3, 2) and days[-1].count == 7
    assert [d.count for d in days if d.business] == list(range(1, 8))
    assert all(d.reason for d in days if not d.business)
    assert cn.explain(date(2026, 3, 2), date(2026, 3, 2)) == []


def test_user_closures_apply_on_top() -> None:
    closure = parse_closure("2026-03-10..2026-03-11=office move")
    bh = get_calendar("BH", closures=(closure,))
    assert not bh.is_business_day(date(2026, 3, 10))
    assert bh.day_reason(date(2026, 3, 11)) == "office move"
    assert get_calendar("BH").is_business_day(date(2026, 3, 10))  # other calendars untouched
    assert get_calendar("BH", closures=[closure]) is bh  # cached for equal closures


# --- estimated dates and missing data --------------------------------------------------------------


def test_estimated_lunar_holidays_are_tentative_confirmed_are_not() -> None:
    bh = get_calendar("BH")
    confirmed = bh.tentative_days(date(2026, 3, 1), date(2026, 3, 31))
    assert confirmed == []  # holidays 0.109 has the announced 2026 Eid al-Fitr
    estimated = bh.tentative_days(date(2027, 3, 1), date(2027, 3, 31))
    assert [t.date for t in estimated] == [date(2027, 3, 9), date(2027, 3, 10), date(2027, 3, 11)]
    assert all("Eid al-Fitr" in t.name for t in estimated)
    assert bh.explain(date(2027, 3, 8), date(2027, 3, 9))[0].tentative


def test_estimated_detection_does_not_depend_on_the_english_label() -> None:
    # The detection uses each country's own (translated) estimated_label, not the English text.
    h = holidays.country_holidays("BH", years=2027, language="ar")
    labelled = sorted(d for d, name in h.items() if "تقديري" in name)  # "(estimated)" in Arabic
    ours = get_calendar("BH").tentative_days(date(2026, 12, 31), date(2027, 12, 31))
    # Ours adds the predicted Arafat Day, which holidays does not have at all.
    assert labelled and set(labelled) <= {t.date for t in ours}


def test_years_without_data_are_reported() -> None:
    bh = get_calendar("BH")
    (warning,) = bh.warnings(date(1960, 1, 1), date(1960, 2, 1))
    assert "1960" in warning and "1972" in warning and HOLIDAYS_VERSION in warning
    assert bh.warnings(date(2026, 1, 1), date(2026, 12, 31)) == []
    # China's make-up arrangement for 2027 is not in holidays 0.109 yet.
    assert any("Day off" in w for w in get_calendar("CN").warnings(date(2027, 1, 1), date(2027, 2, 1)))


# --- validation ------------------------------------------------------------------------------------


def test_unknown_country_names_closest_codes_and_how_to_list() -> None:
    with pytest.raises(UnknownCountry) as exc:
        get_calendar("BHR2")
    assert "'BHR2'" in str(exc.value) and "BH" in str(exc.value)
    assert "reminder countries" in str(exc.value)


def test_unknown_subdivision_lists_valid_ones() -> None:
    with pytest.raises(UnknownCountry) as exc:
        get_calendar("DE", "BZ")
    assert "'BZ'" in str(exc.value) and "BY" in str(exc.value)
    assert "reminder countries" in str(exc.value)


def test_aliases_and_names_are_accepted() -> None:
    assert get_calendar("bh").country == "BH"
    assert get_calendar("UK").country == "GB"
    assert get_calendar("Bahrain").country == "BH"
    de = get_calendar("DE-BY")
    assert (de.country, de.subdivision) == ("DE", "BY")
    assert get_calendar("DE", "Bayern").subdivision == "BY"


def test_short_chinese_names_are_their_countries() -> None:
    # "阿联酋" is what people type for the United Arab Emirates (CLDR: 阿拉伯联合酋长国); it was
    # "unknown country", in either language of the user.
    from reminder.countries import SHORT_NAMES

    for name, code in {"阿联酋": "AE", "沙特": "SA", "香港": "HK", "澳洲": "AU", "印尼": "ID"}.items():
        assert SHORT_NAMES[name] == code
    for name, code in SHORT_NAMES.items():
        assert get_calendar(name).country == code, name
        assert get_calendar(f" {name} ").country == code, name


def test_no_short_chinese_name_is_another_countrys_name() -> None:
    # A short name is added only where CLDR's name is longer, and never one that is already a
    # country's name or code in a language reminder speaks (it would shadow that country).
    from babel import Locale

    from reminder.countries import SHORT_NAMES, _canonical_codes, _country_name, _supported
    from reminder.i18n import KNOWN_LANGUAGES, SOURCE_LANGUAGE

    supported = _supported()
    names: dict[str, set[str]] = {}
    for code in supported:
        names.setdefault(_country_name(code), set()).add(code)
        for lang in KNOWN_LANGUAGES:
            if lang != SOURCE_LANGUAGE:
                names.setdefault(Locale.parse(lang).territories[code], set()).add(code)
    assert 5 <= len(SHORT_NAMES) <= 30  # a curated table, not a second CLDR
    for name, code in SHORT_NAMES.items():
        assert code in supported, name
        assert name not in names and name.upper() not in _canonical_codes(), (name, names.get(name))
        assert Locale.parse("zh_CN").territories[code] != name, name


def test_every_code_and_alias_resolves_as_holidays_does() -> None:
    # The registry table used for validation (no country imported) agrees with the holidays
    # package's own answer for every code and alias it lists.
    from reminder.countries import _canonical_codes
    from reminder.holiday_years import holiday_class

    table = _canonical_codes()
    listed = holidays.list_supported_countries(include_aliases=True)
    assert set(table) == set(listed)
    assert {code: str(holiday_class(code).country) for code in listed} == {c: table[c] for c in listed}


def test_a_valid_country_is_checked_without_importing_every_country() -> None:
    # list_supported_countries() imports about 250 modules (0.1-0.2 s of every daemon start-up).
    script = (
        "import sys; from reminder.calendar import get_calendar;"
        " get_calendar('BH'); get_calendar('bah'); get_calendar('CN');"
        " print(sum(m.startswith('holidays.countries.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(out.stdout) < 10


def test_list_countries_has_weekends_and_subdivisions() -> None:
    by_code = {c.code: c for c in list_countries()}
    assert by_code["BH"].weekend == ("Friday", "Saturday")
    assert by_code["BH"].name == "Bahrain"
    assert by_code["US"].weekend == ("Saturday", "Sunday")
    assert by_code["GB"].subdivisions["ENG"] == "England"
    assert len(by_code) > 100


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-03-10", date(2026, 3, 10), date(2026, 3, 10), "closure"),
        ("2026-03-10..2026-03-12", date(2026, 3, 10), date(2026, 3, 12), "closure 2026-03-10..2026-03-12"),
        (" 2026-03-10 = strike ", date(2026, 3, 10), date(2026, 3, 10), "strike"),
    ],
)
def test_parse_closure(text: str, start: date, end: date, label: str) -> None:
    assert parse_closure(text) == Closure(start, end, label)


@pytest.mark.parametrize("text", ["2026-3-1x", "2026-03-12..2026-03-10", "", "..2026-03-10", "2026-02-30"])
def test_parse_closure_rejects(text: str) -> None:
    with pytest.raises(InputError, match="closure"):
        parse_closure(text)


# --- properties: numpy where it can express the calendar, a day-by-day count where it cannot --------

# Countries whose weekend did not change 2015–2035 and that have no make-up working days there.
NUMPY_COUNTRIES = ["US", "GB", "DE", "FR", "JP", "BR", "IN", "AU", "CA", "IT", "ES", "MX", "ZA", "IL"]
NUMPY_COUNTRIES += ["SA", "EG"]
MAKE_UP_COUNTRIES = ["CN", "RU", "VN", "UA", "KZ", "BY"]
START, END = date(2016, 1, 1), date(2032, 12, 31)


def _weekmask(weekend: set[int]) -> str:
    return "".join("0" if d in weekend else "1" for d in range(7))


_reference_cache: dict[str, tuple[str, list[date]]] = {}


def _numpy_reference(country: str) -> tuple[str, list[date]]:
    if country not in _reference_cache:
        # ±300 business days reach over a year either side of START..END: load two more years
        # each way, or the reference itself would count 2014's Christmas as a working day.
        h = holidays.country_holidays(country, years=range(START.year - 2, END.year + 3))
        assert not [d for d in h.weekend_workdays if START.year <= d.year <= END.year], country
        _reference_cache[country] = (_weekmask(set(h.weekend)), sorted(h))
    return _reference_cache[country]


@settings(max_examples=150, deadline=None)
@given(
    country=st.sampled_from(NUMPY_COUNTRIES),
    start=st.dates(START, END),
    n=st.integers(-300, 300),
)
def test_add_business_days_matches_numpy(country: str, start: date, n: int) -> None:
    weekmask, hols = _numpy_reference(country)
    # numpy rolls a non-business start day first; roll it the way that leaves "the n-th
    # business day strictly after (or before) start" unchanged.
    roll = "backward" if n >= 0 else "forward"
    want = np.busday_offset(start, n, roll=roll, weekmask=weekmask, holidays=hols).astype(date)
    if n == 0:
        want = start
    assert get_calendar(country).add_business_days(start, n) == want


def _plain_is_business(h: holidays.HolidayBase, d: date) -> bool:
    if d.weekday() in h.weekend:
        return d in h.weekend_workdays
    return d not in h


@settings(max_examples=100, deadline=None)
@given(
    country=st.sampled_from(MAKE_UP_COUNTRIES),
    start=st.dates(date(2018, 1, 1), date(2026, 10, 1)),
    n=st.integers(1, 40),
)
def test_make_up_countries_match_a_day_by_day_count(country: str, start: date, n: int) -> None:
    h = holidays.country_holidays(country, years=range(start.year, start.year + 2))
    d, left = start, n
    while left:
        d += timedelta(days=1)
        if _plain_is_business(h, d):
            left -= 1
    assert get_calendar(country).add_business_days(start, n) == d


@settings(max_examples=100, deadline=None)
@given(
    country=st.sampled_from(["BH", "CN", "US", "GB", "DE"]),
    start=st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    n=st.integers(1, 60),
)
def test_explanation_agrees_with_the_result(country: str, start: date, n: int) -> None:
    cal = get_calendar(country)
    end = cal.add_business_days(start, n)
    days = cal.explain(start, end)
    assert days[-1].date == end and days[-1].count == n
    assert [d.count for d in days if d.business] == list(range(1, n + 1))
    assert all(d.count is None for d in days if not d.business)
    assert cal.business_days_between(start, end) == n
    if cal.is_business_day(start):
        assert cal.add_business_days(end, -n) == start


# --- closures: clipped to what a computation reaches, the same answer as closing day by day ------

_closures = st.lists(
    st.builds(
        lambda start, days, label: Closure(start, start + timedelta(days=days), label),
        st.dates(date(2025, 10, 1), date(2027, 6, 30)),
        st.integers(0, 60),
        st.sampled_from(["strike", "move", "flood"]),
    ),
    max_size=4,
)


def _closed_day_by_day(closures: list[Closure]) -> dict[date, str]:
    """Every closed day and its label, the later closure's where two overlap."""
    out: dict[date, str] = {}
    for c in closures:
        d = c.start
        while d <= c.end:
            out[d] = c.label
            d += timedelta(days=1)
    return out


@settings(max_examples=150, deadline=None)
@given(
    country=st.sampled_from(["BH", "DE", "CN"]),
    start=st.dates(date(2025, 12, 1), date(2027, 3, 31)),
    n=st.integers(-40, 40).filter(bool),
    closures=_closures,
)
def test_closures_agree_with_a_day_by_day_count(
    country: str, start: date, n: int, closures: list[Closure]
) -> None:
    plain = get_calendar(country)
    closed = _closed_day_by_day(closures)
    d, left, step = start, abs(n), 1 if n > 0 else -1
    while left:
        d += timedelta(days=step)
        if plain.is_business_day(d) and d not in closed:
            left -= 1
    cal = get_calendar(country, closures=tuple(closures))
    assert cal.add_business_days(start, n) == d
    lo, hi = sorted((start, d))
    for info in cal.explain(lo, hi):
        assert info.business == (plain.is_business_day(info.date) and info.date not in closed)
        want = closed.get(info.date) or plain.day_reason(info.date)
        assert info.reason == want and cal.day_reason(info.date) == want


def test_closures_over_every_day_are_an_error_not_a_search() -> None:
    shut = get_calendar("BH", closures=(Closure(date(1, 1, 1), date(9999, 12, 31), "shut"),))
    with pytest.raises(InputError, match="no business day after 2026-03-01"):
        shut.add_business_days(date(2026, 3, 1), 1)
    with pytest.raises(InputError, match="no business day before 2026-03-01"):
        shut.add_business_days(date(2026, 3, 1), -1)
    assert not shut.is_business_day(date(2026, 3, 1)) and shut.day_reason(date(5000, 1, 1)) == "shut"
