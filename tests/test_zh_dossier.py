"""The complaint dossier in Chinese (issue 17): ``export --format md`` and ``--format html``
under ``LANG=zh_CN.UTF-8``, through the real CLI and a real store.

The dossier is for the user, so it speaks the user's language: its headings, field names,
the review window's explanation, the timeline, the evidence kinds, the escalation step and
the dates (``2026年3月15日 星期日`` in sentences, ISO dates in the tables a person copies into a
form). Every output goes through the English-leak scanner (tests/english_leaks.py); names,
ids, hashes and commands stay as written. English output does not change (test_dossier.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from conftest import RunCli, TmpEnv
from english_leaks import assert_no_english, html_text

ZH = {"LANG": "zh_CN.UTF-8"}
EN = {"LANG": "C.UTF-8"}
TITLE = "注销巴林漫游 eSIM"
# What stays as written in a Chinese dossier: the organisation, the preset's name and the
# notifier's name from the config, the reference number.
NAMES = {"Batelco", "telecom", "BT-48213", "sim-cancellation", "Asia/Bahrain", "通话记录.txt"}
HEADINGS = ("事项", "审核期", "升级处理", "时间线", "附件", "截图和电子邮件", "完整性核对", "日期依据")


@pytest.fixture
def case_id(run_cli: RunCli, tmp_env: TmpEnv) -> str:
    tmp_env.write_config('[defaults]\ncountry = "BH"\n\n[me]\nname = "李华"\nemail = "li@example.org"\n')
    added = run_cli(
        "add", "--title", TITLE, "--org", "Batelco", "--submitted", "2026-03-15", "--future",
        "--kind", "sim-cancellation", "--reference", "BT-48213", "--channel", "hotline 196",
        "--preset", "telecom", "--json", env=ZH,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    case_id = str(json.loads(added.stdout)["id"])
    note = tmp_env.root / "通话记录.txt"
    note.write_text("客服说三个工作日内处理。\n", encoding="utf-8")
    for args in (
        ("--kind", "call", "--summary", "致电 196 热线，客服答应注销"),
        ("--kind", "note", "--summary", "客服给的工单号", "--file", str(note)),
        ("--kind", "call", "--summary", "致电 196 热线（更正时间）", "--corrects", "1"),
    ):
        logged = run_cli("evidence", "add", case_id, *args, env=ZH)
        assert logged.returncode == 0, logged.stderr
    return case_id


def cited_as_published(text: str) -> str:
    """``text`` without the sources of official closures (a circular's English title, its URL),
    which are cited as published."""
    sources = re.compile(r"［已公布：[^］]*］")
    assert sources.search(text), "the dossier cites the circular of Eid al-Fitr's days in lieu"
    return sources.sub("［已公布：…］", text)


def export(run_cli: RunCli, case_id: str, fmt: str, env: dict[str, str] = ZH) -> str:
    result = run_cli("export", case_id, "--format", fmt, "--output", "-", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_markdown_dossier_in_chinese(run_cli: RunCli, case_id: str) -> None:
    md = export(run_cli, case_id, "md")
    assert md.startswith(f"# 投诉材料：{TITLE}——Batelco\n")
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == list(HEADINGS)
    assert "| 项目 | 内容 |" in md and "| 投诉人 | 李华, li@example.org |" not in md
    assert "| 投诉人 | 李华、li@example.org |" in md
    assert "| 联系渠道 | 热线 196 |" in md and "| 类型 | 注销SIM卡 |" in md
    assert "| 状态 | 进行中 |" in md
    # The sentence writes its dates as Chinese does; the tables keep ISO dates for forms.
    assert "**于 2026年3月15日 星期日 提交（第 0 天，不计入）。" in md
    assert "| 提交日期 | 2026-03-15（周日） |" in md
    assert "| 日期 | 第几天 | 原因 | 节点 |" in md
    assert "| 2026-03-20（周五） | — | 开斋节 |  |" in md  # our catalogue's name: holidays has none
    assert "| 2026-03-27（周五） | — | 周末（星期五） |  |" in md
    assert "| 2026-03-29（周日） | 7 | 计入 | 审核期开始 |" in md
    assert "审核期开始 |" in md and "截止日期 |" in md
    # The timeline: evidence kinds and the correction in Chinese, the user's own summaries as written.
    assert "证据第 1 条：通话" in md and "证据第 2 条：备注" in md
    assert "已被第 3 条更正" in md and "更正第 1 条" in md and "文件：通话记录.txt" in md
    assert "3 条证据，已发送 0 条提醒。时间均为 Asia/Bahrain 时区的时间。" in md
    assert "（UTC+0300）" in md
    assert "字节" in md and "可用 `sha256sum 文件` 核对。" in md
    assert "已核对：3 条证据和 1 个附件均完好。" in md
    assert f"可用 `reminder evidence verify {case_id}` 重新核对。" in md
    assert "- 节假日数据：holidays 0." in md and "- 本材料由 reminder 生成于 " in md
    assert "- 采用的官方停业日：BH 新增 2026-03-23..2026-03-24 开斋节补休日" in md
    # The preset's steps in the Chinese of the shipped preset, and when each falls.
    assert "预设：telecom——" in md and "截止日期后 " in md and "再次致电运营商" in md
    assert_no_english(
        cited_as_published(md), allow={*NAMES, case_id, "holidays"}, what="the Markdown dossier"
    )


def test_html_dossier_in_chinese(run_cli: RunCli, case_id: str) -> None:
    page = export(run_cli, case_id, "html")
    assert '<html lang="zh-CN" dir="ltr">' in page
    assert f"<title>投诉材料：{TITLE}——Batelco</title>" in page
    assert re.findall(r"<h2>(.*?)</h2>", page) == list(HEADINGS)
    assert "<th>日期</th><th>第几天</th><th>原因</th><th>节点</th>" in page
    assert f'<p class="meta">事项 {case_id} · 生成于 ' in page
    # The printed fonts put the mainland's Han forms first.
    assert 'font-family:"Noto Sans CJK SC"' in page
    text = cited_as_published(html_text(page))
    assert_no_english(text, allow={*NAMES, case_id, "holidays"}, what="the HTML dossier")


def test_the_english_dossier_stays_english(run_cli: RunCli, case_id: str) -> None:
    md = export(run_cli, case_id, "md", env=EN)
    # The title is the user's own name for the case, in Chinese: the request by its kind instead.
    assert md.startswith("# Dossier: cancellation of a SIM/eSIM service — Batelco\n")
    assert "## Review window" in md and "| Channels used | hotline 196 |" in md
    assert "**Submitted on 2026-03-15 (Sun) (day 0, not counted)." in md
    assert "Evidence #1: call" in md and "corrected by #3" in md
    # No Chinese but what the user wrote (the summaries, a file's name, [me]), and it says so.
    for line in md.splitlines():
        if re.search(r"[\u4e00-\u9fff]", line):
            assert any(mine in line for mine in ("李华", "致电 196 热线", "客服给的工单号", "通话记录")), line
    assert "is quoted as typed, in the language it was typed in." in md
    page = export(run_cli, case_id, "html", env=EN)
    assert '<html lang="en" dir="ltr">' in page and "<h2>Where the dates come from</h2>" in page


def test_pdf_dossier_in_chinese_uses_the_simplified_chinese_font(
    run_cli: RunCli, case_id: str, tmp_env: TmpEnv
) -> None:
    if shutil.which("pdffonts") is None or shutil.which("pdftotext") is None:
        pytest.skip("needs poppler-utils (pdffonts, pdftotext); see .ci/run")
    out = tmp_env.root / "dossier.pdf"
    result = run_cli("export", case_id, "--format", "pdf", "--output", str(out), env=ZH)
    if result.returncode == 2 and "WeasyPrint" in result.stderr:
        pytest.skip("needs WeasyPrint and Pango: " + result.stderr)
    assert result.returncode == 0, result.stderr
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "CJK-SC" in fonts or "CJKsc" in fonts, fonts  # the mainland's Han forms, not boxes
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "投诉材料" in text and "审核期" in text and "日期依据" in text


def test_a_tampered_log_is_reported_in_chinese(run_cli: RunCli, case_id: str, tmp_env: TmpEnv) -> None:
    from test_evidence_integrity import attack

    attack(
        tmp_env.db_path,
        ("UPDATE evidence SET summary = '从未打过电话' WHERE case_id = ? AND seq = 1", (case_id,)),
    )
    result = run_cli("export", case_id, "--format", "md", "--output", "-", env=ZH)
    assert result.returncode == 1  # written all the same: it is the record, and says so inside
    assert "**证据记录未通过核对：**" in result.stdout
    assert "- 第 1 条：哈希值不符（该条目在记录之后被改动过）" in result.stdout
    assert result.stderr.startswith(f"错误：事项 {case_id} 的证据记录未通过核对：第 1 条：哈希值不符")
    verify = run_cli("evidence", "verify", case_id, env=ZH)
    assert verify.returncode == 1
    assert "第 1 条：哈希值不符（该条目在记录之后被改动过）" in verify.stderr
