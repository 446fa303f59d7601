"""``reminder list``'s table of cases: the text to print, as rich would print it.

The table was rich's (``Console(soft_wrap=False).print(table)``) and its output stays
byte for byte the same, but rich is no longer imported for it: :mod:`fast_table` lays
the table out with rich's algorithm and :mod:`fast_paragraph` writes the footnote, for
the terminal rich's ``Console`` would find (:mod:`console_setup`). This module turns the
cases into cells, each distinct date and days-left value formatted once, and leaves the
whole table to rich only where it cannot answer for rich: Windows, Jupyter, IDLE, an
encoding that is not UTF-8, a width under 20 columns, a header that wraps, text rich would
read as markup.
"""

from __future__ import annotations

from itertools import chain

from .cli_labels import case_status, days_left_text
from .console_setup import ConsoleSetup, console_setup
from .i18n import _, format_date, ngettext, pgettext
from .terminal import escape_controls

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date

    from .case_lines import CaseColumns
    from .fast_table import Column


__all__ = ["ConsoleSetup", "cases_table", "cases_table_chunks", "console_setup", "left_text"]


def left_text(status: str, opens: date | None, deadline: date | None, today: date) -> str:
    """The list's "Left" column: closed, before the window opens, or the days to the deadline."""
    if status == "closed":
        return case_status("closed")
    if opens is not None and today < opens:
        days = (opens - today).days
        return (
            _("opens tomorrow") if days == 1 else ngettext("opens in %(n)d day", "opens in %(n)d days", days)
        )
    return days_left_text(None if deadline is None else (deadline - today).days)  # as CaseLine.days_left


def cases_table(cases: CaseColumns) -> str:
    """``reminder list``'s table (and its footnote on tentative deadlines), as text to write."""
    return "".join(cases_table_chunks(cases))


def cases_table_chunks(cases: CaseColumns) -> Iterator[str]:
    """:func:`cases_table`'s text in pieces to write one after the other."""
    from .fast_paragraph import paragraph, plain_enough, read_literally
    from .fast_table import Keyed, distinct_texts, table_chunks

    setup = console_setup()
    width = setup.width if setup is not None else _rich_width()
    # Titles are what people scan for: at 80 columns the window's opening goes into "Left"
    # ("opens in 3 days") instead of a column of its own, which would leave titles 5 wide.
    with_opens = width >= 110
    names = ["ID", "Title", "Organisation", *(["Opens"] if with_opens else []), "Deadline", "Left"]
    headers = [_header(name) for name in names]

    # The dates and days left are written once per state of a case (its key), each
    # distinct date once: a few hundred over 10,000 cases.
    dates: dict[date | None, str] = {None: ""}

    def compact(d: date | None) -> str:
        text = dates.get(d)
        if text is None:
            text = dates[d] = format_date(d, style="compact")  # type: ignore[arg-type]
        return text

    states = cases.states.items()
    titles, organisations = _shown(cases.titles), _shown(cases.organisations)
    columns: list[Column] = [cases.ids, titles, organisations]
    if with_opens:
        columns.append(Keyed(cases.keys, {key: compact(s.opens) for key, s in states}))
    columns.append(
        Keyed(cases.keys, {key: compact(s.deadline) + ("?" if s.tentative else "") for key, s in states})
    )
    columns.append(
        Keyed(cases.keys, {key: left_text(s.status, s.opens, s.deadline, s.today) for key, s in states})
    )
    wrapable = [name in ("Title", "Organisation") for name in names]
    # Title and Organisation are rich Text, read literally; the other cells were str, which
    # rich reads as markup (and emoji codes): those are left to rich, as is what is not printable.
    markup = chain(headers, cases.ids, *(distinct_texts(c) for c in columns[3:]))
    literal = read_literally(markup, chain(titles, organisations))
    footnote = (
        _("? tentative: counts across a holiday not yet announced ('reminder show ID' says which)")
        if any(s.tentative for s in cases.states.values())
        else None
    )
    chunks = None
    if setup is not None and literal and (footnote is None or plain_enough(footnote)):
        chunks = table_chunks(headers, columns, wrapable, width, styled=setup.color_system is not None)
    if chunks is None or setup is None:
        yield _rich_table(headers, columns, wrapable, footnote)
        return
    yield from chunks
    if footnote is not None:
        yield paragraph(footnote, width, styled=setup.color_system is not None, colours=not setup.no_color)


def _shown(texts: Sequence[str]) -> Sequence[str]:
    """Text typed by the user, as the table shows it: control characters escaped (rarely any)."""
    if "".join(texts).isprintable():
        return texts
    return [escape_controls(t) for t in texts]


def _header(name: str) -> str:
    # pgettext's message ids must be literal for the catalogue's extractor.
    return {
        "ID": pgettext("column", "ID"),
        "Title": pgettext("column", "Title"),
        "Organisation": pgettext("column", "Organisation"),
        "Opens": pgettext("column", "Opens"),
        "Deadline": pgettext("column", "Deadline"),
        "Left": pgettext("column", "Left"),
    }[name]


def _rich_width() -> int:
    from rich.console import Console

    return Console(soft_wrap=False).width


def _rich_table(
    headers: Sequence[str], columns: Sequence[Column], wrapable: Sequence[bool], footnote: str | None
) -> str:
    """The table (and footnote) as rich itself prints it, captured: for what rich alone knows."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(soft_wrap=False)
    table = Table(show_edge=False, pad_edge=False)
    for header, wrap in zip(headers, wrapable, strict=True):
        table.add_column(header, no_wrap=not wrap, ratio=2 if wrap and header == headers[1] else None)
    from .fast_table import Keyed

    cells = [column.each() if isinstance(column, Keyed) else column for column in columns]
    for row in zip(*cells, strict=True):
        table.add_row(*(Text(cell) if wrap else cell for cell, wrap in zip(row, wrapable, strict=True)))
    with console.capture() as capture:
        console.print(table)
        if footnote is not None:
            console.print(footnote)
    return capture.get()
