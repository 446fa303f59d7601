"""The dossier use cases: gather a case's dossier and export it as Markdown, HTML, zip or PDF.

What the dossier shows and how it is rendered is ``dossier.py``'s; this module gathers it
from the store and the config (the window recomputed with its explanation, the evidence
log checked) and writes it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .case_config import case_today, closures_for, preset_steps_for, window_for
from .errors import InputError
from .evidence_api import list_evidence, verify_evidence
from .store import Store

if TYPE_CHECKING:
    from .config import Settings
    from .dossier import Dossier
    from .evidence_files import Attachments
    from .evidence_verify import VerifyReport

__all__ = ["build_dossier", "export_dossier", "export_dossier_checked", "save_dossier"]


def build_dossier(store: Store, settings: Settings, case_id: str, *, now: datetime) -> Dossier:
    """Everything the dossier shows, as of ``now``: the window is recomputed with its explanation."""
    from . import outbox
    from .calendar import get_calendar
    from .dossier import Dossier
    from .exhibits import load_exhibits
    from .presets import current_step

    case = store.get_case(case_id)
    window = window_for(settings, case, explain=True)
    preset = settings.presets.get(case.preset) if case.preset else None
    calendar = get_calendar(case.country, case.subdivision, closures_for(settings, case))
    steps = preset_steps_for(settings, case, window, calendar)
    entries = list_evidence(store, case.id)
    return Dossier(
        case=case,
        window=window,
        generated_at=now,
        entries=entries,
        deliveries=outbox.list_deliveries(store, case.id),
        preset=preset,
        steps=steps,
        current=current_step(steps, case_today(case, now)),
        verification=verify_evidence(store, case.id),
        exhibits=load_exhibits(entries, store.attachments),
        complainant=settings.me.person(),
    )


def export_dossier(store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str) -> bytes:
    """The dossier as ``md``, ``html`` (UTF-8), ``zip`` or ``pdf`` bytes."""
    return export_dossier_checked(store, settings, case_id, now=now, fmt=fmt)[0]


def export_dossier_checked(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str
) -> tuple[bytes, VerifyReport]:
    """The dossier's bytes and the check of the evidence log it reports (one pass over the files)."""
    dossier, report = _checked_dossier(store, settings, case_id, now=now, fmt=fmt)
    return _dossier_bytes(dossier, fmt, store.attachments), report


def save_dossier(
    store: Store, settings: Settings, case_id: str, path: Path, *, now: datetime, fmt: str
) -> VerifyReport:
    """Write the dossier to ``path`` atomically and return the check of the evidence log it
    reports. A zip streams its attachments from disk instead of holding them in memory."""
    from .dossier import write_zip
    from .ics import write_bytes_atomic
    from .leftovers import journal_dir

    dossier, report = _checked_dossier(store, settings, case_id, now=now, fmt=fmt)
    data_dir = store.path.parent
    if fmt == "zip":
        write_zip(dossier, data_dir, path, attachments=store.attachments)
    else:
        data = _dossier_bytes(dossier, fmt, store.attachments)
        write_bytes_atomic(path, data, journal=journal_dir(data_dir))
    return report


def _checked_dossier(
    store: Store, settings: Settings, case_id: str, *, now: datetime, fmt: str
) -> tuple[Dossier, VerifyReport]:
    if fmt not in ("md", "html", "zip", "pdf"):
        from .i18n import _

        raise InputError(_("unknown dossier format %(format)s; use md, html, zip or pdf", format=repr(fmt)))
    dossier = build_dossier(store, settings, case_id, now=now)
    report = dossier.verification
    if report is None:  # pragma: no cover - build_dossier always verifies
        from .errors import StoreError

        raise StoreError(f"the evidence log of case {case_id} was not checked")
    return dossier, report


def _dossier_bytes(dossier: Dossier, fmt: str, data_dir: Attachments) -> bytes:
    from .dossier import render_html, render_markdown, zip_bytes

    if fmt == "md":
        return render_markdown(dossier).encode("utf-8")
    if fmt == "html":
        return render_html(dossier).encode("utf-8")
    if fmt == "pdf":
        from .i18n import current_language
        from .pdf import html_to_pdf

        # No base URL: the dossier's images are data: URIs, so the renderer may read no file at all.
        # The dossier speaks the user's language: the PDF's fonts and shaping follow it.
        return html_to_pdf(render_html(dossier), lang=current_language())
    return zip_bytes(dossier, data_dir)
