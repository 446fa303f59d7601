"""The case use cases: add, edit, close, reopen, delete, list and show a case, tick its checklist.

Every write runs in one transaction (``store.atomically``: on a shared store, run again when
the server aborts it as a deadlock with another process's; it writes to the database and nothing
else, so it can be) and, for a case that still exists, ends by
calling :func:`_after_case_change` inside that same transaction — the one place
where the reminder plan is brought up to date (``planning.py``), so a case and its
reminders never disagree. Deleting calls :func:`_after_case_delete` instead.

The caller reads the clock once and passes ``now`` (an aware datetime) down; "today"
for a case is ``now`` in the case's own time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

from .case_config import case_today, country_zone_name, template_for, window_for
from .dates import Moment, check_not_future
from .errors import InputError, NotFound
from .i18n import _, alternatives, joined
from .lazylog import get_logger
from .models import CASE_KINDS, Case, ChecklistItem, Closure, EvidenceEntry, ReviewWindow, preset_step
from .planning import list_reminders, plan_case
from .record import Record, replace, setfield
from .store import Store
from .tz import is_timezone
from .tz import zone as _zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Settings
    from .models import Unit
    from .store import StatusFilter

__all__ = [
    "EDITABLE_FIELDS",
    "SHOW_EVIDENCE",
    "CaseView",
    "add_case",
    "check_item",
    "close_case",
    "delete_case",
    "edit_case",
    "get_case_view",
    "list_cases",
    "refresh_windows",
    "reopen_case",
]

log = get_logger(__name__)

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


class CaseView(Record):
    """A case as ``show``/``list`` present it: the case, its window and the day it is for the user."""

    case: Case
    window: ReviewWindow | None
    today: date
    # the kind's template warning (e.g. fraudsters asking for codes)
    warning: str | None
    # The case's outbox rows (see list_reminders); None where they were not looked up (list).
    reminders: tuple[Mapping[str, object], ...] | None
    # How many evidence entries the case has, and the latest few (show); None in list.
    evidence_count: int | None
    evidence: tuple[EvidenceEntry, ...]
    preset_title: str | None

    __slots__ = (
        "case",
        "window",
        "today",
        "warning",
        "reminders",
        "evidence_count",
        "evidence",
        "preset_title",
    )

    def __init__(
        self,
        case: Case,
        window: ReviewWindow | None,
        today: date,
        warning: str | None = None,
        reminders: tuple[Mapping[str, object], ...] | None = None,
        evidence_count: int | None = None,
        evidence: tuple[EvidenceEntry, ...] = (),
        preset_title: str | None = None,
    ) -> None:
        setfield(self, "case", case)
        setfield(self, "window", window)
        setfield(self, "today", today)
        setfield(self, "warning", warning)
        setfield(self, "reminders", reminders)
        setfield(self, "evidence_count", evidence_count)
        setfield(self, "evidence", evidence)
        setfield(self, "preset_title", preset_title)

    @property
    def preset_steps(self) -> list[dict[str, object]]:
        """The escalation preset's dated steps, from the planned reminders (one per step)."""
        steps: dict[str, dict[str, object]] = {}
        for r in self.reminders or ():
            key = str(r["key"])
            n = preset_step(key)
            if n is not None and key not in steps:
                steps[key] = {"n": int(n), "due": r["due"], "step": r.get("step")}
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


def _placed(
    submitted: date | Moment, submitted_time: time | None, now: datetime, zone_name: str
) -> tuple[date, time | None]:
    """The submission's day and time in the case's zone (a plain date is taken as it is)."""
    if isinstance(submitted, Moment):
        return submitted.on_day(now=now, zone=_zone(zone_name))
    return submitted, submitted_time


def _check_timezone(name: str) -> str:
    if not is_timezone(name):
        from .tz import zone_error

        raise InputError(
            zone_error(
                name,
                _("unknown time zone %(value)s; use an IANA name such as 'Asia/Bahrain'", value=repr(name)),
            )
        )
    return name


def _default_timezone(settings: Settings, country: str) -> str:
    return country_zone_name(settings, country)  # window's "today" is taken in the same zone


