"""Writing to the person: a line to stdout or stderr (flushed, so the two interleave as
they were written), and a yes/no question."""

from __future__ import annotations

import sys

from .errors import Abort

__all__ = ["confirm", "echo"]


def echo(message: object = None, *, nl: bool = True, err: bool = False) -> None:
    """Write ``message`` and a newline (``nl``) to stdout, or stderr (``err``), and flush."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text = "" if message is None else message if isinstance(message, str) else str(message)
    stream.write(text + "\n" if nl else text)
    stream.flush()


def confirm(text: str, *, default: bool = False, abort: bool = False, err: bool = False) -> bool:
    """Ask ``text [y/N]:`` until the answer is yes or no (empty: ``default``); the end of the
    input is :class:`Abort`, and so is "no" with ``abort``."""
    from .words import tr

    prompt = f"{text} [{'Y/n' if default else 'y/N'}]: "
    while True:
        echo(prompt, nl=False, err=err)
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line:
            raise Abort
        answer = line.strip().lower()
        if answer in ("y", "yes"):
            value = True
        elif answer in ("n", "no"):
            value = False
        elif answer == "":
            value = default
        else:
            echo(tr("Error: invalid input"), err=err)
            continue
        if abort and not value:
            raise Abort
        return value
