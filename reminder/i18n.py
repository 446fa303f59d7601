"""Languages and translation: which language a person reads, and the text in it.

Two languages are in play, and they are kept apart:

- the **user's language**, for everything reminder shows the person running it (the
  CLI, reminders, the dossier). :func:`set_language` fixes it once per process from
  ``[defaults] language`` (or ``$REMINDER_DEFAULTS__LANGUAGE``; before the settings load,
  :func:`reminder.paths.language_before_settings` reads it); without it the locale
  variables decide (:func:`locale_language`), else English. :func:`_`, :func:`ngettext`
  and :func:`pgettext` translate into it.
- an **explicit language**, for text someone else reads: a notifier table's own
  ``language`` (e-mails for another member of the family) or a letter to an organisation
  in the language it reads (``en``, ``ar``, ``zh_CN``). :func:`gettext_for` returns a
  :class:`Translator` for that language; :func:`using_language` makes it the current one
  for a block of code that calls ``_`` (rendering a whole message for one notifier).

Strings take **named** placeholders, ``%(name)s``, filled from keyword arguments, so a
translator can reorder them: ``_("Deadline: %(day)s", day=...)``. English is the source
language: its "translation" is the message itself, so English output never depends on a
catalogue. Catalogues are ``locale/<lang>/LC_MESSAGES/reminder.mo`` in the package, compiled
from the ``.po`` by the build (setup.py); a source checkout without a current ``.mo``
compiles the ``.po`` in memory (``catalogues.py``, which also keeps them parsed).

Cheap to import (``reminder --help`` and ``list --json`` run on a budget): gettext and
Babel load only when a language other than English is used.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

TYPE_CHECKING = False  # not typing's: importing typing costs the start-up fast path (see entry.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime
    from types import TracebackType
    from typing import TypeGuard

    from .catalogues import Catalogue

__all__ = [
    "DATE_STYLES",
    "KNOWN_LANGUAGES",
    "LANGUAGES",
    "N_",
    "RTL_LANGUAGES",
    "SOURCE_LANGUAGE",
    "Translator",
    "_",
    "alternatives",
    "current_language",
    "format_date",
    "format_datetime",
    "gettext_for",
    "joined",
    "joined_clauses",
    "keep_in_cache",
    "language_error",
    "locale_language",
    "ngettext",
    "normalise_language",
    "npgettext",
    "pgettext",
    "resolve_language",
    "set_language",
    "translation",
    "using_language",
]

SOURCE_LANGUAGE = "en"
# Languages a person can run reminder in ([defaults] language, a notifier's language).
LANGUAGES: tuple[str, ...] = ("en", "zh_CN")
# Languages text can be written in for someone else: letters to an organisation also go
# out in Arabic (issue 18), whose catalogue or templates ship with the letters.
KNOWN_LANGUAGES: tuple[str, ...] = ("en", "zh_CN", "ar")
# Of those, the ones written right to left (an HTML document's dir="rtl").
RTL_LANGUAGES = frozenset({"ar"})
# The locale variables, in gettext's order of precedence.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")

# The user's language for this process; see set_language() for why it is not only a contextvar.
_process_language: str | None = None
# A language for the code running in this context (using_language): a notifier's or a letter's.
_override: ContextVar[str | None] = ContextVar("reminder_language", default=None)

_translations: dict[str, Catalogue] = {}
_normalised: dict[tuple[str, tuple[str, ...]], str | None] = {}


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it now (a module-level constant);
    translate it where it is shown: ``_(FRAUD_WARNING)``."""
    return msgid


# --- which language ----------------------------------------------------------------------------------


