"""How many cells text takes on a terminal, and where rich breaks it into lines, without rich.

``reminder list``'s table (:mod:`fast_table`) and its footnote (:mod:`fast_paragraph`) must
print what rich prints, so they measure text as ``rich.cells`` does and place words as
``rich._wrap.divide_line`` does. Both are here, once. Ported from rich 15 (MIT licence,
copyright Will McGugan): ``cells.cell_len`` (by the sum of each character's cells, kept per
process), ``_wrap.words`` and ``_wrap.divide_line``. rich's own ``chop_cells`` and
``set_cell_size`` are used for non-ASCII text, where a wide character straddles a cut.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from itertools import accumulate

__all__ = ["cell_ends", "cell_len", "chop", "joined", "line_breaks", "set_cell_size", "words"]

# Each character's cells, as rich.cells counts them (filled as characters are met): a
# Chinese list measures tens of thousands of titles and their words, and rich's own
# cell_len is a Python call per character past its cache of 4,096 texts.
_char_cells: dict[str, int] = {}

# Characters rich counts as two cells in every Unicode version from 5.2 on — the CJK
# ideographs, their symbols and punctuation, the full-width forms — beside printable ASCII
# (one cell): ``tests/test_fast_table.py`` checks each code point against rich.cells. Text
# of these alone is measured without importing rich (rich.cells and its table of widths are
# 3 ms of a Chinese command), where rich uses its latest table (no UNICODE_VERSION set).
_WIDE = (
    ("\u3000", "\u3029"),
    ("\u3030", "\u303e"),
    ("\u3400", "\u4dbf"),
    ("\u4e00", "\u9fff"),
    ("\uff01", "\uff60"),
    ("\uffe0", "\uffe6"),
)
# Characters rich counts as one cell in every Unicode version from 5.2 on, beside ASCII: the
# accented Latin letters, the dashes, quotes, bullets and arrows of everyday prose ("–", "·",
# "←" in the day-by-day table), the box drawing of rich's tables. Checked the same way.
_NARROW = (
    ("\u00a1", "\u00ac"),  # not U+00AD, the soft hyphen
    ("\u00ae", "\u024f"),
    ("\u2010", "\u2027"),
    ("\u2030", "\u205e"),
    ("\u2190", "\u21ff"),
    ("\u2500", "\u257f"),
)
_LATEST_WIDTHS = os.environ.get("UNICODE_VERSION", "latest") == "latest"


def cell_len(text: str) -> int:
    """The cells ``text`` takes on a terminal, as rich counts them (printable text).

    rich.cells.cell_len is the sum of its characters' sizes unless the text holds a
    zero-width joiner or an emoji variation selector (which join characters): those texts
    are measured by rich itself."""
    if text.isascii():
        return len(text)
    if joined(text):
        from rich.cells import cell_len as rich_cell_len

        return rich_cell_len(text)
    try:
        return sum(map(_char_cells.__getitem__, text))
    except KeyError:
        _learn(text)
        return sum(map(_char_cells.__getitem__, text))


def joined(text: str) -> bool:
    """Whether ``text`` holds characters joined into one (a zero-width joiner, an emoji
    variation selector), whose cells are not the sum of theirs."""
    return "\u200d" in text or "\ufe0f" in text


def cell_ends(text: str) -> Sequence[int]:
    """``ends[i]``: the cells of ``text[:i]``, for each ``i`` up to ``len(text)`` (text without
    joined characters): one running sum, from which any piece's cells are a subtraction."""
    if text.isascii():
        return range(len(text) + 1)
    try:
        return [0, *accumulate(map(_char_cells.__getitem__, text))]
    except KeyError:
        _learn(text)
        return [0, *accumulate(map(_char_cells.__getitem__, text))]


def _counted_alone(character: str) -> bool:
    """Whether this module counts ``character``'s cells without rich (printable ASCII, or a
    character of the narrow or wide blocks above)."""
    return _width_alone(character) is not None


def _width_alone(character: str) -> int | None:
    """``character``'s cells where this module knows them without rich, else None."""
    if " " <= character <= "~" or any(low <= character <= high for low, high in _NARROW):
        return 1
    if any(low <= character <= high for low, high in _WIDE):
        return 2
    return None


def _learn(text: str) -> None:
    """Keep the cells of each character of ``text`` (no joined characters) in _char_cells."""
    new = set(text).difference(_char_cells)
    known = {character: _width_alone(character) for character in new} if _LATEST_WIDTHS else {}
    if _LATEST_WIDTHS and None not in known.values():
        _char_cells.update(known)  # type: ignore[arg-type]
        return
    from rich.cells import get_character_cell_size  # its table of wide and zero-width characters

    _char_cells.update((character, get_character_cell_size(character)) for character in new)


def chop(word: str, width: int) -> list[str]:
    """rich's ``cells.chop_cells``: ``word`` cut into pieces of at most ``width`` cells."""
    if word.isascii():
        return [word[i : i + width] for i in range(0, len(word), width)]
    from rich.cells import chop_cells

    return chop_cells(word, width)


def set_cell_size(text: str, width: int) -> str:
    """rich's ``cells.set_cell_size`` for text at least ``width`` cells wide: cut to ``width``."""
    if text.isascii():
        return text[:width]
    from rich.cells import set_cell_size as rich_set_cell_size

    return rich_set_cell_size(text, width)


def words(text: str) -> Iterator[tuple[int, str]]:
    """rich's ``_wrap.words`` for printable text (whose only whitespace is " "): each word
    with the spaces after it (and, for the first, those before it), and where it starts."""
    start = 0
    end = len(text)
    while start < end:
        position = start
        while position < end and text[position] == " ":
            position += 1
        if position == end:
            return  # only spaces left: no word
        position = text.find(" ", position)
        if position == -1:
            position = end
        while position < end and text[position] == " ":
            position += 1
        yield start, text[start:position]
        start = position


def line_breaks(text: str, width: int, *, fold: bool, ends: Sequence[int]) -> list[int]:
    """rich's ``_wrap.divide_line(text, width, fold)`` for printable text without joined
    characters: where its lines start, wrapped at ``width`` cells. A word too long for any
    line is cut across lines (``fold``) or keeps a line of its own. ``ends`` is
    :func:`cell_ends` of the text (its caller measures the lines with it too)."""
    breaks: list[int] = []
    offset = 0
    for start, word in words(text):
        end = start + len(word)
        length = ends[start + len(word.rstrip())] - ends[start]
        if width - offset >= length:
            offset += ends[end] - ends[start]
        elif length > width and fold:
            *pieces, last = chop(word, width)
            for piece in pieces:
                if start:
                    breaks.append(start)
                start += len(piece)
            if start:
                breaks.append(start)
            offset = cell_len(last)
        elif length > width or (offset and start):
            if start:
                breaks.append(start)
            offset = ends[end] - ends[start]
    return breaks
