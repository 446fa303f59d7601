"""The case list as ``reminder list --json`` prints it, read straight from SQLite.

Each case's JSON is stored beside it (``doc_head`` and ``doc_tail``, written by the
store whenever the case changes) with only ``days_left`` missing, since that depends
on the day the list is printed. Here one query splices in ``days_left`` and returns
the documents in deadline order, so listing 10,000 cases builds no Python object per
case. ``case_lines.stored_cases_json`` and the start-up fast path (``entry.py``) share it.

This module imports nothing beyond the standard library's ``sqlite3`` and ``zoneinfo``
— the fast path's whole budget is a few milliseconds of imports.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the start-up fast path (see entry.py)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from datetime import date, datetime
    from typing import Any

    from .backends.seam import Connection

__all__ = [
    "SCHEMA_VERSION",
    "STATUSES",
    "case_docs",
    "code_stamp",
    "docs_current",
    "status_filter",
    "todays",
    "write_docs",
]

STATUSES = ("open", "closed", "all")

# The schema these queries are written for: len(store.MIGRATIONS) (a test holds them equal).
SCHEMA_VERSION = 14

_JULIAN_OFFSET = 1721424.5  # julianday('0001-01-01') - date(1, 1, 1).toordinal()


def status_filter(
    status: str | None, due_before: date | None, alias: str = ""
) -> tuple[str, tuple[Any, ...]]:
    """A ``WHERE`` clause (or "") and its parameters for a status and a deadline bound."""
    clauses: list[str] = []
    params: list[Any] = []
    if status not in (None, "all"):
        if status not in STATUSES:
            from .errors import InputError
            from .i18n import _

            raise InputError(_("unknown status %(status)s; use open, closed or all", status=repr(status)))
        clauses.append(f"{alias}status = ?")
        params.append(status)
    if due_before is not None:
        clauses.append(f"{alias}deadline <= ?")
        params.append(due_before.isoformat())
    return (" WHERE " + " AND ".join(clauses) if clauses else "", tuple(params))


def code_stamp() -> str:
    """What the stored documents' shape rests on: reminder's version and the files rendering them.

    The store re-renders every document when a sample case renders differently from the
    last time (``store._check_docs``), but finding that out means importing the models
    and pydantic-free export code — too slow for the fast path. The store records this
    stamp beside the shape instead, and the fast path trusts the documents only while
    the stamp still matches. "" (never matching) where the files cannot be seen.
    """
    from . import __version__

    here = os.path.dirname(__file__)
    parts = [__version__]
    try:
        for name in ("models.py", "export.py", "store.py", "case_store.py", "case_rows.py"):
            st = os.stat(os.path.join(here, name))
            parts.append(f"{st.st_size:x}.{st.st_mtime_ns:x}")
    except OSError:
        return ""
    return "-".join(parts)


def docs_current(conn: Connection) -> bool:
    """Whether the database is at this code's schema and its documents were rendered by this code."""
    if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    row = conn.execute("SELECT value FROM meta WHERE key = 'case_doc_code'").fetchone()
    stamp = code_stamp()
    return bool(stamp) and row is not None and row[0] == stamp


def todays(conn: Connection, now: datetime) -> dict[str, date]:
    """Today's date in each time zone the stored cases use: ``days_left`` counts from it."""
    from zoneinfo import ZoneInfo

    zones = [str(r[0]) for r in conn.execute("SELECT DISTINCT timezone FROM cases")]
    return {tz: now.astimezone(ZoneInfo(tz)).date() for tz in zones}


def case_docs(
    conn: Connection, status: str, due_before: date | None, today: Mapping[str, date]
) -> Iterator[tuple[Any, Any]]:
    """``(id, document)`` per case, by deadline then id, undated cases last, as SQLite reads them.

    Rows stream rather than arrive as a list, so a caller that writes each document
    as it comes reuses one buffer instead of holding megabytes of them at once.

    A document is None for a row written before documents were stored (migration
    m005 fills them; the caller renders those itself). Documents come back as the
    connection's ``text_factory`` makes them: ``str``, or ``bytes`` to write unchanged.
    """
    where, params = status_filter(status, due_before, alias="c.")
    # julianday() differences are exact for dates; one CASE arm per time zone in use. (PostgreSQL
    # has a julianday() of the same meaning, see backends/postgres.py, and wants the TEXT cast.)
    arms = " ".join("WHEN ? THEN ?" for _ in today)
    arm_params = tuple(v for tz, d in today.items() for v in (tz, d.toordinal() + _JULIAN_OFFSET))
    days_left = f"CAST(julianday(c.deadline) - CASE c.timezone {arms} END AS INTEGER)" if today else "NULL"
    select = (
        f"SELECT c.id, CASE WHEN c.doc_tail IS NULL THEN c.doc_head "
        f"ELSE c.doc_head || coalesce(CAST({days_left} AS TEXT), 'null') || c.doc_tail END FROM cases AS c"
    )
    condition = where.removeprefix(" WHERE ")
    dated = " AND ".join(filter(None, [condition, "c.deadline IS NOT NULL"]))
    # Two queries rather than ORDER BY deadline IS NULL: each then reads in index order, unsorted.
    yield from conn.execute(f"{select} WHERE {dated} ORDER BY c.deadline, c.id", arm_params + params)
    if due_before is None:  # undated cases sort last, and no deadline is "before" anything
        undated = " AND ".join(filter(None, [condition, "c.deadline IS NULL"]))
        yield from conn.execute(f"{select} WHERE {undated} ORDER BY c.id", arm_params + params)


def write_docs(
    conn: Any,
    status: str,
    due_before: date | None,
    today: Mapping[str, date],
    write: Callable[[bytes], object],
    render: Callable[[str], bytes],
) -> None:
    """``list --json``'s whole output (the JSON array and a newline) to ``write``, a stored
    document at a time, as the SQLite connection ``conn`` reads it: bytes, never decoded.

    10,000 cases are 8 MB: decoding them into one string, joining and encoding it again cost
    more than reading them. ``render(case_id)`` writes a row that has no stored document yet
    (see m005), on a connection of its own: this one reads bytes until it is done.
    """
    factory = conn.text_factory
    conn.text_factory = bytes
    separator = b"["
    try:
        for case_id, doc in case_docs(conn, status, due_before, today):
            write(separator)
            write(doc if doc is not None else render(case_id.decode()))
            separator = b","
    finally:
        conn.text_factory = factory
    write(b"[]\n" if separator == b"[" else b"]\n")
