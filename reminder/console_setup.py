"""What ``rich.console.Console()`` would find about stdout — its width, whether it is a
terminal, its colours, ``NO_COLOR`` — without importing rich (``rich.console`` alone costs a
command more than the rest of its work): the tables and paragraphs that reminder writes as rich
would write them (:mod:`fast_table`, :mod:`fast_paragraph`) are laid out for it.

Ported from rich 15's ``Console`` (MIT licence, copyright Will McGugan): ``Console.is_terminal``,
``Console.__init__`` and ``Console.size`` for the width, ``Console._detect_color_system``.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections import namedtuple

TYPE_CHECKING = False  # not typing's: `reminder list` imports this module
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import NamedTuple

__all__ = ["ConsoleSetup", "console_setup"]

# rich.console._TERM_COLORS: the colour system a $TERM suffix names (anything else: standard).
_TERM_COLORS = {"kitty": "256", "256color": "256", "16color": "standard"}


if TYPE_CHECKING:

    class _ConsoleSetupFields(NamedTuple):
        width: int
        color_system: str | None
        no_color: bool

else:
    _ConsoleSetupFields = namedtuple("ConsoleSetup", "width color_system no_color")


class ConsoleSetup(_ConsoleSetupFields):
    """What ``rich.console.Console()`` would find: its width, colour system (None: no
    escape codes at all) and ``no_color`` (colours dropped, bold kept)."""

    __slots__ = ()


def console_setup(environ: Mapping[str, str] | None = None) -> ConsoleSetup | None:
    """``Console(soft_wrap=False)``'s width and colours for stdout, or None where only rich
    knows (Windows, Jupyter, IDLE, a stdout that is not UTF-8, a width under 20)."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return None
    stdin_module = getattr(sys.stdin, "__module__", None)
    if isinstance(stdin_module, str) and stdin_module.startswith("idlelib"):
        return None
    out = sys.stdout
    if out is None or not (getattr(out, "encoding", "utf-8") or "utf-8").lower().startswith("utf"):
        return None
    # Console.is_terminal
    tty_compatible = env.get("TTY_COMPATIBLE", "")
    force_color = env.get("FORCE_COLOR")
    if tty_compatible in ("0", "1"):
        is_terminal = tty_compatible == "1"
    elif force_color is not None:
        is_terminal = force_color != ""
    else:
        try:
            is_terminal = bool(out.isatty())
        except (ValueError, AttributeError):
            is_terminal = False
    is_dumb = is_terminal and env.get("TERM", "").lower() in ("dumb", "unknown")
    # Console.__init__ and Console.size
    columns, lines = env.get("COLUMNS"), env.get("LINES")
    fixed_width = int(columns) if columns is not None and columns.isdigit() else None
    fixed_height = lines is not None and lines.isdigit()
    if fixed_width is not None and fixed_height:
        width = fixed_width
    elif is_dumb:
        width = 80
    else:
        detected = 0
        for stream in (sys.__stdin__, sys.__stdout__, sys.__stderr__):
            try:
                detected = os.get_terminal_size(stream.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                continue
            break
        width = fixed_width if fixed_width is not None else (detected or 80)
    if width < 20:
        return None
    # Console._detect_color_system
    color_system: str | None
    if not is_terminal or is_dumb:
        color_system = None
    elif env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        color_system = "truecolor"
    else:
        color_system = _TERM_COLORS.get(env.get("TERM", "").strip().lower().rpartition("-")[2], "standard")
    return ConsoleSetup(width, color_system, env.get("NO_COLOR", "") != "")
