"""Case ids: how a new one is made, how one is typed, and the error for an id no case has.

Which case a typed id or prefix names is the store's question (``Store.resolve_id``): it
asks the database.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .errors import NotFound
from .i18n import _, pgettext

__all__ = [
    "CASE_ID_ALPHABET",
    "CASE_ID_LENGTH",
    "ID_RETRIES",
    "MIN_ID_PREFIX",
    "new_case_id",
    "normalize_case_id",
    "not_found",
]

# Case ids are 6 random characters from an alphabet without look-alikes (no 0/o, 1/l/i):
# short enough to type from a phone screen, random so that two processes adding cases
# at once never race for the same id (a counter would need the write lock first), and
# 31**6 ≈ 887 million of them makes a collision rare enough to just retry.
CASE_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CASE_ID_LENGTH = 6
ID_RETRIES = 20  # fresh ids tried before giving up (a collision is a one in 887 million event)
# The shortest prefix that stands for an id: one or two characters match some case in most
# stores, and `delete k --yes` acting on whichever that is would be a trap.
MIN_ID_PREFIX = 3


def new_case_id() -> str:
    # The operating system's random bytes, as secrets.choice draws them, without importing
    # secrets (hmac, hashlib, OpenSSL: ~4 ms of `reminder add`) or random (~1 ms). A byte
    # counts only below the largest multiple of the alphabet's size, so every letter is
    # equally likely.
    size = len(CASE_ID_ALPHABET)
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < CASE_ID_LENGTH:
        out += [CASE_ID_ALPHABET[b % size] for b in os.urandom(CASE_ID_LENGTH) if b < limit]
    return "".join(out[:CASE_ID_LENGTH])


def normalize_case_id(case_id: str) -> str:
    """Ids are case-insensitive and forgiving of surrounding blanks."""
    return case_id.strip().lower()


def not_found(case_id: str, close: Sequence[str] = ()) -> NotFound:
    """The error for an id no case has, naming up to three ``close`` ids it may have meant."""
    if close:
        return NotFound(
            _(
                "no case with id %(id)s; did you mean %(guesses)s? "
                "(see 'reminder list --status all' for the ids)",
                id=repr(case_id),
                guesses=pgettext("alternatives", " or ").join(close),
            )
        )
    return NotFound(
        _("no case with id %(id)s (see 'reminder list --status all' for the ids)", id=repr(case_id))
    )
