"""The user story in Chinese (issue 17) for what a person reads outside the command line's own
output: the window's day-by-day explanation, the e-mails the daemon sends and the calendar file,
under ``LANG=zh_CN.UTF-8``, through the real processes.

Real parts: the CLI and the daemon as processes, an SMTP server (aiosmtpd) on 127.0.0.1, a real
store; the daemon's clock comes from libfaketime. Every Chinese output goes through the
English-leak scanner (tests/english_leaks.py). The messages in-process: test_zh_messages.py.
"""

from __future__ import annotations

import email
import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import compat32
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from conftest import RunCli, TmpEnv
from english_leaks import assert_no_english, html_text
from test_daemon import daemon_cmd, fake_env, needs_faketime
from test_notifier_email import free_port

from reminder import i18n
from reminder.config import load_settings

ZH = {"LANG": "zh_CN.UTF-8"}
WARNING_ZH = "骗子专找正在等待此类申请结果的人打电话"
# Names and ids that stay as written in a Chinese text: the organisation, a preset's name.
NAMES = {"Batelco", "telecom"}


# --- the window's explanation --------------------------------------------------------------------


def explained(run_cli: RunCli, *args: str) -> dict[str, tuple[str, str, str]]:
    """``window --explain`` in Chinese: {date: (counted?, count, why)} from its table."""
    result = run_cli("window", *args, "--explain", env=ZH)
    assert result.returncode == 0, result.stderr
    rows: dict[str, tuple[str, str, str]] = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 5 and len(cells[0]) == 10 and cells[0][4] == "-":
            rows[cells[0]] = (cells[2], cells[3], cells[4])
    assert rows, result.stdout
    return rows


def test_china_around_national_day_with_its_make_up_working_days(run_cli: RunCli) -> None:
    rows = explained(run_cli, "--country", "CN", "--submitted", "2026-09-15")
    why = {day: cell[2] for day, cell in rows.items()}
    assert why["2026-09-25"] == "中秋节"
    assert [why[f"2026-10-0{d}"] for d in (1, 2, 3)] == ["国庆节"] * 3
    assert why["2026-10-05"] == "国庆节（补假）"
    assert why["2026-10-06"] == "休息日（由 2026-09-20 调休）"  # the holidays package's own words
    # The 调休 weekend days are worked, and counted: Sunday 20 September, Saturday 10 October.
    for day in ("2026-09-20", "2026-10-10"):
        assert rows[day][2] == "调休上班日" and rows[day][0] != "" and rows[day][1].isdigit()
    assert why["2026-09-19"] == "周末（星期六）" and why["2026-10-11"] == "周末（星期日）"
    assert why["2026-09-23"] == "← 审核期开始" and why["2026-10-12"] == "← 截止日期"
    assert_no_english("\n".join(why.values()), what="the Why column")

    # Scripts read the same English as ever, with the reason's code beside it.
    result = run_cli("window", "--country", "CN", "--submitted", "2026-09-15", "--explain", "--json", env=ZH)
    days = {d["date"]: d for d in json.loads(result.stdout)["days"]}
    reasons = {day: (d["reason"], d["reason_code"]) for day, d in days.items()}
    assert reasons["2026-10-10"] == ("make-up working day", "make_up")
    assert reasons["2026-10-01"] == ("National Day", "holiday")
    assert reasons["2026-09-19"] == ("weekend (Saturday)", "weekend")
    assert reasons["2026-09-16"] == (None, None)


def test_bahrain_around_eid_al_fitr_with_its_days_in_lieu_and_closures(run_cli: RunCli) -> None:
    rows = explained(
        run_cli, "--country", "BH", "--submitted", "2026-03-12",
        "--closure", "2026-03-31=搬家", "--closure", "2026-04-01", "--closure", "2026-04-02..2026-04-03",
    )  # fmt: skip
    why = {day: cell[2] for day, cell in rows.items()}
    assert [why[f"2026-03-{d}"] for d in (20, 21, 22)] == ["开斋节"] * 3
    # Our catalogue's name of the circular's days in lieu (the holidays package has no Chinese for Bahrain).
    assert why["2026-03-23"] == why["2026-03-24"] == "开斋节补休日（补3月20日周五、3月21日周六）"
    assert why["2026-03-13"] == "周末（星期五）" and why["2026-03-14"] == "周末（星期六）"
    # A closure's label as the user wrote it; reminder's default labels in Chinese.
    assert why["2026-03-31"] == "搬家"
    assert why["2026-04-01"] == "停业日"
    assert why["2026-04-02"] == why["2026-04-03"] == "停业日 2026-04-02 至 2026-04-03"
    assert "← 审核期开始" in why.values() and "← 截止日期" in why.values()
    assert_no_english("\n".join(why.values()), what="the Why column")


