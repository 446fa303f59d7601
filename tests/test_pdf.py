"""PDF output through WeasyPrint, read back with poppler's tools as a reader's viewer would.

``pdftotext`` gives the text layer (Chinese as characters, Arabic in logical order),
``pdffonts`` the embedded fonts (a CJK font, not boxes), ``pdfimages -list`` the images and
``pdfdetach -list`` the embedded files. CI installs WeasyPrint (the ``test`` extra) and
the Debian packages (``.ci/run``); elsewhere these tests skip when a tool is missing, and
under CI they fail instead, so a broken install cannot pass unseen.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import REPO, RunCli, TmpEnv, png_bytes

from reminder.errors import ConfigError
from reminder.pdf import DEBIAN_PACKAGES, INSTALL_HINT, html_to_pdf

TOOLS = ("pdftotext", "pdffonts", "pdfimages", "pdfdetach")


def _weasyprint_loads() -> bool:
    r = subprocess.run([sys.executable, "-c", "import weasyprint"], capture_output=True)
    return r.returncode == 0


@pytest.fixture(scope="module", autouse=True)
def _pdf_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not _weasyprint_loads():
        missing.append("weasyprint (pip install -e '.[test]') with Pango")
    if missing:
        message = "PDF tests need: " + ", ".join(missing) + " (poppler-utils; see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def tool_rows(tool: str, pdf: Path) -> list[str]:
    out = subprocess.run([tool, "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def images_in(pdf: Path) -> int:
    # `pdfimages -list`: two header lines, then one row per image; an alpha mask would be a row of its own.
    return sum(1 for row in tool_rows("pdfimages", pdf)[2:] if row.split()[2] == "image")


def fonts_in(pdf: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert all(" yes " in row for row in rows), out  # every font embedded
    return [row.split()[0].split("+", 1)[-1] for row in rows]


def blocks(pdf: Path) -> list[tuple[float, float, str]]:
    """(xMin, xMax, text) of each text block on the first page."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for m in re.finditer(r'<block xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)".*?</block>', xml, re.S):
        words = re.findall(r"<word [^>]*>([^<]*)</word>", m[0])
        out.append((float(m[1]), float(m[2]), " ".join(words)))
    return out


