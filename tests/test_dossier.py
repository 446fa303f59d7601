from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from reminder.calendar import get_calendar
from reminder.dossier import SECTION_IDS, Dossier
from reminder.dossier_render import render_html, render_markdown
from reminder.dossier_zip import write_zip, zip_bytes
from reminder.evidence import add_entry as _add_entry
from reminder.evidence import attachment_path, list_entries
from reminder.evidence_key import KeyDir
from reminder.evidence_verify import VerifyReport
from reminder.evidence_verify import verify as _verify
from reminder.models import Case, Delivery, EvidenceEntry
from reminder.presets import DEFAULT_PRESETS, current_step, escalation_steps
from reminder.store import Store
from reminder.window import compute_window


def add_entry(store: Store, data_dir: Path, case_id: str, **kwargs: Any) -> EvidenceEntry:
    """``evidence.add_entry`` with the key in this test's state directory (see conftest)."""
    return _add_entry(store, data_dir, case_id, keys=KeyDir.default(), **kwargs)


def verify(store: Store, data_dir: Path, case_id: str, head: str | None = None) -> VerifyReport:
    return _verify(store, data_dir, case_id, keys=KeyDir.default(), head=head)


SUBMITTED = date(2026, 3, 1)
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
EVIL = '<script>alert("x")</script> & <b>bold</b> | pipe'


