"""`reminder notifiers` and `reminder notify test` as a user runs them: real subprocesses, real servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).parent))
from plugins.install import install_plugin

PASSWORD = "hunter2-secret-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.contents.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Sink]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, sink
    finally:
        controller.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    site = install_plugin(tmp_path / "site")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "DBUS_", "XDG_"))}
    e.update(
        REMINDER_CONFIG=str(tmp_path / "config.toml"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),  # no bus there
        PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        SMTP_PW=PASSWORD,
    )
    return e


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args], env=env, capture_output=True, text=True, timeout=60
    )


def write_config(env: dict[str, str], text: str) -> Path:
    path = Path(env["REMINDER_CONFIG"])
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_no_config_tests_the_default_log_notifier(env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in env.items() if k != "REMINDER_CONFIG"}  # nor one in $XDG_CONFIG_HOME
    result = run(env, "notify", "test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("log  OK ")
    (line,) = (tmp_path / "data" / "reminder" / "reminders.log").read_text().splitlines()
    assert json.loads(line)["kind"] == "test"


def test_notify_test_reports_each_notifier(
    env: dict[str, str], tmp_path: Path, smtp: tuple[int, Sink]
) -> None:
    port, sink = smtp
    write_config(
        env,
        f"""
[notifiers.email]
host = "127.0.0.1"
port = {port}
security = "none"
username = "me"
password_env = "SMTP_PW"
sender = "reminder@example.org"
recipients = ["me@example.org"]

[notifiers.backup-mail]
type = "email"
host = "127.0.0.1"
port = {free_port()}
security = "none"
sender = "reminder@example.org"
recipients = ["me@example.org"]

[notifiers.desktop]

[notifiers.pager]
type = "echo"

[notifiers.off]
type = "command"
enabled = false
argv = ["false"]
""",
    )
    result = run(env, "notify", "test", "--json")
    assert result.returncode == 1, result.stderr
    outcomes = {o["name"]: o for o in json.loads(result.stdout)}
    assert list(outcomes) == ["email", "backup-mail", "desktop", "pager"]  # disabled ones are not sent
    # The loopback sink offers no AUTH: the exact problem is named.
    assert (outcomes["email"]["ok"], outcomes["email"]["problem"]) == (False, "auth")
    assert (outcomes["backup-mail"]["ok"], outcomes["backup-mail"]["problem"]) == (False, "connection")
    assert outcomes["backup-mail"]["detail"].endswith("refused the connection")
    assert (outcomes["desktop"]["ok"], outcomes["desktop"]["problem"]) == (False, "no-bus")
    assert outcomes["pager"] == {
        "name": "pager", "type": "echo", "ok": True, "detail": "", "problem": "", "retryable": False,
    }  # fmt: skip
    assert result.stderr == ""  # failures are reported once, in the output
    assert sink.count == 0

    text = run(env, "notify", "test", "--notifier", "backup-mail")
    assert text.returncode == 1
    assert text.stdout.startswith("backup-mail  FAILED (connection)  connection: 127.0.0.1:")


def test_notify_test_one_notifier_ok(env: dict[str, str], smtp: tuple[int, Sink]) -> None:
    port, sink = smtp
    write_config(
        env,
        f"""
