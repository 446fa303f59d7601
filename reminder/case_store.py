"""The case tables' queries: a case and its checklist added, read, listed, changed and deleted.

:class:`CaseQueries` is a mixin that :class:`reminder.store.Store` inherits, so callers keep
calling ``store.get_case(…)``; it is a file of its own because the store is two jobs, and
this one (the SQL of the ``cases`` and ``checklist_items`` tables) changes with what a case
holds while ``store.py`` (the connection, transactions, migrations) changes with the
backends. The mixin uses only the connection, the backend, its location and
:meth:`Store.atomic`, which it declares for the type checker; it never imports ``store.py``.
Each write happens inside ``atomic`` and re-renders the case's stored document
(``_refresh_doc``) in the same transaction. How a case maps to its row's columns is in
``case_rows.py``, imported where a case is read or written (``reminder list`` needs no model
at all).
"""

from __future__ import annotations

from .case_ids import ID_RETRIES, MIN_ID_PREFIX, new_case_id, normalize_case_id, not_found
from .errors import InputError, NotFound, StoreError
from .i18n import _
from .listing import status_filter

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (status, list: see entry.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from contextlib import AbstractContextManager
    from datetime import date, datetime
    from typing import Any, Literal

    from .backends.seam import Backend, Connection
    from .models import Case, ChecklistItem, ReviewWindow

    StatusFilter = Literal["open", "closed", "all"]

__all__ = ["CaseQueries"]


class CaseQueries:
    """The queries of the case tables, for :class:`reminder.store.Store` to inherit."""

    if TYPE_CHECKING:
        # What the store provides (store.py); declared here for the type checker only.
        conn: Connection
        backend: Backend

        @property
        def location(self) -> str: ...

        def atomic(self) -> AbstractContextManager[Connection]: ...

    # cases

    def add_case(self, case: Case, window: ReviewWindow | None = None) -> Case:
        """Insert a case (and its checklist); an empty ``case.id`` gets a fresh one. Returns it stored."""
        from .case_keys import FOLDED_COLUMNS
        from .case_rows import CASE_COLUMNS, case_values, doc, folded_values, letter_values, window_values
        from .record import replace

        columns = f"{CASE_COLUMNS}, {', '.join(FOLDED_COLUMNS)}"
        with self.atomic():
            for _attempt in range(ID_RETRIES):
                stored = case if case.id else replace(case, id=new_case_id())
                values = case_values(stored) + window_values(window)
                values += letter_values(stored) + folded_values(stored)
                try:
                    with self.atomic():
                        self.conn.execute(
                            f"INSERT INTO cases ({columns}) VALUES ({', '.join('?' * len(values))})", values
                        )
                except StoreError as exc:
                    if not self.backend.is_constraint_violation(exc.__cause__):
                        raise
                    if case.id:
                        raise InputError(
                            _("a case with id %(id)s already exists", id=repr(case.id))
                        ) from None
                    continue
                self._insert_items(stored.id, stored.checklist)
                self.conn.execute(
                    "UPDATE cases SET doc_head = ?, doc_tail = ? WHERE id = ?",
                    (*doc(stored, window), stored.id),
                )
                return stored
        raise StoreError(_("%(path)s: could not find a free case id", path=self.location))  # pragma: no cover

    def resolve_id(self, text: str) -> str:
        """The id of the one case ``text`` names: its id, or a unique prefix of at least
        :data:`MIN_ID_PREFIX` characters (any case, blanks around ignored).

        Raises NotFound naming up to three close ids for an id that matches none, and
        InputError naming the matches for a prefix that is ambiguous or too short: a command
        never acts on a guess.
        """
        case_id = normalize_case_id(text)
        if self.conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None:
            return case_id
        # A range, not LIKE: it uses the primary key's index and needs no escaping of % and _.
        rows = self.conn.execute(
            "SELECT id FROM cases WHERE id > ? AND id < ? ORDER BY id LIMIT 6",
            (case_id, case_id + "\U0010ffff"),
        )
        matches = [str(row[0]) for row in rows] if case_id else []
        listed = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        if len(matches) == 1 and len(case_id) >= MIN_ID_PREFIX:
            return matches[0]
        if matches and len(case_id) < MIN_ID_PREFIX:
            raise InputError(
                _(
                    "case id %(id)s is too short: give at least %(n)d characters (%(matches)s)",
                    id=repr(case_id),
                    n=MIN_ID_PREFIX,
                    matches=listed,
                )
            )
        if matches:
            raise InputError(
                _(
                    "case id %(id)s is ambiguous: it matches %(matches)s; give more of the id",
                    id=repr(case_id),
                    matches=listed,
                )
            )
        import difflib  # here: only a mistyped id needs it

        ids = [row[0] for row in self.conn.execute("SELECT id FROM cases")]
        raise not_found(case_id, difflib.get_close_matches(case_id, ids, n=3))

    def get_case(self, case_id: str, *, lock: bool = False) -> Case:
        """The case with this id (or unique prefix, see :meth:`resolve_id`), or NotFound.

        ``lock``: inside :meth:`atomic`, hold the case until the transaction ends, for a case read
        to be written back (edit, close, reopen). On PostgreSQL a plain read takes no lock, so two
        commands changing one case at once each wrote back what it had read, the later one undoing
        the earlier (an edit reopened a case closed meanwhile); locked, the later one waits and
        reads the case as the earlier left it. SQLite's BEGIN IMMEDIATE holds the database already.
        """
        from .case_rows import CASE_COLUMNS, case_from_row

        sql = f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?{self.backend.for_update if lock else ''}"
        case_id = normalize_case_id(case_id)
        row = self.conn.execute(sql, (case_id,)).fetchone()
        if row is None:
            case_id = self.resolve_id(case_id)
            row = self.conn.execute(sql, (case_id,)).fetchone()
            if row is None:  # deleted since it was resolved
                raise not_found(case_id)
        return case_from_row(row, self.get_checklist(case_id))

    def get_window(self, case_id: str) -> ReviewWindow | None:
        """The window stored with the case (None if it was never computed)."""
        from .case_rows import CASE_COLUMNS, window_from_row

        case_id = normalize_case_id(case_id)
        row = self.conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            case_id = self.resolve_id(case_id)
            row = self.conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        return window_from_row(row)

    def list_cases(self, status: StatusFilter = "open", due_before: date | None = None) -> list[Case]:
        """Cases sorted by deadline (then id), optionally only those due on or before a date."""
        return [case for case, _ in self.list_cases_with_windows(status, due_before)]

    def list_cases_with_windows(
        self, status: StatusFilter = "open", due_before: date | None = None
    ) -> list[tuple[Case, ReviewWindow | None]]:
        """Like :meth:`list_cases`, each with its stored window — one query, no recomputation."""
        from .case_rows import CASE_COLUMNS, case_from_row, item_from_row, window_from_row

        where, params = status_filter(status, due_before)
        rows = self.conn.execute(
            f"SELECT {CASE_COLUMNS} FROM cases{where} ORDER BY deadline IS NULL, deadline, id", params
        ).fetchall()
        items: dict[str, list[ChecklistItem]] = {}
        if rows:
            # One pass over all checklist rows beats one query per case at 10,000 cases.
            item_sql = "SELECT case_id, position, text, done, done_at FROM checklist_items"
            if where:
                item_sql += f" WHERE case_id IN (SELECT id FROM cases{where})"
            for r in self.conn.execute(item_sql + " ORDER BY case_id, position", params):
                items.setdefault(r[0], []).append(item_from_row(r[1:]))
        return [(case_from_row(row, tuple(items.get(row[0], ()))), window_from_row(row)) for row in rows]

    def case_batch(
        self, status: StatusFilter = "open", *, after: str = "", limit: int = 1000, lock: bool = False
    ) -> list[tuple[Case, ReviewWindow | None]]:
        """The next ``limit`` cases in id order after the id ``after``, each with its stored window.

        For walking every case a batch at a time (the daemon re-plans 100,000 of them)
        without holding them all in memory: pass the last id of a batch as ``after``.

        ``lock``: inside :meth:`atomic`, hold the batch's cases until the transaction ends, for
        a batch whose cases are planned from what is read here (the re-plan of every case). On
        PostgreSQL a plain read takes no lock: a ``close`` committed after it cancelled the
        case's reminders, and the re-plan then wrote new ones, planned, for the closed case.
        Locked (shared, in id order, as every writer of several cases locks them), a command
        changing one of them waits for the batch's commit, and one that changed a case first is
        waited for: the case is read as it left it, and one no longer open is left out of the
        batch. SQLite's BEGIN IMMEDIATE holds the database already.
        """
        from .case_rows import CASE_COLUMNS, case_from_row, item_from_row, window_from_row

        # "+status": walk the primary key in order; SQLite would otherwise take the status
        # index and sort every open case again for each batch (quadratic at 100,000 cases).
        where, params = status_filter(status, None, alias=self.backend.unindexed)
        where = f"{where} AND id > ?" if where else " WHERE id > ?"
        if lock and self.backend.for_share:
            rows = self._locked_batch(where, params, after, limit)
        else:
            rows = self.conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases{where} ORDER BY id LIMIT ?", (*params, after, limit)
            ).fetchall()
        items: dict[str, list[ChecklistItem]] = {}
        if rows:
            # A range of the primary key: no parameter per case, and other cases' items are ignored.
            for r in self.conn.execute(
                "SELECT case_id, position, text, done, done_at FROM checklist_items"
                " WHERE case_id BETWEEN ? AND ? ORDER BY case_id, position",
                (rows[0][0], rows[-1][0]),
            ):
                items.setdefault(r[0], []).append(item_from_row(r[1:]))
        return [(case_from_row(row, tuple(items.get(row[0], ()))), window_from_row(row)) for row in rows]

    def _locked_batch(
        self, where: str, params: tuple[object, ...], after: str, limit: int
    ) -> list[Sequence[Any]]:
        """:meth:`case_batch`'s rows, locked: the next ``limit`` ids first, then the rows up to the
        last of them, FOR SHARE (a case added in between is in the batch too). One statement with
        both LIMIT and FOR SHARE cannot sort only its first rows (a row that fails the re-check
        after the lock is replaced by the next one): on a table not yet analysed, where PostgreSQL
        sorts the open cases instead of walking the primary key, it sorted, whole, every open case
        left after ``after`` for every batch (100,000 cases: 16 s of batch reads, 13 s unlocked, 11 s
        in two steps). A range whose cases were all closed meanwhile is passed over for the next
        one: an empty batch says no open case is left."""
        from .case_rows import CASE_COLUMNS

        rows: list[Sequence[Any]] = []
        while not rows:
            ids = self.conn.execute(
                f"SELECT id FROM cases{where} ORDER BY id LIMIT ?", (*params, after, limit)
            )
            last = [row[0] for row in ids][-1:]
            if not last:
                break
            rows = self.conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases{where} AND id <= ? ORDER BY id{self.backend.for_share}",
                (*params, after, last[0]),
            ).fetchall()
            after = str(last[0])
        return rows

    def cases_with_windows(self, case_ids: Sequence[str]) -> dict[str, tuple[Case, ReviewWindow | None]]:
        """Several cases by id, each with its stored window, in two queries; unknown ids are left out."""
        from .case_rows import CASE_COLUMNS, case_from_row, item_from_row, window_from_row

        out: dict[str, tuple[Case, ReviewWindow | None]] = {}
        ids = sorted({normalize_case_id(i) for i in case_ids})
        for start in range(0, len(ids), 500):  # well below SQLite's limit on parameters
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({marks})"
            rows = self.conn.execute(sql, chunk).fetchall()
            items: dict[str, list[ChecklistItem]] = {}
            item_sql = "SELECT case_id, position, text, done, done_at FROM checklist_items"
            for r in self.conn.execute(f"{item_sql} WHERE case_id IN ({marks}) ORDER BY position", chunk):
                items.setdefault(r[0], []).append(item_from_row(r[1:]))
            for row in rows:
                out[row[0]] = (case_from_row(row, tuple(items.get(row[0], ()))), window_from_row(row))
        return out

    def open_lookalike(self, case: Case) -> tuple[str, str] | None:
        """The open case, other than ``case``, that ``case`` looks like a second record of, and
        why: ``(id, "reference")`` for the same organisation and reference, else ``(id, "title")``
        for the same organisation, title and day of submission where one of the two has no
        reference (added before the organisation gave one, or without it: two references that
        differ are two requests). The texts compared folded (case_keys.py: "Batelco" is
        "batelco ", "R-1" is "Ｒ－１"). The oldest of them, by reference first; None when there is
        none. One statement, a lookup in each index of the open cases (m014) however many cases
        there are."""
        from .case_keys import folded

        organisation, reference, title = folded(case.organisation, case.reference, case.title)
        keyed = self.backend.keyed
        params: list[str] = []

        def same(column: str, value: str) -> str:
            # A text by the key its index holds (on PostgreSQL, its MD5), and as it is.
            if keyed == "{}":
                params.append(value)
                return f"{column} = ?"
            params.extend((value, value))
            return f"{keyed.format(column)} = {keyed.format('?')} AND {column} = ?"

        sql = ""
        if reference is not None:
            sql = (
                "SELECT id, 'reference' AS why, created_at FROM cases WHERE status = 'open'"
                f" AND {same('organisation_folded', organisation)} AND {same('reference_folded', reference)}"
                " AND reference_folded IS NOT NULL AND id <> ? UNION ALL "  # the index holds only those
            )
            params.append(case.id)
        sql += (
            "SELECT id, 'title' AS why, created_at FROM cases WHERE status = 'open'"
            f" AND {same('organisation_folded', organisation)} AND {same('title_folded', title)}"
            f" AND submitted = ?{'' if reference is None else ' AND reference_folded IS NULL'} AND id <> ?"
        )
        params += (case.submitted.isoformat(), case.id)
        # The oldest chosen here: an ORDER BY over the UNION made SQLite sort each half in a
        # temporary B-tree, 30 µs where the two lookups take 4; the matches are one or two.
        rows = self.conn.execute(sql, params).fetchall()
        if not rows:
            return None
        found, why, _created = min(rows, key=lambda r: (r[1], r[2], r[0]))
        return str(found), str(why)

    def count_cases(self, status: StatusFilter = "all") -> int:
        where, params = status_filter(status, None)
        count: int = self.conn.execute(f"SELECT count(*) FROM cases{where}", params).fetchone()[0]
        return count

    def update_case(self, case: Case, window: ReviewWindow | None = None) -> Case:
        """Overwrite a stored case's fields (not its checklist); a given window replaces the stored one."""
        from .case_keys import FOLDED_COLUMNS
        from .case_rows import (
            CASE_COLUMNS,
            LETTER_COLUMNS,
            case_values,
            folded_values,
            letter_values,
            window_values,
        )

        sets = [c.strip() + " = ?" for c in CASE_COLUMNS.split(",")[1:24]]
        sets += [f"{c} = ?" for c in (*LETTER_COLUMNS, *FOLDED_COLUMNS)]
        values = case_values(case)[1:] + letter_values(case) + folded_values(case)
        if window is not None:
            sets += ["opens = ?", "deadline = ?", "tentative = ?", "window_extra = ?"]
            values += window_values(window)
        with self.atomic():
            cur = self.conn.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id = ?", (*values, case.id))
            if cur.rowcount == 0:
                raise not_found(case.id)
            self._refresh_doc(case.id)
        return case

    def delete_case(self, case_id: str) -> None:
        """Delete a case and everything that cascades from it."""
        case_id = normalize_case_id(case_id)
        try:
            with self.atomic():
                cur = self.conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
                if cur.rowcount == 0:
                    raise not_found(case_id)
        except StoreError as exc:
            if "append-only" in str(exc.__cause__ or ""):
                raise InputError(
                    _(
                        "case %(id)s has evidence, which is never deleted; close the case instead "
                        "('reminder close %(id)s')",
                        id=case_id,
                    )
                ) from None
            raise

    # checklists

    def get_checklist(self, case_id: str) -> tuple[ChecklistItem, ...]:
        from .case_rows import item_from_row

        rows = self.conn.execute(
            "SELECT position, text, done, done_at FROM checklist_items WHERE case_id = ? ORDER BY position",
            (normalize_case_id(case_id),),
        ).fetchall()
        return tuple(item_from_row(r) for r in rows)

    def add_checklist_items(self, case_id: str, texts: Sequence[str]) -> tuple[ChecklistItem, ...]:
        """Append items to a case's checklist; returns the whole checklist."""
        case_id = normalize_case_id(case_id)
        with self.atomic():
            if not self.lock_case(case_id):
                raise not_found(case_id)
            last = self.conn.execute(
                "SELECT coalesce(max(position), 0) FROM checklist_items WHERE case_id = ?", (case_id,)
            ).fetchone()[0]
            from .models import ChecklistItem

            self._insert_items(
                case_id, [ChecklistItem(position=last + i, text=t) for i, t in enumerate(texts, start=1)]
            )
            self._refresh_doc(case_id)
        return self.get_checklist(case_id)

    def set_item_done(self, case_id: str, position: int, *, done: bool, at: datetime | None) -> ChecklistItem:
        """Tick (or untick) one checklist item by its position (1-based)."""
        from .case_rows import item_from_row, ts

        case_id = normalize_case_id(case_id)
        with self.atomic():
            self.lock_case(case_id)
            cur = self.conn.execute(
                "UPDATE checklist_items SET done = ?, done_at = ? WHERE case_id = ? AND position = ?",
                (int(done), ts(at) if done else None, case_id, position),
            )
            if cur.rowcount == 0:
                self.get_case(case_id)  # raises NotFound for an unknown case
                raise NotFound(_("case %(id)s has no checklist item %(n)s", id=case_id, n=position))
            self._refresh_doc(case_id)
            row = self.conn.execute(
                "SELECT position, text, done, done_at FROM checklist_items"
                " WHERE case_id = ? AND position = ?",
                (case_id, position),
            ).fetchone()
        return item_from_row(row)

    def lock_case(self, case_id: str) -> bool:
        """Inside :meth:`atomic`: hold the case until the transaction ends (False: no such case).

        A read-then-write of a case (its next checklist position or evidence number, the
        document re-rendered from its rows) must not interleave with another's. SQLite's
        BEGIN IMMEDIATE already holds the one write lock; on PostgreSQL this locks the case's row.
        """
        row = self.conn.execute(f"SELECT 1 FROM cases WHERE id = ?{self.backend.for_update}", (case_id,))
        return row.fetchone() is not None

    def _insert_items(self, case_id: str, items: Iterable[ChecklistItem]) -> None:
        from .case_rows import ts

        self.conn.executemany(
            "INSERT INTO checklist_items (case_id, position, text, done, done_at) VALUES (?, ?, ?, ?, ?)",
            [(case_id, i.position, i.text, int(i.done), ts(i.done_at)) for i in items],
        )

    # the stored document

    def _refresh_doc(self, case_id: str) -> None:
        """Re-render a case's stored JSON after any change to it or its checklist."""
        from .case_rows import CASE_COLUMNS, case_from_row, doc, window_from_row

        row = self.conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is not None:
            case = case_from_row(row, self.get_checklist(case_id))
            self.conn.execute(
                "UPDATE cases SET doc_head = ?, doc_tail = ? WHERE id = ?",
                (*doc(case, window_from_row(row)), case_id),
            )

    # misc

    def touch(self, case_id: str, now: datetime) -> None:
        """Record that a case changed (e.g. its checklist) without rewriting it."""
        from .case_rows import ts

        with self.atomic():
            self.conn.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (ts(now), case_id))
            self._refresh_doc(case_id)
