"""``reminder service install`` as a subprocess: the unit it writes, and its exit status.

No systemd user manager runs in the test environment (a container has no systemd as PID 1),
so "a manager answers" is a stand-in ``systemctl`` script on PATH that records its calls:
the only fake here, and it only answers what the real one would.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

EMAIL = """
[notifiers.email]
host = "smtp.gmail.com"
username = "me@gmail.com"
password_env = "SMTP_PASSWORD"
sender = "me@gmail.com"
recipients = ["me@gmail.com"]
"""


def install(tmp_env: TmpEnv, *args: str, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", "service", "install", *args],
        env={**tmp_env.env, "PATH": path, **env},
        capture_output=True,
        text=True,
    )


def unit_text(tmp_env: TmpEnv) -> str:
    return (tmp_env.config_home / "systemd" / "user" / "reminder.service").read_text()


def exec_start(tmp_env: TmpEnv) -> list[str]:
    line = next(x for x in unit_text(tmp_env).splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def fake_systemctl(tmp_env: TmpEnv, *, enable_fails: bool = False) -> tuple[str, Path]:
    """A directory for PATH with a `systemctl` that answers like a running user manager."""
    bin_dir = tmp_env.root / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_env.root / "systemctl.calls"
    script = bin_dir / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{calls}"\n'
        'case "$2" in\n'
        "  is-system-running) echo running ;;\n"
        "  is-active) echo active ;;\n"
        "  is-enabled) echo enabled ;;\n"
        + ('  enable) echo "Failed to enable unit: Access denied" >&2; exit 1 ;;\n' if enable_fails else "")
        + "esac\nexit 0\n"
    )
    script.chmod(0o755)
    return str(bin_dir), calls


def test_without_systemd_the_unit_is_written_but_install_fails(tmp_env: TmpEnv) -> None:
    empty = tmp_env.root / "no-systemd"
    empty.mkdir()
    result = install(tmp_env, path=str(empty))
    assert result.returncode == 1, (result.stdout, result.stderr)
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith("Error: ") and "no systemd user manager" in error
    assert "systemctl --user enable --now reminder.service" in result.stdout
    assert "ExecStart=" in unit_text(tmp_env)
    # Only writing the unit was asked for: that worked.
    assert install(tmp_env, "--no-start", path=str(empty)).returncode == 0
    # Asked whether it runs, status said only where the unit is, as if all were well: it says
    # that it cannot tell here, and what tells where a user manager answers.
    status = subprocess.run(
        [sys.executable, "-m", "reminder", "service", "status"],
        env={**tmp_env.env, "PATH": str(empty)}, capture_output=True, text=True,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    assert "No systemd user manager answers here" in status.stdout
    assert "systemctl --user status reminder.service" in status.stdout


def test_the_unit_runs_the_config_in_use_and_says_how_a_password_reaches_it(tmp_env: TmpEnv) -> None:
    config = tmp_env.write_config(EMAIL)  # found through $REMINDER_CONFIG, not --config
    result = install(tmp_env, "--no-start", path=os.environ["PATH"])
    assert result.returncode == 0, result.stderr
    args = exec_start(tmp_env)
    assert args[-3:] == ["--config", str(config.resolve()), "daemon"]
    env_file = tmp_env.config_home / "reminder" / "service.env"
    assert f"EnvironmentFile=-{env_file}" in unit_text(tmp_env).splitlines()
    # The password's variable is named, with where to put it (or password_file instead).
    assert "SMTP_PASSWORD" in result.stdout and str(env_file) in result.stdout
    assert "password_file" in result.stdout
    data = json.loads(install(tmp_env, "--no-start", "--json", path=os.environ["PATH"]).stdout)
    assert data["config_path"] == str(config.resolve()) and data["environment_file"] == str(env_file)
    assert any("SMTP_PASSWORD" in note for note in data["notes"])
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    runtime = tmp_env.root / "runtime"
    runtime.mkdir(mode=0o700)
    check = subprocess.run(
        [analyze, "--user", "verify", str(tmp_env.config_home / "systemd" / "user" / "reminder.service")],
        env={**tmp_env.env, "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_a_config_path_with_spaces_stays_one_argument(tmp_env: TmpEnv) -> None:
    config = tmp_env.root / "my files" / "100% reminder.toml"
    config.parent.mkdir()
    config.write_text("")
    result = install(tmp_env, "--no-start", path=os.environ["PATH"], REMINDER_CONFIG=str(config))
    assert result.returncode == 0, result.stderr
    line = next(x for x in unit_text(tmp_env).splitlines() if x.startswith("ExecStart="))
    assert "100%% reminder.toml" in line  # systemd expands % specifiers: a literal % is %%
    assert exec_start(tmp_env)[-2].replace("%%", "%") == str(config)


def test_with_a_user_manager_it_enables_and_starts_the_service(tmp_env: TmpEnv) -> None:
    path, calls = fake_systemctl(tmp_env)
    result = install(tmp_env, path=f"{path}:{os.environ['PATH']}")
    assert result.returncode == 0, result.stderr
    assert "--user daemon-reload" in calls.read_text()
    assert "--user enable --now reminder.service" in calls.read_text()
    assert "active: active" in result.stdout


def test_a_failed_enable_is_a_failed_install(tmp_env: TmpEnv) -> None:
    path, _ = fake_systemctl(tmp_env, enable_fails=True)
    result = install(tmp_env, path=f"{path}:{os.environ['PATH']}")
    assert result.returncode == 1, result.stdout
    assert "Access denied" in result.stderr and "Traceback" not in result.stderr
    assert stat.S_ISREG((tmp_env.config_home / "systemd" / "user" / "reminder.service").stat().st_mode)


def test_the_service_uses_the_data_directories_the_installer_saw(tmp_env: TmpEnv, run_cli: RunCli) -> None:
    """A service does not see the shell's variables. With XDG_DATA_HOME set where the unit was
    installed, its daemon opened ~/.local/share instead: another, empty store, and another
    evidence key, without a word (found by a new user's walkthrough; the test failed before)."""
    case_id = json.loads(
        run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json").stdout
    )["id"]
    result = install(tmp_env, "--no-start", path=os.environ["PATH"])
    assert result.returncode == 0, result.stderr
    unit = unit_text(tmp_env).splitlines()
    pinned = dict(
        shlex.split(line.removeprefix("Environment="))[0].replace("%%", "%").split("=", 1)
        for line in unit
        if line.startswith("Environment=") and "PYTHONUNBUFFERED" not in line
    )
    assert pinned == {
        name: tmp_env.env[name] for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "LANG")
    }
    # The daemon's environment as systemd makes it: the unit's variables, a home of its own.
    service_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_env.root / "service-home"), **pinned}
    argv = exec_start(tmp_env)
    listed = subprocess.run(
        [sys.executable, "-m", "reminder", *argv[1:-1], "list", "--json"],
        env=service_env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert [c["id"] for c in json.loads(listed.stdout)] == [case_id]


def test_the_service_speaks_the_language_the_installer_read(tmp_env: TmpEnv) -> None:
    """A Chinese user with LANG set in the shell (not in the user manager) got every command in
    Chinese and every reminder of the daemon in the system's language: the unit did not carry the
    locale (found by a new user's walkthrough; the test failed before)."""
    zh = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh", "LC_ALL": ""}
    result = install(tmp_env, "--no-start", path=os.environ["PATH"], **zh)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("已写入单元文件：")
    unit = unit_text(tmp_env).splitlines()
    assert 'Environment="LANG=zh_CN.UTF-8"' in unit and 'Environment="LANGUAGE=zh_CN:zh"' in unit
    assert not any(line.startswith('Environment="LC_ALL=') for line in unit)  # set empty: not carried
    pinned = dict(
        shlex.split(line.removeprefix("Environment="))[0].replace("%%", "%").split("=", 1)
        for line in unit
        if line.startswith("Environment=")
    )
    # The daemon's environment as systemd makes it (the manager's own LANG is English here).
    service_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_env.root / "service-home"), "LANG": "C.UTF-8"}
    service_env.update(pinned)
    argv = exec_start(tmp_env)
    window = subprocess.run(
        [
            sys.executable,
            "-m",
            "reminder",
            *argv[1:-1],
            "window",
            "--country",
            "BH",
            "--submitted",
            "2026-03-01",
        ],
        env=service_env,
        capture_output=True,
        text=True,
    )
    assert window.returncode == 0, window.stderr
    assert window.stdout.startswith("BH · 提交于 2026年3月1日"), window.stdout
