"""The data reminder works with: frozen, typed, free of I/O.

Read in this order: a :class:`Case` is what the user submitted; its
:class:`ReviewWindow` comes from ``window.py``; ``plan.py`` turns both into
:class:`Reminder` objects; the outbox keeps one :class:`Delivery` per reminder
and notifier; a notifier receives a :class:`~reminder.message.Message` (in its own module, loaded
with the notifiers: no everyday command builds one; ``models.Message`` still names it).
:class:`EvidenceEntry` is one line of a case's evidence log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .message import Message

__all__ = [
    "CASE_KINDS",
    "CASE_STATUSES",
    "DELIVERY_STATUSES",
    "EVIDENCE_KINDS",
    "REMINDER_KINDS",
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
]

Unit = Literal["business", "calendar"]
# Why a day of a window's explanation is what it is (DayInfo.code), for scripts (--json) and for
# saying it in the reader's language (explain.py): a weekend day, a public holiday, an official
# closure reminder adds (overrides.py), a closure of the user's or the config's, a weekend day
# worked in exchange for a day off (China's 调休).
ReasonCode = Literal["weekend", "holiday", "official_closure", "closure", "make_up"]

CASE_KINDS = ("cancellation", "refund", "permit", "visa", "data-request", "complaint", "other")
CASE_STATUSES = ("open", "closed")
REMINDER_KINDS = ("before_open", "opened", "before_deadline", "deadline", "escalation")
DELIVERY_STATUSES = ("planned", "sending", "sent", "failed", "cancelled")
# What an evidence entry records; "code" is a verification code check (SMS, e-mail, video call).
EVIDENCE_KINDS = ("call", "email", "letter", "screenshot", "chat", "visit", "note", "code")


@dataclass(frozen=True, slots=True)
class Closure:
    """Days on which offices are shut: one date or an inclusive range, with why."""

    start: date
    end: date
    label: str
    source: str | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class DayInfo:
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
    tentative: bool = False
    code: ReasonCode | None = None


@dataclass(frozen=True, slots=True)
class TentativeDay:
    """A holiday on an estimated date that a result counted across."""

    date: date
    name: str


@dataclass(frozen=True, slots=True)
class ReviewWindow:
    """When a decision is due: it may come from ``opens`` and must come by ``deadline``."""

    country: str
    subdivision: str | None
    submitted: date
    opens: date
    deadline: date
    min_days: int
    max_days: int
    unit: Unit = "business"
    tentative: bool = False
    tentative_because: tuple[TentativeDay, ...] = ()
    # Explanation: every day from submitted+1 to deadline (empty unless asked for).
    days: tuple[DayInfo, ...] = ()
    # What the result rests on, so it can be reproduced later.
    holidays_version: str = ""
    overrides: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One line of a case's checklist: its number, its text, and whether and when it was ticked."""

    position: int
    text: str
    done: bool = False
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One submission to an organisation, and what reminder needs to follow it up."""

    id: str
    title: str
    organisation: str
    submitted: date
    country: str
    timezone: str
    kind: str = "other"
    filed: str | None = None  # what was filed: "cancel roaming eSIM", "refund of …"
    reference: str | None = None
    channels: tuple[str, ...] = ()
    subdivision: str | None = None
    submitted_time: time | None = None
    min_days: int = 7
    max_days: int = 15
    unit: Unit = "business"
    status: Literal["open", "closed"] = "open"
    resolution: str | None = None
    closed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    notes: str | None = None
    preset: str | None = None  # an escalation preset's name
    # Per-case override of the [reminders] policy, e.g. {"before_deadline": 3}.
    remind: Mapping[str, object] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    # For letters (letters.py): the customer, account, phone or SIM number the organisation
    # knows the person by, where it takes written complaints, and the language it reads
    # (None: the default for the case's country, data/letters.toml).
    account: str | None = None
    org_email: str | None = None
    letter_language: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Who writes a letter: the config's ``[me]`` (any field may be unknown)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder the plan wants sent: what, for which case, and when (aware datetime).

    ``key`` is stable across re-plans of the same case ("<case>:<kind>:<n>"), so the
    outbox can tell a reminder it already sent from a new one.
    """

    case_id: str
    kind: str
    due: datetime
    key: str
    sequence: int = 0
    note: str | None = None  # what to do, for an escalation preset's step


@dataclass(frozen=True, slots=True)
class Delivery:
    """One reminder × notifier row of the outbox."""

    id: int
    case_id: str
    key: str
    kind: str
    notifier: str
    due: datetime
    status: str
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceEntry:
    """One append-only line of a case's evidence log."""

    case_id: str
    seq: int
    kind: str
    summary: str
    at: datetime
    recorded_at: datetime
    attachments: tuple[Mapping[str, str], ...] = ()
    corrects: int | None = None
    prev_hash: str = ""
    hash: str = ""  # scheme 1: SHA-256; scheme 2: HMAC-SHA256 under the evidence key (evidence.py)
    scheme: int = 1
    key_id: str | None = None  # scheme 2: which evidence key (never the key itself)


def __getattr__(name: str) -> object:
    # Message lives in message.py, imported only where one is sent (see the docstring).
    if name == "Message":
        from .message import Message

        return Message
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
