"""The words the command line shows for reminder's own values, in the user's language.

The data keeps its English values (a reminder's kind is ``before_deadline``, its status
``sent``, a case's ``open``); ``--json`` keeps them. Where a person reads them in the
command's text output they go through here. English gives back the value itself, so
the English output is byte for byte what it always was.
"""

from __future__ import annotations

from .i18n import SOURCE_LANGUAGE, _, current_language, ngettext, pgettext
from .labels import evidence_kind  # one table of evidence kinds, shared with the reminders
from .models import preset_step

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "case_kind",
    "case_status",
    "days_left_text",
    "delivery_error",
    "delivery_problem",
    "evidence_kind",
    "reminder_kind",
    "reminder_note",
    "reminder_status",
]


def _lookup(value: str, table: dict[str, str]) -> str:
    return table.get(value, value)


def reminder_kind(kind: str) -> str:
    """A reminder's kind (``before_deadline``) as the user reads it; an unknown one as stored."""
    if current_language() == SOURCE_LANGUAGE:
        return kind
    return _lookup(
        kind,
        {
            "before_open": pgettext("reminder kind", "before_open"),
            "opened": pgettext("reminder kind", "opened"),
            "before_deadline": pgettext("reminder kind", "before_deadline"),
            "deadline": pgettext("reminder kind", "deadline"),
            "escalation": pgettext("reminder kind", "escalation"),
        },
    )


def reminder_label(kind: str, key: str, preset: str | None) -> str:
    """What a reminder is, as ``show`` and ``status`` name it: a preset's step by its name and
    number ("telecom step 2", the plan keys it ``<case>:preset:<n>``), not as one more
    "escalation"; any other by its kind."""
    n = preset_step(key)
    if n is not None:
        return _("%(preset)s step %(n)s", preset=preset or "preset", n=n)
    return reminder_kind(kind)


def reminder_status(status: str) -> str:
    """A reminder's delivery status (``planned``, ``sent`` …)."""
    if current_language() == SOURCE_LANGUAGE:
        return status
    return _lookup(
        status,
        {
            "planned": pgettext("reminder status", "planned"),
            "sending": pgettext("reminder status", "sending"),
            "sent": pgettext("reminder status", "sent"),
            "failed": pgettext("reminder status", "failed"),
            "cancelled": pgettext("reminder status", "cancelled"),
        },
    )


def reminder_note(status: str, note: str | None, due_of: Mapping[str, str] | None = None) -> str | None:
    """What ``show`` says after a reminder's status, from its stored ``last_error``: why it was
    cancelled, or why its send failed (``delivery_errors.translated``: the notifier's sentence in
    the user's language, a server's or a program's words as they came), in the user's language;
    None when there is nothing to say (sent, or a cancellation's reason left on a row planned again).

    ``due_of``: the case's reminders' due times by key, to name the reminder a superseded one
    was folded into by its time rather than its key. The store and ``--json`` keep the
    English text (outbox.py, delivery_errors.py).
    """
    if not note or status == "sent":
        return None
    from .outbox import CASE_CLOSED, NO_LONGER_PLANNED, SUPERSEDED, is_cancel_reason

    if not is_cancel_reason(note):
        return delivery_error(note)
    if status != "cancelled":
        return None
    if note == CASE_CLOSED:
        return pgettext("reminder note", "case closed")
    if note == NO_LONGER_PLANNED:
        return pgettext("reminder note", "no longer planned")
    key = note.removeprefix(f"{SUPERSEDED} by ")
    if due_of and key in due_of:
        return _("folded into the reminder of %(time)s", time=due_of[key])
    return _("folded into reminder %(key)s", key=key)


def delivery_error(text: str) -> str:
    """A failed send's error, as stored and logged in English, in the user's language."""
    if current_language() == SOURCE_LANGUAGE:
        return text
    from .delivery_errors import translated

    return translated(text)


def case_status(status: str) -> str:
    """A case's status, ``open`` or ``closed``."""
    if current_language() == SOURCE_LANGUAGE:
        return status
    return _lookup(
        status, {"open": pgettext("case status", "open"), "closed": pgettext("case status", "closed")}
    )


def case_kind(kind: str) -> str:
    """A case's kind: the built-in ones and the template reminder ships (``sim-cancellation``)
    translated, and typed back in the user's language they are that kind (``--kind 注销SIM卡``);
    a template of the user's own config is shown by its name."""
    if current_language() == SOURCE_LANGUAGE:
        return kind
    return _lookup(
        kind,
        {
            "sim-cancellation": pgettext("case kind", "sim-cancellation"),
            "cancellation": pgettext("case kind", "cancellation"),
            "refund": pgettext("case kind", "refund"),
            "permit": pgettext("case kind", "permit"),
            "visa": pgettext("case kind", "visa"),
            "data-request": pgettext("case kind", "data-request"),
            "complaint": pgettext("case kind", "complaint"),
            "other": pgettext("case kind", "other"),
        },
    )


def delivery_problem(problem: str) -> str:
    """What kind of problem a failed delivery had (``connection``, ``no-bus`` …); ``--json``
    keeps the code."""
    if current_language() == SOURCE_LANGUAGE:
        return problem
    return _lookup(
        problem,
        {
            "config": pgettext("delivery problem", "config"),
            "dns": pgettext("delivery problem", "dns"),
            "connection": pgettext("delivery problem", "connection"),
            "timeout": pgettext("delivery problem", "timeout"),
            "tls": pgettext("delivery problem", "tls"),
            "auth": pgettext("delivery problem", "auth"),
            "recipient": pgettext("delivery problem", "recipient"),
            "no-bus": pgettext("delivery problem", "no-bus"),
            "no-server": pgettext("delivery problem", "no-server"),
            "rejected": pgettext("delivery problem", "rejected"),
            "error": pgettext("delivery problem", "error"),
        },
    )


def days_left_text(days: int | None) -> str:
    """The days to a deadline: "3 days left", "due today", "2 days overdue"."""
    if days is None:
        return "—"
    if days > 0:
        return ngettext("%(n)d day left", "%(n)d days left", days)
    if days == 0:
        return _("due today")
    return ngettext("%(n)d day overdue", "%(n)d days overdue", -days)
