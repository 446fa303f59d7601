"""The data reminder works with: frozen, typed, free of I/O.

Read in this order: a :class:`Case` is what the user submitted; its
:class:`ReviewWindow` comes from ``window.py``; ``plan.py`` turns both into
:class:`Reminder` objects; the outbox keeps one :class:`Delivery` per reminder
and notifier; a notifier receives a :class:`~reminder.message.Message` (in its own module, loaded
with the notifiers: no everyday command builds one; ``models.Message`` still names it).
:class:`EvidenceEntry` is one line of a case's evidence log.
"""

from __future__ import annotations

from datetime import date, datetime, time

from .record import Record, setfield

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date as Date  # for a parameter named date
    from typing import Literal

    from .message import Message

    Unit = Literal["business", "calendar"]
    # Why a day of a window's explanation is what it is (DayInfo.code), for scripts (--json) and for
    # saying it in the reader's language (explain.py): a weekend day, a public holiday, an official
    # closure reminder adds (overrides.py), a closure of the user's or the config's, a weekend day
    # worked in exchange for a day off (China's 调休).
    ReasonCode = Literal["weekend", "holiday", "official_closure", "closure", "make_up"]

__all__ = [
    "CASE_KINDS",
    "CASE_STATUSES",
    "DELIVERY_STATUSES",
    "EVIDENCE_KINDS",
    "REASON_CODES",
    "REMINDER_KINDS",
    "SHIPPED_TEMPLATE_KINDS",
    "SIM_CANCELLATION_KIND",
    "UNITS",
    "Case",
    "ChecklistItem",
    "Closure",
    "DayInfo",
    "Delivery",
    "EvidenceEntry",
    "Message",
    "Person",
    "ReasonCode",
    "Reminder",
    "ReviewWindow",
    "TentativeDay",
    "Unit",
    "moved_key",
    "preset_step",
]

# The values of Unit and ReasonCode (above), for code that checks them at run time.
UNITS = ("business", "calendar")
REASON_CODES = ("weekend", "holiday", "official_closure", "closure", "make_up")
CASE_KINDS = ("cancellation", "refund", "permit", "visa", "data-request", "complaint", "other")
# The checklist templates reminder ships (config.DEFAULT_TEMPLATES): kinds a case may have too.
SIM_CANCELLATION_KIND = "sim-cancellation"
SHIPPED_TEMPLATE_KINDS = (SIM_CANCELLATION_KIND,)
CASE_STATUSES = ("open", "closed")
REMINDER_KINDS = ("before_open", "opened", "before_deadline", "deadline", "escalation")
DELIVERY_STATUSES = ("planned", "sending", "sent", "failed", "cancelled")
# What an evidence entry records; "code" is a verification code check (SMS, e-mail, video call).
EVIDENCE_KINDS = ("call", "email", "letter", "screenshot", "chat", "visit", "note", "code")
# The name in a reminder's key ("<case>:preset:<n>") of an escalation preset's step: an escalation
# by kind, keyed apart so that it never collides with the periodic ones ("<case>:escalation:<n>").
PRESET_STEP = "preset"


def preset_step(key: str) -> str | None:
    """The step's number (as text) when ``key`` is an escalation preset's step, else None
    (a row's key, :func:`moved_key`'s included)."""
    head, _, n = key.partition("@")[0].rpartition(":")
    return n if head.endswith(":" + PRESET_STEP) else None


def moved_key(key: str, day: str) -> str:
    """The outbox's key for reminder ``key`` moved to ``day`` (ISO) once its first row is history.

    A reminder is keyed by what it is ("<case>:deadline:1"), so a re-plan moves a planned row to
    its new time. When the row already went out (or was folded into a catch-up, or failed for
    good) and the plan now wants it on another day — the submission date corrected, so the
    window moved — it is a reminder of its own, for that day: "<case>:deadline:1@2026-12-13",
    with its own idempotency key."""
    return f"{key.partition('@')[0]}@{day}"


