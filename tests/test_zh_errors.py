"""Errors, notifier reports and country names in Chinese (issue 17), through the real CLI.

Errors are raised by the library (config.py, paths.py, dates.py, calendar.py, plan.py,
outfile.py, evidence*.py, backup.py …) in the user's language, which the CLI fixes before a
command runs; the CLI prints each as one line, ``错误：…``, with the exit status of its kind.
What a person typed (a key, a value, a path, an option) is quoted as typed. English output is
unchanged (the other tests' exact messages, and a few here).
"""

from __future__ import annotations

import re

import pytest
from conftest import RunCli, TmpEnv
from english_leaks import english_leaks

ZH = {"LANG": "zh_CN.UTF-8"}
# The kinds a person types after --kind, listed in the error as typed.
KINDS = {"cancellation", "refund", "permit", "visa", "data-request", "complaint", "other", "sim-cancellation"}
KEYS = {"defaults.unit", "defaults.hour", "defaults.max_dayz", "defaults.timezone", "defaults.country"}
EN = {"LANG": "C.UTF-8"}


def one_chinese_error(result: object, code: int = 2, allow: set[str] | None = None) -> str:
    """The single ``错误：`` line of a failed command, checked for English left in it."""
    assert result.returncode == code, (result.returncode, result.stderr)  # type: ignore[attr-defined]
    err: str = result.stderr  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    assert err.startswith("错误：") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    # A path and an option are quoted as typed, not read as words.
    typed = re.sub(r"(?<![\w'])(?:/[\w.@-]+)+|--[a-z][\w-]*", " ", err)
    leaks = english_leaks(typed, allow or set())
    assert not leaks, f"English in {err!r}: {leaks}"
    return err.rstrip("\n")


@pytest.mark.parametrize(
    ("config", "args", "expected", "allow"),
    [
        # A broken config: the file, the key and the value as written; pydantic's words in Chinese.
        (
            '[defaults]\nhour = 25\nunit = "weeks"\nmax_dayz = 3\n',
            ("list",),
            [
                "defaults.unit：应为 'business' 或 'calendar'（实际为 'weeks'）",
                "defaults.hour：应不大于 23（实际为 25）",
                "defaults.max_dayz：未知的设置项（你要找的是不是 'max_days'？）",
            ],
            {"business", "calendar", "weeks", "max_days"} | KEYS,
        ),
        (
            '[defaults]\ntimezone = "Mars/Olympus"\n',
            ("list",),
            ["defaults.timezone：未知的时区 'Mars/Olympus'（请使用 IANA 时区名，如 'Asia/Bahrain'）"],
            {"Mars", "Olympus", "Asia", "Bahrain"} | KEYS,
        ),
        (
            '[defaults]\ncountry = "XX"\n',
            ("list",),
            ["defaults.country：未知的国家/地区 'XX'（最接近的有：", "可列出全部）"],
            KEYS,
        ),
        # What tomllib says in Python's words, reminder says in the reader's (toml_errors.py).
        ("[defaults\n", ("list",), ["：TOML 语法错误：", "（第 1 行，第 10 列）"], set()),
        # Bad input on the command line.
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--country", "ZZ"),
         ["未知的国家/地区 'ZZ'（最接近的有："], set()),
        ("", ("window", "--country", "BH", "--submitted", "2026-03-01", "--closure", "2026-3-5..2026-03-01"),
         ["停业日 '2026-3-5..2026-03-01' 有误：请使用 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD，可加 =名称"],
         {"YYYY-MM-DD"}),
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--remind", "hour=30"),
         ["--remind 'hour=30' 有误：hour 必须在 0 到 23 之间"], {"hour"}),
        # ('sim' alone is now answered with the kind it is close to: '注销SIM卡'.)
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--kind", "qux"),
         # A list in a Chinese sentence is joined with 、 as the command line's own lists are.
         ["未知的类型 'qux'；请使用以下之一：cancellation、refund、permit、",
          "（或在配置文件中添加 [templates.qux]）"],
         {"qux", "templates.qux", *KINDS}),
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--kind", "sim"),
         ["未知的类型 'sim'；你要找的是不是 '注销SIM卡'？"], {"sim", "SIM"}),
        # Like none of them ('telco' is now answered with 'telecom' alone): every one is listed.
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--preset", "fast"),
         ["未知的升级处理预设 'fast'；请使用以下之一：gdpr、telecom、telecom-uk"],
         {"fast", "gdpr", "telecom", "telecom-uk"}),
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--remind", "foo=1"),
         ["--remind 'foo=1' 有误：", "before_deadline、before_open、deadline、"],
         {"foo", "before_deadline", "before_open", "deadline", "escalation_every", "escalation_max", "hour",
          "minute", "opened", "NAME", "VALUE"}),
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "2099-01-01"),
         ["提交日期 2099-01-01 晚于今天（Asia/Bahrain 的今天是 ", "如果确实如此，请加上 --future"],
         {"Asia", "Bahrain"}),
        ("", ("add", "--title", "x", "--org", "y", "--submitted", "3/1/2026"),
         ["'3/1/2026' 不是有效的日期；请使用 YYYY-MM-DD（或 2026-3-1、2026/3/1、2026年3月1日、今天、昨天）"],
         {"YYYY-MM-DD", "submitted"}),
        # A blank title is the option's error, named as typed: it was "title 不能为空", the library's field.
        ("", ("add", "--title", " ", "--org", "y", "--submitted", "2026-01-01"),
         ["错误：'--title' 的值无效：不能为空（参见 'reminder add --help'）"], {"add", "help"}),
    ],
)  # fmt: skip
def test_errors_are_one_chinese_line(
    run_cli: RunCli, tmp_env: TmpEnv, config: str, args: tuple[str, ...], expected: list[str], allow: set[str]
) -> None:
    if config:
        tmp_env.write_config(config)
    err = one_chinese_error(run_cli(*args, env=ZH), allow=allow)
    for part in expected:
        assert part in err, (part, err)


