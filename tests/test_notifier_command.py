"""The command notifier: a real subprocess gets the reminder as JSON on stdin and REMINDER_* variables."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reminder.errors import ConfigError
from reminder.models import Message
from reminder.notifiers import build_notifiers
from reminder.notifiers.command import CommandNotifier

SCRIPT = """\
import json, os, sys, time
mode = sys.argv[1]
payload = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k.startswith(("REMINDER_", "EXTRA_"))}
with open(sys.argv[2], "a") as out:
    out.write(json.dumps({"payload": payload, "env": env, "cwd": os.getcwd()}) + "\\n")
if mode == "fail":
    print("some progress", file=sys.stderr)
    print("ntfy: 403 forbidden", file=sys.stderr)
    sys.exit(3)
if mode == "sleep":
    time.sleep(30)
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "hook.py"
    path.write_text(SCRIPT)
    return path


def msg() -> Message:
    return Message(
        key="c1:opened:0",
        case_id="c1",
        kind="opened",
        subject="Cancel roaming eSIM: the review window is open",
        text="Check the status.\nReference: R-1",
        html="<p>Check</p>",
        urgency="normal",
        data={"deadline": "2026-03-22", "tentative": False},
    )


def command(script: Path, out: Path, mode: str = "ok", **options: Any) -> CommandNotifier:
    table = {"argv": [sys.executable, str(script), mode, str(out)], **options}
    (n,) = build_notifiers({"hook": {"type": "command", **table}})
    assert isinstance(n, CommandNotifier)
    return n


def test_runs_with_json_on_stdin_and_env(script: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    n = command(script, out, env={"EXTRA_TOKEN": "t"}, cwd=str(tmp_path))
    assert n.availability() == (True, "")
    result = n.send(msg())
    assert result.ok, result.detail
    record = json.loads(out.read_text())
    assert record["payload"] == {
        "key": "c1:opened:0",
        "case_id": "c1",
        "kind": "opened",
        "subject": "Cancel roaming eSIM: the review window is open",
        "text": "Check the status.\nReference: R-1",
        "html": "<p>Check</p>",
        "urgency": "normal",
        "data": {"deadline": "2026-03-22", "tentative": False},
    }
    assert record["env"] == {
        "REMINDER_KEY": "c1:opened:0",
        "REMINDER_CASE_ID": "c1",
        "REMINDER_KIND": "opened",
        "REMINDER_SUBJECT": "Cancel roaming eSIM: the review window is open",
        "REMINDER_URGENCY": "normal",
        "REMINDER_TEXT": "Check the status.\nReference: R-1",
        "REMINDER_NOTIFIER": "hook",
        "EXTRA_TOKEN": "t",
    } | {k: v for k, v in record["env"].items() if k.startswith("REMINDER_") and k not in _OURS}
    assert record["cwd"] == str(tmp_path)


_OURS = {
    "REMINDER_KEY", "REMINDER_CASE_ID", "REMINDER_KIND", "REMINDER_SUBJECT", "REMINDER_URGENCY",
    "REMINDER_TEXT", "REMINDER_NOTIFIER",
}  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "options", "problem", "detail"),
    [
        ("fail", {}, "error", "exit 3: ntfy: 403 forbidden"),
        ("sleep", {"timeout": 0.5}, "timeout", "did not finish within 0.5s"),
    ],
)
def test_failures(
    script: Path, tmp_path: Path, mode: str, options: dict[str, Any], problem: str, detail: str
) -> None:
    result = command(script, tmp_path / "out", mode, **options).send(msg())
    assert (result.ok, result.problem, result.retryable) == (False, problem, True)
    assert result.detail.endswith(detail), result.detail


def test_missing_program(tmp_path: Path) -> None:
    (n,) = build_notifiers({"command": {"argv": ["no-such-program-xyz"]}})
    assert n.availability() == (False, "'no-such-program-xyz' is not an executable program (or not on PATH)")
    result = n.send(msg())
    assert (result.ok, result.problem, result.retryable) == (False, "config", False)


