"""fast_table.table_text prints what rich prints for the same table, or leaves it to rich.

Random tables, each compared byte for byte with rich's own rendering: without colours (a
pipe), and on a terminal with colours (the header's bold), at widths 40 to 200, with CJK
cells and headers, cells that wrap or are cut (the rows left to rich) and headers that wrap
(the tables left to rich).
"""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reminder import cells, fast_table
from reminder.fast_table import Keyed, column_widths, table_chunks, table_text

WORDS = [
    "Cancel", "roaming", "eSIM", "退款申请", "Batelco", "Ministry of Interior", "x" * 40, "Ünïcödé",
    "a", "bb", "中文标题很长很长很长很长很长很长", "refund-request-number-12345678901234567890",
    "日本語テキスト", "ｆｕｌｌｗｉｄｔｈ", "e\u0301", "   ", "", "👩\u200d💻 dev", "❤\ufe0f love",
]  # fmt: skip
LEFT = ["3 days left", "opens in 12 days", "还剩 3 天", "overdue by 4 days", "closed", "已逾期 300 天", "—"]
HEADERS = {
    "en": ["ID", "Title", "Organisation", "Opens", "Deadline", "Left"],
    "zh": ["编号", "标题", "机构", "开始", "截止日期", "剩余"],
}
MODES = {
    "pipe": {"color_system": None},
    "standard": {"force_terminal": True, "color_system": "standard"},
    "truecolor": {"force_terminal": True, "color_system": "truecolor"},
    "no_color": {"force_terminal": True, "color_system": "256", "no_color": True},
}


def _case(rng: random.Random) -> tuple[int, list[str], list[list[str]]]:
    width = rng.choice([40, 41, 50, 60, 79, 80, 100, 109, 110, 120, 150, 200, rng.randint(40, 200)])
    names = HEADERS[rng.choice(["en", "zh"])]
    with_opens = width >= 110
    headers = [h for i, h in enumerate(names) if i != 3 or with_opens]
    rows = []
    words = WORDS[: rng.choice([6, len(WORDS)])]  # some tables of short words, which fit whole
    title_words, org_words = rng.choice([(2, 1), (8, 4)])
    for i in range(rng.choice([1, 2, 5, 30])):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(1, title_words)))
        org = " ".join(rng.choice(words) for _ in range(rng.randint(1, org_words)))
        opens = [rng.choice(["Tue 2026-03-03", "", "2026年3月3日"])] if with_opens else []
        deadline = rng.choice(["Thu 2026-03-01", "", "3月1日 周四"]) + rng.choice(["", "?"])
        rows.append([f"id{i:04d}", title, org, *opens, deadline, rng.choice(LEFT)])
    return width, headers, rows


def _rich(width: int, mode: str, headers: list[str], rows: list[list[str]]) -> str:
    """What reminder printed through rich: Title and Organisation as Text, the rest as str."""
    table = Table(show_edge=False, pad_edge=False)
    for i, header in enumerate(headers):
        table.add_column(header, no_wrap=i not in (1, 2), ratio=2 if i == 1 else None)
    for row in rows:
        table.add_row(*(Text(c) if i in (1, 2) else c for i, c in enumerate(row)))
    console = Console(file=io.StringIO(), width=width, soft_wrap=False, **MODES[mode])  # type: ignore[arg-type]
    with console.capture() as capture:
        console.print(table)
    return capture.get()


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("seed", range(120))
def test_the_lines_are_richs_own(seed: int, mode: str) -> None:
    width, headers, rows = _case(random.Random(seed))
    columns = [list(column) for column in zip(*rows, strict=True)]
    wrapable = [i in (1, 2) for i in range(len(headers))]
    want = _rich(width, mode, headers, rows)
    got = table_text(headers, columns, wrapable, width, styled=mode != "pipe")
    if got is None:  # left to rich: a header that wraps (or is cut), so not whole on the first line
        assert not all(h in want.splitlines()[0] for h in headers)
        return
    assert got == want


