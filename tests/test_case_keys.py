"""How add compares a new case's texts with the open cases': without case, width or spacing."""

from __future__ import annotations

import pytest

from reminder.case_keys import fold, folded


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("batelco ", "Batelco"),
        ("r-1", "R-1"),
        ("Ｒ－１", "R-1"),  # full width, as a Chinese input method types it
        ("ＢＡＴＥＬＣＯ", "batelco"),
        ("Refund  for\troaming", "refund for Roaming"),
        ("\u3000巴林电信\u3000", "巴林电信"),  # the ideographic space
        ("STRASSE", "Straße"),  # case folded, not lowered: ß is ss
        ("ｶﾞｲﾄﾞ", "ガイド"),  # half-width katakana, its voicing mark joined
        ("Ǆ", "ǆ"),
    ],
)
def test_the_same_text_typed_otherwise_folds_the_same(typed: str, stored: str) -> None:
    assert fold(typed) == fold(stored)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("R-1", "R-2"), ("Batelco", "Batelco BSC"), ("R-1", "R1"), ("巴林电信", "巴林移动")],
)
def test_different_texts_stay_different(typed: str, stored: str) -> None:
    assert fold(typed) != fold(stored)


def test_a_reference_that_folds_to_nothing_is_none() -> None:
    assert folded("Batelco", "\u3000", "SIM") == ("batelco", None, "sim")
    assert folded("Batelco", None, "SIM") == ("batelco", None, "sim")
    assert folded(" Ｂatelco", "ＢＴ－１", " SIM  card") == ("batelco", "bt-1", "sim card")
