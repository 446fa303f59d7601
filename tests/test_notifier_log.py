"""The log notifier: one fsynced JSON line per reminder, plus a log line."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminder.models import Message
from reminder.notifiers import build_notifiers
from reminder.notifiers.log import LogNotifier, LogOptions

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def ticking(start: datetime):  # type: ignore[no-untyped-def]
    state = {"now": start}

    def clock() -> datetime:
        now = state["now"]
        state["now"] = now + timedelta(seconds=1)
        return now

    return clock


def msg(i: int, **kw: object) -> Message:
    return Message(
        key=f"c{i}:deadline:0",
        case_id=f"c{i}",
        kind="deadline",
        subject=f"Case {i} is due",
        text=f"line one\nline two é {i}",
        **kw,
    )  # type: ignore[arg-type]


def test_lines_hold_the_contract_fields(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "sub" / "reminders.log"
    notifier = LogNotifier(LogOptions(), clock=ticking(T0), context=_ctx(log_file=path))
    caplog.set_level(logging.INFO, logger="reminder.notifiers.log")
    results = notifier.send_batch([msg(1), msg(2)])
    assert all(r.ok for r in results)
    assert notifier.send(msg(3)).ok
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # ends with a newline: never half a line
    records = [json.loads(line) for line in lines[:-1]]
    assert [r["key"] for r in records] == ["c1:deadline:0", "c2:deadline:0", "c3:deadline:0"]
    assert (
        records[0].items()
        >= {
            "case_id": "c1",
            "kind": "deadline",
            "subject": "Case 1 is due",
            "sent_at": "2026-03-10T09:00:00+00:00",
        }.items()
    )
    assert records[2]["sent_at"] == "2026-03-10T09:00:02+00:00"
    assert records[0]["text"] == "line one\nline two é 1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "reminder c2 [deadline] Case 2 is due" in caplog.text


def test_path_option_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (notifier,) = build_notifiers(
        {"log": {"path": "out/r.log"}},
        config_file=tmp_path / "reminder.toml",
        log_file=tmp_path / "ignored.log",
    )
    assert notifier.send(msg(1)).ok
    assert (tmp_path / "out" / "r.log").exists()
    assert not (tmp_path / "ignored.log").exists()


def test_default_path_is_the_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (notifier,) = build_notifiers({})
    assert notifier.send(msg(1)).ok
    assert (tmp_path / "data" / "reminder" / "reminders.log").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory_is_a_failure_not_an_exception(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    notifier = LogNotifier(LogOptions(path=ro / "r.log"))
    assert notifier.availability()[0] is False
    result = notifier.send(msg(1))
    assert not result.ok and "cannot open" in result.detail


def test_unopenable_path_is_a_failure_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "dir.log").mkdir()  # a directory where the file should be
    notifier = LogNotifier(LogOptions(path=tmp_path / "dir.log"))
    result = notifier.send(msg(1))
    assert not result.ok and result.retryable and "cannot open" in result.detail


def test_describe(tmp_path: Path) -> None:
    notifier = LogNotifier(LogOptions(path=tmp_path / "r.log", kinds=["deadline"]))
    assert (
        notifier.describe().items()
        >= {
            "name": "log",
            "type": "log",
            "enabled": True,
            "kinds": ["deadline"],
            "path": str(tmp_path / "r.log"),
        }.items()
    )


def _ctx(**kw: object):  # type: ignore[no-untyped-def]
    from reminder.notifiers.base import NotifierContext

    return NotifierContext(**kw)  # type: ignore[arg-type]
