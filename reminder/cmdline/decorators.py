"""Declaring commands: ``@command``, ``@group``, ``@option``, ``@argument``,
``@pass_context`` and ``@version_option``, stacked on a function as in click."""

from __future__ import annotations

from .core import Command, Context, Group, from_function
from .params import Argument, Option, Parameter

TYPE_CHECKING = False  # not typing's: the command line's import is every command's
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["argument", "command", "group", "option", "pass_context", "version_option"]


def _params(f: Any) -> list[Parameter]:
    # The decorators run bottom-up: each adds its parameter in front, so they end up as written.
    params: list[Parameter] = f.__dict__.setdefault("__cmdline_params__", [])
    return params


def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    """An option of the command below it (see :class:`~reminder.cmdline.params.Option`)."""

    def decorator(f: F) -> F:
        _params(f).insert(0, Option(decls, **attrs))
        return f

    return decorator


def argument(decl: str, **attrs: Any) -> Callable[[F], F]:
    """A positional argument of the command below it."""

    def decorator(f: F) -> F:
        _params(f).insert(0, Argument(decl, **attrs))
        return f

    return decorator


def pass_context(f: F) -> F:
    """The command's function takes its :class:`Context` first."""
    f.__dict__["__cmdline_pass_context__"] = True
    return f


def command(
    name: str | None = None, cls: type[Command] | None = None, **attrs: Any
) -> Callable[[Callable[..., Any]], Command]:
    """Make the function below a command; its docstring is its help."""

    def decorator(f: Callable[..., Any]) -> Command:
        return from_function(cls or Command, name, f, attrs)

    return decorator


def group(
    name: str | None = None, cls: type[Group] | None = None, **attrs: Any
) -> Callable[[Callable[..., Any]], Group]:
    """Make the function below a group of commands (run before the command chosen)."""

    def decorator(f: Callable[..., Any]) -> Group:
        return from_function(cls or Group, name, f, attrs)

    return decorator


def version_option(version: str, prog_name: str | None = None) -> Callable[[F], F]:
    """``--version``: prints "reminder, version 0.1.0" and ends."""

    def show(ctx: Context, _param: Parameter, value: bool) -> None:
        if value:
            from .console import echo
            from .words import tr

            prog = prog_name or ctx.find_root().info_name
            echo(tr("%(prog)s, version %(version)s") % {"prog": prog, "version": version})
            ctx.exit()

    return option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help="Show the version and exit.",
    )
