from __future__ import annotations

import stat
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import TmpEnv
from icalendar import Calendar

from reminder import api, outbox
from reminder.config import load_settings
from reminder.ics import IcsEntry, deadline_uid, render_ics, window_uid, write_ics_if_changed
from reminder.models import Case, ReviewWindow, TentativeDay
from reminder.record import replace
from reminder.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)


def entry(case_id: str = "c1", *, tentative: bool = False, deadline: date = date(2026, 3, 22)) -> IcsEntry:
    case = Case(
        id=case_id,
        title="Cancel roaming eSIM",
        organisation='Batelco; Bahrain, "BH"',
        submitted=date(2026, 3, 1),
        country="BH",
        timezone="Asia/Bahrain",
        reference="REF-42",
    )
    window = ReviewWindow(
        country="BH",
        subdivision=None,
        submitted=date(2026, 3, 1),
        opens=date(2026, 3, 10),
        deadline=deadline,
        min_days=7,
        max_days=15,
        tentative=tentative,
        tentative_because=(TentativeDay(date(2026, 3, 20), "Eid al-Fitr"),) if tentative else (),
        holidays_version="holidays 0.109",
    )
    return IcsEntry(case, window)


def events(data: bytes) -> dict[str, Calendar]:
    cal = Calendar.from_ical(data)
    return {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}


def test_window_and_deadline_events_round_trip() -> None:
    evs = events(render_ics([entry()], now=NOW))
    assert set(evs) == {window_uid("c1"), deadline_uid("c1")}
    win, dl = evs[window_uid("c1")], evs[deadline_uid("c1")]
    assert win.decoded("DTSTART") == date(2026, 3, 10)
    assert win.decoded("DTEND") == date(2026, 3, 23)  # exclusive end: the deadline is inside
    assert dl.decoded("DTSTART") == date(2026, 3, 22)
    assert dl.decoded("DTEND") == date(2026, 3, 23)
    assert str(dl["SUMMARY"]) == 'Deadline: Batelco; Bahrain, "BH": Cancel roaming eSIM'
    assert str(dl["STATUS"]) == "CONFIRMED"
    assert "REF-42" in str(dl["DESCRIPTION"])
    assert dl.walk("VALARM") == []  # no planned reminders given, no alarms
    assert dl.decoded("DTSTAMP") == NOW
    assert int(dl["SEQUENCE"]) == 0


def test_tentative_is_marked_in_status_and_summary() -> None:
    evs = events(render_ics([entry(tentative=True)], now=NOW))
    for ev in evs.values():
        assert str(ev["STATUS"]) == "TENTATIVE"
        assert str(ev["SUMMARY"]).endswith("(tentative)")
        assert "Eid al-Fitr (2026-03-20)" in str(ev["DESCRIPTION"])


def test_unchanged_export_is_identical_and_a_change_bumps_sequence() -> None:
    first = render_ics([entry("c1"), entry("c2")], now=NOW)
    again = render_ics([entry("c1"), entry("c2")], now=LATER, previous=first)
    assert again == first  # same UIDs, same SEQUENCE and DTSTAMP: a re-import changes nothing

    moved = render_ics([entry("c1", deadline=date(2026, 3, 24)), entry("c2")], now=LATER, previous=first)
    old, new = events(first), events(moved)
    assert set(old) == set(new)
    assert int(new[deadline_uid("c1")]["SEQUENCE"]) == 1
    assert new[deadline_uid("c1")].decoded("DTSTAMP") == LATER
    assert int(new[deadline_uid("c2")]["SEQUENCE"]) == 0
    assert new[deadline_uid("c2")].decoded("DTSTAMP") == NOW


