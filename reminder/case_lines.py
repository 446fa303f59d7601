"""``reminder list``'s cases: only what its table and ``--json`` show, read without the rest.

Apart from cases.py (the use cases that write), so that listing 10,000 cases imports neither
the planning of reminders nor the window's calendar: the store's columns, each case's
"today" in its own time zone, and the stored dates are all a listing needs. The queries
that read them (:func:`listed_lines`, :func:`stored_cases_json`) are here too: they serve
nothing but the list.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter

from .listing import case_docs, status_filter, todays, write_docs
from .tz import zone as _zone

# typing is for mypy only (issue #20): the named tuples below are collections' at run time,
# typing's NamedTuple for mypy; tests/test_case_table holds the two field lists equal.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from .store import StatusFilter, Store

__all__ = [
    "LINE_STATE",
    "CaseColumns",
    "CaseLine",
    "CaseState",
    "ListedLines",
    "case_doc",
    "list_case_columns",
    "list_case_lines",
    "list_cases_json",
    "listed_lines",
    "rendered_doc",
    "stored_cases_json",
    "write_cases_json",
]


if TYPE_CHECKING:

    class _CaseLineFields(NamedTuple):
        id: str
        title: str
        organisation: str
        status: str
        opens: date | None  # None: no stored window
        deadline: date | None
        tentative: bool
        today: date  # the date it is in the case's time zone

else:
    _CaseLineFields = namedtuple("CaseLine", "id title organisation status opens deadline tentative today")


class CaseLine(_CaseLineFields):
    """A case as one line of ``reminder list``: only what the table shows, read without the rest.

    A named tuple rather than a frozen dataclass: made ten times faster (0.3 µs against
    3 µs), which is 25 ms over 10,000 cases.
    """

    __slots__ = ()

    @property
    def days_left(self) -> int | None:
        """Calendar days from today to the deadline (negative once it has passed), as CaseView's."""
        return None if self.deadline is None else (self.deadline - self.today).days


if TYPE_CHECKING:

    class _CaseStateFields(NamedTuple):
        status: str
        opens: date | None  # None: no stored window
        deadline: date | None
        tentative: bool
        today: date  # the date it is in the case's time zone

else:
    _CaseStateFields = namedtuple("CaseState", "status opens deadline tentative today")


class CaseState(_CaseStateFields):
    """What a case's dates and "Left" cell in ``reminder list`` are made of: cases in the same
    state show the same cells (10,000 cases are a few hundred states)."""

    __slots__ = ()


if TYPE_CHECKING:

    class _CaseColumnsFields(NamedTuple):
        ids: Sequence[str]
        titles: Sequence[str]
        organisations: Sequence[str]
        keys: Sequence[Hashable]
        states: Mapping[Hashable, CaseState]

else:
    _CaseColumnsFields = namedtuple("CaseColumns", "ids titles organisations keys states")


class CaseColumns(_CaseColumnsFields):
    """The cases of ``reminder list``, column by column, in the list's order: ``ids``,
    ``titles`` and ``organisations`` an entry per case, and ``keys`` each case's key of its
    :class:`CaseState` in ``states``.

    Columns, not 10,000 ``CaseLine``s (made only to be taken apart again, a tenth of the
    command), and each state once: its dates are parsed and its cells written per state."""

    __slots__ = ()

    @classmethod
    def of(cls, lines: Sequence[CaseLine]) -> CaseColumns:
        """The columns of these lines (each line's state is its own key)."""
        states = tuple(CaseState(*line[3:]) for line in lines)
        return cls(
            tuple(line.id for line in lines),
            tuple(line.title for line in lines),
            tuple(line.organisation for line in lines),
            states,
            {state: state for state in states},
        )

    def lines(self) -> list[CaseLine]:
        """The cases as lines, in order."""
        states = map(self.states.__getitem__, self.keys)
        return [
            CaseLine(i, t, o, s.status, s.opens, s.deadline, s.tentative, s.today)
            for i, t, o, s in zip(self.ids, self.titles, self.organisations, states, strict=True)
        ]


