"""The dossier in a language other than the user's: ``export --lang``, the library's ``lang=``,
and the dossier a letter attaches (``letter --attach-dossier``), which is in the letter's
language when the dossier is written in it, else English.

A Chinese user writes to Batelco and to Bahrain's TRA, who read English or Arabic: the
dossier they attach must be one the TRA can read. Real processes, a real store; the
attached dossier is read back out of the ``.eml`` with the ``email`` package. What the user
typed (the summaries) is quoted as typed, whatever the dossier's language; the case's title, the
user's own name for it in Chinese, names the request in the Chinese dossier only: the English one
names it by the case's kind.
"""

from __future__ import annotations

import email
import io
import json
import re
import shutil
import subprocess
import zipfile
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

ZH = {"LANG": "zh_CN.UTF-8"}
EN = {"LANG": "C.UTF-8"}
TITLE = "注销巴林漫游 eSIM"
SUMMARY = "致电 196 热线，客服答应注销"
BY_KIND = "cancellation of a SIM/eSIM service"  # --kind sim-cancellation, in English

# What shows which language a dossier is in: its <html lang>, a heading, a weekday (the case
# was submitted on Sunday 2026-03-15), a field's label, the channel, an evidence kind, a reason,
# and the request (the title in Chinese, the case's kind in English).
ENGLISH = {
    "html_lang": '<html lang="en" dir="ltr">',
    "heading": "Review window",
    "weekday": "2026-03-15 (Sun)",
    "label": "Channels used",
    "channel": "hotline 196",
    "kind": "Evidence #1: call",
    "reason": "weekend (Friday)",
    "request": f"| Request | {BY_KIND} |",
}
CHINESE = {
    "html_lang": '<html lang="zh-CN" dir="ltr">',
    "heading": "审核期",
    "weekday": "2026-03-15（周日）",
    "label": "联系渠道",
    "channel": "热线 196",
    "kind": "证据第 1 条：通话",
    "reason": "周末（星期五）",
    "request": f"| 申请 | {TITLE} |",
}


