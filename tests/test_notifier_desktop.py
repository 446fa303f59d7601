"""The desktop notifier over a private ``dbus-daemon`` with a recording notification server.

The server is a small org.freedesktop.Notifications service (dbus-fast) running
in a thread; it records every Notify call, and can hang or fail on demand.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pytest
from conftest import RunCli
from dbus_fast import DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusSignature
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

from reminder.models import Message
from reminder.notifiers import build_notifiers
from reminder.notifiers.desktop import DesktopNotifier, DesktopOptions, find_session_bus

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="dbus-daemon is not installed")

Str = Annotated[str, DBusSignature("s")]
U32 = Annotated[int, DBusSignature("u")]
I32 = Annotated[int, DBusSignature("i")]
StrList = Annotated[list[str], DBusSignature("as")]
Hints = Annotated[dict[str, Any], DBusSignature("a{sv}")]
Info = Annotated[list[str], DBusSignature("ssss")]

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass
class Call:
    app_name: str
    summary: str
    body: str
    urgency: int | None
    expire: int


@dataclass
class Behaviour:
    mode: str = "ok"  # "ok", "hang" or "fail"
    calls: list[Call] = field(default_factory=list)


class FakeNotifications(ServiceInterface):  # type: ignore[misc]
    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.behaviour = behaviour
        self.next_id = 0

    @dbus_method()
    async def Notify(
        self, app_name: Str, replaces_id: U32, icon: Str, summary: Str, body: Str, actions: StrList,
        hints: Hints, expire: I32,
    ) -> U32:  # fmt: skip
        if self.behaviour.mode == "hang":
            await asyncio.sleep(30)
        if self.behaviour.mode == "fail":
            raise DBusError("org.freedesktop.Notifications.Error.Busy", "too many notifications")
        urgency = hints.get("urgency")
        self.behaviour.calls.append(
            Call(app_name, summary, body, None if urgency is None else urgency.value, expire)
        )
        self.next_id += 1
        return self.next_id

    @dbus_method()
    def GetCapabilities(self) -> StrList:
        return ["body", "actions"]

    @dbus_method()
    def GetServerInformation(self) -> Info:
        return ["fake", "reminder-tests", "1.0", "1.2"]

    @dbus_method()
    def CloseNotification(self, nid: U32):  # type: ignore[no-untyped-def]
        return None

    @dbus_signal()
    def NotificationClosed(self) -> Annotated[list[int], DBusSignature("uu")]:
        return [0, 0]

    @dbus_signal()
    def ActionInvoked(self) -> Annotated[list[Any], DBusSignature("us")]:
        return [0, ""]


@pytest.fixture(scope="module")
def bus_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("dbus")
    config = directory / "session.conf"
    config.write_text(BUS_CONFIG.format(dir=directory))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    assert address.startswith("unix:"), address
    try:
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=5)


@pytest.fixture
def server(bus_address: str) -> Iterator[Behaviour]:
    """A notification server on the private bus, for one test."""
    behaviour = Behaviour()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        bus = await MessageBus(bus_address=bus_address).connect()
        bus.export("/org/freedesktop/Notifications", FakeNotifications(behaviour))
        await bus.request_name("org.freedesktop.Notifications")
        state["bus"] = bus
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=5)
    assert ready.wait(5)
    try:
        yield behaviour
    finally:

        async def stop() -> None:
            state["bus"].disconnect()
            await state["bus"].wait_for_disconnect()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


@pytest.fixture
def on_bus(bus_address: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)
    return bus_address


def msg(kind: str = "deadline", urgency: str = "normal", i: int = 1) -> Message:
    return Message(
        key=f"c{i}:{kind}:0",
        case_id=f"c{i}",
        kind=kind,
        subject=f"Cancel roaming eSIM {i}: {kind}",
        text="Today is the deadline.\nReference: R-1",
        urgency=urgency,  # type: ignore[arg-type]
    )


def desktop(**options: Any) -> DesktopNotifier:
    return DesktopNotifier(DesktopOptions(**{"timeout": 5, **options}))


def test_delivers_to_the_notification_server(server: Behaviour, on_bus: str) -> None:
    n = desktop()
    assert n.availability() == (True, "")
    result = n.send(msg())
    assert result.ok, result.detail
    assert result.detail == f"dispatched to {on_bus}"
    (call,) = server.calls
    assert call == Call(
        "reminder", "Cancel roaming eSIM 1: deadline", "Today is the deadline.\nReference: R-1", 2, -1
    )


@pytest.mark.parametrize(
    ("kind", "urgency", "expected"),
    [
        ("before_open", "low", 0),
        ("opened", "normal", 1),
        ("before_deadline", "normal", 1),
        ("deadline", "normal", 2),  # critical at and after the deadline, whatever the message says
        ("escalation", "low", 2),
        ("opened", "critical", 2),
    ],
)
def test_urgency_by_kind(server: Behaviour, on_bus: str, kind: str, urgency: str, expected: int) -> None:
    assert desktop().send(msg(kind, urgency)).ok
    assert server.calls[0].urgency == expected


def test_batch(server: Behaviour, on_bus: str) -> None:
    results = desktop(expire=20).send_batch([msg(i=i) for i in range(4)])
    assert [r.ok for r in results] == [True] * 4
    assert [c.summary for c in server.calls] == [f"Cancel roaming eSIM {i}: deadline" for i in range(4)]
    assert {c.expire for c in server.calls} == {20_000}


def test_bus_without_a_notification_server(on_bus: str) -> None:
    n = desktop()
    available, why = n.availability()
    assert not available
    assert why == f"no notification server (org.freedesktop.Notifications) on the session bus {on_bus}"
    result = n.send(msg())
    # desktop-notifier returned an id, but on_dispatched never fired: not delivered.
    # There is a bus: what is missing is the server, and saying "no bus" sends people looking
    # for the wrong thing.
    assert (result.ok, result.problem, result.detail) == (False, "no-server", why)


def test_notify_test_names_a_bus_without_a_notification_server(bus_address: str, run_cli: RunCli) -> None:
    result = run_cli("notify", "test", "--notifier", "desktop", env={"DBUS_SESSION_BUS_ADDRESS": bus_address})
    assert result.returncode == 1, result.stderr
    assert result.stdout.split()[:3] == ["desktop", "FAILED", "(no-server)"], result.stdout
    assert "no notification server (org.freedesktop.Notifications) on the session bus" in result.stdout
    assert "no-bus" not in result.stdout


def test_server_error_is_reported(server: Behaviour, on_bus: str) -> None:
    server.mode = "fail"
    result = desktop().send(msg())
    assert (result.ok, result.problem) == (False, "error")
    assert "too many notifications" in result.detail


def test_hanging_server_times_out(server: Behaviour, on_bus: str) -> None:
    server.mode = "hang"
    results = desktop(timeout=0.3).send_batch([msg(i=1), msg(i=2)])
    assert [(r.ok, r.problem) for r in results] == [(False, "timeout")] * 2
    assert results[0].detail == "timeout: the notification server did not answer within 0.3s"


@pytest.mark.parametrize(
    ("env", "why"),
    [
        (
            {},
            "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and {tmp}/bus does not exist "
            "(is a desktop session running for this user?)",
        ),
        (
            {"DBUS_SESSION_BUS_ADDRESS": "unix:path={tmp}/gone"},
            "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS points to {tmp}/gone, which does not exist",
        ),
    ],
)
def test_no_session_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], why: str
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    for k, v in env.items():
        monkeypatch.setenv(k, v.format(tmp=tmp_path))
    n = desktop()
    assert n.availability() == (False, why.format(tmp=tmp_path))
    result = n.send(msg())
    assert (result.ok, result.problem, result.retryable) == (False, "no-bus", True)
    assert n.describe()["bus"] == why.format(tmp=tmp_path)


def test_finds_the_bus_in_xdg_runtime_dir(
    server: Behaviour, bus_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a daemon started by systemd sees: no DBUS_SESSION_BUS_ADDRESS, but $XDG_RUNTIME_DIR/bus.
    socket_path = bus_address.split("path=", 1)[1].split(",", 1)[0]
    (tmp_path / "bus").symlink_to(socket_path)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert find_session_bus() == (f"unix:path={tmp_path}/bus", f"{tmp_path}/bus")
    n = desktop()
    assert n.availability() == (True, "")
    assert n.send(msg()).ok
    assert len(server.calls) == 1
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ  # restored after the batch


def test_works_when_called_from_inside_an_event_loop(server: Behaviour, on_bus: str) -> None:
    async def inside() -> bool:
        return desktop().send(msg()).ok

    assert asyncio.run(inside())
    assert len(server.calls) == 1


def test_options_from_config() -> None:
    (n,) = build_notifiers(
        {"desktop": {"critical_kinds": ["escalation"], "kinds": ["deadline", "escalation"]}}
    )
    assert isinstance(n, DesktopNotifier)
    assert n.accepts("deadline") and not n.accepts("opened")
    from reminder.errors import ConfigError

    with pytest.raises(ConfigError, match=r"notifiers.desktop.critical_kinds: unknown reminder kind"):
        build_notifiers({"desktop": {"critical_kinds": ["soon"]}})


def test_a_reminder_shows_a_short_body_with_the_warning_in_one_line(server: Behaviour, on_bus: str) -> None:
    from datetime import UTC, date, datetime

    from reminder.messages import render_message
    from reminder.models import Case
    from reminder.window import compute_window

    case = Case(
        id="k7m2qx", title="Cancel roaming eSIM", organisation="Batelco", submitted=date(2026, 3, 1),
        country="BH", timezone="Asia/Bahrain", reference="BT-48213", channels=("hotline 196",),
    )  # fmt: skip
    window = compute_window(case.submitted, country="BH")
    warning = "Fraudsters call people who are waiting on exactly this kind of request:\nnever give a code."
    before = datetime(2026, 3, 22, 6, 0, tzinfo=UTC)  # 09:00 in Bahrain; the deadline is 2026-03-25
    message = render_message(
        case, window, kind="before_deadline", key="k7m2qx:before_deadline:1", now=before, warning=warning
    )
    assert desktop().send(message).ok
    (call,) = server.calls
    lines = call.body.splitlines()
    # What is due and the days left, the next step, and the warning on one line: not the e-mail.
    assert lines[0] == "Deadline Wed 2026-03-25: 3 days left"
    assert lines[1].startswith("Next: A decision may come any day now")
    assert (
        lines[2]
        == "⚠ Fraudsters call people who are waiting on exactly this kind of request: never give a code."
    )
    assert len(lines) == 3
    assert "Organisation" not in call.body and "Evidence so far" not in call.body


def test_a_reminder_in_chinese_shows_its_chinese_short_body(server: Behaviour, on_bus: str) -> None:
    from datetime import UTC, date, datetime

    from english_leaks import assert_no_english

    from reminder import i18n
    from reminder.messages import render_message
    from reminder.models import Case
    from reminder.shipped import SIM_CANCELLATION_WARNING
    from reminder.window import compute_window

    case = Case(
        id="k7m2qx", title="注销漫游 eSIM", organisation="Batelco", submitted=date(2026, 3, 1),
        country="BH", timezone="Asia/Bahrain", reference="BT-48213", channels=("hotline 196",),
    )  # fmt: skip
    window = compute_window(case.submitted, country="BH")
    with i18n.using_language("zh_CN"):
        message = render_message(
            case, window, kind="before_deadline", key="k7m2qx:before_deadline:1",
            now=datetime(2026, 3, 22, 6, 0, tzinfo=UTC), warning=SIM_CANCELLATION_WARNING,
        )  # fmt: skip
    assert desktop().send(message).ok
    (call,) = server.calls
    assert call.summary == "注销漫游 eSIM：审核期已开始，距截止日期（2026年3月25日 星期三）还有 3 天"
    assert call.body.splitlines() == [
        "截止日期：2026年3月25日 星期三，还剩 3 天",
        "下一步：处理结果随时可能出来：请向机构查询办理进度，"
        "并把对方的答复记为证据（reminder evidence add）。",
        "⚠ 骗子专找正在等待此类申请结果的人打电话：无论来电者自称是谁，都不要把验证码告诉对方。",
    ]
    assert_no_english(call.summary + "\n" + call.body, what="the notification")
