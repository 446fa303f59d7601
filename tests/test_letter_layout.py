"""Arabic letters as a reader sees them on the PDF page: left-to-right items keep their order.

A right-to-left page reorders the runs of a line by the Unicode bidirectional algorithm, and a
phone number, an ISO date or a Chinese summary caught in it can come out backwards ("0000 3600
973+", "03:00+ 10:15"). The markup alone cannot show that, so these tests let WeasyPrint lay the
letter out and read each line back in the order its glyphs are drawn, left to right: the text
boxes by their position on the line, and inside each box Pango's runs in visual order (a
right-to-left run's characters reversed). That is what ends up in the PDF; ``pdftotext`` is no
judge of it, as it puts right-to-left text back into logical order itself.

Each layout costs about a second, so the two letters are laid out once for the module. The tests
skip, saying why, where WeasyPrint or Pango is missing, and fail under CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from test_letters import ENTRIES, entry, facts

from reminder.letter_render import to_html
from reminder.letter_template import render
from reminder.pdf import layout

PHONE = "+973 3600 0000"
# The summaries the user typed in Chinese, with full-width commas and times: one as the user wrote
# it, one that starts with a time, so a line of it starts with digits wherever the cell breaks.
CORRECTION = "更正：通话是在 3 月 15 日 10:40，不是 10:30"
CALL = "10:40 致电 Batelco 热线 196，提交注销申请，编号 BT-48213"
LOG = (
    *ENTRIES,
    entry(4, "note", CORRECTION, datetime(2026, 3, 22, 7, 15, tzinfo=UTC), "4c" * 32, corrects=1),
    entry(5, "call", CALL, datetime(2026, 3, 23, 7, 40, tzinfo=UTC), "5b" * 32),
)


def _weasyprint_loads() -> bool:
    r = subprocess.run([sys.executable, "-c", "import weasyprint"], capture_output=True)
    return r.returncode == 0


@pytest.fixture(scope="module", autouse=True)
def _weasyprint() -> None:
    if not _weasyprint_loads():
        message = "the PDF layout tests need weasyprint (pip install -e '.[test]') with Pango (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _drawn(box: Any) -> str:
    """The text of one text box in the order its glyphs are drawn, left to right."""
    from weasyprint.text.ffi import ffi

    pango = box.pango_layout
    pango.reactivate(box.style)  # the layout keeps its text, and Pango's objects only while drawing
    try:
        line, _ = pango.get_first_line()
        data = pango.text.encode()
        runs: list[str] = []
        run = line.runs[0]
        while run != ffi.NULL:  # Pango's runs of the line, in visual order
            item = run.data.item
            text = data[item.offset : item.offset + item.length].decode()
            runs.append(text[::-1] if item.analysis.level % 2 else text)
            run = run.next
        return "".join(runs)
    finally:
        pango.deactivate()


def _text_boxes(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child)


def _lines(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.LineBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _lines(child)


class Page:
    """The lines of a laid-out document as drawn, and the text boxes on them."""

    def __init__(self, document: Any) -> None:
        self.lines: list[str] = []  # each line as drawn, left to right
        self.boxes: list[tuple[str, str]] = []  # each text box: (its text as typed, as drawn)
        self.pages = len(document.pages)
        for page in document.pages:
            for line in _lines(page._page_box):
                texts = list(_text_boxes(line))  # in the order they were typed
                drawn = {id(b): _drawn(b) for b in texts}
                self.lines.append("".join(drawn[id(b)] for b in sorted(texts, key=lambda b: b.position_x)))
                self.boxes += [(b.text, drawn[id(b)]) for b in texts]

    def pieces_of(self, typed: str) -> list[tuple[str, str]]:
        """The text boxes that together hold ``typed`` (split where lines break), in order."""
        want = typed.replace(" ", "")
        for i in range(len(self.boxes)):
            got = ""
            for j in range(i, len(self.boxes)):
                got += self.boxes[j][0].replace(" ", "")
                if got == want:
                    return self.boxes[i : j + 1]
                if not want.startswith(got):
                    break
        raise AssertionError((typed, self.boxes))

    def line_with(self, *parts: str) -> str:
        found = [line for line in self.lines if all(p in line for p in parts)]
        assert found, (parts, self.lines)
        return found[0]


def _laid_out(to: str) -> Page:
    r = render(facts(to, "ar", entries=LOG))
    return Page(layout(to_html(r), lang=r.lang))


@pytest.fixture(scope="module")
def regulator() -> Page:
    return _laid_out("regulator")


@pytest.fixture(scope="module")
def organisation() -> Page:
    return _laid_out("organisation")


def _arabic(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _has_order(text: str) -> bool:
    # Letters or digits: text whose order can be wrong (a lone bullet or bracket cannot).
    return any(unicodedata.bidirectional(c) in ("L", "EN", "AN") for c in text)


def test_the_phone_number_reads_left_to_right_in_the_table_and_the_signature(
    regulator: Page, organisation: Page
) -> None:
    table = regulator.line_with("3600")
    assert PHONE in table, table
    signature = organisation.line_with("3600")
    assert PHONE in signature, signature
    # ... and so does the account number, a phone number in the middle of an Arabic sentence.
    assert "+973 3900 4242" in regulator.line_with("3900"), regulator.line_with("3900")


def test_timestamps_and_iso_dates_keep_their_order(regulator: Page) -> None:
    # 2026-03-22 07:15 UTC is 10:15 in Bahrain: the stamp shows the time and its offset from UTC.
    stamps = [line for line in regulator.lines if "+03:00" in line or "03:00+" in line]
    assert stamps and all("+03:00" in line and "03:00+" not in line for line in stamps), stamps
    assert "10:15 +03:00" in regulator.line_with("10:15")
    # The ISO date the letter adds after the Arabic one, in a sentence and in the table.
    for iso in ("2026-03-01", "2026-03-19"):
        assert iso in regulator.line_with(iso[:4], iso[-2:]), regulator.line_with(iso[:4], iso[-2:])


def test_chinese_summaries_keep_their_order_and_their_commas(regulator: Page, organisation: Page) -> None:
    for page in (regulator, organisation):
        for typed in (CORRECTION, CALL):
            pieces = page.pieces_of(typed)
            # Line by line as typed ("10:40，不是 10:30", not "不是 10:30，10:40"; no piece
            # starting with the comma that ended the line before), and all of it in order.
            assert [drawn for _text, drawn in pieces] == [text for text, _drawn in pieces], pieces
            assert "".join(drawn for _text, drawn in pieces).replace(" ", "") == typed.replace(" ", "")


def test_every_left_to_right_run_is_drawn_as_typed(regulator: Page, organisation: Page) -> None:
    for page in (regulator, organisation):
        wrong = [(text, drawn) for text, drawn in page.boxes if not _arabic(text) and _has_order(text)]
        wrong = [(text, drawn) for text, drawn in wrong if text != drawn]
        assert not wrong, wrong


def test_the_page_counter_reads_page_of_pages(regulator: Page) -> None:
    # "2 / 3" on the second of three pages, as in a left-to-right letter, not "3 / 2".
    assert regulator.pages > 1
    counters = [line for line in regulator.lines if " / " in line and line[:1].isdigit()]
    assert counters == [f"{n} / {regulator.pages}" for n in range(1, regulator.pages + 1)], counters


def test_a_number_or_address_after_a_channels_name_keeps_its_order() -> None:
    """A known channel is said in Arabic and what the user typed after its name is kept: a phone
    number there came out as "0000 1700 973+" inside the Arabic sentence and table cell. So did
    a channel reminder does not know, typed with a number."""
    from test_letters import case, facts

    for channels in (("phone +973 1700 0000", "e-mail cs@batelco.example"), ("WhatsApp +973 3300 0000",)):
        for to in ("organisation", "regulator"):
            r = render(facts(to, "ar", c=case(channels=channels), entries=LOG))
            page = Page(layout(to_html(r), lang=r.lang))
            # Each typed text, and a piece of it no other line of the letter has.
            pieces = (("+973 1700 0000", "1700"), ("cs@batelco.example", "cs@"), ("+973 3300 0000", "3300"))
            for typed, piece in pieces:
                if any(typed in c for c in channels):
                    line = page.line_with(piece).replace("\u2068", "").replace("\u2069", "")
                    assert typed in line, (to, typed, line)