def ok(r: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


@pytest.fixture
def case_id(run_cli: RunCli, tmp_env: TmpEnv) -> str:
    tmp_env.write_config(
        '[defaults]\ncountry = "BH"\n\n'
        '[me]\nname = "李华"\nemail = "li@example.org"\nphone = "+973 3600 0000"\n'
    )
    added = ok(
        run_cli(
            "add", "--title", TITLE, "--org", "Batelco", "--submitted", "2026-03-15", "--future",
            "--kind", "sim-cancellation", "--reference", "BT-48213", "--channel", "hotline 196",
            "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example",
            "--preset", "telecom", "--json", env=ZH,
        )
    )  # fmt: skip
    case_id = str(json.loads(added.stdout)["id"])
    ok(run_cli("evidence", "add", case_id, "--kind", "call", "--summary", SUMMARY, env=ZH))
    return case_id


def assert_in_language(page: str, words: dict[str, str], other: dict[str, str]) -> None:
    page = markdown_rows(page)
    for what, text in words.items():
        assert text in page, (what, text)
    for what in ("heading", "weekday", "label", "kind", "reason", "request"):
        assert other[what] not in page, (what, other[what])
    # The user's own words are quoted as typed, in any language; the title only for its reader.
    assert SUMMARY in page
    assert (TITLE in page) == (words is CHINESE) and (BY_KIND in page) == (words is ENGLISH)


def markdown_rows(page: str) -> str:
    """``page`` with an HTML table's two-cell rows also written as Markdown's (``| a | b |``)."""
    rows = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", page)
    return page + "".join(f"\n| {a} | {b} |" for a, b in rows)


def test_export_lang_en_gives_a_chinese_user_an_english_dossier(run_cli: RunCli, case_id: str) -> None:
    page = ok(run_cli("export", case_id, "--lang", "en", "--format", "html", "-o", "-", env=ZH)).stdout
    assert_in_language(page, ENGLISH, CHINESE)
    assert re.findall(r"<h2>(.*?)</h2>", page)[:2] == ["Case", "Review window"]
    md = ok(run_cli("export", case_id, "--lang", "en", "--format", "md", "-o", "-", env=ZH)).stdout
    assert md.startswith(f"# Dossier: {BY_KIND} — Batelco\n")
    assert "| 2026-03-27 (Fri) | — | weekend (Friday) |  |" in md
    # What the command itself says stays in the user's language.
    r = ok(run_cli("export", case_id, "--lang", "en", "--format", "html", env=ZH))
    assert "投诉材料已写入 dossier-" in r.stdout


def test_export_lang_zh_cn_gives_an_english_user_a_chinese_dossier(run_cli: RunCli, case_id: str) -> None:
    page = ok(run_cli("export", case_id, "--lang", "zh-CN", "--format", "html", "-o", "-", env=EN)).stdout
    assert_in_language(page, CHINESE, ENGLISH)
    r = ok(run_cli("export", case_id, "--lang", "zh_CN", "--format", "zip", "-o", "d.zip", env=EN))
    assert r.stdout.startswith("Wrote the zip dossier to d.zip")


def test_the_dossier_speaks_the_users_language_by_default(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    page = ok(run_cli("export", case_id, "--format", "html", "-o", "-", env=ZH)).stdout
    assert_in_language(page, CHINESE, ENGLISH)
    ok(run_cli("export", case_id, "--lang", "en", "--format", "zip", "-o", "en.zip", env=ZH))
    with zipfile.ZipFile(tmp_env.root / "en.zip") as zf:
        assert_in_language(zf.read("dossier.html").decode("utf-8"), ENGLISH, CHINESE)
        assert "## Review window" in zf.read("dossier.md").decode("utf-8")


def test_export_json_says_the_dossiers_language(run_cli: RunCli, tmp_env: TmpEnv, case_id: str) -> None:
    # A script sending the file on must know which reader it is for: --lang's, else the user's.
    cases = ((ZH, None, "zh_CN"), (ZH, "en", "en"), (EN, None, "en"), (EN, "zh-CN", "zh_CN"))
    for env, lang, expected in cases:
        more = [] if lang is None else ["--lang", lang]
        r = ok(run_cli("export", case_id, "--format", "md", "-o", "d.md", "--json", *more, env=env))
        assert json.loads(r.stdout) == {
            "version": 1,
            "path": str(tmp_env.root / "d.md"),
            "written": True,
            "language": expected,
        }


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_a_language_the_dossier_is_not_written_in_is_refused(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str, lang: str
) -> None:
    r = run_cli("export", case_id, "--lang", lang, "--format", "html", env=EN)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert repr(lang) in r.stderr and "en, zh_CN" in r.stderr
    assert not list(tmp_env.root.glob("dossier-*"))


def test_export_help_teaches_lang(run_cli: RunCli) -> None:
    helped = ok(run_cli("export", "--help", env=EN)).stdout
    assert "--lang LANG" in helped and "--lang en" in helped


def test_lang_is_for_the_dossier_not_the_calendar(run_cli: RunCli, case_id: str) -> None:
    r = run_cli("export", "--ics", "--lang", "en", "-o", "-", env=ZH)
    assert r.returncode == 2 and r.stdout == "" and "--lang" in r.stderr and "日历" in r.stderr


def attached_dossier(path: Path) -> tuple[EmailMessage, str]:
    msg = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(msg, EmailMessage)
    (dossier,) = list(msg.iter_attachments())
    assert dossier.get_content_type() == "text/html"
    return msg, str(dossier.get_content())


@pytest.mark.parametrize(
    ("user", "lang", "words", "other"),
    [
        (ZH, "en", ENGLISH, CHINESE),  # the story: a Chinese user writes to Batelco in English
        (ZH, "ar", ENGLISH, CHINESE),  # no Arabic dossier: the English one, the regulators' lingua franca
        (EN, "zh_CN", CHINESE, ENGLISH),
    ],
)
def test_the_attached_dossier_is_in_the_letters_language(
    run_cli: RunCli,
    tmp_env: TmpEnv,
    case_id: str,
    user: dict[str, str],
    lang: str,
    words: dict[str, str],
    other: dict[str, str],
) -> None:
    out = tmp_env.root / "org.eml"
    args = ("letter", case_id, "--to", "organisation", "--lang", lang, "--format", "eml")
    r = ok(run_cli(*args, "--attach-dossier", "-o", str(out), env=user))
    msg, page = attached_dossier(out)
    letter = msg.get_body(("html",))
    assert letter is not None and f'lang="{lang.replace("_", "-")}"' in letter.get_content()
    assert_in_language(page, words, other)
    if lang == "ar":
        # Said to the user, in the user's language: the letter is Arabic, its dossier English.
        assert "所附投诉材料为英文" in r.stderr, r.stderr


def test_the_library_takes_the_dossiers_language(tmp_env: TmpEnv, case_id: str) -> None:
    from datetime import UTC, datetime

    from reminder import api, i18n
    from reminder.config import load_settings
    from reminder.errors import InputError
    from reminder.store import Store

    settings = load_settings()
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    i18n.set_language("zh_CN")
    with Store(tmp_env.db_path) as store:
        page = api.export_dossier(store, settings, case_id, now=now, fmt="html", lang="en").decode("utf-8")
        assert_in_language(page, ENGLISH, CHINESE)
        md = api.export_dossier(store, settings, case_id, now=now, fmt="md").decode("utf-8")
        assert "## 审核期" in md  # lang=None: the user's language
        target = tmp_env.root / "en.zip"
        report = api.save_dossier(store, settings, case_id, target, now=now, fmt="zip", lang="en")
        assert report.ok
        with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as zf:
            assert "## Review window" in zf.read("dossier.md").decode("utf-8")
        with pytest.raises(InputError, match="'ar'"):
            api.export_dossier(store, settings, case_id, now=now, fmt="md", lang="ar")
    assert i18n.current_language() == "zh_CN"  # the user's language is left as it was


def test_export_pdf_lang_en_for_a_chinese_user(run_cli: RunCli, tmp_env: TmpEnv, case_id: str) -> None:
    pytest.importorskip("weasyprint")
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    out = tmp_env.root / "dossier-en.pdf"
    ok(run_cli("export", case_id, "--lang", "en", "--format", "pdf", "-o", str(out), env=ZH))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for needle in ("Review window", "Channels used", "2026-03-15 (Sun)", "weekend (Friday)", BY_KIND):
        assert needle in text, needle
    assert "审核期" not in text and "联系渠道" not in text and TITLE not in text


@pytest.mark.sqlite_only("tampers with the attachment files (in the database on PostgreSQL)")
def test_a_log_that_fails_its_check_is_reported_in_each_readers_language(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    letter = tmp_env.root / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 confirmation letter")
    args = ("--kind", "letter", "--summary", "确认函", "--file", str(letter), "--json")
    r = ok(run_cli("evidence", "add", case_id, *args, env=ZH))
    blob = Path(json.loads(r.stdout)["entry"]["attachments"][0]["path"])
    blob.write_bytes(b"%PDF-1.4 another letter")
    r = run_cli("export", case_id, "--lang", "en", "--format", "md", "-o", "-", env=ZH)
    assert r.returncode == 1
    # The dossier, for the regulator, says what is wrong in English ...
    assert "The evidence log does NOT verify:" in r.stdout and "changed (sha256 is now" in r.stdout
    assert "已被改动" not in r.stdout
    # ... and the command tells its Chinese user in Chinese.
    assert "已被改动（现在的 SHA-256 为" in r.stderr and "changed (sha256" not in r.stderr, r.stderr