def _check_kind(settings: Settings, kind: str) -> str:
    kind = kind.strip().lower()
    if kind in CASE_KINDS or kind in settings.templates:
        return kind
    from .cli_labels import case_kind
    from .lookalikes import closest

    known = [*CASE_KINDS, *sorted(settings.templates)]
    # A kind is typed by its word or by what show calls it in the user's language (注销SIM卡),
    # so a mistyped one is matched against both, and suggested as the one it resembles.
    shown = {case_kind(k): k for k in known}
    guesses = closest(kind, dict.fromkeys([*known, *shown]))
    if guesses:
        raise InputError(
            _(
                "unknown kind %(kind)s; did you mean %(guesses)s?",
                kind=repr(kind),
                guesses=alternatives(guesses),
            )
        )
    valid = joined(known)
    raise InputError(
        _(
            "unknown kind %(kind)s; use one of %(valid)s (or add [templates.%(name)s] to the config)",
            kind=repr(kind),
            valid=valid,
            name=kind,
        )
    )


def _check_preset(settings: Settings, name: str | None) -> str | None:
    if name is None:
        return None
    # settings.presets already holds the shipped presets beside the config's own.
    if name not in settings.presets:
        from .lookalikes import closest

        guesses = closest(name, sorted(settings.presets))
        if guesses:
            raise InputError(
                _(
                    "unknown escalation preset %(name)s; did you mean %(guesses)s?",
                    name=repr(name),
                    guesses=alternatives(guesses),
                )
            )
        raise InputError(
            _(
                "unknown escalation preset %(name)s; use one of %(valid)s",
                name=repr(name),
                valid=joined(sorted(settings.presets)),
            )
        )
    return name


def _text(value: object, name: str, *, required: bool = False) -> str | None:
    if value is None:
        text = None
    elif isinstance(value, str):
        text = value.strip() or None
    else:
        raise InputError(_("%(name)s must be text, got %(value)s", name=name, value=repr(value)))
    if required and text is None:
        raise InputError(_("%(name)s must not be empty", name=name))
    return text


def _with_window(settings: Settings, case: Case) -> tuple[Case, ReviewWindow]:
    """Compute the window and adopt the calendar's canonical country/subdivision codes."""
    window = window_for(settings, case)
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
    from .letter_fields import letter_fields

    d = settings.defaults
    kind = _check_kind(settings, kind)
    letter = letter_fields(account=account, org_email=org_email, letter_language=letter_language)
    case_country = (country or d.country).strip().upper()
    if subdivision is not None:
        case_subdivision = _text(subdivision, "subdivision")
    else:
        # The configured subdivision belongs to the configured country only.
        case_subdivision = d.subdivision if case_country == d.country else None
    _warning, items = template_for(settings, kind)
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

    def add() -> Case:
        stored = store.add_case(case, window)
        _after_case_change(store, settings, stored, now)
        return stored

    return store.atomically(add)


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
    an empty string clears an optional text field. ``submitted`` as in :func:`add_case`: with it,
    the time of day is the one it gives (``submitted_time``, or a Moment's), and a day alone has none."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InputError(
            _(
                "cannot edit %(fields)s; editable: %(editable)s",
                fields=joined(sorted(unknown)),
                editable=joined(sorted(EDITABLE_FIELDS)),
            )
        )
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise InputError(_("nothing to change: give at least one field to edit"))
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
    from .letter_fields import LETTER_FIELDS, letter_fields

    given.update(letter_fields(**{k: given[k] for k in LETTER_FIELDS if k in given}))
    checked = given

    def edit() -> Case:
        given = dict(checked)  # a run again after a conflict starts from the same changes
        old = store.get_case(case_id, lock=True)
        moment = given.get("submitted") if isinstance(given.get("submitted"), Moment) else None
        if moment is not None:  # placed in the case's (new) zone
            zone_name = given.get("timezone") or old.timezone
            given["submitted"], given["submitted_time"] = _placed(moment, None, now, zone_name)
        elif "submitted" in given and "submitted_time" not in given:
            # A day alone has no time of day, as in add: the one recorded for the day it replaces
            # would be stated (in a letter to the regulator) as when the request was made.
            given["submitted_time"] = None
        case = replace(old, **given, updated_at=now)
        if "country" in given and "subdivision" not in given and case.country != old.country:
            case = replace(case, subdivision=None)  # a subdivision belongs to its country
        if set(given) & _WINDOW_FIELDS:
            case, window = _with_window(settings, case)  # the country as the calendar codes it
            if (
                "timezone" not in given
                and case.country != old.country
                and old.timezone == _default_timezone(settings, old.country)
            ):
                # The zone that came with the country goes with it (a wrong country corrected), as
                # add gives a case its country's; one chosen with --timezone stays.
                case = replace(case, timezone=_default_timezone(settings, case.country))
                if moment is not None:  # "today" is the case's today, in its new zone
                    day, at = _placed(moment, None, now, case.timezone)
                    case = replace(case, submitted=day, submitted_time=at)
                case, window = _with_window(settings, case)
            if "submitted" in given and refuse_future:  # in the zone the case ends up in
                check_not_future(case.submitted, now=now, zone=_zone(case.timezone))
            store.update_case(case, window)
        else:
            store.update_case(case)
        if "kind" in given and not old.checklist:
            _warning, items = template_for(settings, case.kind)
            if items:
                store.add_checklist_items(case.id, list(items))
                case = replace(case, checklist=store.get_checklist(case.id))
        _after_case_change(store, settings, case, now)
        return case

    return store.atomically(edit)


