"""A case's letter fields — ``account``, ``org_email``, ``letter_language`` — as ``add`` and
``edit`` take them (``--account``, ``--org-email``, ``--lang``), checked.

Apart from ``letters.py`` (which builds a letter's facts and re-exports these names) so that
adding or editing a case does not import the letters' classes (~5 ms).
"""

from __future__ import annotations

from .errors import InputError
from .i18n import KNOWN_LANGUAGES, _, language_error, normalise_language

__all__ = ["LETTER_FIELDS", "letter_fields", "letter_language"]

# The case's own letter fields (add/edit --account, --org-email, --lang).
LETTER_FIELDS = ("account", "org_email", "letter_language")


def letter_language(value: str) -> str:
    """A language letters are written in (``en``, ``ar``, ``zh_CN``, any spelling), canonical; else
    InputError."""
    found = normalise_language(value, KNOWN_LANGUAGES)
    if found is None:
        raise InputError(language_error(value, KNOWN_LANGUAGES))
    return found


def letter_fields(**given: str | None) -> dict[str, str | None]:
    """``account``, ``org_email`` and ``letter_language`` as given to add/edit, checked: blanks
    stripped, "" → None (edit clears a field), the address and the language validated."""
    out: dict[str, str | None] = {}
    for name, value in given.items():
        if name not in LETTER_FIELDS:
            raise TypeError(f"not a letter field: {name}")
        text = value.strip() if isinstance(value, str) else None
        if not text:
            out[name] = None
        elif name == "org_email":
            from .addresses import check_email_address  # email.utils: only for an address

            try:
                out[name] = check_email_address(text)
            except ValueError as exc:
                raise InputError(_("--org-email: %(problem)s", problem=exc)) from None
        elif name == "letter_language":
            out[name] = letter_language(text)
        else:
            out[name] = text
    return out
