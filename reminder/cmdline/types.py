"""What a parameter's text becomes: text, a whole number in a range, one of some choices, a
file path, a flag's yes — and the one-line message when the text cannot be that."""

from __future__ import annotations

import os

from .errors import BadParameter
from .words import joined, ntr, tr

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

    from .core import Context
    from .params import Parameter

__all__ = ["BOOL", "NONEMPTY", "STRING", "Choice", "IntRange", "LazyChoice", "ParamType", "Path"]


class ParamType:
    """Converts a parameter's text; ``name`` is its metavar (upper-cased) and its noun."""

    name = "text"

    def __call__(self, value: Any, param: Parameter | None = None, ctx: Context | None = None) -> Any:
        return None if value is None else self.convert(value, param, ctx)

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        return value

    def metavar(self, param: Parameter) -> str | None:
        """The metavar this type shows instead of its upper-cased name, if any."""
        return None

    def missing_message(self, param: Parameter, ctx: Context | None) -> str | None:
        """What to add to "Missing option …" for this type."""
        return None

    def fail(self, message: str, param: Parameter | None = None, ctx: Context | None = None) -> NoReturn:
        raise BadParameter(message, ctx=ctx, param=param)


class _String(ParamType):
    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        return str(value)


class _NonEmpty(_String):
    """Text with something in it: a blank value is the option's error, named as the person typed it
    ("--title"), not as the library calls the field."""

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        text = str(value)
        if not text.strip():
            self.fail(tr("must not be empty"), param, ctx)
        return text


class _Bool(ParamType):
    """A flag's value: the parser gives it True when the flag is there."""

    name = "boolean"

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        return bool(value)


STRING = _String()
NONEMPTY = _NonEmpty()
BOOL = _Bool()


class IntRange(ParamType):
    """A whole number, at least ``min`` and at most ``max`` where given."""

    name = "integer range"

    def __init__(self, min: int | None = None, max: int | None = None) -> None:
        self.min = min
        self.max = max

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        try:
            number = int(value)
        except ValueError:
            self.fail(
                tr("{value!r} is not a valid {number_type}.").format(value=value, number_type=tr(self.name)),
                param,
                ctx,
            )
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            self.fail(
                tr("{value} is not in the range {range}.").format(value=number, range=self.describe()),
                param,
                ctx,
            )
        return number

    def describe(self) -> str:
        """The range as help shows it: ``x>=0``, ``x<=9``, ``1<=x<=9``."""
        if self.min is None:
            return f"x<={self.max}"
        if self.max is None:
            return f"x>={self.min}"
        return f"{self.min}<=x<={self.max}"


class Choice(ParamType):
    """One of a few words."""

    name = "choice"

    def __init__(self, choices: Sequence[str]) -> None:
        self._choices: tuple[str, ...] | None = tuple(choices)

    @property
    def choices(self) -> tuple[str, ...]:
        assert self._choices is not None
        return self._choices

    def metavar(self, param: Parameter) -> str | None:
        shown = "|".join(self.choices)
        # Braces: an argument that must be one of them; brackets: an option's, or an optional one.
        required_argument = param.required and param.param_type_name == "argument"
        return f"{{{shown}}}" if required_argument else f"[{shown}]"

    def missing_message(self, param: Parameter, ctx: Context | None) -> str | None:
        # click's words, laid out on the error's one line (a line break in it was shown as "\x0a"):
        # "Choose from: 'a', 'b'", Chinese "可选：'a'、'b'".
        words = tr("Choose from:\n\t{choices}").replace("：\n\t", "：").replace("\n\t", " ")
        return words.format(choices=joined(map(repr, self.choices)))

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        if str(value) in self.choices:
            return str(value)
        from ..lookalikes import closest
        from .errors import did_you_mean

        shown = joined(map(repr, self.choices))
        message = ntr("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", len(self.choices))
        # Every word it could be, then the one probably meant ('orgnisation': 'organisation').
        said = message.format(value=value, choice=shown, choices=shown)
        self.fail(did_you_mean(said, closest(str(value), self.lookalikes())), param, ctx)

    def lookalikes(self) -> Sequence[str]:
        """The words a mistyped value is compared with: the choices."""
        return self.choices


class LazyChoice(Choice):
    """A :class:`Choice` whose words load when first needed: ``lambda: models.EVIDENCE_KINDS``
    keeps ``reminder --help`` from importing modules only one command needs."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self._choices = None

    @property
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(self._load())
        return self._choices


class Path(ParamType):
    """A file path, as a :class:`pathlib.Path`; with ``dir_okay=False`` a directory is refused."""

    def __init__(self, dir_okay: bool = True) -> None:
        self.dir_okay = dir_okay
        self.name = "path" if dir_okay else "file"

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        from pathlib import Path

        if not self.dir_okay and os.path.isdir(value):
            message = tr("{name} {filename!r} is a directory.")
            # The noun in the user's language; the metavar (FILE) stays as the usage line spells it.
            noun = tr(self.name).title()
            self.fail(message.format(name=noun, filename=os.fsdecode(value)), param, ctx)
        return value if isinstance(value, Path) else Path(value)
