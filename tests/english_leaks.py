"""Find English left in text that is meant to be read in another language (issue 17).

:func:`english_leaks` lists the ASCII words of three letters or more in a text, leaving
out what stays Latin in a Chinese text on purpose:

- URLs and bare domains (``https://…``, ``consumer.tra.org.bh``), e-mail addresses;
- ISO dates and times (``2026-03-10``, ``2026-03-10T09:00:00+03:00``), hashes (hex runs);
- commands a person types (``reminder show k7m2qx``, ``reminder close k7m2qx --resolution '…'``);
- acronyms (all capitals, up to six letters: ``TRA``, ``GDPR``, ``CISAS``), units (``GHz``);
- the proper nouns and ids of the caller's ``allow`` (an organisation, a case title, a
  preset name) and reminder's own name.

Usable by any test of a translated output: ``assert_no_english(text, allow={"Batelco"})``;
HTML through :func:`html_text` first, so tags and attributes are not read as words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

__all__ = ["DEFAULT_ALLOW", "assert_no_english", "english_leaks", "html_text"]

# Words that are names, not English: the program, and how a SIM is called in Chinese too.
DEFAULT_ALLOW = frozenset({"reminder", "eSIM"})
UNITS = frozenset({"kHz", "MHz", "GHz", "kbps", "Mbps", "Gbps", "KiB", "MiB", "GiB", "TiB"})
# Command names a person types after "reminder", and the verbs of its command groups.
_COMMANDS = (
    "add|backup|check|close|config|countries|daemon|delete|edit|evidence|export|letter|list|notifiers|"
    "notify|presets|reopen|restore|service|show|status|uncheck|window"
)
_VERBS = "add|correct|init|install|list|path|show|test|uninstall|verify"

# Boundaries on ASCII letters and digits: a Chinese character is a word character to \b.
_A = r"(?<![A-Za-z0-9])"
_Z = r"(?![A-Za-z0-9])"
_SPANS = [
    # First, a command: reminder, a command name, then its words, options, quoted values, ids.
    re.compile(
        # (An option's value a person types as a word: "--to organisation".)
        _A + rf"reminder (?:{_COMMANDS}){_Z}(?: (?:(?:{_VERBS}){_Z}|--[a-z][\w-]*(?: [a-z]+{_Z})?"
        r"|'[^']*'|\"[^\"]*\""
        r"|[a-z0-9]*\d[a-z0-9]*|[A-Z0-9][A-Z0-9_-]*|…))*"
    ),
    re.compile(_A + r"(?:https?|ftp|mailto|file)://[^\s<>\"'，。；、）]+"),  # URLs
    re.compile(r"[A-Za-z0-9.+_-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),  # e-mail addresses
    re.compile(_A + r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}" + _Z + r"(?:/[^\s，。；、）]*)?"),  # domains
    re.compile(_A + r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?" + _Z),  # ISO
    re.compile(_A + r"[0-9a-f]{8,}" + _Z),  # hashes and their prefixes
    re.compile(_A + r"(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]+" + _Z),  # ids: k7m2qx
]
_WORD = re.compile(r"[A-Za-z](?:[A-Za-z'’-]*[A-Za-z])?")


def english_leaks(text: str, allow: Iterable[str] = ()) -> list[str]:
    """The English words of ``text`` (three letters or more) outside what may stay Latin,
    each with a little of the text around it."""
    allowed = DEFAULT_ALLOW | UNITS | frozenset(allow)
    # The caller's names and ids are taken out first, whole ("Communications Ombudsman"), the
    # longest first, as digits: an id in a command ("reminder close kxcukc --resolution") reads
    # as one, and the command's options after it are recognised.
    masked = text
    for name in sorted(frozenset(allow), key=len, reverse=True):
        masked = re.sub(_A + re.escape(name) + _Z, "0" * len(name), masked)
    for span in _SPANS:
        masked = span.sub(lambda m: " " * len(m.group(0)), masked)
    found = []
    for m in _WORD.finditer(masked):
        word = m.group(0)
        letters = sum(c.isalpha() for c in word)
        if letters < 3 or word in allowed or (word.isupper() and letters <= 6):
            continue
        around = text[max(0, m.start() - 20) : m.end() + 20].replace("\n", "⏎")
        found.append(f"{word!r} in «{around}»")
    return found


def assert_no_english(text: str, allow: Iterable[str] = (), what: str = "the text") -> None:
    leaks = english_leaks(text, allow)
    assert not leaks, f"English in {what}:\n  " + "\n  ".join(leaks) + f"\n--- {what} ---\n{text}"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """What a reader sees of an HTML document or fragment: its text, without tags, attributes,
    styles or scripts (entities decoded)."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)
