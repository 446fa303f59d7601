"""The reminder plan: from a case, its window and the policy, the reminders to send and when.

Pure: the calendar comes in as an argument and nothing here reads the clock.

Kinds, in the order they fall due::

    before_open      N business days before the window opens (off by default)
    opened           the day the window opens: check the status
    before_deadline  N business days before the deadline (default 2)
    deadline         the deadline day
    escalation       every N business days after the deadline (default 3), up to a cap (default 5),
                     plus the steps of the case's escalation preset, if it has one

Each reminder goes out at the policy's local hour in the case's timezone. Local
times that do not exist or occur twice are resolved by one documented rule
(:func:`local_due`). A reminder's ``key`` is ``<case>:<kind>:<n>``: it stays the
same when the case or the policy changes, which is what lets the outbox re-plan
without losing or repeating what it already sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from .errors import InputError
from .i18n import _, alternatives, joined
from .models import PRESET_STEP, Case, Reminder, ReviewWindow
from .record import Record, replace, setfield

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Protocol

__all__ = [
    "DEFAULT_POLICY",
    "PLAN_RULES",
    "Policy",
    "local_due",
    "parse_remind_overrides",
    "plan_reminders",
]


# The rules' edition, in the daemon's plan fingerprint (planning.plan_fingerprint): raised when
# what a plan holds changes, so that every store's open cases are planned again at the next start.
# 2: a preset step takes the place of a periodic escalation on its day; a reminder moved to
# another day after it went out gets a row of its own (outbox.sync_plan).
PLAN_RULES = 2


if TYPE_CHECKING:

    class _Calendar(Protocol):
        def add_business_days(self, d: date, n: int) -> date: ...

    class EscalationStep(Protocol):
        """A dated step of an escalation preset (``presets.EscalationStep``): when, and what to do."""

        @property
        def due(self) -> date: ...

        @property
        def step(self) -> str: ...


class Policy(Record):
    """When reminders go out. ``None`` for a count switches that reminder off."""

    hour: int
    minute: int
    before_open: int | None
    opened: bool
    before_deadline: int | None
    deadline: bool
    escalation_every: int
    escalation_max: int

    __slots__ = (
        "hour",
        "minute",
        "before_open",
        "opened",
        "before_deadline",
        "deadline",
        "escalation_every",
        "escalation_max",
    )

    def __init__(
        self,
        hour: int = 9,
        minute: int = 0,
        before_open: int | None = None,
        opened: bool = True,
        before_deadline: int | None = 2,
        deadline: bool = True,
        escalation_every: int = 3,
        escalation_max: int = 5,
    ) -> None:
        setfield(self, "hour", hour)
        setfield(self, "minute", minute)
        setfield(self, "before_open", before_open)
        setfield(self, "opened", opened)
        setfield(self, "before_deadline", before_deadline)
        setfield(self, "deadline", deadline)
        setfield(self, "escalation_every", escalation_every)
        setfield(self, "escalation_max", escalation_max)

    def with_overrides(self, overrides: Mapping[str, object]) -> Policy:
        """This policy with a case's ``--remind key=value`` overrides applied (already parsed)."""
        if not overrides:
            return self
        known = set(self.__slots__)
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(
                _(
                    "unknown reminder setting %(name)s; valid: %(valid)s",
                    name=repr(unknown[0]),
                    valid=joined(sorted(known)),
                )
            )
        return replace(self, **dict(overrides))


DEFAULT_POLICY = Policy()


