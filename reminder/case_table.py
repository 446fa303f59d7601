"""``reminder list``'s table of cases: the text to print, as rich would print it.

The table was rich's (``Console(soft_wrap=False).print(table)``) and its output stays
byte for byte the same, but rich is no longer imported for it: :mod:`fast_table` lays
the table out with rich's algorithm and :mod:`fast_paragraph` writes the footnote. This
module reads what rich's ``Console`` would read from the environment — the width, whether
stdout is a terminal, its colours, ``NO_COLOR`` — (:func:`console_setup`, ported from rich
15's ``Console``, MIT licence, copyright Will McGugan), turns the cases into cells, each
distinct date and days-left value formatted once, and leaves the whole table to rich only
where it cannot answer for rich: Windows, Jupyter, IDLE, an encoding that is not UTF-8, a
width under 20 columns, a header that wraps, text rich would read as markup.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections import namedtuple
from collections.abc import Mapping

from .cli_labels import case_status, days_left_text
from .i18n import _, format_date, ngettext, pgettext
from .terminal import escape_controls

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date
    from typing import NamedTuple

    from .case_lines import CaseColumns
    from .fast_table import Column


__all__ = ["ConsoleSetup", "cases_table", "cases_table_chunks", "console_setup", "left_text"]

# rich.console._TERM_COLORS: the colour system a $TERM suffix names (anything else: standard).
_TERM_COLORS = {"kitty": "256", "256color": "256", "16color": "standard"}


if TYPE_CHECKING:

    class _ConsoleSetupFields(NamedTuple):
        width: int
        color_system: str | None
        no_color: bool

else:
    _ConsoleSetupFields = namedtuple("ConsoleSetup", "width color_system no_color")


class ConsoleSetup(_ConsoleSetupFields):
    """What ``rich.console.Console()`` would find: its width, colour system (None: no
    escape codes at all) and ``no_color`` (colours dropped, bold kept)."""

    __slots__ = ()


def console_setup(environ: Mapping[str, str] | None = None) -> ConsoleSetup | None:
    """``Console(soft_wrap=False)``'s width and colours for stdout, or None where only rich
    knows (Windows, Jupyter, IDLE, a stdout that is not UTF-8, a width under 20)."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return None
    stdin_module = getattr(sys.stdin, "__module__", None)
    if isinstance(stdin_module, str) and stdin_module.startswith("idlelib"):
        return None
    out = sys.stdout
    if out is None or not (getattr(out, "encoding", "utf-8") or "utf-8").lower().startswith("utf"):
        return None
    # Console.is_terminal
    tty_compatible = env.get("TTY_COMPATIBLE", "")
    force_color = env.get("FORCE_COLOR")
    if tty_compatible in ("0", "1"):
        is_terminal = tty_compatible == "1"
    elif force_color is not None:
        is_terminal = force_color != ""
    else:
        try:
            is_terminal = bool(out.isatty())
        except (ValueError, AttributeError):
            is_terminal = False
    is_dumb = is_terminal and env.get("TERM", "").lower() in ("dumb", "unknown")
    # Console.__init__ and Console.size
    columns, lines = env.get("COLUMNS"), env.get("LINES")
    fixed_width = int(columns) if columns is not None and columns.isdigit() else None
    fixed_height = lines is not None and lines.isdigit()
    if fixed_width is not None and fixed_height:
        width = fixed_width
    elif is_dumb:
        width = 80
    else:
        detected = 0
        for stream in (sys.__stdin__, sys.__stdout__, sys.__stderr__):
            try:
                detected = os.get_terminal_size(stream.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                continue
            break
        width = fixed_width if fixed_width is not None else (detected or 80)
    if width < 20:
        return None
    # Console._detect_color_system
    color_system: str | None
    if not is_terminal or is_dumb:
        color_system = None
    elif env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        color_system = "truecolor"
    else:
        color_system = _TERM_COLORS.get(env.get("TERM", "").strip().lower().rpartition("-")[2], "standard")
    return ConsoleSetup(width, color_system, env.get("NO_COLOR", "") != "")


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
    from .fast_paragraph import has_emoji_code, paragraph, plain_enough
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
    literal = "".join(titles).isprintable() and "".join(organisations).isprintable()
    for texts in (headers, cases.ids, *(distinct_texts(c) for c in columns[3:])):
        joined = " ".join(texts)
        literal = literal and joined.isprintable() and "[" not in joined and not has_emoji_code(joined)
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
