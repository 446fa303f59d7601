"""pydantic's validation messages in the reader's language.

The config file (config.py) and the notifier tables (notifiers/__init__.py) are validated by
pydantic, whose messages are English ("Input should be less than or equal to 23"). In
English they are shown as pydantic words them; in another language :func:`problem` says the
common ones from the error's ``type`` and ``ctx``, and falls back to pydantic's English for
the rare rest. Messages reminder's own validators raise are translated where they are raised.
The key and the value a message names stay as written in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .i18n import SOURCE_LANGUAGE, _, alternatives, current_language, joined_clauses, pgettext

__all__ = ["at", "got", "join_problems", "meant", "problem", "unknown_key"]

_Say = Callable[[Mapping[str, Any]], str]


def _table() -> dict[str, _Say]:
    return {
        "missing": lambda ctx: _("required, but missing"),
        "int_parsing": lambda ctx: _("should be a whole number"),
        "int_type": lambda ctx: _("should be a whole number"),
        "int_from_float": lambda ctx: _("should be a whole number"),
        "float_parsing": lambda ctx: _("should be a number"),
        "float_type": lambda ctx: _("should be a number"),
        "bool_parsing": lambda ctx: _("should be true or false"),
        "bool_type": lambda ctx: _("should be true or false"),
        "string_type": lambda ctx: _("should be text in quotes"),
        "list_type": lambda ctx: _('should be a list, as in ["a", "b"]'),
        "dict_type": lambda ctx: _("should be a table"),
        "model_type": lambda ctx: _("should be a table"),
        "date_type": lambda ctx: _("should be a date, as in 2026-03-01"),
        "date_parsing": lambda ctx: _("should be a date, as in 2026-03-01"),
        "date_from_datetime_parsing": lambda ctx: _("should be a date, as in 2026-03-01"),
        "date_from_datetime_inexact": lambda ctx: _("should be a date without a time, as in 2026-03-01"),
        "literal_error": lambda ctx: _("should be %(choices)s", choices=_alternatives(ctx)),
        "enum": lambda ctx: _("should be %(choices)s", choices=_alternatives(ctx)),
        "greater_than_equal": lambda ctx: _("should be at least %(n)s", n=ctx.get("ge")),
        "greater_than": lambda ctx: _("should be more than %(n)s", n=ctx.get("gt")),
        "less_than_equal": lambda ctx: _("should be at most %(n)s", n=ctx.get("le")),
        "less_than": lambda ctx: _("should be less than %(n)s", n=ctx.get("lt")),
        "too_short": lambda ctx: _("should have at least %(n)s items", n=ctx.get("min_length")),
        "too_long": lambda ctx: _("should have at most %(n)s items", n=ctx.get("max_length")),
        "string_too_short": lambda ctx: _("should not be empty"),
    }


def _alternatives(ctx: Mapping[str, Any]) -> str:
    # pydantic's "'business' or 'calendar'": the values stay as typed, the words between them do not.
    expected = str(ctx.get("expected", ""))
    return expected.replace(", ", pgettext("list separator", ", ")).replace(
        " or ", pgettext("alternatives", " or ")
    )


def join_problems(parts: list[str]) -> str:
    """Several problems on one line: ``a; b`` (``a；b`` in Chinese)."""
    return joined_clauses(parts, semicolons=True)


def problem(err: Mapping[str, Any]) -> str:
    """What is wrong, from one of ``ValidationError.errors()``: pydantic's words in English,
    the reader's language otherwise (a validator's own message is already in it)."""
    msg = str(err["msg"]).removeprefix("Value error, ")
    if current_language() == SOURCE_LANGUAGE or err["type"] == "value_error":
        return msg
    say = _table().get(str(err["type"]))
    return say(err.get("ctx") or {}) if say is not None else msg


def meant(err: Mapping[str, Any]) -> str | None:
    """For a value not among a fixed set (pydantic's ``literal_error``: ``defaults.unit``, an
    e-mail notifier's ``security``, a preset step's ``unit``), the message naming the one
    probably meant ("unknown value 'buisness'; did you mean 'business'?"); None when the value
    is like none of them (:func:`problem` then lists them all). It quotes the value, so only for
    a key whose value may be shown."""
    typed = err.get("input")
    if err["type"] not in ("literal_error", "enum") or not isinstance(typed, str):
        return None
    import re  # here: only a mistyped value needs these

    from .lookalikes import closest

    # pydantic lists the choices as their reprs: "'starttls', 'tls' or 'none'".
    expected = str((err.get("ctx") or {}).get("expected", ""))
    guesses = closest(typed, re.findall(r"'([^'\\]*)'", expected))
    if not guesses:
        return None
    return _(
        "unknown value %(value)s; did you mean %(guesses)s?", value=repr(typed), guesses=alternatives(guesses)
    )


def unknown_key(suggestions: Sequence[str]) -> str:
    """The message for a key no section has, with the keys it probably meant (lookalikes.py's
    :func:`~reminder.lookalikes.closest`: all as close as the closest, 'retry_mase_seconds'
    being as like 'retry_base_seconds' as 'retry_max_seconds')."""
    if suggestions:
        return _("unknown key (did you mean %(key)s?)", key=alternatives(suggestions))
    return _("unknown key")


def at(where: str, problem: str) -> str:
    """``problem`` at ``where`` (a file, a key): ``reminder.toml: defaults.hour: …`` (Chinese
    puts "：" after each)."""
    return _("%(where)s: %(problem)s", where=where, problem=problem)


def got(message: str, value: object) -> str:
    """``message`` with the value that was given: ``should be at most 23 (got 25)`` — unless
    the message quotes it already (``unknown language 'fr'; …``)."""
    shown = repr(value)
    if isinstance(value, str) and shown in message:  # quoted: 5 is not "already said" by "15"
        return message
    return _("%(problem)s (got %(value)s)", problem=message, value=shown)
