"""Making text from users safe to print: control characters shown, never obeyed.

A title, note or file name can carry bytes a terminal acts on — ``ESC [ 2 J`` clears the
screen, ``ESC ] 0 ; … BEL`` retitles the window, ``CR`` overwrites what was printed, and
the C1 range (``\\x9b`` is a one-byte ``ESC [``) does the same on some terminals. Human
output shows each such character as ``\\xNN`` (two lowercase hex digits) instead, in the
CLI and in the Markdown and HTML dossiers. The stored text is unchanged, and ``--json``
carries it exactly (JSON escapes control characters itself).

Escaped: every C0 control (U+0000–U+001F; with ``multiline``, all but the line feed and
the tab, the layout of notes or an e-mail body), DEL (U+007F) and every C1 control
(U+0080–U+009F). A backslash already in the text is left as
it is, so ``\\x1b`` typed literally looks the same as an escaped ESC: this is for showing,
not for round-tripping. Only the standard library; cheap enough for ``reminder --help``'s
import path.
"""

from __future__ import annotations

import contextlib
import sys

TYPE_CHECKING = False  # not typing's: `reminder --help` imports this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["escape_controls", "stdout_bytes", "writes_utf8"]

# Bytes written to stdout go through a buffer this large: 10,000 cases' `list --json` is 8 MB.
STDOUT_BUFFER = 1 << 18

_CONTROLS = (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
_ESCAPES = {code: f"\\x{code:02x}" for code in _CONTROLS}
_ESCAPES_MULTILINE = {code: text for code, text in _ESCAPES.items() if code not in (0x09, 0x0A)}


def escape_controls(text: str, *, multiline: bool = False) -> str:
    """``text`` with each control character written as ``\\xNN`` (``multiline``: not ``\\n`` or ``\\t``)."""
    return text.translate(_ESCAPES_MULTILINE if multiline else _ESCAPES)


def writes_utf8(stream: object) -> bool:
    """Whether text written to ``stream`` is encoded as UTF-8 (as it is unless a terminal, the
    locale or PYTHONIOENCODING says otherwise)."""
    encoding = getattr(stream, "encoding", None) or ""
    return str(encoding).lower().replace("-", "").replace("_", "") == "utf8"


@contextlib.contextmanager
def stdout_bytes() -> Iterator[Callable[[bytes], object] | None]:
    """A writer of UTF-8 bytes to stdout, past its text layer (flushed first, and at the end):
    a :data:`STDOUT_BUFFER` buffer on its descriptor, or its binary buffer where it has no
    descriptor (a test's or a notebook's capture). None where stdout takes text only: it does
    not encode UTF-8 (the text layer must re-encode), or it has neither."""
    out = sys.stdout
    if out is None or not writes_utf8(out):
        yield None
        return
    out.flush()
    try:
        fd: int | None = out.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        fd = None
    if fd is not None:
        with open(fd, "wb", buffering=STDOUT_BUFFER, closefd=False) as raw:
            yield raw.write
        return
    buffer = getattr(out, "buffer", None)
    yield None if buffer is None else buffer.write
    if buffer is not None:
        buffer.flush()


def help_width() -> int:
    """The width ``--help`` is wrapped to: the terminal's columns (``$COLUMNS`` first, as
    ``shutil.get_terminal_size`` reads them, without importing shutil), at most 80, less 2."""
    import os
    import sys

    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, 80) - 2, 50)
