"""``--help`` and the command line's own words in the user's language.

Two kinds of text on the command line are not reminder's messages:

- **the commands' help**: docstrings and ``help=`` texts, read when the decorators run,
  at import, long before the user's language is known. They stay English in the code
  (the English is the msgid) and are translated when the help is rendered:
  :class:`TranslatedHelp` lends each command, option and subcommand its translated help
  for the time the help is rendered. :func:`extract` puts them into the catalogue
  (``babel.cfg`` runs it on the cli package).
- **the command line's own words**: "Usage:", "Options", "Missing option", "Show this
  message and exit." (``reminder/cmdline``), translated as they are written, with the
  context ``cli`` (:mod:`reminder.cmdline.words`); :func:`cli_messages` lists them for the
  extractor.

English is answered without a catalogue: the English help is the source's, byte for byte.
"""

from __future__ import annotations

from . import cmdline
from .cmdline.words import tr as cli_gettext
from .i18n import SOURCE_LANGUAGE, current_language, npgettext, pgettext

# Not typing's, and re only where used: every command imports this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["TranslatedHelp", "cli_messages", "extract"]

# The marker before a docstring's example block ("\b": keep the lines as written).
EXAMPLE = "\b\nExample:"


def cli_messages() -> None:
    """The command line's own messages (``reminder/cmdline``), for the extractor: never called.

    In the ``{name}`` style of ``str.format``, which fills them, with the context ``cli``
    (``cmdline.words.CONTEXT``, spelled out: the extractor reads literals only);
    tests/test_cli_zh.py checks that reminder/cmdline still says each of them.
    """
    pgettext("cli", "Usage:")
    pgettext("cli", "Options")
    pgettext("cli", "Commands")
    pgettext("cli", "Positional arguments")
    pgettext("cli", "Show this message and exit.")
    pgettext("cli", "Show the version and exit.")
    pgettext("cli", "%(prog)s, version %(version)s")
    pgettext("cli", "Error: invalid input")
    pgettext("cli", "Missing argument {name}.")
    pgettext("cli", "Missing option {name}.")
    pgettext("cli", "Missing command.")
    pgettext("cli", "Choose from:\n\t{choices}")
    pgettext("cli", "No such option {name!r}.")
    pgettext("cli", "No such command {name!r}.")
    pgettext("cli", "Option {name!r} does not take a value.")
    pgettext("cli", "Invalid value: {message}")
    pgettext("cli", "Invalid value for {param_hint}: {message}")
    pgettext("cli", "must not be empty")
    pgettext("cli", "{value!r} is not a valid {number_type}.")
    pgettext("cli", "integer range")
    pgettext("cli", "{value} is not in the range {range}.")
    pgettext("cli", "{name} {filename!r} is a directory.")
    pgettext("cli", "file")
    pgettext("cli", "path")
    pgettext("cli", "default: {default}")
    pgettext("cli", "required")
    pgettext("cli", ", ")
    pgettext("cli", "{message} {hint}")
    npgettext("cli", "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    npgettext("cli", "Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
    npgettext("cli", "{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    npgettext(
        "cli", "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1
    )


# --- the commands' help ---------------------------------------------------------------------------


def translate_help(text: str, width: int | None = None) -> str:
    """A command's help (its docstring as the command keeps it) in the current language: the prose
    translated (and wrapped to ``width`` columns), the example block's commands kept as written
    and their comments translated."""
    from .cmdline.help import cleandoc

    text = cleandoc(text)
    prose, marker, examples = text.partition(EXAMPLE)
    translated = pgettext("help", prose.strip()) if prose.strip() else ""
    if width is not None:
        translated = wrap(translated, width)
    if not marker:
        return translated
    lines = []
    for line in examples.split("\n"):
        command, comment = _example_comment(line)
        lines.append(f"{command}{COMMENT}{pgettext('help', comment)}" if comment else line)
    return f"{translated}\n\n\b\n{pgettext('help', 'Example:')}" + "\n".join(lines)


# An example's comment follows its command after at least two spaces ("reminder daemon  # …").
COMMENT = "# "


def _example_comment(line: str) -> tuple[str, str]:
    """An example line split into what precedes its comment and the comment's text ("" if none)."""
    at = line.find("  " + COMMENT)
    if at < 0:
        return line, ""
    at = line.index(COMMENT, at)
    return line[:at], line[at + len(COMMENT) :].strip()


_CLOSING = frozenset("，。、；：！？）》」』】,.;:!?)")


def _columns(text: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` terminal columns, each paragraph marked for the help to keep
    as wrapped ("\\b"). The help wraps by characters, and a Chinese character takes two columns:
    its own wrapping would run Chinese lines twice as wide as the terminal."""
    import re
    from unicodedata import east_asian_width

    width = max(width, 20) - 2  # room for the closing punctuation a line keeps
    out = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b\n"):
            out.append(paragraph)
            continue
        joined = ""
        for line in paragraph.splitlines():
            line = line.strip()
            wide = (
                joined
                and line
                and (east_asian_width(joined[-1]) in "WF" or east_asian_width(line[0]) in "WF")
            )
            joined += line if not joined or wide else " " + line
        # Break between Chinese characters, or at a space; never inside a Latin word, nor inside
        # a placeholder with a space in it ("<config dir>/templates/…" is one path to type).
        tokens = re.findall(r"(?:<[^<>\n]+>|[A-Za-z0-9_./:'\"%()\[\]<>=@+*-])+|\s+|.", joined)
        lines, current = [], ""
        for token in tokens:
            # Closing punctuation stays on its line: a line does not start with "）" or "。".
            if _columns(current + token) > width and current.strip() and token not in _CLOSING:
                lines.append(current.rstrip())
                current = token.lstrip()
            else:
                current += token
        if current.strip():
            lines.append(current.rstrip())
        out.append("\b\n" + "\n".join(lines))
    return "\n\n".join(out)


def _short_help(translated: str, limit: int = 56) -> str:
    """The command list's one line: the first sentence of the translated help, its first
    clause when the sentence is wider than ``limit`` columns (English is cut at 45 letters)."""
    first = translated.split("\n\n", 1)[0].replace("\n", "")
    for stop in ("。", ". "):
        first = first.split(stop, 1)[0]
    first = first.rstrip("。.")
    if _columns(first) > limit:
        import re

        first = re.split("[：；]", first, maxsplit=1)[0]
    return first


def _lend(command: cmdline.Command, ctx: cmdline.Context, saved: list[tuple[Any, str, Any]]) -> None:
    """Lend the command, its options and its subcommands their translated help; what they
    had goes into ``saved``, for :func:`_restore`."""

    def lend(obj: Any, attr: str, value: Any) -> None:
        saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)

    width = ctx.help_width()
    if command.help:
        lend(command, "help", translate_help(command.help, width - 2))
    helped = [p for p in command.params if getattr(p, "help", None)]
    for param in helped:
        text = str(getattr(param, "help", ""))
        # The command line's own options (--help, --version) carry its words, not reminder's.
        translated = pgettext("help", text)
        lend(param, "help", translated if translated != text else cli_gettext(text))
    # The options' table: its second column as wide as the help makes it (write_dl).
    records = [r for r in (p.help_record(ctx) for p in command.get_params(ctx)) if r]
    first = min(max((len(r[0]) for r in records), default=0), 30) + 2
    for param in helped:
        # Wrapped with what the help appends to it ("  [必填]", "  [默认：open]"), which it
        # would otherwise add past the end of the last line.
        text = str(getattr(param, "help", ""))
        record = param.help_record(ctx)
        full = record[1] if record else text
        extra = full[len(text) :].strip()
        wrapped = wrap(full, max(width - first - 2, 10))
        if extra:
            wrapped = _without_tail(wrapped, extra)
        lend(param, "help", wrapped)
    if isinstance(command, cmdline.Group):
        # Through get_command: a lazy group's commands are not in .commands until asked for.
        subs = (command.get_command(ctx, name) for name in command.list_commands(ctx))
        for sub in subs:
            if sub is not None and sub.help and not sub.short_help:
                lend(sub, "short_help", _short_help(translate_help(sub.help)))


def _restore(saved: list[tuple[Any, str, Any]]) -> None:
    for obj, attr, value in reversed(saved):
        setattr(obj, attr, value)


def _without_tail(wrapped: str, tail: str) -> str:
    """``wrapped`` without the ``tail`` it ends with (the help appends it again). Where the
    wrapping broke the tail's lines (a narrow terminal puts "[默认：" and "open]" on two), it
    is to go on a line of its own, as it does when it fits on none before it."""
    kept = len(wrapped)
    left = len(tail.replace(" ", ""))
    while left and kept:
        kept -= 1
        if wrapped[kept] not in " \n":
            left -= 1
    head = wrapped[:kept].rstrip(" ")
    broken = "\n" in wrapped[kept:]
    return head + "\n" if broken and not head.endswith("\n") else head


class TranslatedHelp(cmdline.Command):
    """A command whose ``--help`` is rendered in the user's language."""

    def get_help(self, ctx: cmdline.Context) -> str:
        if current_language() == SOURCE_LANGUAGE:
            return super().get_help(ctx)
        saved: list[tuple[Any, str, Any]] = []
        try:
            _lend(self, ctx, saved)
            return super().get_help(ctx)
        finally:
            _restore(saved)


# --- extraction (babel.cfg) ------------------------------------------------------------------------


def extract(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, Any, list[str]]]:
    """Babel's Python extraction, plus the help texts the command line shows: the docstrings of the
    decorated commands and groups (their prose, as :func:`translate_help` looks it up) and
    every ``help=`` string, with the context "help"."""
    import ast

    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[misc]
    tree = ast.parse(source)
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }
    # A help text kept in a constant for several modules' options (common.SUBMITTED_HELP) is
    # taken where it is defined: the modules that use it name it, and only this file holds it.
    for const, help_text in constants.items():
        if const.endswith("_HELP"):
            line = next(n.lineno for n in tree.body if isinstance(n, ast.Assign) and _assigns(n, const))
            yield line, "pgettext", ["help", help_text], []
    example = False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            decorated = any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in ("command", "group")
                for d in node.decorator_list
            )
            doc = ast.get_docstring(node, clean=True)
            if decorated and doc:
                prose, marker, rest = doc.partition(EXAMPLE)
                example = example or bool(marker)
                if prose.strip():
                    yield node.lineno, "pgettext", ["help", prose.strip()], []
                for example_line in rest.split("\n") if marker else ():
                    comment = _example_comment(example_line)[1]
                    if comment:
                        yield node.lineno, "pgettext", ["help", comment], []
        if isinstance(node, ast.keyword) and node.arg == "help":
            value = node.value
            if isinstance(value, ast.Name):
                text = constants.get(value.id)
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                text = value.value
            else:
                text = None
            if text:
                yield value.lineno, "pgettext", ["help", text], []
    if example:
        yield 1, "pgettext", ["help", "Example:"], []


def _assigns(node: Any, name: str) -> bool:
    return any(getattr(target, "id", None) == name for target in node.targets)
