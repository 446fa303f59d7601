"""A reminder as the e-mail the ``email`` notifier sends: headers, plain text and HTML, as bytes.

Each message is plain text with an HTML alternative, and carries a Message-ID derived from the
reminder's key and the notifier's label (:func:`message_id`), so a resend of the same reminder
by the same notifier carries the same Message-ID and mail clients can recognise it, while two
e-mail notifiers sending one reminder (a main and a fallback mailbox, which may end up in one
inbox) send two messages a mail client keeps apart; ``Auto-Submitted`` keeps vacation responders
quiet, and a critical reminder is marked important. :func:`render_bytes` writes what is sent;
:func:`build_mime` builds the same e-mail with the standard library's objects, and is what
:func:`render_bytes` falls back on for addresses that are not plain ASCII.

Nothing here opens a connection or reads the config: the notifier (``email.py``) imports this
module when it first sends, so listing or checking the notifiers never loads the e-mail package's
header machinery.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from functools import lru_cache

from ..i18n import SOURCE_LANGUAGE
from ..models import Message
from .messages import html_from_text

__all__ = ["build_mime", "message_id", "render_bytes"]


class _HeaderClasses(HeaderRegistry):
    """The standard registry, making each header class once.

    The stdlib one builds a new class on every lookup (~20 µs, and garbage for the
    cycle collector), some 40 times per e-mail: a third of the CPU of a catch-up of
    10,000 reminders. The classes, and so the messages, are the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_POLICY = SMTP_POLICY.clone(header_factory=_HeaderClasses())
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/?^_`{|}~-")
# message_id's escaping for ASCII keys (all of ours) as one str.translate: a catch-up builds 10,000.
_ESCAPE_ASCII = {c: f"={c:02X}" for c in range(128) if chr(c) not in _ATEXT}


def _atom(text: str) -> str:
    """``text`` as one RFC 5322 atom: '=' escapes every other byte (and itself), '.' included,
    so distinct texts never give one atom."""
    if text.isascii():
        atom = text.translate(_ESCAPE_ASCII)
    else:
        atom = "".join(ch if ch in _ATEXT else "".join(f"={b:02X}" for b in ch.encode()) for ch in text)
    return atom or "=00"


def message_id(key: str, notifier: str) -> str:
    """``<key.notifier@reminder>``: the reminder's key and the notifier's label, each an atom.

    Same key and notifier, same id (a retry is recognised as the message it repeats); two
    notifiers, two ids. No '.' survives in an atom, so the pair is read back unambiguously
    and distinct pairs never share an id.
    """
    return f"<{_atom(key)}.{_atom(notifier)}@reminder>"


def _language_tag(message: Message) -> str | None:
    """The message's language as a BCP 47 tag (``zh-CN``); None for English, whose e-mails
    have always gone out without one."""
    return None if message.language == SOURCE_LANGUAGE else message.language.replace("_", "-")


def _html_document(message: Message) -> str:
    tag = _language_tag(message)
    if message.html is None:
        document = html_from_text(message.text, title=message.subject)
        return document.replace("<html>", f'<html lang="{tag}">', 1) if tag else document
    if "<html" in message.html[:200].lower():
        return message.html
    # The language lets a mail client pick a font for the script: Chinese text drawn with a
    # Japanese font shows some characters in their Japanese forms.
    html_tag = f'<html lang="{tag}">' if tag else "<html>"
    head = f'<!DOCTYPE html>\n{html_tag}<head><meta charset="utf-8"></head>\n<body>\n'
    return f"{head}{message.html}\n</body></html>\n"


def _one_line(value: str) -> str:
    # A header value may not contain line breaks (a case title pasted with one, say).
    return " ".join(value.split())


def build_mime(
    message: Message, *, sender: str, recipients: Sequence[str], now: datetime, notifier: str
) -> EmailMessage:
    """The e-mail for ``message`` sent by the notifier labelled ``notifier``: plain text with an
    HTML alternative and a deterministic Message-ID."""
    mime = EmailMessage(policy=_POLICY)
    mime["Subject"] = _one_line(message.subject)
    mime["From"] = sender
    mime["To"] = ", ".join(recipients)
    mime["Date"] = format_datetime(now)
    mime["Message-ID"] = message_id(message.key, notifier)
    # RFC 3834: keeps vacation responders from answering a reminder.
    mime["Auto-Submitted"] = "auto-generated"
    mime["X-Reminder-Key"] = _one_line(message.key)
    mime["X-Reminder-Case"] = _one_line(message.case_id)
    mime["X-Reminder-Kind"] = _one_line(message.kind)
    if message.urgency == "critical":
        mime["Importance"] = "high"
        mime["X-Priority"] = "1"
    tag = _language_tag(message)
    if tag:
        mime["Content-Language"] = tag  # RFC 3282
    mime.set_content(message.text)
    mime.add_alternative(_html_document(message), subtype="html")
    return mime


def _header_text(value: str) -> str:
    """A header value on one line; RFC 2047 base64 encoded-words, folded, when it is not plain ASCII."""
    value = _one_line(value)
    if value.isascii():
        return value
    # Encoded-words of at most 45 bytes (60 base64 characters, 75 with the wrapper) that never
    # split a character, as RFC 2047 section 5 requires: each cut is moved back off UTF-8
    # continuation bytes (10xxxxxx) to the start of the character.
    data = value.encode()
    words: list[bytes] = []
    start = 0
    while start < len(data):
        end = start + 45
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        words.append(data[start:end])
        start = end
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


@lru_cache(maxsize=8)
def _date(second: datetime, _offset: timedelta | None) -> str:
    # Keyed by the offset too: datetimes at one instant in two zones are equal, their headers not.
    return format_datetime(second)


def _date_header(now: datetime) -> str:
    """``format_datetime(now)``, once per second rather than once per message of a catch-up."""
    return _date(now.replace(microsecond=0), now.utcoffset())


def _base64_body(text: str) -> str:
    # Lines of 76 characters (RFC 2045), cut from one encoding of the whole: encodebytes
    # encodes 57 bytes at a time in a loop of Python, twice as slow.
    data = base64.b64encode(text.encode()).decode("ascii")
    return "\r\n".join([data[i : i + 76] for i in range(0, len(data), 76)])


def render_bytes(
    message: Message, *, sender: str, recipients: Sequence[str], now: datetime, notifier: str
) -> bytes:
    """The same e-mail as :func:`build_mime`, written out directly.

    The standard library's e-mail objects cost ~2.5 ms to build and flatten per message, which made
    catching up 10,000 reminders take over a minute; the shape of a reminder never varies, so it is
    written here in ~0.1 ms. Addresses that are not plain ASCII go through :func:`build_mime`.
    """
    if not (sender.isascii() and all(r.isascii() for r in recipients)):
        mime = build_mime(message, sender=sender, recipients=recipients, now=now, notifier=notifier)
        return mime.as_bytes(policy=_POLICY)
    # Deterministic per message; base64 lines can never contain "=_" so it cannot clash.
    boundary = "=_reminder_" + hashlib.sha256(message.key.encode()).hexdigest()[:24]
    headers = [
        f"Subject: {_header_text(message.subject)}",
        f"From: {_one_line(sender)}",
        f"To: {_one_line(', '.join(recipients))}",
        f"Date: {_date_header(now)}",
        f"Message-ID: {message_id(message.key, notifier)}",
        "Auto-Submitted: auto-generated",
        f"X-Reminder-Key: {_header_text(message.key)}",
        f"X-Reminder-Case: {_header_text(message.case_id)}",
        f"X-Reminder-Kind: {_header_text(message.kind)}",
    ]
    if message.urgency == "critical":
        headers += ["Importance: high", "X-Priority: 1"]
    tag = _language_tag(message)
    if tag:
        headers.append(f"Content-Language: {tag}")
    headers += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
    parts = [
        ("plain", message.text),
        ("html", _html_document(message)),
    ]
    lines = [*headers, ""]
    for subtype, body in parts:
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            _base64_body(body),
        ]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("ascii")
