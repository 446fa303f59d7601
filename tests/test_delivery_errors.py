"""A failed delivery's error: English where it is kept (the outbox row's last_error, the daemon's
log, ``--json``), the user's language where a person reads it (``show``, ``status``).

The end-to-end test runs a real daemon under libfaketime with Chinese configured, against a real
SMTP server on loopback (aiosmtpd) that refuses the recipient and a command notifier that exits 3.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from datetime import date
from typing import Any

import pytest
from conftest import RunCli, TmpEnv
from test_daemon import add_cases, daemon_cmd, fake_env, needs_faketime, sqlite3_cli

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
ZH = {"LANG": "zh_CN.UTF-8"}
# The configured language overridden, and the locale C: what a script or a helper runs.
EN = {"LANG": "C", "REMINDER_DEFAULTS__LANGUAGE": "en"}

PAGER = """#!/bin/sh
cat > /dev/null
echo "the pager is unreachable" >&2
exit 3
"""


class _Refusing:
    """An SMTP server that refuses every recipient for good."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return "550 5.1.1 mailbox unavailable"


@needs_faketime
@pytest.mark.sqlite_only("reads the SQLite file itself")
def test_a_failed_delivery_is_kept_in_english_and_shown_in_the_users_language(
    tmp_env: TmpEnv, run_cli: RunCli
) -> None:
    from aiosmtpd.controller import Controller

    pager = tmp_env.root / "pager"
    pager.write_text(PAGER)
    pager.chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    log_file = tmp_env.root / "daemon.log"
    try:
        tmp_env.write_config(
            f'[defaults]\nlanguage = "zh_CN"\n[daemon]\nlog_file = "{log_file}"\n'
            f'[notifiers.email]\nsecurity = "none"\nhost = "127.0.0.1"\nport = {port}\n'
            'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n'
            f'[notifiers.command]\nargv = ["{pager}"]\n'
        )
        (case_id,) = add_cases(tmp_env, 1, date(2026, 1, 4))
        done = subprocess.run(
            daemon_cmd("--once", "-v"),
            env=fake_env(tmp_env, "2026-06-01 12:00:00", **ZH),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        controller.stop()
    assert done.returncode == 1, done.stderr  # --once: the e-mail failed for good

    rows = sqlite3_cli(
        tmp_env.db_path, "SELECT notifier, status, last_error FROM deliveries WHERE status != 'cancelled'"
    ).splitlines()
    stored = {line.split("|", 1)[0]: line.split("|", 2)[1:] for line in rows}
    assert stored["email"] == [
        "failed",
        "recipient refused: me@example.org: 550 5.1.1 mailbox unavailable",
    ], rows
    assert stored["command"] == ["planned", f"{pager} exit 3: the pager is unreachable"], rows
    assert sqlite3_cli(tmp_env.db_path, "PRAGMA integrity_check") == "ok"

    # The daemon's log, its file and its stderr alike: English.
    for what, text in (("log file", log_file.read_text()), ("stderr", done.stderr)):
        assert "recipient refused: me@example.org" in text, text
        assert f"{pager} exit 3: the pager is unreachable" in text, text
        assert not CJK.search(text), f"Chinese in the daemon's {what}:\n{text}"

    # Shown in Chinese: the sentence translated, the server's and the program's words as they came.
    show = run_cli("show", case_id, env=ZH)
    assert show.returncode == 0, show.stderr
    assert "收件人被拒：me@example.org: 550 5.1.1 mailbox unavailable" in show.stdout, show.stdout
    assert f"{pager} 退出码 3：the pager is unreachable" in show.stdout, show.stdout
    status = run_cli("status", env=ZH)
    assert status.returncode == 0, status.stderr
    shown = f"最近的错误（command）：{pager} 退出码 3：the pager is unreachable"
    assert shown in status.stdout, status.stdout

    # --json, in Chinese too, gives what is stored.
    reminders = json.loads(run_cli("show", case_id, "--json", env=ZH).stdout)["reminders"]
    assert {r["notifier"]: r["last_error"] for r in reminders if r["status"] != "cancelled"} == {
        n: e for n, (_s, e) in stored.items()
    }
    retrying = json.loads(run_cli("status", "--json", env=ZH).stdout)["retrying"]
    assert retrying["error"] == stored["command"][1]

    # In English (LANG=C, the configured language overridden): the stored text as it is.
    show = run_cli("show", case_id, env=EN)
    assert "failed (recipient refused: me@example.org: 550 5.1.1 mailbox unavailable)" in show.stdout
    assert f"planned ({pager} exit 3: the pager is unreachable)" in show.stdout, show.stdout
    assert not CJK.search(show.stdout), show.stdout
    status = run_cli("status", env=EN)
    assert f"last error (command): {pager} exit 3: the pager is unreachable" in status.stdout, status.stdout
    assert not CJK.search(status.stdout), status.stdout


# --- the messages, read back ----------------------------------------------------------------------

# Values as the notifiers fill them, with what makes reading them back hard: spaces and colons
# in a host or a path, ": " and line breaks in a server's reply, a program's words in Chinese.
VALUES: dict[str, object] = {
    "host": "'mail.example.org'",
    "where": "mail.example.org:587",
    "why": "[Errno 111] Connection refused: try again\n later",
    "reply": "550 5.7.1 relaying denied: see https://example.org/policy",
    "refused": "me@example.org: 550 5.1.1 mailbox unavailable; you@example.org: 450 busy",
    "sender": "reminder@example.org",
    "seconds": "2.5",
    "error": "UnicodeEncodeError: 'ascii' codec can't encode",
    "addresses": "bob, carol@",
    "name": "'SMTP_PASSWORD'",
    "path": "/home/a user/my: files/pw",
    "program": "/opt/my tools/pager",
    "status": "exit 3",
    "address": "unix:path=/run/user/1000/bus",
    "written": 10,
    "size": 120,
    "id": "k7m2qx",
}


def _sentences() -> tuple[str, ...]:
    from reminder import delivery_errors

    return delivery_errors._SENTENCES


@pytest.mark.parametrize("msgid", _sentences())
def test_each_failure_reads_back_into_its_translation(msgid: str) -> None:
    from reminder.delivery_errors import english, translated
    from reminder.i18n import gettext_for, using_language

    zh = gettext_for("zh_CN")
    values = dict(VALUES)
    if "%(path)s" in msgid:
        values["why"] = "Permission denied"  # after a path, the OS's reason: an strerror
    stored = english(msgid, **values) if "%(" in msgid else msgid
    expected = zh.gettext(msgid, **values) if "%(" in msgid else zh.gettext(msgid)
    if msgid == "%(program)s %(status)s: %(why)s":  # its status is said in Chinese too
        expected = zh.gettext(msgid, **{**values, "status": zh.gettext("exit %(n)d", n=3)})
    assert expected != stored, "the catalogue translates it"
    with using_language("zh_CN"):
        assert translated(stored) == expected
    with using_language("en"):
        assert translated(stored) is stored


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        # A fragment as the value: translated too.
        (
            "/bin/pager killed by signal 9: (no output on stderr)",
            "/bin/pager 被信号 9 终止：（标准错误输出中没有内容）",
        ),
        ("cannot read password_file /pw: not UTF-8 text", "无法读取 password_file /pw：不是 UTF-8 文本"),
        # A program's own words that look like a fragment stay the program's.
        ("/bin/pager exit 1: exit 3", "/bin/pager 退出码 1：exit 3"),
        # Of two messages that match, the one with more words of its own.
        ("connection: h:25 closed the connection: gone", "连接：h:25 关闭了连接：gone"),
        # A path is read longest first: it may hold ": ", the OS's reason after it does not.
        ("cannot write /a: b/c: No space left on device", "无法写入 /a: b/c：No space left on device"),
    ],
)
def test_fragments_and_the_closest_message(stored: str, shown: str) -> None:
    from reminder.delivery_errors import translated
    from reminder.i18n import using_language

    with using_language("zh_CN"):
        assert translated(stored) == shown


