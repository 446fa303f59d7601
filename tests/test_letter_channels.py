"""The words a letter uses for how a request was made, for every channel reminder knows (each
name a person may type for it) in every language letters are written in."""

from __future__ import annotations

import re

import pytest

from reminder.i18n import KNOWN_LANGUAGES
from reminder.labels import (
    CHANNEL_NAMES,
    CHANNELS,
    CHANNELS_ZH,
    channel,
    channel_lookalikes,
    channel_parts,
    channels,
)
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


def test_the_chinese_label_of_every_channel_is_a_name_it_is_known_by() -> None:
    # The Chinese output shows a channel by its catalogue label; a person who read it there
    # types it back: each label must be recognised as that channel.
    assert set(CHANNELS_ZH) == set(CHANNELS)
    for key in CHANNELS:
        label = channel(key, "zh_CN")
        assert label in CHANNELS_ZH[key], (key, label)
        assert channel_parts(label) == (key, "")


def test_a_channel_typed_in_chinese_is_said_in_the_letters_words() -> None:
    # A Chinese user types 热线 and 网上表格; a letter to Batelco said "I asked you, via 热线
    # and via 网上表格" (the test failed before).
    typed = ("热线196", "网上表格")
    assert letter_channels(typed, "en") == "by telephone (hotline 196) and through the online form"
    assert letter_channels(typed, "ar") == "الهاتف (الخط الساخن \u2068196\u2069) والنموذج الإلكتروني"
    assert letter_channels(typed, "zh_CN") == "热线 196、网页表单"
    assert letter_channel("邮箱：care@batelco.example", "en") == "by e-mail (care@batelco.example)"
    # In English output (the English dossier, a notifier in English) a known one is in English.
    assert channels(typed, "en") == "hotline 196, web form"
    assert channels(("Hotline: 196",), "en") == "Hotline: 196"  # typed in English: as typed
    # A word that only begins like a channel's name is the user's own.
    assert channel_parts("电话客服") == (None, "电话客服")
    assert letter_channel("微信", "en") == "via 微信"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("emial", ["email"]),
        ("Emial", ["email"]),
        ("e-mial", ["e-mail"]),
        ("hotlne 196", ["hotline 196"]),  # what follows the name is kept
        ("hotlin: 196", ["hotline: 196"]),
        ("web from", ["web form"]),
        ("wesbite", ["website"]),
        ("in-person", ["in person"]),
        ("客服热限", ["客服热线"]),
        # Known, or the user's own: nothing to say.
        ("email", []),
        ("Hotline 196", []),
        ("热线196", []),
        ("WhatsApp", []),
        ("Twitter", []),  # two thirds of 'letter', but three edits from it
        ("sms", []),
        ("wechat", []),  # two edits from 'chat'
        ("apps", []),  # one edit from 'app': too short a name to guess from
    ],
)
def test_a_channel_that_is_a_slip_of_a_known_one_is_told_which(typed: str, meant: list[str]) -> None:
    assert channel_lookalikes(typed) == meant
    if meant:  # as typed, it is the user's own: the letter quotes it
        assert channel_parts(typed)[0] is None and letter_channel(typed, "en") == f"via {typed}"
