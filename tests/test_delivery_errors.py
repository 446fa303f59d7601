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