def normalise_language(value: str, allowed: tuple[str, ...] = LANGUAGES) -> str | None:
    """The language of ``allowed`` that a language or locale name means, else None.

    ``zh_CN.UTF-8``, ``zh-CN``, ``zh_Hans_CN``, ``zh_SG`` and ``zh`` mean ``zh_CN``;
    ``en_GB`` and ``C``/``POSIX`` (with any encoding) mean ``en``. Traditional Chinese
    (``zh_TW``, ``zh_Hant``) means none of ours: simplified characters are not the script
    its reader chose.
    """
    key = (value, allowed)
    if key in _normalised:
        return _normalised[key]
    name = value.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    parts = [p for p in name.split("_") if p]
    lang = parts[0].lower() if parts else ""
    rest = {p.lower() for p in parts[1:]}
    found: str | None
    if name.upper() in ("C", "POSIX"):
        found = "en"
    elif lang == "zh":
        traditional = bool(rest & {"hant", "tw", "hk", "mo"}) and "hans" not in rest
        found = None if traditional else "zh_CN"
    elif lang in ("en", "ar"):
        found = lang
    else:
        found = None
    result = found if found in allowed else None
    _normalised[key] = result
    return result


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """The user's language from the locale variables, else English.

    As gettext does: ``LANGUAGE`` (a colon-separated list of preferences) first, then the
    messages locale — the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set. As GNU
    gettext does, ``LANGUAGE`` is ignored when that locale is ``C``/``POSIX``: ``LANG=C
    reminder …`` gives English on a desktop whose ``LANGUAGE`` says Chinese.
    """
    env = os.environ if environ is None else environ
    locale = next((env[v] for v in LOCALE_VARIABLES[1:] if env.get(v)), "")
    if locale and locale.split(".", 1)[0].upper() in ("C", "POSIX"):
        return SOURCE_LANGUAGE
    for preference in env.get("LANGUAGE", "").split(":"):
        if preference:
            found = normalise_language(preference)
            if found is not None:
                return found
    if locale:
        return normalise_language(locale) or SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


