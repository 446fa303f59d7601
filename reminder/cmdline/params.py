"""A command's parameters: options (``--title TEXT``, flags, ``-v`` counted) and positional
arguments, each turning what the parser found into the value its function receives."""

from __future__ import annotations

from .errors import BadParameter, MissingParameter, UsageError
from .types import BOOL, STRING, IntRange, ParamType
from .words import tr

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from .core import Context

__all__ = ["UNSET", "Argument", "Option", "Parameter", "prefix_length"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # not given on the command line, and no default


def prefix_length(opt: str) -> int:
    """How many dashes ``opt`` starts with: 1 for ``-v``, 2 for ``--verbose``."""
    return len(opt) - len(opt.lstrip("-"))


class Parameter:
    """What options and arguments share: a name, a type, a default, a callback."""

    param_type_name = "parameter"

    def __init__(
        self,
        name: str,
        opts: Sequence[str],
        *,
        type: ParamType | None = None,
        required: bool = False,
        default: Any = UNSET,
        callback: Callable[[Context, Parameter, Any], Any] | None = None,
        nargs: int = 1,
        multiple: bool = False,
        metavar: str | None = None,
        expose_value: bool = True,
        is_eager: bool = False,
        help: str | None = None,
    ) -> None:
        self.name = name
        self.opts = list(opts)
        self.type = type if type is not None else STRING
        self.required = required
        self.default = default
        self.callback = callback
        self.nargs = nargs
        self.multiple = multiple
        self.metavar = metavar
        self.expose_value = expose_value
        self.is_eager = is_eager
        self.help = help  # one line, as written (the catalogue's msgid)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def make_metavar(self) -> str:
        raise NotImplementedError

    def error_hint(self, ctx: Context | None) -> str:
        """How an error message names this parameter: ``'--status'``, ``'ID'``."""
        return " / ".join(f"'{x}'" for x in self.opts)

    def usage_pieces(self) -> list[str]:
        return []

    def help_record(self, ctx: Context) -> tuple[str, str] | None:
        return None

    def handle(self, ctx: Context, found: Mapping[str, Any]) -> None:
        """Take this parameter's value from what the parser ``found`` (or its default)."""
        try:
            value = found.get(self.name, UNSET)
            if value is UNSET:
                value = self.default
            value = self.process_value(ctx, value)
        except BadParameter as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            if exc.param is None:
                exc.param = self
            raise
        except UsageError as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            raise
        if self.expose_value:
            ctx.params[self.name] = value

    def process_value(self, ctx: Context, value: Any) -> Any:
        if value is UNSET:
            if self.multiple or self.nargs == -1:
                value = ()
        else:
            value = self.type_cast(ctx, value)
        if self.required and self.is_missing(value):
            raise MissingParameter(ctx=ctx, param=self)
        if self.callback is not None:
            value = self.callback(ctx, self, None if value is UNSET else value)
        return value

    def type_cast(self, ctx: Context, value: Any) -> Any:
        if value is None:
            return () if self.multiple or self.nargs == -1 else None
        if self.multiple or self.nargs == -1:
            return tuple(self.type(x, self, ctx) for x in value)
        return self.type(value, self, ctx)

    def is_missing(self, value: Any) -> bool:
        return value is UNSET or ((self.nargs != 1 or self.multiple) and value == ())


class Option(Parameter):
    """``--name VALUE``, a flag (``--json``), or a counted flag (``-vv``)."""

    param_type_name = "option"

    def __init__(
        self,
        decls: Sequence[str],
        *,
        is_flag: bool = False,
        count: bool = False,
        show_default: bool = False,
        type: ParamType | None = None,
        default: Any = UNSET,
        **attrs: Any,
    ) -> None:
        opts = [d for d in decls if d.startswith("-")]
        names = [d for d in decls if not d.startswith("-")]
        # Else the longest spelling, as an identifier: --due-before → due_before.
        longest = max(opts, key=prefix_length)
        name = names[0] if names else longest.lstrip("-").replace("-", "_").lower()
        if count:
            type, default = IntRange(min=0), 0 if default is UNSET else default
        elif is_flag:
            type = BOOL
        super().__init__(name, opts, type=type, default=default, **attrs)
        self.is_flag = is_flag
        self.count = count
        self.show_default = show_default

    def make_metavar(self) -> str:
        if self.metavar is not None:
            return self.metavar  # as written: METAVAR... is the author's to spell
        metavar = self.type.metavar(self) or self.type.name.upper()
        return metavar + "..." if self.nargs != 1 else metavar

    def spec(self) -> str:
        """The options table's first column: ``-v, --verbose``, ``--status [open|closed|all]``."""
        shown = ", ".join(sorted(self.opts, key=prefix_length))
        return shown if self.is_flag or self.count else f"{shown} {self.make_metavar()}"

    def help_record(self, ctx: Context) -> tuple[str, str] | None:
        text = self.help or ""
        extra = []
        if self.show_default and self.default not in (None, UNSET):
            extra.append(tr("default: {default}").format(default=self.default))
        if isinstance(self.type, IntRange) and not (
            self.count and self.type.min == 0 and self.type.max is None
        ):
            extra.append(self.type.describe())
        if self.required:
            extra.append(tr("required"))
        if extra:
            joined = "; ".join(extra)
            text = f"{text}  [{joined}]" if text else f"[{joined}]"
        return self.spec(), text

    def process_value(self, ctx: Context, value: Any) -> Any:
        if self.is_flag and not self.required and value is UNSET:
            value = False
            return self.callback(ctx, self, value) if self.callback is not None else value
        return super().process_value(ctx, value)


class Argument(Parameter):
    """A positional parameter: required unless told otherwise; ``nargs=-1`` takes the rest."""

    param_type_name = "argument"

    def __init__(self, decl: str, *, required: bool | None = None, **attrs: Any) -> None:
        if required is None:
            required = attrs.get("default", UNSET) is UNSET and attrs.get("nargs", 1) > 0
        super().__init__(decl.replace("-", "_").lower(), [decl], required=required, **attrs)

    def make_metavar(self) -> str:
        if self.metavar is not None:
            return self.metavar
        metavar = self.type.metavar(self) or self.name.upper()
        if not self.required and not (metavar.startswith("[") and metavar.endswith("]")):
            metavar = f"[{metavar}]"
        return metavar + "..." if self.nargs != 1 else metavar

    def error_hint(self, ctx: Context | None) -> str:
        return f"'{self.make_metavar()}'"

    def usage_pieces(self) -> list[str]:
        return [self.make_metavar()]

    def help_record(self, ctx: Context) -> tuple[str, str] | None:
        return self.make_metavar(), self.help or ""