def close_case(
    store: Store, settings: Settings, case_id: str, *, now: datetime, resolution: str | None = None
) -> Case:
    """Mark a case closed (the organisation decided, or you gave up), with what happened."""

    def close() -> Case:
        old = store.get_case(case_id, lock=True)
        if old.status == "closed":
            closed = old.closed_at.astimezone(_zone(old.timezone)) if old.closed_at else None
            when = closed.date().isoformat() if closed else _("earlier")
            raise InputError(
                _(
                    "case %(id)s is already closed (%(when)s); 'reminder reopen %(id)s' first",
                    id=old.id,
                    when=when,
                )
            )
        case = replace(
            old, status="closed", resolution=_text(resolution, "resolution"), closed_at=now, updated_at=now
        )
        store.update_case(case)
        _after_case_change(store, settings, case, now)
        return case

    return store.atomically(close)


def reopen_case(store: Store, settings: Settings, case_id: str, *, now: datetime) -> Case:
    """Reopen a closed case: its reminders resume."""

    def reopen() -> Case:
        old = store.get_case(case_id, lock=True)
        if old.status == "open":
            raise InputError(_("case %(id)s is already open", id=old.id))
        case = replace(old, status="open", resolution=None, closed_at=None, updated_at=now)
        store.update_case(case)
        _after_case_change(store, settings, case, now)
        return case

    return store.atomically(reopen)


def delete_case(store: Store, settings: Settings, case_id: str, *, now: datetime) -> Case:
    """Delete a case and everything stored with it; returns what was deleted."""

    def delete() -> Case:
        case = store.get_case(case_id)
        store.delete_case(case.id)
        _after_case_delete(store, settings, case.id, now)
        return case

    return store.atomically(delete)


def list_cases(
    store: Store, *, now: datetime, status: StatusFilter = "open", due_before: date | None = None
) -> list[CaseView]:
    """Cases sorted by deadline, with their stored windows (no holiday data needed)."""
    return [
        CaseView(case=case, window=window, today=case_today(case, now))
        for case, window in store.list_cases_with_windows(status, due_before)
    ]


def get_case_view(
    store: Store, settings: Settings, case_id: str, *, now: datetime, explain: bool = False
) -> CaseView:
    """Everything about one case. ``explain`` recomputes the window day by day."""
    from .evidence import list_entries

    case = store.get_case(case_id)
    window = window_for(settings, case, explain=True) if explain else store.get_window(case.id)
    warning, _items = template_for(settings, case.kind)
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
# How much of each item an ambiguous `check` names (characters).
_ITEM_WIDTH = 30


