"""The words a letter uses for how a request was made, for every channel reminder knows (each
name a person may type for it) in every language letters are written in."""

from __future__ import annotations

import re

import pytest

from reminder.i18n import KNOWN_LANGUAGES
from reminder.labels import CHANNEL_NAMES, CHANNELS, channel_parts
from reminder.letter_channels import CHANNEL_WORDS, letter_channel, letter_channels

LATIN = re.compile(r"[A-Za-z]")


def test_each_language_has_words_for_every_channel() -> None:
    for lang, words in CHANNEL_WORDS.items():
        assert set(words) == set(CHANNELS), lang
        assert len(set(words.values())) == len(words), f"{lang}: two channels said alike"


@pytest.mark.parametrize("lang", KNOWN_LANGUAGES)
@pytest.mark.parametrize("name", sorted(CHANNEL_NAMES))
def test_every_channel_name_is_said_in_the_letters_language(name: str, lang: str) -> None:
    said = letter_channel(name, lang)
    with_number = letter_channel(f"{name.title()} 196", lang)
    assert "196" in with_number and with_number != said
    assert channel_parts(f"{name}: 196") == (CHANNEL_NAMES[name], "196")
    if lang == "en":
        assert said.startswith(("by ", "through ", "in person")), said
        assert said == CHANNEL_WORDS["en"][CHANNEL_NAMES[name]]
    else:  # Arabic and Chinese: the language's own words, no English left
        assert not LATIN.search(said), said


def test_what_follows_a_name_goes_inside_the_words() -> None:
    assert letter_channel("hotline 196", "en") == "by telephone (hotline 196)"
    assert letter_channel("E-mail: care@batelco.example", "en") == "by e-mail (care@batelco.example)"
    # What the user typed is isolated in Arabic (U+2068 … U+2069): a number keeps its order.
    assert letter_channel("hotline 196", "ar") == "الهاتف (الخط الساخن \u2068196\u2069)"
    assert letter_channel("phone: +973 1700 0000", "ar") == "الهاتف (\u2068+973 1700 0000\u2069)"
    assert letter_channel("hotline 196", "zh_CN") == "热线 196"
    assert letter_channel("in person", "zh_CN") == "现场办理"


def test_a_list_of_channels_as_each_language_writes_one() -> None:
    three = ("hotline", "e-mail", "shop")
    assert letter_channels(three, "en") == "by telephone (hotline), by e-mail and in person at a shop"
    assert letter_channels(three, "ar") == "الهاتف (الخط الساخن)، البريد الإلكتروني وزيارة أحد الفروع"
    assert letter_channels(three, "zh_CN") == "热线、电子邮件、门店"
    assert letter_channels((), "en") == ""
    assert letter_channels(("WhatsApp",), "en") == "via WhatsApp"
    assert letter_channels(("WhatsApp",), "zh_CN") == "WhatsApp"
    assert letter_channels(("WhatsApp",), "ar") == "\u2068WhatsApp\u2069"