def test_relative_program_resolves_against_the_config(tmp_path: Path) -> None:
    hook = tmp_path / "bin" / "hook.sh"
    hook.parent.mkdir()
    hook.write_text('#!/bin/sh\ncat > "$(dirname "$0")/got.json"\n')
    hook.chmod(0o755)
    (n,) = build_notifiers({"command": {"argv": ["./bin/hook.sh"]}}, config_file=tmp_path / "config.toml")
    assert n.send(msg()).ok
    assert json.loads((tmp_path / "bin" / "got.json").read_text())["key"] == "c1:opened:0"


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ({}, "notifiers.command.argv: Field required"),
        ({"argv": []}, "notifiers.command.argv: List should have at least 1 item"),
        ({"argv": "notify-send hi"}, "notifiers.command.argv: Input should be a valid list"),
        ({"argv": ["x"], "timeout": -1}, "notifiers.command.timeout: Input should be greater than 0"),
    ],
)
def test_option_errors(table: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        build_notifiers({"command": table})


def test_nul_byte_is_a_failure_not_an_exception(script: Path, tmp_path: Path) -> None:
    bad = Message(key="k", case_id="c1", kind="opened", subject="a\x00b", text="t")
    result = command(script, tmp_path / "out").send(bad)
    assert (result.ok, result.problem, result.retryable) == (False, "config", False)
    assert "null byte" in result.detail


def test_cancel_kills_the_running_program_and_its_children_and_runs_no_more(tmp_path: Path) -> None:
    """What the daemon calls when a send outlasts its stop's grace: the program (and what it
    started) must not outlive the daemon, and the send reports a retryable failure."""
    pids = tmp_path / "pids"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'#!/bin/sh\nsleep 1000 &\necho "$$ $!" > {pids}.new && mv {pids}.new {pids}\nwait\n')
    hook.chmod(0o755)
    (n,) = build_notifiers({"hook": {"type": "command", "argv": [str(hook)], "timeout": 5000}})
    results: list[Any] = []
    sending = threading.Thread(target=lambda: results.append(n.send(msg())), daemon=True)
    sending.start()
    end = time.monotonic() + 30
    while not pids.exists() and time.monotonic() < end:
        time.sleep(0.02)
    started = [int(p) for p in pids.read_text().split()]
    try:
        n.cancel()
        sending.join(30)
        assert not sending.is_alive(), "the send did not return after cancel()"
        (result,) = results
        assert (result.ok, result.retryable) == (False, True)
        assert result.detail == "stopped: the daemon is shutting down"
        assert all(_gone(pid) for pid in started), "the program and its child were killed"
        # Nothing new starts after the cancel.
        pids.unlink()
        assert n.send(msg()).detail == "stopped: the daemon is shutting down"
        assert not pids.exists()
    finally:
        for pid in started:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)


def _gone(pid: int) -> bool:
    """Not running: reaped, or a zombie nobody has reaped yet (the sleep's parent was killed)."""
    deadline = time.monotonic() + 10  # SIGKILL is asynchronous: the kernel takes a moment
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_no_variable_any_notifier_names_as_a_secret_reaches_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("BACKUP_PASSWORD", "hunter3-backup")
    monkeypatch.setenv("OTHER_PLUGIN_TOKEN", "tok-123")
    out = tmp_path / "environ"
    mail = {
        "host": "smtp.example.org",
        "sender": "a@example.org",
        "recipients": ["b@example.org"],
        "username": "a",
    }
    tables: dict[str, dict[str, Any]] = {
        "mail": {"type": "email", **mail, "password_env": "SMTP_PASSWORD"},
        "backup": {"type": "email", **mail, "password_env": "BACKUP_PASSWORD", "enabled": False},
        "hook": {"type": "command", "argv": ["/bin/sh", "-c", f"cat /proc/self/environ > '{out}'"]},
    }
    hook = next(n for n in build_notifiers(tables) if n.label == "hook")
    assert hook.send(msg()).ok
    raw = out.read_bytes()
    seen = dict(item.split(b"=", 1) for item in raw.split(b"\0") if item)
    assert b"hunter2" not in raw and b"hunter3" not in raw
    assert b"SMTP_PASSWORD" not in seen and b"BACKUP_PASSWORD" not in seen
    assert seen[b"OTHER_PLUGIN_TOKEN"] == b"tok-123"  # named by no notifier: inherited as before
    assert seen[b"REMINDER_CASE_ID"] == b"c1"


def test_a_secret_the_user_hands_the_command_on_purpose_still_reaches_it(tmp_path: Path) -> None:
    out = tmp_path / "environ"
    tables: dict[str, dict[str, Any]] = {
        "hook": {
            "type": "command",
            "argv": ["/bin/sh", "-c", f"cat /proc/self/environ > '{out}'"],
            "env": {"NTFY_TOKEN": "given"},
        },
    }
    (hook,) = build_notifiers(tables)
    assert hook.send(msg()).ok
    assert b"NTFY_TOKEN=given" in out.read_bytes()
