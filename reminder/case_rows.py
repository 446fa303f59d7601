"""How a case is kept in the store's rows: the columns it is written to, and it read back.

Apart from the store (case_store.py, and store.py's check of the documents), which imports
this module only where a case is read or written: the store's other work — opening and
migrating the database, ``reminder list``'s columns, ``list --json``'s documents — needs no
model, and building the models' dataclasses costs every command that imports them several
milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache

from .case_keys import folded
from .errors import StoreError
from .models import Case, ChecklistItem, Closure, ReviewWindow, TentativeDay

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CASE_COLUMNS",
    "LETTER_COLUMNS",
    "case_from_row",
    "case_values",
    "doc",
    "doc_shape",
    "folded_values",
    "item_from_row",
    "letter_values",
    "parse_ts",
    "ts",
    "window_from_row",
    "window_values",
]


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware one")
    return value.astimezone(UTC).isoformat()


def parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def closures_json(closures: Iterable[Closure]) -> str:
    items = [
        {"start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label, "source": c.source}
        for c in closures
    ]
    return json.dumps(items) if items else "[]"


def closures_from(text: str) -> tuple[Closure, ...]:
    if text == "[]":
        return ()
    return tuple(
        Closure(
            start=date.fromisoformat(c["start"]),
            end=date.fromisoformat(c["end"]),
            label=c["label"],
            source=c.get("source"),
        )
        for c in json.loads(text)
    )


def window_extra(window: ReviewWindow) -> str:
    extra: dict[str, Any] = {}
    if window.tentative_because:
        extra["tentative_because"] = [[t.date.isoformat(), t.name] for t in window.tentative_because]
    if window.holidays_version:
        extra["holidays_version"] = window.holidays_version
    if window.overrides:
        extra["overrides"] = list(window.overrides)
    if window.warnings:
        extra["warnings"] = list(window.warnings)
    return json.dumps(extra) if extra else "{}"


CASE_COLUMNS = (
    "id, title, organisation, kind, filed, reference, channels, country, subdivision, timezone, "
    "submitted, submitted_time, min_days, max_days, unit, status, resolution, closed_at, created_at, "
    "updated_at, notes, preset, remind, closures, opens, deadline, tentative, window_extra, "
    "account, org_email, letter_language"
)
# The columns after the window's (m007), written by _letter_values; rows index them from 28.
LETTER_COLUMNS = ("account", "org_email", "letter_language")


def case_values(case: Case) -> tuple[Any, ...]:
    if case.created_at is None or case.updated_at is None:
        raise ValueError("a stored case needs created_at and updated_at")
    return (
        case.id,
        case.title,
        case.organisation,
        case.kind,
        case.filed,
        case.reference,
        json.dumps(list(case.channels)) if case.channels else "[]",
        case.country,
        case.subdivision,
        case.timezone,
        case.submitted.isoformat(),
        case.submitted_time.isoformat() if case.submitted_time else None,
        case.min_days,
        case.max_days,
        case.unit,
        case.status,
        case.resolution,
        ts(case.closed_at),
        ts(case.created_at),
        ts(case.updated_at),
        case.notes,
        case.preset,
        json.dumps(dict(case.remind), sort_keys=True) if case.remind else "{}",
        closures_json(case.closures),
    )


def folded_values(case: Case) -> tuple[Any, ...]:
    """The values of :data:`~reminder.case_keys.FOLDED_COLUMNS`: what add compares (m014)."""
    return folded(case.organisation, case.reference, case.title)


def letter_values(case: Case) -> tuple[Any, ...]:
    return (case.account, case.org_email, case.letter_language)


def window_values(window: ReviewWindow | None) -> tuple[Any, ...]:
    if window is None:
        return (None, None, 0, "{}")
    return (
        window.opens.isoformat(),
        window.deadline.isoformat(),
        int(window.tentative),
        window_extra(window),
    )


def case_from_row(row: Sequence[Any], checklist: tuple[ChecklistItem, ...]) -> Case:
    return Case(
        id=row[0],
        title=row[1],
        organisation=row[2],
        kind=row[3],
        filed=row[4],
        reference=row[5],
        channels=tuple(json.loads(row[6])) if row[6] != "[]" else (),
        country=row[7],
        subdivision=row[8],
        timezone=row[9],
        submitted=date.fromisoformat(row[10]),
        submitted_time=time.fromisoformat(row[11]) if row[11] else None,
        min_days=row[12],
        max_days=row[13],
        unit=row[14],
        status=row[15],
        resolution=row[16],
        closed_at=parse_ts(row[17]),
        created_at=parse_ts(row[18]),
        updated_at=parse_ts(row[19]),
        notes=row[20],
        preset=row[21],
        remind=json.loads(row[22]) if row[22] != "{}" else {},
        closures=closures_from(row[23]),
        checklist=checklist,
        account=row[28],
        org_email=row[29],
        letter_language=row[30],
    )


def window_from_row(row: Sequence[Any]) -> ReviewWindow | None:
    if row[24] is None:
        return None
    extra: dict[str, Any] = json.loads(row[27]) if row[27] != "{}" else {}
    return ReviewWindow(
        country=row[7],
        subdivision=row[8],
        submitted=date.fromisoformat(row[10]),
        opens=date.fromisoformat(row[24]),
        deadline=date.fromisoformat(row[25]),
        min_days=row[12],
        max_days=row[13],
        unit=row[14],
        tentative=bool(row[26]),
        tentative_because=tuple(
            TentativeDay(date=date.fromisoformat(d), name=n) for d, n in extra.get("tentative_because", ())
        ),
        holidays_version=extra.get("holidays_version", ""),
        overrides=tuple(extra.get("overrides", ())),
        warnings=tuple(extra.get("warnings", ())),
    )


def item_from_row(row: Sequence[Any]) -> ChecklistItem:
    return ChecklistItem(position=row[0], text=row[1], done=bool(row[2]), done_at=parse_ts(row[3]))


DAYS_LEFT_NULL = '"days_left":null'


def doc(case: Case, window: ReviewWindow | None) -> tuple[str, str | None]:
    """The case's JSON as ``list --json`` prints it, split where ``days_left`` goes (see m005)."""
    from .export import case_to_dict

    text = json.dumps(case_to_dict(case, window), ensure_ascii=False, separators=(",", ":"))
    if window is None:
        return text, None
    # Escaped inside strings, so this exact text only occurs as the real key.
    head, found, tail = text.partition(DAYS_LEFT_NULL)
    if not found:
        raise StoreError("export.case_to_dict no longer has window.days_left; update store._doc")
    return head + '"days_left":', tail


@lru_cache(maxsize=1)
def doc_shape() -> str:
    """A sample case's doc: when the code renders cases differently, the stored docs are redone."""
    day = date(2000, 1, 1)
    sample = Case(
        id="x",
        title="x",
        organisation="x",
        submitted=day,
        country="x",
        timezone="UTC",
        checklist=(ChecklistItem(1, "x"),),
        closures=(Closure(day, day, "x"),),
    )
    window = ReviewWindow(
        country="x",
        subdivision=None,
        submitted=day,
        opens=day,
        deadline=day,
        min_days=0,
        max_days=0,
        tentative_because=(TentativeDay(day, "x"),),
    )
    return "".join(p or "" for p in doc(sample, window))
