"""The config file's contract at the edges: `config check` refuses what the daemon refuses, a
$REMINDER_CONFIG that names no readable file is an error, and `[daemon] log_file` is the daemon's log.

All through real subprocesses: exit 2 and one line naming the file, the table and the key.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, RunCli, TmpEnv

MAIL = '[notifiers.mail]\ntype = "email"\nsender = "me@example.org"\n'


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("table", "where", "key"),
    [
        (
            MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\n'
            'username = "me"\npassword = "hunter2"\n',
            "notifiers.mail",
            "password",
        ),
        (MAIL + 'hots = "smtp.example.org"\nrecipients = ["me@example.org"]\n', "notifiers.mail", "hots"),
        (
            MAIL + 'host = "smtp.example.org"\nport = "8125x"\nrecipients = ["me@example.org"]\n',
            "notifiers.mail",
            "port",
        ),
        (MAIL + 'host = "smtp.example.org"\n', "notifiers.mail", "recipients"),
        ('[notifiers.hook]\ntype = "command"\nargv = []\n', "notifiers.hook", "argv"),
        (
            MAIL
            + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nca_file = "/nonexistent/ca.pem"\n',
            "notifiers.mail",
            "ca_file",
        ),
    ],
)
def test_config_check_refuses_the_notifier_tables_the_daemon_refuses(
    run_cli: RunCli, tmp_env: TmpEnv, table: str, where: str, key: str
) -> None:
    tmp_env.write_config(table)
    for args in (["config", "check"], ["daemon", "--once"]):
        line = one_line_error(run_cli(*args))
        assert str(tmp_env.config_path) in line and where in line and key in line, (args, line)
    error = json.loads(one_line_error(run_cli("config", "check", "--json")))["error"]
    assert where in error and key in error


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            MAIL + 'host = "smtp.example.org"\nport = "8125x"\nrecipients = ["me@example.org"]\n',
            "(got '8125x')",
        ),
        (MAIL + 'host = "smtp.example.org"\nport = 99999\nrecipients = ["me@example.org"]\n', "(got 99999)"),
        (
            MAIL + 'host = "smtp.example.org"\nsecurity = "ssl"\nrecipients = ["me@example.org"]\n',
            "(got 'ssl')",
        ),
        ('[notifiers.hook]\ntype = "command"\nargv = ["true"]\ntimeout = "soon"\n', "(got 'soon')"),
    ],
)
def test_a_notifier_key_with_a_bad_value_names_the_value_as_the_rest_of_the_config_does(
    run_cli: RunCli, tmp_env: TmpEnv, table: str, expected: str
) -> None:
    """'notifiers.email.port: Input should be a valid integer' left the person to find which of
    the file's values was meant; '[defaults] hour = 25' said '(got 25)'. In both languages, and
    in the daemon's refusal too (it validates the tables with the same code)."""
    tmp_env.write_config(table)
    for args in (["config", "check"], ["daemon", "--once"]):
        line = one_line_error(run_cli(*args))
        assert line.endswith(expected), (args, line)
    zh = one_line_error(run_cli("config", "check", env={"LANG": "zh_CN.UTF-8"}))
    assert zh.endswith(f"（实际为 {expected[5:-1]}）"), zh


