"""The use cases: what the CLI and the daemon do with cases, each a single function.

Every write runs in one ``store.atomic()`` and, for a case that still exists, ends by
calling :func:`_after_case_change` inside that same transaction — the one place
where the reminder plan is brought up to date, so a case and its reminders never
disagree. Deleting calls :func:`_after_case_delete` instead.

The caller reads the clock once and passes ``now`` (an aware datetime) down; "today"
for a case is ``now`` in the case's own time zone.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dates import Moment, check_not_future
from .errors import InputError, ReminderError
from .models import (
    CASE_KINDS,
    Case,
    ChecklistItem,
    Closure,
    Delivery,
    EvidenceEntry,
    Message,
    Reminder,
    ReviewWindow,
    Unit,
)
from .store import StatusFilter, Store
from .tz import country_timezone, is_timezone
from .tz import zone as _zone

if TYPE_CHECKING:
    from .config import Settings
    from .dossier import Dossier
    from .evidence_verify import VerifyReport
    from .ics import IcsEntry
    from .notifiers.base import DeliveryResult, Notifier
    from .outbox import RetryPolicy
    from .plan import Policy
    from .presets import EscalationStep

__all__ = [
    "CaseView",
    "DispatchReport",
    "add_case",
    "build_dossier",
    "case_today",
    "check_item",
    "close_case",
    "delete_case",
    "deliver_due",
    "edit_case",
    "export_dossier",
    "export_dossier_checked",
    "export_ics",
    "get_case_view",
    "get_evidence",
    "housekeeping",
    "list_cases",
    "list_cases_json",
    "list_evidence",
    "list_reminders",
    "log_evidence",
    "notifier_routes",
    "plan_case",
    "plan_fingerprint",
    "policy_for",
    "refresh_windows",
    "reminder_status",
    "reopen_case",
    "replan_all",
    "replan_if_changed",
    "save_dossier",
    "sync_ics",
    "verify_evidence",
    "write_ics",
]

log = logging.getLogger(__name__)

EDITABLE_FIELDS = frozenset(
    {
        "title",
        "organisation",
        "kind",
        "filed",
        "reference",
        "channels",
        "country",
        "subdivision",
        "timezone",
        "submitted",
        "submitted_time",
        "min_days",
        "max_days",
        "unit",
        "notes",
        "preset",
        "remind",
        "closures",
        "account",
        "org_email",
        "letter_language",
    }
)
# Fields that move the review window when they change.
_WINDOW_FIELDS = frozenset(
    {"country", "subdivision", "submitted", "min_days", "max_days", "unit", "closures"}
)
_OPTIONAL_TEXT = ("filed", "reference", "notes", "preset", "subdivision")


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as ``show``/``list`` present it: the case, its window and the day it is for the user."""

    case: Case
    window: ReviewWindow | None
    today: date
    warning: str | None = None  # the kind's template warning (e.g. fraudsters asking for codes)
    # The case's outbox rows (see list_reminders); None where they were not looked up (list).
    reminders: tuple[Mapping[str, object], ...] | None = None
    # How many evidence entries the case has, and the latest few (show); None in list.
    evidence_count: int | None = None
    evidence: tuple[EvidenceEntry, ...] = ()
    preset_title: str | None = None

    @property
    def preset_steps(self) -> list[dict[str, object]]:
        """The escalation preset's dated steps, from the planned reminders (one per step)."""
        steps: dict[str, dict[str, object]] = {}
        for r in self.reminders or ():
            key = str(r["key"])
            if ":preset:" in key and key not in steps:
                steps[key] = {"n": int(key.rsplit(":", 1)[1]), "due": r["due"], "step": r.get("step")}
        return sorted(steps.values(), key=lambda s: (str(s["due"]), int(str(s["n"]))))

    @property
    def days_left(self) -> int | None:
        """Calendar days from today to the deadline (negative once it has passed)."""
        return None if self.window is None else (self.window.deadline - self.today).days


# --- hooks -----------------------------------------------------------------------------------------


def _after_case_change(store: Store, settings: Settings, case: Case, now: datetime) -> None:
    """Called inside the write's transaction after a case was added or changed.

    Re-plans the case's reminders into the outbox in the same transaction, so a case
    and its reminders never disagree (closing cancels what is unsent).
    """
    plan_case(store, settings, case, now=now)


def _after_case_delete(store: Store, settings: Settings, case_id: str, now: datetime) -> None:
    """Called inside the transaction that deleted a case (its rows cascade). Does nothing yet."""


# --- helpers ---------------------------------------------------------------------------------------


def case_today(case: Case, now: datetime) -> date:
    """The date it is for the case's organisation: ``now`` in the case's time zone."""
    return now.astimezone(_zone(case.timezone)).date()


def _placed(
    submitted: date | Moment, submitted_time: time | None, now: datetime, zone_name: str
) -> tuple[date, time | None]:
    """The submission's day and time in the case's zone (a plain date is taken as it is)."""
    if isinstance(submitted, Moment):
        return submitted.on_day(now=now, zone=_zone(zone_name))
    return submitted, submitted_time


def _check_timezone(name: str) -> str:
    if not is_timezone(name):
        raise InputError(f"unknown time zone {name!r}; use an IANA name such as 'Asia/Bahrain'")
    return name


def _default_timezone(settings: Settings, country: str) -> str:
    # The configured zone belongs to the configured country; a case in another country
    # gets that country's principal zone so its reminders go out in office hours there.
    if country == settings.defaults.country:
        return settings.defaults.timezone
    return country_timezone(country) or settings.defaults.timezone


