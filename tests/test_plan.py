"""The reminder plan: kinds, local times across DST and year ends, stable keys, overrides."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reminder.calendar import get_calendar
from reminder.errors import InputError
from reminder.models import Case, moved_key, preset_step
from reminder.plan import DEFAULT_POLICY, Policy, local_due, parse_remind_overrides, plan_reminders
from reminder.presets import DEFAULT_PRESETS, escalation_steps
from reminder.record import replace
from reminder.window import compute_window


def make_case(
    country: str = "BH", submitted: date = date(2026, 3, 1), tz: str = "Asia/Bahrain", **kw: object
) -> Case:
    return Case(
        id="k7m2qx",
        title="Cancel roaming eSIM",
        organisation="Batelco",
        submitted=submitted,
        country=country,
        timezone=tz,
        **kw,  # type: ignore[arg-type]
    )


def plan(case: Case, policy: Policy = DEFAULT_POLICY, steps: tuple = ()) -> list:  # type: ignore[type-arg]
    window = compute_window(case.submitted, country=case.country, subdivision=case.subdivision)
    return plan_reminders(case, window, policy, get_calendar(case.country, case.subdivision), steps)


def test_default_plan_for_bahrain_case() -> None:
    case = make_case()
    window = compute_window(case.submitted, country="BH")
    reminders = plan(case)
    kinds = [r.kind for r in reminders]
    assert kinds == ["opened", "before_deadline", "deadline"] + ["escalation"] * 5
    cal = get_calendar("BH")
    by_key = {r.key: r for r in reminders}
    assert by_key["k7m2qx:opened:1"].due.date() == window.opens
    assert by_key["k7m2qx:deadline:1"].due.date() == window.deadline
    assert by_key["k7m2qx:before_deadline:1"].due.date() == cal.add_business_days(window.deadline, -2)
    # Escalations every 3 business days after the deadline, never on a Bahraini weekend.
    escalations = [r.due.date() for r in reminders if r.kind == "escalation"]
    assert escalations[0] == cal.add_business_days(window.deadline, 3)
    assert all(cal.is_business_day(d) for d in escalations)
    assert all(d.weekday() not in (4, 5) for d in escalations)
    for r in reminders:
        assert r.due.tzinfo is not None
        assert (r.due.hour, r.due.minute) == (9, 0)
        assert r.due.utcoffset() == timedelta(hours=3)
    assert [r.due for r in reminders] == sorted(r.due for r in reminders)


@pytest.mark.parametrize(
    ("country", "sub", "tz", "submitted"),
    [
        ("GB", "ENG", "Europe/London", date(2026, 3, 16)),  # spans the 29 March 2026 spring-forward
        ("GB", "ENG", "Europe/London", date(2026, 10, 14)),  # spans the 25 October 2026 fall-back
        ("US", None, "America/New_York", date(2026, 2, 17)),  # spans the 8 March 2026 spring-forward
        ("US", None, "America/New_York", date(2026, 10, 20)),  # spans 1 November 2026
    ],
)
def test_nine_oclock_stays_local_across_dst(country: str, sub: str | None, tz: str, submitted: date) -> None:
    reminders = plan(make_case(country, submitted, tz, subdivision=sub))
    offsets = {r.due.utcoffset() for r in reminders}
    assert len(offsets) == 2, "the plan should straddle a DST change"
    for r in reminders:
        assert r.due.tzinfo is not None and str(r.due.tzinfo) == tz
        assert r.due.time() == time(9, 0)
        # Check against an independent conversion: the UTC instant maps back to 09:00 local.
        assert r.due.astimezone(ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).time() == time(9, 0)


def test_year_end_crossing() -> None:
    reminders = plan(make_case("GB", date(2026, 12, 17), "Europe/London", subdivision="ENG"))
    years = {r.due.year for r in reminders}
    assert years == {2026, 2027}
    deadline = next(r for r in reminders if r.kind == "deadline")
    assert deadline.due.date() == date(2027, 1, 12)  # the worked example in shared/acceptance


def test_nonexistent_and_repeated_local_times() -> None:
    london = ZoneInfo("Europe/London")
    # 01:30 does not exist on 29 March 2026: moved forward by the one-hour jump.
    gap = local_due(date(2026, 3, 29), time(1, 30), london)
    assert (gap.hour, gap.minute, gap.utcoffset()) == (2, 30, timedelta(hours=1))
    # 01:30 happens twice on 25 October 2026: the first (summer time) occurrence.
    fold = local_due(date(2026, 10, 25), time(1, 30), london)
    assert (fold.hour, fold.utcoffset()) == (1, timedelta(hours=1))
    ny = ZoneInfo("America/New_York")
    assert local_due(date(2026, 3, 8), time(2, 30), ny).hour == 3


def test_keys_are_stable_when_the_case_is_edited() -> None:
    first = plan(make_case())
    moved = plan(make_case(submitted=date(2026, 3, 8)))
    assert [r.key for r in first] == [r.key for r in moved]
    assert [r.due for r in first] != [r.due for r in moved]


def test_closed_case_has_no_reminders() -> None:
    assert plan(replace(make_case(), status="closed")) == []


def test_policy_switches() -> None:
    policy = Policy(
        hour=17, minute=30, before_open=2, before_deadline=None, escalation_every=5, escalation_max=2
    )
    reminders = plan(make_case(), policy)
    assert [r.kind for r in reminders] == ["before_open", "opened", "deadline", "escalation", "escalation"]
    assert all((r.due.hour, r.due.minute) == (17, 30) for r in reminders)
    assert (
        plan(make_case(), Policy(opened=False, deadline=False, before_deadline=None, escalation_max=0)) == []
    )


def test_case_overrides_and_their_errors() -> None:
    overrides = parse_remind_overrides(["before_deadline=3", "opened=no", "before_open=off", "hour=8"])
    assert overrides == {"before_deadline": 3, "opened": False, "before_open": None, "hour": 8}
    policy = DEFAULT_POLICY.with_overrides(overrides)
    assert (policy.before_deadline, policy.opened, policy.hour) == (3, False, 8)
    for bad in ["nonsense=1", "hour=25", "opened=maybe", "before_deadline=x", "hour"]:
        with pytest.raises(InputError):
            parse_remind_overrides([bad])
    with pytest.raises(InputError):
        DEFAULT_POLICY.with_overrides({"bogus": 1})


def test_preset_steps_become_escalations() -> None:
    case = make_case(preset="gdpr")
    window = compute_window(case.submitted, country="BH")
    cal = get_calendar("BH")
    steps = escalation_steps(DEFAULT_PRESETS["gdpr"], window.deadline, cal, submitted=case.submitted)
    reminders = plan(case, steps=tuple(steps))
    preset = [r for r in reminders if r.key.startswith("k7m2qx:preset:")]
    assert len(preset) == len(steps) > 0
    assert all(r.kind == "escalation" and r.note for r in preset)
    assert {r.due.date() for r in preset} == {s.due for s in steps}
    # The one reading of such a key, for show, status, the calendar and the catch-up:
    assert [preset_step(r.key) for r in preset] == [str(n) for n in range(1, len(preset) + 1)]
    assert {preset_step(r.key) for r in reminders if r not in preset} == {None}
    assert preset_step(moved_key(preset[1].key, "2026-05-04")) == "2"  # a step moved to another day


def test_a_preset_step_takes_the_place_of_a_periodic_escalation_on_its_day() -> None:
    # Two messages at the same minute with the same subject, one saying less: the step, which
    # says what to do, is the one sent (found by a new user's walkthrough; the test failed before).
    case = make_case(preset="telecom")
    window = compute_window(case.submitted, country="BH")
    steps = escalation_steps(
        DEFAULT_PRESETS["telecom"], window.deadline, get_calendar("BH"), submitted=case.submitted
    )
    periodic_alone = [r for r in plan(case) if r.kind == "escalation"]
    assert {r.due.date() for r in periodic_alone} & {s.due for s in steps}, (
        "a step falls on an escalation's day"
    )
    reminders = plan(case, steps=tuple(steps))
    preset = [r for r in reminders if preset_step(r.key) is not None]
    periodic = [r for r in reminders if r.kind == "escalation" and r not in preset]
    assert len(preset) == len(steps) and not {r.due for r in periodic} & {r.due for r in preset}
    assert len(periodic) == len(periodic_alone) - len(
        {r.due.date() for r in periodic_alone} & {s.due for s in steps}
    )
