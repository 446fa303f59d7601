"""The notifier registry: building from [notifiers.*] tables, errors, and entry-point plugins."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reminder.errors import ConfigError
from reminder.models import Message
from reminder.notifiers import (
    BUILTIN_NOTIFIERS,
    available_notifier_classes,
    build_notifiers,
    render_test_message,
)
from reminder.notifiers.base import DeliveryResult, Notifier
from reminder.notifiers.log import LogNotifier

sys.path.insert(0, str(Path(__file__).parent))
from plugins.install import install_plugin

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CFG = Path("/etc/reminder/config.toml")


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(target))
    yield target
    sys.modules.pop("reminder_echo", None)


def test_empty_tables_give_the_log_notifier(tmp_path: Path) -> None:
    notifiers = build_notifiers({}, log_file=tmp_path / "r.log")
    assert [type(n) for n in notifiers] == [LogNotifier]
    assert notifiers[0].path == tmp_path / "r.log"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("tables", "labels", "types"),
    [
        ({"log": {}}, ["log"], ["log"]),
        ({"log": {"enabled": False}, "command": {"argv": ["true"]}}, ["command"], ["command"]),
        (
            {
                "work-mail": {
                    "type": "email",
                    "host": "127.0.0.1",
                    "security": "none",
                    "sender": "a@b.c",
                    "recipients": ["x@y.z"],
                },
                "home-mail": {
                    "type": "email",
                    "host": "localhost",
                    "security": "none",
                    "sender": "a@b.c",
                    "recipients": ["x@y.z"],
                },
            },
            ["work-mail", "home-mail"],
            ["email", "email"],
        ),
        ({"log": {"kinds": ["deadline", "escalation"]}}, ["log"], ["log"]),
    ],
)
def test_build_cases(tables: dict[str, dict[str, Any]], labels: list[str], types: list[str]) -> None:
    notifiers = build_notifiers(tables, config_file=CFG)
    assert [n.label for n in notifiers] == labels
    assert [n.name for n in notifiers] == types


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        (
            {"email": {"port": "abc", "host": "h", "sender": "a@b.cd", "recipients": ["c@d.ef"]}},
            "/etc/reminder/config.toml: notifiers.email.port: Input should be a valid integer",
        ),
        ({"log": {"colour": "red"}}, "notifiers.log.colour: unknown key"),
        (
            {"pager": {}},
            "notifiers.pager: unknown notifier 'pager'; valid: apprise, command, desktop, email, log",
        ),
        ({"x": {"type": "smtp"}}, "notifiers.x.type: unknown notifier 'smtp'"),
        (
            {"log": {"kinds": ["deadlin"]}},
            "notifiers.log.kinds: unknown reminder kind 'deadlin'",
        ),
        ({"log": {"enabled": "perhaps"}}, "notifiers.log.enabled: Input should be a valid boolean"),
        # Disabled tables are validated too.
        (
            {"log": {"enabled": False, "level": "LOUD"}},
            "notifiers.log.level: level must be one of",
        ),
        ({"log": "yes"}, "notifiers.log: expected a table"),
    ],
)
def test_config_errors_name_file_key_and_problem(tables: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_notifiers(tables, config_file=CFG)
    assert expected in str(info.value)
    assert str(info.value).startswith(f"{CFG}: ")


def test_all_disabled_gives_none_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    assert build_notifiers({"log": {"enabled": False}}) == []
    assert "disabled" in caplog.text


@pytest.mark.parametrize(
    ("kinds", "kind", "accepted"),
    [
        (None, "deadline", True),
        (["deadline"], "deadline", True),
        (["deadline"], "opened", False),
        ([], "opened", False),
    ],
)
def test_accepts(kinds: list[str] | None, kind: str, accepted: bool, tmp_path: Path) -> None:
    (notifier,) = build_notifiers({"log": {"kinds": kinds, "path": str(tmp_path / "l")}})
    assert notifier.accepts(kind) is accepted


def test_builtins_are_registered_without_entry_points() -> None:
    classes = available_notifier_classes()
    for name in BUILTIN_NOTIFIERS:
        assert classes[name].name == name
        assert issubclass(classes[name], Notifier)


def test_plugin_discovered_through_entry_points(plugin: Path) -> None:
    assert "echo" in available_notifier_classes()
    (echo,) = build_notifiers({"pager": {"type": "echo", "prefix": "p"}})
    assert echo.name == "echo" and echo.label == "pager"
    message = render_test_message(NOW)
    assert echo.send(message) == DeliveryResult(ok=True, retryable=False)
    import reminder_echo

    assert reminder_echo.SENT[-1] == ("pager", f"p:{message.key}")


def test_plugin_options_validated(plugin: Path) -> None:
    with pytest.raises(ConfigError, match=r"notifiers.echo.prefix: Input should be a valid string"):
        build_notifiers({"echo": {"prefix": 3}})


def test_plugin_cannot_replace_a_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.syspath_prepend(str(install_plugin(tmp_path / "site", name="log")))
    assert available_notifier_classes()["log"] is LogNotifier
    assert "is a built-in" in caplog.text


def test_broken_plugin_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.syspath_prepend(str(install_plugin(tmp_path / "site", name="broken", value="no_such_mod:X")))
    assert "broken" not in available_notifier_classes()
    assert "could not be loaded" in caplog.text


def test_render_test_message() -> None:
    m = render_test_message(NOW)
    assert isinstance(m, Message)
    assert m.key == "test:20260310T090000+0000" and m.kind == "test"
    assert "2026-03-10T09:00:00+00:00" in m.text
    json.dumps(dict(m.data))
    with pytest.raises(ValueError):
        render_test_message(datetime(2026, 3, 10))


def test_example_config_notifier_tables_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    from reminder.notifiers import parse_notifier_tables

    example = Path(__file__).parent.parent / "config" / "reminder.example.toml"
    lines = example.read_text().splitlines()
    start = lines.index("# [notifiers.email]")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    tables = tomllib.loads("\n".join(block))["notifiers"]
    assert set(tables) == {"email", "desktop", "apprise", "command", "log"}
    specs = parse_notifier_tables(tables)
    assert [s.cls.name for s in specs] == ["email", "desktop", "apprise", "command", "log"]


def test_our_own_entry_points_for_builtins_are_quietly_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # pyproject.toml registers the built-ins in the group too; the explicit registry wins, silently.
    site = install_plugin(tmp_path / "site", name="email", value="reminder.notifiers.email:EmailNotifier")
    monkeypatch.syspath_prepend(str(site))
    from reminder.notifiers.email import EmailNotifier

    assert available_notifier_classes()["email"] is EmailNotifier
    assert caplog.text == ""
