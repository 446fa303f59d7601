"""fast_paragraph.paragraph writes one line of text as rich's Console.print does.

Compared byte for byte with rich: the list's real footnote in English and Chinese at every
width from 20 to 200, and random text made of what rich's ReprHighlighter picks out
(quoted strings, brackets, numbers, paths, URLs, True/None…), CJK and words longer than
the line, on a pipe and on terminals with and without colours.
"""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console

from reminder.fast_paragraph import has_emoji_code, paragraph, plain_enough
from reminder.i18n import _, using_language

PIECES = [
    "word", "tentative", "'reminder show ID'", "(", ")", "{x}", "<tag a=1>", "name=\"v\"", "12", "-3.5e2",
    "0x1f", "1+2j", "True", "False", "None", "...", "/usr/lib/file.txt", "https://example.com/a?b=1",
    "192.168.0.1", "fe80::1", "00:1a:2b:3c:4d:5e", "123e4567-e89b-12d3-a456-426614174000", "call(", "f.g(",
    "暂定：计算跨越了尚未公布的节假日（", "会说明是哪一个）", "x" * 45, "退款" * 30, '"quoted text"', "it's",
    "b'bytes'", "a,b", "—", "e\u0301",
]  # fmt: skip
MODES = {
    "pipe": {"color_system": None},
    "standard": {"force_terminal": True, "color_system": "standard"},
    "256": {"force_terminal": True, "color_system": "256"},
    "truecolor": {"force_terminal": True, "color_system": "truecolor"},
    "no_color": {"force_terminal": True, "color_system": "truecolor", "no_color": True},
}


def _rich(text: str, width: int, mode: str) -> str:
    console = Console(file=io.StringIO(), width=width, soft_wrap=False, **MODES[mode])  # type: ignore[arg-type]
    with console.capture() as capture:
        console.print(text)
    return capture.get()


def _ours(text: str, width: int, mode: str) -> str:
    return paragraph(text, width, styled=mode != "pipe", colours=mode != "no_color")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("mode", list(MODES))
def test_the_footnote_is_richs_own_at_every_width(lang: str, mode: str) -> None:
    with using_language(lang):
        footnote = _("? tentative: counts across a holiday not yet announced ('reminder show ID' says which)")
    assert plain_enough(footnote)
    for width in range(20, 201):
        assert _ours(footnote, width, mode) == _rich(footnote, width, mode), width


@pytest.mark.parametrize("seed", range(300))
def test_random_text_is_richs_own(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) + rng.choice(["", " ", " ", "  "]) for _ in range(rng.randint(1, 25)))
    width = rng.randint(20, 200)
    if not plain_enough(text):
        return
    for mode in MODES:
        assert _ours(text, width, mode) == _rich(text, width, mode), mode


def test_markup_emoji_and_line_breaks_are_left_to_rich() -> None:
    assert not plain_enough("[bold]x")
    assert not plain_enough("a :smile: b")
    assert not plain_enough("two\nlines")
    assert not plain_enough("a\ttab")
    assert plain_enough("? 暂定：计算（'reminder show ID' 会说明）")


def test_the_emoji_check_is_richs_expression() -> None:
    import re

    rng = random.Random(0)
    for _n in range(2000):
        text = "".join(rng.choice(" :a中\u3000") for _c in range(rng.randint(0, 12)))
        assert has_emoji_code(text) == (re.search(r":\S*?:", text) is not None), repr(text)
