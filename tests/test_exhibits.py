"""Screenshots and e-mails in the dossier: real files in a real evidence log, rendered.

Images are told by their bytes, embedded as data: URIs whose bytes hash to the recorded
SHA-256; ``.eml`` files are parsed by the standard library into decoded headers, the text
body and the list of their own attachments, and an HTML-only message becomes plain text
with nothing of its markup, script or remote images in the dossier.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import png_bytes

from reminder import exhibits
from reminder.dossier import Dossier
from reminder.dossier_render import render_html, render_markdown
from reminder.evidence import add_entry as _add_entry
from reminder.evidence import attachment_path, list_entries
from reminder.evidence_key import KeyDir
from reminder.evidence_verify import verify
from reminder.exhibits import html_text, image_type, load_exhibits, read_mail
from reminder.models import Case, EvidenceEntry
from reminder.store import Store
from reminder.window import compute_window

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
SUBJECT = "Réclamation — رقم الطلب CX-1234 — 投诉"


def add_entry(store: Store, case_id: str, **kwargs: Any) -> EvidenceEntry:
    return _add_entry(store, store.path.parent, case_id, keys=KeyDir.default(), now=NOW, **kwargs)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data" / "reminder.db") as s:
        s.add_case(
            Case(
                id="q7k2mp",
                title="Cancel roaming eSIM",
                organisation="Batelco",
                submitted=date(2026, 3, 1),
                country="BH",
                timezone="Asia/Bahrain",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        yield s


def dossier_of(store: Store) -> Dossier:
    entries = list_entries(store, "q7k2mp")
    data_dir = store.path.parent
    return Dossier(
        case=store.get_case("q7k2mp"),
        window=compute_window(date(2026, 3, 1), country="BH", explain=True),
        generated_at=NOW,
        entries=entries,
        verification=verify(store, data_dir, "q7k2mp", keys=KeyDir.default()),
        exhibits=load_exhibits(entries, data_dir),
    )


def mail_with_attachment() -> bytes:
    msg = EmailMessage()
    msg["From"] = "خدمة العملاء <care@batelco.example>"
    msg["To"] = "Sara Ahmed <sara@example.org>"
    msg["Date"] = format_datetime(datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    msg["Subject"] = "SUBJECT"
    msg.set_content("Dear customer,\nyour request CX-1234 is under review.\nشكراً")
    msg.add_attachment(b"%PDF-1.4 invoice" * 10, maintype="application", subtype="pdf", filename="فاتورة.pdf")
    msg.add_attachment(png_bytes(), maintype="image", subtype="png", filename="status.png")
    # One encoded word, as mail clients write it (the stdlib's own encoder splits it and
    # loses a space between the words on the way back).
    encoded = b"=?utf-8?b?" + base64.b64encode(SUBJECT.encode()) + b"?="
    return msg.as_bytes().replace(b"Subject: SUBJECT", b"Subject: " + encoded, 1)


def html_only_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "noreply@batelco.example"
    msg["To"] = "sara@example.org"
    msg["Subject"] = "Your ticket"
    msg.set_content(
        "<html><head><title>T</title><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Ticket <b>CX-1234</b> is &lt;closed&gt;.</p><img src='http://tracker.example/p.gif'>"
        "<ul><li>first</li><li>second</li></ul></body></html>",
        subtype="html",
    )
    return msg.as_bytes()


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "img":
            self.imgs.append(dict(attrs))


def test_images_are_told_by_their_bytes() -> None:
    assert image_type(png_bytes()) == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert image_type(b"GIF89a\x01\x00") == "image/gif"
    assert image_type(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    for not_an_image in (
        b"",
        b"\x89PNG screenshot",
        b"RIFF\x10\x00\x00\x00WAVEfmt ",
        b"<svg onload=x>",
        b"%PDF",
    ):
        assert image_type(not_an_image) is None


def test_a_screenshot_is_embedded_under_its_name_and_hash(store: Store, tmp_path: Path) -> None:
    shot = tmp_path / "status.txt"  # the name says text; the bytes say PNG
    shot.write_bytes(png_bytes())
    fake = tmp_path / "fake.png"  # the name says PNG; the bytes do not
    fake.write_bytes(b"not a picture")
    e = add_entry(store, "q7k2mp", kind="screenshot", summary="Status page", files=[shot, fake])
    sha = e.attachments[0]["sha256"]

    page = render_html(dossier_of(store))
    tags = Tags()
    tags.feed(page)
    assert len(tags.imgs) == 1
    src = tags.imgs[0]["src"] or ""
    assert src.startswith("data:image/png;base64,")
    assert hashlib.sha256(base64.b64decode(src.split(",", 1)[1])).hexdigest() == sha
    caption = re.search(r"<figcaption>(.*?)</figcaption>", page)
    assert caption is not None and "status.txt" in caption[1] and sha in caption[1]
    assert "fake.png" not in caption[1]

    md = render_markdown(dossier_of(store))
    assert "shown in the HTML and PDF dossier" in md and sha in md and "base64" not in md


def test_a_changed_or_oversized_image_is_not_embedded(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    one.write_bytes(png_bytes(rgb=(1, 2, 3)))
    two.write_bytes(png_bytes(40, 40))
    e = add_entry(store, "q7k2mp", kind="screenshot", summary="Two", files=[one, two])
    blob = attachment_path(store.path.parent, e.attachments[0]["sha256"])
    blob.write_bytes(png_bytes(rgb=(9, 9, 9)))  # another picture under the recorded hash
    monkeypatch.setattr(exhibits, "IMAGE_LIMIT", 100)  # two.png is larger than this

    page = render_html(dossier_of(store))
    assert "<img" not in page
    assert "not shown: the file no longer matches its recorded SHA-256" in page
    assert f"not embedded: {two.stat().st_size:,} bytes, over the 100 bytes limit" in page


def test_an_eml_is_rendered_with_decoded_headers_body_and_its_attachments(
    store: Store, tmp_path: Path
) -> None:
    eml = tmp_path / "reply.eml"
    eml.write_bytes(mail_with_attachment())
    assert b"=?utf-8?" in eml.read_bytes()  # the subject is RFC 2047-encoded in the file
    add_entry(store, "q7k2mp", kind="email", summary="Their reply", files=[eml])

    d = dossier_of(store)
    page = render_html(d)
    assert SUBJECT in page
    assert "خدمة العملاء &lt;care@batelco.example&gt;" in page
    assert "Wed, 04 Mar 2026 09:30:00 +0000" in page
    assert "your request CX-1234 is under review." in page and "شكراً" in page
    # A cell may carry a class (class="text": a file name may break anywhere).
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", page)
    assert ("فاتورة.pdf", "application/pdf", "160 bytes") in rows
    assert ("status.png", "image/png", f"{len(png_bytes())} bytes") in rows
    assert "Files attached to this e-mail: 2" in page
    md = render_markdown(d)
    assert SUBJECT in md and "```text\nDear customer," in md


def test_an_html_only_mail_becomes_text_and_nothing_of_its_html_reaches_the_page(
    store: Store, tmp_path: Path
) -> None:
    mail = tmp_path / "ticket"  # no .eml name: an `email` entry whose file reads as a message
    mail.write_bytes(html_only_mail())
    add_entry(store, "q7k2mp", kind="email", summary="Ticket closed", files=[mail])

    page = render_html(dossier_of(store))
    assert "Ticket CX-1234 is &lt;closed&gt;." in page
    assert "- first\n- second" in page
    assert "alert(" not in page and "color:red" not in page and "tracker.example" not in page
    tags = Tags()
    tags.feed(page)
    assert not {"script", "img", "b", "iframe", "link"} & tags.tags
    assert "its HTML part as plain text" in page


def test_a_text_file_in_a_note_is_not_taken_for_a_mail(store: Store, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(b"From: me\nSubject: looks like a header\n\nbut it is a note")
    add_entry(store, "q7k2mp", kind="note", summary="A note", files=[note])
    assert dossier_of(store).exhibits == ()


def test_read_mail_survives_a_bad_charset_and_lists_a_forwarded_message() -> None:
    inner = EmailMessage()
    inner["Subject"] = "original"
    inner.set_content("the first message")
    outer = EmailMessage()
    outer["From"] = "a@example.org"
    outer["Subject"] = "Fwd"
    outer.set_content("see below")
    outer.add_attachment(inner)
    raw = outer.as_bytes().replace(b'charset="utf-8"', b'charset="x-no-such-charset"', 1)
    mail = read_mail(raw)
    assert mail.body_from == "text" and "see below" in mail.body
    assert [p.content_type for p in mail.attachments] == ["message/rfc822"]


def test_html_text_keeps_words_and_blocks() -> None:
    assert html_text("<p>a  b</p><p>c<br>d</p><script>x</script>") == "a b\n\nc\nd"
