"""What the configuration says about one case: its day, closures, window, template and preset steps.

Shared by the case use cases (``cases.py``), the reminder plan (``planning.py``), the
messages (``delivery.py``) and the exports, so each computes a case's window and alarms
from the same closures as the others. Pure: ``now`` comes in, nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from .models import Case, Closure, ReviewWindow
from .tz import country_timezone
from .tz import zone as _zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Settings
    from .dates import Moment
    from .presets import EscalationStep

__all__ = [
    "case_today",
    "closures_for",
    "country_zone_name",
    "preset_steps_for",
    "submission_day",
    "template_for",
    "window_for",
]


def case_today(case: Case, now: datetime) -> date:
    """The date it is for the case's organisation: ``now`` in the case's time zone."""
    return now.astimezone(_zone(case.timezone)).date()


def country_zone_name(settings: Settings, country: str) -> str:
    """The time zone of a case in ``country`` (its canonical code) when none is given: the
    configured zone belongs to the configured country; a case in another country gets that
    country's principal zone, so its reminders go out in office hours there."""
    if country == settings.defaults.country:
        return settings.defaults.timezone
    return country_timezone(country) or settings.defaults.timezone


def submission_day(
    settings: Settings,
    submitted: date | Moment,
    *,
    country: str | None,
    subdivision: str | None,
    now: datetime,
) -> date:
    """The day of a submission in ``country`` (as typed, or None: the configured one), as
    ``add`` places it for a case there: "today", "yesterday" and a time with an offset are
    taken in :func:`country_zone_name`'s zone at ``now``; a date alone is that date.

    Raises :class:`~reminder.errors.UnknownCountry` for a country the zone needs and that
    is not one."""
    from .dates import Moment

    if not isinstance(submitted, Moment):
        return submitted
    if submitted.day is not None and (submitted.time_of_day is None or submitted.offset is None):
        return submitted.day  # the day as written: no zone to look up
    code = settings.defaults.country
    if country is not None:
        from .countries import validated

        code = validated(country, subdivision)[0]
    return submitted.on_day(now=now, zone=_zone(country_zone_name(settings, code)))[0]


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
