"""Renderers for output: the JSON shape of a case (and, later, dossiers and other exports).

Everything here turns model objects into plain JSON-able data (ISO 8601 strings for
dates and times); the command line prints it. No I/O, no clock: "today" is passed in.
"""

from __future__ import annotations

from datetime import date

from .models import Case, ReviewWindow

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EXPORT_VERSION", "case_to_dict"]

EXPORT_VERSION = 1


def case_to_dict(case: Case, window: ReviewWindow | None, *, today: date | None = None) -> dict[str, Any]:
    """A case as ``--json`` prints it; ``window.days_left`` counts calendar days from ``today``
    to the deadline (negative once it has passed; None without a ``today``)."""
    win: dict[str, Any] | None = None
    if window is not None:
        win = {
            "opens": window.opens.isoformat(),
            "deadline": window.deadline.isoformat(),
            "tentative": window.tentative,
            "tentative_because": [
                {"date": t.date.isoformat(), "name": t.name} for t in window.tentative_because
            ],
            "days_left": (window.deadline - today).days if today is not None else None,
            "min_days": window.min_days,
            "max_days": window.max_days,
            "unit": window.unit,
            "holidays_version": window.holidays_version,
            "warnings": list(window.warnings),
        }
    return {
        "id": case.id,
        "title": case.title,
        "organisation": case.organisation,
        "kind": case.kind,
        "filed": case.filed,
        "reference": case.reference,
        "channels": list(case.channels),
        "account": case.account,
        "org_email": case.org_email,
        "letter_language": case.letter_language,
        "country": case.country,
        "subdivision": case.subdivision,
        "timezone": case.timezone,
        "submitted": case.submitted.isoformat(),
        "submitted_time": case.submitted_time.isoformat() if case.submitted_time else None,
        "min_days": case.min_days,
        "max_days": case.max_days,
        "unit": case.unit,
        "status": case.status,
        "resolution": case.resolution,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "created_at": case.created_at.isoformat() if case.created_at else None,
        "updated_at": case.updated_at.isoformat() if case.updated_at else None,
        "notes": case.notes,
        "preset": case.preset,
        "remind": dict(case.remind),
        "closures": [
            {"start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label} for c in case.closures
        ],
        "checklist": [
            {
                "position": i.position,
                "text": i.text,
                "done": i.done,
                "done_at": i.done_at.isoformat() if i.done_at else None,
            }
            for i in case.checklist
        ],
        "window": win,
    }
