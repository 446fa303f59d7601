"""What ``rich``'s ``Console.print(text)`` prints for one line of plain text, without importing rich.

``reminder list`` ends with a footnote printed the way rich prints a string: wrapped at the
console's width and, on a terminal with colours, highlighted by rich's ``ReprHighlighter``
(quoted strings green, brackets bold, numbers cyan…). Importing ``rich.console`` for that
one line would cost more than the whole table, so this module does the same three steps:
highlight (the highlighter's regular expressions and the default theme's ``repr.*``
styles), wrap (``_wrap.divide_line`` and ``Text.wrap``'s cropping) and write each run of
one style between its SGR codes, as rich's segments are written.

Ported from rich 15 (MIT licence, copyright Will McGugan): ``highlighter.ReprHighlighter``,
``default_styles`` (its ``repr.*`` entries), ``Text.highlight_regex``, ``Text.divide``,
``Text.render``, ``Style.combine`` and ``Style._make_ansi_codes``, ``_wrap.divide_line``.
Text with markup (``[``), an emoji code, a tab, a line break or a control character is
not handled here (:func:`plain_enough` says so): rich prints it. Widths of non-ASCII
text are rich's (:mod:`cells`). ``tests/test_fast_paragraph.py`` holds
the output equal to rich's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import pairwise

from .cells import cell_ends, cell_len, joined, line_breaks, set_cell_size

__all__ = ["has_emoji_code", "paragraph", "plain_enough", "read_literally"]

# ReprHighlighter.highlights, in order (rich/highlighter.py).
_HIGHLIGHTS = (
    r"(?P<tag_start><)(?P<tag_name>[-\w.:|]*)(?P<tag_contents>[\w\W]*)(?P<tag_end>>)",
    r'(?P<attrib_name>[\w_]{1,50})=(?P<attrib_value>"?[\w_]+"?)?',
    r"(?P<brace>[][{}()])",
    "|".join(
        (
            r"(?P<ipv4>[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})",
            r"(?P<ipv6>([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})",
            r"(?P<eui64>(?:[0-9A-Fa-f]{1,2}-){7}[0-9A-Fa-f]{1,2}|(?:[0-9A-Fa-f]{1,2}:){7}[0-9A-Fa-f]{1,2}|(?:[0-9A-Fa-f]{4}\.){3}[0-9A-Fa-f]{4})",
            r"(?P<eui48>(?:[0-9A-Fa-f]{1,2}-){5}[0-9A-Fa-f]{1,2}|(?:[0-9A-Fa-f]{1,2}:){5}[0-9A-Fa-f]{1,2}|(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4})",
            r"(?P<uuid>[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12})",
            r"(?P<call>[\w.]*?)\(",
            r"\b(?P<bool_true>True)\b|\b(?P<bool_false>False)\b|\b(?P<none>None)\b",
            r"(?P<ellipsis>\.\.\.)",
            r"(?P<number_complex>(?<!\w)(?:\-?[0-9]+\.?[0-9]*(?:e[-+]?\d+?)?)(?:[-+](?:[0-9]+\.?[0-9]*(?:e[-+]?\d+)?))?j)",
            r"(?P<number>(?<!\w)\-?[0-9]+\.?[0-9]*(e[-+]?\d+?)?\b|0x[0-9a-fA-F]*)",
            r"(?P<path>\B(/[-\w._+]+)*\/)(?P<filename>[-\w._+]*)?",
            r"(?<![\\\w])(?P<str>b?'''.*?(?<!\\)'''|b?'.*?(?<!\\)'|b?\"\"\".*?(?<!\\)\"\"\"|b?\".*?(?<!\\)\")",
            r"(?P<url>(file|https|http|ws|wss)://[-0-9a-zA-Z$_+!`(),.?/;:&=%#~@]*)",
        )
    ),
)

# Style attribute bits, as rich.style.Style numbers them.
_BOLD, _ITALIC, _UNDERLINE = 1, 4, 8
_CODES = ((1, "1"), (2, "2"), (4, "3"), (8, "4"))

# The default theme's repr.* styles: (attributes on, attributes set, colour's SGR code).
# "not bold" sets the bit with the attribute off: it cancels an enclosing bold.
_STYLES: dict[str, tuple[int, int, str | None]] = {
    "ellipsis": (0, 0, "33"),
    "str": (0, _BOLD | _ITALIC, "32"),
    "brace": (_BOLD, _BOLD, None),
    "ipv4": (_BOLD, _BOLD, "92"),
    "ipv6": (_BOLD, _BOLD, "92"),
    "eui48": (_BOLD, _BOLD, "92"),
    "eui64": (_BOLD, _BOLD, "92"),
    "tag_start": (_BOLD, _BOLD, None),
    "tag_name": (_BOLD, _BOLD, "95"),
    "tag_contents": (0, 0, "39"),
    "tag_end": (_BOLD, _BOLD, None),
    "attrib_name": (0, _ITALIC, "33"),
    "attrib_value": (0, _ITALIC, "35"),
    "number": (_BOLD, _BOLD | _ITALIC, "36"),
    "number_complex": (_BOLD, _BOLD | _ITALIC, "36"),
    "bool_true": (_ITALIC, _ITALIC, "92"),
    "bool_false": (_ITALIC, _ITALIC, "91"),
    "none": (_ITALIC, _ITALIC, "35"),
    "url": (_UNDERLINE, _UNDERLINE | _ITALIC | _BOLD, "94"),
    "uuid": (0, _BOLD, "93"),
    "call": (_BOLD, _BOLD, "35"),
    "path": (0, 0, "35"),
    "filename": (0, 0, "95"),
}

Span = tuple[int, int, str]


def plain_enough(text: str) -> bool:
    """Whether :func:`paragraph` prints ``text`` as rich does: one printable line without
    markup or an emoji code (each of which rich reads), nor characters joined into one."""
    # Joined characters (an emoji variation selector is printable) are measured by rich only.
    return text.isprintable() and "[" not in text and not has_emoji_code(text) and not joined(text)


def read_literally(markup: Iterable[str], text: Iterable[str] = ()) -> bool:
    """Whether rich prints these table cells as they are: every one printable, and none of the
    ``markup`` ones (a str cell or a header, which rich reads as markup and emoji codes; ``text``
    are rich Text, read literally) holding a "[" or an emoji code. Else rich lays the table out."""
    marked = " ".join(markup)
    return (
        marked.isprintable()
        and "".join(text).isprintable()
        and "[" not in marked
        and not has_emoji_code(marked)
    )


def has_emoji_code(text: str) -> bool:
    """Whether rich's emoji replacement (``:\\S*?:``) could find a code in ``text``: two colons
    with no whitespace between them. (Without ``re``, which the piped list never imports.)"""
    return ":" in text and any(word.count(":") > 1 for word in text.split())


def _highlight(text: str) -> list[Span]:
    """``Text.highlight_regex`` for each of ReprHighlighter's expressions: the spans, in order."""
    import re

    spans: list[Span] = []
    for expression in _HIGHLIGHTS:
        for match in re.finditer(expression, text):
            for name in match.groupdict():
                start, end = match.span(name)
                if start != -1 and end > start:
                    spans.append((start, end, name))
    return spans


