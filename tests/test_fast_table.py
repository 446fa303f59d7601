"""fast_table.table_text prints what rich prints for the same table, or leaves it to rich.

Random tables, each compared byte for byte with rich's own rendering: without colours (a
pipe), and on a terminal with colours (the header's bold), at widths 40 to 200, with CJK
cells and headers, cells that wrap or are cut (the rows left to rich) and headers that wrap
(the tables left to rich).
"""

from __future__ import annotations

import io
import random

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
    """fast_table counts printable ASCII and the CJK blocks without importing rich: each code
    point it so counts has rich's own width (its latest table, as when UNICODE_VERSION is unset)."""
    from rich.cells import get_character_cell_size

    counted = [chr(cp) for cp in range(0x10000) if cells._counted_alone(chr(cp))]
    assert len(counted) > 27_000  # the blocks are there: ASCII, CJK ideographs, symbols, full-width forms
    cells._char_cells.clear()
    for character in counted:
        cells._learn(character)
    widths = {c: cells._char_cells[c] for c in counted}
    assert widths == {c: get_character_cell_size(c, "latest") for c in counted}
    assert cells.cell_len("截止日期 2026-03-01 周日") == 24 and cells.cell_len("ｆｕｌｌ") == 8
