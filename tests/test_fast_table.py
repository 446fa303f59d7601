"""fast_table.table_lines prints what rich prints for the same table, or leaves it to rich."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reminder.fast_table import table_lines

WORDS = [
    "Cancel", "roaming", "eSIM", "退款申请", "Batelco", "Ministry of Interior", "x" * 40, "Ünïcödé",
    "a", "bb", "中文标题很长很长很长很长很长很长", "refund-request-number-12345678901234567890",
]  # fmt: skip
LEFT = ["3 days left", "opens in 12 days", "还剩 3 天", "overdue by 4 days", "closed"]


def _case(rng: random.Random) -> tuple[int, list[str], list[list[str]]]:
    width = rng.choice([50, 60, 80, 100, 120, 200])
    columns = ["ID", "Title", "Organisation", *(["Opens"] if width >= 110 else []), "Deadline", "Left"]
    rows = []
    for i in range(rng.choice([1, 2, 5, 30])):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
        org = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        opens = ["3 Mar"] if width >= 110 else []
        rows.append(
            [f"id{i:04d}", title, org, *opens, "2026-03-01" + rng.choice(["", "?"]), rng.choice(LEFT)]
        )
    return width, columns, rows


@pytest.mark.parametrize("seed", range(120))
def test_the_lines_are_richs_own(seed: int) -> None:
    width, columns, rows = _case(random.Random(seed))
    str_columns = frozenset(i for i, c in enumerate(columns) if c not in ("Title", "Organisation"))

    def make() -> Table:
        table = Table(show_edge=False, pad_edge=False)
        for c in columns:
            table.add_column(c, no_wrap=c not in ("Title", "Organisation"), ratio=2 if c == "Title" else None)
        return table

    def console(out: io.StringIO) -> Console:
        return Console(file=out, width=width, soft_wrap=False, color_system=None)

    want = io.StringIO()
    table = make()
    for row in rows:
        table.add_row(*(c if i in str_columns else Text(c) for i, c in enumerate(row)))
    console(want).print(table)
    got = io.StringIO()
    lines = table_lines(console(got), make, rows, str_columns)
    if lines is None:  # left to rich: a header that would wrap
        assert any(len(c) > 6 for c in columns) and width <= 80
        return
    assert "\n".join(lines) + "\n" + got.getvalue() == want.getvalue()


def test_colours_and_markup_are_left_to_rich() -> None:
    def make() -> Table:
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("ID")
        table.add_column("Title")
        return table

    assert table_lines(Console(file=io.StringIO(), color_system="truecolor"), make, [["a", "b"]]) is None
    plain = Console(file=io.StringIO(), color_system=None, width=80)
    assert table_lines(plain, make, [["[bold]a", "b"]], frozenset({0})) is None
    assert table_lines(plain, make, [["a", "tab\there"]]) is None
    assert table_lines(plain, make, [["[bold]a", "b"]]) == [
        "ID      ┃ Title",
        "━━━━━━━━╇━━━━━━",
        "[bold]a │ b    ",
    ]
