"""Letters written out: the rendered body as text, Markdown, HTML, an e-mail or PDF.

A template writes a letter's prose once, as a small HTML body (``letter_template.py``).
That body is the neutral structure: :func:`to_html` wraps it in a document (``lang`` and
``dir="rtl"`` for Arabic), :func:`to_text` and :func:`to_markdown` read it back with the
standard library's HTML parser and lay it out as plain text or Markdown, so no language
needs three copies of its prose. :func:`to_email` builds the RFC 5322 message (the text
with the HTML as its alternative), and PDF goes through ``reminder.pdf``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from .pdf import font_stack

if TYPE_CHECKING:
    from .letter_template import Rendered

__all__ = [
    "FORMATS",
    "EmailAttachment",
    "to_email",
    "to_html",
    "to_markdown",
    "to_pdf",
    "to_text",
]

FORMATS = ("txt", "md", "html", "eml", "pdf")
# 7bit: the text parts go out base64 or quoted-printable, readable by any server and client.
EMAIL_POLICY = SMTP.clone(cte_type="7bit")


def _bcp47(lang: str) -> str:
    return lang.replace("_", "-")


# --- the body read back: blocks of text ---------------------------------------------------------------


@dataclass
class _Inline:
    """Text being collected for one block, in plain and in Markdown at once."""

    plain: list[str] = field(default_factory=list)
    md: list[str] = field(default_factory=list)
    space: bool = False  # whitespace seen and not yet written
    newline: bool = False  # ... and it held a line break
    mono: bool = False
    header: bool = False

    def text(self, data: str) -> None:
        if not data:
            return
        lead, body, trail = data[: len(data) - len(data.lstrip())], data.strip(), data[len(data.rstrip()) :]
        if lead:
            self.space = True
            self.newline = self.newline or "\n" in lead
        if body:
            words = _join(body)
            previous = self.plain[-1][-1:] if self.plain else ""
            cjk_break = self.newline and _wide(previous or " ") and _wide(words[0])
            if self.space and previous not in ("", "\n") and not cjk_break:
                # A line break in the template between two Chinese characters is no space.
                self.plain.append(" ")
                self.md.append(" ")
            self.plain.append(words)
            self.md.append(_md_escape(words))
            self.space = self.newline = False
        if trail:
            self.space = True
            self.newline = "\n" in trail

    def raw_md(self, mark: str) -> None:
        if self.space and self.plain and not self.plain[-1].endswith("\n") and mark in ("**", "_", "`", "["):
            # "word **bold**": the space belongs before the opening mark.
            self.plain.append(" ")
            self.md.append(" ")
            self.space = False
        self.md.append(mark)

    def br(self) -> None:
        self.plain.append("\n")
        self.md.append("\\\n")
        self.space = False

    def result(self) -> tuple[str, str]:
        plain = "\n".join(line.strip() for line in "".join(self.plain).split("\n")).strip()
        md = "\n".join(line.strip() for line in "".join(self.md).split("\n")).strip()
        return plain, md.removesuffix("\\")


@dataclass
class _Block:
    kind: str  # "p", "h1".."h4", "ul", "ol", "table", "hr"
    plain: str = ""
    md: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[_Inline]] = field(default_factory=list)


_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "address", "blockquote", "pre"}
_CONTAINERS = {"div", "section", "article", "header", "footer", "main", "body", "html", "aside", "nav"}
_SKIP = {"style", "script", "head", "title"}
_EMPHASIS = {"strong": "**", "b": "**", "em": "_", "i": "_", "code": "`"}


class _BodyReader(HTMLParser):
    """The letter body as blocks (see _Block); unknown inline tags are read through."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.inline: _Inline | None = None
        self.inline_kind = "p"
        self.lists: list[_Block] = []
        self.table: _Block | None = None
        self.row: list[_Inline] | None = None
        self.skip = 0
        self.links: list[str | None] = []

    # blocks

    def _flush(self) -> None:
        if self.inline is None:
            return
        plain, md = self.inline.result()
        inline, kind = self.inline, self.inline_kind
        self.inline = None
        if kind == "li" and self.lists:
            self.lists[-1].items.append((plain, md))
        elif kind in ("td", "th") and self.row is not None:
            self.row.append(inline)
        elif plain:
            self.blocks.append(_Block("p" if kind in ("address", "blockquote", "pre") else kind, plain, md))

    def _start(self, kind: str, *, mono: bool = False) -> None:
        self._flush()
        self.inline = _Inline(mono=mono, header=kind == "th")
        self.inline_kind = kind

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag in _PARAGRAPHS:
            self._start(tag)
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append(_Block(tag))
        elif tag == "li":
            self._start("li")
        elif tag == "table":
            self._flush()
            self.table = _Block("table")
        elif tag == "tr":
            self._flush()
            self.row = []
        elif tag in ("td", "th"):
            self._start(tag, mono="mono" in classes)
        elif tag == "hr":
            self._flush()
            self.blocks.append(_Block("hr"))
        elif tag == "br":
            if self.inline is None:
                self._start("p")
            assert self.inline is not None
            self.inline.br()
        elif tag in _CONTAINERS:
            self._flush()
        elif tag in _EMPHASIS:
            if self.inline is None:
                self._start("p")
            assert self.inline is not None
            self.inline.raw_md(_EMPHASIS[tag])
        elif tag == "a":
            if self.inline is None:
                self._start("p")
            self.links.append(dict(attrs).get("href"))
            assert self.inline is not None
            self.inline.raw_md("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _PARAGRAPHS or tag in ("li", "td", "th") or tag in _CONTAINERS:
            self._flush()
        elif tag in ("ul", "ol") and self.lists:
            self._flush()
            block = self.lists.pop()
            if block.items:
                self.blocks.append(block)
        elif tag == "tr" and self.table is not None and self.row is not None:
            self._flush()
            if self.row:
                self.table.rows.append(self.row)
            self.row = None
        elif tag == "table" and self.table is not None:
            self._flush()
            if self.table.rows:
                self.blocks.append(self.table)
            self.table = None
        elif tag in _EMPHASIS and self.inline is not None:
            self.inline.md.append(_EMPHASIS[tag])
        elif tag == "a" and self.inline is not None:
            href = self.links.pop() if self.links else None
            shown = "".join(self.inline.plain)
            self.inline.md.append(f"]({href})" if href else "]")
            if href and not shown.endswith(href) and not href.startswith("mailto:"):
                self.inline.plain.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.inline is None:
            if not data.strip():
                return
            self._start("p")
        assert self.inline is not None
        self.inline.text(data)

    def close(self) -> None:
        super().close()
        self._flush()
        while self.lists:
            block = self.lists.pop()
            if block.items:
                self.blocks.append(block)


def _blocks(body: str) -> list[_Block]:
    reader = _BodyReader()
    reader.feed(body)
    reader.close()
    return reader.blocks


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _join(text: str) -> str:
    """Whitespace collapsed to one space, as HTML does — except a line break between two Chinese
    characters, which is no space at all (a template's line break inside a sentence)."""
    parts = re.split(r"(\s+)", text)
    out = parts[0]
    for gap, word in zip(parts[1::2], parts[2::2], strict=True):
        joined = "\n" in gap and bool(out) and bool(word) and _wide(out[-1]) and _wide(word[0])
        out += word if joined else " " + word
    return out


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    return sum(2 if _wide(ch) else 1 for ch in text)


def _cells(row: Sequence[_Inline]) -> list[tuple[str, str]]:
    return [c.result() for c in row]


def to_text(rendered: Rendered) -> str:
    """The letter as plain text (UTF-8 text for a terminal, a file or an e-mail's text part)."""
    out: list[str] = []
    for b in _blocks(rendered.body):
        if b.kind in ("h1", "h2"):
            out.append(f"{b.plain}\n{('=' if b.kind == 'h1' else '-') * max(3, _width(b.plain))}")
        elif b.kind in ("h3", "h4", "p"):
            out.append(b.plain)
        elif b.kind in ("ul", "ol"):
            out.append(
                "\n".join(
                    (f"{i}. " if b.kind == "ol" else "- ") + plain.replace("\n", "\n   ")
                    for i, (plain, _md) in enumerate(b.items, start=1)
                )
            )
        elif b.kind == "hr":
            out.append("-" * 20)
        elif b.kind == "table":
            out.append(_text_table(b.rows, colon="：" if rendered.lang == "zh_CN" else ": "))
    return "\n\n".join(out).rstrip() + "\n"


def _text_table(rows: list[list[_Inline]], colon: str = ": ") -> str:
    header = [c.result()[0] for c in rows[0]] if rows and all(c.header for c in rows[0]) else None
    body = rows[1:] if header is not None else rows
    lines: list[str] = []
    if header is None and all(len(r) == 2 for r in body):
        # A form: "Label: value", values lined up after the longest label.
        labels = [r[0].result()[0] for r in body]
        pad = max((_width(label) for label in labels), default=0)
        for label, row in zip(labels, body, strict=True):
            value = row[1].result()[0].replace("\n", "\n" + " " * (pad + _width(colon)))
            lines.append(f"{label}{colon}{' ' * (pad - _width(label))}{value}")
        return "\n".join(lines)
    for row in body:
        cells = [c.result()[0] for c in row]
        if header is None:
            lines.append(" | ".join(cells))
            continue
        lines.append("- " + cells[0])
        for name, value in zip(header[1:], cells[1:], strict=False):
            if value:
                lines.append(f"  {name}{colon}{value}".replace("\n", "\n    "))
    return "\n".join(lines)


def to_markdown(rendered: Rendered) -> str:
    """The letter as Markdown (user text escaped; hashes in code spans)."""
    out: list[str] = []
    for b in _blocks(rendered.body):
        if b.kind.startswith("h"):
            out.append("#" * int(b.kind[1]) + " " + b.md.replace("\\\n", " "))
        elif b.kind == "p":
            out.append(b.md)
        elif b.kind in ("ul", "ol"):
            out.append(
                "\n".join(
                    (f"{i}. " if b.kind == "ol" else "- ") + md.replace("\\\n", "<br>")
                    for i, (_plain, md) in enumerate(b.items, start=1)
                )
            )
        elif b.kind == "hr":
            out.append("---")
        elif b.kind == "table":
            out.append(_md_table(b.rows))
    return "\n\n".join(out).rstrip() + "\n"


def _md_cell(cell: _Inline) -> str:
    plain, md = cell.result()
    if cell.mono and plain:
        return f"`{plain}`"
    return md.replace("\\\n", "<br>") or " "


def _md_table(rows: list[list[_Inline]]) -> str:
    width = max(len(r) for r in rows)
    if all(c.header for c in rows[0]):
        header, body = [_md_cell(c) for c in rows[0]], rows[1:]
    else:
        header, body = [" "] * width, rows
    header += [" "] * (width - len(header))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    for row in body:
        cells = [_md_cell(c) for c in row] + [" "] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- HTML, e-mail, PDF --------------------------------------------------------------------------------

# The font stack is the PDF renderer's (pdf.font_stack): it covers Latin, Chinese and Arabic, ordered
# for the letter's language; page size and numbers come from its page stylesheet.
# A table's last two columns hold what was typed or received (a value, a record's summary; the
# hash is .mono): a token there with nothing to break at (a Message-ID, an address) breaks
# anywhere, else the table grew past the page and the PDF cut it. The labels, numbers, dates and
# kinds before them keep their words whole: broken anywhere, the long text squeezed them to a letter.
_CSS = """
body{font:15px/1.55 %(fonts)s;color:#1b1b1b;max-width:46rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.35rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:start;vertical-align:top}th{background:#f3f3f3}
td{overflow-wrap:anywhere}td:first-child,td:nth-last-child(n+3){overflow-wrap:normal}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.8em;word-break:break-all}
.blank{background:#fff1a8;padding:0 .15em}
.signature,.date{margin-top:1.5rem}
@media print{body{margin:0;max-width:none;font-size:11pt}tr,h2{break-inside:avoid}h2{break-after:avoid}}
""".strip()


def to_html(rendered: Rendered) -> str:
    """The letter as one self-contained HTML document, in the recipient's language and direction."""
    lang = _bcp47(rendered.lang)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}" dir="{rendered.dir}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(rendered.subject)}</title>\n"
        f"<style>{_CSS % {'fonts': font_stack(rendered.lang)}}</style>\n"
        "</head>\n"
        "<body>\n"
        f'<article class="letter" lang="{lang}" dir="{rendered.dir}">\n'
        f"{rendered.body}"
        "</article>\n"
        "</body>\n"
        "</html>\n"
    )


