"""Which daemons serve a shared store (PostgreSQL), as the database server knows them.

On SQLite one daemon runs per database, and its pid lock says which (pidlock.py). On a shared
store several run, on this machine and others, and hold no pid lock between them; but the server
knows every connection it has. A daemon calls its connections after itself (:func:`name_for`):
``reminder daemon <host>:<pid>:<tag>``, its name on the leases it takes (outbox.process_owner), as
``application_name``; pg_stat_activity lists them, to any role: :func:`connected_daemons` reads
them, with when each daemon connected and when it last did something (the last statement on any
of its connections: a daemon looks at the outbox at least every ``max_sleep_seconds``), and how
many reminders it holds ``sending`` under its lease.

What cannot be known is said so, never guessed: the times are None where the server shows them
only to the daemons' own role (or pg_read_all_stats) and the reader is another; the whole list is
None where the server does not let the reader see pg_stat_activity at all. A daemon that is
connected but stuck, or whose machine lost power before the server noticed, is still listed:
how long ago it last did anything says so.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from .errors import StoreError

TYPE_CHECKING = False  # not typing's: a status bar polls `reminder status`
if TYPE_CHECKING:
    from .store import Store

__all__ = ["DAEMON_PREFIX", "connected_daemons", "name_for"]

DAEMON_PREFIX = "reminder daemon "
# PostgreSQL keeps the first 63 bytes of an application_name (NAMEDATALEN - 1), in printable ASCII.
_NAME_MAX = 63
_NAME = re.compile(r"reminder daemon (.*):(\d+):([0-9a-f]+)\Z")


def _ascii(text: str) -> str:
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)  # as the server keeps it


def name_for(owner: str) -> str:
    """The connections' name for the daemon whose lease owner is ``owner`` (``host:pid:tag``):
    the host cut short if need be, so that the server keeps the pid and the tag whole."""
    host, pid, tag = owner.rsplit(":", 2)
    room = _NAME_MAX - len(DAEMON_PREFIX) - len(pid) - len(tag) - 2
    return f"{DAEMON_PREFIX}{_ascii(host)[:room]}:{pid}:{tag}"


def _here(name: str, host: str) -> bool:
    """Whether the daemon whose connections are called ``name`` runs on this machine."""
    ours = _ascii(os.uname().nodename)  # outbox.process_owner's host
    return host == ours or (len(name) >= _NAME_MAX and ours.startswith(host))  # the host cut short


def _iso(value: object) -> str | None:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else None


def connected_daemons(store: Store) -> list[dict[str, object]] | None:
    """The daemons connected to ``store``'s database now, from any machine; None when the server
    does not say (or the store is SQLite's). Each: ``host``, ``pid``, ``tag`` (the rest of its name
    on its leases), ``here`` (its host is this machine's), ``since`` and ``last_active`` (ISO, UTC;
    None where the server hides them) and ``sending`` (reminders it holds under its lease)."""
    if store.dialect == "sqlite":
        return None
    try:
        rows = store.conn.execute(
            "SELECT application_name, min(backend_start), max(state_change) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE ? AND pid <> pg_backend_pid()"
            " GROUP BY application_name",
            (DAEMON_PREFIX + "%",),
        ).fetchall()
        held = store.conn.execute(
            "SELECT lease_owner, count(*) FROM deliveries WHERE status = 'sending' GROUP BY lease_owner"
        ).fetchall()
    except StoreError:
        return None
    # A lease's owner is the daemon's full name; a connection's may have its host cut short.
    sending = {tuple(str(owner).rsplit(":", 2)[1:]): int(n) for owner, n in held if owner}
    found = []
    for name, since, active in rows:
        match = _NAME.match(str(name))
        if match is not None:
            host, pid, tag = match.groups()
            found.append((not _here(str(name), host), host, int(pid), tag, since, active))
    return [
        {
            "host": host,
            "pid": pid,
            "tag": tag,
            "here": not elsewhere,
            "since": _iso(since),
            "last_active": _iso(active),
            "sending": sending.get((str(pid), tag), 0),
        }
        for elsewhere, host, pid, tag, since, active in sorted(found, key=lambda d: d[:3])
    ]