@pytest.mark.parametrize(
    ("table", "secret"),
    [
        (
            MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\npassword = "hunter2"\n',
            "hunter2",
        ),
        (
            MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\npasword = "hunter2"\n',
            "hunter2",
        ),
        (
            MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nusername = "me"\n'
            "password_env = 12345678\n",
            "12345678",
        ),
        (
            '[notifiers.hook]\ntype = "command"\nargv = ["true"]\n[notifiers.hook.env]\nTOKEN = 31337\n',
            "31337",
        ),
        ('[notifiers.push]\ntype = "apprise"\nurls = [424242]\n', "424242"),
    ],
)
def test_a_bad_value_is_not_named_where_it_may_be_a_secret(
    run_cli: RunCli, tmp_env: TmpEnv, table: str, secret: str
) -> None:
    tmp_env.write_config(table)
    for args in (["config", "check"], ["config", "check", "--json"], ["daemon", "--once"]):
        line = one_line_error(run_cli(*args))
        assert secret not in line, (args, line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A table pasted in a second time (the example file already has an empty [me]).
        (
            '[me]\nname = "Li Lei"\n\n[me]\nemail = "li@example.com"\n',
            "[me] is declared twice (at line 4, column 4)",
        ),
        (
            MAIL + 'host = "a.example.org"\n' + MAIL,
            "[notifiers.mail] is declared twice (at line 5, column 16)",
        ),
        ("[defaults]\nhour = 9\nhour = 10\n", "this key already has a value (at line 3, column 10)"),
        (
            '[me]\nname = "Li Lei\n',
            "a string is not closed: its closing quote is missing (at line 2, column 15)",
        ),
        (
            "[defaults]\ncountry = BH\n",
            'not a valid value: text goes in quotes, as in "BH" (at line 2, column 11)',
        ),
        (
            '[templates.x]\nitems = ["a", "b"\n',
            "a list is not closed: ']' is missing (at the end of the file)",
        ),
        (
            '[store]\npath = "C:\\Users\\li\\reminder.db"\n',
            "a backslash in a string in double quotes starts an escape: write it as \\\\, "
            "or put the string in single quotes (at line 2, column 13)",
        ),
    ],
)
def test_a_toml_syntax_error_says_what_is_wrong_in_the_files_words(
    run_cli: RunCli, tmp_env: TmpEnv, text: str, expected: str
) -> None:
    """tomllib said "Cannot declare ('me',) twice": a Python tuple for the [me] the file wrote, in
    words no catalogue held, so a person reading Chinese read them in English."""
    tmp_env.write_config(text)
    line = one_line_error(run_cli("config", "check"))
    assert line.startswith(f"Error: {tmp_env.config_path}: TOML syntax error: "), line
    assert expected in line, line
    assert "('" not in line, line  # no Python tuple


