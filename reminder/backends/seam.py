"""The seam between ``store.Store`` and its backends, as protocols: what the store needs of each.

Imported under ``TYPE_CHECKING`` only (by store.py and listing.py): a protocol needs typing,
whose import costs every command ~2 ms, and nothing checks these at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..errors import StoreError

__all__ = ["Backend", "Connection", "Cursor"]


class Cursor(Protocol):
    """What the store's callers use of a cursor (``sqlite3.Cursor`` is one)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store's callers use of a connection (``sqlite3.Connection`` is one)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...

    @property
    def in_transaction(self) -> bool: ...

    @property
    def total_changes(self) -> int: ...

    def close(self) -> None: ...


class Backend(Protocol):
    """What ``store.Store`` needs of a backend; ``SqliteBackend`` and ``PostgresBackend`` are one."""

    name: str  # "sqlite" or "postgresql" (Store.dialect)
    location: str  # the database as messages name it: a path, or a URL without its password
    begin: str  # the statement that opens a transaction
    begin_read: str  # the one that opens a read-only transaction whose reads share one snapshot
    unindexed: str  # put before a column to keep the planner off its index ("+" on SQLite)
    keyed: str  # a long text column (or a value for it) as an index keys it: "{}" or "md5({})"
    for_update: str  # appended to a SELECT that locks the rows it reads until the transaction ends
    for_share: str  # the same, a lock that other readers may share and no writer gets past
    status_counts: str  # the outbox's (status, rows) pairs, for `reminder status`

    @property
    def migrations(self) -> Sequence[Callable[[Any], None]]:
        """Applied in order; the same names and count on every backend."""
        ...

    def connect(self, *, any_thread: bool = False) -> Connection: ...

    def opened(self) -> None: ...

    def lost(self) -> str | None: ...

    def error(self, exc: BaseException, doing: str = "") -> StoreError | None: ...

    def is_constraint_violation(self, exc: BaseException | None) -> bool: ...

    def schema_version(self, conn: Any) -> int: ...

    def set_schema_version(self, conn: Any, version: int) -> None: ...

    def lock_for_migration(self, conn: Any) -> None: ...

    def checkpoints_aside(
        self, conn: Any, *, every: float = ..., restart_frames: int = ...
    ) -> AbstractContextManager[None]: ...

    def checkpoint(self, conn: Any) -> None: ...

    def ids_follow(self, conn: Any, table: str, column: str) -> None: ...
