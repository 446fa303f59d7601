"""What a notifier sends: :class:`Message` (``messages.py`` writes them, ``notifiers/`` send them).

Apart from ``models.py`` because only the daemon's sending and the notifiers use it: every
command imports the models, and building this frozen dataclass costs about a millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Message"]


@dataclass(frozen=True, slots=True)
class Message:
    """What a notifier sends. ``key`` is the idempotency key (email: the Message-ID)."""

    key: str
    case_id: str
    kind: str
    subject: str
    text: str
    html: str | None = None
    urgency: Literal["low", "normal", "critical"] = "normal"
    # Structured facts for machine consumers (the command notifier's JSON).
    data: Mapping[str, object] = field(default_factory=dict)
    # A few lines for a small screen (a desktop notification): what is due and how many days
    # are left, the next step, the warning. Empty: the notifier shortens ``text`` itself.
    short: str = ""
    # The language the text is written in (i18n.LANGUAGES): an e-mail says so to the mail client,
    # which then picks fonts for the script (Chinese and Japanese share code points).
    language: str = "en"