def _template_for(settings: Settings, kind: str) -> tuple[str | None, Sequence[str]]:
    template = settings.templates.get(kind)
    return (template.warning, template.items) if template is not None else (None, ())


def _check_kind(settings: Settings, kind: str) -> str:
    kind = kind.strip().lower()
    if kind in CASE_KINDS or kind in settings.templates:
        return kind
    valid = ", ".join([*CASE_KINDS, *sorted(settings.templates)])
    raise InputError(f"unknown kind {kind!r}; use one of {valid} (or add [templates.{kind}] to the config)")


def _check_preset(settings: Settings, name: str | None) -> str | None:
    if name is None:
        return None
    # settings.presets already holds the shipped presets beside the config's own.
    if name not in settings.presets:
        raise InputError(
            f"unknown escalation preset {name!r}; use one of {', '.join(sorted(settings.presets))}"
        )
    return name


def _text(value: object, name: str, *, required: bool = False) -> str | None:
    if value is None:
        text = None
    elif isinstance(value, str):
        text = value.strip() or None
    else:
        raise InputError(f"{name} must be text, got {value!r}")
    if required and text is None:
        raise InputError(f"{name} must not be empty")
    return text


def _compute(settings: Settings, case: Case, *, explain: bool = False) -> ReviewWindow:
    from .window import compute_window

    return compute_window(
        case.submitted,
        country=case.country,
        subdivision=case.subdivision,
        min_days=case.min_days,
        max_days=case.max_days,
        unit=case.unit,
        closures=_closures_for(settings, case),
        explain=explain,
    )


def _with_window(settings: Settings, case: Case) -> tuple[Case, ReviewWindow]:
    """Compute the window and adopt the calendar's canonical country/subdivision codes."""
    window = _compute(settings, case)
    if (window.country, window.subdivision) != (case.country, case.subdivision):
        case = replace(case, country=window.country, subdivision=window.subdivision)
    return case, window


# --- use cases -------------------------------------------------------------------------------------


def add_case(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    title: str,
    organisation: str,
    submitted: date | Moment,
    country: str | None = None,
    subdivision: str | None = None,
    timezone: str | None = None,
    kind: str = "other",
    filed: str | None = None,
    reference: str | None = None,
    channels: Iterable[str] = (),
    submitted_time: time | None = None,
    min_days: int | None = None,
    max_days: int | None = None,
    unit: Unit | None = None,
    notes: str | None = None,
    preset: str | None = None,
    remind: Mapping[str, object] | None = None,
    closures: Iterable[Closure] = (),
    refuse_future: bool = False,
    account: str | None = None,
    org_email: str | None = None,
    letter_language: str | None = None,
) -> Case:
    """Record a submission, compute its window and attach its kind's checklist.

    A :class:`~reminder.dates.Moment` for ``submitted`` ("today", a time with an offset) is
    placed in the case's time zone. ``refuse_future``: a submission after today there is an
    InputError (the CLI's default: a typo there silently pushes every reminder out).
    """
    from .letters import letter_fields

    d = settings.defaults
    kind = _check_kind(settings, kind)
    letter = letter_fields(account=account, org_email=org_email, letter_language=letter_language)
    case_country = (country or d.country).strip().upper()
    if subdivision is not None:
        case_subdivision = _text(subdivision, "subdivision")
    else:
        # The configured subdivision belongs to the configured country only.
        case_subdivision = d.subdivision if case_country == d.country else None
    _, items = _template_for(settings, kind)
    zone_name = _check_timezone(timezone) if timezone else d.timezone
    day, day_time = _placed(submitted, submitted_time, now, zone_name)
    case = Case(
        id="",
        title=_text(title, "title", required=True) or "",
        organisation=_text(organisation, "organisation", required=True) or "",
        submitted=day,
        country=case_country,
        subdivision=case_subdivision,
        timezone=zone_name,
        kind=kind,
        filed=_text(filed, "filed"),
        reference=_text(reference, "reference"),
        channels=tuple(c.strip() for c in channels if c.strip()),
        submitted_time=day_time,
        min_days=d.min_days if min_days is None else min_days,
        max_days=d.max_days if max_days is None else max_days,
        unit=unit or d.unit,
        notes=_text(notes, "notes"),
        preset=_check_preset(settings, _text(preset, "preset")),
        remind=dict(remind or {}),
        closures=tuple(closures),
        created_at=now,
        updated_at=now,
        checklist=tuple(ChecklistItem(position=i, text=t) for i, t in enumerate(items, start=1)),
        account=letter["account"],
        org_email=letter["org_email"],
        letter_language=letter["letter_language"],
    )
    case, window = _with_window(settings, case)
    if not timezone and case.country != d.country:
        case = replace(case, timezone=_default_timezone(settings, case.country))
        log.info("case in %s: using time zone %s", case.country, case.timezone)
        placed = _placed(submitted, submitted_time, now, case.timezone)
        if placed != (case.submitted, case.submitted_time):  # "today" is the case's today
            case = replace(case, submitted=placed[0], submitted_time=placed[1])
            case, window = _with_window(settings, case)
    if refuse_future:
        check_not_future(case.submitted, now=now, zone=_zone(case.timezone))
    with store.atomic():
        stored = store.add_case(case, window)
        _after_case_change(store, settings, stored, now)
    return stored


