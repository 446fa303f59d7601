"""reminder: a deadline reminder daemon for requests under review.

The public names are re-exported here; all but ``ReminderError`` load lazily so
that ``import reminder`` (and the CLI's start-up, ``reminder --help``) does not pay
for pydantic, sqlite or even the dataclasses of ``models`` until they are used.
"""

from __future__ import annotations

from .errors import ReminderError

# Not ``from typing import TYPE_CHECKING``: every command imports this package first, and
# ``typing`` costs the start-up fast path (entry.py) a few milliseconds it does not have.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
