"""What ``rich`` prints for a table of plain one-line cells, without importing rich.

rich lays a table out in two passes over every cell (measure, then render through
padding, segments and line splitting): about 0.2 ms a cell, seconds for ``reminder list``
over 10,000 cases, and importing ``rich.console`` alone costs more than the rest of the
command. For the tables ``reminder list`` and ``window --explain`` print — rich's defaults
(``HEAVY_HEAD`` box, padding ``(0, 1)``, header shown in the theme's bold) with
``show_edge=False`` and ``pad_edge=False``, columns without fixed widths (left-justified, or
centred or right-justified where they do not wrap; cut with an ellipsis, or folded), printable
one-line cells — that work reduces to a little arithmetic per column: :func:`column_widths` is
rich's width algorithm over each column's widest text, and
:func:`table_chunks` writes the header (with the SGR codes rich emits when colours are on)
and every row, :data:`CHUNK_ROWS` at a time; a row with a cell that wraps or is cut (a long
title on 80 columns: most lists have some) is laid out as rich wraps text
(:func:`wrapped_rows`). Callers give the whole table to rich where :func:`table_chunks`
answers None (a header that wraps, or a column that wraps justified other than left), and a
row to rich only where a column is squeezed under two cells (:func:`rich_row`).

Ported from rich 15 (MIT licence, copyright Will McGugan): ``Table._calculate_column_widths``,
``Table._collapse_widths``, ``Table._measure_column`` with ``Measurement.get``,
``Padding.__rich_measure__`` and ``Text.__rich_measure__``, and ``_ratio.ratio_reduce`` —
only the branches these tables take (no ``expand``, ``width``, ``min_width`` or ratios,
which rich reads only when expanding) — and a cell's ``Text.wrap`` (see :func:`wrapped_rows`).
``tests/test_fast_table.py`` holds the output equal to rich's own on random tables, with and
without colours, at widths 20 to 200, with CJK, justified and folding columns.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from itertools import compress, pairwise
from operator import itemgetter

from .cells import cell_ends, cell_len, joined, line_breaks, set_cell_size

TYPE_CHECKING = False  # not typing's: reminder list imports this module
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    Justify: TypeAlias = Literal["left", "center", "right"]  # a column's, as rich's justify

__all__ = [
    "BOLD",
    "RESET",
    "Column",
    "Keyed",
    "column_widths",
    "content_widths",
    "distinct_texts",
    "rich_row",
    "table_chunks",
    "table_text",
    "wrapped_rows",
]

# rich.box.HEAVY_HEAD's characters for the header, the line under it and the body.
HEAD_VERTICAL = "┃"
HEAD_ROW_HORIZONTAL = "━"
HEAD_ROW_CROSS = "╇"
MID_VERTICAL = "│"

BOLD = "\x1b[1m"  # the theme's "table.header" (bold) in every colour system, NO_COLOR included
RESET = "\x1b[0m"


def _padding(index: int, ncols: int) -> tuple[int, int]:
    """A column's (left, right) padding: (0, 1) inside, none at the table's edges (pad_edge=False)."""
    return (0 if index == 0 else 1, 0 if index == ncols - 1 else 1)


def _maximum(widest: int, padding: int, max_width: int) -> int:
    """A column's maximum width at ``max_width``, padding included, from its widest text:
    rich's Measurement of each padded cell, then of the column. (Its minimum, the widest
    word, is read only when a table expands to fill the console, which these never do.)"""
    if max_width < 1:
        return 0
    if max_width - padding < 1:
        return max_width
    return min(min(widest, max_width) + padding, max_width)


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich's ``_ratio.ratio_reduce``: take ``total`` from ``values`` in proportion to ``ratios``."""
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    total_remaining = total
    result: list[int] = []
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * total_remaining / total_ratio))
            result.append(value - distributed)
            total_remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _collapse(widths: list[int], wrapable: Sequence[bool], max_width: int) -> list[int]:
    """rich's ``Table._collapse_widths``: narrow the widest wrapable columns first."""
    total_width = sum(widths)
    excess_width = total_width - max_width
    if any(wrapable):
        while total_width and excess_width > 0:
            max_column = max(width for width, wrap in zip(widths, wrapable, strict=True) if wrap)
            second_max_column = max(
                width if wrap and width != max_column else 0
                for width, wrap in zip(widths, wrapable, strict=True)
            )
            column_difference = max_column - second_max_column
            ratios = [
                1 if (width == max_column and wrap) else 0
                for width, wrap in zip(widths, wrapable, strict=True)
            ]
            if not any(ratios) or not column_difference:
                break
            max_reduce = [min(excess_width, column_difference)] * len(widths)
            widths = _ratio_reduce(excess_width, ratios, max_reduce, widths)
            total_width = sum(widths)
            excess_width = total_width - max_width
    return widths


