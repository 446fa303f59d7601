"""What ``reminder status`` reports: whether the daemon runs, what is due next, counts by status."""

from __future__ import annotations

import os

from .outbox_summary import counts, next_reminder, retrying
from .pidlock import running_pid, running_pids
from .store import Store
from .tz import zone as _zone

__all__ = ["reminder_status"]


def reminder_status(store: Store, data_dir: str | os.PathLike[str]) -> dict[str, object]:
    """For ``reminder status``: is the daemon running, what is due next, counts by status.

    ``next`` names the reminder behind ``next_due``: its case, kind, notifier and status, and
    the time in the case's own zone (``next_due`` itself is UTC; a retry's time when it failed,
    the time it fell due for one being sent). ``retrying``: how many reminders wait for a
    retry after a failed send (counted as planned), and the latest failure's error.

    The daemons: on SQLite, the one holding the pid lock. On a shared store (PostgreSQL), where
    several run, ``daemons`` says which run on this machine (``here``: their own locks in
    ``data_dir``, and those the server names with this machine's host name) and which the database
    has connected, from any machine (``connected``, presence.py; None when the server does not
    say). ``running`` is then whether any runs, None when that cannot be known; ``pid`` is one
    running on this machine.
    """
    running, here, daemons = _daemons(store, data_dir)
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
        "running": running,
        "pid": here[0] if here else None,
        "daemons": daemons,
        "next_due": upcoming.at.isoformat() if upcoming else None,
        "next": nxt,
        "counts": counts(store),
        "retrying": retrying(store),
        "database": store.location,
    }


def _daemons(
    store: Store, data_dir: str | os.PathLike[str]
) -> tuple[bool | None, list[int], dict[str, object]]:
    """Whether a daemon runs (None: unknown), the pids of those on this machine, and ``daemons``."""
    if store.dialect == "sqlite":
        pid = running_pid(data_dir)
        here = [] if pid is None else [pid]
        return bool(here), here, {"shared": False, "here": here, "connected": None}
    from .presence import connected_daemons  # and the regular expressions it reads names with

    connected = connected_daemons(store)
    pids = set(running_pids(data_dir))
    pids.update(int(str(d["pid"])) for d in connected or () if d["here"])
    here = sorted(pids)
    running = True if here or connected else None if connected is None else False
    return running, here, {"shared": True, "here": here, "connected": connected}