def resolve_language(configured: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``configured`` (``[defaults] language``, already validated) if given, else the locale's."""
    if configured:
        found = normalise_language(configured)
        if found is not None:
            return found
    return locale_language(environ)


def set_language(configured: str | None) -> str:
    """Fix the user's language for this process (the CLI and the daemon call it when the
    settings load); returns it.

    A module global, not only a contextvar: reminders are rendered and sent on worker
    threads (the daemon's scheduler, one thread per notifier), and a thread does not
    inherit the context of the thread that started it.
    """
    global _process_language
    _process_language = resolve_language(configured)
    return _process_language


def current_language() -> str:
    """The language ``_`` translates into now: a :func:`using_language` block's, else the
    process's (:func:`set_language`), else the locale's."""
    return _override.get() or _process_language or locale_language()


class using_language:
    """Within the block, ``_`` and :func:`format_date` use ``lang`` (a notifier's or a letter's
    language) in this thread or task only. ``None`` keeps the current language."""

    __slots__ = ("_lang", "_token")

    def __init__(self, lang: str | None) -> None:
        self._lang = _checked(lang, KNOWN_LANGUAGES) if lang else None

    def __enter__(self) -> str:
        self._token = _override.set(self._lang or current_language())
        return current_language()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _override.reset(self._token)


def language_error(value: object, allowed: tuple[str, ...] = LANGUAGES) -> str:
    """The message for a language that is not one of ``allowed`` (config, notifiers, options):
    the one probably meant ('zh_CM': 'zh_CN'), else all of them."""
    from .lookalikes import closest

    guesses = closest(str(value), allowed)
    if guesses:
        return _(
            "unknown language %(value)s; did you mean %(guesses)s?",
            value=repr(value),
            guesses=alternatives(guesses),
        )
    return _(
        "unknown language %(value)s; use one of: %(choices)s", value=repr(value), choices=joined(allowed)
    )


def _checked(lang: str, allowed: tuple[str, ...]) -> str:
    found = normalise_language(lang, allowed)
    if found is None:
        from .errors import InputError

        raise InputError(language_error(lang, allowed))
    return found


# --- catalogues -------------------------------------------------------------------------------------


def translation(lang: str) -> Catalogue:
    """The catalogue for ``lang`` (cached): English is the source language, so a NullTranslations."""
    found = _translations.get(lang)
    if found is not None:
        return found
    if lang == SOURCE_LANGUAGE:
        import gettext

        found = gettext.NullTranslations()
    else:
        from .catalogues import load_catalogue

        found = load_catalogue(lang, _LOCALE_DIR, _cache_dir())
    _translations[lang] = found
    return found


_cache_folder: str | None = None


def keep_in_cache(folder: str | None) -> None:
    """Keep the catalogues (compiled, parsed) and the weekday names in ``folder`` between processes (the
    command line passes ``$XDG_CACHE_HOME/reminder``; a library caller's process keeps nothing)."""
    global _cache_folder
    _cache_folder = folder


def _cache_dir() -> str | None:
    return _cache_folder


class Translator:
    """Translation into one given language: ``gettext_for("ar").gettext("…", name=…)``.

    The methods are named as gettext's so the extractor finds the strings they take.
    """

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def gettext(self, msgid: str, /, **named: object) -> str:
        return _fill(_gettext(self.lang, msgid), named)

    def ngettext(self, singular: str, plural: str, n: int, /, **named: object) -> str:
        named.setdefault("n", n)
        return _fill(_ngettext(self.lang, singular, plural, n), named)

    def pgettext(self, context: str, msgid: str, /, **named: object) -> str:
        return _fill(_pgettext(self.lang, context, msgid), named)

    def format_date(self, d: date, style: str = "day") -> str:
        return format_date(d, self.lang, style)

    def format_datetime(self, dt: datetime, style: str = "datetime") -> str:
        return format_datetime(dt, self.lang, style)

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"


def gettext_for(lang: str) -> Translator:
    """Translation into ``lang`` (one of :data:`KNOWN_LANGUAGES`, in any spelling
    :func:`normalise_language` knows), whatever the user's language is."""
    return Translator(_checked(lang, KNOWN_LANGUAGES))


def _fill(text: str, named: Mapping[str, object]) -> str:
    # Only with arguments: a message without placeholders may hold a literal "%".
    return text % named if named else text


# English, the source language, is answered without gettext: its import is not free.
def _gettext(lang: str, msgid: str) -> str:
    return msgid if lang == SOURCE_LANGUAGE else translation(lang).gettext(msgid)


def _ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    if lang == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    return translation(lang).ngettext(singular, plural, n)


def _pgettext(lang: str, context: str, msgid: str) -> str:
    return msgid if lang == SOURCE_LANGUAGE else translation(lang).pgettext(context, msgid)


def _npgettext(lang: str, context: str, singular: str, plural: str, n: int) -> str:
    if lang == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    return translation(lang).npgettext(context, singular, plural, n)


def _(msgid: str, /, **named: object) -> str:
    """``msgid`` in the current language, its ``%(name)s`` placeholders filled from ``named``."""
    return _fill(_gettext(current_language(), msgid), named)


def ngettext(singular: str, plural: str, n: int, /, **named: object) -> str:
    """The form for ``n`` in the current language; ``%(n)d`` is filled with ``n`` unless given."""
    named.setdefault("n", n)
    return _fill(_ngettext(current_language(), singular, plural, n), named)


def pgettext(context: str, msgid: str, /, **named: object) -> str:
    """``msgid`` in ``context`` (a column header "Case" vs. the noun in a sentence)."""
    return _fill(_pgettext(current_language(), context, msgid), named)


def npgettext(context: str, singular: str, plural: str, n: int, /, **named: object) -> str:
    """The form for ``n`` of a message in ``context``, as :func:`ngettext` does."""
    named.setdefault("n", n)
    return _fill(_npgettext(current_language(), context, singular, plural, n), named)


def joined(items: Iterable[str], lang: str | None = None) -> str:
    """Names or words one after another, as ``lang`` (default: the current language) lists
    them ("en, zh_CN, ar"; Chinese "en、zh_CN、ar")."""
    return _pgettext(lang or current_language(), "list separator", ", ").join(items)


def alternatives(words: Iterable[str]) -> str:
    """Words a person may have meant, quoted as typed: ``'start' or 'state'`` (Chinese
    ``'start' 或 'state'``)."""
    return pgettext("alternatives", " or ").join(map(repr, words))


def joined_clauses(parts: Iterable[str], *, semicolons: bool = False) -> str:
    """Clauses one after another, as the current language separates them ("2 planned, 0 sent";
    Chinese "已安排 2 条，已发送 0 条"); ``semicolons``: "; " (Chinese "；")."""
    return (pgettext("note separator", "; ") if semicolons else pgettext("clauses", ", ")).join(parts)


# --- dates ------------------------------------------------------------------------------------------

# How each language writes a date. English keeps the formats reminder has always printed
# (strftime, C locale), byte for byte; the others are CLDR patterns rendered by Babel.
#   day:         a date in a sentence or a field ("Sun 2026-12-20", "2026年12月20日 星期日")
#   compact:     a table cell, ISO date kept ("Sun 2026-12-20", "2026-12-20 周日")
#   iso_weekday: an ISO date a person copies into a form, weekday after ("2026-12-20 (Sun)")
#   weekday:     the weekday alone ("Sun", "周日")
#   weekday_long: the weekday alone, in full ("Sunday", "星期日")
#   datetime:    a date and time of day ("Sun 2026-12-20 09:00", "2026年12月20日 星期日 09:00")
_ENGLISH_FORMATS = {
    "day": "%a %Y-%m-%d",
    "compact": "%a %Y-%m-%d",
    "iso_weekday": "%Y-%m-%d (%a)",
    "weekday": "%a",
    "weekday_long": "%A",
    "datetime": "%a %Y-%m-%d %H:%M",
}
DATE_STYLES: tuple[str, ...] = tuple(_ENGLISH_FORMATS)
_CLDR_PATTERNS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "day": "y年M月d日 EEEE",
        "compact": "yyyy-MM-dd EEE",
        "iso_weekday": "yyyy-MM-dd（EEE）",
        "weekday": "EEE",
        "weekday_long": "EEEE",
        "datetime": "y年M月d日 EEEE HH:mm",
    },
}
# Another language (a letter's): CLDR's own way of writing these, from skeletons.
_SKELETONS = {"day": "yMMMMEEEEd", "datetime": "yMMMMEEEEdHm"}
_GENERIC_PATTERNS = {
    "compact": "yyyy-MM-dd EEE",
    "iso_weekday": "yyyy-MM-dd (EEE)",
    "weekday": "EEE",
    "weekday_long": "EEEE",
}


