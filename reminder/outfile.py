"""Where an export lands: check an output path before anything is rendered, follow symlinks.

``export -o PATH`` refuses an empty path and a directory that does not exist: a typo
must not quietly create a tree of directories. A symlink is written through: the file
it points to is replaced (atomically, by a rename in that file's own directory) and the
link stays a link — a calendar linked into a synced folder keeps working, and nothing
that pointed at the link is cut off from it.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .i18n import _

__all__ = ["follow_links", "output_path"]


def output_path(text: str) -> Path:
    """The path ``-o TEXT`` names, checked: not empty, not a directory, in a directory that
    exists (after following symlinks); InputError otherwise."""
    if not text.strip():
        raise InputError(_("empty output path: give a file name, or '-' for standard output"))
    path = Path(text).expanduser()
    target = follow_links(path)
    if target.is_dir():
        raise InputError(_("%(path)s is a directory; give a file name", path=path))
    if not target.parent.is_dir():
        if target != path:
            raise InputError(
                _(
                    "%(dir)s: no such directory (where the symlink %(path)s points); create it first",
                    dir=target.parent,
                    path=path,
                )
            )
        raise InputError(_("%(dir)s: no such directory; create it first", dir=target.parent))
    return path


def follow_links(path: Path) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself, or the end of its symlinks
    (which need not exist yet); InputError for a loop."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=True)
    except FileNotFoundError:
        return path.resolve()  # a dangling link: the file it names is created
    except (RuntimeError, OSError) as exc:  # RuntimeError: Python 3.11's "Symlink loop"
        raise InputError(_("%(path)s: cannot follow the symlink (%(why)s)", path=path, why=exc)) from None