class Closure(Record):
    """Days on which offices are shut: one date or an inclusive range, with why."""

    start: date
    end: date
    label: str
    source: str | None

    __slots__ = ("start", "end", "label", "source")

    def __init__(self, start: date, end: date, label: str, source: str | None = None) -> None:
        setfield(self, "start", start)
        setfield(self, "end", end)
        setfield(self, "label", label)
        setfield(self, "source", source)

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class DayInfo(Record):
    """One day of a window's explanation.

    ``count`` is the business-day number when the day counted (1 = first day after
    submission), else ``None``; ``reason`` says why it did not count (weekend,
    a holiday's name, a closure's label) or why it counted despite a weekend, in English;
    ``code`` says which of these it is (``explain.day_reason`` words it for a reader).
    """

    date: date
    business: bool
    count: int | None
    reason: str | None
    tentative: bool
    code: ReasonCode | None

    __slots__ = ("date", "business", "count", "reason", "tentative", "code")

    def __init__(
        self,
        date: Date,
        business: bool,
        count: int | None,
        reason: str | None,
        tentative: bool = False,
        code: ReasonCode | None = None,
    ) -> None:
        setfield(self, "date", date)
        setfield(self, "business", business)
        setfield(self, "count", count)
        setfield(self, "reason", reason)
        setfield(self, "tentative", tentative)
        setfield(self, "code", code)


class TentativeDay(Record):
    """A holiday on an estimated date that a result counted across."""

    date: date
    name: str

    __slots__ = ("date", "name")

    def __init__(self, date: Date, name: str) -> None:
        setfield(self, "date", date)
        setfield(self, "name", name)


