"""The complaint dossier: everything about one case that a person sends with a complaint.

:class:`Dossier` holds the facts (gathered by ``dossier_api.build_dossier``); this module
says what the dossier says about them: :func:`build_sections` makes its sections out of a
tiny document model (paragraphs, bullet lists, tables, figures, text shown as it is).
Sections, in order: the case, the review window with its day-by-day explanation, the
escalation step that applies now, a timeline of evidence and reminders sent, the
attachments with their hashes, the screenshots (embedded) and e-mails (rendered as text)
among them, the integrity check, and where the dates came from. Every writer reads that
one list — Markdown and HTML in ``dossier_render.py``, the zip of both in
``dossier_zip.py``, the PDF as the HTML through :func:`reminder.pdf.html_to_pdf` — so
they cannot drift apart.

The dossier's words — headings, labels, reasons, dates and weekdays — are in
``Dossier.lang`` (the user's language unless a caller chose another: the dossier a letter
attaches is in the letter's); :func:`build_sections` and every writer run inside
:func:`~reminder.i18n.using_language` for it, so the helpers below just call ``_``. What
the user typed is quoted as typed — what was filed, the notes, the evidence summaries, the
names of files and closures, and the case's title when its reader reads its script — and the
case section says so when some of it is in a script the dossier's language does not use. The
title is the user's own name for the case: in such a script the dossier names the request by
its kind instead, in the letters' words (``letter_kinds.py``: "cancellation of a SIM/eSIM
service"), as the letters do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cli_labels import case_kind, case_status, reminder_label
from .evidence import attachments_of, corrections_of, current_versions, head_witness, summary_for_people
from .evidence_verify import VerifyReport
from .exhibits import Exhibit, Mail
from .explain import closure_label, day_reason, override_text, tentative_name, warning_text
from .i18n import SOURCE_LANGUAGE, _, current_language, format_date, ngettext, pgettext, using_language
from .labels import channels, evidence_kind, join
from .models import Case, DayInfo, Delivery, EvidenceEntry, Person, ReviewWindow
from .presets import EscalationStep, Preset
from .shipped import localised

__all__ = [
    "SECTION_IDS",
    "Block",
    "Bullets",
    "Code",
    "Dossier",
    "Figure",
    "Para",
    "Pre",
    "Section",
    "Table",
    "build_sections",
    "case_zone",
    "dossier_title",
    "generated_on",
]

SECTION_IDS = ("case", "window", "escalation", "timeline", "attachments", "exhibits", "integrity", "sources")


@dataclass(frozen=True, slots=True)
class Dossier:
    """The facts of one case at ``generated_at``."""

    case: Case
    window: ReviewWindow
    generated_at: datetime
    entries: Sequence[EvidenceEntry] = ()
    deliveries: Sequence[Delivery] = ()
    preset: Preset | None = None
    steps: Sequence[EscalationStep] = ()
    current: EscalationStep | None = None
    verification: VerifyReport | None = None
    exhibits: Sequence[Exhibit] = ()  # screenshots and e-mails among the files (exhibits.load_exhibits)
    complainant: Person | None = None  # the config's [me]: who the dossier is for
    # The language it is written in (one of dossier_api.DOSSIER_LANGUAGES); None: the current one.
    lang: str | None = None


# --- a tiny document model: paragraphs, bullet lists and tables -------------------------------------


@dataclass(frozen=True, slots=True)
class Code:
    """A command or file name inside a paragraph: ``code`` in HTML, a code span in Markdown."""

    text: str


@dataclass(frozen=True, slots=True)
class Para:
    # Plain text, or text and Code pieces in a row.
    text: str | tuple[str | Code, ...]
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    mono: frozenset[int] = frozenset()  # columns shown in a fixed-width font (hashes)
    # Columns of free text, which may hold a token with nothing to break at (a Message-ID, an
    # address, a file name): broken anywhere, so that the table fits its page. None: the last.
    # The other columns keep their words whole, else the long text would squeeze them to a letter.
    text: frozenset[int] | None = None

    def wraps(self, column: int) -> bool:
        return column in self.text if self.text is not None else column == len(self.headers) - 1


@dataclass(frozen=True, slots=True)
class Figure:
    """An image shown in HTML (a data: URI) and named in Markdown."""

    media_type: str
    data: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class Pre:
    """Text shown as it is, line breaks and all (an e-mail's body)."""

    text: str


Block = Para | Bullets | Table | Figure | Pre


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def case_zone(case: Case) -> tzinfo:
    """The zone the dossier shows the case's times in (UTC for a name this Python does not know)."""
    try:
        return ZoneInfo(case.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # the store only keeps valid zones; a hand-made Case may not


def _when(dt: datetime | None, zone: tzinfo) -> str:
    if dt is None:
        return "—"
    local = dt.astimezone(zone)
    offset = local.strftime("%z")
    return _(
        "%(time)s (%(zone)s)",
        time=local.strftime("%Y-%m-%d %H:%M"),
        zone="UTC" if offset == "+0000" else f"UTC{offset}",
    )


def _day(d: date) -> str:
    """A date in a table: ISO, as a person copies it into a form, with its weekday."""
    return format_date(d, style="iso_weekday")


def _in_text(d: date) -> str:
    """A date in a sentence, as the reader's language writes it (English keeps the ISO form)."""
    return _day(d) if current_language() == SOURCE_LANGUAGE else format_date(d)


def _iso_in_text(d: date) -> str:
    """A date in a sentence where English has always written the bare ISO date."""
    return d.isoformat() if current_language() == SOURCE_LANGUAGE else format_date(d)


def _entry(seq: int) -> str:
    return _("#%(seq)d", seq=seq)


def _bytes(size: int) -> str:
    return _("%(size)s bytes", size=f"{size:,}")


def _with_code(text: str, code: str) -> tuple[str | Code, ...]:
    """A translated sentence whose ``%(command)s`` is shown as code: the pieces of a :class:`Para`."""
    before, _sep, after = text.partition(_CODE_MARK)
    return (before, Code(code), after)


_CODE_MARK = "\x00"


def _request(c: Case) -> str:
    """The request as the dossier's reader reads it: the case's title in a script of the current
    language, else its kind in that language's words, else the title as typed."""
    from .letter_kinds import request_named

    return request_named(c.kind, current_language(), ((c.title, "title"),))[0]


def _quotes_another_script(d: Dossier, request: str) -> bool:
    """Whether the dossier quotes text the user typed in a script its language does not use."""
    from .letter_scripts import foreign_script

    lang = current_language()
    c = d.case
    typed = (
        request,
        c.filed,
        c.notes,
        c.resolution,
        *(closure.label for closure in c.closures),
        *(e.summary for e in d.entries),
        *(a.name for e in d.entries for a in attachments_of(e)),
    )
    return any(text and foreign_script(text, lang) for text in typed)


def _case_section(d: Dossier) -> Section:
    c = d.case
    request = _request(c)
    place = c.country + (f"-{c.subdivision}" if c.subdivision else "")
    me = d.complainant or Person()
    who = join(v for v in (me.name, me.email, me.phone) if v) or _("— (set [me] in the config)")
    submitted = _day(c.submitted) + (f" {c.submitted_time.strftime('%H:%M')}" if c.submitted_time else "")
    status = case_status(c.status)
    rows = [
        (pgettext("dossier field", "Complainant"), who + (f"\n{me.address}" if me.address else "")),
        (pgettext("dossier field", "Account"), c.account or "—"),
        (pgettext("dossier field", "Request"), request),
        (pgettext("dossier field", "Case id"), c.id),
        (
            pgettext("dossier field", "Organisation"),
            c.organisation + (f" <{c.org_email}>" if c.org_email else ""),
        ),
        (pgettext("dossier field", "What was filed"), c.filed or "—"),
        (pgettext("dossier field", "Kind"), case_kind(c.kind)),
        (pgettext("dossier field", "Reference number"), c.reference or "—"),
        (pgettext("dossier field", "Channels used"), channels(c.channels) or "—"),
        (pgettext("dossier field", "Submitted"), submitted),
        (
            pgettext("dossier field", "Country (calendar)"),
            _("%(place)s, time zone %(zone)s", place=place, zone=c.timezone),
        ),
        (
            pgettext("dossier field", "Status"),
            _("%(status)s: %(resolution)s", status=status, resolution=c.resolution)
            if c.resolution
            else status,
        ),
    ]
    if c.notes:
        rows.append((pgettext("dossier field", "Notes"), c.notes))
    headers = (pgettext("dossier column", "Field"), pgettext("dossier column", "Value"))
    blocks: list[Block] = [Table(headers, tuple(rows))]
    if _quotes_another_script(d, request):
        blocks.append(
            Para(
                _(
                    "What the complainant typed (what was filed, notes, evidence summaries, names of "
                    "files and closures) is quoted as typed, in the language it was typed in."
                )
            )
        )
    return Section("case", pgettext("dossier section", "Case"), tuple(blocks))


def _why(w: ReviewWindow, info: DayInfo) -> str:
    """Why a day of the window counted or not, in the reader's language."""
    why = day_reason(info, w.country, w.subdivision)
    if why is None:
        why = pgettext("dossier day", "counted") if info.business else pgettext("dossier day", "not counted")
    return _("%(reason)s (estimated date)", reason=why) if info.tentative else why


def _window_section(d: Dossier) -> Section:
    w = d.window
    place = f"{w.country}{'-' + w.subdivision if w.subdivision else ''}"
    dates = {
        "submitted": _in_text(w.submitted),
        "opens": _in_text(w.opens),
        "deadline": _in_text(w.deadline),
        "min": w.min_days,
        "max": w.max_days,
        "place": place,
    }
    if w.unit == "business":
        summary = _(
            "Submitted on %(submitted)s (day 0, not counted). The decision may come from %(opens)s "
            "(day %(min)d) and must come by %(deadline)s (day %(max)d), counting business days in %(place)s.",
            **dates,
        )
    else:
        summary = _(
            "Submitted on %(submitted)s (day 0, not counted). The decision may come from %(opens)s "
            "(day %(min)d) and must come by %(deadline)s (day %(max)d), counting calendar days in %(place)s.",
            **dates,
        )
    blocks: list[Block] = [Para(summary, strong=True)]
    if w.tentative:
        because = join(
            _("%(name)s (%(day)s)", name=tentative_name(w, t), day=t.date.isoformat())
            for t in w.tentative_because
        )
        blocks.append(
            Para(
                _(
                    "Tentative: the count crosses holidays whose dates are estimated until announced: "
                    "%(days)s.",
                    days=because,
                )
            )
        )
    if w.warnings:
        blocks.append(Bullets(tuple(warning_text(text, w.country) for text in w.warnings)))
    if w.days:
        rows = []
        for info in w.days:
            mark = ""
            if info.date == w.opens:
                mark = pgettext("dossier milestone", "window opens")
            if info.date == w.deadline:
                mark = pgettext("dossier milestone", "deadline")
            rows.append(
                (_day(info.date), str(info.count) if info.count is not None else "—", _why(w, info), mark)
            )
        blocks.append(Para(_("Day by day:")))
        headers = (
            pgettext("dossier column", "Date"),
            pgettext("dossier column", "Day no."),
            pgettext("dossier column", "Why"),
            pgettext("dossier column", "Milestone"),
        )
        blocks.append(Table(headers, tuple(rows), text=frozenset({2})))
    return Section("window", pgettext("dossier section", "Review window"), tuple(blocks))


def _escalation_section(d: Dossier) -> Section:
    zone = case_zone(d.case)
    today = d.generated_at.astimezone(zone).date()
    title = pgettext("dossier section", "Escalation")
    if d.preset is None:
        return Section("escalation", title, (Para(_("No escalation preset was chosen for this case.")),))
    p = d.preset
    if p.title:
        blocks: list[Block] = [Para(_("Preset: %(name)s — %(title)s", name=p.name, title=localised(p.title)))]
    else:
        blocks = [Para(_("Preset: %(name)s", name=p.name))]
    if d.current is not None:
        blocks.append(
            Para(
                _(
                    "Applies now (as of %(today)s): %(step)s",
                    today=_iso_in_text(today),
                    step=localised(d.current.step),
                ),
                strong=True,
            )
        )
    elif d.steps:
        first = min(d.steps)
        blocks.append(
            Para(
                _(
                    "Nothing applies yet (as of %(today)s); the first step is due on %(due)s.",
                    today=_iso_in_text(today),
                    due=_iso_in_text(first.due),
                ),
                strong=True,
            )
        )
    if d.steps:
        headers = (
            pgettext("dossier column", "Due"),
            pgettext("dossier column", "When"),
            pgettext("dossier column", "Step"),
            pgettext("dossier column", "Status"),
        )
        now, done = pgettext("escalation step", "now"), pgettext("escalation step", "done")
        blocks.append(
            Table(
                headers,
                tuple(
                    (
                        _day(s.due),
                        s.after_for_people(),
                        localised(s.step),
                        now if s == d.current else (done if s.due <= today else ""),
                    )
                    for s in d.steps
                ),
                text=frozenset({2}),
            )
        )
    if p.source:
        blocks.append(Para(_("Source: %(source)s", source=localised(p.source))))
    return Section("escalation", title, tuple(blocks))


def _entry_detail(e: EvidenceEntry, fixes: dict[int, list[int]], versions: dict[int, int]) -> str:
    notes = []
    if e.corrects is not None:
        notes.append(pgettext("dossier", "corrects %(entry)s", entry=_entry(e.corrects)))
    if e.seq in fixes:
        notes.append(
            pgettext("dossier", "corrected by %(entries)s", entries=join(_entry(n) for n in fixes[e.seq]))
        )
    # The version the letters state (evidence.current_versions), where the entries correcting this
    # one do not already say it: at the end of a chain (1 ← 3 ← 4), or the later of two corrections.
    last = versions.get(e.seq, e.seq)
    if last != e.seq and fixes.get(e.seq) != [last]:
        notes.append(pgettext("dossier", "last version: %(entry)s", entry=_entry(last)))
    files = [a.name for a in attachments_of(e)]
    if files:
        notes.append(_("files: %(files)s", files=join(files)))
    summary = summary_for_people(e)
    if not notes:
        return summary
    return _("%(summary)s (%(notes)s)", summary=summary, notes=pgettext("note separator", "; ").join(notes))


def _reminder_kind(kind: str, key: str, preset: str | None) -> str:
    """A reminder as show names it: a preset's step by its name and number ("telecom step 1"),
    another by its kind."""
    said = reminder_label(kind, key, preset)
    return kind.replace("_", " ") if said == kind else said


def _timeline_section(d: Dossier) -> Section:
    zone = case_zone(d.case)
    fixes = corrections_of(d.entries)
    versions = current_versions(d.entries)
    items: list[tuple[datetime, int, tuple[str, str, str]]] = []
    for e in d.entries:
        what = _("Evidence %(entry)s: %(kind)s", entry=_entry(e.seq), kind=evidence_kind(e.kind))
        items.append((e.at, 0, (_when(e.at, zone), what, _entry_detail(e, fixes, versions))))
    for r in d.deliveries:
        if r.status != "sent" or r.sent_at is None:
            continue
        what = _("Reminder sent: %(kind)s", kind=_reminder_kind(r.kind, r.key, d.case.preset))
        items.append(
            (r.sent_at, 1, (_when(r.sent_at, zone), what, _("via %(notifier)s", notifier=r.notifier)))
        )
    items.sort(key=lambda t: (t[0], t[1]))
    title = pgettext("dossier section", "Timeline")
    if not items:
        return Section("timeline", title, (Para(_("No evidence recorded and no reminder sent yet.")),))
    n_sent = sum(1 for t in items if t[1] == 1)
    summary = Para(
        _(
            "%(entries)s, %(sent)s. Times in %(zone)s.",
            entries=ngettext("%(n)d evidence entry", "%(n)d evidence entries", len(d.entries)),
            sent=ngettext("%(n)d reminder sent", "%(n)d reminders sent", n_sent),
            zone=d.case.timezone,
        )
    )
    headers = (
        pgettext("dossier column", "When"),
        pgettext("dossier column", "What"),
        pgettext("dossier column", "Details"),
    )
    return Section("timeline", title, (summary, Table(headers, tuple(t[2] for t in items))))


def _attachments_section(d: Dossier) -> Section:
    title = pgettext("dossier section", "Attachments")
    rows = [(_entry(e.seq), a.name, _bytes(a.size), a.sha256) for e in d.entries for a in attachments_of(e)]
    if not rows:
        return Section("attachments", title, (Para(_("No files attached.")),))
    check = _(
        "SHA-256 of each file as recorded when it was attached; check one with %(command)s.",
        command=_CODE_MARK,
    )
    headers = (
        pgettext("dossier column", "Entry"),
        pgettext("dossier column", "File"),
        pgettext("dossier column", "Size"),
        "SHA-256",
    )
    return Section(
        "attachments",
        title,
        (
            Para(_with_code(check, "sha256sum " + pgettext("metavar", "FILE"))),
            Table(headers, tuple(rows), mono=frozenset({3}), text=frozenset({1})),
        ),
    )


def _mail_blocks(m: Mail) -> list[Block]:
    blocks: list[Block] = []
    none = ((pgettext("e-mail", "Headers"), pgettext("e-mail", "none")),)
    headers = (pgettext("e-mail", "Header"), pgettext("dossier column", "Value"))
    blocks.append(Table(headers, m.headers or none))
    if m.body_from == "html":
        blocks.append(
            Para(_("It has no plain-text part: its HTML part as plain text (the HTML is not shown)."))
        )
    if m.body:
        blocks.append(Pre(m.body))
    else:
        blocks.append(Para(_("The message has no text body.")))
    if m.truncated:
        blocks.append(Para(_("The body is cut here; the whole message is the attached file.")))
    if m.attachments:
        rows = tuple(
            (p.name, p.content_type, _bytes(p.size) if p.size is not None else _("unknown size"))
            for p in m.attachments
        )
        total = len(m.attachments) + m.more_attachments
        blocks.append(Para(_("Files attached to this e-mail: %(n)d", n=total)))
        columns = (
            pgettext("dossier column", "File"),
            pgettext("dossier column", "Type"),
            pgettext("dossier column", "Size"),
        )
        blocks.append(Table(columns, rows, text=frozenset({0, 1})))
        if m.more_attachments:
            blocks.append(Para(_("… and %(n)d more, not listed.", n=m.more_attachments)))
    else:
        blocks.append(Para(_("No files are attached to this e-mail.")))
    return blocks


def _exhibit_blocks(x: Exhibit) -> list[Block]:
    blocks: list[Block] = [
        Para(
            _(
                "Evidence %(entry)s: %(name)s (%(size)s, SHA-256 %(hash)s)",
                entry=_entry(x.entry),
                name=x.name,
                size=_bytes(x.size),
                hash=x.sha256,
            ),
            strong=True,
        )
    ]
    if x.note is not None:
        blocks.append(Para(x.note))
    elif x.data is not None and x.media_type is not None:
        blocks.append(Figure(x.media_type, x.data, f"{x.name} · SHA-256 {x.sha256}"))
    elif x.mail is not None:
        blocks.extend(_mail_blocks(x.mail))
    return blocks


def _exhibits_section(d: Dossier) -> Section:
    title = pgettext("dossier section", "Screenshots and e-mails")
    if not d.exhibits:
        return Section("exhibits", title, (Para(_("No screenshots or e-mails among the files.")),))
    blocks: list[Block] = [
        Para(_("Screenshots as recorded, under their SHA-256; e-mails as their headers, text and files."))
    ]
    for x in d.exhibits:
        blocks.extend(_exhibit_blocks(x))
    return Section("exhibits", title, tuple(blocks))


def _integrity_section(d: Dossier) -> Section:
    v = d.verification
    title = pgettext("dossier section", "Integrity")
    if v is None:
        return Section("integrity", title, (Para(_("The evidence log was not checked for this dossier.")),))
    blocks: list[Block] = []
    if v.ok:
        blocks.append(
            Para(
                ngettext(
                    "Verified: %(n)d entry and %(files)s are intact.",
                    "Verified: %(n)d entries and %(files)s are intact.",
                    v.entries,
                    files=ngettext("%(n)d file", "%(n)d files", v.attachments),
                ),
                strong=True,
            )
        )
    else:
        blocks.append(Para(_("The evidence log does NOT verify:"), strong=True))
        blocks.append(Bullets(tuple(str(p) for p in v.problems)))
    if v.head_hash:
        # A witness: whoever keeps this dossier can later show that the log still reaches this entry.
        blocks.append(Para(_("Head: entry %(seq)d, %(hash)s", seq=v.head_seq, hash=v.head_hash)))
        blocks.append(Para(head_witness(d.case.id, v.head_seq, v.head_hash)))
    recheck = _(
        "Each entry's hash covers its content, its files' hashes and the previous entry's hash; "
        "re-check with %(command)s.",
        command=_CODE_MARK,
    )
    blocks.append(Para(_with_code(recheck, f"reminder evidence verify {d.case.id}")))
    return Section("integrity", title, tuple(blocks))


def _sources_section(d: Dossier) -> Section:
    w = d.window
    items = [_("Holiday data: %(version)s", version=w.holidays_version or _("unknown"))]
    if w.overrides:
        items.extend(_("Override used: %(override)s", override=override_text(o)) for o in w.overrides)
    else:
        items.append(_("No local holiday overrides were used."))
    items.extend(
        _(
            "Office closure: %(label)s (%(start)s to %(end)s)",
            label=closure_label(c.label),
            start=c.start.isoformat(),
            end=c.end.isoformat(),
        )
        for c in d.case.closures
    )
    items.append(_("Generated by reminder on %(when)s.", when=generated_on(d)))
    return Section(
        "sources", pgettext("dossier section", "Where the dates come from"), (Bullets(tuple(items)),)
    )


def build_sections(d: Dossier) -> list[Section]:
    """The dossier's sections, in order, worded in ``d.lang``."""
    with using_language(d.lang):
        return [
            _case_section(d),
            _window_section(d),
            _escalation_section(d),
            _timeline_section(d),
            _attachments_section(d),
            _exhibits_section(d),
            _integrity_section(d),
            _sources_section(d),
        ]


def dossier_title(d: Dossier) -> str:
    """The dossier's title, in the current language: the writers' first line. It names the request
    as the case section does (a title in a script the reader does not read, by the case's kind)."""
    return _(
        "Dossier: %(title)s — %(organisation)s", title=_request(d.case), organisation=d.case.organisation
    )


def generated_on(d: Dossier) -> str:
    """When the dossier was made, in the case's time zone."""
    return _when(d.generated_at, case_zone(d.case))
