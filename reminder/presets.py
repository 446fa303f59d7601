"""Escalation presets: what to do after a deadline passes, and when.

A :class:`Preset` is a named list of :class:`PresetStep` rules ("8 weeks after
the complaint, take it to an ADR scheme"). :func:`escalation_steps` turns a
preset into dated :class:`EscalationStep` objects for one case, and
:func:`current_step` says which of them applies on a given day. Everything
here is pure: the calendar and the dates come in as arguments.

:data:`DEFAULT_PRESETS` are the shipped presets, so ``--preset gdpr`` works
without a config file; ``config/reminder.example.toml`` repeats them with
their sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import ClassVar, Literal, Protocol, get_args

from .i18n import N_, _, ngettext

__all__ = [
    "DEFAULT_PRESETS",
    "Anchor",
    "BusinessCalendar",
    "DelayUnit",
    "EscalationStep",
    "Preset",
    "PresetStep",
    "add_months",
    "current_step",
    "escalation_steps",
    "presets_listing",
]

DelayUnit = Literal["business_days", "calendar_days", "weeks", "months"]
# config.py validates these dataclasses from TOML; an unknown key there is a typo, so say so.
_FORBID_EXTRA: dict[str, str] = {"extra": "forbid"}
# What a delay counts from: the review deadline, or the day the request or
# complaint was made (GDPR's month and Ofcom's weeks run from the request).
Anchor = Literal["deadline", "submitted"]

_UNIT_WORDS: dict[str, tuple[str, str]] = {
    "business_days": ("business day", "business days"),
    "calendar_days": ("day", "days"),
    "weeks": ("week", "weeks"),
    "months": ("month", "months"),
}
_ANCHOR_WORDS: dict[str, str] = {"deadline": "the deadline", "submitted": "submission"}


class BusinessCalendar(Protocol):
    """The part of ``calendar.py``'s calendar that presets need."""

    def add_business_days(self, d: date, n: int) -> date: ...


@dataclass(frozen=True, slots=True)
class PresetStep:
    """One rule: ``delay`` ``unit`` after the ``anchor``, do ``step``.

    ``valid_from``/``valid_until`` (until exclusive) limit the rule to requests
    made in that period, for rules that change on a known date.
    """

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    delay: int
    unit: DelayUnit
    step: str
    anchor: Anchor = "deadline"
    valid_from: date | None = None
    valid_until: date | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if self.delay < 0:
            raise ValueError(f"a delay cannot be negative (got {self.delay})")
        if self.unit not in get_args(DelayUnit):
            raise ValueError(f"unknown delay unit {self.unit!r}; use one of {', '.join(get_args(DelayUnit))}")
        if self.anchor not in get_args(Anchor):
            raise ValueError(f"unknown anchor {self.anchor!r}; use one of {', '.join(get_args(Anchor))}")
        if not self.step.strip():
            raise ValueError("a step needs a text saying what to do")
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise ValueError("valid_from must be before valid_until")

    def applies_to(self, request_day: date) -> bool:
        if self.valid_from is not None and request_day < self.valid_from:
            return False
        return self.valid_until is None or request_day < self.valid_until

    def describe(self) -> str:
        """How the rule reads in English ("8 weeks after submission"): ``--json``, the config."""
        singular, plural = _UNIT_WORDS[self.unit]
        return f"{self.delay} {singular if self.delay == 1 else plural} after {_ANCHOR_WORDS[self.anchor]}"

    def describe_for_people(self) -> str:
        """:meth:`describe` in the current language ("提交后 8 周")."""
        n = self.delay
        if self.unit == "business_days":
            delay = ngettext("%(n)d business day", "%(n)d business days", n)
        elif self.unit == "calendar_days":
            delay = ngettext("%(n)d day", "%(n)d days", n)
        elif self.unit == "weeks":
            delay = ngettext("%(n)d week", "%(n)d weeks", n)
        else:
            delay = ngettext("%(n)d month", "%(n)d months", n)
        if self.anchor == "deadline":
            return _("%(delay)s after the deadline", delay=delay)
        return _("%(delay)s after submission", delay=delay)


