"""How a letter says the way a request was made (``case.channel`` in its template), in the
letter's language.

The case keeps its channels as the user typed them (``hotline 196``, ``online form``); a
letter to Batelco in Arabic cannot say "عبر hotline". :data:`CHANNEL_WORDS` holds, for each
letter language but Chinese, the words for each of :data:`~reminder.labels.CHANNELS`, worded
to fit the slot its templates give them:

- English: a phrase with its preposition, as "I asked you, ___, for the following" and the
  regulator's "How it was made" need it (``by telephone (hotline)``);
- Arabic: a noun, after the templates' "عبر" and in the "وسيلة التقديم" row
  (``الهاتف (الخط الساخن)``).

Chinese letters use the Chinese labels a Chinese user reads everywhere (``labels.channel``,
from the catalogue: 热线 196), so those words live in one place too. What follows a
channel's name (a number, an address) is kept as written, inside the words' parentheses or
in its own; a channel reminder does not know is quoted as typed (English: ``via WhatsApp``).
In Arabic both are isolated from the sentence around them (:data:`_ISOLATED`).

Pure, and cheap: no catalogue is read for English or Arabic.
"""

from __future__ import annotations

from collections.abc import Iterable

from .labels import channel as chinese_label
from .labels import channel_parts, join

__all__ = ["CHANNEL_WORDS", "letter_channel", "letter_channels"]

CHANNEL_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "hotline": "by telephone (hotline)",
        "phone": "by telephone",
        "call centre": "by telephone (call centre)",
        "e-mail": "by e-mail",
        "web form": "through the online form",
        "website": "through the website",
        "app": "through the app",
        "chat": "by online chat",
        "shop": "in person at a shop",
        "in person": "in person",
        "letter": "by letter",
    },
    "ar": {
        "hotline": "الهاتف (الخط الساخن)",
        "phone": "الهاتف",
        "call centre": "الهاتف (مركز الاتصال)",
        "e-mail": "البريد الإلكتروني",
        "web form": "النموذج الإلكتروني",
        "website": "الموقع الإلكتروني",
        "app": "التطبيق",
        "chat": "المحادثة الفورية",
        "shop": "زيارة أحد الفروع",
        "in person": "الحضور الشخصي",
        "letter": "رسالة بريدية",
    },
}
# A channel reminder does not know, as typed, in each language's slot.
_OTHER = {"en": "via {}", "ar": "{}"}

# Right-to-left letters isolate what the user typed (U+2068 FIRST STRONG ISOLATE … U+2069 POP
# DIRECTIONAL ISOLATE, invisible): inside an Arabic sentence "+973 1700 0000" would otherwise be
# laid out as "0000 1700 973+", and "WhatsApp +973 …" likewise. Isolated, each keeps the direction
# of its own first letter (left to right where it has none), in the text letter as in the PDF.
_ISOLATED = {"ar": "\u2068{}\u2069"}


def _with_rest(words: str, rest: str) -> str:
    """``words`` and what followed the channel's name: inside their closing parenthesis when
    they end with one (``by telephone (hotline 196)``), else in a pair of its own."""
    if not rest:
        return words
    if words.endswith(")"):
        return f"{words[:-1]} {rest})"
    return f"{words} ({rest})"


def letter_channel(text: str, lang: str) -> str:
    """One channel of a case (as typed) in the words of a letter in ``lang``."""
    if lang not in CHANNEL_WORDS:
        return chinese_label(text, lang)
    key, rest = channel_parts(text)
    typed = _ISOLATED.get(lang, "{}").format(rest) if rest else rest
    if key is None:
        return _OTHER[lang].format(typed)
    return _with_rest(CHANNEL_WORDS[lang][key], typed)


def letter_channels(items: Iterable[str], lang: str) -> str:
    """A case's channels as one phrase of a letter in ``lang`` ("" for none): ``A and B``,
    ``A، B وC``, ``A、B``."""
    said = [letter_channel(c, lang) for c in items]
    if len(said) < 2:
        return "".join(said)
    if lang == "en":
        return f"{', '.join(said[:-1])} and {said[-1]}"
    if lang == "ar":
        return f"{'، '.join(said[:-1])} و{said[-1]}"  # "و" (and) is written joined to the next word
    return join(said, lang)
