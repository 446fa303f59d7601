"""What the configuration says about one case: its day, closures, window, template and preset steps.

Shared by the case use cases (``cases.py``), the reminder plan (``planning.py``), the
messages (``delivery.py``) and the exports, so each computes a case's window and alarms
from the same closures as the others. Pure: ``now`` comes in, nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from .models import Case, Closure, ReviewWindow
from .tz import zone as _zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Settings
    from .presets import EscalationStep

__all__ = ["case_today", "closures_for", "preset_steps_for", "template_for", "window_for"]


def case_today(case: Case, now: datetime) -> date:
    """The date it is for the case's organisation: ``now`` in the case's time zone."""
    return now.astimezone(_zone(case.timezone)).date()


def template_for(settings: Settings, kind: str) -> tuple[str | None, Sequence[str]]:
    template = settings.templates.get(kind)
    return (template.warning, template.items) if template is not None else (None, ())


def window_for(settings: Settings, case: Case, *, explain: bool = False) -> ReviewWindow:
    from .window import compute_window

    return compute_window(
        case.submitted,
        country=case.country,
        subdivision=case.subdivision,
        min_days=case.min_days,
        max_days=case.max_days,
        unit=case.unit,
        closures=closures_for(settings, case),
        explain=explain,
    )


def closures_for(settings: Settings, case: Case) -> tuple[Closure, ...]:
    """The config's closures and the case's own: every window and plan of the case counts with both."""
    return (*settings.closure_list(), *case.closures)


def preset_steps_for(
    settings: Settings, case: Case, window: ReviewWindow, calendar: Any
) -> list[EscalationStep]:
    """The dated steps of the case's escalation preset (none without one, or for an unknown name)."""
    preset = settings.presets.get(case.preset) if case.preset else None
    if preset is None:
        return []
    from .presets import escalation_steps  # here: a case without a preset need not load them

    return escalation_steps(preset, window.deadline, calendar, submitted=case.submitted)
