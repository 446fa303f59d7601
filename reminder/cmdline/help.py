"""``--help``: the usage line, the command's description, its options and its commands,
wrapped to the terminal as click lays them out (reminder's help read so before).

Imported only when a help is shown.
"""

from __future__ import annotations

from textwrap import TextWrapper

from .params import Argument
from .words import tr

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .core import Command, Context, Group

__all__ = ["HelpFormatter", "cleandoc", "render_help", "short_help", "wrap_text"]

# The options table's first column is at most this wide; longer entries put their help below.
COL_MAX = 30
COL_SPACING = 2


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` as Python 3.11 has it: a docstring without its first line's leading
    whitespace, the common indent of the other lines, and blank lines at either end (tabs
    expanded). (Later Pythons strip only spaces there; the commands' help is indented with
    spaces alone, so both give the same text.)

    Its own copy because ``inspect`` imports ``ast``, ``dis`` and ``linecache``: 4-5 ms of every
    help page, which needs this one function of it (tests/test_cmdline holds the two equal)."""
    lines = doc.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.lstrip()]
    margin = min(indents, default=0)
    lines = [lines[0].lstrip(), *(line[margin:] for line in lines[1:])]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def _wrapper(width: int, initial: str = "", subsequent: str = "") -> TextWrapper:
    return TextWrapper(width, initial_indent=initial, subsequent_indent=subsequent, replace_whitespace=False)


def wrap_text(
    text: str, width: int, initial: str = "", subsequent: str = "", paragraphs: bool = False
) -> str:
    """``text`` wrapped to ``width``. With ``paragraphs``, each paragraph (blank-line separated)
    is wrapped on its own, keeping its indent, and one that starts with a ``\\b`` line is
    kept as written."""
    text = text.expandtabs()
    if not paragraphs:
        return _wrapper(width, initial, subsequent).fill(text)
    found: list[tuple[int, bool, str]] = []
    lines: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if lines:
            if lines[0].strip() == "\b":
                found.append((indent or 0, True, "\n".join(lines[1:])))
            else:
                found.append((indent or 0, False, " ".join(lines)))
            lines.clear()

    for line in text.splitlines():
        if not line:
            flush()
            indent = None
            continue
        if indent is None:
            stripped = line.lstrip()
            indent, line = len(line) - len(stripped), stripped
        lines.append(line)
    flush()
    out = []
    for extra, raw, paragraph in found:
        first, rest = initial + " " * extra, subsequent + " " * extra
        if raw:
            out.append(
                "\n".join((first if i == 0 else rest) + ln for i, ln in enumerate(paragraph.splitlines()))
            )
        else:
            out.append(_wrapper(width, first, rest).fill(paragraph))
    return "\n\n".join(out)


class HelpFormatter:
    """Collects a help page: headed, indented sections and two-column tables."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.indent = 0
        self.buffer: list[str] = []

    def write(self, text: str) -> None:
        self.buffer.append(text)

    def write_usage(self, prog: str, args: str) -> None:
        prefix = f"{tr('Usage:')} "
        usage_prefix = f"{prefix:>{self.indent}}{prog} "
        text_width = self.width - self.indent
        if not args:
            self.write(usage_prefix.rstrip(" ") + "\n")
            return
        if text_width >= len(usage_prefix) + 20:
            self.write(wrap_text(args, text_width, usage_prefix, " " * len(usage_prefix)))
        else:
            indent = " " * (max(self.indent, len(prefix)) + 4)
            self.write(usage_prefix + "\n" + wrap_text(args, text_width, indent, indent))
        self.write("\n")

    def paragraph(self) -> None:
        if self.buffer:
            self.write("\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.indent
        self.write(wrap_text(text, self.width, indent, indent, paragraphs=True) + "\n")

    def section(self, heading: str, rows: list[tuple[str, str]]) -> None:
        self.paragraph()
        self.write(f"{'':>{self.indent}}{heading}:\n")
        self.indent += 2
        self.write_dl(rows)
        self.indent -= 2

    def write_dl(self, rows: Iterable[tuple[str, str]]) -> None:
        rows = list(rows)
        first_col = min(max(len(first) for first, _s in rows), COL_MAX) + COL_SPACING
        for first, second in rows:
            self.write(f"{'':>{self.indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if len(first) <= first_col - COL_SPACING:
                self.write(" " * (first_col - len(first)))
            else:
                self.write("\n" + " " * (first_col + self.indent))
            lines = wrap_text(second, max(self.width - first_col - 2, 10), paragraphs=True).splitlines()
            if lines:
                self.write(lines[0] + "\n")
                for line in lines[1:]:
                    self.write(f"{'':>{first_col + self.indent}}{line}\n")
            else:
                self.write("\n")

    def getvalue(self) -> str:
        return "".join(self.buffer)


def _usage_args(command: Command, ctx: Context) -> str:
    pieces = ["[OPTIONS]"]
    for param in command.get_params(ctx):
        pieces.extend(param.usage_pieces())
    if command.is_group:
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def short_help(command: Command, limit: int = 45) -> str:
    """A command's line in its group's list: its ``short_help``, else its help's first sentence."""
    if command.short_help:
        return cleandoc(command.short_help).strip()
    words = (command.help or "").partition("\n\n")[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    for i, word in enumerate(words):
        # A period ends the sentence unless a lower-case word follows ("vs. them").
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            words = words[: i + 1]
            break
    text = " ".join(words)
    if len(text) <= limit:
        return text
    if limit < 3:
        return "..."
    import textwrap

    return textwrap.shorten(text, limit, placeholder="...", break_on_hyphens=False)


def render_help(command: Command, ctx: Context) -> str:
    """The whole ``--help`` page of ``command``."""
    formatter = HelpFormatter(ctx.help_width())
    formatter.write_usage(ctx.command_path, _usage_args(command, ctx))
    text = cleandoc(command.help).partition("\f")[0] if command.help else ""
    if text:
        formatter.paragraph()
        formatter.indent += 2
        formatter.write_text(text)
        formatter.indent -= 2
    params = command.get_params(ctx)
    arguments = [p for p in params if isinstance(p, Argument)]
    if any(a.help is not None for a in arguments):
        formatter.section(tr("Positional arguments"), [r for a in arguments if (r := a.help_record(ctx))])
    options = [r for p in params if not isinstance(p, Argument) and (r := p.help_record(ctx))]
    if options:
        formatter.section(tr("Options"), options)
    if command.is_group:
        group: Group = command  # type: ignore[assignment]
        commands = []
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            if sub is not None:
                commands.append((name, sub))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _c in commands)
            formatter.section(tr("Commands"), [(name, short_help(sub, limit)) for name, sub in commands])
    return formatter.getvalue().rstrip("\n")