def edit_case(
    store: Store,
    settings: Settings,
    case_id: str,
    *,
    now: datetime,
    refuse_future: bool = False,
    **changes: Any,
) -> Case:
    """Change some fields of a case; the window is recomputed. ``None`` leaves a field as it is,
    an empty string clears an optional text field. ``submitted`` as in :func:`add_case`."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InputError(
            f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(sorted(EDITABLE_FIELDS))}"
        )
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise InputError("nothing to change: give at least one field to edit")
    for name in ("title", "organisation"):
        if name in given:
            given[name] = _text(given[name], name, required=True)
    for name in _OPTIONAL_TEXT:
        if name in given:
            given[name] = _text(given[name], name)
    if "kind" in given:
        given["kind"] = _check_kind(settings, given["kind"])
    if "country" in given:
        given["country"] = str(given["country"]).strip().upper()
    if "timezone" in given:
        given["timezone"] = _check_timezone(given["timezone"])
    if given.get("preset"):
        given["preset"] = _check_preset(settings, given["preset"])
    for name in ("channels", "closures"):
        if name in given:
            given[name] = tuple(given[name])
    if "remind" in given:
        given["remind"] = dict(given["remind"])
    from .letters import LETTER_FIELDS, letter_fields

    given.update(letter_fields(**{k: given[k] for k in LETTER_FIELDS if k in given}))
    with store.atomic():
        old = store.get_case(case_id)
        if isinstance(given.get("submitted"), Moment):  # placed in the case's (new) zone
            zone_name = given.get("timezone") or old.timezone
            given["submitted"], at = _placed(given["submitted"], None, now, zone_name)
            if at is not None:  # a date alone keeps the time of day recorded before, as it always did
                given["submitted_time"] = at
        case = replace(old, **given, updated_at=now)
        if "submitted" in given and refuse_future:
            check_not_future(case.submitted, now=now, zone=_zone(case.timezone))
        if "country" in given and "subdivision" not in given and case.country != old.country:
            case = replace(case, subdivision=None)  # a subdivision belongs to its country
        if set(given) & _WINDOW_FIELDS:
            case, window = _with_window(settings, case)
            store.update_case(case, window)
        else:
            store.update_case(case)
        if "kind" in given and not old.checklist:
            _, items = _template_for(settings, case.kind)
            if items:
                store.add_checklist_items(case.id, list(items))
                case = replace(case, checklist=store.get_checklist(case.id))
        _after_case_change(store, settings, case, now)
    return case


def close_case(
    store: Store, settings: Settings, case_id: str, *, now: datetime, resolution: str | None = None
) -> Case:
    """Mark a case closed (the organisation decided, or you gave up), with what happened."""
    with store.atomic():
        old = store.get_case(case_id)
        if old.status == "closed":
            when = old.closed_at.date().isoformat() if old.closed_at else "earlier"
            raise InputError(f"case {old.id} is already closed ({when}); 'reminder reopen {old.id}' first")
        case = replace(
            old, status="closed", resolution=_text(resolution, "resolution"), closed_at=now, updated_at=now
        )
        store.update_case(case)
        _after_case_change(store, settings, case, now)
    return case


def reopen_case(store: Store, settings: Settings, case_id: str, *, now: datetime) -> Case:
    """Reopen a closed case: its reminders resume."""
    with store.atomic():
        old = store.get_case(case_id)
        if old.status == "open":
            raise InputError(f"case {old.id} is already open")
        case = replace(old, status="open", resolution=None, closed_at=None, updated_at=now)
        store.update_case(case)
        _after_case_change(store, settings, case, now)
    return case


def delete_case(store: Store, settings: Settings, case_id: str, *, now: datetime) -> Case:
    """Delete a case and everything stored with it; returns what was deleted."""
    with store.atomic():
        case = store.get_case(case_id)
        store.delete_case(case.id)
        _after_case_delete(store, settings, case.id, now)
    return case


def list_cases(
    store: Store, *, now: datetime, status: StatusFilter = "open", due_before: date | None = None
) -> list[CaseView]:
    """Cases sorted by deadline, with their stored windows (no holiday data needed)."""
    return [
        CaseView(case=case, window=window, today=case_today(case, now))
        for case, window in store.list_cases_with_windows(status, due_before)
    ]


def list_cases_json(
    store: Store, *, now: datetime, status: StatusFilter = "open", due_before: date | None = None
) -> str:
    """``list_cases`` as the JSON text ``reminder list --json`` prints (built in SQL, for speed)."""
    from .listing import todays

    return store.list_cases_json(status, due_before, today=todays(store.conn, now))


def get_case_view(
    store: Store, settings: Settings, case_id: str, *, now: datetime, explain: bool = False
) -> CaseView:
    """Everything about one case. ``explain`` recomputes the window day by day."""
    from .evidence import list_entries

    case = store.get_case(case_id)
    window = _compute(settings, case, explain=True) if explain else store.get_window(case.id)
    warning, _ = _template_for(settings, case.kind)
    entries = list_entries(store, case.id)
    preset = settings.presets.get(case.preset) if case.preset else None
    return CaseView(
        case=case,
        window=window,
        today=case_today(case, now),
        warning=warning,
        reminders=tuple(list_reminders(store, case.id)),
        evidence_count=len(entries),
        evidence=tuple(entries[-SHOW_EVIDENCE:]),
        preset_title=preset.title if preset is not None else None,
    )


# Evidence entries `show` lists (the latest); `evidence list` has them all.
SHOW_EVIDENCE = 3


def check_item(store: Store, case_id: str, item: str, *, now: datetime, undo: bool = False) -> ChecklistItem:
    """Tick (or with ``undo`` untick) a checklist item given by its number or the start of its text."""
    with store.atomic():
        case = store.get_case(case_id)
        if not case.checklist:
            raise InputError(f"case {case.id} has no checklist")
        position = _find_item(case, item)
        ticked = store.set_item_done(case.id, position, done=not undo, at=now)
        store.touch(case.id, now)
    return ticked


def _find_item(case: Case, item: str) -> int:
    wanted = item.strip()
    if wanted.isdigit():
        position = int(wanted)
        if any(i.position == position for i in case.checklist):
            return position
        raise InputError(f"case {case.id} has no checklist item {position} (items 1–{len(case.checklist)})")
    from .shipped import localised

    # An item reminder shipped matches as the user reads it too (用完 as well as "Use up").
    texts = [(i, {i.text.lower(), localised(i.text).lower()}) for i in case.checklist]
    low = wanted.lower()
    matches = [i for i, names in texts if any(n.startswith(low) for n in names)] if wanted else []
    if not matches:
        matches = [i for i, names in texts if any(low in n for n in names)] if wanted else []
    if len(matches) == 1:
        return matches[0].position
    if not matches:
        raise InputError(f"no checklist item of case {case.id} matches {item!r}; give its number")
    listed = ", ".join(f"{i.position} ({i.text[:30]})" for i in matches)
    raise InputError(f"{item!r} matches several items: {listed}; give its number")


def refresh_windows(store: Store, settings: Settings, *, now: datetime) -> list[Case]:
    """Recompute the stored window of every open case (after the config's closures or the
    holiday data changed); returns the cases whose window moved."""
    moved: list[Case] = []
    with store.atomic():
        for case, stored in store.list_cases_with_windows("open"):
            _, window = _with_window(settings, case)
            if stored is None or (stored.opens, stored.deadline, stored.tentative) != (
                window.opens,
                window.deadline,
                window.tentative,
            ):
                store.update_case(case, window)
                _after_case_change(store, settings, case, now)
                moved.append(case)
    return moved


# --- reminders: plan, outbox and delivery (the daemon's use cases) --------------------------------


@dataclass
class DispatchReport:
    """What one delivery pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    superseded: int = 0
    stopped_early: bool = False
    errors: list[str] = field(default_factory=list)