def test_a_toml_syntax_errors_place_is_said_in_the_readers_language(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config('[me]\nname = "Li Lei"\n\n[me]\n')
    line = one_line_error(run_cli("config", "check", env={"LANG": "zh_CN.UTF-8"}))
    assert line.endswith("（第 4 行，第 4 列）"), line
    assert "('me',)" not in line, line


def test_config_check_suggests_the_key_a_typo_meant(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config(MAIL + 'hots = "smtp.example.org"\nrecipients = ["me@example.org"]\n')
    line = one_line_error(run_cli("config", "check"))
    assert "notifiers.mail.hots: unknown key (did you mean 'host'?)" in line


def test_config_check_names_every_key_a_typo_is_as_like(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    # 'hort' is one letter from 'host' and one from 'port': it names both, in either language.
    tmp_env.write_config(MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nhort = 25\n')
    line = one_line_error(run_cli("config", "check"))
    assert "notifiers.mail.hort: unknown key (did you mean 'host' or 'port'?)" in line
    line = one_line_error(run_cli("config", "check", env={"LANG": "zh_CN.UTF-8"}))
    assert "notifiers.mail.hort：未知的设置项（你要找的是不是 'host' 或 'port'？）" in line


MAIL_OK = MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\n'
STEP = '[presets.mine]\nsteps = [{delay = 8, unit = "%s", anchor = "%s", step = "Ask the ombudsman"}]\n'


@pytest.mark.parametrize(
    ("table", "english", "chinese", "allow"),
    [
        # The notifier type, given by `type` or by the table's name.
        (
            '[notifiers.x]\ntype = "emial"\n',
            "notifiers.x.type: unknown notifier 'emial'; did you mean 'email'?",
            "notifiers.x.type：未知的通知渠道类型 'emial'；你要找的是不是 'email'？",
            {"notifiers.x.type", "emial", "email"},
        ),
        (
            "[notifiers.dekstop]\n",
            "notifiers.dekstop: unknown notifier 'dekstop'; did you mean 'desktop'?",
            "notifiers.dekstop：未知的通知渠道类型 'dekstop'；你要找的是不是 'desktop'？",
            {"notifiers.dekstop", "dekstop", "desktop"},
        ),
        # The values of a fixed set pydantic checks: the file's own words, and a notifier's.
        (
            '[defaults]\nunit = "buisness"\n',
            "defaults.unit: unknown value 'buisness'; did you mean 'business'?",
            "defaults.unit：未知的取值 'buisness'；你要找的是不是 'business'？",
            {"defaults.unit", "buisness", "business"},
        ),
        (
            MAIL_OK + 'security = "starttsl"\n',
            "notifiers.mail.security: unknown value 'starttsl'; did you mean 'starttls'?",
            "notifiers.mail.security：未知的取值 'starttsl'；你要找的是不是 'starttls'？",
            {"notifiers.mail.security", "starttsl", "starttls"},
        ),
        (
            STEP % ("weeeks", "submitted"),
            "presets.mine.steps[0].unit: unknown value 'weeeks'; did you mean 'weeks'?",
            "presets.mine.steps[0].unit：未知的取值 'weeeks'；你要找的是不是 'weeks'？",
            {"presets.mine.steps", "unit", "weeeks", "weeks"},
        ),
        (
            STEP % ("weeks", "submited"),
            "presets.mine.steps[0].anchor: unknown value 'submited'; did you mean 'submitted'?",
            "presets.mine.steps[0].anchor：未知的取值 'submited'；你要找的是不是 'submitted'？",
            {"presets.mine.steps", "anchor", "submited", "submitted"},
        ),
        # The sets reminder checks itself.
        (
            MAIL_OK + 'kinds = ["opened", "deadlin"]\n',
            "notifiers.mail.kinds: unknown reminder kind 'deadlin'; did you mean 'deadline'?",
            "notifiers.mail.kinds：未知的提醒类型 'deadlin'；你要找的是不是 'deadline'？",
            {"notifiers.mail.kinds", "deadlin", "deadline"},
        ),
        (
            '[notifiers.desktop]\ncritical_kinds = ["escalatoin"]\n',
            "notifiers.desktop.critical_kinds: unknown reminder kind 'escalatoin';"
            " did you mean 'escalation'?",
            "notifiers.desktop.critical_kinds：未知的提醒类型 'escalatoin'；你要找的是不是 'escalation'？",
            {"notifiers.desktop.critical_kinds", "escalatoin", "escalation"},
        ),
        (
            '[notifiers.log]\nlevel = "warnnig"\n',
            "notifiers.log.level: unknown level 'warnnig'; did you mean 'WARNING'?",
            "notifiers.log.level：未知的日志级别 'warnnig'；你要找的是不是 'WARNING'？",
            {"notifiers.log.level", "warnnig", "WARNING"},
        ),
        # The store's kind of database, in its URL's scheme; the password stays hidden.
        pytest.param(
            '[store]\nurl = "postgersql://me:hunter2@db.example.org/reminder"\n',
            "store.url: 'postgersql://me:***@db.example.org/reminder' is not a PostgreSQL URL;"
            " did you mean 'postgresql://me:***@db.example.org/reminder'?",
            "store.url：'postgersql://me:***@db.example.org/reminder' 不是 PostgreSQL 地址；"
            "你要找的是不是 'postgresql://me:***@db.example.org/reminder'？",
            {"store.url", "postgersql", "postgresql", "PostgreSQL"},
            # The PostgreSQL survey names its own database in $REMINDER_STORE__URL, which wins.
            marks=pytest.mark.sqlite_only("the survey's $REMINDER_STORE__URL wins over the file's url"),
        ),
    ],
    ids=["type", "table", "unit", "security", "step-unit", "anchor", "kinds", "critical-kinds", "level",
         "url"],
)  # fmt: skip
def test_a_mistyped_value_of_a_fixed_set_gets_the_one_it_probably_meant(
    run_cli: RunCli, tmp_env: TmpEnv, table: str, english: str, chinese: str, allow: set[str]
) -> None:
    """'notifiers.x.type: unknown notifier 'emial'; valid: apprise, command, …' left the person
    to spot the typo, where --to, --kind, a language or a time zone say the value meant. One
    line, exit 2, naming the file, the key and the value as typed, in English and Chinese."""
    from english_leaks import english_leaks

    path = tmp_env.write_config(table)
    assert one_line_error(run_cli("config", "check")) == f"Error: {path}: {english}"
    zh = one_line_error(run_cli("config", "check", env={"LANG": "zh_CN.UTF-8"}))
    assert zh == f"错误：{path}：{chinese}", zh
    assert english_leaks(zh.replace(str(path), ""), allow) == [], zh


def test_config_check_passes_a_good_notifier_table(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\n'
        'username = "me"\npassword_env = "NOT_SET_HERE"\n'
    )
    result = run_cli("config", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# OK: {tmp_env.config_path}")


def test_config_check_shows_which_variable_holds_a_password_but_not_the_password(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    """password_env is the name of a variable, not a secret: masked, a person checking their
    config could not see which variable the daemon will read. The variable's value, a token in a
    command notifier's env table and a password pasted into password_env by mistake stay masked."""
    tmp_env.write_config(
        '[store]\npassword_env = "REMINDER_DB_PASSWORD"\n'
        + MAIL
        + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nusername = "me"\n'
        'password_env = "SMTP_PASSWORD"\n'
        + MAIL.replace(".mail]", ".pasted]")
        + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nusername = "me"\n'
        'password_env = "pasted secret!"\n'
        + MAIL.replace(".mail]", ".filed]")
        + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nusername = "me"\n'
        'password_file = "smtp-password"\n'
        '[notifiers.hook]\ntype = "command"\nargv = ["true"]\n'
        '[notifiers.hook.env]\nAPI_TOKEN = "t0ken-in-the-file"\nAPI_TOKEN_ENV = "t0kenToo"\n'
    )
    password_file = tmp_env.config_path.parent / "smtp-password"
    password_file.write_text("file-s3cret\n")
    password_file.chmod(0o600)
    secrets = {"REMINDER_DB_PASSWORD": "db-s3cret", "SMTP_PASSWORD": "smtp-s3cret"}
    text = run_cli("config", "check", env=secrets)
    as_json = run_cli("config", "check", "--json", env=secrets)
    for result in (text, as_json):
        assert result.returncode == 0, result.stderr
        for secret in [*secrets.values(), "t0ken-in-the-file", "t0kenToo", "pasted secret!", "file-s3cret"]:
            assert secret not in result.stdout + result.stderr
    assert 'store.password_env = "REMINDER_DB_PASSWORD"' in text.stdout.splitlines()
    assert 'notifiers.mail.password_env = "SMTP_PASSWORD"' in text.stdout.splitlines()
    settings = json.loads(as_json.stdout)["settings"]
    assert settings["store"]["password_env"] == "REMINDER_DB_PASSWORD"
    assert settings["notifiers"]["mail"]["password_env"] == "SMTP_PASSWORD"
    assert settings["notifiers"]["pasted"]["password_env"] == "********"
    assert settings["notifiers"]["filed"]["password_file"] == "smtp-password"  # a path, as written: no secret
    assert settings["notifiers"]["hook"]["env"] == {"API_TOKEN": "********", "API_TOKEN_ENV": "********"}


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_config_check_refuses_a_password_file_it_cannot_use(
    run_cli: RunCli, tmp_env: TmpEnv, kind: str
) -> None:
    """It said "# OK" and only `notify test` (or the first reminder) found the file missing.
    One line naming the file, the key and the path; a password that is there is never shown.
    The daemon refuses to start the same way (it started, and every e-mail failed)."""
    secret = tmp_env.root / "smtp-password"
    good = "s3cret-in-the-file"
    secret.write_text(good + "\n")
    secret.chmod(0o600)
    table = MAIL + 'host = "smtp.example.org"\nrecipients = ["me@example.org"]\nusername = "me"\n'
    tmp_env.write_config(table + f'password_file = "{secret}"\n')
    result = run_cli("config", "check")
    assert result.returncode == 0, result.stderr
    assert good not in result.stdout + result.stderr

    if kind == "missing":
        missing = tmp_env.root / "nosuchfile"
        tmp_env.write_config(table + f'password_file = "{missing}"\n')
        expected = f"cannot read {missing}: No such file or directory"
    else:
        secret.write_text("")
        expected = f"{secret} is empty"
    line = one_line_error(run_cli("config", "check"))
    assert line == f"Error: {tmp_env.config_path}: notifiers.mail.password_file: {expected}"
    error = json.loads(one_line_error(run_cli("config", "check", "--json")))["error"]
    assert error == f"{tmp_env.config_path}: notifiers.mail.password_file: {expected}"
    assert one_line_error(run_cli("daemon", "--once")) == line


def _not_a_file(path: Path, kind: str) -> str:
    """Make ``path`` a ``kind`` of thing that is not a config file; the reason the error gives."""
    if kind == "directory":
        path.mkdir()
        return "is a directory"
    if kind == "fifo":
        os.mkfifo(path)
        return "is not a regular file"
    if kind == "loop":
        path.symlink_to(path)
        return "symlink loop"
    return "config file not found"


@pytest.mark.parametrize("kind", ["missing", "directory", "fifo", "loop"])
def test_reminder_config_naming_no_readable_file_is_exit_2(
    run_cli: RunCli, tmp_env: TmpEnv, kind: str
) -> None:
    path = tmp_env.root / "named.toml"
    why = _not_a_file(path, kind)
    env = {"REMINDER_CONFIG": str(path)}
    for args in (
        ["list"],
        ["list", "--json"],
        ["config", "check"],
        ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"],
    ):
        line = one_line_error(run_cli(*args, env=env, timeout=30))
        assert str(path) in line and "$REMINDER_CONFIG" in line and why in line, (args, line)
    assert not tmp_env.db_path.exists()  # nothing ran on the defaults instead


@pytest.mark.parametrize("kind", ["fifo", "loop"])
def test_config_option_naming_no_readable_file_says_why(run_cli: RunCli, tmp_env: TmpEnv, kind: str) -> None:
    path = tmp_env.root / "named.toml"
    why = _not_a_file(path, kind)
    line = one_line_error(run_cli("--config", str(path), "list", timeout=30))
    assert str(path) in line and why in line


def test_config_path_and_init_still_work_for_a_missing_reminder_config(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    path = tmp_env.root / "new" / "reminder.toml"
    env = {"REMINDER_CONFIG": str(path)}
    shown = run_cli("config", "path", env=env)
    assert shown.returncode == 0 and shown.stdout.strip() == str(path)
    # What writes it: 'reminder config init' alone would write the user config directory's.
    assert shown.stderr == f"(not there yet; create it with: reminder --config {path} config init)\n"
    other = tmp_env.root / "other.toml"
    shown = run_cli("--config", str(other), "config", "path")
    assert shown.stderr == f"(not there yet; create it with: reminder --config {other} config init)\n"
    assert run_cli("config", "init", env=env).returncode == 0
    assert run_cli("config", "check", env=env).returncode == 0


@pytest.mark.parametrize(
    ("env", "example"),
    [
        ({"LANG": "C.UTF-8"}, "reminder.example.toml"),
        ({"LANG": "en_GB.UTF-8"}, "reminder.example.toml"),
        ({"LANG": "zh_CN.UTF-8"}, "reminder.example.zh_CN.toml"),
        ({"LANG": "C.UTF-8", "REMINDER_DEFAULTS__LANGUAGE": "zh_CN"}, "reminder.example.zh_CN.toml"),
    ],
)
def test_config_init_writes_the_example_in_the_users_language(
    run_cli: RunCli, tmp_env: TmpEnv, env: dict[str, str], example: str
) -> None:
    # The one file the user edits is documented in the language they read: its comments
    # translated, its keys and values the same (config check accepts it).
    created = run_cli("config", "init", env=env)
    assert created.returncode == 0, created.stderr
    assert tmp_env.config_path.read_bytes() == (REPO / "config" / example).read_bytes()
    checked = run_cli("config", "check", env=env)
    assert checked.returncode == 0, checked.stderr


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d ")


def _daemon(tmp_env: TmpEnv, stderr: Path, env: dict[str, str] | None = None) -> tuple[int, Path]:
    log = tmp_env.root / "state" / "reminder" / "daemon.log"
    tmp_env.write_config(f'[daemon]\nlog_file = "{log}"\n')
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reminder", "daemon"],
            env={**tmp_env.env, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 30
            while "reminder daemon running" not in stderr.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, stderr.read_text()
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return code, log


def test_log_file_gets_the_daemons_own_log_lines_with_timestamps(tmp_env: TmpEnv) -> None:
    stderr = tmp_env.root / "stderr.txt"
    code, log = _daemon(tmp_env, stderr)
    assert code == 0
    lines = log.read_text().splitlines()
    assert any("reminder daemon running" in line for line in lines), lines
    assert any("reminder daemon stopped" in line for line in lines), lines
    assert all(STAMP.match(line) for line in lines), lines
    # Not under journald: stderr is stamped as well.
    err = [line for line in stderr.read_text().splitlines() if line]
    assert err and all(STAMP.match(line) for line in err), err


def test_under_journald_stderr_is_left_to_the_journals_stamps(tmp_env: TmpEnv) -> None:
    stderr = tmp_env.root / "stderr.txt"
    stderr.touch()
    st = stderr.stat()
    # systemd sets JOURNAL_STREAM to the device and inode of the stream it connected to stderr.
    code, log = _daemon(tmp_env, stderr, env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
    assert code == 0
    err = [line for line in stderr.read_text().splitlines() if line]
    assert err and not any(STAMP.match(line) for line in err), err
    assert all(STAMP.match(line) for line in log.read_text().splitlines())


@pytest.mark.sqlite_only("the SQLite file a relative [store] path names")
def test_a_relative_path_in_the_config_file_is_relative_to_the_file_not_to_the_working_directory(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    # Before, `path = "cases/reminder.db"` was relative to wherever the command ran: a case added
    # in one directory was not there for `list` in another (a new, empty store), nor for the
    # daemon systemd starts in /. The notifiers' password_file was already relative to the file.
    config = tmp_env.write_config(
        '[store]\npath = "cases/reminder.db"\n\n[daemon]\nlog_file = "logs/daemon.log"\n'
    )
    added = run_cli("add", "--title", "Refund", "--org", "DB", "--submitted", "2026-02-20", "--json")
    assert added.returncode == 0, added.stderr
    elsewhere = tmp_env.root / "elsewhere"
    elsewhere.mkdir()
    listed = subprocess.run(
        [sys.executable, "-m", "reminder", "list", "--json"],
        capture_output=True,
        text=True,
        env=tmp_env.env,
        cwd=elsewhere,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert [c["id"] for c in json.loads(listed.stdout)] == [json.loads(added.stdout)["id"]]
    assert (config.parent / "cases" / "reminder.db").is_file()
    assert not (tmp_env.root / "cases").exists() and not (elsewhere / "cases").exists()
    checked = run_cli("config", "check")
    assert f'store.path = "{config.parent / "cases" / "reminder.db"}"' in checked.stdout, checked.stdout
    assert f'daemon.log_file = "{config.parent / "logs" / "daemon.log"}"' in checked.stdout, checked.stdout
    # The environment's value is the shell's: relative to where it was typed, as before.
    from_env = run_cli("config", "check", env={"REMINDER_STORE__PATH": "mine.db"})
    assert 'store.path = "mine.db"' in from_env.stdout, from_env.stdout
