"""Records (record.py): the frozen value classes that replaced dataclasses on the everyday path.

Each subclass writes its own ``__init__`` beside its ``__slots__``; these tests hold the two
together for every subclass in the package, and check that a record behaves as the frozen
dataclass it replaced did (equality, hashing, repr, replace, copy and pickle).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import pkgutil
from datetime import date

import pytest
from sample_cases import make_case

import reminder
from reminder.models import Closure, DayInfo, ReviewWindow
from reminder.record import FrozenError, Record, replace


def _all_modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages(reminder.__path__, "reminder.")
        if not m.name.endswith("__main__")
    ]


def test_every_module_imports() -> None:
    # Names moved under `if TYPE_CHECKING:` exist for mypy only: one used at run time (a base
    # class, a default) fails here, not in whichever command first imports the module.
    failed = {}
    for name in _all_modules():
        try:
            importlib.import_module(name)
        except Exception as e:
            failed[name] = repr(e)
    assert failed == {}


def _records() -> list[type[Record]]:
    for name in _all_modules():
        importlib.import_module(name)
    found: list[type[Record]] = []
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_the_records_are_found() -> None:
    names = {cls.__name__ for cls in _records()}
    assert {"Case", "ReviewWindow", "Delivery", "EvidenceEntry", "Moment", "Policy", "CaseView"} <= names


@pytest.mark.parametrize("cls", _records(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_init_takes_the_slots_in_their_order(cls: type[Record]) -> None:
    params = list(inspect.signature(cls.__init__).parameters)[1:]
    assert params == list(cls.__slots__)
    # Every field is annotated, for mypy and for a reader.
    assert set(cls.__slots__) <= set(cls.__annotations__)


def test_a_record_is_frozen() -> None:
    case = make_case()
    with pytest.raises(FrozenError, match="'title'"):
        case.title = "x"
    with pytest.raises(FrozenError):
        del case.title
    assert isinstance(FrozenError("x"), AttributeError)  # as dataclasses' FrozenInstanceError is


def test_equality_and_hash_are_by_value() -> None:
    a = Closure(date(2026, 3, 1), date(2026, 3, 2), "Eid")
    b = Closure(start=date(2026, 3, 1), end=date(2026, 3, 2), label="Eid")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != replace(a, label="Ashura")
    # Another class with the same values is not equal (dataclasses compare the class too).
    assert DayInfo(date(2026, 3, 1), True, 1, None) != Closure(date(2026, 3, 1), date(2026, 3, 1), "x")
    assert make_case() == make_case() and make_case() != make_case(title="other")
    with pytest.raises(TypeError):
        hash(make_case())  # its remind mapping is a dict, as the dataclass's was


def test_defaults_and_mutable_defaults_are_not_shared() -> None:
    a, b = make_case(), make_case()
    assert a.kind == "other" and a.min_days == 7 and a.remind == {}
    assert a.remind is not b.remind


def test_repr_names_the_fields() -> None:
    text = repr(Closure(date(2026, 3, 1), date(2026, 3, 2), "Eid"))
    assert text == (
        "Closure(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 2), label='Eid', source=None)"
    )


def test_replace_changes_only_what_it_is_given() -> None:
    case = make_case()
    moved = replace(case, title="new", status="closed")
    assert (moved.title, moved.status, case.title, case.status) == (
        "new",
        "closed",
        "Cancel roaming eSIM",
        "open",
    )
    assert moved.values()[2:] == replace(case, status="closed").values()[2:]
    with pytest.raises(TypeError, match="'titel'"):
        replace(case, titel="typo")


def test_copy_deepcopy_and_pickle_round_trip() -> None:
    window = ReviewWindow(
        country="BH",
        subdivision=None,
        submitted=date(2026, 3, 1),
        opens=date(2026, 3, 11),
        deadline=date(2026, 3, 19),
        min_days=7,
        max_days=15,
        days=(DayInfo(date(2026, 3, 2), True, 1, None),),
    )
    for clone in (copy.copy(window), copy.deepcopy(window), pickle.loads(pickle.dumps(window))):
        assert clone == window and clone is not window
    case = make_case(remind={"before_deadline": 3})
    assert pickle.loads(pickle.dumps(case)) == case
