"""Case ids: how a new one is made, how one is typed, and the error for an id no case has.

Which case a typed id or prefix names is the store's question (``Store.resolve_id``): it
asks the database.
"""

from __future__ import annotations

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
    # secrets.choice is this SystemRandom's choice; importing secrets would load hmac, hashlib
    # and OpenSSL with it (~4 ms of `reminder add`).
    from random import SystemRandom

    choice = SystemRandom().choice
    return "".join(choice(CASE_ID_ALPHABET) for _ in range(CASE_ID_LENGTH))


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
