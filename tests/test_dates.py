"""dates.py: what people type, placed in a case's zone with an injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reminder.dates import check_not_future, parse_date, parse_moment
from reminder.errors import InputError

BAHRAIN = ZoneInfo("Asia/Bahrain")  # UTC+3 all year
# 22:30 UTC on Thursday 5 March: already Friday 6 March, 01:30, in Bahrain.
NOW = datetime(2026, 3, 5, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("2026-03-01", date(2026, 3, 1), None),
        (" 2026-3-1 ", date(2026, 3, 1), None),
        ("2026/3/1", date(2026, 3, 1), None),
        ("2026-03-01T14:30", date(2026, 3, 1), time(14, 30)),
        ("2026-03-01 9:05:07", date(2026, 3, 1), time(9, 5, 7)),
        ("2026-03-01t14:30:00.5", date(2026, 3, 1), time(14, 30, 0, 500000)),
        ("today", date(2026, 3, 6), None),
        ("Yesterday", date(2026, 3, 5), None),
        ("today 09:00", date(2026, 3, 6), time(9, 0)),
        # An offset is converted: 01:00 at UTC+5 is 23:00 the day before at UTC+3.
        ("2026-03-01T01:00+05:00", date(2026, 2, 28), time(23, 0)),
        ("2026-03-01T01:00+0500", date(2026, 2, 28), time(23, 0)),
        ("2026-03-01T09:00Z", date(2026, 3, 1), time(12, 0)),
        ("2026-03-01T22:00-03", date(2026, 3, 2), time(4, 0)),
        # As a Chinese reader writes them (what `show` prints in Chinese, and the words).
        ("2026年3月1日", date(2026, 3, 1), None),
        ("2026 年 3 月 1 号", date(2026, 3, 1), None),
        ("2026年3月1日 14:30", date(2026, 3, 1), time(14, 30)),
        ("今天", date(2026, 3, 6), None),
        ("今日 09:00", date(2026, 3, 6), time(9, 0)),
        ("昨天", date(2026, 3, 5), None),
        ("昨日", date(2026, 3, 5), None),
        ("前天", date(2026, 3, 4), None),
        # Dotted, and with the colon a Chinese input mode types (refused before).
        ("2026.3.1", date(2026, 3, 1), None),
        ("2026.03.01 14：30", date(2026, 3, 1), time(14, 30)),
        ("2026年3月1日 9：05：07", date(2026, 3, 1), time(9, 5, 7)),
    ],
)
def test_on_day_places_what_was_typed_in_the_case_zone(text: str, day: date, at: time | None) -> None:
    assert parse_moment(text).on_day(now=NOW, zone=BAHRAIN) == (day, at)


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "2026-02-30", "2026-13-01", "2026-3/1", "26-03-01", "2026-03-01T24:00",
     "2026-03-01+05:00", "2026-03-01T14:30+5", "2026-03-01T14:30 Asia/Bahrain", "last tuesday",
     "2026年2月30日", "2026年13月1日", "3月1日", "明天", "2026年3月", "2026.3/1", "2026.13.1"],
)  # fmt: skip
def test_what_is_not_a_date_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="is not a date; use YYYY-MM-DD"):
        parse_moment(text)


def test_instant_without_offset_is_the_case_wall_clock() -> None:
    assert parse_moment("2026-03-02T10:15").instant(now=NOW, zone=BAHRAIN) == datetime(
        2026, 3, 2, 7, 15, tzinfo=UTC
    )
    assert (
        parse_moment("2026-03-02").instant(now=NOW, zone=BAHRAIN).isoformat() == "2026-03-02T00:00:00+03:00"
    )
    kept = parse_moment("2026-03-02T10:15-05:00").instant(now=NOW, zone=BAHRAIN)
    assert kept.isoformat() == "2026-03-02T10:15:00-05:00"


@pytest.mark.parametrize("text", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00"])
def test_a_moment_outside_what_a_datetime_holds_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="out of range"):
        parse_moment(text).on_day(now=NOW, zone=BAHRAIN)
    with pytest.raises(InputError, match="out of range"):
        parse_moment(text).instant(now=NOW, zone=BAHRAIN)
    with pytest.raises(InputError, match="out of range"):  # Bahrain's midnight is 21:00 in year 0
        parse_moment("0001-01-01").instant(now=NOW, zone=BAHRAIN)


def test_parse_date_takes_no_clock() -> None:
    assert parse_date("2026-3-1") == date(2026, 3, 1)
    # Whatever it is, the error offers only what a date takes: "tomorrow" was told to use
    # "today, yesterday" or a time of day, which --due-before then refused in turn.
    for text in ("today", "2026-03-01T10:00", "tomorrow", "3/1"):
        with pytest.raises(InputError) as refused:
            parse_date(text)
        assert str(refused.value) == (
            f"{text!r} is not a date; use YYYY-MM-DD (or 2026-3-1, 2026/3/1), e.g. 2026-03-01"
        )


def test_check_not_future_counts_in_the_case_zone() -> None:
    check_not_future(date(2026, 3, 6), now=NOW, zone=BAHRAIN)  # today in Bahrain, tomorrow in UTC
    with pytest.raises(
        InputError, match=r"2026-03-07 is in the future \(today is 2026-03-06 in Asia/Bahrain\)"
    ):
        check_not_future(date(2026, 3, 7), now=NOW, zone=BAHRAIN)