class Outline(HTMLParser):
    """Section ids, their headings and the text of the page, from a real HTML parser."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.headings: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._in_h2 = False
        self.open_sections = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(dict(attrs)["id"] or "")
            self.open_sections += 1
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.open_sections -= 1
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings.append(data)
        self.text.append(data)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data" / "reminder.db") as s:
        yield s


@pytest.fixture
def dossier(store: Store, tmp_path: Path) -> Dossier:
    case = store.add_case(
        Case(
            id="q7k2mp",
            title="Cancel roaming eSIM",
            organisation="Batelco",
            submitted=SUBMITTED,
            country="BH",
            timezone="Asia/Bahrain",
            reference="CX-1234",
            preset="gdpr",
            notes=EVIL,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    data_dir = store.path.parent
    shot = tmp_path / "status page.png"
    shot.write_bytes(b"\x89PNG screenshot bytes")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 the letter")
    t0 = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    add_entry(store, data_dir, case.id, kind="call", summary="Called 196, agent Sara", at=t0, now=t0)
    add_entry(
        store, data_dir, case.id, kind="code", summary="SMS code checked", at=t0 + timedelta(hours=1), now=NOW
    )
    add_entry(
        store,
        data_dir,
        case.id,
        kind="screenshot",
        summary=EVIL,
        at=t0 + timedelta(days=3),
        now=NOW,
        files=[shot, letter],
    )
    add_entry(store, data_dir, case.id, kind="note", summary="It was agent Sarah", now=NOW, corrects=1)
    window = compute_window(SUBMITTED, country="BH", explain=True)
    preset = DEFAULT_PRESETS["gdpr"]
    steps = escalation_steps(preset, window.deadline, get_calendar("BH"), submitted=SUBMITTED)
    deliveries = [
        Delivery(
            1,
            case.id,
            "q7k2mp:opened:0",
            "opened",
            "email",
            datetime(2026, 3, 11, 6, tzinfo=UTC),
            "sent",
            attempts=1,
            sent_at=datetime(2026, 3, 11, 6, 0, 5, tzinfo=UTC),
        ),
        Delivery(
            2,
            case.id,
            "q7k2mp:deadline:0",
            "deadline",
            "desktop",
            datetime(2026, 3, 19, 6, tzinfo=UTC),
            "failed",
            attempts=8,
            last_error="no bus",
        ),
        Delivery(
            3,
            case.id,
            "q7k2mp:escalation:1",
            "escalation",
            "email",
            datetime(2030, 1, 1, tzinfo=UTC),
            "planned",
        ),
    ]
    return Dossier(
        case=store.get_case(case.id),
        window=window,
        generated_at=NOW,
        entries=list_entries(store, case.id),
        deliveries=deliveries,
        preset=preset,
        steps=steps,
        current=current_step(steps, NOW.date()),
        verification=verify(store, data_dir, case.id),
    )


def test_html_is_one_file_with_every_section_and_escaped_text(dossier: Dossier) -> None:
    page = render_html(dossier)
    outline = Outline()
    outline.feed(page)
    outline.close()
    assert outline.sections == list(SECTION_IDS)
    assert outline.headings == [
        "Case",
        "Review window",
        "Escalation",
        "Timeline",
        "Attachments",
        "Screenshots and e-mails",
        "Integrity",
        "Where the dates come from",
    ]
    assert outline.open_sections == 0
    # Self-contained: inline CSS, nothing fetched, no script.
    assert "style" in outline.tags
    assert not {"script", "link", "img", "iframe"} & set(outline.tags)
    text = "".join(outline.text)
    assert EVIL in text  # shown as text, not interpreted
    for needle in (
        "Batelco",
        "CX-1234",
        "Called 196",
        "corrects #1",
        "corrected by #4",
        "Reminder sent: opened",
    ):
        assert needle in text
    assert "no bus" not in text  # failed deliveries are not "reminders sent"


def test_window_explanation_escalation_and_sources(dossier: Dossier) -> None:
    md = render_markdown(dossier)
    w = dossier.window
    assert f"{w.deadline.isoformat()}" in md
    assert len([line for line in md.splitlines() if line.startswith("| 2026-")]) >= len(w.days)
    assert "Friday" in md or "weekend" in md.lower()  # Bahrain's Fri–Sat weekend is explained
    # 2026-05-04 is past one month (2026-04-01) but before three months (2026-06-01) from submission.
    assert dossier.current is not None and "Art. 12(3)" in dossier.current.step
    assert "Applies now (as of 2026-05-04): Ask for the response" in md
    assert w.holidays_version and w.holidays_version in md
    assert "Verified: 4 entries and 2 files are intact." in md
    assert dossier.verification is not None and dossier.verification.head_hash in md


def test_markdown_escapes_user_text(dossier: Dossier) -> None:
    md = render_markdown(dossier)
    assert "<script>" not in md
    assert "\\<script\\>" in md
    table_rows = [line for line in md.splitlines() if "alert" in line and line.startswith("|")]
    assert len(table_rows) == 2  # the case's notes and the evidence entry
    for line in table_rows:
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        (cell,) = [c for c in cells if "alert" in c]
        assert "pipe" in cell  # the user's "|" did not split the cell


def test_zip_bundles_dossier_attachments_and_manifest(dossier: Dossier, store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out" / "dossier.zip"
    write_zip(dossier, store.path.parent, out)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert names == [
            "dossier.md",
            "dossier.html",
            "attachments/003-1-status page.png",
            "attachments/003-2-letter.pdf",
            "manifest.json",
            "SHA256SUMS",
        ]
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["version"] == 1
        assert manifest["verified"] is True
        for f in manifest["files"]:
            assert hashlib.sha256(zf.read(f["path"])).hexdigest() == f["sha256"]
        shot = next(f for f in manifest["files"] if f["path"].endswith(".png"))
        assert shot["sha256"] == shot["recorded_sha256"]
        assert zf.read("attachments/003-1-status page.png") == b"\x89PNG screenshot bytes"
        sums = zf.read("SHA256SUMS").decode().splitlines()
        assert len(sums) == 4 and sums[0].endswith("  dossier.md")
    # Same facts, same bytes.
    assert zip_bytes(dossier, store.path.parent) == out.read_bytes()


def test_zip_lists_a_missing_attachment(dossier: Dossier, store: Store) -> None:
    att = dossier.entries[2].attachments[1]
    attachment_path(store.path.parent, att["sha256"]).unlink()
    with zipfile.ZipFile(io.BytesIO(zip_bytes(dossier, store.path.parent))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert [m["name"] for m in manifest["missing"]] == ["letter.pdf"]
        assert "attachments/003-2-letter.pdf" not in zf.namelist()


def test_empty_case_without_preset(dossier: Dossier) -> None:
    bare = replace(dossier, entries=(), deliveries=(), preset=None, steps=(), current=None, verification=None)
    md = render_markdown(bare)
    assert "No escalation preset was chosen" in md
    assert "No evidence recorded and no reminder sent yet." in md
    assert "No files attached." in md
    outline = Outline()
    outline.feed(render_html(bare))
    assert outline.sections == list(SECTION_IDS)


def test_a_tampered_log_shows_in_the_dossier(dossier: Dossier, store: Store) -> None:
    att = dossier.entries[2].attachments[0]
    blob = attachment_path(store.path.parent, att["sha256"])
    blob.write_bytes(b"changed")
    report = verify(store, store.path.parent, dossier.case.id)
    md = render_markdown(replace(dossier, verification=report))
    assert "The evidence log does NOT verify:" in md
    assert "attachment status page.png of entry 3: changed" in md


def test_commands_are_code_not_literal_backticks(dossier: Dossier) -> None:
    page = render_html(dossier)
    assert "`" not in page  # the case's own text has none: every backtick was markup
    assert f"<code>reminder evidence verify {dossier.case.id}</code>" in page
    assert "<code>sha256sum FILE</code>" in page
    md = render_markdown(dossier)
    assert "\\`" not in md  # escaped backticks render as literal ones
    assert f"`reminder evidence verify {dossier.case.id}`" in md and "`sha256sum FILE`" in md


def test_every_table_column_has_a_heading(dossier: Dossier) -> None:
    assert "<th></th>" not in render_html(dossier)
    headers = [
        rows[0]
        for block in render_markdown(dossier).split("\n\n")
        if len(rows := block.splitlines()) > 1 and rows[1].startswith("|---")
    ]
    assert len(headers) >= 4  # the case, the day-by-day window, the preset's steps, the timeline
    for header in headers:
        assert all(cell.strip() for cell in header.strip("|").split("|")), header