def policy_for(settings: Settings, case: Case) -> Policy:
    """The ``[reminders]`` policy with the case's own ``--remind`` overrides applied."""
    from .plan import Policy

    r = settings.reminders
    base = Policy(
        hour=settings.defaults.hour,
        minute=settings.defaults.minute,
        before_open=r.before_open,
        opened=r.opened,
        before_deadline=r.before_deadline,
        deadline=r.deadline,
        escalation_every=r.escalation_every,
        escalation_max=r.escalation_max,
    )
    return base.with_overrides(case.remind)


def notifier_routes(settings: Settings) -> list[tuple[str, frozenset[str] | None]]:
    """(label, kinds it receives) for every enabled notifier, without building them.

    Building would import SMTP and D-Bus code; planning needs only names and kinds.
    """
    if not settings.notifiers:
        return [("log", None)]
    from .notifiers import parse_notifier_tables

    specs = parse_notifier_tables(settings.notifiers, config_file=settings.source)
    return [
        (s.label, None if s.options.kinds is None else frozenset(s.options.kinds))
        for s in specs
        if s.options.enabled
    ]


def plan_case(
    store: Store,
    settings: Settings,
    case: Case,
    *,
    now: datetime,
    routes: list[tuple[str, frozenset[str] | None]] | None = None,
    window: ReviewWindow | None = None,
) -> list[Reminder]:
    """Re-plan one case's reminders into the outbox (inside the caller's transaction).

    ``window``: the case's stored window when the caller has already read it.
    """
    from . import outbox

    if case.status != "open":
        outbox.cancel_case(store, case.id, now)
        return []
    window = window or store.get_window(case.id) or _compute(settings, case)
    if case.preset and case.preset not in settings.presets:
        log.warning("case %s names unknown preset %r; no preset escalations planned", case.id, case.preset)
    reminders = _plan(settings, case, window)
    routes = routes if routes is not None else notifier_routes(settings)
    wanted = [
        (reminder, label)
        for reminder in reminders
        for label, kinds in routes
        if kinds is None or reminder.kind in kinds
    ]
    outbox.sync_plan(store, case.id, wanted, now)
    return reminders


def _plan(settings: Settings, case: Case, window: ReviewWindow) -> list[Reminder]:
    """The case's reminders: what the outbox holds and the calendar's alarms show (one plan)."""
    from .calendar import get_calendar
    from .plan import plan_reminders

    calendar = get_calendar(case.country, case.subdivision, _closures_for(settings, case))
    return plan_reminders(
        case, window, policy_for(settings, case), calendar, _preset_steps(settings, case, window, calendar)
    )


REPLAN_BATCH = 500


_PLAN_FINGERPRINT = "plan_fingerprint"