def format_date(d: date, lang: str | None = None, style: str = "day") -> str:
    """``d`` written as ``lang`` (default: the current language) writes it; ``style`` is one of
    :data:`DATE_STYLES`. JSON and machine output stay ISO 8601: this is for people."""
    return _format(d, lang or current_language(), style)


def format_datetime(dt: datetime, lang: str | None = None, style: str = "datetime") -> str:
    """A date and time of day (in ``dt``'s own time zone) as ``lang`` writes it."""
    return _format(dt, lang or current_language(), style)


def _format(value: date, lang: str, style: str) -> str:
    if style not in _ENGLISH_FORMATS:
        raise ValueError(f"unknown date style {style!r}; use one of {', '.join(DATE_STYLES)}")
    if lang == SOURCE_LANGUAGE:
        return value.strftime(_ENGLISH_FORMATS[style])
    pattern = _CLDR_PATTERNS.get(lang, {}).get(style)
    if pattern is not None:
        names = _weekday_names(lang)
        if names is not None:
            return _render_pattern(pattern, value, names)
    from babel import dates

    is_datetime = hasattr(value, "hour")
    if pattern is None and style in _SKELETONS:
        return str(dates.format_skeleton(_SKELETONS[style], value, locale=lang))
    pattern = pattern or _GENERIC_PATTERNS[style]
    if is_datetime:
        return str(dates.format_datetime(value, pattern, locale=lang))
    return str(dates.format_date(value, pattern, locale=lang))


