"""Text from users reaches the terminal (and the Markdown dossier) with its control characters escaped.

A title such as ``"\\x1b]0;pwned\\x07"`` or ``"\\x1b[2J"`` would otherwise retitle or clear the
terminal of whoever lists the cases. Every human output shows such characters as ``\\xNN``;
``--json`` keeps the exact text (JSON escapes them itself).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

from reminder.terminal import escape_controls

# Any C0 control but the newline, DEL, or a C1 control, raw.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

TITLE = "Cancel \x1b[31mred\x1b[0m eSIM\x07"
ORG = "Bat\x01el\rco"
REFERENCE = "BT-\x9b2J"
NOTES = "line one\nline two\x1b]0;pwned\x07"
SUMMARY = "Called \x1b[2Jback\x7f"
RESOLUTION = "done\x08\x08\x08\x08fine"
FILE_NAME = "scan\x1b[5m.png"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain é 中文 ✓", "plain é 中文 ✓"),
        ("\x1b[31m", "\\x1b[31m"),
        ("a\x07b\rc\x00d\x7fe", "a\\x07b\\x0dc\\x00d\\x7fe"),
        ("\x9b\x85\x80", "\\x9b\\x85\\x80"),
        ("tab\there", "tab\\x09here"),
        ("two\nlines", "two\\x0alines"),
    ],
)
def test_escape_controls(text: str, shown: str) -> None:
    assert escape_controls(text) == shown


def test_escape_controls_can_keep_the_layout_of_multiline_text() -> None:
    assert escape_controls("a\nb\r\n\tc\x1b", multiline=True) == "a\nb\\x0d\n\tc\\x1b"


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _clean(text: str, *, where: str) -> None:
    found = RAW_CONTROL.search(text)
    assert found is None, f"{where}: raw {found.group()!r} in {text!r}"


def test_user_text_is_escaped_in_every_human_output_and_exact_in_json(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    case = json.loads(
        _ok(
            run_cli(
                "add", "--title", TITLE, "--org", ORG, "--submitted", "2026-03-01", "--reference", REFERENCE,
                "--notes", NOTES, "--filed", "cancel\x07", "--channel", "hot\x1bline", "--kind",
                "sim-cancellation", "--json",
            )
        )
    )  # fmt: skip
    case_id = case["id"]
    assert (case["title"], case["organisation"], case["notes"]) == (TITLE, ORG, NOTES)
    scan = tmp_env.root / FILE_NAME
    scan.write_bytes(b"png")
    outputs = {
        "edit": _ok(run_cli("edit", case_id, "--title", TITLE)),
        "list": _ok(run_cli("list")),
        "show": _ok(run_cli("show", case_id)),
        "evidence add": _ok(
            run_cli("evidence", "add", case_id, "--kind", "call", "--summary", SUMMARY, "--file", str(scan))
        ),
        "check": _ok(run_cli("check", case_id, "1")),
        "status": _ok(run_cli("status")),
        "evidence list": _ok(run_cli("evidence", "list", case_id)),
        "evidence show": _ok(run_cli("evidence", "show", case_id, "1")),
        "markdown dossier": _ok(run_cli("export", case_id, "--format", "md", "-o", "-")),
        "html dossier": _ok(run_cli("export", case_id, "--format", "html", "-o", "-")),
        "close": _ok(run_cli("close", case_id, "--resolution", RESOLUTION)),
        "list closed": _ok(run_cli("list", "--status", "closed")),
    }
    for where, text in outputs.items():
        _clean(text, where=where)
    assert "Cancel \\x1b[31mred\\x1b[0m eSIM\\x07" in outputs["list"]
    show = outputs["show"]
    for shown in ("Cancel \\x1b[31mred\\x1b[0m eSIM\\x07", "Bat\\x01el\\x0dco", "BT-\\x9b2J", "hot\\x1bline"):
        assert shown in show, shown
    assert "line one\n" in show and "line two\\x1b]0;pwned\\x07" in show  # notes keep their lines
    assert "Called \\x1b[2Jback\\x7f" in outputs["evidence list"]
    assert "scan\\x1b[5m.png" in outputs["evidence show"]
    assert "Called \\x1b\\[2Jback\\x7f" in outputs["markdown dossier"]  # "[" is Markdown's
    assert "Called \\x1b[2Jback\\x7f" in outputs["html dossier"]
    assert "done\\x08\\x08\\x08\\x08fine" in outputs["close"]

    # --json keeps the exact text.
    shown_case = json.loads(_ok(run_cli("show", case_id, "--json")))
    assert (shown_case["title"], shown_case["resolution"]) == (TITLE, RESOLUTION)
    entries = json.loads(_ok(run_cli("evidence", "list", case_id, "--json")))["entries"]
    assert entries[0]["summary"] == SUMMARY
    assert entries[0]["attachments"][0]["name"] == FILE_NAME


def test_an_error_naming_user_text_is_escaped(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    case_id = json.loads(
        _ok(run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json"))
    )["id"]
    missing = Path(tmp_env.root / "gone\x1b[2J.png")
    result = run_cli("evidence", "add", case_id, "--kind", "call", "--summary", "s", "--file", str(missing))
    assert result.returncode == 2
    _clean(result.stderr, where="error")
    assert "gone\\x1b[2J.png" in result.stderr


def test_list_shows_a_title_that_looks_like_rich_markup_as_typed(run_cli: RunCli) -> None:
    title = "[bold]urgent[/bold] refund"
    _ok(run_cli("add", "--title", title, "--org", "[red]o", "--submitted", "2026-03-01"))
    out = _ok(run_cli("list"))
    assert title in out and "[red]o" in out


def test_an_email_bodys_control_characters_are_escaped_in_the_dossiers(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    case_id = json.loads(
        _ok(run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json"))
    )["id"]
    mail = tmp_env.root / "reply.eml"
    mail.write_bytes(
        b"From: support@example.org\r\nTo: me@example.org\r\nSubject: Your request\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Dear customer,\r\n\tyour request is \x1b[2J\x1b]0;pwned\x07pending.\r\n"
    )
    _ok(
        run_cli(
            "evidence", "add", case_id, "--kind", "email", "--summary", "their reply", "--file", str(mail)
        )
    )
    for fmt in ("md", "html"):
        out = _ok(run_cli("export", case_id, "--format", fmt, "-o", "-"))
        _clean(out.replace("\t", " "), where=f"{fmt} dossier")
        assert "\\x1b[2J\\x1b]0;pwned\\x07pending." in out, fmt
        assert "\tyour request" in out  # the body keeps its layout


def test_stdout_bytes_goes_past_the_text_layer_only_where_it_can(monkeypatch: pytest.MonkeyPatch) -> None:
    # `list --json` writes stored UTF-8 documents as they are: to stdout's bytes side where stdout
    # encodes UTF-8 and has one; else None, and the caller writes text the text layer re-encodes.
    import io

    from reminder.terminal import stdout_bytes

    raw = io.BytesIO()
    captured = io.TextIOWrapper(raw, encoding="utf-8")  # no descriptor: its binary buffer
    captured.write("before ")
    monkeypatch.setattr(sys, "stdout", captured)
    with stdout_bytes() as write:
        assert write is not None
        write("é".encode())
    assert raw.getvalue() == "before é".encode()  # the text written before comes first
    for other in (io.TextIOWrapper(io.BytesIO(), encoding="latin-1"), io.StringIO()):
        monkeypatch.setattr(sys, "stdout", other)
        with stdout_bytes() as write:
            assert write is None