def list_case_columns(
    store: Store, *, now: datetime, status: StatusFilter = "open", due_before: date | None = None
) -> CaseColumns:
    """``cases.list_cases``' cases, in its order, as the columns of ``reminder list``'s table."""
    listed = listed_lines(store, status, due_before)
    # A case's key is its stored state (what of status, timezone, opens, deadline and
    # tentative the rows carry): at 10,000 cases a Python-level step per case is what the
    # time goes on, so per case there are only steps in C (itemgetter, map), and the dates
    # are parsed once per state.
    ids: list[str] = []
    titles: list[str] = []
    organisations: list[str] = []
    keys: list[tuple[Any, ...]] = []
    for rows in listed.chunks:
        ids += map(itemgetter(0), rows)
        titles += map(itemgetter(1), rows)
        organisations += map(itemgetter(2), rows)
        keys += map(itemgetter(slice(3, None)), rows)
    todays: dict[str, date] = {}
    days: dict[str, date] = {}

    def day(text: str) -> date:
        found = days.get(text)
        if found is None:
            found = days[text] = date.fromisoformat(text)
        return found

    states: dict[Hashable, CaseState] = {}
    for key in set(keys):
        stored = {**listed.shared, **dict(zip(listed.state, key, strict=True))}
        tz, opens, deadline = stored["timezone"], stored["opens"], stored["deadline"]
        today = todays.get(tz)
        if today is None:
            today = todays[tz] = now.astimezone(_zone(tz)).date()
        if opens is None:  # as the stored window: no deadline and nothing tentative without its opening day
            states[key] = CaseState(stored["status"], None, None, False, today)
        else:
            end = None if deadline is None else day(deadline)
            states[key] = CaseState(stored["status"], day(opens), end, bool(stored["tentative"]), today)
    return CaseColumns(ids, titles, organisations, keys, states)


def list_case_lines(
    store: Store, *, now: datetime, status: StatusFilter = "open", due_before: date | None = None
) -> list[CaseLine]:
    """``cases.list_cases``' cases, in its order, as the lines ``reminder list`` shows."""
    return list_case_columns(store, now=now, status=status, due_before=due_before).lines()


def list_cases_json(
    store: Store, *, now: datetime, status: StatusFilter = "open", due_before: date | None = None
) -> str:
    """``cases.list_cases`` as the JSON text ``reminder list --json`` prints (built in SQL, for speed)."""
    # One snapshot for todays() and the cases: a case added in between, in a time zone no other
    # case uses, would otherwise be listed with "days_left": null.
    with store.read_snapshot():
        return stored_cases_json(store, status, due_before, today=todays(store.conn, now))


def write_cases_json(
    store: Store,
    write: Callable[[bytes], object],
    *,
    now: datetime,
    status: StatusFilter = "open",
    due_before: date | None = None,
) -> None:
    """:func:`list_cases_json` and a newline, as UTF-8 to ``write``: from SQLite a stored document
    at a time, never decoded (``listing.write_docs``)."""
    import sqlite3

    try:
        # One read snapshot for todays() and the cases: a case added in between, in a time zone
        # no other case uses, would otherwise be listed with "days_left": null.
        with store.read_snapshot():
            today = todays(store.conn, now)
            if store.dialect != "sqlite":
                write((stored_cases_json(store, status, due_before, today=today) + "\n").encode())
                return
            write_docs(
                store.conn, status, due_before, today, write, lambda cid: rendered_doc(store.file, cid, today)
            )
    except sqlite3.Error as exc:  # mid-stream: one line naming the file, exit 1 (not a traceback)
        error = store.backend.error(exc)
        if error is None:
            raise
        raise error from None


# --- the rows, as stored ---------------------------------------------------------------------------


