"""The complaint dossier: everything about one case that a person sends with a complaint.

:class:`Dossier` gathers the facts (built by ``api.export_dossier``); this module
only renders them: :func:`render_markdown`, :func:`render_html` (one
self-contained file, inline CSS, every value escaped) and :func:`write_zip`
(both renderings, the attachments and a manifest with hashes). Sections, in
order: the case, the review window with its day-by-day explanation, the
escalation step that applies now, a timeline of evidence and reminders sent,
the attachments with their hashes, the screenshots (embedded) and e-mails
(rendered as text) among them, the integrity check, and where the dates came
from. Both text renderings come from one section list, so they cannot drift
apart; the PDF is the HTML through :func:`reminder.pdf.html_to_pdf`.

The dossier's words — headings, labels, reasons, dates and weekdays — are in
``Dossier.lang`` (the user's language unless a caller chose another: the dossier a letter
attaches is in the letter's); every renderer runs inside :func:`~reminder.i18n.using_language`
for it, so the helpers below just call ``_``. What the user typed is quoted as typed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cli_labels import case_kind, case_status, reminder_kind
from .errors import StoreError
from .evidence import attachments_of, corrections_of, head_witness, summary_for_people
from .evidence_files import TamperedFile, open_blob
from .evidence_verify import VerifyReport
from .exhibits import Exhibit, Mail
from .explain import closure_label, day_reason, override_text, tentative_name, warning_text
from .i18n import (
    RTL_LANGUAGES,
    SOURCE_LANGUAGE,
    _,
    current_language,
    format_date,
    ngettext,
    pgettext,
    using_language,
)
from .labels import channels, evidence_kind, join
from .leftovers import atomic_file, journal_dir
from .models import Case, DayInfo, Delivery, EvidenceEntry, Person, ReviewWindow
from .pdf import font_stack
from .presets import EscalationStep, Preset
from .shipped import localised
from .terminal import escape_controls

if TYPE_CHECKING:
    from .evidence_files import Attachments

__all__ = [
    "MANIFEST_VERSION",
    "SECTION_IDS",
    "Dossier",
    "Section",
    "build_sections",
    "render_html",
    "render_markdown",
    "write_zip",
    "zip_bytes",
]

MANIFEST_VERSION = 1
_CHUNK = 1 << 20
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


def _zone(case: Case) -> tzinfo:
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


def _case_section(d: Dossier) -> Section:
    c = d.case
    place = c.country + (f"-{c.subdivision}" if c.subdivision else "")
    me = d.complainant or Person()
    who = join(v for v in (me.name, me.email, me.phone) if v) or _("— (set [me] in the config)")
    submitted = _day(c.submitted) + (f" {c.submitted_time.strftime('%H:%M')}" if c.submitted_time else "")
    status = case_status(c.status)
    rows = [
        (pgettext("dossier field", "Complainant"), who + (f"\n{me.address}" if me.address else "")),
        (pgettext("dossier field", "Account"), c.account or "—"),
        (pgettext("dossier field", "Request"), c.title),
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
    return Section("case", pgettext("dossier section", "Case"), (Table(headers, tuple(rows)),))


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
    zone = _zone(d.case)
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


def _entry_detail(e: EvidenceEntry, fixes: dict[int, list[int]]) -> str:
    notes = []
    if e.corrects is not None:
        notes.append(pgettext("dossier", "corrects %(entry)s", entry=_entry(e.corrects)))
    if e.seq in fixes:
        notes.append(
            pgettext("dossier", "corrected by %(entries)s", entries=join(_entry(n) for n in fixes[e.seq]))
        )
    files = [a.name for a in attachments_of(e)]
    if files:
        notes.append(_("files: %(files)s", files=join(files)))
    summary = summary_for_people(e)
    if not notes:
        return summary
    return _("%(summary)s (%(notes)s)", summary=summary, notes=pgettext("note separator", "; ").join(notes))


def _reminder_kind(kind: str) -> str:
    said = reminder_kind(kind)
    return kind.replace("_", " ") if said == kind else said


def _timeline_section(d: Dossier) -> Section:
    zone = _zone(d.case)
    fixes = corrections_of(d.entries)
    items: list[tuple[datetime, int, tuple[str, str, str]]] = []
    for e in d.entries:
        what = _("Evidence %(entry)s: %(kind)s", entry=_entry(e.seq), kind=evidence_kind(e.kind))
        items.append((e.at, 0, (_when(e.at, zone), what, _entry_detail(e, fixes))))
    for r in d.deliveries:
        if r.status != "sent" or r.sent_at is None:
            continue
        what = _("Reminder sent: %(kind)s", kind=_reminder_kind(r.kind))
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
                _(
                    "Verified: %(entries)d entries and %(files)d files are intact.",
                    entries=v.entries,
                    files=v.attachments,
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
    items.append(_("Generated by reminder on %(when)s.", when=_when(d.generated_at, _zone(d.case))))
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


def _title(d: Dossier) -> str:
    return _("Dossier: %(title)s — %(organisation)s", title=d.case.title, organisation=d.case.organisation)


# --- Markdown --------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Escape what Markdown would otherwise interpret in user-supplied text."""
    out = text.replace("\\", "\\\\")
    # "#" only matters at the start of a line, where user text never is.
    for ch in "`*_[]<>|":
        out = out.replace(ch, "\\" + ch)
    # Control characters are shown as \xNN (terminal.py): `cat dossier.md` must not obey them.
    out = escape_controls(out.replace("\r\n", "\n"), multiline=True)
    return out.replace("\n", "<br>")


