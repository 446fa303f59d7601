"""What a settings section answers besides its fields, written once for both of its forms.

A section is a pydantic model when the config is validated (``config.py``) and a plain
object when it is restored from the cache (``settings_cache.py``), which must not import
pydantic. Both take these mixins, so ``to_closure()``, ``person()``, ``store_password()`` and
``closure_list()`` are the same code whichever form a command got. The mixins declare their
fields for the type checker only: at run time a pydantic model would take an annotation of a
base class as a field of its own.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: every command's start-up imports this module
if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

    from .models import Closure, Person

__all__ = ["ClosureMethods", "MeMethods", "SettingsMethods", "StoreMethods"]


class ClosureMethods:
    """``[[closures]]``: a day or an inclusive range of days on which offices are shut."""

    __slots__ = ()

    if TYPE_CHECKING:
        start: date
        end: date | None
        label: str

    def to_closure(self) -> Closure:
        from .models import Closure

        return Closure(start=self.start, end=self.end or self.start, label=self.label, source="config")


class MeMethods:
    """``[me]``: who writes the letters."""

    __slots__ = ()

    if TYPE_CHECKING:
        name: str | None
        email: str | None
        phone: str | None
        address: str | None
        name_in: dict[str, str]
        address_in: dict[str, str]

    def person(self, lang: str | None = None) -> Person:
        """Who writes, as a letter (or the dossier) in ``lang`` names them: the name and the
        address given for that language (``name_in``, ``address_in``), else ``name`` and ``address``."""
        from .models import Person

        name, address = self.name, self.address
        if lang is not None:
            name = self.name_in.get(lang, name)
            address = self.address_in.get(lang, address)
        return Person(name=name, email=self.email, phone=self.phone, address=address)


class StoreMethods:
    """``[store]``: where the database lives."""

    __slots__ = ()

    if TYPE_CHECKING:
        path: Path
        password_env: str | None
        password_file: Path | None

    def path_text(self, name: str) -> str | None:
        """A path field as text (None when unset). The restored form answers without making a
        ``pathlib.Path``: opening the store is on every command's path, pathlib is not (issue #20)."""
        value = getattr(self, name)
        return None if value is None else os.fspath(value)


class SettingsMethods:
    """The whole settings."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def closures(self) -> Sequence[ClosureMethods]: ...

        @property
        def store(self) -> StoreMethods: ...

        @property
        def source(self) -> Path | None: ...

    def store_password(self) -> str | None:
        """The database password from ``[store] password_env`` or ``password_file``; None leaves it
        to libpq (``PGPASSWORD``, ``~/.pgpass``, or none). Raises ConfigError, one line naming the
        config file, the key and what is wrong (backends.store_password)."""
        from .backends import store_password

        source = self.source
        return store_password(
            self.store.password_env, self.store.password_file, origin=None if source is None else str(source)
        )

    def closure_list(self) -> tuple[Closure, ...]:
        """The ``[[closures]]`` as calendar closures, applied to every case's window."""
        return tuple(c.to_closure() for c in self.closures)

    def kept_notifier_routes(self) -> list[tuple[str, frozenset[str] | None]] | None:
        """The notifier tables' routes (``planning.notifier_routes``) as validated when these
        settings were kept; None: validate the tables now (the validated form always does)."""
        return None
