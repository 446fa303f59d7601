"""A review window's explanation in the reader's language.

The core (calendar.py, window.py, overrides.py) says why a day counted or not in English,
with a reason code beside it (:class:`~reminder.models.DayInfo`), and keeps that English for
``--json`` and the database. This module words it for a person, in the current language or
``lang``: the day's reason (``weekend (Friday)`` → ``周末（星期五）``, a holiday's name through
:func:`~reminder.holiday_names.holiday_name`, a closure's default label), the whole "why" of a
day of ``--explain`` (with "tentative" and the window's milestones), the holidays a tentative
result rests on, the data warnings and the official closures a result used.

A text the core did not make (a closure label the user chose) is shown as written.
English gives back the core's own text, byte for byte.

Pure: no I/O beyond the package's catalogues.
"""

from __future__ import annotations

import re
from functools import cache

from .i18n import SOURCE_LANGUAGE, _, current_language, format_date, using_language
from .labels import join
from .models import DayInfo, ReviewWindow, TentativeDay

__all__ = [
    "closure_label",
    "day_reason",
    "day_why",
    "override_text",
    "tentative_name",
    "warning_text",
]

# The labels calendar.parse_closure gives a closure given without one.
_DEFAULT_CLOSURE = "closure"
# The patterns here are compiled when first matched (re keeps them), not at import.
_DEFAULT_CLOSURE_SPAN = r"closure (\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})"


def closure_label(label: str, lang: str | None = None) -> str:
    """A closure's label: reminder's default ones ("closure", "closure 2026-03-10..2026-03-12")
    in ``lang``, the user's own as written."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return label
    with using_language(lang):
        if label == _DEFAULT_CLOSURE:
            return _("closure")
        m = re.fullmatch(_DEFAULT_CLOSURE_SPAN, label)
        if m is not None:
            return _("closure %(first)s..%(last)s", first=m.group(1), last=m.group(2))
    return label


def day_reason(
    day: DayInfo, country: str, subdivision: str | None = None, lang: str | None = None
) -> str | None:
    """Why ``day`` counted or not, in ``lang``; ``None`` for an ordinary business day."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE or day.reason is None:
        return day.reason
    with using_language(lang):
        if day.code == "weekend":
            return _("weekend (%(weekday)s)", weekday=format_date(day.date, lang, "weekday_long"))
        if day.code == "make_up":
            return _("make-up working day")
        if day.code == "closure":
            return closure_label(day.reason, lang)
        if day.code in ("holiday", "official_closure"):
            from .holiday_names import holiday_name  # its TOML data: read when a name is shown

            return holiday_name(day.reason, country, lang, day=day.date, subdivision=subdivision)
    return day.reason


def day_why(window: ReviewWindow, day: DayInfo, lang: str | None = None) -> str:
    """The "why" of one day of ``--explain``: its reason, "(tentative)" when the day's
    holiday is on an estimated date, and "← opens" / "← deadline" on the window's days."""
    lang = lang or current_language()
    why = day_reason(day, window.country, window.subdivision, lang) or ""
    # A window that opens on its deadline day says "deadline" (the later key wins).
    milestones = {window.opens: "opens", window.deadline: "deadline"}
    mark = milestones.get(day.date) if day.count is not None else None
    if lang == SOURCE_LANGUAGE:
        if day.tentative:
            why = f"{why} (tentative)"
        return f"{why} ← {mark}".strip() if mark else why
    with using_language(lang):
        if day.tentative:
            why = _("%(reason)s (tentative)", reason=why)
        if mark == "opens":
            why = _("%(reason)s ← opens", reason=why).strip()
        elif mark == "deadline":
            why = _("%(reason)s ← deadline", reason=why).strip()
    return why


def tentative_name(window: ReviewWindow, day: TentativeDay, lang: str | None = None) -> str:
    """The name of a holiday on an estimated date that ``window`` counted across, in ``lang``."""
    from .holiday_names import holiday_name

    lang = lang or current_language()
    return holiday_name(day.name, window.country, lang, day=day.date, subdivision=window.subdivision)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching what ``template % values`` produced, one group per name."""
    parts = re.split(r"%\((\w+)\)s", template)
    out = []
    for i, part in enumerate(parts):
        out.append(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)")
    return re.compile("".join(out))


def warning_text(text: str, country: str, lang: str | None = None) -> str:
    """A window's warning (what the holiday data lacks) in ``lang``, its holiday names too."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return text
    # Here, not at the top: show and list read this module, and only a warning needs calendar's words.
    from .holiday_years import MISSING_HOLIDAYS_WARNING, NO_HOLIDAYS_WARNING

    with using_language(lang):
        m = _pattern(NO_HOLIDAYS_WARNING).fullmatch(text)
        if m is not None:
            return _(NO_HOLIDAYS_WARNING, **m.groupdict())
        m = _pattern(MISSING_HOLIDAYS_WARNING).fullmatch(text)
        if m is not None:
            values = m.groupdict()
            from .holiday_names import usual_name

            names = [usual_name(n, country, lang) for n in values["names"].split(", ")]
            return _(MISSING_HOLIDAYS_WARNING, **{**values, "names": join(names, lang)})
    return text


# OverrideEntry.describe(): "BH +2026-05-26 Arafat Day [announced: <source>]"
_OVERRIDE = (
    r"(?P<country>\S+) (?P<sign>[+-])(?P<span>\S+) (?P<name>.+?) "
    r"\[(?P<status>announced|rule): (?P<source>.*)\]"
)


def override_text(text: str, lang: str | None = None) -> str:
    """One official closure a result used (``OverrideEntry.describe()``), its name, status and
    source (the data's words on a circular, or the rule's) in ``lang``; its URLs as published."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE:
        return text
    m = re.fullmatch(_OVERRIDE, text, re.DOTALL)
    if m is None:
        return text
    from .holiday_names import holiday_name
    from .shipped import data_text

    with using_language(lang):
        name = holiday_name(m.group("name"), m.group("country"), lang)
        status = _("announced") if m.group("status") == "announced" else _("not yet announced")
        what = _("added") if m.group("sign") == "+" else _("removed")
        return _(
            "%(country)s %(what)s %(span)s %(name)s [%(status)s: %(source)s]",
            country=m.group("country"),
            what=what,
            span=m.group("span"),
            name=name,
            status=status,
            source=data_text(m.group("source"), lang),
        )