def plan_fingerprint(settings: Settings) -> str:
    """A hash of everything a case's plan depends on besides the case itself.

    The CLI re-plans a case in the transaction that changes it, so the daemon only
    needs to re-plan everything when one of these changed while it was not looking:
    the policy, the notifiers and what they receive, the closures and presets, the
    holiday data (package version and our override files) and reminder's own version.
    """
    import hashlib
    import json
    from importlib import resources

    from . import __version__
    from .calendar import HOLIDAYS_VERSION

    overrides = resources.files("reminder").joinpath("data", "overrides")
    override_text = {
        f.name: f.read_text(encoding="utf-8")
        for f in sorted(overrides.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".toml")
    }
    inputs = {
        "reminders": settings.reminders.model_dump(mode="json"),
        "hour": [settings.defaults.hour, settings.defaults.minute],
        "routes": sorted(
            (label, sorted(kinds) if kinds else None) for label, kinds in notifier_routes(settings)
        ),
        "closures": [c.model_dump(mode="json") for c in settings.closures],
        "presets": repr(sorted(settings.presets.items())),
        "holidays": HOLIDAYS_VERSION,
        "overrides": override_text,
        "reminder": __version__,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def replan_if_changed(store: Store, settings: Settings, *, now: datetime) -> int | None:
    """Re-plan every open case unless nothing a plan depends on changed since the last time.

    Returns how many cases were re-planned, or None when it was not needed (at 100,000
    cases that saves the daemon ~16 s at every start).
    """
    fingerprint = plan_fingerprint(settings)
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (_PLAN_FINGERPRINT,)).fetchone()
    if row is not None and row[0] == fingerprint:
        return None
    count = replan_all(store, settings, now=now)
    # Written only once every batch is in: a crash half-way re-plans everything next time.
    with store.atomic():
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_PLAN_FINGERPRINT, fingerprint),
        )
    return count


def replan_all(store: Store, settings: Settings, *, now: datetime) -> int:
    """Re-plan every open case (after a config change or at start-up). Returns how many.

    A batch of cases at a time, each batch in its own transaction: the daemon holds
    one batch in memory, not 100,000 cases, and never holds the write lock long
    enough for a CLI command to time out waiting. Each case's plan is written whole.
    """
    routes = notifier_routes(settings)
    count, after = 0, ""
    while True:
        with store.atomic():
            batch = store.case_batch("open", after=after, limit=REPLAN_BATCH)
            for case, window in batch:
                plan_case(store, settings, case, now=now, routes=routes, window=window)
        if not batch:
            return count
        count += len(batch)
        after = batch[-1][0].id


def list_reminders(store: Store, case_id: str) -> list[dict[str, object]]:
    """The case's outbox rows for ``show --json``: kind, due, status, notifier, attempts, sent_at."""
    from . import outbox

    return [
        {
            "kind": d.kind,
            "key": d.key,
            "due": d.due.isoformat(),
            "status": d.status,
            "notifier": d.notifier,
            "attempts": d.attempts,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            "last_error": d.last_error,
            "step": d.note,  # what an escalation preset's step says to do
        }
        for d in outbox.list_deliveries(store, case_id)
    ]


# Rows read, rendered and claimed at a time, as a notifier takes their messages.
SEND_CHUNK = 200


# From this many due messages (a catch-up), the WAL is checkpointed from another thread.
CHECKPOINT_ASIDE_FROM = 100


def _checkpoints_aside(store: Store, messages: int) -> contextlib.AbstractContextManager[None]:
    if messages >= CHECKPOINT_ASIDE_FROM:
        return store.checkpoints_aside()
    return contextlib.nullcontext()


class _Handover(Iterator[Message]):
    """The messages handed to one ``send_stream`` call, numbered as the notifier sees them.

    ``pending`` holds what was handed over and has no result yet, by that number; messages
    in ``again`` go first. ``operator.length_hint`` (PEP 424) says how many more may come:
    the e-mail notifier opens connections by it.
    """

    def __init__(
        self,
        source: Iterator[tuple[Delivery, Message]],
        again: deque[tuple[Delivery, Message]],
        untaken: Callable[[], int],
    ) -> None:
        self.source, self.again, self.untaken = source, again, untaken
        self.pending: dict[int, tuple[Delivery, Message]] = {}
        self.count = 0

    def __next__(self) -> Message:
        item = self.again.popleft() if self.again else next(self.source)
        self.pending[self.count] = item
        self.count += 1
        return item[1]

    def __length_hint__(self) -> int:
        return len(self.again) + self.untaken()


class _Stopped(Exception):
    """Raised from a batch's ``on_result`` to end it early: the daemon was asked to stop."""


