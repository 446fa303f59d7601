"""The command line in Chinese (issue 17): the user story under LANG=zh_CN.UTF-8, through
real subprocesses, a real SQLite file and the real catalogue.

Each output is checked for what a person reads in Chinese, and scanned for English words
(:func:`leaks`); what stays Latin on purpose is allowed: ids, ISO dates, hashes, commands and
options a person types, names (Batelco, BH), the notifier names of the config, URLs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable

import pytest
from conftest import RunCli, TmpEnv
from test_cli_cases import ok
from test_daemon import needs_faketime

ZH = {"LANG": "zh_CN.UTF-8"}
EN = {"LANG": "C.UTF-8"}
TITLE = "注销巴林漫游 eSIM"

# Boundaries on ASCII letters and digits: to \b a Chinese character is a word character.
_A, _Z = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
_LATIN_ON_PURPOSE = [
    # commands a person types: reminder evidence verify k7m2qx --head 3f9a0c1d
    re.compile(_A + r"reminder(?: [a-z-]+" + _Z + r")*(?: (?:--[a-z][\w-]*|'[^']*'|[A-Za-z0-9]+|ID|…))*"),
    re.compile(r"--[a-z][\w-]*"),  # options
    re.compile(_A + r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?" + _Z),  # ISO dates
    re.compile(_A + r"[0-9a-f]{8,}" + _Z),  # hashes
    re.compile(_A + r"(?=[a-z0-9]*\d)[a-z0-9]{6}" + _Z),  # case ids
    re.compile(_A + r"[A-Z][a-z]+/[A-Z][a-z_]+" + _Z),  # time zones: Asia/Bahrain
    re.compile(_A + r"https?://[^\s，。；、）］]+"),  # URLs: an official closure's source
    re.compile(r"(?:/[\w.-]+)+"),  # paths
]
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
ALLOW = {"Batelco", "eSIM", "sim-cancellation", "log", "holidays", "SHA-256", "email", "desktop"}
ALLOW |= {"apprise", "command"}


def leaks(text: str, allow: Iterable[str] = ()) -> list[str]:
    """English words (3+ letters) in ``text`` outside what stays Latin on purpose."""
    masked = text
    for span in _LATIN_ON_PURPOSE:
        masked = span.sub(lambda m: " " * len(m.group(0)), masked)
    allowed = ALLOW | set(allow)
    return [
        f"{m.group(0)!r} in «{text[max(0, m.start() - 15) : m.end() + 15]}»"
        for m in _WORD.finditer(masked)
        if len(m.group(0)) >= 3 and m.group(0) not in allowed and not m.group(0).isupper()
    ]


def test_the_leak_scanner_finds_english() -> None:
    # The scanner can fail: English words are found, what stays Latin on purpose is not.
    assert leaks("截止日期 2026-04-08 · 还剩 3 天；reminder show k7m2qx --explain") == []
    found = leaks("已添加事项 k7m2qx. Deadline 2026-04-08 (business day 15)")
    assert [f.split()[0] for f in found] == ["'Deadline'", "'business'", "'day'"]


def assert_chinese(text: str, what: str, allow: Iterable[str] = ()) -> None:
    found = leaks(text, allow)
    assert not found, f"English in {what}:\n  " + "\n  ".join(found) + f"\n---\n{text}"


@pytest.fixture
def zh(run_cli: RunCli, tmp_env: TmpEnv) -> RunCli:
    tmp_env.write_config('[defaults]\ncountry = "BH"\n')

    def run(*args: str, lang: dict[str, str] = ZH) -> object:
        return run_cli(*args, env=lang)

    return run  # type: ignore[return-value]


def _add(zh: RunCli) -> str:
    p = zh(
        "add", "--title", TITLE, "--org", "Batelco", "--submitted", "2026-03-15", "--future",
        "--kind", "sim-cancellation", "--reference", "BT-48213",
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("已添加事项 ")
    assert "提交日期：2026年3月15日 星期日（BH，Asia/Bahrain）" in p.stdout
    assert "审核期：2026年3月29日 星期日 开始 · 截止日期 2026年4月8日 星期三（第 7–15 个工作日）" in p.stdout
    assert "  清单：" in p.stdout and "  提醒：" in p.stdout and "截止日期前" in p.stdout
    assert "    [ ] 1. " in p.stdout and "  ⚠ 骗子" in p.stdout  # the shipped checklist and warning
    case_id = p.stdout.split()[1].rstrip("。")
    assert_chinese(p.stdout, "add", allow={"BT-48213", case_id})  # an id may be letters only
    return case_id


def test_the_user_story_in_chinese(zh: RunCli) -> None:
    case_id = _add(zh)

    p = zh("list", "--status", "all")
    assert p.returncode == 0, p.stderr
    header = p.stdout.splitlines()[0]
    assert all(word in header for word in ("编号", "标题", "机构", "截止日期", "剩余")), p.stdout
    assert "2026-04-08 周三" in p.stdout and "已逾期" in p.stdout  # the deadline is in the past
    assert_chinese(p.stdout, "list", allow={case_id})

    p = zh("show", case_id)
    assert p.returncode == 0, p.stderr
    assert f"{case_id}  {TITLE}  [进行中]" in p.stdout and "  机构：Batelco" in p.stdout
    assert_chinese(p.stdout, "show", allow={"BT-48213", case_id})

    p = zh("check", case_id, "1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("已勾选 1. ") and "共 4 项，还剩 3 项。" in p.stdout
    assert_chinese(p.stdout, "check", allow={case_id})

    p = zh("status")
    assert p.returncode == 0, p.stderr
    assert "后台服务：未运行" in p.stdout and "下一条提醒：" in p.stdout and "已安排 " in p.stdout
    assert_chinese(p.stdout, "status", allow={case_id})

    p = zh("window", "--country", "BH", "--submitted", "2026-03-15")
    assert p.returncode == 0, p.stderr
    first, second = p.stdout.splitlines()[:2]
    assert first == "BH · 提交于 2026年3月15日 星期日 · 审核期为第 7–15 个工作日"
    assert second.startswith("审核期开始 2026年3月29日 星期日（第 7 个工作日）· 截止日期 2026年4月8日")
    # The official closure's source too (it was English: "PM circular on the Eid al-Fitr …").
    assert "［已公布：首相关于伊历 1447 年开斋节假期的通告" in p.stdout
    assert_chinese(p.stdout, "window")

    p = zh("evidence", "add", case_id, "--kind", "call", "--summary", "致电 196 热线")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"已记入事项 {case_id} 的证据第 1 条（通话）。"
    p = zh("evidence", "list", case_id)
    assert p.returncode == 0, p.stderr
    assert "通话" in p.stdout and "致电 196 热线" in p.stdout
    assert_chinese(p.stdout, "evidence list", allow={case_id})
    p = zh("evidence", "verify", case_id)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("完好：1 条证据和 0 个附件均未被改动。")
    assert_chinese(p.stdout, "evidence verify", allow={case_id})

    # A mistyped id: one line in Chinese, with the id it probably meant, exit 2.
    typo = case_id[:-1] + ("a" if case_id[-1] != "a" else "b")
    p = zh("show", typo)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr == (
        f"错误：没有编号为 '{typo}' 的事项；你要找的是不是 {case_id}？"
        "（所有编号见 'reminder list --status all'）\n"
    )


def test_a_tentative_window_quotes_the_rule_in_chinese(zh: RunCli) -> None:
    # No circular for 2027 yet: National Day's day in lieu comes from the rule, which was quoted in
    # English ("［尚未公布：practice of the Prime Minister's holiday circulars …］").
    rule = "［尚未公布：首相假期通告的惯例（宰牲节 2014、2022、2025 年；阿舒拉节 2017、2023、2025 年；"
    for explain in ((), ("--explain",)):
        p = zh("window", "--country", "BH", "--submitted", "2027-12-10", *explain)
        assert p.returncode == 0, p.stderr
        assert "  BH 新增 2027-12-19 国庆日补休日（尚未公布）" + rule in p.stdout
        assert_chinese(p.stdout, f"window {' '.join(explain)}")
    english = zh("window", "--country", "BH", "--submitted", "2027-12-10", lang=EN).stdout  # type: ignore[attr-defined]
    line = "  BH +2027-12-19 National Day day in lieu (not yet announced) [rule: practice of the Prime "
    assert line + "Minister's holiday circulars (Eid al-Adha 2014, 2022, 2025; " in english


def test_json_does_not_change_with_the_language(zh: RunCli) -> None:
    case_id = _add(zh)
    for args in (("list", "--json"), ("show", case_id, "--json"), ("status", "--json")):
        chinese, english = zh(*args), zh(*args, lang=EN)
        assert chinese.returncode == english.returncode == 0, chinese.stderr
        assert json.loads(chinese.stdout) == json.loads(english.stdout), args
    assert json.loads(zh("show", case_id, "--json").stdout)["status"] == "open"


def test_english_stays_english(zh: RunCli) -> None:
    case_id = _add(zh)
    p = zh("show", case_id, lang=EN)
    assert "  organisation: Batelco" in p.stdout
    assert "  window:       opens Sun 2026-03-29 · deadline Wed 2026-04-08 (7–15 business days)" in p.stdout
    p = zh("show", "nosuch", lang=EN)
    assert p.returncode == 2
    assert p.stderr.startswith("Error: no case with id 'nosuch'")


def test_command_help_and_the_command_lines_words_in_chinese(zh: RunCli) -> None:
    p = zh("add", "--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("用法: reminder add [OPTIONS]\n")
    assert "\n选项:\n" in p.stdout and "记录一次提交；显示该事项及其审核期。" in p.stdout
    assert "一个你认得出的名称" in p.stdout and "[必填]" in p.stdout and "显示本帮助后退出。" in p.stdout
    assert "  示例：\n" in p.stdout  # the examples themselves are commands, kept as typed
    # Wrapped by terminal columns, not characters: no line wider than the help's 80 - 2.
    assert max(_columns(line) for line in p.stdout.splitlines() if "reminder add" not in line) <= 78
    prose = p.stdout.split("  示例：")[0] + p.stdout.split("\n选项:\n")[1]
    # Values a person types stay as typed: kinds, channels, --remind names, presets, choices.
    typed = {"cancellation", "refund", "permit", "visa", "data-request", "complaint", "other"}
    typed |= {"hotline", "e-mail", "web", "form", "shop", "before", "deadline", "opened", "escalation"}
    typed |= {
        "every",
        "hour",
        "reset",
        "edit",
        "telecom",
        "gdpr",
        "business",
        "calendar",
        "today",
        "yesterday",
    }
    assert_chinese(prose, "add --help", allow=typed | {"IANA"})

    p = zh("add", "--title", "x")
    assert p.returncode == 2
    assert p.stderr == "错误：缺少选项 '--org'。（参见 'reminder add --help'）\n"


def test_the_command_lines_errors_read_as_chinese_sentences(zh: RunCli) -> None:
    # Each was English glued into Chinese: "'abc' 不是有效的 integer range。", "'--staus' 这个选项。 你要",
    # "'open', 'closed', 'all' 中的一个".
    cases = {
        ("window", "--country", "BH", "--submitted", "2026-03-15", "--min-days", "abc"): (
            "错误：'--min-days' 的值无效：'abc' 不是有效的整数。（参见 'reminder window --help'）\n"
        ),
        ("list", "--staus", "open"): (
            "错误：没有 '--staus' 这个选项。你要找的是不是 '--status'？（参见 'reminder list --help'）\n"
        ),
        ("list", "--status", "bogus"): (
            "错误：'--status' 的值无效：'bogus' 不是 'open'、'closed'、'all' 中的一个。"
            "（参见 'reminder list --help'）\n"
        ),
    }
    for argv, said in cases.items():
        p = zh(*argv)
        assert (p.returncode, p.stderr) == (2, said), argv


def test_the_examples_comments_are_translated_and_their_commands_kept(zh: RunCli) -> None:
    p = zh("daemon", "--help")
    assert p.returncode == 0, p.stderr
    assert "    reminder daemon --once     # 发送此刻到期的提醒后退出（供 cron 使用）\n" in p.stdout
    assert "reminder daemon            # 一直运行到被停止" in p.stdout
    english = zh("daemon", "--help", lang=EN)
    assert "    reminder daemon --once     # send what is due now and exit (cron)\n" in english.stdout


def _columns(text: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def test_the_help_cache_keeps_each_language_apart(zh: RunCli, tmp_env: TmpEnv) -> None:
    cache = tmp_env.root / "xdg-cache" / "reminder"
    first = zh("--help")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("用法: reminder [OPTIONS] COMMAND [ARGS]...")
    assert "\n命令:\n" in first.stdout and "  list       按截止日期列出事项，以及剩余天数\n" in first.stdout
    cached = sorted(p.name for p in cache.glob("help-*"))  # beside the compiled catalogue and settings
    assert len(cached) == 1 and cached[0].startswith("help-zh_CN-")
    assert (cache / cached[0]).read_text(encoding="utf-8") == first.stdout
    assert zh("--help").stdout == first.stdout  # from the cache

    english = zh("--help", lang=EN)
    assert english.stdout.startswith("Usage: reminder [OPTIONS] COMMAND [ARGS]...")
    assert "Options:" in english.stdout and not re.search(r"[\u4e00-\u9fff]", english.stdout)
    assert zh("--help", lang=EN).stdout == english.stdout  # English from its own cache entry
    assert len(list(cache.glob("help-*"))) == 2
    assert zh("--help").stdout == first.stdout  # and Chinese still Chinese

    # [defaults] language in the config decides too, before any settings are loaded.
    tmp_env.write_config('[defaults]\nlanguage = "zh_CN"\n')
    assert zh("--help", lang=EN).stdout == first.stdout


def test_the_command_lines_messages_are_still_its_own() -> None:
    # The messages cli_help.cli_messages() lists for the catalogue must be reminder/cmdline's,
    # word for word: one reworded there would otherwise be left English without a sign.
    import ast
    import inspect
    from pathlib import Path

    from reminder import cli_help, cmdline

    source = "".join(p.read_text(encoding="utf-8") for p in Path(cmdline.__file__).parent.glob("*.py"))
    tree = ast.parse(inspect.getsource(cli_help.cli_messages))
    texts = [
        node.value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for node in call.args[1:]
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert len(texts) > 25
    missing = [t for t in texts if repr(t)[1:-1] not in source and t not in source]
    assert missing == []


def test_a_country_named_in_chinese_is_the_country(zh: RunCli) -> None:
    # "巴林" is what a Chinese user types for Bahrain; it was "unknown country" before.
    named = zh("window", "--country", "巴林", "--submitted", "2026-03-15", "--json")
    assert named.returncode == 0, named.stderr
    coded = zh("window", "--country", "BH", "--submitted", "2026-03-15", "--json")
    assert json.loads(named.stdout) == json.loads(coded.stdout)
    unknown = zh("window", "--country", "火星", "--submitted", "2026-03-15")
    assert unknown.returncode == 2 and unknown.stderr.startswith("错误：未知的国家/地区 '火星'")


@pytest.mark.parametrize(
    ("typed", "code"), [("刚果", "CD"), ("刚果", "CG"), ("马其顿", "MK"), ("圣马丁", "SX")]
)
def test_a_country_named_in_short_in_chinese_is_offered(zh: RunCli, typed: str, code: str) -> None:
    """ "刚果" for 刚果（金） or 刚果（布）, "马其顿" for 北马其顿: part of the name a Chinese user knows
    the country by was 'unknown' with no country offered, as if it named none. (A short name
    that is one country's, such as "沙特", is that country: see the next test.)"""
    p = zh("window", "--country", typed, "--submitted", "2026-03-15")
    assert p.returncode == 2, p.stdout
    line = p.stderr.strip()
    assert line.startswith(f"错误：未知的国家/地区 '{typed}'（最接近的有："), line
    offered = line.split("最接近的有：", 1)[1].split("；", 1)[0].split("、")
    assert code in offered, line


def test_a_country_named_in_short_in_chinese_is_the_country(zh: RunCli, run_cli: RunCli) -> None:
    """ "阿联酋" (阿拉伯联合酋长国), "沙特" (沙特阿拉伯): the names people type were 'unknown
    country' in window and in countries, or only offered; they are the country, in either
    language of the user."""
    args = ("--submitted", "2026-03-15", "--json")
    for typed, code in (("阿联酋", "AE"), ("沙特", "SA"), ("香港", "HK")):
        coded = json.loads(ok(run_cli("window", "--country", code, *args)).stdout)
        for run in (zh, run_cli):
            assert json.loads(ok(run("window", "--country", typed, *args)).stdout) == coded, typed
        assert ok(run_cli("countries", typed)).stdout.startswith(f"{code}  "), typed
        assert ok(zh("countries", typed)).stdout.startswith(f"{code}  "), typed
    assert ok(zh("countries", "阿联酋", "沙特")).stdout == ok(zh("countries", "AE", "SA")).stdout


def test_a_country_named_in_arabic_is_the_country(zh: RunCli, run_cli: RunCli) -> None:
    # The letters to Bahrain's carrier and regulator are in Arabic: its name as they write it
    # ("البحرين") is the country too, in either language of the user; it was "unknown" before.
    args = ("--submitted", "2026-03-15", "--json")
    coded = json.loads(ok(run_cli("window", "--country", "BH", *args)).stdout)
    for run in (zh, run_cli):
        assert json.loads(ok(run("window", "--country", "البحرين", *args)).stdout) == coded
    assert ok(run_cli("countries", "البحرين")).stdout.startswith("BH  Bahrain")
    assert run_cli("window", "--country", "المريخ", *args).returncode == 2


@needs_faketime
def test_show_words_why_a_reminder_was_cancelled_in_chinese(zh: RunCli, tmp_env: TmpEnv) -> None:
    from test_daemon import fake_env

    case_id = _add(zh)
    # Off from before the window opened to after the deadline: one catch-up goes out, the rest is
    # folded into it; then the case is closed and its later reminders are cancelled.
    once = subprocess.run([sys.executable, "-m", "reminder", "daemon", "--once"], capture_output=True,
                          text=True, env=fake_env(tmp_env, "2026-04-09 12:00:00"))  # fmt: skip
    assert once.returncode == 0, once.stderr
    assert zh("close", case_id).returncode == 0
    p = zh("show", case_id)
    assert p.returncode == 0, p.stderr
    rows = p.stdout.split("  提醒：\n", 1)[1]
    # Folded into the catch-up that went out: named by that reminder's time (its key is English).
    assert "已取消（已并入 2026-04-08T09:00 的补发提醒）" in rows, rows
    assert "已取消（事项已关闭）" in rows, rows
    assert_chinese(rows, "show's reminders", allow={case_id})
    # --json keeps the stored English, as scripts and logs read it.
    reminders = json.loads(zh("show", case_id, "--json").stdout)["reminders"]  # type: ignore[attr-defined]
    assert {"case closed", f"superseded by {case_id}:deadline:1"} <= {r["last_error"] for r in reminders}


def test_check_says_when_an_item_was_already_ticked_and_lists_a_match_as_shown(zh: RunCli) -> None:
    case_id = _add(zh)
    assert zh("check", case_id, "1").stdout.startswith("已勾选 1. ")  # type: ignore[attr-defined]
    p = zh("check", case_id, "1")
    assert p.returncode == 0, p.stderr  # type: ignore[attr-defined]
    assert p.stdout.startswith("早已勾选：1. 用完或转出剩余话费"), p.stdout  # type: ignore[attr-defined]
    p = zh("check", case_id, "4", "--undo")
    assert p.stdout.startswith("本来就未勾选：4. 保留确认函"), p.stdout  # type: ignore[attr-defined]
    assert_chinese(p.stdout, "check", allow={case_id})  # type: ignore[attr-defined]
    # Two items hold 和: listed as `show` lists them, in Chinese, not the stored English cut mid-word.
    p = zh("check", case_id, "和")
    assert p.returncode == 2  # type: ignore[attr-defined]
    assert "2（解除该号码与银行账户和支付服务的绑定）、3（备份通讯录和短信）" in p.stderr  # type: ignore[attr-defined]
    assert_chinese(p.stderr, "check's error", allow={case_id})  # type: ignore[attr-defined]


def test_chinese_help_never_wraps_inside_a_placeholder() -> None:
    # `letter --help` put "<config" at the end of one line and "dir>/templates/…" on the next.
    from reminder.cli_help import wrap

    text = "模板可以在 <config dir>/templates/letters/<lang>/<to>.html.j2 中覆盖（README：Letters）。" * 3
    for width in range(30, 90):
        for line in wrap(text, width).splitlines():
            assert line.count("<") == line.count(">"), (width, line)


def test_an_entrys_notes_are_separated_as_chinese_writes_them(zh: RunCli, tmp_env: TmpEnv) -> None:
    # "（1 个附件; 已被 #2, #3 更正）": English separators in the Chinese evidence lines.
    case_id = _add(zh)
    shot = tmp_env.root / "sms.png"
    shot.write_bytes(b"\x89PNG code")
    for args in (
        ("--kind", "code", "--summary", "短信验证码", "--at", "2026-03-15T10:00", "--file", str(shot)),
        ("--summary", "SMS code", "--corrects", "1"),
        ("--summary", "SMS code (identity check)", "--corrects", "1"),
    ):
        p = zh("evidence", "add", case_id, *args)
        assert p.returncode == 0, p.stderr  # type: ignore[attr-defined]
    listed = zh("evidence", "list", case_id).stdout  # type: ignore[attr-defined]
    assert "短信验证码（1 个附件；已被 #2、#3 更正）" in listed, listed
    shown = zh("show", case_id).stdout  # type: ignore[attr-defined]
    assert "短信验证码（1 个附件；已被 #2、#3 更正）" in shown, shown
    one = zh("evidence", "show", case_id, "1").stdout  # type: ignore[attr-defined]
    assert "#2、#3" in one and "#2, #3" not in one, one
    # And a config error's list of the notifier types (for one like none of them: "emial" is told
    # "email"), as the other lists in Chinese are.
    tmp_env.write_config('[defaults]\ncountry = "BH"\n\n[notifiers.pager]\n')
    p = zh("config", "check")
    assert p.returncode == 2 and "可用的有：apprise、command、" in p.stderr, p.stderr  # type: ignore[attr-defined]


def test_notify_retry_and_the_status_hint_in_chinese(zh: RunCli, tmp_env: TmpEnv) -> None:
    from test_cli_reminders import fail_for_good

    p = zh("notify", "retry")
    assert (p.returncode, p.stdout) == (0, "没有最终发送失败的提醒，无需重新发送。\n")
    case_id = _add(zh)
    fail_for_good(tmp_env, case_id, 2)
    status = zh("status").stdout
    assert status.splitlines()[-1] == (
        "有些提醒最终发送失败；请查看 `reminder show ID` 和 `reminder notify test`，"
        "然后用 `reminder notify retry` 重新发送。"
    )
    p = zh("notify", "retry", case_id)
    assert (p.returncode, p.stdout) == (0, "2 条提醒将重新发送。\n")
    p = zh("notify", "retry", "--notifier", "emial")
    assert p.returncode == 2
    assert p.stderr == "错误：未知的通知渠道 'emial'：配置和提醒中都没有它\n"
    fail_for_good(tmp_env, case_id, 1)
    assert zh("close", case_id).returncode == 0
    p = zh("notify", "retry")
    assert (p.returncode, p.stdout) == (
        0,
        "没有要重新发送的提醒。\n1 条提醒属于已关闭的事项，仍为发送失败：事项已关闭，提醒不再需要。\n",
    )
    p = zh("notify", "retry", "--help")
    assert p.returncode == 0, p.stderr
    assert "重新发送最终发送失败的提醒。" in p.stdout
    assert "reminder notify retry                    # 所有发送失败的提醒\n" in p.stdout
    prose = p.stdout.split("  示例：")[0] + p.stdout.split("\n选项:\n")[1]
    assert_chinese(
        prose, "notify retry --help", allow={"reminders", "max", "attempts", "Message-ID", "LABEL"}
    )


def test_an_evidence_kind_typed_as_the_chinese_output_shows_it(zh: RunCli) -> None:
    # `evidence list` shows 截图, 通话, 验证码…; a Chinese user types them back (refused before).
    case_id = _add(zh)
    for shown, kind in (("截图", "screenshot"), ("通话", "call"), ("验证码", "code"), ("电子邮件", "email")):
        p = zh("evidence", "add", case_id, "--kind", shown, "--summary", "记一笔", "--json")
        assert p.returncode == 0, p.stderr  # type: ignore[attr-defined]
        assert json.loads(p.stdout)["entry"]["kind"] == kind  # type: ignore[attr-defined]
    p = zh("evidence", "add", case_id, "--kind", "截", "--summary", "记一笔")
    assert p.returncode == 2 and "'截' 不是 'call'" in p.stderr  # type: ignore[attr-defined]


def test_an_option_typed_with_chinese_dashes_is_named_with_the_one_meant(zh: RunCli) -> None:
    # A Chinese input mode types —— for --; the command said "多余的参数（——channel 热线）".
    p = zh("add", "--title", TITLE, "--org", "Batelco", "--submitted", "今天", "——channel", "热线")
    assert p.returncode == 2  # type: ignore[attr-defined]
    assert "没有 '——channel' 这个选项。你要找的是不是 '--channel'？" in p.stderr  # type: ignore[attr-defined]


def test_a_case_kind_typed_as_the_chinese_output_shows_it(zh: RunCli) -> None:
    # `show` says 类型：注销 for a cancellation; typed back, it was refused ("unknown kind '注销'").
    p = zh("add", "--title", TITLE, "--org", "Batelco", "--submitted", "今天", "--kind", "注销", "--json")
    assert p.returncode == 0, p.stderr  # type: ignore[attr-defined]
    case_id = json.loads(p.stdout)["id"]  # type: ignore[attr-defined]
    assert json.loads(p.stdout)["kind"] == "cancellation"  # type: ignore[attr-defined]
    p = zh("edit", case_id, "--kind", "退款")
    assert p.returncode == 0 and "  类型：退款\n" in p.stdout, p.stderr  # type: ignore[attr-defined]
    assert json.loads(zh("show", case_id, "--json").stdout)["kind"] == "refund"  # type: ignore[attr-defined]


def test_the_sim_cancellation_checklist_is_reached_in_chinese(zh: RunCli) -> None:
    # The case this was built for is a SIM cancellation, and the checklist comes with the kind
    # sim-cancellation: a Chinese user who typed 注销 (what the help showed in their language)
    # got a plain cancellation, no checklist; and `show` said 类型：sim-cancellation.
    p = zh(
        "add", "--title", TITLE, "--org", "Batelco", "--submitted", "今天", "--kind", "注销 sim 卡", "--json"
    )
    assert p.returncode == 0, p.stderr  # type: ignore[attr-defined]
    added = json.loads(p.stdout)  # type: ignore[attr-defined]
    assert added["kind"] == "sim-cancellation" and len(added["checklist"]) == 4
    p = zh("show", added["id"])
    assert "  类型：注销SIM卡\n" in p.stdout, p.stdout  # type: ignore[attr-defined]
    p = zh("edit", added["id"], "--kind", "注销SIM卡")  # what show says, typed back
    assert p.returncode == 0 and "  类型：注销SIM卡\n" in p.stdout, p.stderr  # type: ignore[attr-defined]
    # A near miss is named with the kind meant, in the words the user typed it in.
    p = zh("add", "--title", TITLE, "--org", "Batelco", "--submitted", "今天", "--kind", "注销eSIM卡")
    assert p.returncode == 2, p.stderr  # type: ignore[attr-defined]
    assert "'注销SIM卡'" in p.stderr and "Traceback" not in p.stderr  # type: ignore[attr-defined]
    p = zh("add", "--help")
    assert "注销SIM卡" in p.stdout  # type: ignore[attr-defined]
