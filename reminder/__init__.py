"""reminder: a deadline reminder daemon for requests under review.

The public names are re-exported here; all but ``ReminderError`` load lazily so
that ``import reminder`` (and the CLI's start-up, ``reminder --help``) does not pay
for pydantic, sqlite or even the dataclasses of ``models`` until they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ReminderError

if TYPE_CHECKING:
    from .config import Settings
    from .models import Case, ReviewWindow
    from .store import Store

__all__ = ["Case", "ReminderError", "ReviewWindow", "Settings", "Store", "__version__"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("Case", "ReviewWindow"):
        from . import models

        return getattr(models, name)
    if name == "Settings":
        from .config import Settings

        return Settings
    if name == "Store":
        from .store import Store

        return Store
    raise AttributeError(f"module 'reminder' has no attribute {name!r}")
