"""``--help`` and click's own words in the user's language.

Two things click prints are not reminder's strings:

- **the commands' help** — docstrings and ``help=`` texts, which click reads when the
  decorators run, at import, long before the user's language is known. They stay English
  in the code (the English is the msgid) and are translated when the help is rendered:
  :class:`TranslatedHelp` lends each command, option and subcommand its translated help
  for the time :meth:`click.Command.get_help` runs. :func:`extract` puts them into the
  catalogue (``babel.cfg`` runs it on the cli package).
- **click's messages** — "Usage:", "Options", "Missing option", "Show this message and
  exit." click calls ``gettext.gettext``/``gettext.ngettext`` with the "messages" domain,
  imported into each of its modules as the module globals ``_`` and ``ngettext`` and looked
  up on every call. :func:`install_click_translations` replaces those globals with functions
  that look the message up in reminder's catalogue (context "click") in the current language.
  The alternative, ``gettext.bindtextdomain("messages", …)``, would change the "messages"
  domain of every library in the process, would need a compiled catalogue on disk, and would
  follow the locale variables rather than ``[defaults] language``. Replacing the globals
  touches click alone; a module whose ``_`` is not gettext's (a future click) is left as it
  is, and tests/test_cli_zh.py fails if "Usage:" stops being translated.

English is answered without a catalogue and without touching click's text: the English
help is click's, byte for byte.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .i18n import SOURCE_LANGUAGE, current_language, npgettext, pgettext

__all__ = ["CLICK_MODULES", "TranslatedHelp", "click_messages", "extract", "install_click_translations"]

# click's modules that call gettext (click 8.2–8.5).
CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "termui",
    "types",
    "utils",
    "_termui_impl",
    "shell_completion",
)
# The marker before a docstring's example block (click's "\b": keep the lines as written).
EXAMPLE = "\b\nExample:"


def click_messages() -> None:
    """click's messages that reminder's commands can show, for the extractor: never called.

    Kept in click's own words (``{name}`` placeholders, filled by click with str.format) with
    the context "click"; tests/test_cli_zh.py checks that click still has each of them.
    """
    pgettext("click", "Usage:")
    pgettext("click", "Options")
    pgettext("click", "Commands")
    pgettext("click", "Positional arguments")
    pgettext("click", "Show this message and exit.")
    pgettext("click", "Show the version and exit.")
    pgettext("click", "%(prog)s, version %(version)s")
    pgettext("click", "Aborted!")
    pgettext("click", "Error: {message}")
    pgettext("click", "Try '{command} {option}' for help.")
    pgettext("click", "Missing argument")
    pgettext("click", "Missing option")
    pgettext("click", "Missing parameter")
    pgettext("click", "Missing {param_type}")
    pgettext("click", "Missing parameter: {param_name}")
    pgettext("click", "Missing command.")
    pgettext("click", "No such option {name!r}.")
    pgettext("click", "No such command {name!r}.")
    pgettext("click", "Option {name!r} does not take a value.")
    pgettext("click", "Invalid value: {message}")
    pgettext("click", "Invalid value for {param_hint}: {message}")
    pgettext("click", "{value!r} is not a valid {number_type}.")
    pgettext("click", "{value} is not in the range {range}.")
    pgettext("click", "{name} {filename!r} does not exist.")
    pgettext("click", "{name} {filename!r} is a directory.")
    pgettext("click", "file")
    pgettext("click", "directory")
    pgettext("click", "path")
    pgettext("click", "default: {default}")
    pgettext("click", "required")
    pgettext("click", "env var: {var}")
    npgettext("click", "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    npgettext("click", "Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
    npgettext("click", "{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    npgettext(
        "click", "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1
    )


def _click_gettext(message: str) -> str:
    if current_language() == SOURCE_LANGUAGE:
        return message
    return pgettext("click", message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    if current_language() == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    # Not npgettext(): click fills the message itself (str.format); nothing to fill here.
    from .i18n import translation

    return translation(current_language()).npgettext("click", singular, plural, n)


def install_click_translations() -> None:
    """Make click's messages speak the current language (see the module's docstring)."""
    import gettext
    import sys

    for name in CLICK_MODULES:
        # Only the modules click has loaded: importing the others here would cost every command
        # in another language their imports (_termui_impl: shlex, tty, termios), and none of
        # their messages is one that click_messages() lists, so they would print the same.
        module = sys.modules.get(f"click.{name}")
        if module is None:
            continue
        if getattr(module, "_", None) in (gettext.gettext, _click_gettext):
            module._ = _click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) in (gettext.ngettext, _click_ngettext):
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


# --- the commands' help ---------------------------------------------------------------------------


def translate_help(text: str, width: int | None = None) -> str:
    """A command's help (its docstring as click keeps it) in the current language: the prose
    translated (and wrapped to ``width`` columns), the example block (commands a person
    types) kept as written."""
    text = inspect.cleandoc(text)
    prose, marker, examples = text.partition(EXAMPLE)
    translated = pgettext("help", prose.strip()) if prose.strip() else ""
    if width is not None:
        translated = wrap(translated, width)
    if not marker:
        return translated
    return f"{translated}\n\n\b\n{pgettext('help', 'Example:')}{examples}"


_CLOSING = frozenset("，。、；：！？）》」』】,.;:!?)")


def _columns(text: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` terminal columns, each paragraph marked for click to keep
    as wrapped ("\\b"). click wraps by characters, and a Chinese character takes two columns:
    its own wrapping would run Chinese lines twice as wide as the terminal."""
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
        # Break between Chinese characters, or at a space; never inside a Latin word.
        tokens = re.findall(r"[A-Za-z0-9_./:'\"%()\[\]<>=@+*-]+|\s+|.", joined)
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
    clause when the sentence is wider than ``limit`` columns (click cuts English at 45 letters)."""
    first = translated.split("\n\n", 1)[0].replace("\n", "")
    for stop in ("。", ". "):
        first = first.split(stop, 1)[0]
    first = first.rstrip("。.")
    if _columns(first) > limit:
        first = re.split("[：；]", first, maxsplit=1)[0]
    return first


@contextmanager
def _lent(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """The command's, its options' and its subcommands' help, translated while the block runs."""
    saved: list[tuple[Any, str, Any]] = []

    def lend(obj: Any, attr: str, value: Any) -> None:
        saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)

    width = ctx.make_formatter().width
    try:
        if command.help:
            lend(command, "help", translate_help(command.help, width - 2))
        helped = [p for p in command.params if getattr(p, "help", None)]
        for param in helped:
            text = str(getattr(param, "help", ""))
            # click's own options (--version) carry click's English, read at decoration time.
            translated = pgettext("help", text)
            lend(param, "help", translated if translated != text else _click_gettext(text))
        # The options' table: its second column as wide as click's formatter makes it (write_dl).
        records = [r for r in (p.get_help_record(ctx) for p in command.get_params(ctx)) if r]
        first = min(max((len(r[0]) for r in records), default=0), 30) + 2
        for param in helped:
            # Wrapped with what click appends to it ("  [必填]", "  [默认：open]"), which click
            # would otherwise add past the end of the last line.
            text = str(getattr(param, "help", ""))
            record = param.get_help_record(ctx)
            full = record[1] if record else text
            extra = full[len(text) :].strip()
            wrapped = wrap(full, max(width - first - 2, 10))
            if extra and wrapped.endswith(extra):
                wrapped = wrapped[: -len(extra)].rstrip(" ")
            lend(param, "help", wrapped)
        if isinstance(command, click.Group):
            # Through get_command: a lazy group's commands are not in .commands until asked for.
            subs = (command.get_command(ctx, name) for name in command.list_commands(ctx))
            for sub in subs:
                if sub is not None and sub.help and not sub.short_help:
                    lend(sub, "short_help", _short_help(translate_help(sub.help)))
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


class TranslatedHelp(click.Command):
    """A command whose ``--help`` is rendered in the user's language."""

    def get_help(self, ctx: click.Context) -> str:
        if current_language() == SOURCE_LANGUAGE:
            return super().get_help(ctx)
        install_click_translations()
        with _lent(self, ctx):
            return super().get_help(ctx)


# --- extraction (babel.cfg) ------------------------------------------------------------------------


def extract(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, Any, list[str]]]:
    """Babel's Python extraction, plus the help texts click shows: the docstrings of the
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
                prose, marker, _rest = doc.partition(EXAMPLE)
                example = example or bool(marker)
                if prose.strip():
                    yield node.lineno, "pgettext", ["help", prose.strip()], []
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
