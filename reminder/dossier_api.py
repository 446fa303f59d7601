"""The dossier use cases: gather a case's dossier and export it as Markdown, HTML, zip or PDF.

What the dossier shows is ``dossier.py``'s, how it is written ``dossier_render.py``'s and
``dossier_zip.py``'s; this module gathers it from the store and the config (the window
recomputed with its explanation, the evidence log checked) and writes it.

**Its language.** The dossier speaks the user's language unless ``lang`` names another:
the person exports it in the language of whoever reads it (``export --lang en`` for a
regulator), and a letter attaches it in the letter's language
(:func:`attached_dossier_language`). Its words exist in :data:`DOSSIER_LANGUAGES`, the
languages of reminder's catalogues; a letter in another one (Arabic) attaches the English
dossier, English being the language every regulator reminder knows reads. What goes back
to the person running the command (errors, the report of the log's check) stays in theirs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .case_config import case_today, closures_for, preset_steps_for, window_for
from .errors import InputError
from .evidence_api import list_evidence, verify_evidence
from .i18n import (
    KNOWN_LANGUAGES,
    LANGUAGES,
    SOURCE_LANGUAGE,
    _,
    current_language,
    joined,
    language_error,
    normalise_language,
)
from .store import Store

if TYPE_CHECKING:
    from .config import Settings
    from .dossier import Dossier
    from .evidence_files import Attachments
    from .evidence_verify import VerifyReport

__all__ = [
    "DOSSIER_LANGUAGES",
    "attached_dossier_language",
    "build_dossier",
    "dossier_language",
    "export_dossier",
    "export_dossier_checked",
    "save_dossier",
]

# The languages the dossier is written in: those of reminder's catalogues (its headings,
# labels and reasons are the CLI's messages). Letters are written in more (KNOWN_LANGUAGES).
DOSSIER_LANGUAGES: tuple[str, ...] = LANGUAGES


def dossier_language(lang: str | None) -> str | None:
    """``lang`` (any spelling: ``zh-CN``) as one of :data:`DOSSIER_LANGUAGES`; None stays None
    (the user's language). InputError, one line naming the languages there are, otherwise: a
    language letters are written in but the dossier is not (``ar``) is refused, not swapped for
    English, so the file a person asked for is never quietly another."""
    if lang is None:
        return None
    found = normalise_language(lang, DOSSIER_LANGUAGES)
    if found is not None:
        return found
    if normalise_language(lang, KNOWN_LANGUAGES) is not None:
        raise InputError(
            _(
                "there is no dossier in %(value)s: it is written in %(choices)s "
                "(for a regulator that reads Arabic or English: --lang en)",
                value=repr(lang),
                choices=joined(DOSSIER_LANGUAGES),
            )
        )
    raise InputError(language_error(lang, DOSSIER_LANGUAGES))


def attached_dossier_language(letter_lang: str) -> str:
    """The language of the dossier a letter in ``letter_lang`` attaches: the letter's when the
    dossier is written in it, else English (the regulators reminder knows all read it)."""
    return normalise_language(letter_lang, DOSSIER_LANGUAGES) or SOURCE_LANGUAGE


def build_dossier(
    store: Store, settings: Settings, case_id: str, *, now: datetime, lang: str | None = None
) -> Dossier:
    """Everything the dossier shows, as of ``now``: the window is recomputed with its explanation.

    ``lang``: the language it is written in (see :func:`dossier_language`; default: the user's).
    The report in ``Dossier.verification`` is in that language too.
    """
    from . import outbox
    from .calendar import get_calendar
    from .dossier import Dossier
    from .exhibits import load_exhibits
    from .i18n import using_language
    from .presets import current_step

    lang = dossier_language(lang)
    case = store.get_case(case_id)
    window = window_for(settings, case, explain=True)
    preset = settings.presets.get(case.preset) if case.preset else None
    calendar = get_calendar(case.country, case.subdivision, closures_for(settings, case))
    steps = preset_steps_for(settings, case, window, calendar)
    entries = list_evidence(store, case.id)
    with using_language(lang):  # the problems found and the exhibits' notes are the dossier's text
        verification = verify_evidence(store, case.id)
        exhibits = load_exhibits(entries, store.attachments)
    return Dossier(
        case=case,
        window=window,
        generated_at=now,
        entries=entries,
        deliveries=outbox.list_deliveries(store, case.id),
        preset=preset,
        steps=steps,
        current=current_step(steps, case_today(case, now)),
        verification=verification,
        exhibits=exhibits,
        complainant=settings.me.person(lang),  # [me] name_in.<lang> where given
        lang=lang,
    )


def export_dossier(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str, lang: str | None = None
) -> bytes:
    """The dossier as ``md``, ``html`` (UTF-8), ``zip`` or ``pdf`` bytes, in ``lang`` (default:
    the user's language; one of :data:`DOSSIER_LANGUAGES`, else InputError)."""
    return export_dossier_checked(store, settings, case_id, now=now, fmt=fmt, lang=lang)[0]


def export_dossier_checked(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str, lang: str | None = None
) -> tuple[bytes, VerifyReport]:
    """The dossier's bytes and the check of the evidence log it reports (one pass over the files),
    the check in the user's language whatever the dossier's."""
    dossier, report = _checked_dossier(store, settings, case_id, now=now, fmt=fmt, lang=lang)
    return _dossier_bytes(dossier, fmt, store.attachments), report


def save_dossier(
    store: Store,
    settings: Settings,
    case_id: str,
    path: Path,
    *,
    now: datetime,
    fmt: str,
    lang: str | None = None,
) -> VerifyReport:
    """Write the dossier to ``path`` atomically, in ``lang`` (default: the user's language), and
    return the check of the evidence log it reports, in the user's language. A zip streams its
    attachments from disk instead of holding them in memory."""
    from .dossier_zip import write_zip
    from .ics import write_bytes_atomic
    from .leftovers import journal_dir

    dossier, report = _checked_dossier(store, settings, case_id, now=now, fmt=fmt, lang=lang)
    data_dir = store.path.parent
    if fmt == "zip":
        write_zip(dossier, data_dir, path, attachments=store.attachments)
    else:
        data = _dossier_bytes(dossier, fmt, store.attachments)
        write_bytes_atomic(path, data, journal=journal_dir(data_dir))
    return report


def _checked_dossier(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str, lang: str | None
) -> tuple[Dossier, VerifyReport]:
    if fmt not in ("md", "html", "zip", "pdf"):
        raise InputError(_("unknown dossier format %(format)s; use md, html, zip or pdf", format=repr(fmt)))
    lang = dossier_language(lang)
    dossier = build_dossier(store, settings, case_id, now=now, lang=lang)
    report = dossier.verification
    if report is None:  # pragma: no cover - build_dossier always verifies
        from .errors import StoreError

        raise StoreError(f"the evidence log of case {case_id} was not checked")
    if not report.ok and lang not in (None, current_language()):
        # The problems are worded in the dossier's language; the person running the command reads
        # them in theirs. Checked again (only for a log that fails, so rarely) rather than translated
        # back, as the check words each problem where it finds it.
        report = verify_evidence(store, case_id)
    return dossier, report


def _dossier_bytes(dossier: Dossier, fmt: str, data_dir: Attachments) -> bytes:
    from .dossier_render import render_html, render_markdown
    from .dossier_zip import zip_bytes

    if fmt == "md":
        return render_markdown(dossier).encode("utf-8")
    if fmt == "html":
        return render_html(dossier).encode("utf-8")
    if fmt == "pdf":
        from .pdf import html_to_pdf

        # No base URL: the dossier's images are data: URIs, so the renderer may read no file at all.
        # The PDF's fonts and shaping follow the dossier's language.
        return html_to_pdf(render_html(dossier), lang=dossier.lang or current_language())
    return zip_bytes(dossier, data_dir)
