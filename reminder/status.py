"""What ``reminder status`` reports: whether the daemon runs, what is due next, counts by status."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from .outbox_summary import case_leases, counts, failed_open, holders, next_reminder, retrying
from .pidlock import running_pid, running_pids
from .store import Store
from .tz import zone as _zone

__all__ = ["reminder_status", "sending_holders"]


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

    ``held``: who holds the reminders being sent (``sending``), each ``host``, ``pid``, ``tag`` (the
    rest of its name on its leases), ``running`` (whether it still runs: the pid lock on SQLite; on
    a shared store, connected to the database or running here; None when that cannot be known),
    ``sending`` (how many it holds) and ``until`` (when the last of its leases ends, ISO UTC; None:
    no lease, as on SQLite, where the next daemon to start takes them at once). A daemon killed
    mid-send leaves its rows ``sending``, and only the end of its lease hands them to another, so
    ``status`` must not take them for rows being sent. ``next.held_by`` is the next reminder's
    holder, with that row's own ``until``.

    ``failed_open``: how many of the ``failed`` rows (``counts``) are of open cases, those
    ``reminder notify retry`` sends again; a closed case's stay failed, and need nothing.
    """
    running, here, daemons = _daemons(store, data_dir)
    counted = counts(store)
    held = _holders(store, here, daemons["connected"]) if counted["sending"] else []
    upcoming = next_reminder(store)
    nxt: dict[str, object] | None = None
    if upcoming is not None:
        held_by = _held_by(upcoming.lease_owner, upcoming.lease_until, store, here, daemons["connected"])
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
            "held_by": held_by,  # a sending row's holder: is it still running, and until when
        }
    return {
        "running": running,
        "pid": here[0] if here else None,
        "daemons": daemons,
        "next_due": upcoming.at.isoformat() if upcoming else None,
        "next": nxt,
        "counts": counted,
        "retrying": retrying(store),
        "failed_open": failed_open(store) if counted["failed"] else 0,
        "held": held,
        "database": store.location,
    }


def sending_holders(
    store: Store, data_dir: str | os.PathLike[str], case_id: str
) -> tuple[bool | None, dict[tuple[str, str], dict[str, object] | None]]:
    """For ``reminder show``: whether any daemon runs (as ``reminder_status``'s ``running``), and
    who holds each of the case's ``sending`` rows, by (key, notifier), as ``next.held_by`` says it
    (None: no holder recorded). Nothing is asked of the daemons when the case has no such row."""
    leases = case_leases(store, case_id)
    if not leases:
        return None, {}
    running, here, daemons = _daemons(store, data_dir)
    return running, {
        (key, notifier): _held_by(owner, until, store, here, daemons["connected"])
        for key, notifier, owner, until in leases
    }


def _held_by(
    owner: str | None, until: float | None, store: Store, here: list[int], connected: object
) -> dict[str, object] | None:
    """A ``sending`` row's holder, as ``next.held_by`` gives it (None: none recorded)."""
    if owner is None:
        return None
    held_by = _holder(owner, 1, until, store, here, connected)
    del held_by["sending"]
    return held_by


def _holders(store: Store, here: list[int], connected: object) -> list[dict[str, object]]:
    return [_holder(owner, n, until, store, here, connected) for owner, n, until in holders(store)]


def _holder(
    owner: str, n: int, until: float | None, store: Store, here: list[int], connected: object
) -> dict[str, object]:
    """The daemon named ``owner`` on leases (``host:pid:tag``, outbox.process_owner) as ``held``
    lists it: whether it still runs, from the daemons ``_daemons`` found."""
    host, _, rest = owner.rpartition(":")
    host, _, pid_text = host.rpartition(":")
    pid = int(pid_text) if pid_text.isdigit() else None
    ours = host == os.uname().nodename  # outbox.process_owner's host
    running: bool | None
    if ours and pid in here:
        running = True  # its lock is held: the pid lock on SQLite, its own on a shared store
    elif store.dialect == "sqlite":
        # One daemon per file: the lock's holder, if any, is the one that runs. A holder named by
        # another machine (a file on a shared disk) cannot be told from the lock here.
        running = None if here and not ours else False
    elif isinstance(connected, list):  # a daemon is connected under its leases' name, from any machine
        running = any((d["pid"], d["tag"]) == (pid, rest) for d in connected)
    else:
        running = None  # the server does not say which daemons it has connected
    return {
        "host": host,
        "pid": pid,
        "tag": rest,
        "running": running,
        "sending": n,
        "until": None if until is None else datetime.fromtimestamp(until, UTC).isoformat(),
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
