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
from typing import IO, Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import StoreError
from .evidence import attachments_of, corrections_of, head_witness
from .evidence_files import TamperedFile, open_blob
from .evidence_verify import VerifyReport
from .exhibits import Exhibit
from .leftovers import atomic_file, journal_dir
from .models import Case, Delivery, EvidenceEntry, Person, ReviewWindow
from .pdf import font_stack
from .presets import EscalationStep, Preset
from .terminal import escape_controls

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
    return local.strftime("%Y-%m-%d %H:%M (UTC%z)").replace("(UTC+0000)", "(UTC)")


def _day(d: date) -> str:
    return f"{d.isoformat()} ({d.strftime('%a')})"


def _case_section(d: Dossier) -> Section:
    c = d.case
    place = c.country + (f"-{c.subdivision}" if c.subdivision else "")
    me = d.complainant or Person()
    who = ", ".join(v for v in (me.name, me.email, me.phone) if v) or "— (set [me] in the config)"
    rows = [
        ("Complainant", who + (f"\n{me.address}" if me.address else "")),
        ("Account", c.account or "—"),
        ("Request", c.title),
        ("Case id", c.id),
        ("Organisation", c.organisation + (f" <{c.org_email}>" if c.org_email else "")),
        ("What was filed", c.filed or "—"),
        ("Kind", c.kind),
        ("Reference number", c.reference or "—"),
        ("Channels used", ", ".join(c.channels) or "—"),
        (
            "Submitted",
            _day(c.submitted) + (f" {c.submitted_time.strftime('%H:%M')}" if c.submitted_time else ""),
        ),
        ("Country (calendar)", f"{place}, time zone {c.timezone}"),
        ("Status", c.status + (f": {c.resolution}" if c.resolution else "")),
    ]
    if c.notes:
        rows.append(("Notes", c.notes))
    return Section("case", "Case", (Table(("Field", "Value"), tuple(rows)),))


def _window_section(d: Dossier) -> Section:
    w = d.window
    unit = "business days" if w.unit == "business" else "calendar days"
    blocks: list[Block] = [
        Para(
            f"Submitted on {_day(w.submitted)} (day 0, not counted). The decision may come from "
            f"{_day(w.opens)} (day {w.min_days}) and must come by {_day(w.deadline)} (day {w.max_days}), "
            f"counting {unit} in {w.country}{'-' + w.subdivision if w.subdivision else ''}.",
            strong=True,
        )
    ]
    if w.tentative:
        because = ", ".join(f"{t.name} ({t.date.isoformat()})" for t in w.tentative_because)
        blocks.append(
            Para(
                f"Tentative: the count crosses holidays whose dates are estimated until announced: {because}."
            )
        )
    if w.warnings:
        blocks.append(Bullets(tuple(w.warnings)))
    if w.days:
        rows = []
        for info in w.days:
            mark = ""
            if info.date == w.opens:
                mark = "window opens"
            if info.date == w.deadline:
                mark = "deadline"
            rows.append(
                (
                    _day(info.date),
                    str(info.count) if info.count is not None else "—",
                    (info.reason or ("counted" if info.business else "not counted"))
                    + (" (estimated date)" if info.tentative else ""),
                    mark,
                )
            )
        blocks.append(Para("Day by day:"))
        blocks.append(Table(("Date", "Day no.", "Why", "Milestone"), tuple(rows)))
    return Section("window", "Review window", tuple(blocks))


def _escalation_section(d: Dossier) -> Section:
    zone = _zone(d.case)
    today = d.generated_at.astimezone(zone).date()
    if d.preset is None:
        return Section("escalation", "Escalation", (Para("No escalation preset was chosen for this case."),))
    p = d.preset
    blocks: list[Block] = [Para(f"Preset: {p.name}" + (f" — {p.title}" if p.title else ""))]
    if d.current is not None:
        blocks.append(Para(f"Applies now (as of {today.isoformat()}): {d.current.step}", strong=True))
    elif d.steps:
        first = min(d.steps)
        blocks.append(
            Para(
                f"Nothing applies yet (as of {today.isoformat()}); the first step is due on "
                f"{first.due.isoformat()}.",
                strong=True,
            )
        )
    if d.steps:
        blocks.append(
            Table(
                ("Due", "When", "Step", "Status"),
                tuple(
                    (
                        _day(s.due),
                        s.after,
                        s.step,
                        "now" if s == d.current else ("done" if s.due <= today else ""),
                    )
                    for s in d.steps
                ),
            )
        )
    if p.source:
        blocks.append(Para(f"Source: {p.source}"))
    return Section("escalation", "Escalation", tuple(blocks))


