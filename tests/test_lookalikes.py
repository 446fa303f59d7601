"""The known words a mistyped one was probably meant to be."""

from __future__ import annotations

import pytest

from reminder.lookalikes import closest, nearby


def test_closest_shares_letters() -> None:
    assert closest("emial", ["email", "desktop", "log"]) == ["email"]
    assert closest("Twitter", ["letter"]) == ["letter"]  # two thirds of its letters: fine for a choice


@pytest.mark.parametrize(
    ("typed", "known", "expected"),
    [
        ("emial", ["email", "e-mail"], ["email"]),  # a swap is one edit; 'e-mail' is two
        ("EMIAL", ["email"], ["email"]),
        ("hotlin", ["hotline"], ["hotline"]),  # one dropped
        ("phonee", ["phone"], ["phone"]),  # one added
        ("shoq", ["shop"], ["shop"]),  # one changed
        ("callcentre", ["call centre"], ["call centre"]),
        ("cal centr", ["call centre"], ["call centre"]),  # two, from a longer word
        ("hotlne", ["hotline"], ["hotline"]),
        ("htolnie", ["hotline"], []),  # two, from a word of seven
        ("Twitter", ["letter"], []),
        ("ap", ["app"], []),  # from a word of three, none
        ("email", ["email"], []),  # itself is not near
        ("pone", ["phone", "none", "bone"], ["bone", "none", "phone"]),  # as near, in order
    ],
)
def test_nearby_counts_edits(typed: str, known: list[str], expected: list[str]) -> None:
    assert nearby(typed, known) == expected
