"""Commands, groups of commands, and the context of one invocation: how ``argv`` becomes a
call of the command's function.

The rules are the ones people know from click, which reminder's command line used
before: options before or after a command's arguments (a group's options come before
its command's name), ``--name=value`` or ``--name value``, short flags counted or joined
(``-vv``), ``--`` ending the options, eager options (``--help``, ``--version``, ``--json``)
handled first, then the others in the order they were typed.
"""

from __future__ import annotations

from .errors import (
    LOOKALIKE_DASHES,
    Abort,
    BadOptionUsage,
    Exit,
    NoArgsIsHelp,
    NoSuchCommand,
    NoSuchOption,
    UsageError,
    option_stem,
)
from .params import UNSET, Argument, Option, Parameter, prefix_length
from .words import ntr, tr

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TypeVar

    C = TypeVar("C", bound="Command")

__all__ = ["Command", "Context", "Group"]


class Context:
    """One command's invocation: its parameters' values, its parent (the group that ran
    it), what the root was given (``obj``), and what to do when it ends."""

    def __init__(
        self,
        command: Command,
        info_name: str,
        parent: Context | None = None,
        obj: Any = None,
        help_option_names: Sequence[str] | None = None,
        terminal_width: int | None = None,
    ) -> None:
        self.command = command
        self.info_name = info_name
        self.parent = parent
        self.obj: Any = obj if obj is not None or parent is None else parent.obj
        if help_option_names is None:
            help_option_names = parent.help_option_names if parent is not None else ["--help"]
        self.help_option_names: list[str] = list(help_option_names)
        if terminal_width is None and parent is not None:
            terminal_width = parent.terminal_width
        self.terminal_width: int | None = terminal_width
        self.params: dict[str, Any] = {}
        self.args: list[str] = []
        self._on_close: list[Callable[[], Any]] = []

    @property
    def command_path(self) -> str:
        """``reminder evidence add``: what a person typed to get here."""
        if self.parent is None:
            return self.info_name
        pieces = [self.parent.command_path]
        for param in self.parent.command.params:
            pieces.extend(param.usage_pieces())
        return f"{' '.join(pieces)} {self.info_name}".lstrip()

    def find_root(self) -> Context:
        ctx = self
        while ctx.parent is not None:
            ctx = ctx.parent
        return ctx

    def ensure_object(self, kind: type[dict[str, Any]]) -> dict[str, Any]:
        if self.obj is None:
            self.obj = kind()
        result: dict[str, Any] = self.obj
        return result

    def call_on_close(self, f: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``f`` when this command ends, whatever way it ends."""
        self._on_close.append(f)
        return f

    def close(self) -> None:
        while self._on_close:
            self._on_close.pop()()

    def fail(self, message: str) -> Any:
        raise UsageError(message, self)

    def exit(self, code: int = 0) -> Any:
        raise Exit(code)

    def help_width(self) -> int:
        from ..terminal import help_width

        return self.terminal_width or help_width()

    def get_help(self) -> str:
        return self.command.get_help(self)


class _Parser:
    """Splits ``argv`` into options' values and positional arguments, as click's parser does."""

    def __init__(self, ctx: Context, params: Sequence[Parameter], interspersed: bool) -> None:
        self.ctx = ctx
        self.interspersed = interspersed
        self.long: dict[str, Option] = {}
        self.short: dict[str, Option] = {}
        self.arguments = [p for p in params if isinstance(p, Argument)]
        for param in params:
            if isinstance(param, Option):
                for opt in param.opts:
                    is_short = prefix_length(opt) == 1 and len(opt) == 2
                    (self.short if is_short else self.long)[opt] = param
        self.found: dict[str, Any] = {}
        self.order: list[Parameter] = []

    def parse(self, args: list[str]) -> list[str]:
        """Options into ``found``/``order``; returns what no parameter took."""
        rest = list(args)
        positional: list[str] = []
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                break
            if arg[:1] == "-" and len(arg) > 1:
                self._option(arg, rest)
            elif arg[:1] in LOOKALIKE_DASHES and self._names_an_option(arg):
                # —channel, －－title: an option typed in a Chinese input mode or pasted from a
                # document. Said as a mistyped option is, not taken as an extra argument.
                raise NoSuchOption(arg.partition("=")[0], possibilities=self.long, ctx=self.ctx)
            elif self.interspersed:
                positional.append(arg)
            else:
                rest.insert(0, arg)
                break
        return self._arguments(positional + rest)

    def _names_an_option(self, arg: str) -> bool:
        stem = option_stem(arg.partition("=")[0])
        return any(option_stem(name) == stem for name in self.long)

    def _option(self, arg: str, rest: list[str]) -> None:
        name, eq, value = arg.partition("=")
        option = self.long.get(name)
        if option is None:
            if arg[:2] != "--":
                self._short(arg, rest)
                return
            raise NoSuchOption(name, possibilities=self.long, ctx=self.ctx)
        if option.is_flag or option.count:
            if eq:
                # No context, so no pointer to --help: these two read as click's always did.
                raise BadOptionUsage(tr("Option {name!r} does not take a value.").format(name=name))
            self._store(option, UNSET)
            return
        if eq:
            rest.insert(0, value)
        self._store(option, self._value(name, rest))

    def _short(self, arg: str, rest: list[str]) -> None:
        for i, ch in enumerate(arg[1:], start=2):
            opt = f"-{ch}"
            option = self.short.get(opt)
            if option is None:
                raise NoSuchOption(opt, ctx=self.ctx)
            if option.is_flag or option.count:
                self._store(option, UNSET)
                continue
            if i < len(arg):
                rest.insert(0, arg[i:])
            self._store(option, self._value(opt, rest))
            return

    def _value(self, name: str, rest: list[str]) -> str:
        if not rest:
            message = ntr(
                "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1
            )
            raise BadOptionUsage(message.format(name=name, nargs=1))
        return rest.pop(0)

    def _store(self, option: Option, value: Any) -> None:
        if option.count:
            self.found[option.name] = self.found.get(option.name, 0) + 1
        elif option.is_flag:
            self.found[option.name] = True
        elif option.multiple:
            self.found.setdefault(option.name, []).append(value)
        else:
            self.found[option.name] = value
        self.order.append(option)

    def _arguments(self, args: list[str]) -> list[str]:
        """Positional arguments in declaration order (click's ``_unpack_args``): one
        ``nargs=-1`` takes what the others leave; returns what no argument took."""
        rest = list(args)
        spec = [a.nargs for a in self.arguments]
        cut = spec.index(-1) if -1 in spec else len(spec)
        values: list[Any] = [rest.pop(0) if rest else UNSET for _n in spec[:cut]]
        if cut < len(spec):
            tail = [rest.pop() if rest else UNSET for _n in spec[cut + 1 :]]
            values += [tuple(rest), *reversed(tail)]
            rest = []
        for argument, value in zip(self.arguments, values, strict=True):
            self.found[argument.name] = UNSET if value == () else value
            self.order.append(argument)
        return rest


class Command:
    """A command: its function, its parameters and its help."""

    allow_extra_args = False
    allow_interspersed_args = True
    is_group = False  # for the help, which lists a group's commands (and does not import this module)

    def __init__(
        self,
        name: str | None,
        callback: Callable[..., Any] | None = None,
        params: list[Parameter] | None = None,
        help: str | None = None,
        short_help: str | None = None,
        context_settings: dict[str, Any] | None = None,
        pass_context: bool = False,
    ) -> None:
        self.name = name
        self.callback = callback
        self.params: list[Parameter] = params or []
        self.help = help
        self.short_help = short_help
        self.context_settings = context_settings or {}
        self.pass_context = pass_context
        self._help_option: Option | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def get_params(self, ctx: Context) -> list[Parameter]:
        """The parameters, with the help option last."""
        help_option = self.help_option(ctx)
        return [*self.params, help_option] if help_option is not None else list(self.params)

    def help_option(self, ctx: Context) -> Option | None:
        taken = {opt for param in self.params for opt in param.opts}
        names = [n for n in dict.fromkeys(ctx.help_option_names) if n not in taken]
        if not names:
            return None
        if self._help_option is None:
            self._help_option = Option(
                [*names, "_help"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_show_help,
                help=tr(_HELP_OPTION_HELP),
            )
        return self._help_option

    def make_context(
        self, info_name: str, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        ctx = Context(self, info_name=info_name, parent=parent, **{**self.context_settings, **extra})
        self.parse_args(ctx, args)
        return ctx

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        params = self.get_params(ctx)
        parser = _Parser(ctx, params, self.allow_interspersed_args)
        rest = parser.parse(args)
        # Eager parameters first, then in the order they were typed, then the rest as declared.
        typed = {id(p): i for i, p in reversed(list(enumerate(parser.order)))}
        for param in sorted(params, key=lambda p: (not p.is_eager, typed.get(id(p), len(typed)))):
            param.handle(ctx, parser.found)
        for name, value in ctx.params.items():
            if value is UNSET:
                ctx.params[name] = None
        if rest and not self.allow_extra_args:
            message = ntr(
                "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", len(rest)
            )
            ctx.fail(message.format(args=" ".join(rest)))
        ctx.args = rest
        return rest

    def invoke(self, ctx: Context) -> Any:
        if self.callback is None:
            return None
        try:
            if self.pass_context:
                return self.callback(ctx, **ctx.params)
            return self.callback(**ctx.params)
        except UsageError as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            raise

    def get_help(self, ctx: Context) -> str:
        from .help import render_help

        return render_help(self, ctx)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        """Parse ``args`` (``sys.argv[1:]``) and run the command; errors are raised for the
        caller to show. The input ending where a command reads it is :class:`Abort`; Ctrl-C stays
        ``KeyboardInterrupt`` (click made both "Aborted!", status 1: an interrupt is no error, and
        its status is 130), after the line the terminal's ^C was echoed on is ended."""
        import sys

        argv = list(sys.argv[1:] if args is None else args)
        prog_name = prog_name or self.name or "reminder"
        try:
            ctx = self.make_context(prog_name, argv, **extra)
            try:
                return self.invoke(ctx)
            finally:
                ctx.close()
        except EOFError as exc:
            from .console import echo

            echo(err=True)  # ends the prompt's line
            raise Abort from exc
        except KeyboardInterrupt:
            from .console import echo

            echo(err=True)  # ends the line the terminal's ^C was echoed on
            raise


_HELP_OPTION_HELP = "Show this message and exit."


def _show_help(ctx: Context, _param: Parameter, value: bool) -> None:
    if value:
        from .console import echo

        echo(ctx.get_help())
        ctx.exit()


class Group(Command):
    """A command made of commands: ``reminder evidence add``."""

    allow_extra_args = True
    allow_interspersed_args = False
    is_group = True
    # The class of the commands made with @group.command().
    command_class: type[Command] = Command

    def __init__(self, name: str | None, **attrs: Any) -> None:
        super().__init__(name, **attrs)
        self.commands: dict[str, Command] = {}

    def add_command(self, command: Command, name: str | None = None) -> None:
        self.commands[name or command.name or ""] = command

    def get_command(self, ctx: Context, name: str) -> Command | None:
        return self.commands.get(name)

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted(self.commands)

    def command(self, name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], Command]:
        """``@group.command("add")``: a command of this group."""

        def decorator(f: Callable[..., Any]) -> Command:
            cls: type[Command] = attrs.pop("cls", self.command_class)
            cmd = from_function(cls, name, f, attrs)
            self.add_command(cmd)
            return cmd

        return decorator

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not args:
            raise NoArgsIsHelp(ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        if not ctx.args:
            ctx.fail(tr("Missing command."))
        name, *args = ctx.args
        command = self.get_command(ctx, name)
        if command is None:
            if name[:1] == "-":
                self.parse_args(ctx, ctx.args)  # an option after all: the parser names it
            raise NoSuchCommand(name, possibilities=self.list_commands(ctx), ctx=ctx)
        super().invoke(ctx)
        sub = command.make_context(name, args, parent=ctx)
        try:
            return command.invoke(sub)
        finally:
            sub.close()


def from_function(cls: type[C], name: str | None, f: Callable[..., Any], attrs: dict[str, Any]) -> C:
    """A command of class ``cls`` running ``f``, with the parameters its decorators gave it
    and its docstring as help (see decorators.py)."""
    help_text = attrs.pop("help", None) or f.__doc__
    return cls(
        name or f.__name__.lower().replace("_", "-"),
        callback=f,
        params=list(f.__dict__.get("__cmdline_params__", [])),
        help=help_text,
        pass_context=bool(f.__dict__.get("__cmdline_pass_context__")),
        **attrs,
    )