def _timeline_section(d: Dossier) -> Section:
    zone = _zone(d.case)
    fixes = corrections_of(d.entries)
    items: list[tuple[datetime, int, tuple[str, str, str]]] = []
    for e in d.entries:
        notes = []
        if e.corrects is not None:
            notes.append(f"corrects #{e.corrects}")
        if e.seq in fixes:
            notes.append("corrected by " + ", ".join(f"#{n}" for n in fixes[e.seq]))
        files = [a.name for a in attachments_of(e)]
        if files:
            notes.append("files: " + ", ".join(files))
        detail = e.summary + (f" ({'; '.join(notes)})" if notes else "")
        items.append((e.at, 0, (_when(e.at, zone), f"Evidence #{e.seq}: {e.kind}", detail)))
    for r in d.deliveries:
        if r.status != "sent" or r.sent_at is None:
            continue
        items.append(
            (
                r.sent_at,
                1,
                (_when(r.sent_at, zone), f"Reminder sent: {r.kind.replace('_', ' ')}", f"via {r.notifier}"),
            )
        )
    items.sort(key=lambda t: (t[0], t[1]))
    if not items:
        return Section("timeline", "Timeline", (Para("No evidence recorded and no reminder sent yet."),))
    n_sent = sum(1 for t in items if t[1] == 1)
    summary = Para(
        f"{len(d.entries)} evidence entr{'y' if len(d.entries) == 1 else 'ies'}, "
        f"{n_sent} reminder{'' if n_sent == 1 else 's'} sent. Times in {d.case.timezone}."
    )
    return Section(
        "timeline", "Timeline", (summary, Table(("When", "What", "Details"), tuple(t[2] for t in items)))
    )


def _attachments_section(d: Dossier) -> Section:
    rows = [
        (f"#{e.seq}", a.name, f"{a.size:,} bytes", a.sha256) for e in d.entries for a in attachments_of(e)
    ]
    if not rows:
        return Section("attachments", "Attachments", (Para("No files attached."),))
    return Section(
        "attachments",
        "Attachments",
        (
            Para(
                (
                    "SHA-256 of each file as recorded when it was attached; check one with ",
                    Code("sha256sum FILE"),
                    ".",
                )
            ),
            Table(("Entry", "File", "Size", "SHA-256"), tuple(rows), mono=frozenset({3})),
        ),
    )


def _exhibit_blocks(x: Exhibit) -> list[Block]:
    blocks: list[Block] = [
        Para(f"Evidence #{x.entry}: {x.name} ({x.size:,} bytes, SHA-256 {x.sha256})", strong=True)
    ]
    if x.note is not None:
        blocks.append(Para(x.note))
    elif x.data is not None and x.media_type is not None:
        blocks.append(Figure(x.media_type, x.data, f"{x.name} · SHA-256 {x.sha256}"))
    elif x.mail is not None:
        m = x.mail
        blocks.append(Table(("Header", "Value"), m.headers or (("Headers", "none"),)))
        if m.body_from == "html":
            blocks.append(
                Para("It has no plain-text part: its HTML part as plain text (the HTML is not shown).")
            )
        if m.body:
            blocks.append(Pre(m.body))
        else:
            blocks.append(Para("The message has no text body."))
        if m.truncated:
            blocks.append(Para("The body is cut here; the whole message is the attached file."))
        if m.attachments:
            rows = tuple(
                (p.name, p.content_type, f"{p.size:,} bytes" if p.size is not None else "unknown size")
                for p in m.attachments
            )
            blocks.append(Para(f"Files attached to this e-mail: {len(m.attachments) + m.more_attachments}"))
            blocks.append(Table(("File", "Type", "Size"), rows))
            if m.more_attachments:
                blocks.append(Para(f"… and {m.more_attachments} more, not listed."))
        else:
            blocks.append(Para("No files are attached to this e-mail."))
    return blocks


def _exhibits_section(d: Dossier) -> Section:
    title = "Screenshots and e-mails"
    if not d.exhibits:
        return Section("exhibits", title, (Para("No screenshots or e-mails among the files."),))
    blocks: list[Block] = [
        Para("Screenshots as recorded, under their SHA-256; e-mails as their headers, text and files.")
    ]
    for x in d.exhibits:
        blocks.extend(_exhibit_blocks(x))
    return Section("exhibits", title, tuple(blocks))


