"""Cases for the store-level tests (store, outbox, leases, wake-ups), built one way.

The tests that need a case in a fresh store, on either backend, take it from here rather than
each spelling out the same Bahrain case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from reminder.models import Case
from reminder.store import Store
from reminder.window import compute_window

__all__ = ["NOW", "add_one_case", "make_case"]

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def make_case(**kw: object) -> Case:
    """A Bahrain case submitted on 2026-03-01; ``kw`` overrides any field (``id=""``: the store picks one)."""
    fields: dict[str, object] = {
        "id": "",
        "title": "Cancel roaming eSIM",
        "organisation": "Batelco",
        "submitted": date(2026, 3, 1),
        "country": "BH",
        "timezone": "Asia/Bahrain",
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(kw)
    return Case(**fields)  # type: ignore[arg-type]


def add_one_case(store: Store, case_id: str = "abc123") -> Case:
    """Add one case with its computed window to ``store``: what outbox rows hang off."""
    case = make_case(id=case_id, title="t", organisation="o")
    return store.add_case(case, compute_window(case.submitted, country="BH"))
