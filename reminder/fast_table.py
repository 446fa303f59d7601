"""What ``rich`` prints for a table of plain one-line cells, without its work per cell.

rich lays a table out in two passes over every cell (measure, then render through
padding, segments and line splitting): about 0.2 ms a cell, seconds for ``reminder list``
over 10,000 cases. For a table printed without colours (not a terminal, ``NO_COLOR``…),
whose cells are printable one-line text, most of that work changes nothing: each row is
its cells padded to the column widths and joined by the box's bar. So :func:`table_lines`
asks rich for the column widths only (its own algorithm, over a table that measures the
same: per column the cell with the widest text and the cell with the widest word), writes
the rows that fit their columns itself, and lets rich render any row that wraps, with
the same widths. It answers None when the table needs rich whole (colours, markup).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["table_lines"]

_MARKUP = ("[", ":")  # what console.render_str would read as markup or an emoji code in a str cell


def table_lines(
    console: Console,
    make_table: Callable[[], Table],
    rows: Sequence[Sequence[str]],
    str_columns: frozenset[int] = frozenset(),
) -> list[str] | None:
    """The lines ``console.print(table)`` prints for ``make_table()`` (its columns and headers,
    no rows) with ``rows`` added — as ``Text``, except the columns in ``str_columns``, added
    as ``str`` — or None when that takes rich itself."""
    from rich.cells import cell_len
    from rich.text import Text

    table = make_table()
    if console.options.ascii_only or console.legacy_windows:
        return None  # rich substitutes the box's characters
    if console.color_system is not None or table.box is None or table.show_edge or table.show_lines:
        return None
    if (
        table.title
        or table.caption
        or table.show_footer
        or table.expand
        or table.width is not None
        or table.collapse_padding
    ):
        return None
    ncols = len(table.columns)
    headers = [str(c.header) for c in table.columns]
    if not table.show_header or any(c.justify != "left" or c.width is not None for c in table.columns):
        return None
    all_rows = [headers, *rows]
    if any(len(row) != ncols for row in all_rows):
        return None

    widest: list[str] = []
    widest_word: list[str] = []
    columns: list[list[int]] = []  # each column's cell widths, header first
    for i in range(ncols):
        cells = [row[i] for row in all_rows]
        joined = " ".join(cells)
        if not joined.isprintable() or (i in str_columns and any(m in joined for m in _MARKUP)):
            return None
        lens = [len(c) if c.isascii() else cell_len(c) for c in cells]
        columns.append(lens)
        widest.append(cells[max(range(len(cells)), key=lens.__getitem__)])
        # The longest word stands for the cell that holds it: rich measures a cell's minimum
        # as its longest word (printable text has no whitespace but " ").
        words = joined.split()
        word_lens = [len(w) for w in words] if joined.isascii() else [cell_len(w) for w in words]
        widest_word.append(words[max(range(len(words)), key=word_lens.__getitem__)] if words else "")
    lengths = [list(row_lens) for row_lens in zip(*columns, strict=True)]
    # A table that measures as the whole one: rich's own widths for it.
    probe = make_table()
    probe.add_row(*(Text(cell) for cell in widest))
    probe.add_row(*(Text(cell) for cell in widest_word))
    options = console.options
    widths = probe._calculate_column_widths(
        console, options.update_width(options.max_width - probe._extra_width)
    )
    pads = []
    for i in range(ncols):
        left = 0 if i == 0 else table.padding[3]
        right = 0 if i == ncols - 1 else table.padding[1]
        pads.append((left, right))
    content = [w - left - right for w, (left, right) in zip(widths, pads, strict=True)]
    if any(n > content[i] for i, n in enumerate(lengths[0])):
        return None  # a header that wraps
    box = table.box

    def line(cells: Sequence[str], lens: Sequence[int], bar: str) -> str:
        return bar.join(
            " " * left + cell + " " * (width - n + right)
            for cell, n, width, (left, right) in zip(cells, lens, content, pads, strict=True)
        )

    out = [line(headers, lengths[0], box.head_vertical)]
    out.append(box.head_row_cross.join(box.head_row_horizontal * w for w in widths))
    for row, lens in zip(rows, lengths[1:], strict=True):
        if all(n <= width for n, width in zip(lens, content, strict=True)):
            out.append(line(row, lens, box.mid_vertical))
        else:
            out += _rich_row(console, table, row, content, str_columns)
    return out


def _rich_row(
    console: Console, like: Table, row: Sequence[str], content: Sequence[int], str_columns: frozenset[int]
) -> list[str]:
    """One row as rich renders it in ``like`` with these content widths (a cell that wraps)."""
    from rich.table import Table
    from rich.text import Text

    one = Table(
        show_header=False, show_edge=False, pad_edge=like.pad_edge, box=like.box, padding=like.padding
    )
    for column, width in zip(like.columns, content, strict=True):
        one.add_column(width=width, no_wrap=column.no_wrap, overflow=column.overflow)
    one.add_row(*(cell if i in str_columns else Text(cell) for i, cell in enumerate(row)))
    with console.capture() as capture:
        console.print(one)
    return capture.get().split("\n")[:-1]