# A case's state in ``reminder list``: what its dates and days left are made of.
LINE_STATE = ("status", "timezone", "opens", "deadline", "tentative")


class ListedLines:
    """:func:`listed_lines`: the rows, a chunk at a time, and the state columns they hold.

    (A plain class: a NamedTuple's class costs a third of a millisecond to make, in every command.)"""

    __slots__ = ("chunks", "shared", "state")

    def __init__(
        self, shared: dict[str, Any], state: tuple[str, ...], chunks: Iterator[list[tuple[Any, ...]]]
    ) -> None:
        self.shared = shared  # the state columns every listed case has the same value in
        self.state = state  # the others, in LINE_STATE's order: each row's after its organisation
        self.chunks = chunks  # rows of (id, title, organisation, *state)


def listed_lines(
    store: Store, status: StatusFilter = "open", due_before: date | None = None, *, chunk: int = 1000
) -> ListedLines:
    """What ``reminder list`` shows of each case, in the same order as :meth:`Store.list_cases`:
    its ``(id, title, organisation)`` and its state, as stored, a chunk of rows at a time.

    No checklist to join and no JSON to parse: at 10,000 cases a whole Case per row
    costs more than writing the table. Nor the state columns every listed case has the
    same value in (its status under a status filter, the time zone when the store has
    one): a value per row read from SQLite is what reading them costs.
    """
    shared: dict[str, Any] = {}
    if status in ("open", "closed"):
        shared["status"] = status
    zones = store.conn.execute("SELECT DISTINCT timezone FROM cases LIMIT 2").fetchall()
    if len(zones) == 1:
        shared["timezone"] = zones[0][0]
    state = tuple(c for c in LINE_STATE if c not in shared)
    where, params = status_filter(status, due_before)
    select = f"SELECT {', '.join(('id', 'title', 'organisation', *state))} FROM cases WHERE "
    condition = where.removeprefix(" WHERE ")
    # Two queries rather than ORDER BY deadline IS NULL: each then reads in index order, unsorted.
    dated = " AND ".join(filter(None, [condition, "deadline IS NOT NULL"]))
    queries = [f"{select}{dated} ORDER BY deadline, id"]
    if due_before is None:  # undated cases sort last, and no deadline is "before" anything
        undated = " AND ".join(filter(None, [condition, "deadline IS NULL"]))
        queries.append(f"{select}{undated} ORDER BY id")

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        for sql in queries:
            cursor = store.conn.execute(sql, params)
            while rows := cursor.fetchmany(chunk):
                yield rows

    return ListedLines(shared, state, chunks())


def stored_cases_json(
    store: Store, status: StatusFilter = "open", due_before: date | None = None, *, today: Mapping[str, date]
) -> str:
    """The JSON array ``reminder list --json`` prints: the stored docs with ``days_left`` filled in.

    The same objects as ``export.case_to_dict`` (a test holds them equal), but no
    Python object is made per case (see ``listing.py``). ``today`` maps each case
    time zone to its current date (``listing.todays``).
    """
    rows = case_docs(store.conn, status, due_before, today)
    return "[" + ",".join(doc if doc is not None else case_doc(store, cid, today) for cid, doc in rows) + "]"


def rendered_doc(path: str, case_id: str, today: Mapping[str, date]) -> bytes:
    """:func:`case_doc` as ``listing.write_docs`` writes it, read on a connection of its own (the
    listing's reads bytes): for the SQLite file at ``path``, whose schema is current."""
    from .store import Store

    with Store(path, migrate=False) as store:
        return case_doc(store, case_id, today).encode()


def case_doc(store: Store, case_id: str, today: Mapping[str, date]) -> str:
    """One case's ``list --json`` object rendered now, for a row without a stored document."""
    # A row written by code that did not render docs yet (see m005); rare, so slow is fine.
    import json

    from .export import case_to_dict

    case = store.get_case(case_id)
    data = case_to_dict(case, store.get_window(case_id), today=today.get(case.timezone))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