# Babel loads a language's whole CLDR data to write a date (~20 ms for Chinese, at every
# command). The patterns above need only the weekday's names from it, so those are kept under
# $XDG_CACHE_HOME/reminder (named by Babel's files) and the numbers are written here.
def _render_pattern(pattern: str, value: date, names: dict[str, list[str]]) -> str:
    """``pattern`` (the letters of _CLDR_PATTERNS only: y M d E H m) as Babel writes it."""
    out = []
    for part in _pattern_parts(pattern):
        if isinstance(part, str):
            out.append(part)
            continue
        kind, width = part
        if kind == "E":
            out.append(names["wide" if width == 4 else "abbreviated"][value.weekday()])
            continue
        number = {"y": value.year, "M": value.month, "d": value.day}.get(kind)
        if number is None:
            number = getattr(value, "hour" if kind == "H" else "minute")
        out.append(str(number).zfill(width))
    return "".join(out)


# A pattern's literal text and its fields (letter, width), split once: `reminder list` writes a
# few hundred dates, and a regular expression's pass over the pattern for each took twice as long.
_parts: dict[str, list[str | tuple[str, int]]] = {}


def _pattern_parts(pattern: str) -> list[str | tuple[str, int]]:
    parts = _parts.get(pattern)
    if parts is None:
        import re

        # Split on a captured group: literals at even places, fields at odd ones.
        pieces = re.split(r"(y+|M+|d+|E+|H+|m+)", pattern)
        parts = _parts[pattern] = [p if i % 2 == 0 else (p[0], len(p)) for i, p in enumerate(pieces) if p]
    return parts


_weekdays: dict[str, dict[str, list[str]] | None] = {}


def _weekday_names(lang: str) -> dict[str, list[str]] | None:
    """``{"abbreviated": [Mon…Sun], "wide": […]}`` in ``lang``, as Babel has them (format
    context); None when they cannot be kept (then Babel writes the date itself)."""
    if lang not in _weekdays:
        _weekdays[lang] = _load_weekday_names(lang)
    return _weekdays[lang]


def _load_weekday_names(lang: str) -> dict[str, list[str]] | None:
    # Kept in marshal's format, as the catalogue is (catalogues.py): json would be imported
    # only for this, ~2 ms of `list` and `status` in Chinese.
    import marshal

    from .files import read_marshal_file, write_cache_file

    folder = _cache_dir()
    try:
        import importlib.util

        spec = importlib.util.find_spec("babel")
        origin = spec.origin if spec is not None else None
        if folder is None or origin is None:
            return None
        # Babel's version (its __init__) and its shared data: an upgrade starts new names.
        stamp = [origin, os.path.join(os.path.dirname(origin), "locale-data", "root.dat")]
        sts = [os.stat(path) for path in stamp]
    except (OSError, ImportError, ValueError):
        return None
    key = _short_hash("\0".join([lang, *(f"{st.st_size}:{st.st_mtime_ns}" for st in sts), *stamp]))
    path = os.path.join(folder, f"weekdays-{lang}-{key}.marshal")
    kept = read_marshal_file(path)
    if _names_ok(kept):
        return kept
    from babel import dates

    names = {
        width: [str(dates.get_day_names(width, context="format", locale=lang)[i]) for i in range(7)]
        for width in ("abbreviated", "wide")
    }
    write_cache_file(path, marshal.dumps(names), lambda name: name.startswith(f"weekdays-{lang}-"))
    return names


def _names_ok(kept: object) -> TypeGuard[dict[str, list[str]]]:
    return (
        isinstance(kept, dict)
        and set(kept) == {"abbreviated", "wide"}
        and all(
            isinstance(v, list) and len(v) == 7 and all(isinstance(n, str) for n in v) for v in kept.values()
        )
    )


def _short_hash(text: str) -> str:
    from .catalogues import short_hash

    return short_hash(text)