def parse_remind_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``--remind before_deadline=3 --remind opened=no --remind before_open=off``."""
    defaults = {name: getattr(DEFAULT_POLICY, name) for name in Policy.__slots__}
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if sep and name not in defaults:
            from .lookalikes import closest

            guesses = closest(name, sorted(defaults))
            if guesses:
                # The whole item as it was meant: 'befor_deadline=3' → 'before_deadline=3'.
                meant = alternatives(f"{guess}={raw}" for guess in guesses)
                raise InputError(
                    _("bad --remind %(item)s: did you mean %(meant)s?", item=repr(item), meant=meant)
                )
        if not sep or name not in defaults:
            raise InputError(
                _(
                    "bad --remind %(item)s: use NAME=VALUE with NAME one of %(names)s",
                    item=repr(item),
                    names=joined(sorted(defaults)),
                )
            )
        value = raw.strip().lower()
        if name in ("opened", "deadline"):
            if value not in ("yes", "no", "true", "false", "on", "off", "1", "0"):
                raise InputError(
                    _("bad --remind %(item)s: %(name)s takes yes or no", item=repr(item), name=name)
                )
            out[name] = value in ("yes", "true", "on", "1")
        elif value in ("off", "none", "no") and name in ("before_open", "before_deadline"):
            out[name] = None
        else:
            try:
                number = int(value)
            except ValueError:
                raise InputError(
                    _("bad --remind %(item)s: %(name)s takes a whole number", item=repr(item), name=name)
                ) from None
            limits = {"hour": (0, 23), "minute": (0, 59)}
            low, high = limits.get(name, (0 if name == "escalation_max" else 1, 365))
            if not low <= number <= high:
                raise InputError(
                    _(
                        "bad --remind %(item)s: %(name)s must be between %(low)d and %(high)d",
                        item=repr(item),
                        name=name,
                        low=low,
                        high=high,
                    )
                )
            out[name] = number
    return out


def local_due(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The aware datetime of ``at`` on ``day`` in ``tz``.

    The rule for the two DST edge cases: a local time that does not exist (the
    clock jumps from 01:00 to 02:00) moves forward by the length of the jump
    (01:30 → 02:30); a local time that occurs twice is its first occurrence (the
    one still on summer time). A 09:00 reminder therefore stays 09:00 local all
    year, whatever the UTC offset.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    # Round-tripping through UTC normalises a non-existent wall time (fold=0 uses the
    # offset before the gap, so the instant lands after it).
    return first.astimezone(UTC).astimezone(tz)


def plan_reminders(
    case: Case,
    window: ReviewWindow,
    policy: Policy,
    calendar: _Calendar,
    escalation_steps: Sequence[EscalationStep] = (),
) -> list[Reminder]:
    """Every reminder for ``case``, sorted by due time. A closed case has none."""
    if case.status != "open":
        return []
    tz = ZoneInfo(case.timezone)
    at = time(policy.hour, policy.minute)
    # (kind, key name, n, day, note): the key name differs from the kind only for preset steps,
    # which are escalations too but must not collide with the periodic ones.
    days: list[tuple[str, str, int, date, str | None]] = []

    if policy.before_open is not None and policy.before_open > 0:
        day = calendar.add_business_days(window.opens, -policy.before_open)
        if day > window.submitted:
            days.append(("before_open", "before_open", 1, day, None))
    if policy.opened:
        days.append(("opened", "opened", 1, window.opens, None))
    if policy.before_deadline is not None and policy.before_deadline > 0:
        day = calendar.add_business_days(window.deadline, -policy.before_deadline)
        # Only worth a message if it falls after the window opened (else it repeats "opened").
        if day > window.opens:
            days.append(("before_deadline", "before_deadline", 1, day, None))
    if policy.deadline:
        days.append(("deadline", "deadline", 1, window.deadline, None))
    # A preset's step says what to do that day: a periodic escalation on the same day would be a
    # second message, at the same minute, with the same subject and less to say.
    step_days = {step.due for step in escalation_steps}
    if policy.escalation_every > 0:
        day = window.deadline
        for n in range(1, policy.escalation_max + 1):
            day = calendar.add_business_days(day, policy.escalation_every)
            if day not in step_days:
                days.append(("escalation", "escalation", n, day, None))
    for n, step in enumerate(sorted(escalation_steps, key=lambda s: s.due), start=1):
        days.append(("escalation", PRESET_STEP, n, step.due, step.step))

    reminders = [
        Reminder(
            case_id=case.id,
            kind=kind,
            due=local_due(day, at, tz),
            key=f"{case.id}:{name}:{n}",
            sequence=n,
            note=note,
        )
        for kind, name, n, day, note in days
    ]
    reminders.sort(key=lambda r: (r.due, r.key))
    return reminders