@pytest.mark.parametrize("seed", range(0, 120, 2))
def test_keyed_columns_in_chunks_are_the_same_lines(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """As ``reminder list`` gives them: the columns after Organisation keyed by each row's
    state (side by side, so written as one piece), and the rows written a few at a time."""
    width, headers, rows = _case(random.Random(seed))
    columns = [list(column) for column in zip(*rows, strict=True)]
    wrapable = [i in (1, 2) for i in range(len(headers))]
    keys = [tuple(row[3:]) for row in rows]
    keyed = [*columns[:3], *(Keyed(keys, {k: k[i] for k in keys}) for i in range(len(headers) - 3))]
    monkeypatch.setattr(fast_table, "CHUNK_ROWS", 2)
    chunks = table_chunks(headers, keyed, wrapable, width, styled=True)
    assert (None if chunks is None else "".join(chunks)) == table_text(
        headers, columns, wrapable, width, styled=True
    )
    if chunks is not None:
        assert table_text(headers, keyed, wrapable, width, styled=True) == _rich(
            width, "standard", headers, rows
        )


def test_some_tables_leave_rows_and_headers_to_rich() -> None:
    """The random tables do reach both of rich's remaining jobs."""
    outcomes = set()
    for seed in range(120):
        width, headers, rows = _case(random.Random(seed))
        columns = [list(column) for column in zip(*rows, strict=True)]
        wrapable = [i in (1, 2) for i in range(len(headers))]
        widths = column_widths(
            [max(len(c) for c in (h, *col)) for h, col in zip(headers, columns, strict=True)], wrapable, width
        )
        text = table_text(headers, columns, wrapable, width, styled=False)
        outcomes.add("header wraps" if text is None else "fits")
        if text is not None and len(text.splitlines()) > len(rows) + 2:
            outcomes.add("a row wraps")
        assert len(widths) == len(headers)
    assert outcomes == {"header wraps", "fits", "a row wraps"}


def test_the_header_is_bold_on_a_terminal() -> None:
    text = table_text(["ID", "Title"], [["a"], ["b"]], [False, True], 80, styled=True)
    assert (
        text == "\x1b[1mID\x1b[0m\x1b[1m \x1b[0m┃\x1b[1m \x1b[0m\x1b[1mTitle\x1b[0m\n━━━╇━━━━━━\na  │ b    \n"
    )
    assert table_text(["ID", "Title"], [["a"], ["b"]], [False, True], 80, styled=False) == (
        "ID ┃ Title\n━━━╇━━━━━━\na  │ b    \n"
    )


def test_the_characters_measured_without_rich_are_as_wide_as_rich_says() -> None:
    """fast_table counts printable ASCII, the CJK blocks and the narrow blocks of everyday prose
    without importing rich: each code point it so counts has rich's own width, in its latest
    table (as when UNICODE_VERSION is unset) and in every Unicode version from 5.2 on."""
    from rich._unicode_data import VERSIONS
    from rich.cells import get_character_cell_size

    counted = [chr(cp) for cp in range(0x10000) if cells._counted_alone(chr(cp))]
    assert len(counted) > 27_000  # the blocks are there: ASCII, CJK ideographs, symbols, full-width forms
    assert {"é", "–", "·", "←", "“", "…"} <= set(counted) and "\u00ad" not in counted
    cells._char_cells.clear()
    for character in counted:
        cells._learn(character)
    widths = {c: cells._char_cells[c] for c in counted}
    assert widths == {c: get_character_cell_size(c, "latest") for c in counted}
    versions = [v for v in VERSIONS if tuple(map(int, v.split("."))) >= (5, 2)]
    assert all(get_character_cell_size(c, v) == widths[c] for c in counted for v in versions)
    assert cells.cell_len("截止日期 2026-03-01 周日") == 24 and cells.cell_len("ｆｕｌｌ") == 8


# `window --explain`'s table: a centred and a right-justified column that do not wrap, and a last
# column that wraps and folds a word too long for its line (rich's overflow "fold").
EXPLAIN_HEADERS = {
    "en": ["Date", "Day", "Business", "Count", "Why"],
    "zh": ["日期", "星期", "工作日", "计数", "原因"],
}
WHY_WORDS = [
    "Eid", "al-Fitr", "days", "in", "lieu", "(Fri", "20)", "weekend", "(Friday)", "← opens", "← deadline",
    "tentative", "开斋节", "调休上班", "https://www.pmo.gov.bh/en/article/a-very-long-circular-name-1447",
    "x" * 70, "国庆节（预计）很长很长很长很长很长很长很长很长很长", "  ", "Ünïcödé", "",
]  # fmt: skip


def _explain_case(rng: random.Random) -> tuple[int, list[str], list[list[str]], list[str]]:
    width = rng.choice([20, 30, 40, 50, 60, 79, 80, 100, 120, rng.randint(20, 200)])
    headers = EXPLAIN_HEADERS[rng.choice(["en", "zh"])]
    justify = ["left", "left", "center", "right"]  # of the columns that do not wrap
    if rng.random() < 0.3:
        justify = [rng.choice(["left", "center", "right"]) for _ in range(4)]
    rows = []
    for i in range(rng.choice([1, 3, 15, 40])):
        why = " ".join(rng.choice(WHY_WORDS) for _ in range(rng.choice([0, 1, 3, 8])))
        rows.append([
            f"2026-03-{i % 28 + 1:02d}",
            rng.choice(["Mon", "Tue", "周一", "周六", "Sat  "]),
            rng.choice(["yes", "no", "是", "否", "a very long business cell"]),
            rng.choice(["", "1", "15", "123456789012"]),
            why,
        ])  # fmt: skip
    return width, headers, rows, justify


def _rich_explain(
    width: int, mode: str, headers: list[str], rows: list[list[str]], justify: list[str]
) -> str:
    table = Table(show_edge=False, pad_edge=False)
    for header, align in zip(headers[:4], justify, strict=True):
        table.add_column(header, justify=align, no_wrap=True)  # type: ignore[arg-type]
    table.add_column(headers[4], overflow="fold")
    for row in rows:
        table.add_row(*row[:4], Text(row[4]))
    console = Console(file=io.StringIO(), width=width, soft_wrap=False, **MODES[mode])  # type: ignore[arg-type]
    with console.capture() as capture:
        console.print(table)
    return capture.get()


@pytest.mark.parametrize("mode", ["pipe", "standard", "no_color"])
@pytest.mark.parametrize("seed", range(150))
def test_justified_and_folded_columns_are_richs_own(seed: int, mode: str) -> None:
    width, headers, rows, justify = _explain_case(random.Random(seed))
    columns: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    if seed % 2:  # the columns that do not wrap given as list's are: keyed, side by side
        keys = [tuple(row[1:4]) for row in rows]
        columns[1:4] = [Keyed(keys, {k: k[i] for k in keys}) for i in range(3)]
    got = table_text(
        headers,
        columns,
        [False, False, False, False, True],
        width,
        styled=mode != "pipe",
        justify=[*justify, "left"],  # type: ignore[list-item]
        fold=[False, False, False, False, True],
    )
    want = _rich_explain(width, mode, headers, rows, justify)
    if got is None:  # left to rich: a header that wraps (or is cut)
        assert not all(h in want.splitlines()[0] for h in headers)
        return
    assert got == want


def test_the_justified_tables_reach_every_path() -> None:
    """The random tables above fold a word, wrap a row and leave a header to rich."""
    seen = set()
    for seed in range(150):
        width, headers, rows, justify = _explain_case(random.Random(seed))
        columns = [list(column) for column in zip(*rows, strict=True)]
        text = table_text(
            headers, columns, [False] * 4 + [True], width, styled=False,
            justify=[*justify, "left"], fold=[False] * 4 + [True],  # type: ignore[list-item]
        )  # fmt: skip
        if text is None:
            seen.add("header left to rich")
            continue
        seen.add("fits" if len(text.splitlines()) == len(rows) + 2 else "a row wraps")
        if any(len(w) > 40 for row in rows for w in row[4].split()) and width < 60:
            seen.add("a long word folded")
    assert seen >= {"header left to rich", "fits", "a row wraps", "a long word folded"}, seen


@pytest.mark.parametrize("justify", ["left", "center", "right"])
def test_a_justified_cell_too_wide_is_cut_as_rich_cuts_it(justify: str) -> None:
    # Cut under a header that fits, which the random tables above never reach.
    # Both columns narrowed alike (neither wraps), B's cells wider than its header.
    rows = [
        ["a very long cell value  ", "yyyyyyyy"],
        ["中文很长很长很长很长", "z"],
        ["ok", "w"],
        ["  x  ", "v"],
    ]
    columns = [list(column) for column in zip(*rows, strict=True)]
    cut = 0
    for width in range(8, 30):
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("A", justify=justify, no_wrap=True)  # type: ignore[arg-type]
        table.add_column("B", no_wrap=True)
        for row in rows:
            table.add_row(*row)
        console = Console(file=io.StringIO(), width=width, soft_wrap=False, color_system=None)
        with console.capture() as capture:
            console.print(table)
        got = table_text(
            ["A", "B"],
            columns,
            [False, False],
            width,
            styled=False,
            justify=[justify, "left"],  # type: ignore[list-item]
        )
        if got is None:  # left to rich: a header that does not fit
            assert "B" not in capture.get().splitlines()[0], width
            continue
        assert got == capture.get(), width
        cut += "…" in got
    assert cut >= 5
