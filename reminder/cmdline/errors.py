"""What goes wrong on a command line, and the one line that says so.

Each error knows its exit status (2 for a usage error, 1 otherwise) and its message,
worded as people who use command lines expect to read it ("Missing option '--title'.",
"No such option '--titel'. Did you mean '--title'?").
"""

from __future__ import annotations

from .words import joined, ntr, tr

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .core import Context
    from .params import Parameter

__all__ = [
    "LOOKALIKE_DASHES",
    "Abort",
    "BadOptionUsage",
    "BadParameter",
    "CommandError",
    "Exit",
    "MissingParameter",
    "NoArgsIsHelp",
    "NoSuchCommand",
    "NoSuchOption",
    "UsageError",
    "option_stem",
]


class CommandError(Exception):
    """An error the command line shows as one line; exit status 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message


class UsageError(CommandError):
    """The command line itself is wrong; exit status 2. ``ctx`` names the command whose
    ``--help`` to point at."""

    exit_code = 2

    def __init__(self, message: str, ctx: Context | None = None) -> None:
        super().__init__(message)
        self.ctx = ctx


class BadParameter(UsageError):
    """A value a parameter cannot take: "Invalid value for '--status': …"."""

    def __init__(
        self,
        message: str,
        ctx: Context | None = None,
        param: Parameter | None = None,
        param_hint: str | None = None,
    ) -> None:
        super().__init__(message, ctx)
        self.param = param
        self.param_hint = param_hint

    def _hint(self) -> str | None:
        if self.param_hint is not None:
            return self.param_hint
        if self.param is not None:
            return self.param.error_hint(self.ctx)
        return None

    def format_message(self) -> str:
        hint = self._hint()
        if hint is None:
            return tr("Invalid value: {message}").format(message=self.message)
        return tr("Invalid value for {param_hint}: {message}").format(param_hint=hint, message=self.message)


class MissingParameter(BadParameter):
    """A required option or argument not given: "Missing option '--title'."."""

    def __init__(self, ctx: Context | None, param: Parameter) -> None:
        super().__init__("", ctx, param)
        self.param: Parameter = param

    def format_message(self) -> str:
        name = self.param.error_hint(self.ctx)
        extra = self.param.type.missing_message(self.param, self.ctx)
        # Whole sentences, not "Missing option" + name + ".": Chinese ends one with "。".
        if self.param.param_type_name == "argument":
            message = tr("Missing argument {name}.").format(name=name)
        else:
            message = tr("Missing option {name}.").format(name=name)
        if not extra:
            return message
        # A space between sentences, as English writes them; none after Chinese "。".
        return f"{message}{'' if message.endswith('。') else ' '}{extra}"


class _Unknown(UsageError):
    """A name the command line does not know, with the closest names it does know."""

    def __init__(self, message: str, name: str, known: Iterable[str] | None, ctx: Context | None) -> None:
        super().__init__(message, ctx)
        self.possibilities: list[str] = closest(name, known) if known else []

    def format_message(self) -> str:
        return did_you_mean(self.message, self.possibilities)


# What a keyboard or a document may put where "-" was meant: the dashes an input method in
# Chinese mode or a word processor's autocorrect types (－ —— – …), and the full-width "＝".
LOOKALIKE_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"


def option_stem(text: str) -> str:
    """An option's name as typed, bare: no dashes (nor look-alike dashes), no "＝value", no case."""
    return text.lstrip("-" + LOOKALIKE_DASHES).partition("\uff1d")[0].casefold()


def closest(name: str, known: Iterable[str]) -> list[str]:
    """The known names closest to a mistyped one, closest first (:func:`reminder.lookalikes.closest`).
    The names are compared without their dashes and case: "--" in every option made any option look
    1/3 alike ('--submited' got '--unit')."""
    from ..lookalikes import closest as lookalikes

    return lookalikes(name, known, bare=option_stem)


def did_you_mean(message: str, possibilities: list[str]) -> str:
    """``message``, then "Did you mean 'x'?" (or one of several) when there are ``possibilities``."""
    if not possibilities:
        return message
    shown = joined(repr(p) for p in possibilities)
    hint = ntr("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", len(possibilities))
    # The space between two sentences is English's; Chinese puts none after "。".
    return tr("{message} {hint}").format(
        message=message, hint=hint.format(possibility=shown, possibilities=shown)
    )


class NoSuchOption(_Unknown):
    """An option the command does not have."""

    def __init__(
        self, option_name: str, possibilities: Iterable[str] | None = None, ctx: Context | None = None
    ):
        super().__init__(
            tr("No such option {name!r}.").format(name=option_name), option_name, possibilities, ctx
        )


class NoSuchCommand(_Unknown):
    """A command the group does not have."""

    def __init__(
        self, command_name: str, possibilities: Iterable[str] | None = None, ctx: Context | None = None
    ):
        message = tr("No such command {name!r}.").format(name=command_name)
        super().__init__(message, command_name, possibilities, ctx)


class BadOptionUsage(UsageError):
    """An option used wrongly: a value missing, or given to a flag."""


class NoArgsIsHelp(UsageError):
    """A group run without a command: the answer is its help (exit status 0)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__("", ctx)
        self.ctx: Context = ctx


class Abort(RuntimeError):
    """The person said no (a confirmation), or the input ended."""


class Exit(RuntimeError):
    """End the command with this status (``--help``, ``--version``)."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.exit_code = code