def test_write_if_changed(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "reminder.ics"
    assert write_ics_if_changed(path, [entry()], now=NOW) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    mtime = path.stat().st_mtime_ns
    assert write_ics_if_changed(path, [entry()], now=LATER) is False
    assert path.stat().st_mtime_ns == mtime
    assert write_ics_if_changed(path, [entry(tentative=True)], now=LATER) is True
    assert str(events(path.read_bytes())[window_uid("c1")]["STATUS"]) == "TENTATIVE"
    assert [p.name for p in path.parent.iterdir()] == ["reminder.ics"]  # no temp file left behind


def test_a_closed_case_simply_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.ics"
    write_ics_if_changed(path, [entry("c1"), entry("c2")], now=NOW)
    write_ics_if_changed(path, [entry("c2")], now=LATER)
    assert set(events(path.read_bytes())) == {window_uid("c2"), deadline_uid("c2")}


def test_garbage_previous_file_is_ignored() -> None:
    data = render_ics([entry()], now=NOW, previous=b"not a calendar")
    assert int(events(data)[deadline_uid("c1")]["SEQUENCE"]) == 0


def test_empty_calendar_is_valid() -> None:
    cal = Calendar.from_ical(render_ics([], now=NOW))
    assert cal.walk("VEVENT") == []
    assert str(cal["VERSION"]) == "2.0"


def test_case_fields_changed_elsewhere_change_the_event() -> None:
    e = entry()
    renamed = IcsEntry(replace(e.case, title="Cancel the eSIM"), e.window)
    first = render_ics([e], now=NOW)
    second = render_ics([renamed], now=LATER, previous=first)
    assert int(events(second)[window_uid("c1")]["SEQUENCE"]) == 1


def test_dtstamp_is_utc_whatever_the_clock_zone() -> None:
    bahrain = timezone(timedelta(hours=3))
    first = render_ics([entry()], now=NOW.astimezone(bahrain))
    assert b"DTSTAMP:20260302T090000Z" in first
    assert render_ics([entry()], now=LATER.astimezone(bahrain), previous=first) == first


def _alarm_times(event: Calendar) -> list[datetime]:
    """Each alarm of an all-day event as local wall time (the trigger counts from its midnight)."""
    start = datetime.combine(event.decoded("DTSTART"), datetime.min.time())
    return [start + alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]


def test_alarms_follow_the_reminder_policy_in_business_days(tmp_env: TmpEnv, store: Store) -> None:
    # Bahrain's weekend is Friday-Saturday: two business days before a Tuesday deadline is the
    # Sunday, not the Saturday that "three calendar days before, 09:00" gave.
    tmp_env.write_config("[defaults]\nhour = 8\nminute = 30\n[reminders]\nbefore_deadline = 2\n")
    settings = load_settings()
    case = api.add_case(
        store,
        settings,
        now=NOW,
        title="Cancel roaming eSIM",
        organisation="Batelco",
        submitted=date(2026, 4, 14),
    )
    window = store.get_window(case.id)
    assert window is not None and window.deadline == date(2026, 5, 5) and window.deadline.weekday() == 1
    evs = events(api.export_ics(store, settings, now=NOW))
    before, at = _alarm_times(evs[deadline_uid(case.id)])
    assert before == datetime(2026, 5, 3, 8, 30)  # Sunday, the configured hour
    assert before.weekday() not in (4, 5)
    assert at == datetime(2026, 5, 5, 8, 30)
    # The calendar and the reminders never disagree: the same days and hours as the outbox.
    planned = {
        r.kind: r.due.astimezone(ZoneInfo("Asia/Bahrain")).replace(tzinfo=None)
        for r in outbox.list_deliveries(store, case.id)
    }
    assert [before, at] == [planned["before_deadline"], planned["deadline"]]
    assert _alarm_times(evs[window_uid(case.id)]) == [planned["opened"]]


def test_preset_steps_are_in_the_calendar(tmp_env: TmpEnv, store: Store) -> None:
    settings = load_settings()
    case = api.add_case(
        store,
        settings,
        now=NOW,
        title="Cancel roaming eSIM",
        organisation="Batelco",
        submitted=date(2026, 4, 14),
        preset="telecom",
    )
    evs = events(api.export_ics(store, settings, now=NOW))
    steps = [ev for uid, ev in evs.items() if uid.startswith(f"{case.id}-preset-")]
    planned = sorted(
        (r.due.astimezone(ZoneInfo("Asia/Bahrain")).replace(tzinfo=None), r.note or "")
        for r in outbox.list_deliveries(store, case.id)
        if ":preset:" in r.key
    )
    assert len(steps) == len(planned) == 2
    got = sorted((_alarm_times(ev)[0], str(ev["SUMMARY"])) for ev in steps)
    assert [when for when, _ in got] == [when for when, _ in planned]
    assert all(
        ev.decoded("DTSTART") == when.date()
        for ev, (when, _) in zip(sorted(steps, key=lambda e: e.decoded("DTSTART")), planned, strict=True)
    )
    assert "Call the operator again" in got[0][1] and "telecom regulator" in got[1][1]