def deliver_due(
    store: Store,
    settings: Settings,
    notifiers: Sequence[Notifier],
    *,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchReport:
    """Send everything the outbox says is due at ``now``.

    Per case and notifier, the reminders that fell due while no daemon ran are folded into
    the latest due one — one message that says where things stand — and marked superseded:
    after 30 days off, one message per case, not a flood. Reminders due now (two at the same
    minute) each go out. Each notifier runs in its own
    thread with its own connection to the database, so a slow or failing channel
    never delays the others. It is streamed its messages (``Notifier.send_stream``):
    rows are read and committed ``sending`` a chunk at a time as it takes them, and
    each ``sent`` as soon as the notifier reports it accepted (``on_result``). So a
    crash can repeat only the messages in flight: one, or one per connection for
    e-mail over several.
    """
    from concurrent.futures import ThreadPoolExecutor

    from . import outbox

    clock = clock or (lambda: now)
    report = DispatchReport()
    retry = _retry_policy(settings)
    # A retry planned before the wall clock went back must not wait months: it is planned
    # again from now (one read of meta when the clock did not go back).
    moved = outbox.bound_retries(store, now, retry)
    if moved:
        log.warning("the clock went back: %d retry time(s) planned again from now", moved)
    # Fold only what fell due while no daemon ran (outbox.FOLD_MARGIN says why this grace).
    grace = timedelta(seconds=settings.daemon.max_sleep_seconds) + outbox.FOLD_MARGIN
    due = outbox.due_folded(store, now, grace=grace)
    if not due:
        return report
    by_label = {n.label: n for n in notifiers}
    # Per notifier: each case's latest due row and how many earlier ones were folded into it
    # (marked superseded, all in one commit before anything is sent: spread over the chunks'
    # claims instead, the same pages went to the log again and again, and a catch-up to
    # smtp-sink took 8.3-9.0 s instead of 6.9-8.4 s).
    work: dict[str, list[tuple[Delivery, int]]] = {}
    folded: list[tuple[list[int], str]] = []
    unconfigured: list[tuple[Delivery, list[int]]] = []
    for latest, earlier in due:
        if latest.notifier in by_label:
            work.setdefault(latest.notifier, []).append((latest, len(earlier)))
            if earlier:
                folded.append((earlier, latest.key))
        else:
            unconfigured.append((latest, earlier))
    with store.atomic():  # one commit for the whole catch-up, not one per case
        report.superseded = outbox.supersede_all(store, folded, now)
        for latest, earlier in unconfigured:
            # The notifier was removed from the config: nothing can send these.
            for delivery_id in [*earlier, latest.id]:
                outbox.record_failure(
                    store,
                    delivery_id,
                    f"notifier {latest.notifier!r} is not configured",
                    now,
                    retry,
                    retryable=False,
                )
                report.failed += 1

    lock = threading.Lock()
    # The notifier threads' commits queue here, in this process, rather than in SQLite's busy
    # handler, which sleeps (1 ms, then 2, 5, 10, ...) before it looks at the lock again.
    writes = threading.Lock()

    def settle(own: Store, label: str, delivery: Delivery, result: DeliveryResult) -> None:
        if result.ok:
            with writes:
                outbox.mark_sent(own, delivery.id, clock())
            with lock:
                report.sent += 1
            return
        if result.retryable and should_stop():
            # Most likely cut short by the stop itself (Notifier.cancel): back to planned for
            # the next start, without counting an attempt against the reminder.
            with writes:
                outbox.release(own, [delivery.id], clock())
            log.info(
                "%s: %s for case %s not sent (%s); next start",
                label,
                delivery.kind,
                delivery.case_id,
                result.detail,
            )
            with lock:
                report.stopped_early = True
            return
        with writes:
            status = outbox.record_failure(
                own, delivery.id, result.detail, clock(), retry, retryable=result.retryable
            )
        log.warning("%s: %s for case %s failed (%s)", label, delivery.kind, delivery.case_id, result.detail)
        with lock:
            if status == "failed":
                report.failed += 1
            else:
                report.retried += 1
            report.errors.append(f"{label}: {result.detail}")

    def run(label: str, items: list[tuple[Delivery, int]]) -> None:
        """Stream a notifier its messages: rows are read, rendered and claimed a chunk at a time
        as the notifier takes them, and each is settled as soon as its result comes."""
        from .i18n import using_language
        from .notifiers.base import DeliveryResult

        # The notifier's own language (a table's `language`), else the user's: each notifier's
        # messages are rendered on its own thread, once each, so none costs another a render.
        language = getattr(by_label[label].options, "language", None)
        # Its own connection: sqlite3 connections are not shared across threads.
        with type(store)(store.path) as own, _checkpoints_aside(own, len(items)):
            unsent: deque[Delivery] = deque()  # claimed, not handed to the notifier yet
            own_error: list[BaseException] = []
            untaken = len(items)  # neither handed over nor failed nor found cancelled

            def claimed() -> Generator[tuple[Delivery, Message], None, None]:
                nonlocal untaken
                for start in range(0, len(items), SEND_CHUNK):
                    if should_stop():
                        return
                    chunk = items[start : start + SEND_CHUNK]
                    # The chunk's cases, windows and evidence in a few queries, not six per message.
                    read = _read_for_messages(own, [d.case_id for d, _ in chunk])
                    ready: list[tuple[Delivery, Message]] = []
                    for delivery, missed in chunk:
                        try:
                            with using_language(language):
                                message = _message_for(
                                    own, settings, delivery, missed, clock(), read.get(delivery.case_id)
                                )
                            ready.append((delivery, message))
                        except ReminderError as exc:
                            with writes:
                                outbox.record_failure(
                                    own, delivery.id, str(exc), clock(), retry, retryable=False
                                )
                            with lock:
                                report.failed += 1
                    with writes:
                        live = outbox.claim(own, [d.id for d, _ in ready], clock())
                    # A row cancelled since it was read as due (its case closed meanwhile) is not sent.
                    untaken -= len(chunk) - len(live)
                    ready = [item for item in ready if item[0].id in live]
                    unsent.extend(d for d, _ in ready)
                    for item in ready:
                        if should_stop():
                            return
                        unsent.popleft()
                        untaken -= 1
                        yield item

            source = claimed()
            again: deque[tuple[Delivery, Message]] = deque()  # taken by a notifier that then broke
            handover = _Handover(source, again, lambda: untaken)

            def on_result(i: int, result: DeliveryResult) -> None:
                try:
                    settle(own, label, handover.pending.pop(i)[0], result)
                except BaseException as exc:
                    own_error.append(exc)
                    raise
                if (untaken or handover.pending or again) and should_stop():
                    raise _Stopped

            notifier = by_label[label]
            try:
                while True:
                    try:
                        notifier.send_stream(handover, on_result)
                    except _Stopped:
                        pass
                    except Exception as exc:  # a plugin that breaks the contract must not stop the pass
                        if own_error or not handover.pending:
                            raise
                        # The message it was sending fails; those it took but never sent go again.
                        taken = handover.pending
                        failure = DeliveryResult.failure(f"{type(exc).__name__}: {exc}")
                        settle(own, label, taken.pop(min(taken))[0], failure)
                        again.extend(taken[i] for i in sorted(taken))
                        handover = _Handover(source, again, lambda: untaken)
                        continue
                    break
            finally:
                source.close()
                if handover.pending:  # a notifier that did not report every result: not sent
                    log.warning(
                        "%s: %d message(s) not sent; retrying next pass", label, len(handover.pending)
                    )
                left = [d.id for d, _ in [*handover.pending.values(), *again]] + [d.id for d in unsent]
                if left:
                    with writes:
                        outbox.release(own, left, clock())
                if left and should_stop():
                    with lock:
                        report.stopped_early = True

    if len(work) == 1:
        (only,) = work.items()
        run(*only)
    else:
        with ThreadPoolExecutor(max_workers=len(work), thread_name_prefix="notify") as pool:
            for future in [pool.submit(run, name, batch) for name, batch in work.items()]:
                future.result()
    return report


def _retry_policy(settings: Settings) -> RetryPolicy:
    from .outbox import RetryPolicy

    r = settings.reminders
    return RetryPolicy(
        max_attempts=r.max_attempts, base_seconds=r.retry_base_seconds, max_seconds=r.retry_max_seconds
    )


def _read_for_messages(
    store: Store, case_ids: Sequence[str]
) -> dict[str, tuple[Case, ReviewWindow, list[EvidenceEntry]]]:
    """What the messages of several cases need, read in bulk; a case without a window is left
    to :func:`_case_for_message`, which says what is wrong with it."""
    from .evidence import entries_by_case

    evidence = entries_by_case(store, case_ids)
    return {
        case_id: (case, window, evidence.get(case_id, []))
        for case_id, (case, window) in store.cases_with_windows(case_ids).items()
        if window is not None
    }


def _case_for_message(store: Store, case_id: str) -> tuple[Case, ReviewWindow, list[EvidenceEntry]]:
    case = store.get_case(case_id)
    window = store.get_window(case.id)
    if window is None:
        raise InputError(f"case {case.id} has no review window")
    from .evidence import list_entries

    return case, window, list_entries(store, case.id)


def _message_for(
    store: Store,
    settings: Settings,
    delivery: Delivery,
    missed: int,
    now: datetime,
    read: tuple[Case, ReviewWindow, list[EvidenceEntry]] | None = None,
) -> Message:
    from .messages import render_message

    case, window, evidence = read or _case_for_message(store, delivery.case_id)
    # The warning as configured now: editing the template changes the next message too.
    warning, _ = _template_for(settings, case.kind)
    return render_message(
        case,
        window,
        kind=delivery.kind,
        key=delivery.key,
        now=now,
        evidence=evidence,
        note=delivery.note,
        missed=missed,
        warning=warning,
    )


def housekeeping(store: Store, settings: Settings, *, now: datetime) -> None:
    """Hourly upkeep riding on a daemon pass (its first pass too): fold the WAL back into the
    database, and remove temporary files that killed writers left behind."""
    from .leftovers import sweep

    store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    sweep(store.path.parent, now=now)


def reminder_status(store: Store, data_dir: Path) -> dict[str, object]:
    """For ``reminder status``: is the daemon running, what is due next, counts by status.

    ``next`` names the reminder behind ``next_due``: its case, kind, notifier and status, and
    the time in the case's own zone (``next_due`` itself is UTC; a retry's time when it failed,
    the time it fell due for one being sent).
    """
    from . import outbox
    from .daemon import running_pid

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
        "database": str(store.path),
    }


