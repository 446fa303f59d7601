"""Which writing system a text is in, and which texts of a letter its reader cannot read.

A letter goes out in the recipient's language (English, Arabic, Chinese), but it quotes
what the person typed into the case — the request as filed, the evidence summaries — and a
person who reads Chinese types Chinese. :func:`foreign_script` tells, for one text, the
first script in it that a letter in ``lang`` does not use; :func:`foreign_texts` runs it
over every text a letter quotes from the case, so ``reminder letter`` can list them.

Scripts are told by the characters' Unicode names (``CJK UNIFIED IDEOGRAPH-…``,
``CYRILLIC SMALL LETTER …``): only letters count, so digits, punctuation, symbols and
spaces — which every language shares — never make a text foreign.

Pure, and loaded only by the letter use case (``letter_api.py``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .labels import channel_parts

if TYPE_CHECKING:
    from .letters import LetterFacts

__all__ = ["LETTER_SCRIPTS", "ForeignText", "foreign_script", "foreign_texts", "script_of"]

# The scripts a letter in each language is written in. A language missing here (Chinese, whose
# letters quote Latin names and numbers as a matter of course) is never flagged.
LETTER_SCRIPTS: dict[str, frozenset[str]] = {
    "en": frozenset({"Latin"}),
    "ar": frozenset({"Arabic", "Latin"}),
}

# Names whose first word is not their script's; checked in order, so longer prefixes first.
_PREFIXES: tuple[tuple[str, str | None], ...] = (
    ("CJK ", "Han"),
    ("IDEOGRAPHIC ", "Han"),
    ("FULLWIDTH LATIN ", "Latin"),
    ("FEMININE ORDINAL", "Latin"),
    ("MASCULINE ORDINAL", "Latin"),
    ("MICRO SIGN", "Latin"),
    ("HALFWIDTH KATAKANA ", "Kana"),
    ("KATAKANA", "Kana"),  # also KATAKANA-HIRAGANA PROLONGED SOUND MARK
    ("HIRAGANA ", "Kana"),
    ("HALFWIDTH HANGUL ", "Hangul"),
    ("MODIFIER LETTER ", None),  # spacing accents and the like: any script's
)


def script_of(ch: str) -> str | None:
    """The script of the letter ``ch`` ("Latin", "Han", "Kana", "Hangul", "Cyrillic", "Arabic",
    …), or None for what is not a letter (digits, punctuation, symbols, marks, spaces)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    if not name:
        return "Unknown"
    for prefix, script in _PREFIXES:
        if name.startswith(prefix):
            return script
    return name.split(" ", 1)[0].split("-", 1)[0].title()


def foreign_script(text: str, lang: str) -> str | None:
    """The first script in ``text`` that a letter in ``lang`` is not written in, else None."""
    allowed = LETTER_SCRIPTS.get(lang)
    if allowed is None:
        return None
    for ch in text:
        if ch.isascii():
            continue
        script = script_of(ch)
        if script is not None and script not in allowed:
            return script
    return None


@dataclass(frozen=True, slots=True)
class ForeignText:
    """A text the letter quotes from the case in a script its language does not use.

    ``field`` is what it is: ``case.request``, ``case.organisation``, ``case.reference``,
    ``case.account``, ``case.channels``, the writer's ``me.name`` or ``me.address`` (the config's
    ``[me]``, in the form given for the letter's language if one was), or ``evidence.summary``
    (then ``entry`` is its number and ``kind`` its kind).
    """

    field: str
    script: str
    entry: int | None = None
    kind: str | None = None

    def as_dict(self) -> dict[str, object]:
        """As ``letter --json`` reports it (the field, the entry's number or null, the script)."""
        return {"field": self.field, "entry": self.entry, "script": self.script}


def _quoted_channel(text: str) -> str:
    """What a letter quotes, as typed, of the channel ``text``."""
    key, rest = channel_parts(text)
    return text if key is None else rest


def foreign_texts(facts: LetterFacts) -> list[ForeignText]:
    """The texts the letter ``facts`` describe quote from the case, or from ``[me]``, that its
    reader may not read.

    An evidence entry is listed by its last version only, the one the letter states
    (``letters.build_facts``): the log keeps every entry as written, so a correction in the
    letter's script is how a summary gets its version in the letter's language, and the letter
    then states it in place of what it corrects. Nor is the record ``letter --send`` made of a
    letter it sent: its summary is reminder's words, quoting that letter's subject in that
    letter's language — nothing the user typed, and nothing a correcting entry should restate.
    """
    lang = facts.lang
    found: list[ForeignText] = []
    case = facts.case
    for field, value in (
        ("case.request", case.request),
        ("case.organisation", case.organisation),
        ("case.reference", case.reference),
        ("case.account", case.account),
        # A channel reminder knows is in the letter's words (热线 → "by telephone (hotline)"): only
        # what follows its name (a number, an address) and a channel it does not know are quoted.
        ("case.channels", " ".join(_quoted_channel(c) for c in case.channels)),
        # Who writes: [me] name_in.<lang> / address_in.<lang> where given (a Blank is no text).
        ("me.name", facts.me.name),
        ("me.address", facts.me.address),
    ):
        script = foreign_script(value, lang) if isinstance(value, str) else None
        if script is not None:
            found.append(ForeignText(field, script))
    for e in facts.entries:
        script = None if e.by_reminder else foreign_script(e.summary, lang)
        if script is not None:
            found.append(ForeignText("evidence.summary", script, entry=e.seq, kind=e.kind))
    return found