@dataclass(frozen=True, slots=True)
class Preset:
    """A named set of escalation rules, e.g. ``gdpr`` or ``telecom-uk``."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    name: str
    steps: tuple[PresetStep, ...]
    title: str = ""
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"preset {self.name!r} has no steps")


@dataclass(frozen=True, slots=True, order=True)
class EscalationStep:
    """A dated step for one case: on ``due``, do ``step`` (``after`` says why that day)."""

    due: date
    step: str
    after: str
    # The rule it came from, to say ``after`` in the reader's language; not compared.
    rule: PresetStep | None = field(default=None, compare=False)

    def after_for_people(self) -> str:
        """``after`` in the current language ("提交后 1 个月"); English as ``after``."""
        return self.rule.describe_for_people() if self.rule is not None else self.after


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the end of a shorter month (31 Jan + 1 → 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    import calendar  # here: the standard library's, only for a preset counting in months

    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def _add(start: date, step: PresetStep, calendar: BusinessCalendar) -> date:
    if step.unit == "business_days":
        return calendar.add_business_days(start, step.delay)
    if step.unit == "calendar_days":
        return start + timedelta(days=step.delay)
    if step.unit == "weeks":
        return start + timedelta(weeks=step.delay)
    return add_months(start, step.delay)


def escalation_steps(
    preset: Preset,
    deadline: date,
    calendar: BusinessCalendar,
    *,
    submitted: date | None = None,
) -> list[EscalationStep]:
    """The preset's steps for a case with this ``deadline``, in date order.

    Steps anchored on the submission count from ``submitted``; without it they
    fall back to the deadline (later, never earlier, than the rule allows).
    A rule limited to a period applies when the request was made in it.
    """
    request_day = submitted if submitted is not None else deadline
    out: list[EscalationStep] = []
    for rule in preset.steps:
        if not rule.applies_to(request_day):
            continue
        start = request_day if rule.anchor == "submitted" else deadline
        out.append(
            EscalationStep(due=_add(start, rule, calendar), step=rule.step, after=rule.describe(), rule=rule)
        )
    out.sort()
    return out


def presets_listing(presets: Mapping[str, Preset]) -> list[dict[str, object]]:
    """Every preset with its rules and sources, by name, as plain data (``reminder presets``).

    ``builtin`` says whether it is one of :data:`DEFAULT_PRESETS` as shipped (not redefined
    by the config); each rule's ``after`` is how it reads ("8 weeks after submission").
    """
    return [
        {
            "name": name,
            "title": preset.title,
            "source": preset.source,
            "builtin": DEFAULT_PRESETS.get(name) == preset,
            "steps": [
                {
                    "delay": rule.delay,
                    "unit": rule.unit,
                    "anchor": rule.anchor,
                    "step": rule.step,
                    "after": rule.describe(),
                    "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
                    "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
                    "source": rule.source,
                }
                for rule in preset.steps
            ],
        }
        for name, preset in sorted(presets.items())
    ]


def current_step(steps: Iterable[EscalationStep], today: date) -> EscalationStep | None:
    """The latest step already due on ``today`` (``None`` before the first)."""
    due = [s for s in steps if s.due <= today]
    return max(due) if due else None


# --- shipped presets: sources in config/reminder.example.toml -----------------------------------

_OFCOM_CHANGE = date(2026, 4, 8)
# Titles, steps and sources are marked for translation (N_): they stay English here, in the
# config and in the database, and a person reads them in their language (shipped.localised).
_OFCOM_SOURCE = N_(
    "Ofcom, Statement: Review of ADR in the telecoms sector (8 July 2025): access to ADR after "
    "6 weeks instead of 8, in force from 8 April 2026"
)
_GDPR_SOURCE = N_("GDPR Art. 12(3): within one month of receipt, extendable by two further months; Art. 77")
_TRA_SOURCE = N_(
    "TRA Bahrain, consumer disputes (consumer.tra.org.bh): unresolved with the operator → dispute to the "
    "TRA within 12 months of the complaint, call centre 81188"
)
_ADR_STEP = N_("Take the complaint to the provider's ADR scheme (Communications Ombudsman or CISAS)")

DEFAULT_PRESETS: Mapping[str, Preset] = {
    "telecom-uk": Preset(
        name="telecom-uk",
        title=N_("UK phone/broadband complaint → ADR scheme (Ofcom)"),
        source=_OFCOM_SOURCE,
        steps=(
            PresetStep(
                0,
                "calendar_days",
                N_("Ask the provider for a deadlock letter (it lets you go to ADR at once)"),
            ),
            PresetStep(
                8,
                "weeks",
                _ADR_STEP,
                anchor="submitted",
                valid_until=_OFCOM_CHANGE,
            ),
            PresetStep(
                6,
                "weeks",
                _ADR_STEP,
                anchor="submitted",
                valid_from=_OFCOM_CHANGE,
            ),
        ),
    ),
    "gdpr": Preset(
        name="gdpr",
        title=N_("Data-protection request (GDPR Art. 12(3))"),
        source=_GDPR_SOURCE,
        steps=(
            PresetStep(
                1,
                "months",
                N_(
                    "Ask for the response and remind the controller of GDPR Art. 12(3): one month, "
                    "or an extension explained within that month"
                ),
                anchor="submitted",
            ),
            PresetStep(
                3,
                "months",
                N_("Complain to the data-protection authority (GDPR Art. 77)"),
                anchor="submitted",
            ),
        ),
    ),
    "telecom": Preset(
        name="telecom",
        title=N_("Telecom complaint → the operator, then the regulator (e.g. Bahrain's TRA)"),
        source=_TRA_SOURCE,
        steps=(
            PresetStep(
                3,
                "business_days",
                N_("Call the operator again; ask for a written answer and a complaint reference number"),
            ),
            PresetStep(
                10,
                "business_days",
                N_(
                    "Take the dispute to the telecom regulator with your evidence "
                    "(Bahrain: TRA, consumer.tra.org.bh or 81188)"
                ),
            ),
        ),
    ),
}
