"""Frozen value classes that every command can afford to import.

The models were frozen dataclasses. Importing ``dataclasses`` loads ``inspect`` (and with it
``ast``, ``dis``, ``tokenize``): about 8 ms. Each ``@dataclass`` then compiles its methods
when its module is imported: about 1 ms a class, 10 ms for ``models``. Every command paid
both before reading a row, on an interpreter that starts in 13 ms (issue #20).

A :class:`Record` subclass lists its fields in ``__slots__`` and writes its ``__init__``
(the fields in the same order, the constructor the dataclass had). The base class gives it
what the dataclass did: frozen attributes, equality and hashing by value, a ``repr`` that
names the fields, and :func:`replace`. ``tests/test_record.py`` checks every subclass's
``__init__`` against its ``__slots__``, so a field added to one and not the other fails.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    R = TypeVar("R", bound="Record")

__all__ = ["FrozenError", "Record", "replace"]

# Sets a field once, in __init__: Record.__setattr__ refuses every later assignment.
setfield = object.__setattr__


class FrozenError(AttributeError):
    """An assignment to a field of a frozen record (``dataclasses.FrozenInstanceError``'s role)."""


class Record:
    """A frozen value: its fields are its ``__slots__``, in its ``__init__``'s order."""

    __slots__: tuple[str, ...] = ()

    def values(self) -> tuple[Any, ...]:
        """The fields' values, in their order."""
        return tuple([getattr(self, name) for name in self.__slots__])

    def to_dict(self) -> dict[str, Any]:
        """The fields by name (``dataclasses.asdict``'s role, one level deep), for ``--json``."""
        return dict(zip(self.__slots__, self.values(), strict=True))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, Record)
            return self.values() == other.values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        # copy, deepcopy and pickle rebuild through __init__: __setattr__ refuses their way.
        return (type(self), self.values())


def replace(record: R, /, **changes: Any) -> R:
    """A copy of ``record`` with ``changes`` made (``dataclasses.replace`` for records)."""
    unknown = changes.keys() - set(record.__slots__)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {sorted(unknown)[0]!r}")
    return type(record)(**{name: changes.get(name, getattr(record, name)) for name in record.__slots__})
