"""What ``reminder notifiers`` and ``reminder notify test`` report, computed without the command line.

:func:`list_notifiers` lists every known notifier type (built-in and plugin) and
every configured table: configured, enabled, available and why not.
:func:`test_notifiers` sends the test message through the configured (or one
named) notifier and returns, per notifier, OK or the exact problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..errors import ConfigError, InputError
from ..i18n import _, alternatives, joined, using_language
from ..lazylog import get_logger
from ..record import Record, setfield
from . import (
    NotifierSpec,
    available_notifier_classes,
    build_notifier,
    build_notifiers,
    notifier_class,
    parse_notifier_tables,
)
from .catalogue import (
    BUILTIN_NOTIFIERS,
    builtin_environment,
    builtin_summary,
    default_log_settings,
    default_log_text,
    log_file_availability,
)
from .plugins import plugin_classes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from ..models import Message
    from .base import Clock, DeliveryResult, Notifier, NotifierContext

__all__ = [
    "NotifierRow",
    "TestOutcome",
    "check_notifiers",
    "checked_notifiers",
    "list_notifiers",
    "test_notifiers",
]

log = get_logger(__name__)


class NotifierRow(Record):
    """One line of ``reminder notifiers``."""

    name: str
    type: str
    # "built-in" or the plugin's module
    source: str
    configured: bool
    enabled: bool
    available: bool
    reason: str
    summary: str
    settings: Mapping[str, object] | None

    __slots__ = (
        "name",
        "type",
        "source",
        "configured",
        "enabled",
        "available",
        "reason",
        "summary",
        "settings",
    )

    def __init__(
        self,
        name: str,
        type: str,
        source: str,
        configured: bool,
        enabled: bool,
        available: bool,
        reason: str = "",
        summary: str = "",
        settings: Mapping[str, object] | None = None,
    ) -> None:
        setfield(self, "name", name)
        setfield(self, "type", type)
        setfield(self, "source", source)
        setfield(self, "configured", configured)
        setfield(self, "enabled", enabled)
        setfield(self, "available", available)
        setfield(self, "reason", reason)
        setfield(self, "summary", summary)
        setfield(self, "settings", settings)


class TestOutcome(Record):
    """One notifier's answer to ``reminder notify test``."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    type: str
    ok: bool
    detail: str
    problem: str
    retryable: bool

    __slots__ = ("name", "type", "ok", "detail", "problem", "retryable")

    def __init__(
        self,
        name: str,
        type: str,
        ok: bool,
        detail: str,
        problem: str = "",
        retryable: bool = False,
    ) -> None:
        setfield(self, "name", name)
        setfield(self, "type", type)
        setfield(self, "ok", ok)
        setfield(self, "detail", detail)
        setfield(self, "problem", problem)
        setfield(self, "retryable", retryable)


def _source(cls: type[Notifier]) -> str:
    return "built-in" if cls.__module__.startswith("reminder.notifiers.") else cls.__module__


def checked_notifiers(
    tables: Mapping[str, Mapping[str, Any]], *, config_file: Path | None = None
) -> list[Notifier]:
    """The enabled notifiers of ``[notifiers.*]``, built (:func:`build_notifiers`: every table
    parsed, a missing ``ca_file`` shows only when built) and usable now: none names a file it
    cannot read (:meth:`Notifier.config_problems`: a missing ``password_file``). Otherwise they
    are closed and a ConfigError names the file, the key (``notifiers.mail.password_file``) and
    the problem, on one line. The daemon starts, and reloads, with what this returns."""
    from ..validation_text import at

    notifiers = build_notifiers(tables, config_file=config_file)
    problems: list[str] = []
    try:
        for notifier in notifiers:
            problems += [at(f"notifiers.{notifier.label}.{key}", p) for key, p in notifier.config_problems()]
    except BaseException:
        _close_all(notifiers)
        raise
    if problems:
        _close_all(notifiers)
        where = at(str(config_file), "") if config_file is not None else ""
        raise ConfigError(where + "; ".join(problems))
    return notifiers


def check_notifiers(tables: Mapping[str, Mapping[str, Any]], *, config_file: Path | None = None) -> None:
    """Validate ``[notifiers.*]`` as the daemon does, by the daemon's own code
    (:func:`checked_notifiers`), then close what it built. Raises ConfigError naming the
    file, the table and the key; sends nothing."""
    _close_all(checked_notifiers(tables, config_file=config_file))


def _close_all(notifiers: list[Notifier]) -> None:
    for notifier in notifiers:
        try:
            notifier.close()
        except Exception:  # one that cannot close must not keep the others open
            log.debug("closing %r failed", notifier, exc_info=True)


def _row_for(
    label: str, table: Mapping[str, Any], context: NotifierContext, config_file: Path | None
) -> NotifierRow:
    kind = str(table.get("type", label))
    try:
        (spec,) = parse_notifier_tables({label: table}, config_file=config_file)
    except ConfigError as exc:
        cls = notifier_class(kind)
        return NotifierRow(
            label, kind, _source(cls) if cls else "?", True, bool(table.get("enabled", True)), False, str(exc)
        )
    enabled = spec.options.enabled
    try:
        notifier = build_notifier(spec, context=context)
    except ConfigError as exc:
        return NotifierRow(
            label, spec.cls.name, _source(spec.cls), True, enabled, False, str(exc), spec.cls.summary
        )
    try:
        available, reason = notifier.availability()
        settings = notifier.describe()
    finally:
        notifier.close()
    return NotifierRow(
        label, spec.cls.name, _source(spec.cls), True, enabled, available, reason, spec.cls.summary, settings
    )


