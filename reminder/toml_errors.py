"""tomllib's syntax errors in the reader's language.

Python's TOML parser words its errors in English ("Cannot declare ('me',) twice (at line 288,
column 4)"), and names a table by the repr of a Python tuple. A person editing the config file
in Chinese read that line as it was. :func:`toml_error` says the messages tomllib raises for a
hand-edited file in the reader's language, a table by the name written in the file (``[me]``),
with the place ("line 288, column 4", "the end of the file") after it; a message it does not
know (another Python's wording) is kept as Python says it, with its place translated still.

Loaded only when the config file does not parse (paths.py).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from .i18n import _

__all__ = ["toml_error", "toml_problem"]

_Say = Callable[[str], str]


def _key(text: str) -> str:
    """``('notifiers', 'email')`` as the file writes it: ``notifiers.email``."""
    try:
        parts = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(parts, tuple) and all(isinstance(p, str) for p in parts):
        return ".".join(parts)
    return text


def _fixed() -> dict[str, str]:
    # A Windows path in double quotes ("C:\Users\li") is where a person meets all three.
    backslash = _(
        "a backslash in a string in double quotes starts an escape: write it as \\\\, "
        "or put the string in single quotes"
    )
    return {
        "Invalid statement": _("not a line TOML reads: expected a key = value, a [table] or a comment"),
        "Cannot overwrite a value": _("this key already has a value"),
        "Expected ']' at the end of a table declaration": _("expected ']' at the end of the [table] line"),
        "Expected ']]' at the end of an array declaration": _(
            "expected ']]' at the end of the [[table]] line"
        ),
        "Expected '=' after a key in a key/value pair": _("expected '=' after the key"),
        "Invalid initial character for a key part": _("a key cannot start with this character"),
        "Unclosed array": _("a list is not closed: ']' is missing"),
        "Unclosed inline table": _("a table in braces is not closed: '}' is missing"),
        "Unescaped '\\' in a string": backslash,
        "Invalid hex value": backslash,
        "Escaped character is not a Unicode scalar value": backslash,
        "Unterminated string": _("a string is not closed: its closing quote is missing"),
        "Invalid date or datetime": _("not a valid date or time (as in 2026-03-01 or 2026-03-01T09:00)"),
        "Invalid value": _('not a valid value: text goes in quotes, as in "BH"'),
        "Expected newline or end of document after a statement": _(
            "expected the end of the line after the value"
        ),
        # A string in double quotes left open at the end of its line.
        "Illegal character '\\n'": _("a string is not closed: its closing quote is missing"),
    }


def _patterns() -> tuple[tuple[re.Pattern[str], _Say], ...]:
    return (
        (
            re.compile(r"Cannot declare (.+) twice"),
            lambda k: _("[%(table)s] is declared twice", table=_key(k)),
        ),
        (
            re.compile(r"Cannot mutate immutable namespace (.+)"),
            lambda k: _("%(key)s was given whole in braces and cannot be added to", key=_key(k)),
        ),
        (
            re.compile(r"Cannot redefine namespace (.+)"),
            lambda k: _("%(key)s is already a table and cannot be redefined", key=_key(k)),
        ),
        (
            re.compile(r"Duplicate inline table key (.+)"),
            lambda k: _("the key %(key)s is given twice in the braces", key=k),
        ),
        (
            re.compile(r"Illegal character (.+)"),
            lambda c: _("the character %(char)s is not allowed here", char=c),
        ),
        (
            re.compile(r"Found invalid character (.+)"),
            lambda c: _("the character %(char)s is not allowed here", char=c),
        ),
        (re.compile(r"Expected (.+)"), lambda what: _("expected %(what)s", what=what)),
    )


def toml_problem(message: str) -> str:
    """tomllib's ``message`` (without its place) in the reader's language, if it is one of its known ones."""
    said = _fixed().get(message)
    if said is not None:
        return said
    for pattern, say in _patterns():
        m = pattern.fullmatch(message)
        if m is not None:
            return say(m.group(1))
    return message


def toml_error(exc: Exception) -> str:
    """A ``TOMLDecodeError`` as one line: what is wrong, then where."""
    text = str(exc)
    m = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", text, re.DOTALL)
    if m is not None:
        return _(
            "%(problem)s (at line %(line)s, column %(column)s)",
            problem=toml_problem(m.group(1)),
            line=m.group(2),
            column=m.group(3),
        )
    m = re.fullmatch(r"(.*) \(at end of document\)", text, re.DOTALL)
    if m is not None:
        return _("%(problem)s (at the end of the file)", problem=toml_problem(m.group(1)))
    return toml_problem(text)
