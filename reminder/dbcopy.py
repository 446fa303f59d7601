"""``reminder db copy``: move a personal SQLite store into a shared PostgreSQL one.

Everything goes: every case (with its stored window and ``--json`` document), checklist
item, outbox row (with its id, status, attempts and idempotency key, so a reminder sent
before the copy is not sent again after it), evidence entry and head, the ``meta`` rows,
and every attachment (streamed into the database a chunk at a time). The rows go in one
transaction on the target: a copy that fails half way leaves the target as it was
(attachments copied before it are content-addressed orphans, harmless, as in
evidence_files.py). The evidence log is copied row for row, MACs included, so its chains
verify on the copy with the same key; :func:`copy_store` checks every case's chain there
before it reports.

A target that already holds cases, outbox rows or evidence is refused unless ``force``:
then rows already there are kept and only the missing ones are added.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import InputError, StoreError
from .evidence_files import open_blob
from .i18n import _
from .lazylog import get_logger

if TYPE_CHECKING:
    from pathlib import Path

    from .evidence_key import KeyDir
    from .store import Store

__all__ = ["TABLES", "CopyReport", "copy_store", "target_counts"]

log = get_logger(__name__)

# In the order their foreign keys need; evidence before the heads (a head names its newest entry).
TABLES = ("cases", "checklist_items", "deliveries", "evidence", "evidence_heads", "meta")
_BATCH = 1000


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied
    attachments: int = 0
    attachment_bytes: int = 0
    verified: int = 0  # cases whose evidence log verifies on the target
    problems: list[str] = field(default_factory=list)  # cases whose log does not, and why


def target_counts(target: Store) -> dict[str, int]:
    """Rows in the tables a copy would write (``meta`` aside: every store writes its own)."""
    return {t: int(target.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES[:-1]}


def copy_store(
    source: Store, target: Store, *, data_dir: Path, keys: KeyDir, force: bool = False
) -> CopyReport:
    """Copy everything in ``source`` (SQLite) into ``target`` (a migrated, empty database)."""
    if source.dialect != "sqlite":
        raise InputError(_("db copy reads a SQLite store; the configured store is not one"))
    if source.schema_version != target.schema_version:  # pragma: no cover - both migrated on open
        raise StoreError(_("the source and the target are at different schema versions"))
    there = {t: n for t, n in target_counts(target).items() if n}
    if there and not force:
        listed = ", ".join(f"{n} {t}" for t, n in there.items())
        raise InputError(
            _(
                "%(db)s is not empty (%(rows)s); copy into an empty database, "
                "or pass --force to add only what is missing",
                db=target.location,
                rows=listed,
            )
        )
    report = CopyReport(source=source.location, target=target.location)
    # The source's write lock for the whole copy: each table read on its own saw the store as it
    # was then, so a case added while the copy ran was in neither, or only some of its rows were,
    # and it was lost once the config named the copy. A command that writes meanwhile waits, then
    # fails saying the copy holds the store (nothing it was asked to write is half done).
    with source.atomic():
        _copy_attachments(source, target, data_dir, report)
        with target.atomic():
            for table in TABLES:
                report.rows[table] = _copy_table(source, target, table)
            target.backend.ids_follow(target.conn, "deliveries", "id")
        _analyze(target)
        _verify(source, target, data_dir, keys, report)
    log.info("copied %s into %s: %s", source.location, target.location, report.rows)
    return report


def _analyze(target: Store) -> None:
    """Give the server's planner the copied tables' statistics now. Until autovacuum's first
    ANALYZE it takes a table filled in one transaction for nearly empty, and the daemon starting
    on the copy re-plans every case: the batches were found through the status index and each
    sorted every open case left (100,000 cases: 11 s of batch reads against 0.6 s once analysed).
    A role that may not analyse them (not their owner) leaves it to autovacuum."""
    for table in TABLES:
        try:
            target.conn.execute(f"ANALYZE {table}")
        except Exception as exc:  # an optimisation only: the copy is committed and stands
            log.warning("after the copy, ANALYZE %s failed (%s): left to autovacuum", table, exc)


def _copy_table(source: Store, target: Store, table: str) -> int:
    conn = source.conn
    assert isinstance(conn, sqlite3.Connection)
    cur = conn.execute(f"SELECT * FROM {table}")
    columns = [d[0] for d in cur.description]
    marks = ", ".join("?" * len(columns))
    # Rows already there (a --force copy, or meta the target wrote on open) are kept.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    copied = 0
    while rows := cur.fetchmany(_BATCH):
        copied += max(0, target.conn.executemany(sql, rows).rowcount)
    return copied


def _copy_attachments(source: Store, target: Store, data_dir: Path, report: CopyReport) -> None:
    from pathlib import Path

    into = target.attachments_at(data_dir)
    if isinstance(into, Path):
        raise InputError(_("db copy writes into a PostgreSQL database"))
    seen: set[str] = set()
    for (text,) in source.conn.execute("SELECT attachments FROM evidence WHERE attachments != '[]'"):
        for item in json.loads(text):
            digest = str(item["sha256"])
            if digest in seen:
                continue
            seen.add(digest)
            try:
                with open_blob(source.attachments_at(data_dir), digest) as fh:
                    size = into.put(fh, digest, name=str(item.get("name", "")))
            except (OSError, InputError) as exc:
                # Missing or altered at the source: verify names it on the copy, as it would there.
                name = item.get("name", digest)
                report.problems.append(_("attachment %(name)s: not copied (%(why)s)", name=name, why=exc))
                continue
            report.attachments += 1
            report.attachment_bytes += size


def _verify(source: Store, target: Store, data_dir: Path, keys: KeyDir, report: CopyReport) -> None:
    from .evidence_verify import verify

    ids = [str(r[0]) for r in source.conn.execute("SELECT case_id FROM evidence_heads ORDER BY case_id")]
    for case_id in ids:
        result = verify(target, data_dir, case_id, keys=keys)
        if result.ok:
            report.verified += 1
        else:
            report.problems.append(_("case %(id)s: %(problem)s", id=case_id, problem=result.first))