class ReviewWindow(Record):
    """When a decision is due: it may come from ``opens`` and must come by ``deadline``."""

    country: str
    subdivision: str | None
    submitted: date
    opens: date
    deadline: date
    min_days: int
    max_days: int
    unit: Unit
    tentative: bool
    tentative_because: tuple[TentativeDay, ...]
    # Explanation: every day from submitted+1 to deadline (empty unless asked for).
    days: tuple[DayInfo, ...]
    # What the result rests on, so it can be reproduced later.
    holidays_version: str
    overrides: tuple[str, ...]
    warnings: tuple[str, ...]

    __slots__ = (
        "country",
        "subdivision",
        "submitted",
        "opens",
        "deadline",
        "min_days",
        "max_days",
        "unit",
        "tentative",
        "tentative_because",
        "days",
        "holidays_version",
        "overrides",
        "warnings",
    )

    def __init__(
        self,
        country: str,
        subdivision: str | None,
        submitted: date,
        opens: date,
        deadline: date,
        min_days: int,
        max_days: int,
        unit: Unit = "business",
        tentative: bool = False,
        tentative_because: tuple[TentativeDay, ...] = (),
        days: tuple[DayInfo, ...] = (),
        holidays_version: str = "",
        overrides: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        setfield(self, "country", country)
        setfield(self, "subdivision", subdivision)
        setfield(self, "submitted", submitted)
        setfield(self, "opens", opens)
        setfield(self, "deadline", deadline)
        setfield(self, "min_days", min_days)
        setfield(self, "max_days", max_days)
        setfield(self, "unit", unit)
        setfield(self, "tentative", tentative)
        setfield(self, "tentative_because", tentative_because)
        setfield(self, "days", days)
        setfield(self, "holidays_version", holidays_version)
        setfield(self, "overrides", overrides)
        setfield(self, "warnings", warnings)


class ChecklistItem(Record):
    """One line of a case's checklist: its number, its text, and whether and when it was ticked."""

    position: int
    text: str
    done: bool
    done_at: datetime | None

    __slots__ = ("position", "text", "done", "done_at")

    def __init__(self, position: int, text: str, done: bool = False, done_at: datetime | None = None) -> None:
        setfield(self, "position", position)
        setfield(self, "text", text)
        setfield(self, "done", done)
        setfield(self, "done_at", done_at)


class Case(Record):
    """One submission to an organisation, and what reminder needs to follow it up."""

    id: str
    title: str
    organisation: str
    submitted: date
    country: str
    timezone: str
    kind: str
    # what was filed: "cancel roaming eSIM", "refund of …"
    filed: str | None
    reference: str | None
    channels: tuple[str, ...]
    subdivision: str | None
    submitted_time: time | None
    min_days: int
    max_days: int
    unit: Unit
    status: Literal["open", "closed"]
    resolution: str | None
    closed_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    notes: str | None
    # an escalation preset's name
    preset: str | None
    # Per-case override of the [reminders] policy, e.g. {"before_deadline": 3}.
    remind: Mapping[str, object]
    closures: tuple[Closure, ...]
    checklist: tuple[ChecklistItem, ...]
    # For letters (letters.py): the customer, account, phone or SIM number the organisation
    # knows the person by, where it takes written complaints, and the language it reads
    # (None: the default for the case's country, data/letters.toml).
    account: str | None
    org_email: str | None
    letter_language: str | None

    __slots__ = (
        "id",
        "title",
        "organisation",
        "submitted",
        "country",
        "timezone",
        "kind",
        "filed",
        "reference",
        "channels",
        "subdivision",
        "submitted_time",
        "min_days",
        "max_days",
        "unit",
        "status",
        "resolution",
        "closed_at",
        "created_at",
        "updated_at",
        "notes",
        "preset",
        "remind",
        "closures",
        "checklist",
        "account",
        "org_email",
        "letter_language",
    )

    def __init__(
        self,
        id: str,
        title: str,
        organisation: str,
        submitted: date,
        country: str,
        timezone: str,
        kind: str = "other",
        filed: str | None = None,
        reference: str | None = None,
        channels: tuple[str, ...] = (),
        subdivision: str | None = None,
        submitted_time: time | None = None,
        min_days: int = 7,
        max_days: int = 15,
        unit: Unit = "business",
        status: Literal["open", "closed"] = "open",
        resolution: str | None = None,
        closed_at: datetime | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        notes: str | None = None,
        preset: str | None = None,
        remind: Mapping[str, object] | None = None,
        closures: tuple[Closure, ...] = (),
        checklist: tuple[ChecklistItem, ...] = (),
        account: str | None = None,
        org_email: str | None = None,
        letter_language: str | None = None,
    ) -> None:
        setfield(self, "id", id)
        setfield(self, "title", title)
        setfield(self, "organisation", organisation)
        setfield(self, "submitted", submitted)
        setfield(self, "country", country)
        setfield(self, "timezone", timezone)
        setfield(self, "kind", kind)
        setfield(self, "filed", filed)
        setfield(self, "reference", reference)
        setfield(self, "channels", channels)
        setfield(self, "subdivision", subdivision)
        setfield(self, "submitted_time", submitted_time)
        setfield(self, "min_days", min_days)
        setfield(self, "max_days", max_days)
        setfield(self, "unit", unit)
        setfield(self, "status", status)
        setfield(self, "resolution", resolution)
        setfield(self, "closed_at", closed_at)
        setfield(self, "created_at", created_at)
        setfield(self, "updated_at", updated_at)
        setfield(self, "notes", notes)
        setfield(self, "preset", preset)
        setfield(self, "remind", {} if remind is None else remind)
        setfield(self, "closures", closures)
        setfield(self, "checklist", checklist)
        setfield(self, "account", account)
        setfield(self, "org_email", org_email)
        setfield(self, "letter_language", letter_language)


class Person(Record):
    """Who writes a letter: the config's ``[me]`` (any field may be unknown)."""

    name: str | None
    email: str | None
    phone: str | None
    address: str | None

    __slots__ = ("name", "email", "phone", "address")

    def __init__(
        self,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
    ) -> None:
        setfield(self, "name", name)
        setfield(self, "email", email)
        setfield(self, "phone", phone)
        setfield(self, "address", address)


class Reminder(Record):
    """A reminder the plan wants sent: what, for which case, and when (aware datetime).

    ``key`` is stable across re-plans of the same case ("<case>:<kind>:<n>"), so the
    outbox can tell a reminder it already sent from a new one.
    """

    case_id: str
    kind: str
    due: datetime
    key: str
    sequence: int
    # what to do, for an escalation preset's step
    note: str | None

    __slots__ = ("case_id", "kind", "due", "key", "sequence", "note")

    def __init__(
        self,
        case_id: str,
        kind: str,
        due: datetime,
        key: str,
        sequence: int = 0,
        note: str | None = None,
    ) -> None:
        setfield(self, "case_id", case_id)
        setfield(self, "kind", kind)
        setfield(self, "due", due)
        setfield(self, "key", key)
        setfield(self, "sequence", sequence)
        setfield(self, "note", note)


class Delivery(Record):
    """One reminder × notifier row of the outbox."""

    id: int
    case_id: str
    key: str
    kind: str
    notifier: str
    due: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    note: str | None

    __slots__ = (
        "id",
        "case_id",
        "key",
        "kind",
        "notifier",
        "due",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "note",
    )

    def __init__(
        self,
        id: int,
        case_id: str,
        key: str,
        kind: str,
        notifier: str,
        due: datetime,
        status: str,
        attempts: int = 0,
        next_attempt_at: datetime | None = None,
        last_error: str | None = None,
        sent_at: datetime | None = None,
        note: str | None = None,
    ) -> None:
        setfield(self, "id", id)
        setfield(self, "case_id", case_id)
        setfield(self, "key", key)
        setfield(self, "kind", kind)
        setfield(self, "notifier", notifier)
        setfield(self, "due", due)
        setfield(self, "status", status)
        setfield(self, "attempts", attempts)
        setfield(self, "next_attempt_at", next_attempt_at)
        setfield(self, "last_error", last_error)
        setfield(self, "sent_at", sent_at)
        setfield(self, "note", note)


class EvidenceEntry(Record):
    """One append-only line of a case's evidence log."""

    case_id: str
    seq: int
    kind: str
    summary: str
    at: datetime
    recorded_at: datetime
    attachments: tuple[Mapping[str, str], ...]
    corrects: int | None
    prev_hash: str
    # scheme 1: SHA-256; scheme 2: HMAC-SHA256 under the evidence key (evidence.py)
    hash: str
    scheme: int
    # scheme 2: which evidence key (never the key itself)
    key_id: str | None

    __slots__ = (
        "case_id",
        "seq",
        "kind",
        "summary",
        "at",
        "recorded_at",
        "attachments",
        "corrects",
        "prev_hash",
        "hash",
        "scheme",
        "key_id",
    )

    def __init__(
        self,
        case_id: str,
        seq: int,
        kind: str,
        summary: str,
        at: datetime,
        recorded_at: datetime,
        attachments: tuple[Mapping[str, str], ...] = (),
        corrects: int | None = None,
        prev_hash: str = "",
        hash: str = "",
        scheme: int = 1,
        key_id: str | None = None,
    ) -> None:
        setfield(self, "case_id", case_id)
        setfield(self, "seq", seq)
        setfield(self, "kind", kind)
        setfield(self, "summary", summary)
        setfield(self, "at", at)
        setfield(self, "recorded_at", recorded_at)
        setfield(self, "attachments", attachments)
        setfield(self, "corrects", corrects)
        setfield(self, "prev_hash", prev_hash)
        setfield(self, "hash", hash)
        setfield(self, "scheme", scheme)
        setfield(self, "key_id", key_id)


def __getattr__(name: str) -> object:
    # Message lives in message.py, imported only where one is sent (see the docstring).
    if name == "Message":
        from .message import Message

        return Message
    # The Literal types exist at run time for pydantic (config.py validates a unit with one);
    # only it asks, so the other commands do not import typing.
    if name in ("Unit", "ReasonCode"):
        from typing import Literal

        return Literal[UNITS if name == "Unit" else REASON_CODES]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