def check_item(
    store: Store, case_id: str, item: str, *, now: datetime, undo: bool = False
) -> tuple[ChecklistItem, bool]:
    """Tick (or with ``undo`` untick) a checklist item given by its number or words from its text
    (see :func:`_find_item`). Returns the item as it now is and whether this changed it: an item
    already ticked is left as it was, so when it was ticked stays what it was."""

    def tick() -> tuple[ChecklistItem, bool]:
        case = store.get_case(case_id)
        if not case.checklist:
            raise InputError(_("case %(id)s has no checklist", id=case.id))
        position = _find_item(case, item)
        (found,) = [i for i in case.checklist if i.position == position]
        if found.done == (not undo):
            return found, False
        ticked = store.set_item_done(case.id, position, done=not undo, at=now)
        store.touch(case.id, now)
        return ticked, True

    return store.atomically(tick)


def _find_item(case: Case, item: str) -> int:
    """The position of the item ``item`` names: its number, or words from its text, any case, in
    English or as the user reads it. The items whose text starts with the words are preferred;
    only when none does, the words match anywhere ("bank" finds "Unlink the number from bank …")."""
    wanted = item.strip()
    if wanted.isdigit():
        position = int(wanted)
        if any(i.position == position for i in case.checklist):
            return position
        raise InputError(
            _(
                "case %(id)s has no checklist item %(n)d (items 1–%(last)d)",
                id=case.id,
                n=position,
                last=len(case.checklist),
            )
        )
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
        raise InputError(
            _(
                "no checklist item of case %(id)s matches %(item)s; give its number",
                id=case.id,
                item=repr(item),
            )
        )
    from .i18n import joined

    # As show lists them: the user's language, and each cut where a word (or character) ends.
    listed = joined(
        _("%(n)d (%(text)s)", n=i.position, text=_shorten(localised(i.text), _ITEM_WIDTH)) for i in matches
    )
    raise InputError(
        _("%(item)s matches several items: %(listed)s; give its number", item=repr(item), listed=listed)
    )


def _shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters and an ellipsis, cut where a word ends (between
    any two characters of Chinese, which has no spaces); a single longer word is cut inside."""
    if len(text) <= width:
        return text
    from unicodedata import east_asian_width

    head = text[:width]
    wide = east_asian_width(text[width - 1]) in "WF" or east_asian_width(text[width]) in "WF"
    if not (text[width].isspace() or wide) and " " in head.strip():
        head = head[: head.rstrip().rfind(" ")]
    return head.rstrip(" ,;:(（，、") + "…"


def refresh_windows(store: Store, settings: Settings, *, now: datetime) -> list[Case]:
    """Recompute the stored window of every open case (after the config's closures or the
    holiday data changed); returns the cases whose window moved, in id order."""
    return store.atomically(lambda: _refresh_windows(store, settings, now))


def _refresh_windows(store: Store, settings: Settings, now: datetime) -> list[Case]:
    moved: list[Case] = []
    # In id order, the order the re-plan of every case locks them in (Store.case_batch): in
    # the list's (by deadline) this held a case the re-plan waited for while it waited for
    # one the re-plan held, and PostgreSQL ended one of the two as a deadlock.
    listed_cases = sorted(store.list_cases_with_windows("open"), key=lambda pair: pair[0].id)
    for listed, stored in listed_cases:
        _case, window = _with_window(settings, listed)
        if stored is None or (stored.opens, stored.deadline, stored.tentative) != (
            window.opens,
            window.deadline,
            window.tentative,
        ):
            # Read again, locked, before writing it back: on PostgreSQL the list takes no lock,
            # and a command may have closed or edited the case since (written back, the list's
            # copy undid it; one deleted is left out). SQLite's transaction holds the database already.
            try:
                case = store.get_case(listed.id, lock=True)
            except NotFound:
                continue
            if case.status != "open":
                continue
            _case, window = _with_window(settings, case)
            store.update_case(case, window)
            _after_case_change(store, settings, case, now)
            moved.append(case)
    return moved
