"""``reminder list``'s cases: only what its table and ``--json`` show, read without the rest.

Apart from cases.py (the use cases that write), so that listing 10,000 cases imports neither
the planning of reminders nor the window's calendar: the store's columns, each case's
"today" in its own time zone, and the stored dates are all a listing needs.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from .tz import zone as _zone

if TYPE_CHECKING:
    from .store import StatusFilter, Store

__all__ = ["CaseColumns", "CaseLine", "CaseState", "list_case_columns", "list_case_lines", "list_cases_json"]


class CaseLine(NamedTuple):
    """A case as one line of ``reminder list``: only what the table shows, read without the rest.

    A named tuple rather than a frozen dataclass: made ten times faster (0.3 µs against
    3 µs), which is 25 ms over 10,000 cases.
    """

    id: str
    title: str
    organisation: str
    status: str
    opens: date | None  # None: no stored window
    deadline: date | None
    tentative: bool
    today: date  # the date it is in the case's time zone

    @property
    def days_left(self) -> int | None:
        """Calendar days from today to the deadline (negative once it has passed), as CaseView's."""
        return None if self.deadline is None else (self.deadline - self.today).days


class CaseState(NamedTuple):
    """What a case's dates and "Left" cell in ``reminder list`` are made of: cases in the same
    state show the same cells (10,000 cases are a few hundred states)."""

    status: str
    opens: date | None  # None: no stored window
    deadline: date | None
    tentative: bool
    today: date  # the date it is in the case's time zone


class CaseColumns(NamedTuple):
    """The cases of ``reminder list``, column by column, in the list's order: ``ids``,
    ``titles`` and ``organisations`` an entry per case, and ``keys`` each case's key of its
    :class:`CaseState` in ``states``.

    Columns, not 10,000 ``CaseLine``s (made only to be taken apart again, a tenth of the
    command), and each state once: its dates are parsed and its cells written per state."""

    ids: Sequence[str]
    titles: Sequence[str]
    organisations: Sequence[str]
    keys: Sequence[Hashable]
    states: Mapping[Hashable, CaseState]

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
    listed = store.list_lines(status, due_before)
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
    from .listing import todays

    return store.list_cases_json(status, due_before, today=todays(store.conn, now))
