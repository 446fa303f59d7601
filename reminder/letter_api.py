"""The letter use cases: write a letter from a case, and send it by e-mail with its record.

:func:`compose_letter` reads the case, its window and evidence log, the writer (``[me]``)
and the regulator that fits the case, builds the letter's facts (``letters.py``), fills in
its template with them (``letter_template.py``) and writes it in the format asked for
(``letter_render.py``). :func:`send_letter` sends the e-mail version through the configured
e-mail notifier and records it in the evidence log as an ``email`` entry, with its
Message-ID in the summary and the ``.eml`` attached, so the regulator letter written later
finds it as the follow-up sent to the organisation.

The same layer as ``api.py``'s use cases (it calls ``dossier_api`` and ``evidence_api`` for the
dossier and the log); the CLI's ``letter`` command calls these two functions and nothing else.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .delivery_errors import translated
from .errors import ConfigError, DeliveryError, InputError, StoreError
from .evidence import SENT_LETTER_PREFIX, sent_letter_to
from .i18n import N_, _
from .letter_render import FORMATS, EmailAttachment
from .letters import RECIPIENTS
from .models import Case, EvidenceEntry, ReviewWindow
from .regulators import Regulator
from .shipped import data_text

if TYPE_CHECKING:
    from .config import Settings
    from .letter_scripts import ForeignText
    from .letter_template import Rendered
    from .notifiers.email import EmailNotifier
    from .store import Store

__all__ = ["Letter", "SentLetter", "check_sendable", "compose_letter", "copy_to", "send_letter"]

# How the missing fields are named to the user, and how each is filled in (translated where shown).
_FIELD_HINTS: dict[str, tuple[str, str]] = {
    "me.name": (N_("your name"), N_("set [me] name in the config")),
    "me.email": (N_("your e-mail address"), N_("set [me] email in the config")),
    "me.phone": (N_("your phone number"), N_("set [me] phone in the config")),
    "me.address": (N_("your postal address"), N_("set [me] address in the config")),
    "case.account": (
        N_("the account or number the organisation knows you by"),
        N_("reminder edit %(id)s --account …"),
    ),
    "case.org_email": (
        N_("the organisation's e-mail address for complaints"),
        N_("reminder edit %(id)s --org-email …"),
    ),
    "case.reference": (N_("the organisation's reference number"), N_("reminder edit %(id)s --reference …")),
    "case.channels": (N_("how you made the request"), N_("reminder edit %(id)s --channel …")),
    "case.org_address": (N_("the organisation's postal address"), N_("fill it in by hand")),
    "follow_up": (
        N_("the follow-up sent to the organisation"),
        N_(
            "send it with 'reminder letter %(id)s --to organisation --send', or log one sent otherwise "
            "with 'reminder evidence add %(id)s --kind letter --summary …'"
        ),
    ),
    "regulator.name": (N_("the regulator's name"), N_("fill it in by hand")),
    "regulator.postal": (
        N_("the regulator's postal address"),
        N_("not verified by reminder: see its web site"),
    ),
    "regulator.web": (N_("the regulator's web site"), N_("fill it in by hand")),
    "regulator.phone": (N_("the regulator's phone number"), N_("not verified by reminder: see its web site")),
    "regulator.email": (
        N_("the regulator's e-mail address"),
        N_("not verified by reminder: see its web site"),
    ),
}


# How a text quoted in a script the letter's language does not use is named, and put in that
# language (the evidence summaries' hint is in Letter.foreign_hint: the log keeps entries as written).
_FOREIGN_HINTS: dict[str, tuple[str, str]] = {
    "case.request": (N_("the request as filed"), N_('reminder edit %(id)s --filed "…"')),
    "case.organisation": (N_("the organisation's name"), N_('reminder edit %(id)s --org "…"')),
    "case.reference": _FIELD_HINTS["case.reference"],
    "case.account": _FIELD_HINTS["case.account"],
    "case.channels": _FIELD_HINTS["case.channels"],
}


# The writer's texts given per language in the config: [me] name_in.<lang>, address_in.<lang>.
_ME_FORMS: dict[str, str] = {"me.name": "name_in", "me.address": "address_in"}


@dataclass(frozen=True, slots=True)
class Letter:
    """A letter written from a case, in one format, and what the person must know about it."""

    case: Case
    to: str
    fmt: str
    rendered: Rendered
    data: bytes
    recipient_name: str
    recipient: str | None  # the e-mail address it goes to, when known
    sender: str | None
    regulator: Regulator | None
    message: EmailMessage | None = None  # the e-mail (fmt "eml")
    attachments: tuple[str, ...] = ()  # file names attached to the e-mail
    notes: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # field keys, see field_hint()
    foreign: tuple[ForeignText, ...] = ()  # quoted texts its reader may not read, see foreign_hint()
    config_file: Path | None = None  # where [me] is set (None: no config file, the defaults)

    @property
    def lang(self) -> str:
        return self.rendered.lang

    @property
    def message_id(self) -> str | None:
        return None if self.message is None else str(self.message["Message-ID"])

    @property
    def file_name(self) -> str:
        """Where the letter goes when no -o says: ``letter-ID-TO-LANG.FMT`` in the current directory."""
        return f"letter-{self.case.id}-{self.to}-{self.lang}.{self.fmt}"

    def as_dict(self) -> dict[str, object]:
        """What ``letter --json`` reports ("path" and "sent" are filled in by the caller)."""
        return {
            "version": 1,
            "case_id": self.case.id,
            "to": self.to,
            "lang": self.lang,
            "format": self.fmt,
            "subject": self.rendered.subject,
            "template": self.rendered.template,
            "regulator": self.regulator.id if self.regulator is not None else None,
            "missing": list(self.missing),
            "notes": list(self.notes),
            "foreign_script": [f.as_dict() for f in self.foreign],
            "path": None,
            "message_id": self.message_id,
            "sent": None,
        }

    def field_hint(self, key: str) -> tuple[str, str]:
        """(what the blank is, how to fill it) for a missing field's key, untranslated: the how
        takes the case id as ``%(id)s``."""
        return _FIELD_HINTS.get(key, (key, N_("fill it in by hand")))

    def foreign_hint(self, text: ForeignText) -> tuple[str, str]:
        """(what the text is, how to give it in the letter's language), in the user's language."""
        if text.field == "evidence.summary":
            return (
                _("evidence #%(seq)s's summary", seq=text.entry),
                _(
                    "the log keeps every entry as written: add one in the letter's language with "
                    "'reminder evidence add %(id)s --kind %(kind)s --summary \"…\" --corrects %(seq)s' "
                    "(the letter then states it in place of this one), or change the letter by hand",
                    id=self.case.id,
                    kind=text.kind,
                    seq=text.entry,
                ),
            )
        if text.field in _ME_FORMS:
            # The config line that gives it in the letter's language: [me] name_in.en = "…".
            line = f'{_ME_FORMS[text.field]}.{self.lang} = "…"'
            how = (
                _("add this line under [me] in %(file)s: %(line)s", file=self.config_file, line=line)
                if self.config_file is not None
                else _(
                    "add this line under [me] in a config file ('reminder config init' writes one): %(line)s",
                    line=line,
                )
            )
            return _(_FIELD_HINTS[text.field][0]), how
        what, how = _FOREIGN_HINTS.get(text.field, (text.field, N_("fill it in by hand")))
        return _(what), _(how, id=self.case.id) if "%(id)s" in how else _(how)


def _regulator_for(case: Case, to: str, regulator_id: str | None) -> Regulator | None:
    from .regulators import choose, sector_of

    sector = sector_of(case.preset, case.kind)
    if to == "regulator" or regulator_id is not None:
        return choose(case.country, sector, case.organisation, regulator_id=regulator_id)
    try:  # the follow-up names the regulator when one fits; otherwise none (see build_facts)
        return choose(case.country, sector, case.organisation)
    except InputError:
        return None


def _check_open(case: Case) -> None:
    """InputError for a closed case: its letters would say the organisation has not decided."""
    if case.status == "closed":
        raise InputError(
            _(
                "case %(id)s is closed, and a letter would say its request is still waiting for a "
                "decision: reopen it with 'reminder reopen %(id)s' if the matter is not settled",
                id=case.id,
            )
        )


def _language(case: Case, to: str, lang: str | None, regulator: Regulator | None) -> str:
    from .letter_fields import letter_language
    from .regulators import country_language

    if lang:
        return letter_language(lang)
    if to == "regulator" and regulator is not None and regulator.language:
        return regulator.language
    return case.letter_language or country_language(case.country)


def _notes(letter_to: str, regulator: Regulator | None) -> list[str]:
    """What the person must know before sending a complaint to ``regulator`` (from its data),
    in the user's language: the data's English texts too (the letter keeps its own language)."""
    notes: list[str] = []
    if letter_to == "regulator" and regulator is not None:
        name = regulator.short or regulator.name or regulator.id
        if regulator.requires_first:
            notes.append(
                _("%(name)s requires first: %(text)s", name=name, text=data_text(regulator.requires_first))
            )
        if regulator.time_limit:
            notes.append(_("%(name)s time limit: %(text)s", name=name, text=data_text(regulator.time_limit)))
        notes.extend(data_text(note) for note in regulator.notes)
        notes.append(
            _(
                "where these facts about %(name)s come from: %(url)s",
                name=name,
                url=data_text(regulator.source),
            )
        )
    return notes


def _follow_up_pending(
    case: Case, entries: Sequence[EvidenceEntry], today: date, reply_by_for: Callable[[date], date]
) -> list[str]:
    """A note when the follow-up sent to the organisation still waits for the answer it asked for.

    Only for a follow-up sent by ``letter --send``: its reply-by date is what this module
    computes for the day it was sent. A letter logged by hand said whatever it said; its date
    is not in the log, so nothing is noted for it.
    """
    from .letters import follow_up_entry

    zone = ZoneInfo(case.timezone)
    follow = follow_up_entry(entries, case.submitted, zone)
    if follow is None or sent_letter_to(follow) != "organisation":
        return []
    sent = follow.at.astimezone(zone).date()
    by = reply_by_for(sent)
    if today > by:
        return []
    return [
        _(
            "the follow-up sent on %(sent)s (evidence #%(seq)s) asked %(org)s to answer by %(by)s, "
            "which has not passed yet: the regulator may ask whether you waited for that answer",
            sent=sent.isoformat(),
            seq=follow.seq,
            org=case.organisation,
            by=by.isoformat(),
        )
    ]


def _check_deadline(case: Case, window: ReviewWindow, to: str, today: date, *, before_deadline: bool) -> None:
    """InputError when the letter would say a deadline has passed that has not (see compose_letter)."""
    if today > window.deadline:
        return
    day = window.deadline.isoformat()
    if to == "regulator":
        raise InputError(
            _(
                "the complaint to the regulator says the deadline has passed, but the deadline of case "
                "%(id)s (%(day)s) has not passed yet: write it after that day (--before-deadline "
                "writes only the letter to the organisation)",
                id=case.id,
                day=day,
            )
        )
    if not before_deadline:
        raise InputError(
            _(
                "the letter says the deadline has passed, but the deadline of case %(id)s (%(day)s) "
                "has not passed yet: write it after that day, or add --before-deadline to write it "
                "now (it then asks for an answer after the deadline)",
                id=case.id,
                day=day,
            )
        )


def compose_letter(
    store: Store,
    settings: Settings,
    case_id: str,
    *,
    to: str,
    now: datetime,
    fmt: str = "txt",
    lang: str | None = None,
    regulator_id: str | None = None,
    attach_dossier: bool = False,
    user_dir: Path | None = None,
    before_deadline: bool = False,
) -> Letter:
    """The letter to ``to`` ("organisation" or "regulator") for a case, rendered as ``fmt``.

    ``lang``: the recipient's language (default: the regulator's, else the case's --lang,
    else its country's). ``attach_dossier``: the e-mail carries the case's HTML dossier, in
    the letter's language when the dossier is written in it, else in English
    (``dossier_api.attached_dossier_language``; a note says so).
    ``user_dir``: where the user's template overrides are (``<config dir>/templates/letters``).

    A closed case has no letter: both say the request still waits for a decision (InputError,
    as for the deadline). Both letters say the deadline has passed, so before it has (in the
    case's time zone: the deadline day itself has not) they are refused with an InputError.
    ``before_deadline`` writes the follow-up to the organisation all the same, asking for an
    answer no earlier than the first business day after the deadline; the complaint to the
    regulator is still refused, its ground being that the period is over.
    """
    from .calendar import get_calendar
    from .dossier_api import attached_dossier_language, export_dossier
    from .evidence import db_head
    from .evidence_api import list_evidence
    from .letter_render import to_email, to_html, to_markdown, to_pdf, to_text
    from .letter_scripts import foreign_texts
    from .letter_template import render
    from .letters import build_facts
    from .regulators import letter_defaults, sector_of

    if to not in RECIPIENTS:
        raise InputError(
            _("a letter goes to %(choices)s, not %(to)s", choices=" or ".join(RECIPIENTS), to=repr(to))
        )
    if fmt not in FORMATS:
        raise InputError(
            _(
                "unknown letter format %(format)s; use one of %(choices)s",
                format=repr(fmt),
                choices=", ".join(FORMATS),
            )
        )
    if attach_dossier and fmt != "eml":
        raise InputError(
            _("--attach-dossier attaches the dossier to the e-mail: use it with --format eml or --send")
        )
    case = store.get_case(case_id)
    _check_open(case)
    window = store.get_window(case.id)
    if window is None:  # pragma: no cover - every stored case has its window (api.add_case)
        raise StoreError(
            _("case %(id)s has no review window stored; run 'reminder edit %(id)s' to compute it", id=case.id)
        )
    regulator = _regulator_for(case, to, regulator_id)
    language = _language(case, to, lang, regulator)
    today = now.astimezone(ZoneInfo(case.timezone)).date()
    _check_deadline(case, window, to, today, before_deadline=before_deadline)
    calendar = get_calendar(case.country, case.subdivision, (*settings.closure_list(), *case.closures))

    def reply_by_for(day: date) -> date:
        # Never an answer asked for before the organisation's own deadline (--before-deadline).
        return max(
            calendar.add_business_days(day, letter_defaults().reply_business_days),
            calendar.add_business_days(window.deadline, 1),
        )

    reply_by = reply_by_for(today)
    entries = list_evidence(store, case.id)
    dossier: tuple[str, bytes] | None = None
    dossier_lang = attached_dossier_language(language)
    if attach_dossier:
        # For the recipient, as the letter is: not in the user's language.
        dossier = (
            f"dossier-{case.id}.html",
            export_dossier(store, settings, case.id, now=now, fmt="html", lang=dossier_lang),
        )
    facts = build_facts(
        to=to,
        lang=language,
        case=case,
        window=window,
        entries=entries,
        me=settings.me.person(language),
        regulator=regulator,
        now=now,
        reply_by=reply_by,
        dossier=dossier[0] if dossier else None,
        head=db_head(store, case.id),
        sector=sector_of(case.preset, case.kind),
    )
    rendered = render(facts, user_dir=user_dir)
    foreign = foreign_texts(facts)
    missing = list(rendered.missing)
    notes = _notes(to, regulator)
    if dossier is not None and dossier_lang != language:
        notes.append(_("the attached dossier is in English: there is none in %(lang)s", lang=language))
    if facts.case.request_from == "kind":
        # The title and what was filed are the user's words, in a script the reader does not read.
        notes.insert(
            0,
            _(
                "the letter names the request by its kind, as '%(words)s': what you typed for it is not "
                'in the letter\'s language (%(lang)s); to word it yourself: reminder edit %(id)s --filed "…"',
                words=facts.case.request,
                lang=language,
                id=case.id,
            ),
        )
    if not facts.window.passed:
        notes.insert(0, _("the deadline (%(day)s) has not passed yet", day=window.deadline.isoformat()))
    if to == "regulator":
        notes[:0] = _follow_up_pending(case, entries, today, reply_by_for)
    me = settings.me.person(language)  # as the letter names its writer (From: too)
    if to == "organisation":
        recipient_name, recipient = case.organisation, case.org_email
    else:
        assert regulator is not None
        recipient_name = regulator.name_in(language) or regulator.short or regulator.id
        recipient = regulator.email
    message: EmailMessage | None = None
    attachments: tuple[str, ...] = ()
    if fmt == "eml":
        files = [EmailAttachment(dossier[0], dossier[1], "text/html")] if dossier else []
        message = to_email(
            rendered,
            sender_name=me.name,
            sender=me.email,
            recipient_name=recipient_name,
            recipient=recipient,
            now=now,
            case_id=case.id,
            to=to,
            attachments=files,
        )
        attachments = tuple(f.filename for f in files)
        # The headers need these too, even where the letter's text did not print them.
        for key, value in (
            ("me.email", me.email),
            ("case.org_email" if to == "organisation" else "regulator.email", recipient),
        ):
            if not value and key not in missing:
                missing.append(key)
        data = message.as_bytes()
    elif fmt == "pdf":
        data = to_pdf(rendered)
    else:
        text = {"txt": to_text, "md": to_markdown, "html": to_html}[fmt](rendered)
        data = text.encode("utf-8")
    return Letter(
        case=case,
        to=to,
        fmt=fmt,
        rendered=rendered,
        data=data,
        recipient_name=recipient_name,
        recipient=recipient,
        sender=me.email,
        regulator=regulator,
        message=message,
        attachments=attachments,
        notes=tuple(notes),
        missing=tuple(missing),
        foreign=tuple(foreign),
        config_file=settings.source,
    )


def _email_notifier(settings: Settings) -> EmailNotifier:
    from .notifiers import build_notifier, parse_notifier_tables
    from .notifiers.base import NotifierContext
    from .notifiers.email import EmailNotifier

    context = NotifierContext(config_file=settings.source)
    for spec in parse_notifier_tables(settings.notifiers, config_file=settings.source):
        if spec.cls is EmailNotifier and spec.options.enabled:
            notifier = build_notifier(spec, context=context)
            assert isinstance(notifier, EmailNotifier)
            return notifier
    raise ConfigError(
        _(
            "sending a letter needs an e-mail notifier: add a [notifiers.email] table to the config "
            "(host, sender, …; see 'reminder config init'), or write the letter with --format eml "
            "and send it yourself"
        )
    )


@dataclass(frozen=True)
class SentLetter:
    """What :func:`send_letter` did: the letter's evidence entry, and its blind copy's address
    (None: no copy) and the reason the copy did not go (None: it went, or there was none)."""

    entry: EvidenceEntry
    copy_to: str | None
    copy_problem: str | None


def copy_to(letter: Letter) -> str | None:
    """Where ``letter --send`` sends its blind copy: the sender's address ([me] email), unless
    that is the recipient's. An envelope recipient only, so the letter's headers do not show it."""
    if not letter.sender or not letter.recipient:
        return None
    from email.utils import parseaddr

    same = parseaddr(letter.sender)[1].lower() == parseaddr(letter.recipient)[1].lower()
    return None if same else letter.sender


def check_sendable(settings: Settings, letter: Letter) -> EmailNotifier:
    """The e-mail notifier ``letter`` would go through, once it is known that it can: an e-mail
    with a recipient and a sender address. InputError or ConfigError (one line) otherwise —
    before anything is shown or sent."""
    if letter.message is None:
        raise InputError(_("only the e-mail form of a letter can be sent (--format eml)"))
    if not letter.recipient:
        if letter.to == "organisation":
            why = _("set it with: reminder edit %(id)s --org-email ADDRESS", id=letter.case.id)
        else:
            where = letter.regulator.web if letter.regulator is not None and letter.regulator.web else None
            why = (
                _("file the complaint through its web form: %(url)s", url=where)
                if where
                else _("fill in its address by hand")
            )
        raise InputError(_("no e-mail address to send the letter to: %(why)s", why=why))
    if not letter.sender:
        raise InputError(_("no sender address: set [me] email in the config (the letter is from you)"))
    return _email_notifier(settings)


def send_letter(
    store: Store, settings: Settings, letter: Letter, *, now: datetime, blind_copy: bool = True
) -> SentLetter:
    """Send ``letter`` (composed as ``eml``) through the configured e-mail notifier, then record
    it in the case's evidence log as an ``email`` entry with its Message-ID and the .eml attached.

    With ``blind_copy``, the sender ([me] email) gets it too as a blind copy (:func:`copy_to`): the
    person's own mailbox then holds what went out in their name, whatever the server keeps.

    Raises InputError when it has no recipient or sender address, ConfigError without an
    e-mail notifier, DeliveryError when the server does not take it (nothing is recorded
    then). Returns the evidence entry, and where the blind copy went or why it did not.
    """
    from .evidence import key_for
    from .evidence_api import log_evidence
    from .evidence_key import KeyDir

    message = letter.message
    notifier = check_sendable(settings, letter)
    # Its record needs a key the case's log can take: found out before the letter goes, not after.
    key_for(store, letter.case.id, KeyDir.default())
    assert message is not None and letter.recipient is not None
    outgoing = copy.deepcopy(message)
    del outgoing["X-Unsent"]  # the draft marker does not go out
    data = outgoing.as_bytes()
    try:
        result = notifier.send_raw(data, [letter.recipient])
        if not result.ok:
            raise DeliveryError(
                _("the letter was not sent: %(why)s", why=translated(result.detail)),
                notifier=notifier.label,
                case_id=letter.case.id,
            )
        # The copy goes in a mail of its own, after the letter: in one transaction a recipient
        # refused while the copy was taken would pass for a letter sent. A copy that fails is
        # said, and changes nothing of what was sent or recorded.
        blind = copy_to(letter) if blind_copy else None
        copied = notifier.send_raw(data, [blind]) if blind else None
    finally:
        notifier.close()
    message_id = str(message["Message-ID"])
    summary = (
        f"{SENT_LETTER_PREFIX.format(to=letter.to)}{letter.recipient_name} <{letter.recipient}>: "
        f"{letter.rendered.subject} (Message-ID {message_id})"
    )
    with tempfile.TemporaryDirectory(prefix="reminder-letter-") as tmp:
        eml = Path(tmp) / f"letter-{letter.case.id}-{letter.to}-{now.date().isoformat()}.eml"
        eml.write_bytes(data)
        try:
            entry = log_evidence(store, letter.case.id, kind="email", summary=summary, now=now, files=[eml])
        except Exception as exc:
            raise StoreError(
                _(
                    "the letter was sent (Message-ID %(id)s) but could not be recorded: %(why)s; "
                    "record it with: reminder evidence add %(case)s --kind email --summary …",
                    id=message_id,
                    why=exc,
                    case=letter.case.id,
                )
            ) from exc
    return SentLetter(
        entry=entry,
        copy_to=blind,
        copy_problem=None if copied is None or copied.ok else copied.detail,
    )
