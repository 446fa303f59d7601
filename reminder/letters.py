"""The facts a letter states, built from a case: who writes, to whom, what was asked and when.

Two letters are written from a case (``reminder letter``): a follow-up **to the
organisation** (the request as filed, the period it promised and the deadline that gave,
what happened since, what is asked now and by when, and that a complaint to the regulator
follows otherwise) and a complaint **to the regulator** (the complainant, the operator, the
account, the request and its dates, the evidence with each entry's date and hash, the
follow-up sent, the prior complaint's reference, the attachments). Both state each fact of the
evidence log once, in its last version (``evidence.current_versions``): a correction in place of
what it corrects, naming those entries by their numbers; the dossier keeps every entry.

:func:`build_facts` gathers those facts for a template (``letter_template.py`` fills it in).
It never invents one: a fact reminder does not hold — an account number never given, a
phone number not in ``[me]``, a regulator's address not verified — is a :class:`Blank`,
which prints as a visible ``[____]`` to fill in and notes that it was printed, so the
command can say exactly which blanks the letter has (:meth:`LetterFacts.missing`).

Pure: the case, its window, its evidence, the writer and ``now`` come in as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .errors import InputError
from .evidence import current_versions, sent_letter_to
from .i18n import RTL_LANGUAGES, _
from .letter_channels import letter_channels
from .letter_fields import LETTER_FIELDS, letter_fields, letter_language
from .letter_kinds import request_named
from .models import Case, EvidenceEntry, Person, ReviewWindow

if TYPE_CHECKING:  # regulators.py reads its data files: add and edit check a letter's fields without it
    from .regulators import Regulator

__all__ = [
    "BLANK",
    "LETTER_FIELDS",
    "RECIPIENTS",
    "RTL_LANGUAGES",
    "Blank",
    "CaseFacts",
    "EntryFacts",
    "FileFacts",
    "LetterFacts",
    "PersonFacts",
    "RegulatorFacts",
    "WindowFacts",
    "build_facts",
    "follow_up_entry",
    "letter_fields",
    "letter_language",
    "sent_by_reminder",
]

RECIPIENTS = ("organisation", "regulator")
BLANK = "[____]"


class Blank:
    """A fact reminder does not hold. Prints as ``[____]`` (in HTML a marked span), is false in
    ``{% if %}``, and records its ``field`` each time it is printed, so the blanks a letter
    really shows — whatever its template — are known."""

    __slots__ = ("_seen", "field")

    def __init__(self, field: str, seen: list[str]) -> None:
        self.field = field
        self._seen = seen

    def _note(self) -> None:
        if self.field not in self._seen:
            self._seen.append(self.field)

    def __str__(self) -> str:
        self._note()
        return BLANK

    def __html__(self) -> str:
        self._note()
        return f'<span class="blank" data-field="{self.field}">{BLANK}</span>'

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Blank({self.field!r})"


Text = str | Blank


@dataclass(frozen=True, slots=True)
class PersonFacts:
    name: Text
    email: Text
    phone: Text
    address: Text | None  # None: not asked for and not given (the letter leaves the line out)


@dataclass(frozen=True, slots=True)
class FileFacts:
    name: str
    sha256: str
    size: int
    entry: int  # the evidence entry it is attached to


@dataclass(frozen=True, slots=True)
class EntryFacts:
    seq: int
    kind: str
    summary: str
    at: datetime  # in the case's time zone
    date: date
    hash: str
    corrects: int | None
    # Empty in a letter's lists, which hold each fact in its last version (kept for templates).
    corrected_by: tuple[int, ...]
    files: tuple[FileFacts, ...]  # its own, and those of the entries it replaces (by their entry)
    by_reminder: bool = False  # the record of a letter reminder sent: its summary is reminder's words
    # The earlier entries of the log whose fact this one states as it stands (evidence.current_versions):
    # what it corrects, directly or along a chain, and any earlier correction of those. Oldest first.
    replaces: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseFacts:
    id: str
    title: str  # the user's own name for the case: no template shipped prints it
    # What was asked, as the letter names it: what was filed, else the title, in a script the
    # letter's language uses; else the case's kind in the letter's words ("cancellation of a
    # SIM/eSIM service"); else what was filed or the title, as typed.
    request: str
    kind: str
    organisation: str
    org_email: Text
    reference: Text
    account: Text
    channels: tuple[str, ...]
    channel: Text  # the channels in the letter's words ("by telephone (hotline) and by e-mail")
    submitted: date
    submitted_time: time | None
    country: str
    sector: str | None = None  # "telecom", "data-protection"; None: nothing says (a visa, a refund)
    request_from: str = "filed"  # where ``request`` comes from: "filed", "title" or "kind"


@dataclass(frozen=True, slots=True)
class WindowFacts:
    min_days: int
    max_days: int
    unit: str  # "business" or "calendar"
    opens: date
    deadline: date
    tentative: bool
    passed: bool  # the deadline is before the letter's date
    days_overdue: int  # calendar days since the deadline (0 until it has passed)


@dataclass(frozen=True, slots=True)
class RegulatorFacts:
    id: str
    name: Text  # in the letter's language where the regulator has a name in it
    name_en: Text
    name_local: str | None
    short: str | None
    web: Text
    phone: Text
    email: Text
    postal: Text
    requires_first: str | None
    time_limit: str | None
    form: tuple[str, ...]
    asks_address: bool


@dataclass(frozen=True, slots=True)
class LetterFacts:
    """Everything a letter template sees (its variables, by these names)."""

    to: str  # "organisation" or "regulator"
    lang: str
    dir: str  # "rtl" or "ltr"
    today: date  # the letter's date, in the case's time zone
    now: datetime
    me: PersonFacts
    case: CaseFacts
    window: WindowFacts
    # Each fact of the log once, in its last version (a correction in place of what it corrects),
    # in date order as the dossier lists them; the dossier keeps every entry.
    entries: tuple[EntryFacts, ...]
    earlier: tuple[EntryFacts, ...]  # those dated before the request was made
    since: tuple[EntryFacts, ...]  # the others: what happened since the request
    follow_up: EntryFacts | Blank
    regulator: RegulatorFacts | None
    reply_by: date
    files: tuple[FileFacts, ...]
    dossier: str | None  # the attached dossier's file name
    head: tuple[int, str] | None  # the evidence log's head: entry count and hash
    _seen: list[str] = field(default_factory=list, repr=False)

    def missing(self) -> list[str]:
        """The blanks printed so far, by field name ("me.phone", "case.account", …), in order."""
        return list(self._seen)

    def blank(self, field: str) -> Blank:
        """A blank for a fact reminder does not keep at all (a template's ``{{ blank("…") }}``)."""
        return Blank(str(field), self._seen)

    def variables(self) -> dict[str, Any]:
        """The template's variables (and ``blank``)."""
        return {**{name: getattr(self, name) for name in _VARIABLES}, "blank": self.blank}


_VARIABLES = (
    "to",
    "lang",
    "dir",
    "today",
    "now",
    "me",
    "case",
    "window",
    "entries",
    "earlier",
    "since",
    "follow_up",
    "regulator",
    "reply_by",
    "files",
    "dossier",
    "head",
)


def follow_up_entry(
    entries: Sequence[EvidenceEntry], submitted: date, zone: ZoneInfo
) -> EvidenceEntry | None:
    """The follow-up sent to the organisation: the latest entry after the day of the request (one on
    that day is the request itself) that is a ``letter`` logged by hand or reminder's record of a
    letter ``--send`` sent to the organisation. Each entry in its last version: a corrected one is
    its correction (its date, its kind), as the letters state it.

    An ``email`` logged by hand is not one: the log does not say who wrote it, and the e-mails
    people keep are mostly the organisation's (its acknowledgement, its answer), which the
    complaint must not present as the user's follow-up. Nor is the complaint sent to the regulator.
    """
    versions = current_versions(entries)
    sent = [
        e
        for e in entries
        if versions[e.seq] == e.seq
        and (e.kind == "letter" or sent_letter_to(e) == "organisation")
        and e.at.astimezone(zone).date() > submitted
    ]
    return max(sent, key=lambda e: (e.at, e.seq)) if sent else None


def sent_by_reminder(e: EvidenceEntry) -> bool:
    """Whether ``e`` is the record ``letter --send`` made of a letter it sent (its summary is
    reminder's, quoting the letter's subject in the letter's language, not the user's words)."""
    return sent_letter_to(e) is not None


def _text(value: str | None, name: str, seen: list[str]) -> Text:
    return value if value else Blank(name, seen)


def _corrections(entries: Sequence[EvidenceEntry]) -> dict[int, list[int]]:
    # As evidence.corrections_of, without importing the store's side of the log into the core.
    fixes: dict[int, list[int]] = {}
    for e in entries:
        if e.corrects is not None:
            fixes.setdefault(e.corrects, []).append(e.seq)
    return fixes


def _entry(
    e: EvidenceEntry,
    zone: ZoneInfo,
    fixes: Mapping[int, list[int]],
    lang: str,
    replaces: Sequence[EvidenceEntry] = (),
) -> EntryFacts:
    at = e.at.astimezone(zone)
    by_reminder = sent_by_reminder(e)
    # Its files, then those of the entries it replaces (newest first), each file once.
    files: list[FileFacts] = []
    for source in (e, *sorted(replaces, key=lambda r: r.seq, reverse=True)):
        for a in source.attachments:
            if all(f.sha256 != a["sha256"] for f in files):
                files.append(FileFacts(a["name"], a["sha256"], int(a["size"]), source.seq))
    return EntryFacts(
        seq=e.seq,
        kind=e.kind,
        # reminder's own record of a letter it sent, in the letter's language where reminder has
        # its words (the user's summaries are quoted as typed; the record is stored in English).
        summary=_record_in(e, lang) if by_reminder else e.summary,
        at=at,
        date=at.date(),
        hash=e.hash,
        corrects=e.corrects,
        corrected_by=tuple(fixes.get(e.seq, ())),
        files=tuple(sorted(files, key=lambda f: f.entry)),
        by_reminder=by_reminder,
        replaces=tuple(sorted(r.seq for r in replaces)),
    )


def _record_in(e: EvidenceEntry, lang: str) -> str:
    from .evidence import summary_for_people
    from .i18n import using_language

    with using_language(lang):
        return summary_for_people(e)


def _regulator(r: Regulator, lang: str, seen: list[str]) -> RegulatorFacts:
    return RegulatorFacts(
        id=r.id,
        name=_text(r.name_in(lang), "regulator.name", seen),
        name_en=_text(r.name, "regulator.name", seen),
        name_local=r.name_local,
        short=r.short,
        web=_text(r.web, "regulator.web", seen),
        phone=_text(r.phone, "regulator.phone", seen),
        email=_text(r.email, "regulator.email", seen),
        postal=_text(r.postal, "regulator.postal", seen),
        requires_first=r.requires_first,
        time_limit=r.time_limit,
        form=r.form,
        asks_address=r.asks_address,
    )


def build_facts(
    *,
    to: str,
    lang: str,
    case: Case,
    window: ReviewWindow,
    entries: Sequence[EvidenceEntry],
    me: Person,
    regulator: Regulator | None,
    now: datetime,
    reply_by: date,
    dossier: str | None = None,
    head: tuple[int, str] | None = None,
    sector: str | None = None,
) -> LetterFacts:
    """The facts of the letter to ``to`` ("organisation" or "regulator") in ``lang``, as of ``now``.

    ``sector``: the case's (``regulators.sector_of``), or None when nothing says; a letter with no
    regulator names none, and without a sector does not speak of a regulator at all.
    """
    if to not in RECIPIENTS:
        raise InputError(
            _("a letter goes to %(choices)s, not %(to)s", choices=" or ".join(RECIPIENTS), to=repr(to))
        )
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    lang = letter_language(lang)
    seen: list[str] = []
    zone = ZoneInfo(case.timezone)
    today = now.astimezone(zone).date()
    fixes = _corrections(entries)
    # Each fact once, in its last version: a correction stands in place of what it corrects (the
    # letters state facts; the log, and the dossier, keep every entry).
    versions = current_versions(entries)
    replaced: dict[int, list[EvidenceEntry]] = {}
    for e in entries:
        if versions[e.seq] != e.seq:
            replaced.setdefault(versions[e.seq], []).append(e)
    current = [e for e in entries if versions[e.seq] == e.seq]
    # In date order, as the dossier lists them: an entry added late (--at) takes its place.
    facts_entries = tuple(
        _entry(e, zone, fixes, lang, replaced.get(e.seq, ()))
        for e in sorted(current, key=lambda e: (e.at, e.seq))
    )
    # By day, as the letters date the request: what was logged on its day belongs to it.
    earlier = tuple(f for f in facts_entries if f.date < case.submitted)
    since = tuple(f for f in facts_entries if f.date >= case.submitted)
    follow = follow_up_entry(entries, case.submitted, zone)
    follow_up: EntryFacts | Blank = (
        next(f for f in facts_entries if f.seq == follow.seq)
        if follow is not None
        else Blank("follow_up", seen)
    )
    asks_address = to == "regulator" and regulator is not None and regulator.asks_address
    request, request_from = request_named(case.kind, lang, ((case.filed, "filed"), (case.title, "title")))
    person = PersonFacts(
        name=_text(me.name, "me.name", seen),
        email=_text(me.email, "me.email", seen),
        phone=_text(me.phone, "me.phone", seen),
        address=me.address or (Blank("me.address", seen) if asks_address else None),
    )
    return LetterFacts(
        to=to,
        lang=lang,
        dir="rtl" if lang in RTL_LANGUAGES else "ltr",
        today=today,
        now=now,
        me=person,
        case=CaseFacts(
            id=case.id,
            title=case.title,
            request=request,
            kind=case.kind,
            organisation=case.organisation,
            org_email=_text(case.org_email, "case.org_email", seen),
            reference=_text(case.reference, "case.reference", seen),
            account=_text(case.account, "case.account", seen),
            channels=case.channels,
            # In the letter's words: "by telephone (hotline 196)", not the value typed ("hotline 196").
            channel=letter_channels(case.channels, lang) or Blank("case.channels", seen),
            submitted=case.submitted,
            submitted_time=case.submitted_time,
            country=case.country,
            sector=regulator.sector if regulator is not None else sector,
            request_from=request_from,
        ),
        window=WindowFacts(
            min_days=window.min_days,
            max_days=window.max_days,
            unit=window.unit,
            opens=window.opens,
            deadline=window.deadline,
            tentative=window.tentative,
            passed=today > window.deadline,
            days_overdue=max(0, (today - window.deadline).days),
        ),
        entries=facts_entries,
        earlier=earlier,
        since=since,
        follow_up=follow_up,
        regulator=_regulator(regulator, lang, seen) if regulator is not None else None,
        reply_by=reply_by,
        files=tuple(f for e in facts_entries for f in e.files),
        dossier=dossier,
        head=head,
        _seen=seen,
    )