def to_pdf(rendered: Rendered) -> bytes:
    """The letter as PDF, through ``reminder.pdf`` (WeasyPrint, an optional extra: ConfigError with
    what to install when it is missing)."""
    from .pdf import html_to_pdf

    return html_to_pdf(to_html(rendered), lang=rendered.lang, base_url=None)


@dataclass(frozen=True, slots=True)
class EmailAttachment:
    filename: str
    data: bytes
    mime: str  # "text/html", "application/zip", …


def _domain(address: str | None) -> str:
    domain = address.rpartition("@")[2] if address else ""
    # A Message-ID's right side: the sender's domain where it is a plain one.
    return domain if domain.isascii() and re.fullmatch(r"[A-Za-z0-9.-]+", domain or "-") else "reminder"


def to_email(
    rendered: Rendered,
    *,
    sender_name: str | None,
    sender: str | None,
    recipient_name: str,
    recipient: str | None,
    now: datetime,
    case_id: str,
    to: str,
    attachments: Sequence[EmailAttachment] = (),
    draft: bool = True,
) -> EmailMessage:
    """The letter as an RFC 5322 message: From ``[me]``, To the recipient (left out when its
    address is unknown), the subject, a Date and a fresh Message-ID, the text with the HTML
    document as its alternative, and ``attachments``. ``draft``: marked ``X-Unsent: 1``, so a
    mail client opens the .eml as a draft to send, not as a received message."""
    msg = EmailMessage(policy=EMAIL_POLICY)
    if sender:
        msg["From"] = Address(display_name=sender_name or "", addr_spec=sender)
    if recipient:
        msg["To"] = Address(display_name=recipient_name, addr_spec=recipient)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=f"letter.{case_id}.{to}", domain=_domain(sender))
    msg["X-Reminder-Case"] = case_id
    msg["X-Reminder-Letter"] = to
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(to_text(rendered), charset="utf-8")
    msg.add_alternative(to_html(rendered), subtype="html", charset="utf-8")
    for a in attachments:
        maintype, _, subtype = a.mime.partition("/")
        if maintype == "text":  # with its charset, so a mail client shows the dossier's Chinese or Arabic
            msg.add_attachment(a.data.decode("utf-8"), subtype=subtype, charset="utf-8", filename=a.filename)
        else:
            msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    # After the attachments: making the message multipart/mixed moves Content-* headers inward.
    msg["Content-Language"] = _bcp47(rendered.lang)
    return msg
