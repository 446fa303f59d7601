"""Review windows worked out by hand against the calendars of BH, CN, US, DE-BY and GB-ENG."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reminder.calendar import HOLIDAYS_VERSION, parse_closure
from reminder.errors import InputError, UnknownCountry
from reminder.window import compute_window, window_to_dict


def _dates(country: str, submitted: date, subdivision: str | None = None) -> tuple[date, date]:
    w = compute_window(submitted, country=country, subdivision=subdivision)
    return w.opens, w.deadline


def test_bahrain_across_eid_al_fitr_2026() -> None:
    # Sun 1 Mar: Mon 2=1 … Thu 5=4, Sun 8=5, Mon 9=6, Tue 10=7 (opens).
    # Then 11=8, 12=9, 15=10, 16=11, 17=12, 18=13, 19=14; Eid Fri 20–Sun 22, days in lieu
    # Mon 23 and Tue 24 (circular: work resumes Wed 25) → deadline Wed 25 March.
    w = compute_window(date(2026, 3, 1), country="BH", explain=True)
    assert (w.opens, w.deadline) == (date(2026, 3, 10), date(2026, 3, 25))
    assert not w.tentative
    assert any("2026-03-23..2026-03-24" in o and "announced" in o for o in w.overrides)
    reasons = {d.date: d.reason for d in w.days}
    assert reasons[date(2026, 3, 22)] == "Eid al-Fitr"
    assert "in lieu" in (reasons[date(2026, 3, 23)] or "")


def test_bahrain_across_eid_al_adha_2026_is_tentative_until_the_circular_is_read() -> None:
    # Wed 20 May: Thu 21=1, Sun 24=2, Mon 25=3, Arafat Tue 26, Eid Wed 27–Fri 29, Sat 30,
    # day in lieu Sun 31, Mon 1 Jun=4, 2=5, 3=6, Thu 4=7; Sun 7=8 … Mon 15=14,
    # Islamic New Year Tue 16, Wed 17=15.
    w = compute_window(date(2026, 5, 20), country="BH")
    assert (w.opens, w.deadline) == (date(2026, 6, 4), date(2026, 6, 17))
    assert w.tentative
    assert [t.date for t in w.tentative_because] == [date(2026, 5, 26), date(2026, 5, 31)]
    assert w.tentative_because[0].name == "Arafat Day"


def test_bahrain_national_day() -> None:
    # The acceptance example: 16–17 Dec (Wed–Thu) are off, the weekend follows.
    assert _dates("BH", date(2026, 11, 25)) == (date(2026, 12, 6), date(2026, 12, 20))


def test_bahrain_2027_eid_is_estimated() -> None:
    w = compute_window(date(2027, 3, 1), country="BH")
    assert w.tentative
    assert {t.name for t in w.tentative_because} == {"Eid al-Fitr (estimated)"}
    assert w.holidays_version == HOLIDAYS_VERSION


def test_china_spring_festival_and_national_day_2026() -> None:
    # Day 1 is the make-up Saturday 14 Feb; 28 Feb (Sat) also works.
    assert _dates("CN", date(2026, 2, 13)) == (date(2026, 3, 2), date(2026, 3, 12))
    # Sun 20 Sep works; 1–7 Oct off; Sat 10 Oct works.
    assert _dates("CN", date(2026, 9, 15)) == (date(2026, 9, 23), date(2026, 10, 12))


def test_us_independence_day_observed() -> None:
    assert _dates("US", date(2026, 6, 26)) == (date(2026, 7, 8), date(2026, 7, 20))


def test_subdivision_bavaria() -> None:
    # Ascension 14 May and Whit Monday 25 May everywhere; Corpus Christi 4 Jun only in some states.
    assert _dates("DE", date(2026, 5, 6), "BY") == (date(2026, 5, 18), date(2026, 5, 29))
    w = compute_window(date(2026, 5, 20), country="DE", subdivision="BY")
    w_be = compute_window(date(2026, 5, 20), country="DE", subdivision="BE")
    assert w.deadline > w_be.deadline  # Bavaria has one more holiday (Corpus Christi) in between


def test_year_end_crossing() -> None:
    assert _dates("GB", date(2026, 12, 17), "ENG") == (date(2026, 12, 30), date(2027, 1, 12))


def test_closures_push_the_window() -> None:
    plain = compute_window(date(2026, 3, 1), country="BH")
    closed = compute_window(
        date(2026, 3, 1), country="BH", closures=[parse_closure("2026-03-03..2026-03-04=strike")]
    )
    assert closed.opens == date(2026, 3, 12) and plain.opens == date(2026, 3, 10)
    assert closed.deadline > plain.deadline


def test_calendar_days() -> None:
    w = compute_window(
        date(2026, 3, 1), country="BH", min_days=10, max_days=30, unit="calendar", explain=True
    )
    assert (w.opens, w.deadline) == (date(2026, 3, 11), date(2026, 3, 31))
    assert not w.tentative
    assert [d.count for d in w.days] == list(range(1, 31))


def test_min_equal_max_and_zero() -> None:
    w = compute_window(date(2026, 3, 5), country="BH", min_days=1, max_days=1)
    assert w.opens == w.deadline == date(2026, 3, 8)
    w0 = compute_window(date(2026, 3, 5), country="BH", min_days=0, max_days=2)
    assert w0.opens == date(2026, 3, 5) and w0.deadline == date(2026, 3, 9)


@pytest.mark.parametrize(("lo", "hi"), [(8, 7), (-1, 5)])
def test_impossible_day_counts(lo: int, hi: int) -> None:
    with pytest.raises(InputError, match="min-days"):
        compute_window(date(2026, 3, 1), country="BH", min_days=lo, max_days=hi)


def test_unknown_country() -> None:
    with pytest.raises(UnknownCountry, match="reminder countries"):
        compute_window(date(2026, 3, 1), country="ZZ")


def test_uncovered_year_warns() -> None:
    w = compute_window(date(1965, 3, 1), country="BH")
    assert w.warnings and "1965" in w.warnings[0]


def test_explained_and_fast_paths_agree() -> None:
    for submitted in (date(2026, 5, 20), date(2027, 3, 1), date(2026, 12, 20)):
        fast = compute_window(submitted, country="BH")
        slow = compute_window(submitted, country="BH", explain=True)
        assert (fast.opens, fast.deadline, fast.tentative_because, fast.overrides, fast.warnings) == (
            slow.opens,
            slow.deadline,
            slow.tentative_because,
            slow.overrides,
            slow.warnings,
        )
        counted = [d for d in slow.days if d.count is not None]
        assert counted[6].date == slow.opens and counted[-1].date == slow.deadline
        assert slow.days[-1].count == 15


def test_window_to_dict_shape() -> None:
    w = compute_window(date(2027, 3, 1), country="BH")
    out = window_to_dict(w)
    assert {
        "country",
        "subdivision",
        "submitted",
        "opens",
        "deadline",
        "tentative",
        "tentative_because",
    } <= set(out)
    assert "days" not in out
    assert out["tentative_because"] == [
        {"date": "2027-03-09", "name": "Eid al-Fitr (estimated)"},
        {"date": "2027-03-10", "name": "Eid al-Fitr (estimated)"},
        {"date": "2027-03-11", "name": "Eid al-Fitr (estimated)"},
    ]
    json.dumps(out)  # plain JSON, no dates left
    explained = window_to_dict(compute_window(date(2027, 3, 1), country="BH", explain=True))
    days = explained["days"]
    assert isinstance(days, list) and len(days) == (w.deadline - w.submitted).days
    assert set(days[0]) >= {"date", "business", "count", "reason"}


def test_an_override_range_that_began_before_submission_is_listed() -> None:
    # Submitted on the first of the two 2026 Eid al-Fitr days in lieu: the second still counts.
    w = compute_window(date(2026, 3, 23), country="BH")
    assert any("2026-03-23..2026-03-24" in o for o in w.overrides)
    assert not compute_window(date(2026, 3, 24), country="BH").overrides