def _integrity_section(d: Dossier) -> Section:
    v = d.verification
    if v is None:
        return Section(
            "integrity", "Integrity", (Para("The evidence log was not checked for this dossier."),)
        )
    blocks: list[Block] = []
    if v.ok:
        blocks.append(
            Para(f"Verified: {v.entries} entries and {v.attachments} files are intact.", strong=True)
        )
    else:
        blocks.append(Para("The evidence log does NOT verify:", strong=True))
        blocks.append(Bullets(tuple(str(p) for p in v.problems)))
    if v.head_hash:
        # A witness: whoever keeps this dossier can later show that the log still reaches this entry.
        blocks.append(Para(f"Head: entry {v.head_seq}, {v.head_hash}"))
        blocks.append(Para(head_witness(d.case.id, v.head_seq, v.head_hash)))
    blocks.append(
        Para(
            (
                "Each entry's hash covers its content, its files' hashes and the previous entry's hash; "
                "re-check with ",
                Code(f"reminder evidence verify {d.case.id}"),
                ".",
            )
        )
    )
    return Section("integrity", "Integrity", tuple(blocks))


def _sources_section(d: Dossier) -> Section:
    w = d.window
    items = [f"Holiday data: {w.holidays_version or 'unknown'}"]
    if w.overrides:
        items.extend(f"Override used: {o}" for o in w.overrides)
    else:
        items.append("No local holiday overrides were used.")
    items.extend(
        f"Office closure: {c.label} ({c.start.isoformat()} to {c.end.isoformat()})" for c in d.case.closures
    )
    items.append(f"Generated by reminder on {_when(d.generated_at, _zone(d.case))}.")
    return Section("sources", "Where the dates come from", (Bullets(tuple(items)),))


def build_sections(d: Dossier) -> list[Section]:
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
    return f"Dossier: {d.case.title} — {d.case.organisation}"


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
    lines = [f"# {_md(_title(d))}", ""]
    for s in build_sections(d):
        lines += [f"## {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                lines += [f"**{_md_para(b.text)}**" if b.strong else _md_para(b.text), ""]
            elif isinstance(b, Bullets):
                lines += [f"- {_md(i)}" for i in b.items] + [""]
            elif isinstance(b, Figure):
                lines += [f"*{_md('Image (shown in the HTML and PDF dossier): ' + b.caption)}*", ""]
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
text-align:left;vertical-align:top}th{background:#f3f3f3}
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
""".strip().replace("@FONTS@", font_stack("en"))


def _h(text: str) -> str:
    shown = escape_controls(text.replace("\r\n", "\n"), multiline=True)  # as in Markdown
    return html.escape(shown, quote=True).replace("\n", "<br>")


def _h_para(text: str | tuple[str | Code, ...]) -> str:
    parts = (text,) if isinstance(text, str) else text
    return "".join(f"<code>{_h(p.text)}</code>" if isinstance(p, Code) else _h(p) for p in parts)


def render_html(d: Dossier) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(_title(d))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(_title(d))}</h1>",
        f'<p class="meta">Case {_h(d.case.id)} · generated {_h(_when(d.generated_at, _zone(d.case)))}</p>',
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
                        f'<td class="mono">{_h(c)}</td>' if i in b.mono else f"<td>{_h(c)}</td>"
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


def zip_bytes(d: Dossier, data_dir: Path) -> bytes:
    """The dossier as a zip in memory (:func:`write_zip` writes the same bytes to a file)."""
    buf = io.BytesIO()
    _write_zip(d, data_dir, buf)
    return buf.getvalue()


def write_zip(d: Dossier, data_dir: Path, path: Path) -> None:
    """Write the dossier's zip to ``path`` atomically, the attachments streamed a chunk at a time.

    dossier.md, dossier.html, attachments/, manifest.json and SHA256SUMS. Memory stays flat
    whatever the attachments weigh. The temporary file is journalled under ``data_dir``, so
    a crash mid-write leaves nothing the daemon's sweep cannot find (leftovers.py). A
    symlink is written through, as by ``ics.write_bytes_atomic``.
    """
    from .outfile import follow_links

    path = follow_links(path)
    try:
        with atomic_file(path, journal=journal_dir(data_dir)) as fh:
            _write_zip(d, data_dir, fh)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_zip(d: Dossier, data_dir: Path, out: IO[bytes]) -> None:
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
    big = os.fstat(src.fileno()).st_size >= zipfile.ZIP64_LIMIT
    with zf.open(info, "w", force_zip64=big) as dst:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size