@pytest.mark.parametrize(
    "stored",
    [
        "收件人被拒：me@example.org: 550 5.1.1 mailbox unavailable",  # a row written in Chinese before
        "urls[0] (ntfy://…): apprise reported a failure",  # apprise's own line
        "mail.example.org:587: SMTPNotSupportedError: no password for AUTH",  # a library's exception
        "RuntimeError: the plugin broke",  # a plugin's
        "",
    ],
)
def test_a_text_that_is_none_of_the_messages_is_shown_as_it_is(stored: str) -> None:
    from reminder.delivery_errors import translated
    from reminder.i18n import using_language

    with using_language("zh_CN"):
        assert translated(stored) == stored


def test_no_notifier_fails_in_the_users_language() -> None:
    """A failure's detail is filled by english(), never translated where it is made: it is kept
    and logged. Read from the code: a DeliveryResult.failure whose text comes from _()."""
    import ast

    from conftest import REPO

    found = []
    for path in sorted((REPO / "reminder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "failure"
                and node.args
                and isinstance(node.args[0], ast.Call)
                and isinstance(node.args[0].func, ast.Name)
                and node.args[0].func.id in ("_", "ngettext", "pgettext")
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, found


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        socket.gaierror(-2, "Name or service not known"),
        OSError(113, "No route to host"),
    ],
    ids=["refused", "timeout", "dns", "no-route"],
)
def test_the_email_notifiers_failures_are_english_in_a_chinese_process(exc: BaseException) -> None:
    from reminder.delivery_errors import translated
    from reminder.i18n import using_language
    from reminder.notifiers.email import classify_smtp_error

    with using_language("zh_CN"):
        result = classify_smtp_error(exc, host="mail.example.org", port=587)
        shown = translated(result.detail)
    assert not CJK.search(result.detail), result.detail
    assert CJK.search(shown) and shown != result.detail, shown


def test_notify_test_says_a_failure_in_chinese_and_gives_it_in_english_with_json(
    tmp_env: TmpEnv, run_cli: RunCli
) -> None:
    pager = tmp_env.root / "pager"
    pager.write_text(PAGER)
    pager.chmod(0o755)
    tmp_env.write_config(f'[defaults]\nlanguage = "zh_CN"\n[notifiers.command]\nargv = ["{pager}"]\n')
    p = run_cli("notify", "test", env=ZH)
    assert p.returncode == 1, p.stderr
    assert f"{pager} 退出码 3：the pager is unreachable" in p.stdout, p.stdout
    p = run_cli("notify", "test", "--json", env=ZH)
    (outcome,) = json.loads(p.stdout)
    assert outcome["detail"] == f"{pager} exit 3: the pager is unreachable"
    p = run_cli("notify", "test", env=EN)
    assert f"{pager} exit 3: the pager is unreachable" in p.stdout and not CJK.search(p.stdout), p.stdout
