"""Evidence files a dossier shows rather than lists: screenshots and e-mails.

A screenshot is an attachment whose bytes (not its name) say PNG, JPEG, GIF or WebP;
the dossier embeds it, up to a size cap, under its name and SHA-256. SVG is never
embedded: it is a document that can carry script and links, not a picture.

An e-mail is a ``.eml`` attachment, or an attachment of an ``email`` entry that starts
like an RFC 5322 message. It is parsed with the standard library (``policy.default``,
which decodes encoded words and charsets) into its From, To, Cc, Date and Subject, its
text body — or, when it has none, its HTML body reduced to plain text — and the list of
its own attachments by name, type and size. The HTML is only ever read as text: no
markup, script, style or remote image of a message reaches the dossier.

A file whose bytes no longer hash to the recorded SHA-256 is not shown (the integrity
section names it): the picture under a hash must be the one the hash is of.
:func:`load_exhibits` is the I/O edge (it reads the blobs); the rest is pure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Literal

from .evidence import attachments_of
from .evidence_files import read_blob
from .i18n import _
from .lazylog import get_logger
from .models import EvidenceEntry

if TYPE_CHECKING:
    from .evidence_files import Attachments

__all__ = [
    "IMAGE_LIMIT",
    "IMAGE_TOTAL_LIMIT",
    "MAIL_BODY_LIMIT",
    "MAIL_LIMIT",
    "Exhibit",
    "Mail",
    "MailPart",
    "html_text",
    "image_type",
    "load_exhibits",
    "looks_like_mail",
    "read_mail",
]

log = get_logger(__name__)

# Base64 adds a third: a 4 MiB screenshot is 5.3 MB of HTML. Phone screenshots are well under it.
IMAGE_LIMIT = 4 * 1024 * 1024
# All embedded images of one dossier together, so a case with a hundred photos still opens.
IMAGE_TOTAL_LIMIT = 24 * 1024 * 1024
MAIL_LIMIT = 20 * 1024 * 1024  # an .eml larger than this is listed, not parsed
MAIL_BODY_LIMIT = 20_000  # characters of body shown; the whole message is in the zip
_MAIL_PARTS_LIMIT = 200
_HEAD = 1024  # bytes read to tell a file's type

_HEADERS = ("From", "To", "Cc", "Date", "Subject")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:[ \t]")
_FROM_LINE = re.compile(rb"(?im)^from:[ \t]")


@dataclass(frozen=True, slots=True)
class MailPart:
    """One attachment inside an e-mail."""

    name: str
    content_type: str
    size: int | None  # decoded bytes; None when the part cannot be decoded


@dataclass(frozen=True, slots=True)
class Mail:
    """What a dossier shows of an e-mail."""

    headers: tuple[tuple[str, str], ...]
    body: str
    body_from: Literal["text", "html", "none"]
    truncated: bool = False
    attachments: tuple[MailPart, ...] = ()
    more_attachments: int = 0  # parts past the listing limit


@dataclass(frozen=True, slots=True)
class Exhibit:
    """A screenshot or an e-mail from the evidence log, with what to show of it."""

    entry: int
    name: str
    sha256: str
    size: int
    kind: Literal["image", "email"]
    media_type: str | None = None  # image/png, … for an image
    data: bytes | None = None  # the image's bytes when it is embedded
    mail: Mail | None = None
    note: str | None = None  # why it is not shown, when it is not


def image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG, GIF or WebP image by its magic bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def looks_like_mail(head: bytes) -> bool:
    """True when ``head`` (the start of a file) reads as an RFC 5322 header block with a From."""
    return bool(_HEADER_LINE.match(head)) and bool(_FROM_LINE.search(head))


class _TextOnly(HTMLParser):
    """The text of an HTML document, with line breaks where its blocks end. Nothing is fetched or run."""

    _SKIP = frozenset({"head", "script", "style", "template", "noscript", "title", "svg", "math"})
    _BLOCK = frozenset(
        {"p", "div", "li", "tr", "table", "blockquote", "pre", "hr", "ul", "ol", "dl", "dt", "dd", "section",
         "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "center", "address"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in self._BLOCK:
            self.out.append("\n- " if tag == "li" else "\n")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK and tag != "li":  # the next item's "- " starts its line
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            # HTML collapses white space inside text; the blocks above decide the line breaks.
            self.out.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_text(markup: str) -> str:
    """Plain text of an HTML body: the words, in order, one block per line."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _text_of(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset: show the bytes as UTF-8 rather than nothing.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _leaves(part: Message) -> Iterator[Message]:
    # A forwarded message is one attachment, not a tree of them.
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for sub in part.get_payload():
        if isinstance(sub, Message):
            yield from _leaves(sub)