def _closures_for(settings: Settings, case: Case) -> tuple[Closure, ...]:
    """The config's closures and the case's own: every window and plan of the case counts with both."""
    return (*settings.closure_list(), *case.closures)


def _preset_steps(
    settings: Settings, case: Case, window: ReviewWindow, calendar: Any
) -> list[EscalationStep]:
    """The dated steps of the case's escalation preset (none without one, or for an unknown name)."""
    from .presets import escalation_steps

    preset = settings.presets.get(case.preset) if case.preset else None
    if preset is None:
        return []
    return escalation_steps(preset, window.deadline, calendar, submitted=case.submitted)


# --- evidence, dossier and calendar export (issue #6: evidence.py, dossier.py, ics.py) ----------------


def log_evidence(
    store: Store,
    case_id: str,
    *,
    kind: str,
    summary: str,
    now: datetime,
    at: datetime | Moment | None = None,
    files: Sequence[Path] = (),
    corrects: int | None = None,
) -> EvidenceEntry:
    """Append an entry to the case's evidence log; attachments go under the store's directory,
    the key and the heads file under the user's state directory (see evidence.py).

    ``at`` without an offset (a Moment or a naive datetime) is the case's wall clock.
    """
    from .evidence import add_entry
    from .evidence_key import KeyDir

    if isinstance(at, Moment) or (at is not None and at.tzinfo is None):
        case = store.get_case(case_id)
        zone = _zone(case.timezone)
        at = at.instant(now=now, zone=zone) if isinstance(at, Moment) else at.replace(tzinfo=zone)
        case_id = case.id
    data_dir = store.path.parent
    return add_entry(
        store,
        data_dir,
        case_id,
        keys=KeyDir.default(),
        kind=kind,
        summary=summary,
        now=now,
        at=at,
        files=files,
        corrects=corrects,
    )