def test_a_window_across_an_estimated_eid_is_tentative_in_chinese(run_cli: RunCli) -> None:
    rows = explained(run_cli, "--country", "BH", "--submitted", "2027-03-01")
    tentative = [cell[2] for cell in rows.values() if "开斋节" in cell[2]]
    assert tentative and set(tentative) == {"开斋节（预计）（暂定）"}
    assert_no_english("\n".join(cell[2] for cell in rows.values()), what="the Why column")


# --- e-mail: the daemon to a real SMTP server ----------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping each message's envelope recipients and raw bytes."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"

    def to(self, address: str) -> bytes:
        (raw,) = [raw for rcpt, raw in self.received if address in rcpt]
        return raw


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


def email_tables(port: int) -> str:
    table = (
        f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\nsender = "reminder@example.org"\n'
        "timeout = 10\n"
    )
    return (
        f'[notifiers.email]\n{table}recipients = ["me@example.org"]\n\n'
        # Someone else in the family reads English.
        f'[notifiers.family]\ntype = "email"\n{table}recipients = ["mum@example.org"]\nlanguage = "en"\n'
    )


def bodies(raw: bytes) -> tuple[str, str, str, EmailMessage]:
    """(Subject decoded from its RFC 2047 encoded-words, plain body, HTML body, the message)."""
    header = email.message_from_bytes(raw, policy=compat32)["Subject"]
    subject = str(make_header(decode_header(header)))
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    plain, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and rich is not None
    return subject, plain.get_content(), rich.get_content(), parsed