def column_widths(widest: Sequence[int], wrapable: Sequence[bool], console_width: int) -> list[int]:
    """Each column's width, padding included, as rich lays the table out at ``console_width``.

    ``widest[i]`` is the cell count of column i's widest text (header included),
    ``wrapable[i]`` whether the column may wrap (not ``no_wrap``).
    """
    ncols = len(widest)
    pads = [sum(_padding(i, ncols)) for i in range(ncols)]
    max_width = console_width - (ncols - 1)  # the bars between columns
    widths = [_maximum(widest[i], pads[i], max_width) or 1 for i in range(ncols)]
    table_width = sum(widths)
    if table_width > max_width:
        widths = _collapse(widths, wrapable, max_width)
        table_width = sum(widths)
        if table_width > max_width:  # rich's last resort: narrow every column alike
            widths = _ratio_reduce(table_width - max_width, [1] * ncols, widths, widths)
        widths = [_maximum(widest[i], pads[i], widths[i]) for i in range(ncols)]
    return widths


def content_widths(widths: Sequence[int]) -> list[int]:
    """The text's width in each column: its width less its padding."""
    return [w - sum(_padding(i, len(widths))) for i, w in enumerate(widths)]


class Keyed:
    """A column given as each row's key and the cell of each key: the list's dates and days
    left, a few hundred distinct cells over 10,000 rows, each measured and padded once.

    Keyed columns side by side with the same ``keys`` are written as one piece per key."""

    __slots__ = ("cells", "keys")

    def __init__(self, keys: Sequence[Hashable], cells: Mapping[Hashable, str]) -> None:
        self.keys = keys
        self.cells = cells

    def __len__(self) -> int:
        return len(self.keys)

    def texts(self) -> Collection[str]:
        """The column's distinct cells."""
        return self.cells.values()

    def each(self) -> list[str]:
        """The column's cells, a cell per row."""
        return list(map(self.cells.__getitem__, self.keys))


Column = Sequence[str] | Keyed


def distinct_texts(column: Column) -> Collection[str]:
    """A column's cells, each at least once (a keyed column's distinct cells only)."""
    return column.texts() if isinstance(column, Keyed) else column


def table_text(
    headers: Sequence[str],
    columns: Sequence[Column],
    wrapable: Sequence[bool],
    console_width: int,
    *,
    styled: bool,
    justify: Sequence[Justify] | None = None,
    fold: Sequence[bool] | None = None,
) -> str | None:
    """The table's lines as rich prints them at ``console_width`` (each ending in a newline),
    the header in bold when ``styled`` (a terminal with colours); None when a header wraps.

    ``columns`` holds each column's body cells (a sequence, or :class:`Keyed`), all columns
    of the same length. Cells must be printable text (``str.isprintable``) that rich reads
    literally (no markup). ``justify`` is each column's (rich's ``justify``, "left" where not
    given; a column that wraps is left to rich unless "left"), ``fold`` whether a column's
    overflow is rich's "fold" (a word too long for a line is split) rather than "ellipsis".
    """
    chunks = table_chunks(
        headers, columns, wrapable, console_width, styled=styled, justify=justify, fold=fold
    )
    return None if chunks is None else "".join(chunks)


# Rows written per chunk: the text of 10,000 rows at once is megabytes of fresh memory
# (the page faults of which cost more than writing it), a chunk's is reused for the next.
# A chunk of 250 rows (about 30 kB, and as much again encoded) stays in the processor's
# cache from formatting to writing: 3% of `reminder list` faster than 1,000, piped or on a
# terminal, where 100 rows gains nothing more.
CHUNK_ROWS = 250


