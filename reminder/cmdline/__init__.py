"""reminder's command-line toolkit: commands declared with decorators, parsed from ``argv``,
their help and their errors — the part of click that reminder used, without click's
import (as long as a bare interpreter's start, in every command).

``core`` parses and runs, ``params`` and ``types`` turn text into values, ``errors`` say
what went wrong, ``help`` lays out ``--help`` (imported only then), ``console`` writes.
"""

from __future__ import annotations

from .console import confirm, echo
from .core import Command, Context, Group
from .decorators import argument, command, group, option, pass_context, version_option
from .errors import (
    Abort,
    BadOptionUsage,
    BadParameter,
    CommandError,
    Exit,
    MissingParameter,
    NoArgsIsHelp,
    NoSuchCommand,
    NoSuchOption,
    UsageError,
)
from .params import Argument, Option, Parameter
from .types import NONEMPTY, Choice, IntRange, LazyChoice, ParamType, Path

__all__ = [
    "NONEMPTY",
    "Abort",
    "Argument",
    "BadOptionUsage",
    "BadParameter",
    "Choice",
    "Command",
    "CommandError",
    "Context",
    "Exit",
    "Group",
    "IntRange",
    "LazyChoice",
    "MissingParameter",
    "NoArgsIsHelp",
    "NoSuchCommand",
    "NoSuchOption",
    "Option",
    "ParamType",
    "Parameter",
    "Path",
    "UsageError",
    "argument",
    "command",
    "confirm",
    "echo",
    "group",
    "option",
    "pass_context",
    "version_option",
]