def _size(part: Message) -> int | None:
    try:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return len(payload)
        return len(part.as_bytes())
    except Exception:  # an undecodable part is listed without a size, not fatal
        return None


def _attachments(msg: EmailMessage, body: Message | None) -> tuple[list[MailPart], int]:
    parts: list[MailPart] = []
    more = 0
    for part in _leaves(msg):
        if part is body or part is msg:
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        # The other half of a text/HTML pair is the same message, not an attachment.
        if name is None and disposition != "attachment" and content_type in ("text/plain", "text/html"):
            continue
        if len(parts) >= _MAIL_PARTS_LIMIT:
            more += 1
            continue
        parts.append(MailPart(str(name) if name else "(no name)", content_type, _size(part)))
    return parts, more


def read_mail(data: bytes, *, body_limit: int = MAIL_BODY_LIMIT) -> Mail:
    """What a dossier shows of the RFC 5322 message ``data``."""
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)  # policy.default builds EmailMessage
    headers = []
    for name in _HEADERS:
        value = msg.get(name)
        if value is not None:
            # Decoded (RFC 2047) and unfolded; a control character cannot reach the page.
            text = "".join(ch if ch.isprintable() else " " for ch in str(value)).strip()
            headers.append((name, text))
    body_from: Literal["text", "html", "none"] = "none"
    body_part = msg.get_body(preferencelist=("plain",))
    body = ""
    if body_part is not None:
        body, body_from = _text_of(body_part), "text"
    else:
        body_part = msg.get_body(preferencelist=("html",))
        if body_part is not None:
            body, body_from = html_text(_text_of(body_part)), "html"
    body = body.replace("\r\n", "\n").strip("\n")
    truncated = len(body) > body_limit
    if truncated:
        body = body[:body_limit]
    parts, more = _attachments(msg, body_part)
    return Mail(tuple(headers), body, body_from, truncated, tuple(parts), more)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else _("%(size)s bytes", size=f"{n:,}")


def load_exhibits(entries: Sequence[EvidenceEntry], data_dir: Attachments) -> tuple[Exhibit, ...]:
    """The screenshots and e-mails among the entries' files, read from the attachments directory.

    A file that is missing, unreadable or tampered with is left out here: the integrity
    section of the dossier already says what is wrong with it.
    """
    out: list[Exhibit] = []
    embedded = 0
    for e in entries:
        for a in attachments_of(e):
            try:
                head = read_blob(data_dir, a.sha256, limit=_HEAD)
            except OSError:
                continue
            media = image_type(head)
            is_mail = media is None and (
                a.name.lower().endswith(".eml") or (e.kind == "email" and looks_like_mail(head))
            )
            if media is None and not is_mail:
                continue
            kind: Literal["image", "email"] = "image" if media else "email"
            base = Exhibit(e.seq, a.name, a.sha256, a.size, kind, media_type=media)
            limit = IMAGE_LIMIT if media else MAIL_LIMIT
            if a.size > limit:
                values = {"size": f"{a.size:,}", "limit": _mb(limit)}
                if media:
                    note = _("not embedded: %(size)s bytes, over the %(limit)s limit", **values)
                else:
                    note = _("not rendered: %(size)s bytes, over the %(limit)s limit", **values)
                out.append(replace(base, note=note))
                continue
            if media and embedded + a.size > IMAGE_TOTAL_LIMIT:
                note = _("not embedded: the images reach %(limit)s", limit=_mb(IMAGE_TOTAL_LIMIT))
                out.append(replace(base, note=note))
                continue
            try:
                data = read_blob(data_dir, a.sha256)
            except OSError:
                continue
            if hashlib.sha256(data).hexdigest() != a.sha256:
                out.append(
                    replace(base, note=_("not shown: the file no longer matches its recorded SHA-256"))
                )
                continue
            if media:
                embedded += len(data)
                out.append(replace(base, data=data))
                continue
            try:
                mail = read_mail(data)
            except Exception as exc:  # the stdlib parser has raised assorted types on hostile input
                log.debug("cannot parse %s as e-mail: %r", a.name, exc)
                out.append(replace(base, note=_("not readable as an e-mail; the file is in the dossier zip")))
                continue
            out.append(replace(base, mail=mail))
    return tuple(out)