def table_chunks(
    headers: Sequence[str],
    columns: Sequence[Column],
    wrapable: Sequence[bool],
    console_width: int,
    *,
    styled: bool,
    justify: Sequence[Justify] | None = None,
    fold: Sequence[bool] | None = None,
) -> Iterator[str] | None:
    """:func:`table_text`'s text in pieces to write one after the other (a piece
    :data:`CHUNK_ROWS` rows); None when a header wraps or a column that wraps is justified other
    than left (left to rich). The layout is worked out before this returns."""
    ncols = len(headers)
    justify = ["left"] * ncols if justify is None else list(justify)
    fold = [False] * ncols if fold is None else list(fold)
    if any(j != "left" and wrap for j, wrap in zip(justify, wrapable, strict=True)):
        return None  # a wrapped line justified otherwise: left to rich
    nrows = len(columns[0]) if columns else 0
    head_lens = [cell_len(h) for h in headers]
    widest = list(head_lens)
    # Each column's cell widths where they are not len(): per cell, or per key of a keyed column.
    measured: list[dict[str, int] | None] = []
    for i, column in enumerate(columns):
        texts = distinct_texts(column)
        if "".join(texts).isascii():
            measured.append(None)
            widest[i] = max(widest[i], max(map(len, texts), default=0))
        else:
            known = {c: cell_len(c) for c in set(texts)}
            measured.append(known)
            widest[i] = max(widest[i], max(known.values(), default=0))
    widths = column_widths(widest, wrapable, console_width)
    content = content_widths(widths)
    if any(n > content[i] for i, n in enumerate(head_lens)):
        return None
    too_wide: set[int] = set()  # the rows with a cell wider than its column
    for i, column in enumerate(columns):
        if widest[i] > content[i]:
            too_wide.update(_wider_rows(column, measured[i], content[i]))
    # Each row is one %-format of its pieces: "%-6s │ %-9s │ %s", where "%-Ns" pads an ASCII
    # column's cells by their length, a column with wider characters is padded beforehand, and
    # keyed columns side by side are one piece, written once per key.
    formats: list[str] = []
    pieces: list[Sequence[str]] = []
    i = 0
    while i < ncols:
        column = columns[i]
        if isinstance(column, Keyed):
            j = i + 1
            while j < ncols and isinstance(nxt := columns[j], Keyed) and nxt.keys is column.keys:
                j += 1
            group = range(i, j)
            joined = {
                key: f" {MID_VERTICAL} ".join(
                    _padded(columns[c].cells[key], measured[c], content[c], justify[c])  # type: ignore[union-attr]
                    for c in group
                )
                for key in column.cells
            }
            formats.append("%s")
            pieces.append(list(map(joined.__getitem__, column.keys)))
            i = j
            continue
        widths_of = measured[i]
        if widths_of is None and justify[i] == "left":
            formats.append(f"%-{content[i]}s")
            pieces.append(column)
        else:
            formats.append("%s")
            distinct = set(column) if widths_of is None else widths_of  # measured: each text once
            pad = {c: _padded(c, widths_of, content[i], justify[i]) for c in distinct}
            pieces.append(list(map(pad.__getitem__, column)))
        i += 1
    heads = [
        _aligned(h, n, content[i], justify[i])
        for i, (h, n) in enumerate(zip(headers, head_lens, strict=True))
    ]
    if styled:
        head = HEAD_VERTICAL.join(
            (f"{BOLD} {RESET}" if i else "")
            + f"{BOLD}{h}{RESET}"
            + (f"{BOLD} {RESET}" if i < ncols - 1 else "")
            for i, h in enumerate(heads)
        )
    else:
        head = f" {HEAD_VERTICAL} ".join(heads)
    rule = HEAD_ROW_CROSS.join(HEAD_ROW_HORIZONTAL * w for w in widths)
    row_format = f" {MID_VERTICAL} ".join(formats)

    def chunks() -> Iterator[str]:
        yield f"{head}\n{rule}\n"
        laid_out: dict[int, dict[str, list[str]]] = {}  # the wrapped rows' cells, each text once per column
        wide_rows = sorted(too_wide)
        for start in range(0, nrows, CHUNK_ROWS):
            end = min(start + CHUNK_ROWS, nrows)
            body = list(map(row_format.__mod__, zip(*(p[start:end] for p in pieces), strict=True)))
            wrapped = wide_rows[bisect_left(wide_rows, start) : bisect_left(wide_rows, end)]
            if wrapped:
                cells = [_cells_of(column, wrapped) for column in columns]
                rows_text = wrapped_rows(
                    cells, wrapable, content, console_width, laid_out, justify=justify, fold=fold
                )
                for r, text in zip(wrapped, rows_text, strict=True):
                    body[r - start] = text
            body.append("")
            yield "\n".join(body)

    return chunks()


