"""Notifiers from other packages: the ``reminder.notifiers`` entry-point group.

importlib.metadata costs ~15 ms to import, and then reads every installed distribution:
most of ``reminder notifiers``' time on an installation without any plugin, which is most.
So the search path is first read directly — the ``entry_points.txt`` of each ``*.dist-info``
and ``*.egg-info`` on ``sys.path``, about a millisecond. Only when one of them names a
notifier that is not a built-in (or names one oddly), or when the path holds what cannot be
read that way (a zip file, an import hook that finds distributions of its own), is
importlib.metadata asked, and its answer is the one used: the direct reading only ever
proves there is nothing to find. Nothing is kept between calls, so a plugin installed or
removed is seen by the next one.
"""

from __future__ import annotations

import os
import sys

from ..lazylog import get_logger
from .catalogue import BUILTIN_NOTIFIERS

TYPE_CHECKING = False  # not typing's: this module is on `reminder notifiers`' start-up path
if TYPE_CHECKING:
    from .base import Notifier

__all__ = ["ENTRY_POINT_GROUP", "may_have_plugins", "plugin_classes"]

logger = get_logger(__name__)

ENTRY_POINT_GROUP = "reminder.notifiers"
# Our own package registers the built-ins in the group too (pyproject.toml), pointing here.
_OWN_PREFIX = "reminder.notifiers."


def plugin_classes() -> dict[str, type[Notifier]]:
    """Every notifier class other packages register, by name; broken ones skipped with a warning."""
    if not may_have_plugins():
        return {}
    from importlib.metadata import entry_points

    from .base import Notifier

    found: dict[str, type[Notifier]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN_NOTIFIERS:
            # Our own package may register the built-ins too; a plugin cannot replace one.
            if not ep.value.startswith(_OWN_PREFIX):
                logger.warning("notifier plugin %r (%s) ignored: the name is a built-in", ep.name, ep.value)
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not stop the daemon
            logger.warning("notifier plugin %r (%s) could not be loaded: %s", ep.name, ep.value, exc)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Notifier)):
            logger.warning("notifier plugin %r (%s) is not a Notifier subclass; ignored", ep.name, ep.value)
            continue
        if ep.name in found:
            logger.warning("notifier plugin %r registered twice; keeping %s", ep.name, found[ep.name])
            continue
        found[ep.name] = cls
    return found


def may_have_plugins() -> bool:
    """False when no distribution importlib.metadata would find registers a notifier of its own
    (only our built-ins, pointing here); True when one may, or when this cannot tell."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        # importlib.metadata asks each finder; the standard one searches sys.path, as below.
        if finder is not PathFinder and getattr(finder, "find_distributions", None) is not None:
            return True
    return any(not isinstance(entry, str) or _may_register(entry) for entry in sys.path)


def _may_register(entry: str) -> bool:
    """Whether a distribution in this ``sys.path`` entry may register a plugin notifier."""
    root = entry or "."  # as importlib.metadata reads ""
    if os.path.basename(root).lower().endswith(".egg"):
        return True  # an egg directory keeps its metadata in EGG-INFO: leave it to importlib.metadata
    try:
        with os.scandir(root) as children:
            infos = [c.name for c in children if c.name.lower().endswith((".dist-info", ".egg-info"))]
    except NotADirectoryError:
        return True  # a zip file (pythonXY.zip, an egg): importlib.metadata looks inside
    except OSError:
        return False  # not there, or unreadable: importlib.metadata finds nothing in it either
    for name in infos:
        try:
            with open(os.path.join(root, name, "entry_points.txt"), encoding="utf-8") as f:
                text = f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            continue  # what importlib.metadata also reads as "no entry points"
        except (OSError, ValueError):
            return True  # what it would not: let it say so
        if ENTRY_POINT_GROUP in text and _names_a_plugin(text):
            return True
    return False


def _names_a_plugin(text: str) -> bool:
    """Whether an ``entry_points.txt`` puts in our group anything but our own built-ins; read
    as importlib.metadata reads it (lines stripped, ``#`` comments, ``[group]`` headers)."""
    group = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line.strip("[]")
            continue
        if group != ENTRY_POINT_GROUP:
            continue
        name, eq, value = line.partition("=")
        if not eq or name.strip() not in BUILTIN_NOTIFIERS or not value.strip().startswith(_OWN_PREFIX):
            return True
    return False