def _md_code(text: str) -> str:
    """A Markdown code span, fenced by more backticks than any run of them inside it."""
    text = escape_controls(text)  # as in _md: shown, never obeyed
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_para(text: str | tuple[str | Code, ...]) -> str:
    parts = (text,) if isinstance(text, str) else text
    return "".join(_md_code(p.text) if isinstance(p, Code) else _md(p) for p in parts)


def _md_cell(text: str, mono: bool) -> str:
    return _md_code(text) if mono and text else _md(text)


def _fence(text: str) -> str:
    # A fence longer than any run of backticks in the text, so the text cannot close it.
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(d: Dossier) -> str:
    """The dossier as Markdown, in ``d.lang``."""
    with using_language(d.lang):
        return _render_markdown(d)


def _render_markdown(d: Dossier) -> str:
    lines = [f"# {_md(_title(d))}", ""]
    for s in build_sections(d):
        lines += [f"## {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                lines += [f"**{_md_para(b.text)}**" if b.strong else _md_para(b.text), ""]
            elif isinstance(b, Bullets):
                lines += [f"- {_md(i)}" for i in b.items] + [""]
            elif isinstance(b, Figure):
                shown = _("Image (shown in the HTML and PDF dossier): %(caption)s", caption=b.caption)
                lines += [f"*{_md(shown)}*", ""]
            elif isinstance(b, Pre):
                # An e-mail's body: its control characters are shown, not obeyed (terminal.py).
                text = escape_controls(b.text.replace("\r\n", "\n"), multiline=True)
                fence = _fence(text)
                lines += [fence + "text", text, fence, ""]
            else:
                lines.append("| " + " | ".join(_md(h) or " " for h in b.headers) + " |")
                lines.append("|" + "---|" * len(b.headers))
                for row in b.rows:
                    lines.append(
                        "| " + " | ".join(_md_cell(c, i in b.mono) for i, c in enumerate(row)) + " |"
                    )
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;max-width:60rem;
margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;
margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}td.text{overflow-wrap:anywhere}th{background:#f3f3f3}
tr:nth-child(even) td{background:#fafafa}.mono{font-family:ui-monospace,monospace;font-size:.85em;
word-break:break-all}
.strong{font-weight:600}.meta{color:#555}
p,li{overflow-wrap:anywhere}figure{margin:.5rem 0 1rem;break-inside:avoid}
figure img{max-width:100%;max-height:80vh;border:1px solid #ccc}
figcaption{font-size:.85em;color:#555;word-break:break-all}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;border:1px solid #ddd;padding:.5rem;
font:.9em/1.4 ui-monospace,monospace}
@media print{body{margin:0;max-width:none;font-family:@FONTS@}h2,.strong{break-after:avoid}
tr{break-inside:avoid}pre{font-family:"DejaVu Sans Mono",@FONTS@}}
""".strip()


def _css(lang: str) -> str:
    # The printed fonts in the reader's language's order: Chinese text takes the mainland's Han forms.
    return _CSS.replace("@FONTS@", font_stack(lang))


def _h(text: str) -> str:
    shown = escape_controls(text.replace("\r\n", "\n"), multiline=True)  # as in Markdown
    return html.escape(shown, quote=True).replace("\n", "<br>")


def _h_para(text: str | tuple[str | Code, ...]) -> str:
    parts = (text,) if isinstance(text, str) else text
    return "".join(f"<code>{_h(p.text)}</code>" if isinstance(p, Code) else _h(p) for p in parts)


def render_html(d: Dossier) -> str:
    """The dossier as one self-contained HTML file, in ``d.lang`` (its ``lang`` and ``dir`` say so)."""
    with using_language(d.lang):
        return _render_html(d)


def _render_html(d: Dossier) -> str:
    lang = current_language()
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    meta = _("Case %(id)s · generated %(when)s", id=d.case.id, when=_when(d.generated_at, _zone(d.case)))
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang.replace("_", "-")}" dir="{direction}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(_title(d))}</title>",
        f"<style>{_css(lang)}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(_title(d))}</h1>",
        f'<p class="meta">{_h(meta)}</p>',
    ]
    for s in build_sections(d):
        out.append(f'<section id="{s.id}">')
        out.append(f"<h2>{_h(s.title)}</h2>")
        for b in s.blocks:
            if isinstance(b, Para):
                out.append(
                    f'<p class="strong">{_h_para(b.text)}</p>' if b.strong else f"<p>{_h_para(b.text)}</p>"
                )
            elif isinstance(b, Bullets):
                out.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Figure):
                # Only the four raster types exhibits.image_type admits get here: nothing that can run.
                uri = f"data:{b.media_type};base64,{base64.b64encode(b.data).decode('ascii')}"
                out.append(
                    f'<figure><img src="{uri}" alt="{_h(b.caption)}">'
                    f"<figcaption>{_h(b.caption)}</figcaption></figure>"
                )
            elif isinstance(b, Pre):
                text = escape_controls(b.text.replace("\r\n", "\n"), multiline=True)
                out.append(f'<pre dir="auto">{html.escape(text, quote=True)}</pre>')
            else:
                out.append("<table>")
                out.append("<thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in b.headers) + "</tr></thead>")
                out.append("<tbody>")
                for row in b.rows:
                    cells = "".join(
                        f'<td class="mono">{_h(c)}</td>'
                        if i in b.mono
                        else f'<td class="text">{_h(c)}</td>'
                        if b.wraps(i)
                        else f"<td>{_h(c)}</td>"
                        for i, c in enumerate(row)
                    )
                    out.append(f"<tr>{cells}</tr>")
                out.append("</tbody></table>")
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# --- zip -------------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    # The stored name came from Path.name, but the database is not trusted here.
    base = PurePosixPath(name.replace("\\", "/")).name.strip() or "file"
    return "".join(ch if ch.isprintable() and ch not in '<>:"|?*' else "_" for ch in base)


def zip_bytes(d: Dossier, data_dir: Attachments) -> bytes:
    """The dossier as a zip in memory (:func:`write_zip` writes the same bytes to a file)."""
    buf = io.BytesIO()
    _write_zip(d, data_dir, buf)
    return buf.getvalue()


def write_zip(d: Dossier, data_dir: Path, path: Path, attachments: Attachments | None = None) -> None:
    """Write the dossier's zip to ``path`` atomically, the attachments streamed a chunk at a time.

    dossier.md, dossier.html, attachments/, manifest.json and SHA256SUMS. Memory stays flat
    whatever the attachments weigh. The temporary file is journalled under ``data_dir``, so
    a crash mid-write leaves nothing the daemon's sweep cannot find (leftovers.py). A
    symlink is written through, as by ``ics.write_bytes_atomic``. The attachments come from
    ``attachments`` when given (the database's, on PostgreSQL), else from ``data_dir``.
    """
    from .outfile import follow_links

    path = follow_links(path)
    try:
        with atomic_file(path, journal=journal_dir(data_dir)) as fh:
            _write_zip(d, data_dir if attachments is None else attachments, fh)
    except OSError as exc:
        raise StoreError(_("cannot write %(path)s: %(why)s", path=path, why=exc.strerror or exc)) from exc


def _write_zip(d: Dossier, data_dir: Attachments, out: IO[bytes]) -> None:
    stamp = d.generated_at.astimezone(_zone(d.case)).timetuple()[:6]
    files: list[dict[str, Any]] = []

    def info_for(arcname: str) -> zipfile.ZipInfo:
        # A fixed timestamp (generation time) instead of the clock: the same dossier, the same zip.
        info = zipfile.ZipInfo(arcname, date_time=stamp)
        # Screenshots and PDFs are compressed already; deflating them only costs time.
        attached = arcname.startswith("attachments/")
        info.compress_type = zipfile.ZIP_STORED if attached else zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def write(arcname: str, data: bytes) -> None:
            zf.writestr(info_for(arcname), data)

        def put(arcname: str, data: bytes) -> None:
            write(arcname, data)
            files.append({"path": arcname, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

        put("dossier.md", render_markdown(d).encode("utf-8"))
        put("dossier.html", render_html(d).encode("utf-8"))
        missing: list[dict[str, Any]] = []
        for e in d.entries:
            files_of_entry = attachments_of(e)
            for pos, a in enumerate(files_of_entry, start=1):
                # Entry number first, so the files sort in log order; the position only when needed.
                prefix = f"{e.seq:03d}-{pos}-" if len(files_of_entry) > 1 else f"{e.seq:03d}-"
                arc = f"attachments/{prefix}{_safe_name(a.name)}"
                try:
                    src = open_blob(data_dir, a.sha256)  # never follows a link or blocks on a FIFO
                except OSError as exc:
                    problem = str(exc) if isinstance(exc, TamperedFile) else "missing"
                    if not isinstance(exc, TamperedFile | FileNotFoundError):
                        problem = f"unreadable ({exc.strerror or exc})"
                    missing.append({"entry": e.seq, "name": a.name, "sha256": a.sha256, "problem": problem})
                    continue
                with src:
                    digest, size = _copy_into(zf, info_for(arc), src)
                # The file's current hash goes in the manifest; "recorded" is what the log says.
                files.append(
                    {
                        "path": arc,
                        "sha256": digest,
                        "size": size,
                        "entry": e.seq,
                        "name": a.name,
                        "recorded_sha256": a.sha256,
                    }
                )
        manifest = {
            "version": MANIFEST_VERSION,
            "case_id": d.case.id,
            "generated_at": d.generated_at.isoformat(),
            "head_hash": d.verification.head_hash if d.verification else None,
            "verified": d.verification.ok if d.verification else None,
            "files": files,
            "missing": missing,
        }
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in files)
        write("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        write("SHA256SUMS", sums.encode("utf-8"))


def _copy_into(zf: zipfile.ZipFile, info: zipfile.ZipInfo, src: BinaryIO) -> tuple[str, int]:
    """Stream ``src`` into the zip as ``info``, a chunk at a time; its sha256 and size."""
    h = hashlib.sha256()
    size = 0
    # Zip64 headers only where a member needs them, so small dossiers keep their bytes.
    try:
        length = os.fstat(src.fileno()).st_size
    except OSError:  # a blob read from the database (backends/postgres.py) knows its size
        length = int(getattr(getattr(src, "raw", None), "size", zipfile.ZIP64_LIMIT))
    big = length >= zipfile.ZIP64_LIMIT
    with zf.open(info, "w", force_zip64=big) as dst:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size
