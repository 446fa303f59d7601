"""The command line's own words ("Usage:", "Missing option") in the user's language.

They are English in the code, in the ``{name}`` style of ``str.format`` that fills them,
and in the catalogue with the context ``cli`` (``reminder.cli_help.cli_messages`` lists
them for the extractor). English is answered without a catalogue.

The functions are ``tr``/``ntr``, not ``_``/``ngettext``: Babel's extractor would take
calls of those as reminder's messages, without the context.
"""

from __future__ import annotations

from ..i18n import SOURCE_LANGUAGE, current_language

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["CONTEXT", "joined", "ntr", "tr"]

CONTEXT = "cli"


def tr(message: str) -> str:
    """``message`` in the current language."""
    if current_language() == SOURCE_LANGUAGE:
        return message
    from ..i18n import pgettext

    return pgettext(CONTEXT, message)


def ntr(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the current language (not filled)."""
    if current_language() == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    from ..i18n import translation

    # Not i18n.npgettext, which fills %(n)d: these are filled by str.format, by the caller.
    return translation(current_language()).npgettext(CONTEXT, singular, plural, n)


def joined(items: Iterable[str]) -> str:
    """Names one after another, as the current language separates them ("'a', 'b'"; Chinese:
    "'a'、'b'")."""
    return tr(", ").join(items)
