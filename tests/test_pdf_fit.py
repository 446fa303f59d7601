"""Nothing on a PDF page runs past its edge: a long token without a break opportunity (a
Message-ID, an e-mail address) in a table cell is broken inside the cell.

`letter --send` records an evidence entry whose summary holds the recipient's address and the
letter's Message-ID; the e-mail exhibit's headers hold them again. A table's automatic layout
gave such a cell the token's whole width, the table grew past the page, and the PDF cut the
text at the paper's edge (`…to Batelco <complaints@batelco.`). WeasyPrint lays the dossier and
the letters out here (no PDF written) and every box is held to the page's content box, left to
right and right to left alike. They skip where WeasyPrint or Pango is missing, and fail under CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from conftest import RunCli, TmpEnv
from test_letter_layout import _weasyprint  # noqa: F401  (autouse: skip, or fail under CI, without WeasyPrint)
from test_letters import ENTRIES, entry, facts

from reminder.letter_render import to_html
from reminder.letter_template import render
from reminder.pdf import layout

MESSAGE_ID = "<177f3c0e2b8a4d1f9e6a5c4b3a291807.reminder-letter@host.example>"
ADDRESS = "complaints.consumeraffairs.department@batelcoconsumeraffairs.example"
SUMMARY = f"Sent letter to Batelco <{ADDRESS}>: Complaint about my request BT-48213 (Message-ID {MESSAGE_ID})"
# A path or URL someone pasted, with nothing to break at either.
URL = (
    "https://www.batelco.example/consumer/complaints/status?ticket=BT48213&token=9f8e7d6c5b4a39281706f5e4d3c2"
)
SLACK = 0.5  # px: rounding in the layout


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


def overflowing(document: Any) -> list[str]:
    """Every box that reaches past its page's content box, left or right, and the text it holds."""
    out = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left = page_box.content_box_x()
        right = left + page_box.width
        for box in _boxes(page_box):
            if box is page_box or box.position_x is None or box.width is None:
                continue
            start, end = box.position_x, box.position_x + box.margin_width()
            if start < left - SLACK or end > right + SLACK:
                text = "".join(getattr(b, "text", "") for b in _boxes(box))[:80]
                where = f"{start:.1f}..{end:.1f} of {left:.1f}..{right:.1f}"
                out.append(f"page {number}: {type(box).__name__} {where}: {text!r}")
    return out


@pytest.mark.parametrize("lang", ["en", "ar", "zh_CN"])
@pytest.mark.parametrize("to", ["regulator", "organisation"])
def test_a_letter_with_a_message_id_in_its_records_stays_on_the_page(to: str, lang: str) -> None:
    sent = entry(4, "email", SUMMARY, datetime(2026, 3, 25, 7, 0, tzinfo=UTC), "4d" * 32)
    pasted = entry(5, "note", URL, datetime(2026, 3, 25, 8, 0, tzinfo=UTC), "5e" * 32)
    r = render(facts(to, lang, entries=(*ENTRIES, sent, pasted)))
    document = layout(to_html(r), lang=r.lang)
    assert not overflowing(document)


def test_the_dossier_of_a_sent_letter_stays_on_the_page(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    """The timeline's Details, the e-mail exhibit's headers, the reminders' errors."""
    from reminder import dossier_api
    from reminder.config import load_settings
    from reminder.dossier_render import render_html
    from reminder.store import open_store

    r = run_cli("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
                "--reference", URL, "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    case_id = r.stdout.split('"id": "')[1].split('"')[0]
    msg = EmailMessage()
    msg["From"] = "Li Lei <li.lei@example.com>"
    msg["To"] = f"Batelco <{ADDRESS}>"
    msg["Subject"] = "Complaint about my request BT-48213"
    msg["Message-ID"] = MESSAGE_ID
    msg["References"] = f"{MESSAGE_ID} {MESSAGE_ID.replace('177f', '288a')}"
    msg.set_content(f"See {URL}")
    eml = tmp_env.root / "letter.eml"
    eml.write_bytes(msg.as_bytes())
    r = run_cli("evidence", "add", case_id, "--kind", "email", "--summary", SUMMARY, "--file", str(eml))
    assert r.returncode == 0, r.stderr

    settings = load_settings()
    for lang in ("en", "zh_CN"):
        with open_store(settings) as store:
            d = dossier_api.build_dossier(
                store, settings, case_id, now=datetime(2026, 3, 26, tzinfo=UTC), lang=lang
            )
        html = render_html(d)
        assert MESSAGE_ID.strip("<>") in html.replace("&lt;", "<").replace("&gt;", ">")
        document = layout(html, lang=lang)
        assert not overflowing(document), lang
