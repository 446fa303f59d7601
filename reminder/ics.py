"""iCalendar export: each open case's review window, deadline and preset steps as all-day events.

Every case gives two events with stable UIDs (``<case id>-window@reminder`` and
``<case id>-deadline@reminder``), plus one per step of its escalation preset
(``<case id>-preset-<n>@reminder``), so importing a newer file updates the events
instead of duplicating them. The alarms are the case's planned reminders (``plan.py``,
the same plan the daemon sends from): the window's at ``opened`` (and ``before_open``),
the deadline's at ``before_deadline`` and ``deadline``, each step's on its day — so the
calendar and the reminders never disagree, whatever the policy and the country's weekend.
SEQUENCE and DTSTAMP only move when an event's content changes: :func:`render_ics`
reads them from the previous file, which
makes an unchanged export byte-identical and lets :func:`write_ics_if_changed`
(called by ``reminder export --ics`` and by the daemon for ``export.ics_path``)
leave the file alone when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import InputError, StoreError
from .explain import tentative_name
from .i18n import _, pgettext
from .labels import join
from .lazylog import get_logger
from .leftovers import atomic_file
from .models import Case, Reminder, ReviewWindow, preset_step
from .shipped import localised

__all__ = [
    "PRODID",
    "IcsEntry",
    "deadline_uid",
    "preset_uid",
    "render_ics",
    "window_uid",
    "write_bytes_atomic",
    "write_ics_if_changed",
]

log = get_logger(__name__)

PRODID = "-//reminder//deadline reminders//EN"
_HASH_PROP = "X-REMINDER-HASH"
# Which planned reminders ring on which event.
_WINDOW_KINDS = frozenset({"before_open", "opened"})
_DEADLINE_KINDS = frozenset({"before_deadline", "deadline"})


@dataclass(frozen=True, slots=True)
class IcsEntry:
    """One case with its computed window and its planned reminders (``plan.plan_reminders``);
    without reminders (a closed case) its events have no alarms."""

    case: Case
    window: ReviewWindow
    reminders: tuple[Reminder, ...] = ()


def window_uid(case_id: str) -> str:
    return f"{case_id}-window@reminder"


def deadline_uid(case_id: str) -> str:
    return f"{case_id}-deadline@reminder"


def preset_uid(case_id: str, n: int) -> str:
    return f"{case_id}-preset-{n}@reminder"


def _trigger(reminder: Reminder, start: date, zone: tzinfo) -> timedelta:
    """The reminder's time as an alarm trigger relative to an all-day event starting on ``start``.

    An all-day event starts at midnight local time, so the trigger is the reminder's wall time in
    the case's zone minus that midnight: Sunday 09:00 before a Tuesday deadline is -P1DT15H.
    """
    wall = reminder.due.astimezone(zone).replace(tzinfo=None)
    return wall - datetime.combine(start, time())


def _unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return text.replace("\n ", "").replace("\n\t", "").split("\n")


def _previous_state(previous: bytes | None) -> dict[str, tuple[str, int, datetime | None]]:
    """UID → (content hash, SEQUENCE, DTSTAMP) from a file this module wrote before.

    A line scan, not icalendar's parser: it only needs four properties of files
    it wrote itself, and parsing a 1,000-case calendar took seconds.
    """
    state: dict[str, tuple[str, int, datetime | None]] = {}
    if not previous:
        return state
    current: dict[str, str] | None = None
    for line in _unfold(previous):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            stamp = _parse_stamp(current.get("DTSTAMP", ""))
            try:
                seq = int(current.get("SEQUENCE", "0"))
            except ValueError:
                seq = 0
            if current.get("UID"):
                state[current["UID"]] = (current.get(_HASH_PROP, ""), seq, stamp)
            current = None
        elif current is not None and line.startswith(("UID", "SEQUENCE", "DTSTAMP", _HASH_PROP)):
            name, _, value = line.partition(":")
            current[name.split(";", 1)[0]] = value
    return state


def _parse_stamp(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


# The event texts are in the user's language (the daemon's and the CLI's, i18n.set_language);
# ISO dates stay, as a person copies them into a form. A language change rewrites the file:
# each event's digest covers its text.


def _tentative_note(window: ReviewWindow) -> str:
    days = join(
        _("%(name)s (%(day)s)", name=tentative_name(window, t), day=t.date.isoformat())
        for t in window.tentative_because
    )
    if not days:
        return _("Tentative.")
    return _("Tentative: counted across holidays on estimated dates: %(days)s.", days=days)


def _field(label: str, value: str) -> str:
    return _("%(label)s: %(value)s", label=label, value=value)


def _description(entry: IcsEntry, what: str) -> str:
    case, window = entry.case, entry.window
    lines = [what, _field(pgettext("calendar field", "Organisation"), case.organisation)]
    if case.filed:
        lines.append(_field(pgettext("calendar field", "Filed"), case.filed))
    if case.reference:
        lines.append(_field(pgettext("calendar field", "Reference"), case.reference))
    lines.append(_field(pgettext("calendar field", "Submitted"), window.submitted.isoformat()))
    place = f"{window.country}{'-' + window.subdivision if window.subdivision else ''}"
    span = {"opens": window.opens.isoformat(), "deadline": window.deadline.isoformat()}
    counts = {"min": window.min_days, "max": window.max_days, "place": place}
    if window.unit == "business":
        lines.append(
            _(
                "Window: %(opens)s to %(deadline)s (%(min)d–%(max)d business days, %(place)s)",
                **span,
                **counts,
            )
        )
    else:
        lines.append(
            _("Window: %(opens)s to %(deadline)s (%(min)d–%(max)d days, %(place)s)", **span, **counts)
        )
    if window.tentative:
        lines.append(_tentative_note(window))
    if window.holidays_version:
        lines.append(_field(pgettext("calendar field", "Holiday data"), window.holidays_version))
    lines.append(_field(pgettext("calendar field", "Case id"), case.id))
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _EventSpec:
    """What goes into one VEVENT, and a digest of it (to tell a changed event from an unchanged one)."""

    uid: str
    summary: str
    start: date
    end_inclusive: date
    description: str
    tentative: bool
    alarms: tuple[timedelta, ...]
    alarm_text: str
    # The summary as the calendar shows it: with "(tentative)" when the event is, in the user's language.
    shown_summary: str = ""

    @property
    def digest(self) -> str:
        parts = [
            self.uid,
            self.summary,
            self.start.isoformat(),
            self.end_inclusive.isoformat(),
            self.description,
            self.tentative,
            [t.total_seconds() for t in self.alarms],
            self.alarm_text,
        ]
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]

    def build(self, sequence: int, stamp: datetime, digest: str) -> Any:
        from icalendar import Alarm, Event

        ev = Event()
        ev.add("UID", self.uid)
        ev.add("SUMMARY", self.shown_summary or self.summary)
        ev.add("DTSTART", self.start)
        ev.add("DTEND", self.end_inclusive + timedelta(days=1))  # DTEND of an all-day event is exclusive
        ev.add("DESCRIPTION", self.description)
        ev.add("STATUS", "TENTATIVE" if self.tentative else "CONFIRMED")
        ev.add("TRANSP", "TRANSPARENT")  # a waiting period does not make you busy
        ev.add("SEQUENCE", sequence)
        ev.add("DTSTAMP", stamp)
        ev.add(_HASH_PROP, digest)
        for trigger in self.alarms:
            alarm = Alarm()
            alarm.add("ACTION", "DISPLAY")
            alarm.add("DESCRIPTION", self.alarm_text)
            alarm.add("TRIGGER", trigger)
            ev.add_component(alarm)
        return ev


def _specs(entry: IcsEntry) -> list[_EventSpec]:
    case, window = entry.case, entry.window
    name = _("%(organisation)s: %(title)s", organisation=case.organisation, title=case.title)
    zone = ZoneInfo(case.timezone)

    def alarms(kinds: frozenset[str], start: date) -> tuple[timedelta, ...]:
        return tuple(_trigger(r, start, zone) for r in entry.reminders if r.kind in kinds)

    specs = [
        _EventSpec(
            window_uid(case.id),
            _("Review window: %(name)s", name=name),
            window.opens,
            window.deadline,
            _description(entry, _("The decision may come from the first day and must come by the last.")),
            window.tentative,
            alarms(_WINDOW_KINDS, window.opens),
            _("Review window opens: check the status of %(name)s", name=name),
        ),
        _EventSpec(
            deadline_uid(case.id),
            _("Deadline: %(name)s", name=name),
            window.deadline,
            window.deadline,
            _description(entry, _("Last day of the review: if nothing has come, follow up and escalate.")),
            window.tentative,
            alarms(_DEADLINE_KINDS, window.deadline),
            _("Review deadline for %(name)s", name=name),
        ),
    ]
    # The escalation preset's steps: the plan keys them <case>:preset:<n>, with the step as note.
    for r in entry.reminders:
        if preset_step(r.key) is None:
            continue
        day = r.due.astimezone(zone).date()
        step = localised(r.note) if r.note else _("escalation step")
        if case.preset:
            what = _("Escalation step (%(preset)s): %(step)s", preset=case.preset, step=step)
        else:
            what = _("Escalation step: %(step)s", step=step)
        specs.append(
            _EventSpec(
                preset_uid(case.id, r.sequence),
                _("%(step)s — %(name)s", step=step, name=name),
                day,
                day,
                _description(entry, what),
                window.tentative,
                (_trigger(r, day, zone),),
                _("%(step)s (%(name)s)", step=step, name=name),
            )
        )
    if window.tentative:
        return [
            replace(spec, shown_summary=_("%(summary)s (tentative)", summary=spec.summary)) for spec in specs
        ]
    return specs


def _unchanged(state: dict[str, tuple[str, int, datetime | None]], uid: str, digest: str) -> bool:
    old = state.get(uid)
    return old is not None and old[0] == digest and old[2] is not None


def render_ics(
    entries: Iterable[IcsEntry],
    *,
    now: datetime,
    previous: bytes | None = None,
) -> bytes:
    """The calendar for ``entries`` as iCalendar bytes.

    An event whose content differs from ``previous`` (the file written last
    time) gets SEQUENCE + 1 and DTSTAMP ``now``; an unchanged one keeps both.
    When nothing changed at all, ``previous`` itself is returned.
    """
    if now.tzinfo is None:
        raise InputError("now must be timezone-aware")
    state = _previous_state(previous)
    specs = [
        spec
        for entry in sorted(entries, key=lambda e: (e.window.deadline, e.case.id))
        for spec in _specs(entry)
    ]
    digests = [spec.digest for spec in specs]
    kept = [_unchanged(state, spec.uid, digest) for spec, digest in zip(specs, digests, strict=True)]
    if previous and len(state) == len(specs) and all(kept):
        return previous  # the daemon's usual case; building the file costs ~0.6 ms per event

    from icalendar import Calendar

    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("X-WR-CALNAME", _("reminder: review windows"))
    stamp_now = now.astimezone(UTC)  # DTSTAMP is UTC (RFC 5545)
    for spec, digest, same in zip(specs, digests, kept, strict=True):
        _digest, old_seq, old_stamp = state.get(spec.uid, ("", -1, None))
        if same and old_stamp is not None:
            cal.add_component(spec.build(old_seq, old_stamp, digest))
        else:
            cal.add_component(spec.build(old_seq + 1, stamp_now, digest))
    data: bytes = cal.to_ical()
    return data


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o600, *, journal: Path | None = None) -> None:
    """Write ``data`` to ``path`` via a synced temporary file in the same directory and a rename.

    A reader (a calendar app, a mail client) sees the old file or the new one, never half of one.
    Mode 0600 by default: what reminder exports is personal. A symlink is written through:
    the file it points to is replaced and the link stays (see outfile.py). ``journal``
    (:func:`leftovers.journal_dir`) records the temporary file, so that one a crash leaves
    behind is swept (leftovers.py).
    """
    from .outfile import follow_links

    path = follow_links(path)
    try:
        with atomic_file(path, mode=mode, journal=journal) as fh:
            fh.write(data)
    except OSError as exc:
        raise StoreError(_("cannot write %(path)s: %(why)s", path=path, why=exc.strerror or exc)) from exc


def write_ics_if_changed(
    path: Path,
    entries: Iterable[IcsEntry],
    *,
    now: datetime,
    journal: Path | None = None,
) -> bool:
    """Keep the calendar file at ``path`` current; ``True`` if it was (re)written (atomically)."""
    try:
        previous = path.read_bytes()
    except FileNotFoundError:
        previous = None
    except OSError as exc:
        raise StoreError(_("cannot read %(path)s: %(why)s", path=path, why=exc.strerror or exc)) from exc
    data = render_ics(entries, now=now, previous=previous)
    if data == previous:
        return False
    write_bytes_atomic(path, data, journal=journal)
    log.info("calendar written to %s", path)
    return True