def list_evidence(store: Store, case_id: str) -> list[EvidenceEntry]:
    from .evidence import list_entries

    return list_entries(store, case_id)


def get_evidence(store: Store, case_id: str, seq: int) -> EvidenceEntry:
    from .evidence import get_entry

    return get_entry(store, case_id, seq)


def verify_evidence(store: Store, case_id: str, *, head: str | None = None) -> VerifyReport:
    """Recompute the case's chain and attachment hashes, and check the log against its heads
    (and ``head``, a MAC prefix from a witness such as an old e-mail; see evidence_verify.verify)."""
    from .evidence_key import KeyDir
    from .evidence_verify import verify

    return verify(store, store.path.parent, case_id, keys=KeyDir.default(), head=head)


def build_dossier(store: Store, settings: Settings, case_id: str, *, now: datetime) -> Dossier:
    """Everything the dossier shows, as of ``now``: the window is recomputed with its explanation."""
    from . import outbox
    from .calendar import get_calendar
    from .dossier import Dossier
    from .exhibits import load_exhibits
    from .presets import current_step

    case = store.get_case(case_id)
    window = _compute(settings, case, explain=True)
    preset = settings.presets.get(case.preset) if case.preset else None
    calendar = get_calendar(case.country, case.subdivision, _closures_for(settings, case))
    steps = _preset_steps(settings, case, window, calendar)
    entries = list_evidence(store, case.id)
    return Dossier(
        case=case,
        window=window,
        generated_at=now,
        entries=entries,
        deliveries=outbox.list_deliveries(store, case.id),
        preset=preset,
        steps=steps,
        current=current_step(steps, case_today(case, now)),
        verification=verify_evidence(store, case.id),
        exhibits=load_exhibits(entries, store.path.parent),
        complainant=settings.me.person(),
    )


def export_dossier(store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str) -> bytes:
    """The dossier as ``md``, ``html`` (UTF-8), ``zip`` or ``pdf`` bytes."""
    return export_dossier_checked(store, settings, case_id, now=now, fmt=fmt)[0]


def export_dossier_checked(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str
) -> tuple[bytes, VerifyReport]:
    """The dossier's bytes and the check of the evidence log it reports (one pass over the files)."""
    dossier, report = _checked_dossier(store, settings, case_id, now=now, fmt=fmt)
    return _dossier_bytes(dossier, fmt, store.path.parent), report


def save_dossier(
    store: Store, settings: Settings, case_id: str, path: Path, *, now: datetime, fmt: str
) -> VerifyReport:
    """Write the dossier to ``path`` atomically and return the check of the evidence log it
    reports. A zip streams its attachments from disk instead of holding them in memory."""
    from .dossier import write_zip
    from .ics import write_bytes_atomic
    from .leftovers import journal_dir

    dossier, report = _checked_dossier(store, settings, case_id, now=now, fmt=fmt)
    data_dir = store.path.parent
    if fmt == "zip":
        write_zip(dossier, data_dir, path)
    else:
        write_bytes_atomic(path, _dossier_bytes(dossier, fmt, data_dir), journal=journal_dir(data_dir))
    return report


def _checked_dossier(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str
) -> tuple[Dossier, VerifyReport]:
    if fmt not in ("md", "html", "zip", "pdf"):
        raise InputError(f"unknown dossier format {fmt!r}; use md, html, zip or pdf")
    dossier = build_dossier(store, settings, case_id, now=now)
    report = dossier.verification
    if report is None:  # pragma: no cover - build_dossier always verifies
        from .errors import StoreError

        raise StoreError(f"the evidence log of case {case_id} was not checked")
    return dossier, report


def _dossier_bytes(dossier: Dossier, fmt: str, data_dir: Path) -> bytes:
    from .dossier import render_html, render_markdown, zip_bytes

    if fmt == "md":
        return render_markdown(dossier).encode("utf-8")
    if fmt == "html":
        return render_html(dossier).encode("utf-8")
    if fmt == "pdf":
        from .pdf import html_to_pdf

        # No base URL: the dossier's images are data: URIs, so the renderer may read no file at all.
        return html_to_pdf(render_html(dossier), lang="en")
    return zip_bytes(dossier, data_dir)


def _ics_entries(store: Store, settings: Settings, case_id: str | None) -> list[IcsEntry]:
    from .ics import IcsEntry

    if case_id is not None:
        case = store.get_case(case_id)
        pairs = [(case, store.get_window(case.id))]
    else:
        pairs = store.list_cases_with_windows("open")
    entries = []
    for case, stored in pairs:
        window = stored or _compute(settings, case)
        # The alarms are the planned reminders themselves: the calendar never disagrees with them.
        entries.append(IcsEntry(case, window, tuple(_plan(settings, case, window))))
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
