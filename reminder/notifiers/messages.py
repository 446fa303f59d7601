"""Message helpers shared by the notifiers: the test message, HTML from plain text, flat fields.

The lead's plan renders each reminder's text; notifiers only adapt it to their
channel. What lives here is channel-neutral.
"""

from __future__ import annotations

import html
from datetime import datetime

from ..i18n import _, current_language
from ..models import Message

__all__ = ["html_from_text", "message_fields", "render_test_message"]


def render_test_message(now: datetime) -> Message:
    """The message ``reminder notify test`` sends, in the current language; its key is unique
    per second."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    stamp = now.strftime("%Y%m%dT%H%M%S%z")
    text = _(
        "This is a test from reminder.\n"
        "\n"
        "Sent at %(at)s.\n"
        "If you can read this, reminders for your cases will reach you here.",
        at=now.isoformat(timespec="seconds"),
    )
    return Message(
        key=f"test:{stamp}",
        case_id="test",
        kind="test",
        subject=_("reminder: test notification"),
        text=text,
        urgency="normal",
        data={"test": True, "sent_at": now.isoformat(timespec="seconds")},
        language=current_language(),
    )


def html_from_text(text: str, *, title: str | None = None) -> str:
    """A minimal HTML document for a plain-text body: escaped, paragraphs kept, lines broken."""
    # Escaped whole, in one pass of C, rather than line by line: escaping adds no line breaks.
    paragraphs = [p for p in html.escape(text.replace("\r\n", "\n")).split("\n\n") if p.strip()]
    body = "\n".join("<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    head = f"<title>{html.escape(title)}</title>" if title else ""
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{head}</head>\n<body>\n{body}\n</body></html>\n'
    )


def message_fields(message: Message) -> dict[str, object]:
    """The message as a JSON-ready dict (the command notifier's stdin)."""
    return {
        "key": message.key,
        "case_id": message.case_id,
        "kind": message.kind,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "urgency": message.urgency,
        "data": dict(message.data),
    }
