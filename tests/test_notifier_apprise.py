"""The apprise notifier against a local HTTP server (``json://127.0.0.1:PORT/``)."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reminder.errors import ConfigError
from reminder.models import Message
from reminder.notifiers import build_notifiers
from reminder.notifiers.apprise import AppriseNotifier, redact_url

pytest.importorskip("apprise")
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


@dataclass
class Hook:
    port: int
    statuses: list[int] = field(default_factory=list)  # replies for the next requests; then 200
    bodies: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            status = state.statuses.pop(0) if state.statuses else 200
            if status == 200:
                state.bodies.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def msg(urgency: str = "critical", key: str = "c1:deadline:0") -> Message:
    return Message(
        key=key,
        case_id="c1",
        kind="deadline",
        subject="Cancel roaming eSIM: today is the deadline",
        text="Call the carrier today.\nReference: R-1",
        urgency=urgency,  # type: ignore[arg-type]
    )


def apprise_notifier(*urls: str, **options: Any) -> AppriseNotifier:
    (n,) = build_notifiers({"apprise": {"urls": list(urls), **options}})
    assert isinstance(n, AppriseNotifier)
    return n


@pytest.mark.parametrize(
    ("urgency", "apprise_type"), [("low", "info"), ("normal", "warning"), ("critical", "failure")]
)
def test_delivers_json(hook: Hook, urgency: str, apprise_type: str) -> None:
    n = apprise_notifier(f"json://127.0.0.1:{hook.port}/")
    assert n.availability() == (True, "")
    result = n.send(msg(urgency))
    assert result.ok, result.detail
    (body,) = hook.bodies
    assert body["title"] == "Cancel roaming eSIM: today is the deadline"
    assert body["message"] == "Call the carrier today.\nReference: R-1"
    assert body["type"] == apprise_type


def test_server_error_is_a_failure_not_a_success(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    hook.statuses = [500]
    n = apprise_notifier(f"json://127.0.0.1:{hook.port}/")
    result = n.send(msg())
    assert (result.ok, result.retryable, result.problem) == (False, True, "rejected")
    assert result.detail.startswith("urls[0] (json://…): ")
    assert "500" in result.detail
    assert str(hook.port) not in result.detail + caplog.text.replace("reminder.notifiers", "")
    # The server recovers: the retry goes through.
    assert n.send(msg()).ok
    assert len(hook.bodies) == 1


def test_retry_goes_only_to_the_urls_that_failed(hook: Hook) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    n = apprise_notifier(f"json://127.0.0.1:{hook.port}/", f"json://127.0.0.1:{dead_port}/")
    first = n.send(msg())
    assert (first.ok, first.problem) == (False, "connection"), first.detail
    assert first.detail.startswith("urls[1] (json://…): ")
    assert len(hook.bodies) == 1
    second = n.send(msg())
    assert not second.ok
    assert len(hook.bodies) == 1  # the first URL already has it: no duplicate


def test_urls_are_secret(hook: Hook, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    config.chmod(0o644)
    token = "tgram://123456789:SECRETTOKEN/42/"
    (n,) = build_notifiers({"apprise": {"urls": [token]}}, config_file=config)
    assert "readable by other users" in caplog.text
    assert n.describe()["urls"] == ["tgram://…"]
    assert "SECRETTOKEN" not in repr(n.describe()) + repr(n.options) + caplog.text
    config.chmod(0o600)
    caplog.clear()
    build_notifiers({"apprise": {"urls": [token]}}, config_file=config)
    assert "readable" not in caplog.text


def test_invalid_url_is_reported(hook: Hook) -> None:
    n = apprise_notifier("nosuchservice://x/")
    assert n.availability() == (False, "apprise does not accept urls[0] (nosuchservice://…)")
    result = n.send(msg())
    assert (result.ok, result.problem, result.retryable) == (False, "config", False)


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ({}, "notifiers.apprise.urls: Field required"),
        ({"urls": []}, "notifiers.apprise.urls: List should have at least 1 item"),
        ({"urls": ["not a url"]}, "notifiers.apprise.urls: urls[0] is not an apprise URL"),
        ({"urls": "json://x/"}, "notifiers.apprise.urls: Input should be a valid list"),
    ],
)
def test_option_errors(table: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error.replace("[", r"\[").replace("]", r"\]")):
        build_notifiers({"apprise": table})


def test_missing_apprise_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    n = apprise_notifier("json://127.0.0.1:9/")
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise → ImportError
    assert n.availability() == (False, "apprise is not installed: pip install 'reminder[apprise]'")
    result = n.send(msg())
    assert (result.ok, result.problem, result.retryable) == (False, "config", False)


@pytest.mark.parametrize(
    ("url", "shown"), [("ntfy://topic", "ntfy://…"), ("mailto://u:p@x", "mailto://…"), ("garbage", "…")]
)
def test_redact(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_apprise_logs_do_not_leak(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="reminder")
    hook.statuses = [404]
    apprise_notifier(f"json://user:pw-XYZ@127.0.0.1:{hook.port}/").send(msg())
    reminder_lines = [r.getMessage() for r in caplog.records if r.name.startswith("reminder")]
    assert reminder_lines and not any("pw-XYZ" in line for line in reminder_lines)


def test_delivers_a_chinese_reminder_as_its_title_and_body(hook: Hook) -> None:
    from datetime import UTC, date, datetime

    from english_leaks import assert_no_english

    from reminder import i18n
    from reminder.messages import render_message
    from reminder.models import Case
    from reminder.window import compute_window

    case = Case(
        id="k7m2qx", title="注销漫游 eSIM", organisation="Batelco", submitted=date(2026, 3, 1),
        country="BH", timezone="Asia/Bahrain", reference="BT-48213",
    )  # fmt: skip
    window = compute_window(case.submitted, country="BH")
    with i18n.using_language("zh_CN"):
        message = render_message(
            case, window, kind="deadline", key="k7m2qx:deadline:1", now=datetime(2026, 3, 25, 6, tzinfo=UTC)
        )
    assert apprise_notifier(f"json://127.0.0.1:{hook.port}/").send(message).ok
    (body,) = hook.bodies
    assert body["title"] == "注销漫游 eSIM：今天（2026年3月25日 星期三）是截止日期" == message.subject
    assert body["message"] == message.text.rstrip("\n")  # apprise drops the final line break
    assert "下一步：\n如果还没有收到处理结果" in body["message"]
    assert_no_english(body["title"] + "\n" + body["message"], allow={"Batelco"}, what="the apprise body")
