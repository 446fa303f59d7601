"""What ``reminder status`` reports: whether the daemon runs, what is due next, counts by status."""

from __future__ import annotations

import os

from .outbox_summary import counts, next_reminder, retrying
from .pidlock import running_pid
from .store import Store
from .tz import zone as _zone

__all__ = ["reminder_status"]


def reminder_status(store: Store, data_dir: str | os.PathLike[str]) -> dict[str, object]:
    """For ``reminder status``: is the daemon running, what is due next, counts by status.

    ``next`` names the reminder behind ``next_due``: its case, kind, notifier and status, and
    the time in the case's own zone (``next_due`` itself is UTC; a retry's time when it failed,
    the time it fell due for one being sent). ``retrying``: how many reminders wait for a
    retry after a failed send (counted as planned), and the latest failure's error.
    """
    pid = running_pid(data_dir)
    upcoming = next_reminder(store)
    nxt: dict[str, object] | None = None
    if upcoming is not None:
        nxt = {
            "case": upcoming.case_id,
            "title": upcoming.title,
            "kind": upcoming.kind,
            "key": upcoming.key,  # "<case>:preset:<n>" for an escalation preset's step
            "preset": upcoming.preset,
            "notifier": upcoming.notifier,
            "at": upcoming.at.astimezone(_zone(upcoming.timezone)).isoformat(),
            "timezone": upcoming.timezone,
            "status": upcoming.status,  # "sending": in flight, or left so by a crash
        }
    return {
        "running": pid is not None,
        "pid": pid,
        "next_due": upcoming.at.isoformat() if upcoming else None,
        "next": nxt,
        "counts": counts(store),
        "retrying": retrying(store),
        "database": store.location,
    }