def test_file_errors_name_the_path_in_chinese(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    missing = tmp_env.root / "nowhere"
    # The command that writes that file: `config init` alone writes the user's (the scanner reads
    # no command after "reminder --config PATH": its words are checked whole below).
    named = run_cli("--config", str(missing / "c.toml"), "list", env=ZH)
    err = one_chinese_error(named, allow={"config", "init"})
    assert (
        err == f"错误：{missing}/c.toml：找不到配置文件（由 --config 指定）；"
        f"请用以下命令创建：reminder --config {missing}/c.toml config init"
    )
    shown = run_cli("--config", str(missing / "c.toml"), "config", "path", env=ZH)
    assert shown.stderr == f"（尚不存在；请用以下命令创建：reminder --config {missing}/c.toml config init）\n"
    err = one_chinese_error(run_cli("export", "--ics", "--output", str(missing / "r.ics"), env=ZH))
    assert err == f"错误：{missing}：目录不存在；请先创建该目录"
    err = one_chinese_error(run_cli("backup", str(missing / "b"), env=ZH), code=1)  # an operation that failed
    assert err == f"错误：{tmp_env.db_path}：此处没有数据库，无可备份"
    # The one line of a non-UTF-8 argument, refused before anything runs.
    err = one_chinese_error(run_cli("add", "--title", "caf\udce9", "--org", "y", env=ZH), allow={"caf"})
    assert err == "错误：'caf\\xe9'（--title 的值）不是有效的 UTF-8；reminder 只接受 UTF-8 编码的文本和文件名"


def test_config_init_refuses_to_overwrite_in_chinese(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    path = tmp_env.write_config("")
    err = one_chinese_error(run_cli("config", "init", env=ZH))
    assert err == f"错误：{path} 已存在，不会覆盖（请直接编辑它，或先把它移走）"


def test_evidence_errors_in_chinese(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    added = run_cli("add", "--title", "退押金", "--org", "Batelco", "--submitted", "2026-03-01", env=ZH)
    assert added.returncode == 0, added.stderr
    case_id = added.stdout.split()[1].rstrip("。")
    err = one_chinese_error(
        run_cli("evidence", "add", case_id, "--kind", "call", "--summary", "x", "--corrects", "5", env=ZH),
        allow={case_id},
    )
    assert err == f"错误：事项 {case_id} 没有可更正的第 5 条证据"
    gone = tmp_env.root / "gone.png"
    err = one_chinese_error(
        run_cli("evidence", "add", case_id, "--kind", "note", "--summary", "x", "--file", str(gone), env=ZH)
    )
    assert err == f"错误：{gone}：文件不存在"


def test_the_same_errors_stay_english(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config('[defaults]\nhour = 25\nunit = "weeks"\n')
    result = run_cli("list", env=EN)
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: {tmp_env.config_path}: defaults.unit: Input should be 'business' or 'calendar' "
        "(got 'weeks'); defaults.hour: Input should be less than or equal to 23 (got 25)\n"
    )
    tmp_env.write_config("")
    result = run_cli(
        "add", "--title", "x", "--org", "y", "--submitted", "2026-01-01", "--remind", "hour=30", env=EN
    )
    assert result.stderr == "Error: bad --remind 'hour=30': hour must be between 0 and 23\n"
    result = run_cli("window", "--country", "ZZ", "--submitted", "2026-03-01", env=EN)
    assert result.stderr.startswith("Error: unknown country 'ZZ' (closest: ")
    assert result.stderr.endswith("; run 'reminder countries' to list them all)\n")


def test_country_names_in_chinese(run_cli: RunCli) -> None:
    result = run_cli("countries", env=ZH)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["BH"] == "BH  巴林（周末：周五–周六）"
    assert lines["CN"].startswith("CN  中国（周末：周六–周日）")
    assert lines["GB"].startswith("GB  英国（周末：周六–周日）")
    english = run_cli("countries", "BH", env=EN)
    assert english.stdout == "BH  Bahrain  (weekend Fri–Sat)\n"
    # Scripts read the same English names in either language.
    assert run_cli("countries", "--json", env=ZH).stdout == run_cli("countries", "--json", env=EN).stdout


def test_notifier_reports_in_chinese(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config('[notifiers.cmd]\ntype = "command"\nargv = ["false"]\n')
    result = run_cli("notify", "test", env=ZH)
    assert result.returncode == 1
    assert result.stdout == "cmd  失败（出错）         false 退出码 1：（标准错误输出中没有内容）\n"
    result = run_cli("notifiers", env=ZH)
    assert result.returncode == 0, result.stderr
    summaries = [line for line in result.stdout.splitlines() if line.startswith(("email", "log"))]
    assert any("通过 SMTP 发送电子邮件" in line for line in summaries), result.stdout
    english = run_cli("notify", "test", env=EN)
    assert english.stdout == "cmd  FAILED (error)       false exit 1: (no output on stderr)\n"


def test_presets_in_chinese(run_cli: RunCli) -> None:
    result = run_cli("presets", env=ZH)
    assert result.returncode == 0, result.stderr
    assert "telecom — 电信投诉 → 先找运营商，再找监管机构（如巴林 TRA）\n" in result.stdout
    assert "  截止日期后 3 个工作日：再次致电运营商，要求书面答复并索取投诉编号\n" in result.stdout
    english = run_cli("presets", env=EN)
    assert "  3 business days after the deadline: Call the operator again;" in english.stdout
    # Scripts read the rules as the config writes them, in either language.
    assert run_cli("presets", "--json", env=ZH).stdout == run_cli("presets", "--json", env=EN).stdout
