"""Hourly upkeep riding on a daemon pass: the database's log and what killed writers left behind."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .store import Store

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["housekeeping"]


def housekeeping(store: Store, settings: Settings, *, now: datetime) -> None:
    """Hourly upkeep riding on a daemon pass (its first pass too): fold the WAL back into the
    database, and remove temporary files that killed writers left behind."""
    from .leftovers import sweep

    store.checkpoint()  # nothing on PostgreSQL, whose server folds its log back itself
    sweep(store.path.parent, now=now)
