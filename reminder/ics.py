"""iCalendar export: each open case's review window and deadline as all-day events.

Every case gives two events with stable UIDs (``<case id>-window@reminder`` and
``<case id>-deadline@reminder``), so importing a newer file updates the events
instead of duplicating them. SEQUENCE and DTSTAMP only move when an event's
content changes: :func:`render_ics` reads them from the previous file, which
makes an unchanged export byte-identical and lets :func:`write_ics_if_changed`
(called by ``reminder export --ics`` and by the daemon for ``export.ics_path``)
leave the file alone when nothing changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import InputError, StoreError
from .models import Case, ReviewWindow

__all__ = [
    "DEFAULT_DEADLINE_ALARMS",
    "DEFAULT_WINDOW_ALARMS",
    "PRODID",
    "IcsEntry",
    "deadline_uid",
    "render_ics",
    "window_uid",
    "write_bytes_atomic",
    "write_ics_if_changed",
]

log = logging.getLogger(__name__)

PRODID = "-//reminder//deadline reminders//EN"
# Triggers are relative to the all-day event's start (midnight, local time):
# 09:00 three days before, and 09:00 on the day.
DEFAULT_DEADLINE_ALARMS: tuple[timedelta, ...] = (-timedelta(days=2, hours=15), timedelta(hours=9))
DEFAULT_WINDOW_ALARMS: tuple[timedelta, ...] = (timedelta(hours=9),)
_HASH_PROP = "X-REMINDER-HASH"


@dataclass(frozen=True, slots=True)
class IcsEntry:
    """One case with its computed window."""

    case: Case
    window: ReviewWindow


def window_uid(case_id: str) -> str:
    return f"{case_id}-window@reminder"


def deadline_uid(case_id: str) -> str:
    return f"{case_id}-deadline@reminder"


def _previous_state(previous: bytes | None) -> dict[str, tuple[str, int, Any]]:
    """UID → (content hash, SEQUENCE, DTSTAMP) from a file written before."""
    if not previous:
        return {}
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(previous)
    except ValueError as exc:
        log.warning("ignoring the previous calendar file: %s", exc)
        return {}
    state: dict[str, tuple[str, int, Any]] = {}
    for ev in cal.walk("VEVENT"):
        uid = str(ev.get("UID", ""))
        if uid:
            stamp = ev.get("DTSTAMP")
            state[uid] = (
                str(ev.get(_HASH_PROP, "")),
                int(ev.get("SEQUENCE", 0)),
                stamp.dt if stamp else None,
            )
    return state


def _tentative_note(window: ReviewWindow) -> str:
    days = ", ".join(f"{t.name} ({t.date.isoformat()})" for t in window.tentative_because)
    return f"Tentative: counted across holidays on estimated dates: {days}." if days else "Tentative."


def _description(entry: IcsEntry, what: str) -> str:
    case, window = entry.case, entry.window
    lines = [what, f"Organisation: {case.organisation}"]
    if case.filed:
        lines.append(f"Filed: {case.filed}")
    if case.reference:
        lines.append(f"Reference: {case.reference}")
    lines.append(f"Submitted: {window.submitted.isoformat()}")
    unit = "business days" if window.unit == "business" else "days"
    lines.append(
        f"Window: {window.opens.isoformat()} to {window.deadline.isoformat()} ({window.min_days}–"
        f"{window.max_days} {unit}, {window.country}{'-' + window.subdivision if window.subdivision else ''})"
    )
    if window.tentative:
        lines.append(_tentative_note(window))
    if window.holidays_version:
        lines.append(f"Holiday data: {window.holidays_version}")
    lines.append(f"Case id: {case.id}")
    return "\n".join(lines)


def _event(
    uid: str,
    summary: str,
    start: date,
    end_inclusive: date,
    description: str,
    tentative: bool,
    alarms: Sequence[timedelta],
    alarm_text: str,
) -> Any:
    from icalendar import Alarm, Event

    ev = Event()
    ev.add("UID", uid)
    ev.add("SUMMARY", f"{summary} (tentative)" if tentative else summary)
    ev.add("DTSTART", start)
    ev.add("DTEND", end_inclusive + timedelta(days=1))  # DTEND of an all-day event is exclusive
    ev.add("DESCRIPTION", description)
    ev.add("STATUS", "TENTATIVE" if tentative else "CONFIRMED")
    ev.add("TRANSP", "TRANSPARENT")  # a waiting period does not make you busy
    for trigger in alarms:
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", alarm_text)
        alarm.add("TRIGGER", trigger)
        ev.add_component(alarm)
    return ev


def _events(
    entry: IcsEntry, deadline_alarms: Sequence[timedelta], window_alarms: Sequence[timedelta]
) -> list[Any]:
    case, window = entry.case, entry.window
    name = f"{case.organisation}: {case.title}"
    return [
        _event(
            window_uid(case.id),
            f"Review window: {name}",
            window.opens,
            window.deadline,
            _description(entry, "The decision may come from the first day and must come by the last."),
            window.tentative,
            window_alarms,
            f"Review window opens: check the status of {name}",
        ),
        _event(
            deadline_uid(case.id),
            f"Deadline: {name}",
            window.deadline,
            window.deadline,
            _description(entry, "Last day of the review: if nothing has come, follow up and escalate."),
            window.tentative,
            deadline_alarms,
            f"Review deadline for {name}",
        ),
    ]


def render_ics(
    entries: Iterable[IcsEntry],
    *,
    now: datetime,
    previous: bytes | None = None,
    deadline_alarms: Sequence[timedelta] = DEFAULT_DEADLINE_ALARMS,
    window_alarms: Sequence[timedelta] = DEFAULT_WINDOW_ALARMS,
) -> bytes:
    """The calendar for ``entries`` as iCalendar bytes.

    An event whose content differs from ``previous`` (the file written last
    time) gets SEQUENCE + 1 and DTSTAMP ``now``; an unchanged one keeps both.
    """
    if now.tzinfo is None:
        raise InputError("now must be timezone-aware")
    from icalendar import Calendar

    state = _previous_state(previous)
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("X-WR-CALNAME", "reminder: review windows")
    for entry in sorted(entries, key=lambda e: (e.window.deadline, e.case.id)):
        for ev in _events(entry, deadline_alarms, window_alarms):
            digest = hashlib.sha256(ev.to_ical()).hexdigest()[:32]
            uid = str(ev["UID"])
            old_digest, old_seq, old_stamp = state.get(uid, ("", -1, None))
            if old_digest == digest and old_stamp is not None:
                seq, stamp = old_seq, old_stamp
            else:
                seq, stamp = old_seq + 1, now
            ev.add("SEQUENCE", seq)
            ev.add("DTSTAMP", stamp)
            ev.add(_HASH_PROP, digest)
            cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` via a synced temporary file in the same directory and a rename.

    A reader (a calendar app, a mail client) sees the old file or the new one, never half of one.
    Mode 0600 by default: what reminder exports is personal.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_ics_if_changed(
    path: Path,
    entries: Iterable[IcsEntry],
    *,
    now: datetime,
    deadline_alarms: Sequence[timedelta] = DEFAULT_DEADLINE_ALARMS,
    window_alarms: Sequence[timedelta] = DEFAULT_WINDOW_ALARMS,
) -> bool:
    """Keep the calendar file at ``path`` current; ``True`` if it was (re)written (atomically)."""
    try:
        previous = path.read_bytes()
    except FileNotFoundError:
        previous = None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    data = render_ics(
        entries, now=now, previous=previous, deadline_alarms=deadline_alarms, window_alarms=window_alarms
    )
    if data == previous:
        return False
    write_bytes_atomic(path, data)
    log.info("calendar written to %s", path)
    return True
