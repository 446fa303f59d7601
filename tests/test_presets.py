from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from reminder.presets import (
    DEFAULT_PRESETS,
    EscalationStep,
    Preset,
    PresetStep,
    add_months,
    current_step,
    escalation_steps,
)


class MonFri:
    """A Monday–Friday calendar without holidays: enough to test the arithmetic."""

    def add_business_days(self, d: date, n: int) -> date:
        while n > 0:
            d += timedelta(days=1)
            if d.weekday() < 5:
                n -= 1
        return d


CAL = MonFri()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_each_unit() -> None:
    preset = Preset(
        name="t",
        steps=(
            PresetStep(3, "business_days", "b"),
            PresetStep(3, "calendar_days", "c"),
            PresetStep(2, "weeks", "w"),
            PresetStep(1, "months", "m"),
        ),
    )
    deadline = date(2026, 1, 30)  # a Friday
    steps = {s.step: s for s in escalation_steps(preset, deadline, CAL)}
    assert steps["b"].due == date(2026, 2, 4)  # Mon, Tue, Wed
    assert steps["c"].due == date(2026, 2, 2)
    assert steps["w"].due == date(2026, 2, 13)
    assert steps["m"].due == date(2026, 2, 28)
    assert steps["b"].after == "3 business days after the deadline"
    assert steps["m"].after == "1 month after the deadline"


def test_gdpr_counts_from_the_request() -> None:
    steps = escalation_steps(DEFAULT_PRESETS["gdpr"], date(2026, 2, 20), CAL, submitted=date(2026, 1, 31))
    assert [s.due for s in steps] == [date(2026, 2, 28), date(2026, 4, 30)]
    assert "Art. 12(3)" in steps[0].step
    assert "data-protection authority" in steps[1].step
    assert steps[1].after == "3 months after submission"


def test_ofcom_rule_changes_on_8_april_2026() -> None:
    uk = DEFAULT_PRESETS["telecom-uk"]
    before = escalation_steps(uk, date(2026, 1, 21), CAL, submitted=date(2026, 1, 1))
    after = escalation_steps(uk, date(2026, 4, 29), CAL, submitted=date(2026, 4, 8))
    adr_before = [s for s in before if "ADR scheme" in s.step]
    adr_after = [s for s in after if "ADR scheme" in s.step]
    assert [s.due for s in adr_before] == [date(2026, 2, 26)]  # 8 weeks
    assert [s.due for s in adr_after] == [date(2026, 5, 20)]  # 6 weeks
    assert adr_after[0].after == "6 weeks after submission"


def test_steps_are_sorted_and_current_step_follows_today() -> None:
    steps = escalation_steps(DEFAULT_PRESETS["telecom"], date(2026, 3, 2), CAL)
    assert steps == sorted(steps)
    assert current_step(steps, date(2026, 3, 2)) is None
    assert current_step(steps, steps[0].due) == steps[0]
    assert current_step(steps, steps[-1].due + timedelta(days=100)) == steps[-1]


def test_without_submission_date_steps_fall_back_to_the_deadline() -> None:
    steps = escalation_steps(DEFAULT_PRESETS["gdpr"], date(2026, 2, 20), CAL)
    assert steps[0] == EscalationStep(date(2026, 3, 20), steps[0].step, "1 month after submission")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delay": -1, "unit": "weeks", "step": "x"},
        {"delay": 1, "unit": "fortnights", "step": "x"},
        {"delay": 1, "unit": "weeks", "step": " "},
        {"delay": 1, "unit": "weeks", "step": "x", "anchor": "opened"},
        {
            "delay": 1,
            "unit": "weeks",
            "step": "x",
            "valid_from": date(2026, 2, 1),
            "valid_until": date(2026, 1, 2),
        },
    ],
)
def test_bad_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PresetStep(**kwargs)  # type: ignore[arg-type]


def test_a_preset_needs_steps() -> None:
    with pytest.raises(ValueError, match="no steps"):
        Preset(name="empty", steps=())


def test_config_adds_presets_and_keeps_the_shipped_ones(tmp_path: Path) -> None:
    from reminder.config import load_settings

    path = tmp_path / "c.toml"
    path.write_text(
        '[presets.water]\ntitle = "Water utility"\n'
        '[[presets.water.steps]]\ndelay = 10\nunit = "business_days"\nstep = "Write to the regulator"\n'
        '[[presets.gdpr.steps]]\ndelay = 2\nunit = "months"\nstep = "Our own rule"\n'
        '[export]\nics_path = "~/r.ics"\n',
        encoding="utf-8",
    )
    s = load_settings(path)
    assert set(s.presets) == {"water", "gdpr", "telecom", "telecom-uk"}
    assert s.presets["water"] == Preset(
        name="water",
        title="Water utility",
        steps=(PresetStep(10, "business_days", "Write to the regulator"),),
    )
    assert [st.step for st in s.presets["gdpr"].steps] == ["Our own rule"]  # replaced, not merged
    assert s.presets["telecom"] == DEFAULT_PRESETS["telecom"]
    assert s.export.ics_path == Path("~/r.ics").expanduser()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[presets.x]\n[[presets.x.steps]]\ndelay = 1\nunit = "fortnights"\nstep = "s"\n',
            "presets.x.steps[0].unit",
        ),
        (
            '[presets.x]\n[[presets.x.steps]]\ndelay = 1\nunit = "weeks"\nstep = "s"\nwhen = 1\n',
            "steps[0].when",
        ),
        ('[presets.x]\n[[presets.x.steps]]\ndelay = -2\nunit = "weeks"\nstep = "s"\n', "cannot be negative"),
        ('[presets.x]\ntitle = "no steps"\n', "presets.x"),
    ],
)
def test_bad_presets_in_config_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    from reminder.config import load_settings
    from reminder.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(path)
