"""The texts reminder ships as data, in the reader's language: the ``sim-cancellation``
template (its title, checklist and fraud warning), the escalation presets (titles, steps,
sources), and the texts of its data files (what a regulator requires first, its time limit,
its notes; where an official closure comes from).

They are English in the code, in the config's defaults and in the database (a case's
checklist, a reminder's note), so one text is stored whatever language the user reads, a
script sees the same text, and switching the language switches what every case shows.
They are translated where a person reads them: :func:`localised` gives a shipped text in
the current language (or ``lang``) and returns any other text — a warning, checklist item or
step the user wrote in the config — exactly as written.

The data files' texts (``data/regulators.toml``, ``data/overrides/*.toml``) are read by the
program, never typed by the user: :func:`data_text` translates them without asking whether they
are reminder's. The extractor cannot see them in Python, so ``babel.cfg`` runs
:func:`extract_regulators` and :func:`extract_overrides` on the files themselves: a text edited
or added there is a new message at the next extraction, with nothing to keep in step by hand.

Pure: the translations are the gettext catalogue's (``reminder.po``), where the messages
below are extracted from.
"""

from __future__ import annotations

from functools import cache

from .i18n import N_, SOURCE_LANGUAGE, current_language, gettext_for

# Not typing's: the commands that show a checklist import this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    Tables = Callable[[dict[str, Any]], Iterator[tuple[str, object]]]

__all__ = [
    "OVERRIDE_TEXTS",
    "REGULATOR_TEXTS",
    "SIM_CANCELLATION_ITEMS",
    "SIM_CANCELLATION_TITLE",
    "SIM_CANCELLATION_WARNING",
    "data_text",
    "extract_overrides",
    "extract_regulators",
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


# --- the data files' texts --------------------------------------------------------------------------

# The keys of a regulator (data/regulators.toml) and of an override entry (data/overrides/*.toml)
# whose texts a person reads: letter's notes, window's official closures.
REGULATOR_TEXTS = ("requires_first", "time_limit", "notes", "source")
OVERRIDE_TEXTS = ("source",)


def data_text(text: str, lang: str | None = None) -> str:
    """A text of reminder's data files in ``lang`` (default: the current language).

    One the catalogue lacks is given as written: a bare address (a source that is only a URL,
    not extracted), or what an older version of the files wrote into a stored window."""
    lang = lang or current_language()
    if lang == SOURCE_LANGUAGE or not text:
        return text
    return gettext_for(lang).gettext(text)


def _is_prose(text: str) -> bool:
    """Whether ``text`` has words to translate, not only addresses ("https://… ; https://…")."""
    import re

    return re.search(r"[^\W\d_]", re.sub(r"\S+://\S+", "", text)) is not None


def _data_messages(fileobj: Any, tables: Tables) -> Iterator[tuple[int, None, str, list[str]]]:
    """(line, None, text, [where]) for the texts ``tables(data)`` gives as (where, value) pairs."""
    import tomllib

    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    for where, value in tables(tomllib.loads(source)):
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and _is_prose(text):
                # Its line, as a TOML basic string writes it (the location's line, which nothing relies on).
                quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
                line = next((i for i, ln in enumerate(lines, 1) if quoted in ln), 1)
                yield line, None, text, [where]


def extract_regulators(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, None, str, list[str]]]:
    """For ``babel.cfg``: the texts of ``data/regulators.toml`` a person reads (:data:`REGULATOR_TEXTS`)."""

    def tables(data: dict[str, Any]) -> Iterator[tuple[str, object]]:
        for rid, regulator in data.get("regulators", {}).items():
            for key in REGULATOR_TEXTS:
                if key in regulator:
                    yield f"regulators.{rid}.{key}", regulator[key]

    yield from _data_messages(fileobj, tables)


def extract_overrides(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, None, str, list[str]]]:
    """For ``babel.cfg``: the texts of an ``overrides/<CC>.toml`` a person reads (:data:`OVERRIDE_TEXTS`)."""

    def tables(data: dict[str, Any]) -> Iterator[tuple[str, object]]:
        for action in ("add", "remove"):
            for entry in data.get(action, []):
                for key in OVERRIDE_TEXTS:
                    if key in entry:
                        yield f"[[{action}]] {entry.get('date')} {entry.get('name')}: {key}", entry[key]

    yield from _data_messages(fileobj, tables)