[notifiers.email]
host = "localhost"
port = {port}
security = "none"
sender = "reminder@example.org"
recipients = ["me@example.org"]
""",
    )
    result = run(env, "notify", "test", "--notifier", "email")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("email  OK ")
    assert sink.count == 1


@pytest.mark.parametrize(
    ("defaults", "offset"),
    [("", "+03:00"), ('[defaults]\ntimezone = "Asia/Tokyo"\n', "+09:00")],
    ids=["Bahrain", "Tokyo"],
)
def test_notify_tests_message_is_sent_at_the_users_time(
    env: dict[str, str], smtp: tuple[int, Sink], defaults: str, offset: str
) -> None:
    """The computer's clock is UTC here (as on many a server): "Sent at" is still the time of
    [defaults] timezone (Bahrain's by default), as every reminder's times are."""
    import email
    from email.policy import default as default_policy

    port, sink = smtp
    write_config(
        env,
        defaults + f'[notifiers.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n',
    )
    env = {**env, "TZ": "UTC"}
    result = run(env, "notify", "test", "--notifier", "email")
    assert result.returncode == 0, result.stdout + result.stderr
    (content,) = sink.contents
    message = email.message_from_bytes(content, policy=default_policy)
    body = message.get_body(("plain",))
    assert body is not None
    (line,) = (line for line in body.get_content().splitlines() if line.startswith("Sent at "))
    assert line.endswith(offset + "."), line
    assert "+00:00" not in body.get_content()


@pytest.mark.parametrize(
    ("args", "config", "code", "stderr"),
    [
        (
            ["--notifier", "nope"],
            "",
            2,
            "Error: unknown notifier 'nope'; known: apprise, command, desktop, echo,",
        ),
        (["--notifier", "email"], "", 2, "email is not configured: add a [notifiers.email] table to "),
        (
            [],
            "[notifiers.email]\nport = 'x'\n",
            2,
            "config.toml: notifiers.email.host: Field required; notifiers.email.port",
        ),
        ([], "[notifiers.pagr]\n", 2, "notifiers.pagr: unknown notifier 'pagr'; valid: apprise, command,"),
        (["--notifier", "desktop"], "", 1, ""),  # no table needed; no bus here
    ],
)
def test_notify_test_errors(
    env: dict[str, str], args: list[str], config: str, code: int, stderr: str
) -> None:
    write_config(env, config)
    result = run(env, "notify", "test", *args)
    assert result.returncode == code, result.stdout + result.stderr
    assert stderr in result.stderr
    if code == 2:
        assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) <= 1


def test_notifiers_lists_builtins_plugins_and_why(env: dict[str, str]) -> None:
    config = write_config(
        env,
        """
[notifiers.email]
host = "mail.example.org"
username = "me"
password_env = "SMTP_PW"
sender = "reminder@example.org"
recipients = ["me@example.org"]

[notifiers.hook]
type = "command"
argv = ["no-such-program-xyz"]
enabled = false
""",
    )
    result = run(env, "notifiers", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"email", "hook", "log", "desktop", "apprise", "echo"}
    assert rows["email"] | {"settings": None} == {
        "name": "email", "type": "email", "source": "built-in", "configured": True, "enabled": True,
        "available": True, "reason": "", "summary": rows["email"]["summary"], "settings": None,
    }  # fmt: skip
    assert rows["email"]["settings"]["password"] == "********"
    assert rows["hook"]["enabled"] is False and rows["hook"]["available"] is False
    assert "no-such-program-xyz" in rows["hook"]["reason"]
    assert rows["desktop"]["configured"] is False and rows["desktop"]["available"] is False
    assert rows["desktop"]["reason"].startswith("no D-Bus session bus")
    assert rows["echo"]["source"] == "reminder_echo"
    assert PASSWORD not in result.stdout + result.stderr

    config.chmod(0o644)
    text = run(env, "notifiers")
    assert text.returncode == 0
    assert "echo" in text.stdout and "[plugin: reminder_echo]" in text.stdout
    assert PASSWORD not in text.stdout + text.stderr


def test_a_notifiers_secret_never_reaches_a_child_process(env: dict[str, str], tmp_path: Path) -> None:
    environ = tmp_path / "environ"
    write_config(
        env,
        f"""
[notifiers.email]
enabled = false
host = "smtp.example.org"
username = "me"
password_env = "SMTP_PW"
sender = "reminder@example.org"
recipients = ["me@example.org"]

[notifiers.hook]
type = "command"
argv = ["/bin/sh", "-c", "cat /proc/self/environ > '{environ}'"]
""",
    )
    result = run({**env, "REMINDER_NOTIFIERS__EMAIL__TIMEOUT": "20"}, "notify", "test", "--notifier", "hook")
    assert result.returncode == 0, result.stdout + result.stderr
    # As the child sees it: the kernel's copy of its environment.
    seen = dict(item.split(b"=", 1) for item in environ.read_bytes().split(b"\0") if item)
    assert PASSWORD.encode() not in environ.read_bytes()
    assert b"SMTP_PW" not in seen
    assert b"REMINDER_NOTIFIERS__EMAIL__TIMEOUT" not in seen  # a notifier's settings are not the child's
    assert seen[b"REMINDER_NOTIFIER"] == b"hook" and seen[b"PATH"]  # the rest is inherited as before


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_ctrl_c_ends_a_command_with_status_130_and_no_error(env: dict[str, str], as_json: bool) -> None:
    """Ctrl-C while `notify test` waits for a server that accepts and never greets: the shells'
    status for SIGINT, and no "Error: aborted" (it was status 1): the person stopped it, nothing
    failed. --json still says why, as JSON."""
    import signal
    import time

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        write_config(
            env,
            f'[notifiers.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n',
        )
        argv = [sys.executable, "-m", "reminder", "notify", "test", *(["--json"] if as_json else [])]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            server.settimeout(30)
            client, _address = server.accept()  # the command is waiting for the greeting now
            with client:
                time.sleep(0.2)
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, err
    assert "Error" not in err and "Traceback" not in err and out == ""
    if as_json:
        assert json.loads(err.strip()) == {"error": "interrupted"}
    else:
        assert err.strip() == ""