def _lines(text: str, width: int, spans: list[Span]) -> Iterator[tuple[str, list[Span]]]:
    """``Text.wrap`` at ``width`` (justify "default", overflow "fold"): each line with its spans."""
    offsets = [0, *line_breaks(text, width, fold=True, ends=cell_ends(text)), len(text)]
    for start, end in pairwise(offsets):
        line = text[start:end]
        line_spans = [
            (max(0, s - start), min(e - start, end - start), name)
            for s, e, name in spans
            if min(e - start, end - start) > max(0, s - start)
        ]
        # Text.rstrip_end: trailing whitespace beyond the width (counted in characters), then
        # Text.truncate: what is still wider than the width (in cells).
        if len(line) > width:
            trailing = len(line) - len(line.rstrip())
            line = line[: len(line) - min(trailing, len(line) - width)]
        if cell_len(line) > width:
            line = set_cell_size(line, width)
        line_spans = [(s, min(e, len(line)), name) for s, e, name in line_spans if s < len(line)]
        yield line, line_spans


def _sgr(style_ids: list[int], spans: list[Span], colours: bool) -> str:
    """The SGR parameters of the spans' styles combined in order (Style.combine), or ""."""
    on = is_set = 0
    colour: str | None = None
    for index in style_ids:
        style = _STYLES.get(spans[index][2])
        if style is None:
            continue
        attributes, set_bits, style_colour = style
        on = (on & ~set_bits) | (attributes & set_bits)
        is_set |= set_bits
        colour = style_colour or colour
    codes = [code for bit, code in _CODES if on & is_set & bit]
    if colours and colour is not None:
        codes.append(colour)
    return ";".join(codes)


def _render(line: str, spans: list[Span], colours: bool) -> str:
    """``Text.render`` then each segment written as rich writes it (``Style.render``)."""
    if not spans:
        return line
    events = sorted(
        [
            (0, False, -1),
            *((s, False, i) for i, (s, _e, _n) in enumerate(spans)),
            *((e, True, i) for i, (_s, e, _n) in enumerate(spans)),
            (len(line), True, -1),
        ],
        key=lambda event: (event[0], event[1]),
    )
    out: list[str] = []
    stack: list[int] = []
    for (offset, leaving, index), (next_offset, _l, _i) in pairwise(events):
        if index >= 0:
            if leaving:
                stack.remove(index)
            else:
                stack.append(index)
        if next_offset > offset:
            piece = line[offset:next_offset]
            codes = _sgr(sorted(stack), spans, colours)
            out.append(f"\x1b[{codes}m{piece}\x1b[0m" if codes else piece)
    return "".join(out)


def paragraph(text: str, width: int, *, styled: bool, colours: bool = True) -> str:
    """``text`` as ``Console(width=width).print(text)`` writes it, ending in a newline: wrapped,
    and highlighted when ``styled`` (a terminal), without colours where ``colours`` is false
    (``NO_COLOR``: bold and italic stay). ``text`` must be :func:`plain_enough`."""
    if not styled:  # rich highlights only what it writes with escape codes
        return "".join(line + "\n" for line, _spans in _lines(text, width, []))
    return "".join(
        _render(line, spans, colours) + "\n" for line, spans in _lines(text, width, _highlight(text))
    )