ZH = "工信部电信用户申诉受理中心"
AR = "هيئة تنظيم الاتصالات في مملكة البحرين"
THREE_SCRIPTS = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>
<p>Complaint about reference CX-1234, deadline 2026-03-22.</p>
<p lang="zh-CN">{ZH}，电话 12300。</p>
<p lang="ar" dir="rtl">{AR}</p>
</body></html>"""


def test_english_chinese_and_arabic_text_with_their_fonts(tmp_path: Path) -> None:
    pdf = tmp_path / "three.pdf"
    pdf.write_bytes(html_to_pdf(THREE_SCRIPTS, lang="en"))
    text = pdftotext(pdf)
    assert "Complaint about reference CX-1234, deadline 2026-03-22." in text
    assert f"{ZH}，电话 12300。" in text  # characters in the text layer, not boxes
    # Logical order: the words as typed, first word first (a visual-order PDF reads reversed).
    assert AR in text
    fonts = fonts_in(pdf)
    assert any("CJK-SC" in f for f in fonts), fonts
    assert any("Arabic" in f for f in fonts), fonts


def test_an_rtl_paragraph_is_laid_out_from_the_right(tmp_path: Path) -> None:
    pdf = tmp_path / "rtl.pdf"
    pdf.write_bytes(html_to_pdf(THREE_SCRIPTS, lang="en"))
    by_text = {text: (x0, x1) for x0, x1, text in blocks(pdf)}
    english = next(v for k, v in by_text.items() if k.startswith("Complaint"))
    # -bbox lists words in visual order, letters reversed: find the block by its script instead.
    arabic = next(v for k, v in by_text.items() if re.search("[\u0600-\u06ff]", k))
    # Same content box: the LTR line starts at its left edge, the RTL line ends at its right edge.
    width = 595.28  # A4
    assert abs(english[0] - arabic[0]) > 100
    assert arabic[1] > width * 0.85 and english[0] < width * 0.15


def test_a_document_in_arabic_defaults_to_rtl_and_an_arabic_font(tmp_path: Path) -> None:
    pdf = tmp_path / "ar.pdf"
    pdf.write_bytes(html_to_pdf(f"<p>{AR}</p>", lang="ar"))
    assert AR in pdftotext(pdf)
    [(x0, x1, _)] = blocks(pdf)[:1]
    assert x1 > 595.28 * 0.85 and x0 > 595.28 * 0.3
    assert fonts_in(pdf)[0].startswith("Noto-Naskh-Arabic")


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Recorder.seen.append(self.path)
        body = png_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_renderer_fetches_no_url_and_no_file_outside_its_directory(
    tmp_path: Path, http_server: str
) -> None:
    root = tmp_path / "attachments"
    root.mkdir()
    (root / "inside.png").write_bytes(png_bytes())
    (root / "inside.txt").write_text("allowed", encoding="utf-8")
    outside = tmp_path / "outside.png"
    outside.write_bytes(png_bytes(rgb=(0, 0, 255)))
    (root / "link.png").symlink_to(outside)  # a way out through a link inside the directory
    (root / "passwd").symlink_to("/etc/passwd")
    html = f"""<html><head>
    <link rel="stylesheet" href="{http_server}/style.css">
    <style>@import url("{http_server}/import.css"); body {{ background: url("{http_server}/bg.png") }}</style>
    <link rel="attachment" href="file:///etc/passwd">
    <link rel="attachment" href="passwd">
    <link rel="attachment" href="{http_server}/attach.txt">
    <link rel="attachment" href="inside.txt">
    </head><body><p>Exhibit</p>
    <img src="{http_server}/remote.png">
    <img src="file:///etc/passwd">
    <img src="{outside.as_uri()}">
    <img src="link.png">
    <img src="inside.png">
    </body></html>"""
    pdf = tmp_path / "confined.pdf"
    pdf.write_bytes(html_to_pdf(html, lang="en", base_url=str(root)))
    assert Recorder.seen == []
    assert images_in(pdf) == 1  # inside.png only
    detached = tool_rows("pdfdetach", pdf)
    assert detached[0] == "1 embedded files" and detached[1].endswith("inside.txt"), detached

    # Without a base directory no file at all is read; data: URIs still are.
    data_uri = "data:image/png;base64," + __import__("base64").b64encode(png_bytes()).decode()
    bare = tmp_path / "bare.pdf"
    bare.write_bytes(
        html_to_pdf(html.replace("<p>Exhibit</p>", f'<p>Exhibit</p><img src="{data_uri}">'), lang="en")
    )
    assert Recorder.seen == []
    assert images_in(bare) == 1  # the data: URI
    assert tool_rows("pdfdetach", bare)[0] == "0 embedded files"


def test_a_bad_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="only a local directory"):
        html_to_pdf("<p>x</p>", lang="en", base_url="http://example.org/")


# --- the dossier as PDF, through the CLI -----------------------------------------------------------


def add_case(run_cli: RunCli) -> str:
    r = run_cli("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
                "--preset", "telecom", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    case_id: str = json.loads(r.stdout)["id"]
    return case_id


def test_export_pdf_dossier_with_screenshot_and_mail(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    case_id = add_case(run_cli)
    shot = tmp_env.root / "status.png"
    shot.write_bytes(png_bytes(60, 40))
    msg = EmailMessage()
    msg["From"] = "care@batelco.example"
    msg["To"] = "sara@example.org"
    msg["Subject"] = "طلبك قيد المراجعة / 您的申请正在审核"
    msg.set_content("Your request is under review.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="ticket.pdf")
    (tmp_env.root / "reply.eml").write_bytes(msg.as_bytes())
    for kind, name in (("screenshot", "status.png"), ("email", "reply.eml")):
        r = run_cli("evidence", "add", case_id, "--kind", kind, "--summary", f"the {kind}",
                    "--file", str(tmp_env.root / name))  # fmt: skip
        assert r.returncode == 0, r.stderr

    out = tmp_env.root / "dossier.pdf"
    r = run_cli("export", case_id, "--format", "pdf", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"Wrote the pdf dossier to {out}\n" and r.stderr == ""
    text = pdftotext(out)
    needles = [
        "Cancel roaming eSIM",
        "Screenshots and e-mails",
        "Your request is under review.",
        "ticket.pdf",
    ]
    needles += ["您的申请正在审核", "طلبك قيد المراجعة", "Evidence log head: entry 2"]
    for needle in needles:
        assert needle in text, needle
    assert images_in(out) == 1
    assert any("CJK" in f for f in fonts_in(out))

    r = run_cli("export", case_id, "--format", "pdf", "-o", "-")
    assert r.returncode == 2 and "a pdf cannot go to stdout" in r.stderr


# WeasyPrint cannot be uninstalled from the test environment (other tests need it), so its absence is
# faked: a sitecustomize, loaded by the child before reminder, makes the import fail the way it does
# on a machine without it — the package missing, or present without Pango (cffi's dlopen fails).
BLOCK_PACKAGE = """
import sys
class _NoWeasyPrint:
    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _NoWeasyPrint())
"""
BLOCK_PANGO = """
import cffi
_dlopen = cffi.FFI.dlopen
def dlopen(self, name, *args, **kwargs):
    if name and "pango" in str(name):
        raise OSError(f"cannot load library {name!r}: no such file")
    return _dlopen(self, name, *args, **kwargs)
cffi.FFI.dlopen = dlopen
"""


@pytest.mark.parametrize("blocker", [BLOCK_PACKAGE, BLOCK_PANGO], ids=["no-package", "no-pango"])
def test_missing_weasyprint_is_one_line_and_exit_2(run_cli: RunCli, tmp_env: TmpEnv, blocker: str) -> None:
    case_id = add_case(run_cli)
    site = tmp_env.root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(blocker, encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(site), tmp_env.env["PYTHONPATH"]])}
    out = tmp_env.root / "dossier.pdf"
    r = run_cli("export", case_id, "--format", "pdf", "-o", str(out), env=env)
    assert r.returncode == 2
    assert r.stderr == f"Error: {INSTALL_HINT}\n"
    assert r.stdout == ""  # weasyprint's own banner about missing libraries does not leak
    assert not out.exists()
    assert "pip install 'reminder[pdf]'" in INSTALL_HINT and "libpango-1.0-0" in INSTALL_HINT


def test_ci_and_readme_install_what_the_hint_names() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for package in (*DEBIAN_PACKAGES, "poppler-utils"):
        assert re.search(rf"apt-get install [^\n]*(\\\n[^\n]*)?\b{re.escape(package)}\b", ci), package
    assert "apt-get install " + " ".join(DEBIAN_PACKAGES) in readme
    assert "pip install 'reminder[pdf]'" in readme