def _cells_of(column: Column, rows: Sequence[int]) -> list[str]:
    """The column's cells in these rows."""
    if isinstance(column, Keyed):
        return list(map(column.cells.__getitem__, map(column.keys.__getitem__, rows)))
    return list(map(column.__getitem__, rows))


def _padded(cell: str, measured: Mapping[str, int] | None, width: int, justify: Justify = "left") -> str:
    """``cell`` justified in ``width`` terminal cells (:func:`_aligned`; as it is when wider)."""
    return _aligned(cell, len(cell) if measured is None else measured[cell], width, justify)


def _aligned(cell: str, cell_width: int, width: int, justify: Justify) -> str:
    """``cell``, ``cell_width`` cells wide, justified in ``width`` as rich's ``Lines.justify``
    does it: "center" and "right" strip the line's trailing whitespace first."""
    if justify == "left":
        return cell + " " * (width - cell_width)
    stripped = cell.rstrip()
    excess = width - (cell_width if stripped == cell else cell_len(stripped))
    if justify == "center":
        return " " * (excess // 2) + stripped + " " * (excess - excess // 2)
    return " " * excess + stripped


def _wider_rows(column: Column, measured: Mapping[str, int] | None, width: int) -> list[int]:
    """The rows whose cell in ``column`` is wider than ``width``."""

    cell_width = len if measured is None else measured.__getitem__
    if isinstance(column, Keyed):
        keys = {key for key, c in column.cells.items() if cell_width(c) > width}
        return list(compress(range(len(column.keys)), map(keys.__contains__, column.keys))) if keys else []
    # A step in C per row (a column of 10,000 titles is read here whenever one of them wraps).
    return list(compress(range(len(column)), map(width.__lt__, map(cell_width, column))))


def wrapped_rows(
    cells: Sequence[Sequence[str]],
    wrapable: Sequence[bool],
    content: Sequence[int],
    console_width: int,
    laid_out: dict[int, dict[str, list[str]]] | None = None,
    *,
    justify: Sequence[Justify] | None = None,
    fold: Sequence[bool] | None = None,
) -> list[str]:
    """Body rows as rich renders them with these content widths, where a cell wraps or is
    cut: each row's text (its lines joined by newlines). ``cells`` holds the rows' cells
    column by column.

    Ported from rich 15 (MIT licence, copyright Will McGugan): a cell of a wrapable column is
    ``Text.wrap`` with the table's defaults (left-justified, overflow "ellipsis"): its words
    laid out as ``rich._wrap.divide_line`` does (:func:`_wrapped_lines`), each line's
    whitespace beyond the width dropped (``Text.rstrip_end``), a line still too wide cut to
    an ellipsis and every line padded (``Text.truncate``); a cell of a column that does not
    wrap is one line, cut or padded alike. A row is as tall as its tallest cell, the others
    padded with blank lines below (``Segment.set_shape``, vertical "top"). Body cells carry
    no style, so the lines are the same with colours on or off. Columns squeezed under two
    cells are left to rich itself (:func:`rich_row`). A column that does not wrap may be
    justified otherwise (``justify``); a column may fold a word too long for a line instead of
    cutting it (``fold``: rich's overflow "fold", every piece of the word a line of its own).

    Each distinct text is laid out once per column (``laid_out`` keeps them for the next
    rows), and the rows are put together a line at a time for all of them: a Chinese list
    on 80 columns wraps nearly every title.
    """
    justify = ["left"] * len(cells) if justify is None else justify
    fold = [False] * len(cells) if fold is None else fold
    if min(content) < 2:
        rows = zip(*cells, strict=True)
        return [
            "\n".join(rich_row(row, wrapable, content, console_width, justify=justify, fold=fold))
            for row in rows
        ]
    if laid_out is None:
        laid_out = {}
    counts = []  # each column's cells' numbers of lines
    for column, (texts, wrap, width) in enumerate(zip(cells, wrapable, content, strict=True)):
        known = laid_out.setdefault(column, {})
        folds, align = fold[column], justify[column]
        for text in set(texts).difference(known):
            known[text] = _wrapped_lines(text, width, folds) if wrap else [_fit(text, width, align, folds)]
        counts.append(list(map(len, map(known.__getitem__, texts))))
    heights = list(map(max, zip(*counts, strict=True)))
    tallest = max(heights, default=1)
    padded = []  # each column's cells' lines, blank lines added to the tallest row's height
    for column, (texts, width) in enumerate(zip(cells, content, strict=True)):
        known, blank = laid_out[column], [" " * width]
        lines = {text: known[text] + blank * (tallest - len(known[text])) for text in set(texts)}
        padded.append(list(map(lines.__getitem__, texts)))
    separator = f" {MID_VERTICAL} "
    by_line = [  # the i-th line of every row
        list(map(separator.join, zip(*(map(itemgetter(i), c) for c in padded), strict=True)))
        for i in range(tallest)
    ]
    rows_lines = zip(*by_line, strict=True)
    return ["\n".join(lines[:height]) for lines, height in zip(rows_lines, heights, strict=True)]


def _wrapped_lines(text: str, width: int, fold: bool = False) -> list[str]:
    """A wrapable cell's lines as rich's ``Text.wrap`` makes them at ``width`` cells (see
    :func:`wrapped_rows`), each padded to the width.

    The words are placed as rich places them (:func:`cells.line_breaks`: a word too long for
    any line keeps a line of its own, cut later, or with ``fold`` is chopped into lines of
    the width, as rich's overflow "fold" does); then each line loses
    the trailing whitespace its length in characters exceeds the width by
    (``Text.rstrip_end``), and is cut (to an ellipsis, or with ``fold`` to the width) or
    padded (``Text.truncate``). Widths
    of the text's pieces come from one running sum of its characters' cells: a Chinese
    list wraps thousands of titles, and measuring each word and line again is what took
    the time. A text with characters joined into one (a zero-width joiner, an emoji
    variation selector) is not a sum of its characters: rich lays that cell out itself."""
    if joined(text):
        return rich_row([text], [True], [width], width, fold=[fold])
    ends = cell_ends(text)
    breaks = [0, *line_breaks(text, width, fold=fold, ends=ends), len(text)]
    lines = []
    for a, b in pairwise(breaks):
        excess = b - a - width
        if excess > 0:
            b -= min(b - a - len(text[a:b].rstrip()), excess)
        used = ends[b] - ends[a]
        if used > width:
            lines.append(_fit(text[a:b], width, fold=fold))
        else:
            lines.append(text[a:b] + " " * (width - used))
    return lines


def _fit(line: str, width: int, justify: Justify = "left", fold: bool = False) -> str:
    """rich's ``Text.truncate(width, overflow="ellipsis", pad=True)``: a line wider than
    ``width`` cells cut to one cell less and an ellipsis (overflow "fold": cut to the width),
    a narrower one padded; centred or right-justified after its trailing whitespace is stripped
    (``Lines.justify``)."""
    if justify != "left":
        line = line.rstrip()
    length = cell_len(line)
    if length > width:
        return set_cell_size(line, width) if fold else set_cell_size(line, width - 1) + "…"
    return _aligned(line, length, width, justify)


def rich_row(
    row: Sequence[str],
    wrapable: Sequence[bool],
    content: Sequence[int],
    console_width: int,
    *,
    justify: Sequence[Justify] | None = None,
    fold: Sequence[bool] | None = None,
) -> list[str]:
    """One body row rendered by rich itself (imported only here): for columns squeezed under
    two cells, where :func:`wrapped_rows` does not answer for rich."""
    from rich.box import HEAVY_HEAD
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    one = Table(show_header=False, show_edge=False, pad_edge=False, box=HEAVY_HEAD)
    justify = ["left"] * len(row) if justify is None else justify
    fold = [False] * len(row) if fold is None else fold
    for wrap, width, align, folds in zip(wrapable, content, justify, fold, strict=True):
        one.add_column(width=width, no_wrap=not wrap, justify=align, overflow="fold" if folds else "ellipsis")
    one.add_row(*(Text(cell) for cell in row))
    console = Console(width=console_width, color_system=None, soft_wrap=False)
    with console.capture() as capture:
        console.print(one)
    return capture.get().split("\n")[:-1]
