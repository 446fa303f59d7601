"""Words for the values reminder's data holds, as a person reads them in the current language.

The data keeps its English values (an evidence entry's ``kind`` is ``call``, a case's
channel what the user typed); ``--json`` and exports keep them too. Where a person reads
them — a reminder, the calendar file, the command line — they go through here:

- :func:`evidence_kind`: ``call`` → 通话 (the kinds of :data:`~reminder.models.EVIDENCE_KINDS`);
- :func:`channel`: the channels the ``--channel`` help suggests (``hotline``, ``e-mail``,
  ``web form``, ``shop`` …), also with a number after them (``hotline 196`` → 热线 196); any
  other channel is the user's own text, shown as written;
- :func:`join`: a list as the language writes one (``a, b`` / ``a、b``); :func:`channels`
  the channels so.

English is answered without a catalogue, so the English output is the data itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from .i18n import SOURCE_LANGUAGE, current_language, pgettext, using_language

__all__ = ["channel", "channels", "evidence_kind", "join"]


@cache
def _evidence_kinds(lang: str) -> dict[str, str]:
    with using_language(lang):
        return {
            "call": pgettext("evidence kind", "call"),
            "email": pgettext("evidence kind", "email"),
            "letter": pgettext("evidence kind", "letter"),
            "screenshot": pgettext("evidence kind", "screenshot"),
            "chat": pgettext("evidence kind", "chat"),
            "visit": pgettext("evidence kind", "visit"),
            "note": pgettext("evidence kind", "note"),
            "code": pgettext("evidence kind", "code"),
        }


@cache
def _channels(lang: str) -> dict[str, str]:
    # Lower-case keys: "Hotline" and "hotline" are the same channel.
    with using_language(lang):
        return {
            "hotline": pgettext("channel", "hotline"),
            "phone": pgettext("channel", "phone"),
            "call centre": pgettext("channel", "call centre"),
            "e-mail": pgettext("channel", "e-mail"),
            "email": pgettext("channel", "e-mail"),
            "web form": pgettext("channel", "web form"),
            "website": pgettext("channel", "website"),
            "app": pgettext("channel", "app"),
            "chat": pgettext("channel", "chat"),
            "shop": pgettext("channel", "shop"),
            "store": pgettext("channel", "shop"),
            "letter": pgettext("channel", "letter"),
            "post": pgettext("channel", "letter"),
        }


@cache
def _separator(lang: str) -> str:
    with using_language(lang):
        return pgettext("list separator", ", ")


# A channel word, then what follows it (a number, an address): "hotline 196", "e-mail: x@y".
_CHANNEL = re.compile(r"(?P<word>[A-Za-z][A-Za-z -]*?)(?P<rest>(?:[\s:]+.*)?)", re.DOTALL)


def evidence_kind(kind: str, lang: str | None = None) -> str:
    """An evidence entry's kind (``call``) as the reader's language names it."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return kind
    return _evidence_kinds(lang).get(kind, kind)


def channel(text: str, lang: str | None = None) -> str:
    """A case's channel: a known one translated (with what follows it, ``hotline 196``), any
    other as the user wrote it."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return text
    m = _CHANNEL.fullmatch(text.strip())
    found = _channels(lang).get(m.group("word").strip().lower()) if m is not None else None
    if m is None or found is None:
        return text
    rest = m.group("rest").strip(" :")
    return f"{found} {rest}" if rest else found


def join(items: Iterable[str], lang: str | None = None) -> str:
    """``items`` as a list in a sentence: ``a, b`` in English, ``a、b`` in Chinese."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return ", ".join(items)
    return _separator(lang).join(items)


def channels(items: Iterable[str], lang: str | None = None) -> str:
    """A case's channels as a list in a sentence, each :func:`channel`."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return ", ".join(items)
    return join((channel(c, lang) for c in items), lang)
