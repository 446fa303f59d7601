"""Words for the values reminder's data holds, as a person reads them in the current language.

The data keeps its English values (an evidence entry's ``kind`` is ``call``, a case's
channel what the user typed); ``--json`` and exports keep them too. Where a person reads
them — a reminder, the calendar file, the command line — they go through here:

- :func:`evidence_kind`: ``call`` → 通话 (the kinds of :data:`~reminder.models.EVIDENCE_KINDS`);
- :func:`channel`: the channels the ``--channel`` help suggests (``hotline``, ``e-mail``,
  ``web form``, ``shop`` …: :data:`CHANNELS`, with the other names each goes by, and
  :data:`CHANNELS_ZH`, the Chinese ones: 热线 → hotline in English), also with a number after
  them (``hotline 196`` → 热线 196); any other channel is the user's own text,
  shown as written. :func:`channel_parts` tells which one a channel is, for the letters'
  own words (``letter_channels.py``);
- :func:`country_name`: a country's name, CLDR's for its code (Babel's territories);
- :func:`join`: a list as the language writes one (``a, b`` / ``a、b``); :func:`channels`
  the channels so.

English is answered without a catalogue, so the English output is the data itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from .i18n import SOURCE_LANGUAGE, current_language, joined, pgettext, using_language

__all__ = [
    "CHANNELS",
    "CHANNELS_ZH",
    "CHANNEL_NAMES",
    "channel",
    "channel_lookalikes",
    "channel_parts",
    "channels",
    "country_name",
    "evidence_kind",
    "join",
]

# The channels reminder knows, each with the other names a person types for it.
CHANNELS: dict[str, tuple[str, ...]] = {
    "hotline": (),
    "phone": ("telephone",),
    "call centre": ("call center",),
    "e-mail": ("email",),
    "web form": ("online form",),
    "website": (),
    "app": (),
    "chat": (),
    "shop": ("store",),
    "in person": (),
    "letter": ("post",),
}
# The names a Chinese reader types for each channel: the label the Chinese output shows it by
# (热线, 网页表单: tests/test_letter_channels.py holds them to the catalogue) and the other words
# in use. Recognised in any language, so that a letter to Batelco says "by telephone (hotline)"
# for a channel typed as 热线, as it does for one typed as hotline.
CHANNELS_ZH: dict[str, tuple[str, ...]] = {
    "hotline": ("热线", "客服热线", "热线电话"),
    "phone": ("电话", "打电话"),
    "call centre": ("客服中心", "呼叫中心"),
    "e-mail": ("电子邮件", "邮件", "电邮", "邮箱"),
    "web form": ("网页表单", "网上表单", "在线表单", "网页表格", "网上表格", "在线表格"),
    "website": ("网站", "官网", "官方网站"),
    "app": ("应用", "手机应用", "客户端"),
    "chat": ("在线客服", "在线聊天"),
    "shop": ("门店", "营业厅", "实体店"),
    "in person": ("现场办理", "当面办理"),
    "letter": ("信函", "信件", "邮寄"),
}
# Every name → the channel it means, the longest name first ("call centre" before a "call").
CHANNEL_NAMES: dict[str, str] = dict(
    sorted(
        (
            *((name, key) for key, others in CHANNELS.items() for name in (key, *others)),
            *((name, key) for key, names in CHANNELS_ZH.items() for name in names),
        ),
        key=lambda item: len(item[0]),
        reverse=True,
    )
)


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
    """Each of :data:`CHANNELS` as ``lang`` says it."""
    with using_language(lang):
        return {
            "hotline": pgettext("channel", "hotline"),
            "phone": pgettext("channel", "phone"),
            "call centre": pgettext("channel", "call centre"),
            "e-mail": pgettext("channel", "e-mail"),
            "web form": pgettext("channel", "web form"),
            "website": pgettext("channel", "website"),
            "app": pgettext("channel", "app"),
            "chat": pgettext("channel", "chat"),
            "shop": pgettext("channel", "shop"),
            "in person": pgettext("channel", "in person"),
            "letter": pgettext("channel", "letter"),
        }


# What may follow a channel's name: a number, an address ("hotline 196", "e-mail: x@y.org").
_AFTER_NAME = " \t:：,，"


def evidence_kind(kind: str, lang: str | None = None) -> str:
    """An evidence entry's kind (``call``) as the reader's language names it."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return kind
    return _evidence_kinds(lang).get(kind, kind)


def channel_parts(text: str) -> tuple[str | None, str]:
    """Which of :data:`CHANNELS` ``text`` names (None: none, the user's own) and what follows
    the name, as written: ``"Hotline: 196"`` → ``("hotline", "196")``."""
    written = text.strip()
    lower = written.lower()  # "Hotline" and "hotline" are the same channel
    for name, key in CHANNEL_NAMES.items():
        if lower == name:
            return key, ""
        if lower.startswith(name):
            after = lower[len(name)]
            # Chinese writes a number or an address straight after the word: 热线196.
            if after in _AFTER_NAME or (not name.isascii() and after.isascii() and after.isalnum()):
                return key, written[len(name) :].strip(_AFTER_NAME)
    return None, written


def channel_lookalikes(text: str) -> list[str]:
    """For a channel none of :data:`CHANNEL_NAMES` names, the names it is probably a slip of
    (``emial`` → ``email``, ``hotlne 196`` → ``hotline 196``, with what follows the name kept); []
    for a known channel, and for the user's own (``WhatsApp``): it is taken as typed all the same,
    but a letter says a known one in its own words ("by e-mail") and the other as typed."""
    key, written = channel_parts(text)
    if key is not None or not written:
        return []
    from .lookalikes import nearby

    # The whole text, else what comes before a number or an address ("hotlne 196").
    for end in [len(written), *(i for i in range(len(written) - 1, 0, -1) if written[i] in _AFTER_NAME)]:
        head = written[:end].rstrip(_AFTER_NAME)
        guesses = nearby(head, CHANNEL_NAMES) if head else []
        if guesses:
            return [guess + written[len(head) :] for guess in guesses]
    return []


def channel(text: str, lang: str | None = None) -> str:
    """A case's channel: a known one translated (with what follows it, ``hotline 196``), any
    other as the user wrote it."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        if text.isascii():  # as typed: "Hotline: 196" stays so
            return text
        key, rest = channel_parts(text)  # 热线 196 → hotline 196
        return text if key is None else f"{key} {rest}" if rest else key
    key, rest = channel_parts(text)
    if key is None:
        return text
    said = _channels(lang)[key]
    return f"{said} {rest}" if rest else said


def join(items: Iterable[str], lang: str | None = None) -> str:
    """``items`` as a list in a sentence: ``a, b`` in English, ``a、b`` in Chinese."""
    return joined(items, lang)


def channels(items: Iterable[str], lang: str | None = None) -> str:
    """A case's channels as a list in a sentence, each :func:`channel`."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return ", ".join(channel(c, lang) for c in items)
    return join((channel(c, lang) for c in items), lang)


@cache
def _territories(lang: str) -> dict[str, str]:
    from babel import Locale  # only for a language other than English

    return dict(Locale.parse(lang).territories)


def country_name(code: str, name: str, lang: str | None = None) -> str:
    """The country ``code`` (``BH``) as ``lang`` names it (巴林), from CLDR; ``name`` (the
    calendar's English name) in English or where CLDR has none."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return name
    return _territories(lang).get(code.upper(), name)