@needs_faketime
def test_daemon_sends_chinese_e_mail_and_english_to_the_notifier_that_reads_english(
    tmp_env: TmpEnv, run_cli: RunCli, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    tmp_env.write_config(email_tables(port))
    # Added on the day it was filed (the story's clock, as the daemon's below): the reminders that
    # fall due after it are the daemon's to send, and missed if it does not run.
    added = run_cli(
        "add", "--title", "注销漫游 eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
        "--kind", "sim-cancellation", "--reference", "BT-48213", "--channel", "hotline 196", "--json",
        env=fake_env(tmp_env, "2026-03-01 12:00:00", **ZH),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    case = json.loads(added.stdout)
    deadline = date.fromisoformat(case["window"]["deadline"])
    # The day after the deadline, 09:00:10 in Bahrain: the reminders of the window's opening,
    # before the deadline and at it all fell due while nothing ran; one message catches up.
    at = datetime.combine(deadline + timedelta(days=1), time(9, 0, 10), ZoneInfo("Asia/Bahrain"))
    run = subprocess.run(
        daemon_cmd("--once"),
        env=fake_env(tmp_env, f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}", **ZH),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert len(box.received) == 2

    raw = box.to("me@example.org")
    assert b"Subject: =?utf-8?b?" in raw  # RFC 2047 encoded-words, decoded below
    subject, text, rich, parsed = bodies(raw)
    day = i18n.format_date(deadline, "zh_CN")
    assert subject == f"注销漫游 eSIM：截止日期（{day}）已过 1 天，请升级处理"
    lines = text.splitlines()
    assert lines[0] == f"{subject}。"
    # The fraud warning right under the headline, in Chinese, before the catch-up and the facts.
    assert lines[2].startswith(f"⚠ {WARNING_ZH}")
    assert "（这是一条补发提醒：reminder 未运行期间到期的 2 条提醒已合并到本条。）" in lines
    for expected in (
        "机构：Batelco",
        "编号：BT-48213",
        "联系渠道：热线 196",
        f"截止日期：{day}",
        "下一步：",
        "已有证据：0 条",
    ):
        assert expected in lines, expected
    assert f"收到处理结果后，运行：reminder close {case['id']} --resolution '…'" in lines
    assert rich.index(WARNING_ZH) < rich.index("<table>")
    assert '<html lang="zh-CN">' in rich and parsed["Content-Language"] == "zh-CN"
    for what, body in (
        ("the subject", subject),
        ("the plain body", text),
        ("the HTML body", html_text(rich)),
    ):
        assert_no_english(body, allow={*NAMES, case["id"]}, what=what)

    # The family's table reads English: the same reminder in English, the warning too.
    subject, text, rich, parsed = bodies(box.to("mum@example.org"))
    assert subject == f"注销漫游 eSIM: the deadline passed 1 day ago ({deadline:%a %Y-%m-%d}) — escalate"
    lines = text.splitlines()
    assert lines[2] == f"⚠ {load_settings().templates['sim-cancellation'].warning}"
    assert "(This replaces 2 earlier reminder(s) that fell due while reminder was not running.)" in lines
    assert "Contact: hotline 196" in lines and "Next step:" in lines
    assert "<html>" in rich and parsed["Content-Language"] is None
    assert "截止日期" not in text + rich and "骗子" not in text + rich


# --- the calendar file ---------------------------------------------------------------------------


def ics_events(path: Path) -> dict[str, dict[str, str]]:
    from icalendar import Calendar

    cal = Calendar.from_ical(path.read_bytes())
    events = {str(e["UID"]): {k: str(e[k]) for k in ("SUMMARY", "DESCRIPTION")} for e in cal.walk("VEVENT")}
    events["calendar"] = {"SUMMARY": str(cal["X-WR-CALNAME"]), "DESCRIPTION": ""}
    return events


def test_calendar_export_in_chinese(tmp_env: TmpEnv, run_cli: RunCli) -> None:
    def add(*args: str) -> str:
        result = run_cli("add", "--org", "Batelco", "--country", "BH", "--json", *args, env=ZH)
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["id"])

    plain = add("--title", "注销漫游 eSIM", "--submitted", "2026-11-01", "--preset", "telecom",
                "--reference", "BT-48213", "--filed", "注销漫游套餐")  # fmt: skip
    estimated = add("--title", "退还押金", "--submitted", "2027-03-01", "--future")
    out = tmp_env.root / "reminder.ics"
    result = run_cli("export", "--ics", "--output", str(out), env=ZH)
    assert result.returncode == 0, result.stderr
    events = ics_events(out)

    assert events["calendar"]["SUMMARY"] == "reminder：审核期"
    window = events[f"{plain}-window@reminder"]
    assert window["SUMMARY"] == "审核期：Batelco：注销漫游 eSIM"
    description = window["DESCRIPTION"].splitlines()
    assert description[0] == "处理结果最早可能在第一天出来，最迟应在最后一天给出。"
    assert {"机构：Batelco", "申请内容：注销漫游套餐", "编号：BT-48213", "提交日期：2026-11-01"} <= set(
        description
    )
    assert f"事项编号：{plain}" in description
    assert events[f"{plain}-deadline@reminder"]["SUMMARY"] == "截止日期：Batelco：注销漫游 eSIM"
    # The preset's steps, in the Chinese of the shipped preset.
    steps = [e for uid, e in events.items() if uid.startswith(f"{plain}-preset-")]
    assert [s["SUMMARY"].removesuffix("——Batelco：注销漫游 eSIM") for s in steps] == [
        "再次致电运营商，要求书面答复并索取投诉编号",
        "带上证据向电信监管机构提出争议（巴林：TRA，consumer.tra.org.bh 或致电 81188）",
    ]
    assert steps[0]["DESCRIPTION"].startswith("升级处理步骤（telecom）：再次致电运营商")
    # A window across an estimated Eid is tentative, and says which holiday.
    tentative = events[f"{estimated}-window@reminder"]
    assert tentative["SUMMARY"] == "审核期：Batelco：退还押金（暂定）"
    assert "暂定：计算跨过了日期尚属预计的节假日：" in tentative["DESCRIPTION"]
    assert "开斋节（预计）" in tentative["DESCRIPTION"]
    for uid, event in events.items():
        text = event["SUMMARY"] + "\n" + event["DESCRIPTION"]
        assert_no_english(text, allow={*NAMES, plain, estimated}, what=uid)
