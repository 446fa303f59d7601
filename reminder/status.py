"""What ``reminder status`` reports: whether the daemon runs, what is due next, counts by status."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .pidlock import running_pid
from .store import Store
from .tz import zone as _zone

__all__ = ["reminder_status"]


def reminder_status(store: Store, data_dir: Path) -> dict[str, object]:
    """For ``reminder status``: is the daemon running, what is due next, counts by status.

    ``next`` names the reminder behind ``next_due``: its case, kind, notifier and status, and
    the time in the case's own zone (``next_due`` itself is UTC; a retry's time when it failed,
    the time it fell due for one being sent).
    """
    from . import outbox

    pid = running_pid(data_dir)
    upcoming = outbox.next_delivery(store)
    next_due: datetime | None = None
    nxt: dict[str, object] | None = None
    if upcoming is not None:
        next_due, delivery = upcoming
        case = store.get_case(delivery.case_id)
        nxt = {
            "case": case.id,
            "title": case.title,
            "kind": delivery.kind,
            "notifier": delivery.notifier,
            "at": next_due.astimezone(_zone(case.timezone)).isoformat(),
            "timezone": case.timezone,
            "status": delivery.status,  # "sending": in flight, or left so by a crash
        }
    return {
        "running": pid is not None,
        "pid": pid,
        "next_due": next_due.isoformat() if next_due else None,
        "next": nxt,
        "counts": outbox.counts(store),
        "database": store.location,
    }
