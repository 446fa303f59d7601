"""The calendar export: every open case's window, deadline and planned reminders as iCalendar.

The alarms are the planned reminders themselves (``planning.planned_reminders``), so the
calendar never disagrees with the outbox. Rendering and the atomic write are ``ics.py``'s.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .case_config import window_for
from .planning import planned_reminders
from .store import Store

if TYPE_CHECKING:
    from .config import Settings
    from .ics import IcsEntry

__all__ = ["export_ics", "sync_ics", "write_ics"]


def _ics_entries(store: Store, settings: Settings, case_id: str | None) -> list[IcsEntry]:
    from .ics import IcsEntry

    if case_id is not None:
        case = store.get_case(case_id)
        pairs = [(case, store.get_window(case.id))]
    else:
        pairs = store.list_cases_with_windows("open")
    entries = []
    for case, stored in pairs:
        window = stored or window_for(settings, case)
        # The alarms are the planned reminders themselves: the calendar never disagrees with them.
        entries.append(IcsEntry(case, window, tuple(planned_reminders(settings, case, window))))
    return entries


def export_ics(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    case_id: str | None = None,
    previous: bytes | None = None,
) -> bytes:
    """An iCalendar file of every open case (or just ``case_id``): window and deadline events.

    Pass the file written last time as ``previous`` so unchanged events keep their SEQUENCE.
    """
    from .ics import render_ics

    return render_ics(_ics_entries(store, settings, case_id), now=now, previous=previous)


def write_ics(
    store: Store, settings: Settings, path: Path, *, now: datetime, case_id: str | None = None
) -> bool:
    """Write the calendar to ``path`` if it changed (atomically); True when written."""
    from .ics import write_ics_if_changed
    from .leftovers import journal_dir

    entries = _ics_entries(store, settings, case_id)
    return write_ics_if_changed(path, entries, now=now, journal=journal_dir(store.path.parent))


def sync_ics(store: Store, settings: Settings, *, now: datetime) -> bool:
    """For the daemon: keep ``[export] ics_path`` current (no-op when it is not configured)."""
    path = settings.export.ics_path
    return False if path is None else write_ics(store, settings, path, now=now)
