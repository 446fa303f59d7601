"""The notifier registry: built-in channels plus plugins, and building them from config.

Built-ins are listed explicitly (``catalogue.py``: name → ``module:Class``, imported
only when used, so start-up never pays for smtplib or D-Bus). Other packages add notifiers
through the ``reminder.notifiers`` entry-point group (``plugins.py``), scanned lazily —
only when a configured name is not a built-in, or when all notifiers are listed::

    [project.entry-points."reminder.notifiers"]
    pager = "reminder_pager:PagerNotifier"

``build_notifiers`` turns the raw ``[notifiers.<name>]`` tables into notifier
objects: the table name is the notifier type, or a table sets ``type = "email"``
so two of a kind can coexist (``[notifiers.work-mail]``).

Importing this package is cheap: pydantic (the options models, in ``base.py`` and each
notifier's module) is imported when a table is validated or a class is asked for, so
``reminder notifiers`` on the defaults never loads it (``catalogue.py`` answers for the
built-ins). The classes this package re-exports from ``base.py`` are loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from ..errors import ConfigError
from ..i18n import _, joined
from ..lazylog import get_logger
from .catalogue import BUILTIN_NOTIFIERS
from .plugins import ENTRY_POINT_GROUP, plugin_classes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType
    from typing import Any

    from pydantic import ValidationError

    from .base import Clock, DeliveryResult, Notifier, NotifierContext, NotifierOptions
    from .messages import render_test_message

# A notifier as planning sees it: its label and the reminder kinds it receives (None: all).
Route = tuple[str, frozenset[str] | None]

__all__ = [
    "BUILTIN_NOTIFIERS",
    "ENTRY_POINT_GROUP",
    "DeliveryResult",
    "Notifier",
    "NotifierContext",
    "NotifierOptions",
    "NotifierSpec",
    "Route",
    "available_notifier_classes",
    "build_notifier",
    "build_notifiers",
    "notifier_class",
    "notifier_routes",
    "parse_notifier_tables",
    "render_test_message",
]

logger = get_logger(__name__)

# Re-exported names, imported on first use (module __getattr__): base.py imports pydantic.
_LAZY = {
    "DeliveryResult": "base",
    "Notifier": "base",
    "NotifierContext": "base",
    "NotifierOptions": "base",
    "render_test_message": "messages",
}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Plain imports, as api.py's facade has them: tests/test_layers.py sees what they load.
    module: ModuleType
    if home == "base":
        from . import base as module
    else:
        from . import messages as module
    value = getattr(module, name)
    globals()[name] = value
    return value


def _import(target: str) -> type[Notifier]:
    from .base import Notifier

    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Notifier)):
        raise TypeError(f"{target} is not a Notifier subclass")
    return cls


def available_notifier_classes() -> dict[str, type[Notifier]]:
    """Every known notifier type: the built-ins, then plugins from entry points."""
    classes = {name: _import(target) for name, target in BUILTIN_NOTIFIERS.items()}
    classes.update(plugin_classes())
    return classes


def notifier_class(kind: str) -> type[Notifier] | None:
    """The class for a notifier type, or None; scans entry points only for non-built-ins."""
    if kind in BUILTIN_NOTIFIERS:
        return _import(BUILTIN_NOTIFIERS[kind])
    return plugin_classes().get(kind)


def _where(config_file: Path | None) -> str:
    from ..validation_text import at

    return at(str(config_file), "") if config_file is not None else ""


def _format_validation(error: ValidationError, prefix: str, fields: Mapping[str, Any] | None = None) -> str:
    """One line: ``notifiers.mail.port: Input should be …; notifiers.mail.hots: unknown key …``."""
    from ..lookalikes import closest
    from ..validation_text import at, got, join_problems, meant, problem, unknown_key

    parts = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(p) for p in item["loc"])
        message = problem(item)  # pydantic's wording in English, the reader's language otherwise
        if item["type"] == "extra_forbidden":
            # As for the rest of the config (config.py): a misspelt key gets its likely intent.
            message = unknown_key(closest(str(item["loc"][-1]), fields or ()))
        elif _may_show(item, fields or {}):
            # As config.py says it: "… (got 'abc')", or the value probably meant ('starttsl').
            message = meant(item) or got(message, item["input"])
        parts.append(at(f"{prefix}{'.' + loc if loc else ''}", message))
    return join_problems(parts)


_SECRET_WORDS = ("password", "token", "secret", "key")


def _may_show(item: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """Whether the value of a failed key can be quoted back: a plain value of a key of the table
    itself, which holds no secret. Never a value inside a list or table (an apprise URL, a
    command's env), of a key whose name or type says secret (a password pasted into
    ``password_env``), or of a key the table does not have (it may be a misspelt ``password``)."""
    loc = item["loc"]
    value = item.get("input")
    if len(loc) != 1 or isinstance(value, dict | list) or value is None:
        return False
    name = str(loc[0]).lower()
    field = fields.get(str(loc[0]))
    if field is None or any(word in name for word in _SECRET_WORDS):
        return False
    return "Secret" not in repr(getattr(field, "annotation", None))


def _unknown_type(key: str, kind: str) -> str:
    """``key`` names a notifier type there is none of: the one probably meant ('emial': 'email'),
    else every one."""
    from ..i18n import alternatives
    from ..lookalikes import closest

    known = sorted(available_notifier_classes())
    guesses = closest(kind, known)
    if guesses:
        return _(
            "%(key)s: unknown notifier %(kind)s; did you mean %(guesses)s?",
            key=key,
            kind=repr(kind),
            guesses=alternatives(guesses),
        )
    return _(
        "%(key)s: unknown notifier %(kind)s; valid: %(valid)s", key=key, kind=repr(kind), valid=joined(known)
    )


class NotifierSpec:
    """One validated ``[notifiers.<label>]`` table: its class and options (not yet built)."""

    __slots__ = ("cls", "label", "options")

    def __init__(self, label: str, cls: type[Notifier], options: NotifierOptions) -> None:
        self.label = label
        self.cls = cls
        self.options = options

    def __repr__(self) -> str:
        return f"NotifierSpec({self.label!r}, {self.cls.name!r}, enabled={self.options.enabled})"


def parse_notifier_tables(
    tables: Mapping[str, Mapping[str, Any]], *, config_file: Path | None = None
) -> list[NotifierSpec]:
    """Validate every table (enabled or not); raise ConfigError naming file, key and problem."""
    from pydantic import ValidationError

    from ..childenv import note_secret_env, secret_env_names

    specs: list[NotifierSpec] = []
    where = _where(config_file)
    # Before any table can fail: whatever it names as a secret is kept from child processes.
    note_secret_env(secret_env_names(tables))
    for label, table in tables.items():
        if not isinstance(table, Mapping):
            raise ConfigError(
                where
                + _(
                    "notifiers.%(label)s: expected a table, got %(type)s",
                    label=label,
                    type=type(table).__name__,
                )
            )
        raw = dict(table)
        kind = raw.pop("type", label)
        if not isinstance(kind, str):
            raise ConfigError(where + _("notifiers.%(label)s.type: expected a notifier name", label=label))
        cls = notifier_class(kind)
        if cls is None:
            key = f"notifiers.{label}.type" if "type" in table else f"notifiers.{label}"
            raise ConfigError(where + _unknown_type(key, kind))
        try:
            options = cls.Options.model_validate(raw)
        except ValidationError as exc:
            message = _format_validation(exc, f"notifiers.{label}", cls.Options.model_fields)
            raise ConfigError(where + message) from None
        specs.append(NotifierSpec(label, cls, options))
    return specs


def notifier_routes(
    tables: Mapping[str, Mapping[str, Any]], *, config_file: Path | None = None
) -> list[Route]:
    """(label, kinds it receives) for every enabled notifier of these tables, validated but not
    built (building would import SMTP and D-Bus code); with no table, the log notifier's.
    Raises ConfigError as :func:`parse_notifier_tables` does."""
    if not tables:
        return [("log", None)]
    specs = parse_notifier_tables(tables, config_file=config_file)
    return [
        (s.label, None if s.options.kinds is None else frozenset(s.options.kinds))
        for s in specs
        if s.options.enabled
    ]


def build_notifier(
    spec: NotifierSpec, *, context: NotifierContext | None = None, clock: Clock | None = None
) -> Notifier:
    """Instantiate one notifier; a ConfigError from its constructor names the table."""
    try:
        return spec.cls(spec.options, label=spec.label, clock=clock, context=context)
    except ConfigError as exc:
        where = _where(context.config_file if context else None)
        message = str(exc)
        if not message.startswith(where) or not where:
            from ..validation_text import at

            message = where + at(f"notifiers.{spec.label}", message)
        raise ConfigError(message) from None


def build_notifiers(
    tables: Mapping[str, Mapping[str, Any]],
    *,
    config_file: Path | None = None,
    log_file: Path | None = None,
    clock: Clock | None = None,
) -> list[Notifier]:
    """The enabled notifiers of ``[notifiers.*]``; with no table at all, just the log notifier.

    Raises ConfigError for an unknown notifier or invalid options (disabled tables are
    validated too, so a typo shows before the day it matters).
    """
    from .base import NotifierContext

    context = NotifierContext(config_file=config_file, log_file=log_file)
    if not tables:
        from .log import LogNotifier

        return [LogNotifier(LogNotifier.Options(), clock=clock, context=context)]
    specs = parse_notifier_tables(tables, config_file=config_file)
    notifiers = [build_notifier(s, context=context, clock=clock) for s in specs if s.options.enabled]
    if not notifiers:
        logger.warning("every configured notifier is disabled: reminders will not be delivered anywhere")
    return notifiers