def list_notifiers(
    tables: Mapping[str, Mapping[str, Any]],
    *,
    config_file: Path | None = None,
    log_file: Path | None = None,
) -> list[NotifierRow]:
    """Every configured notifier, then every known type that is not configured.

    The built-ins' rows come from ``catalogue.py``, without importing them (or pydantic):
    only a configured table is validated and built, by the daemon's own code.
    """
    rows: list[NotifierRow] = []
    configured_types: set[str] = set()
    if tables:
        from .base import NotifierContext

        context = NotifierContext(config_file=config_file, log_file=log_file)
        for label, table in tables.items():
            if not isinstance(table, Mapping):
                rows.append(
                    NotifierRow(label, label, "?", True, False, False, f"notifiers.{label}: expected a table")
                )
                continue
            row = _row_for(label, table, context, config_file)
            configured_types.add(row.type)
            rows.append(row)
    for name in BUILTIN_NOTIFIERS:
        if name in configured_types:
            continue
        summary = builtin_summary(name)
        if name == "log" and not tables:
            # The default when nothing is configured: LogNotifier(LogOptions()), described.
            path = log_file or default_log_text()
            available, reason = log_file_availability(path)
            rows.append(
                NotifierRow("log", "log", "built-in", False, True, available,
                            reason or _("the default: no [notifiers] table in the config"), summary,
                            default_log_settings(path))
            )  # fmt: skip
            continue
        available, reason = builtin_environment(name)
        rows.append(NotifierRow(name, name, "built-in", False, False, available, reason, summary))
    for name, cls in plugin_classes().items():
        if name in configured_types:
            continue
        available, reason = cls.environment()
        rows.append(NotifierRow(name, name, _source(cls), False, False, available, reason, cls.summary))
    return rows


def _select(
    tables: Mapping[str, Mapping[str, Any]], only: str | None, config_file: Path | None
) -> list[NotifierSpec]:
    if not tables and only in (None, "log"):
        # Nothing configured: the log notifier is the default.
        from .log import LogNotifier

        return [NotifierSpec("log", LogNotifier, LogNotifier.Options())]
    if only is None:
        return [s for s in parse_notifier_tables(tables, config_file=config_file) if s.options.enabled]
    if only in tables:
        # Asked for by name: tested even when disabled.
        return parse_notifier_tables({only: tables[only]}, config_file=config_file)
    cls = notifier_class(only)
    if cls is None:
        known = sorted({*tables, *available_notifier_classes()})
        from ..lookalikes import closest

        guesses = closest(only, known)
        if guesses:
            raise InputError(
                _(
                    "unknown notifier %(name)s; did you mean %(guesses)s?",
                    name=repr(only),
                    guesses=alternatives(guesses),
                )
            )
        raise InputError(
            _("unknown notifier %(name)s; known: %(known)s", name=repr(only), known=joined(known))
        )
    # A type with no table: try it on its defaults (desktop and log need none).
    try:
        return parse_notifier_tables({only: {}}, config_file=config_file)
    except ConfigError:
        where = str(config_file) if config_file else "the config file"
        raise ConfigError(f"{only} is not configured: add a [notifiers.{only}] table to {where}") from None


def _outcome(notifier: Notifier, result: DeliveryResult) -> TestOutcome:
    return TestOutcome(
        notifier.label,
        notifier.name,
        result.ok,
        result.detail,
        result.problem,
        result.retryable and not result.ok,
    )


def test_notifiers(
    tables: Mapping[str, Mapping[str, Any]],
    *,
    now: datetime,
    only: str | None = None,
    config_file: Path | None = None,
    log_file: Path | None = None,
    clock: Clock | None = None,
) -> list[TestOutcome]:
    """Send the test message through each enabled configured notifier (or the one named ``only``).

    Raises InputError for an unknown name and ConfigError for invalid options.
    """
    from .base import DeliveryResult, NotifierContext
    from .messages import render_test_message

    specs = _select(tables, only, config_file)
    context = NotifierContext(config_file=config_file, log_file=log_file)
    # One message per language the notifiers read (a table's own `language`, else the user's).
    messages: dict[str | None, Message] = {}
    outcomes: list[TestOutcome] = []
    for spec in specs:
        try:
            notifier = build_notifier(spec, context=context, clock=clock)
        except ConfigError as exc:
            outcomes.append(TestOutcome(spec.label, spec.cls.name, False, str(exc), "config"))
            continue
        language = getattr(notifier.options, "language", None)
        if language not in messages:
            with using_language(language):
                messages[language] = render_test_message(now)
        try:
            result = notifier.send(messages[language])
        except Exception as exc:  # a plugin that breaks the contract still gets reported
            log.debug("notifier %s raised", spec.label, exc_info=True)
            result = DeliveryResult.failure(f"{type(exc).__name__}: {exc}", problem="error")
        finally:
            notifier.close()
        outcomes.append(_outcome(notifier, result))
    return outcomes
