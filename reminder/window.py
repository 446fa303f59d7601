"""The review window: when a decision may come (``opens``) and must come (``deadline``).

Day 0 is the submission date and never counts. In business days (the default) the
window opens on the ``min_days``-th business day after submission and the deadline
is the ``max_days``-th, in the calendar of :mod:`reminder.calendar`; in calendar days
both are plain day offsets. A window that counted across an estimated holiday or a
predicted closure is tentative, and says which days made it so.

Pure: the caller passes the submission date; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from .calendar import HOLIDAYS_VERSION, BusinessCalendar, get_calendar
from .errors import InputError
from .i18n import _
from .models import UNITS, Closure, DayInfo, ReviewWindow, TentativeDay

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .models import Unit

__all__ = ["compute_window", "window_to_dict"]


def compute_window(
    submitted: date,
    *,
    country: str,
    subdivision: str | None = None,
    min_days: int = 7,
    max_days: int = 15,
    unit: Unit = "business",
    closures: Sequence[Closure] = (),
    explain: bool = False,
) -> ReviewWindow:
    """The review window of a submission on ``submitted`` in ``country``.

    Raises :class:`~reminder.errors.UnknownCountry` for an unknown country or
    subdivision and :class:`~reminder.errors.InputError` for impossible day counts.
    """
    if 0 < min_days <= max_days and unit == "business" and not explain:
        # The common case, kept lean: the daemon recomputes windows for every case on each plan.
        cal = get_calendar(country, subdivision, closures)
        return _window(cal, submitted, min_days, max_days, unit, *cal.span(submitted, min_days, max_days))
    if not 0 <= min_days <= max_days:
        raise InputError(
            _(
                "the window needs 0 <= min-days <= max-days, got min-days %(min)d and max-days %(max)d",
                min=min_days,
                max=max_days,
            )
        )
    if unit not in UNITS:
        raise InputError(_("unknown unit %(unit)s; use business or calendar", unit=repr(unit)))
    cal = get_calendar(country, subdivision, closures)
    if unit == "business":
        opens = cal.add_business_days(submitted, min_days)
        deadline = cal.add_business_days(submitted, max_days)
        because = tuple(cal.tentative_days(submitted, deadline))
    else:
        try:
            opens = submitted + timedelta(days=min_days)
            deadline = submitted + timedelta(days=max_days)
        except OverflowError:
            raise InputError(
                _("%(n)d days after %(day)s is past the last supported date", n=max_days, day=submitted)
            ) from None
        # In calendar days no holiday can move the dates, so nothing is tentative.
        because = ()
    days: tuple[DayInfo, ...] = ()
    if explain:
        info = cal.explain(submitted, deadline)
        if unit == "calendar":
            # Every day counts in calendar days; business/reason still help a person check it.
            info = [
                DayInfo(
                    date=d.date,
                    business=d.business,
                    count=i,
                    reason=d.reason,
                    tentative=d.tentative,
                    code=d.code,
                )
                for i, d in enumerate(info, start=1)
            ]
        days = tuple(info)
    overrides = tuple(cal.overrides_used(submitted, deadline))
    warnings = tuple(cal.warnings(submitted, deadline))
    return _window(
        cal, submitted, min_days, max_days, unit, opens, deadline, because, overrides, warnings, days=days
    )


def _window(
    cal: BusinessCalendar,
    submitted: date,
    min_days: int,
    max_days: int,
    unit: Unit,
    opens: date,
    deadline: date,
    because: tuple[TentativeDay, ...],
    overrides: tuple[str, ...],
    warnings: tuple[str, ...],
    days: tuple[DayInfo, ...] = (),
) -> ReviewWindow:
    return ReviewWindow(
        country=cal.country,
        subdivision=cal.subdivision,
        submitted=submitted,
        opens=opens,
        deadline=deadline,
        min_days=min_days,
        max_days=max_days,
        unit=unit,
        tentative=bool(because),
        tentative_because=because,
        days=days,
        holidays_version=HOLIDAYS_VERSION,
        overrides=overrides,
        warnings=warnings,
    )


def window_to_dict(w: ReviewWindow) -> dict[str, object]:
    """The ``--json`` shape of a window (``days`` only when it was explained)."""
    out: dict[str, object] = {
        "country": w.country,
        "subdivision": w.subdivision,
        "submitted": w.submitted.isoformat(),
        "opens": w.opens.isoformat(),
        "deadline": w.deadline.isoformat(),
        "min_days": w.min_days,
        "max_days": w.max_days,
        "unit": w.unit,
        "tentative": w.tentative,
        "tentative_because": [{"date": t.date.isoformat(), "name": t.name} for t in w.tentative_because],
        "holidays_version": w.holidays_version,
        "overrides": list(w.overrides),
        "warnings": list(w.warnings),
    }
    if w.days:
        out["days"] = [
            {
                "date": d.date.isoformat(),
                "weekday": d.date.strftime("%a"),
                "business": d.business,
                "count": d.count,
                "reason": d.reason,
                "reason_code": d.code,
                "tentative": d.tentative,
            }
            for d in w.days
        ]
    return out
