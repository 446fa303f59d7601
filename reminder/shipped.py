"""The texts reminder ships as data, in the reader's language: the ``sim-cancellation``
template (its title, checklist and fraud warning) and the escalation presets (titles, steps,
sources).

They are English in the code, in the config's defaults and in the database (a case's
checklist, a reminder's note), so one text is stored whatever language the user reads, a
script sees the same text, and switching the language switches what every case shows.
They are translated where a person reads them: :func:`localised` gives a shipped text in
the current language (or ``lang``) and returns any other text — a warning, checklist item or
step the user wrote in the config — exactly as written.

Pure: the translations are the gettext catalogue's (``reminder.po``), where the messages
below are extracted from.
"""

from __future__ import annotations

from functools import cache

from .i18n import N_, SOURCE_LANGUAGE, current_language, gettext_for

__all__ = [
    "SIM_CANCELLATION_ITEMS",
    "SIM_CANCELLATION_TITLE",
    "SIM_CANCELLATION_WARNING",
    "is_shipped",
    "localised",
]

SIM_CANCELLATION_TITLE = N_("Before and while cancelling a SIM / eSIM")
SIM_CANCELLATION_ITEMS: tuple[str, ...] = (
    N_("Use up or transfer the remaining balance (it is usually forfeited)"),
    N_("Unlink the number from bank accounts and payment services"),
    N_("Back up contacts and messages"),
    N_("Keep the confirmation letter"),
)
SIM_CANCELLATION_WARNING = N_(
    "Fraudsters call people who are waiting on exactly this kind of request: "
    "never give a verification code to someone who calls you."
)


_TEMPLATE_TEXTS = frozenset({SIM_CANCELLATION_TITLE, SIM_CANCELLATION_WARNING, *SIM_CANCELLATION_ITEMS})


@cache
def _preset_texts() -> frozenset[str]:
    # The presets' texts are marked in presets.py, where they are defined; looked at only for
    # a text that is not the template's, so that showing a checklist does not import presets.py.
    from .presets import DEFAULT_PRESETS

    texts: set[str] = set()
    for preset in DEFAULT_PRESETS.values():
        texts.add(preset.title)
        if preset.source:
            texts.add(preset.source)
        for step in preset.steps:
            texts.add(step.step)
            if step.source:
                texts.add(step.source)
    return frozenset(t for t in texts if t)


def is_shipped(text: str) -> bool:
    """Whether ``text`` is one of reminder's own texts (not one the user wrote)."""
    return text in _TEMPLATE_TEXTS or text in _preset_texts()


def localised(text: str, lang: str | None = None) -> str:
    """``text`` in ``lang`` (default: the current language) if reminder ships it, else as written."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE or not is_shipped(text):
        return text
    return gettext_for(lang).gettext(text)
