"""What ``reminder notifiers`` says about the built-ins without importing them (catalogue.py).

The listing on the embedded defaults reads the catalogue instead of the classes (which would
import pydantic): these tests hold the two to one answer, and check what the command imports
(read from ``python -X importtime``, not timed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TmpEnv

from reminder.notifiers import BUILTIN_NOTIFIERS, available_notifier_classes
from reminder.notifiers.base import NotifierContext
from reminder.notifiers.catalogue import (
    builtin_environment,
    builtin_summary,
    default_log_file,
    default_log_settings,
    log_file_availability,
)
from reminder.notifiers.log import LogNotifier, LogOptions

NOTIFIER_MODULES = {target.partition(":")[0] for target in BUILTIN_NOTIFIERS.values()}


@pytest.fixture
def no_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))


def reminder(tmp_env: TmpEnv, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**tmp_env.env, "LANG": lang, "XDG_RUNTIME_DIR": str(tmp_env.root / "run")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=tmp_env.root, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.mark.usefixtures("no_bus")
def test_each_class_answers_as_the_catalogue() -> None:
    classes = available_notifier_classes()
    assert list(classes)[: len(BUILTIN_NOTIFIERS)] == list(BUILTIN_NOTIFIERS)
    for name in BUILTIN_NOTIFIERS:
        cls = classes[name]
        assert cls.summary == builtin_summary(name) and cls.summary, name
        assert cls.environment() == builtin_environment(name), name
    assert builtin_environment("desktop")[0] is False  # the check ran: no bus in this test


@pytest.mark.parametrize("exists", [True, False])
def test_the_default_log_notifier_is_described_as_built(tmp_path: Path, exists: bool) -> None:
    path = tmp_path / "data" / "reminder" / "reminders.log"
    if exists:
        path.parent.mkdir(parents=True)
        path.touch()
    notifier = LogNotifier(LogOptions(), context=NotifierContext(log_file=path))
    assert default_log_settings(path) == notifier.describe()
    assert list(default_log_settings(path)) == list(notifier.describe())  # --json keeps the order
    assert log_file_availability(path) == notifier.availability() == (True, "")


@pytest.mark.parametrize(
    "environ",
    [{"XDG_DATA_HOME": "/srv/data"}, {"XDG_DATA_HOME": ""}, {"XDG_DATA_HOME": "relative", "HOME": "/home/u"}],
)
def test_the_default_log_file_is_in_platformdirs_data_directory(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from platformdirs import user_data_path

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert default_log_file() == user_data_path("reminder") / "reminders.log"
    assert LogNotifier(LogOptions()).path == default_log_file()


def test_the_default_listing_is_the_classes_own(tmp_env: TmpEnv) -> None:
    """`reminder notifiers --json` on the defaults: the rows the classes give, built as before."""
    listed = json.loads(reminder(tmp_env, "-m", "reminder", "notifiers", "--json").stdout)
    code = (
        "import json\n"
        "from reminder.notifiers import available_notifier_classes\n"
        "from reminder.notifiers.check import NotifierRow\n"
        "from reminder.notifiers.log import LogNotifier\n"
        "rows = []\n"
        "for name, cls in available_notifier_classes().items():\n"
        "    if name == 'log':\n"
        "        n = LogNotifier(LogNotifier.Options())\n"
        "        ok, why = n.availability()\n"
        "        rows.append(NotifierRow('log', 'log', 'built-in', False, True, ok,\n"
        "            why or 'the default: no [notifiers] table in the config', cls.summary, n.describe()))\n"
        "    else:\n"
        "        ok, why = cls.environment()\n"
        "        rows.append(NotifierRow(name, name, 'built-in', False, False, ok, why, cls.summary))\n"
        "print(json.dumps([r.to_dict() for r in rows]))\n"
    )
    expected = json.loads(reminder(tmp_env, "-c", code).stdout)
    assert listed == expected
    assert [row["name"] for row in listed] == list(BUILTIN_NOTIFIERS)
    assert listed[0]["settings"]["path"] == str(tmp_env.data_home / "reminder" / "reminders.log")


@pytest.mark.parametrize(
    ("lang", "default", "summary"),
    [
        (
            "C.UTF-8",
            "the default: no [notifiers] table in the config",
            "e-mail over SMTP (STARTTLS, TLS or a loopback relay)",
        ),
        (
            "zh_CN.UTF-8",
            "默认：配置中没有 [notifiers] 表",
            "通过 SMTP 发送电子邮件（STARTTLS、TLS 或本机中继）",
        ),
    ],
)
def test_the_default_listing_in_both_languages(
    tmp_env: TmpEnv, lang: str, default: str, summary: str
) -> None:
    lines = reminder(tmp_env, "-m", "reminder", "notifiers", lang=lang).stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(BUILTIN_NOTIFIERS)
    assert lines[0].endswith(default)
    assert lines[1].endswith(summary)
    assert "DBUS_SESSION_BUS_ADDRESS" in lines[2]


# The command run as `python -m reminder` does, printing at exit every module it loaded: the
# notifier classes are imported with importlib.import_module, which `-X importtime` does not show.
LOADED_AT_EXIT = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('LOADED', *sorted(sys.modules), file=sys.stderr))\n"
    "sys.argv[0] = 'reminder'\n"
    "runpy.run_module('reminder', run_name='__main__', alter_sys=True)\n"
)


def loaded(tmp_env: TmpEnv, *args: str) -> set[str]:
    result = reminder(tmp_env, "-c", LOADED_AT_EXIT, *args)
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED ")]
    return set(line.split()[1:])


def test_the_default_listing_imports_neither_pydantic_nor_the_notifiers(tmp_env: TmpEnv) -> None:
    reminder(tmp_env, "-m", "reminder", "notifiers")  # the first command keeps the settings (settings_cache)
    modules = loaded(tmp_env, "notifiers")
    assert {"reminder.notifiers.check", "reminder.notifiers.catalogue", "reminder.cli"} <= modules
    heavy = {"pydantic", "importlib.metadata", "reminder.notifiers.base", *NOTIFIER_MODULES}
    assert not heavy & modules, sorted(heavy & modules)


def test_a_configured_table_is_still_validated_by_its_class(tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        '[notifiers.email]\nhost = "mail.example.org"\nsender = "a@b.c"\nrecipients = ["d@e.f"]\n'
    )
    reminder(tmp_env, "-m", "reminder", "notifiers")
    modules = loaded(tmp_env, "notifiers")
    assert {"pydantic", "reminder.notifiers.email"} <= modules
    assert "reminder.notifiers.desktop" not in modules  # the others still come from the catalogue


@pytest.mark.parametrize("command", [("notifiers",), ("config", "check")])
def test_an_email_table_is_listed_and_checked_without_the_sending_side(
    tmp_env: TmpEnv, command: tuple[str, ...]
) -> None:
    # Built, its password file read, described: smtplib, the e-mail's rendering and the SMTP
    # transactions wait for a send.
    tmp_env.write_config(
        '[notifiers.email]\nhost = "mail.example.org"\nsender = "a@b.c"\nrecipients = ["d@e.f"]\n'
        'username = "u"\npassword_file = "password"\n'
    )
    password = tmp_env.config_path.parent / "password"
    password.write_text("s3cret\n", encoding="utf-8")
    password.chmod(0o600)
    reminder(tmp_env, "-m", "reminder", *command)
    modules = loaded(tmp_env, *command)
    assert {"reminder.notifiers.email", "reminder.notifiers.email_options"} <= modules
    sending = {"smtplib", "reminder.notifiers.smtp", "reminder.notifiers.email_render"}
    assert not sending & modules, sorted(sending & modules)
