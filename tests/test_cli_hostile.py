"""Input no one means to give, and a machine in trouble: bytes that are not UTF-8, a date in year 1,
a full disk. Each gets one line on stderr and an exit status, never a traceback, and leaves
nothing half-written behind.

The full disk is real: a 64 KiB tmpfs, filled up, mounted in a private mount namespace
(``unshare -m``), so the test needs root (or CAP_SYS_ADMIN) and is skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def run_bytes(tmp_env: TmpEnv, *args: str | bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args],
        env=tmp_env.env,
        cwd=tmp_env.root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _add(run_cli: RunCli) -> str:
    result = run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json")
    assert result.returncode == 0, result.stderr
    case_id: str = json.loads(result.stdout)["id"]
    return case_id


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["add", "--title", b"bad\xff", "--org", "o", "--submitted", "2026-03-01"], "--title"),
        (["add", "--title", "t", b"--org=\xe9cole", "--submitted", "2026-03-01"], "--org"),
        (["show", b"\xfe\xff"], "argument"),
    ],
)
def test_arguments_that_are_not_utf8_are_refused_in_one_line(
    tmp_env: TmpEnv, run_cli: RunCli, args: list[str | bytes], option: str
) -> None:
    line = one_line_error(run_bytes(tmp_env, *args))
    assert "not valid UTF-8" in line and option in line, line
    assert "\\x" in line  # the bad bytes are shown, escaped
    assert not tmp_env.db_path.exists() or json.loads(run_cli("list", "--json").stdout) == []


def test_evidence_summary_that_is_not_utf8_records_nothing(tmp_env: TmpEnv, run_cli: RunCli) -> None:
    case_id = _add(run_cli)
    line = one_line_error(
        run_bytes(tmp_env, "evidence", "add", case_id, "--kind", "call", "--summary", b"\xff")
    )
    assert "--summary" in line and "not valid UTF-8" in line
    assert json.loads(run_cli("evidence", "list", case_id, "--json").stdout)["entries"] == []


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00", "0001-01-01", "0001-01-01T00:00+00:00", "1066-10-14T09:00"]
)
def test_evidence_at_the_start_of_time_is_refused(run_cli: RunCli, at: str) -> None:
    case_id = _add(run_cli)
    one_line_error(run_cli("evidence", "add", case_id, "--kind", "call", "--summary", "s", "--at", at))
    assert json.loads(run_cli("evidence", "list", case_id, "--json").stdout)["entries"] == []


# --- a full disk ---------------------------------------------------------------------------------


def _can_mount() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="mounting a tmpfs needs root (unshare -m)")


def on_full_disk(tmp_env: TmpEnv, disk: Path, *args: str, env: dict[str, str]) -> tuple[int, str, str, str]:
    """Run ``reminder ARGS`` with a full 64 KiB tmpfs at ``disk``; (exit status, stdout, stderr,
    ``find`` listing of the disk afterwards with sizes: the tmpfs vanishes with the namespace)."""
    disk.mkdir(exist_ok=True)
    out, err, listing = (tmp_env.root / n for n in ("out.txt", "err.txt", "listing.txt"))
    script = (
        'mount -t tmpfs -o size=64k tmpfs "$1" || exit 99\n'
        'dd if=/dev/zero of="$1/.filler" bs=4k 2>/dev/null\n'
        'shift; "$@" >"$OUT" 2>"$ERR"; rc=$?\n'
        'find "$DISK" -mindepth 1 ! -name .filler -printf "%P %s %y\\n" | sort >"$LISTING"\n'
        "exit $rc\n"
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(disk), sys.executable, "-m", "reminder", *args],
        env={
            **tmp_env.env,
            **env,
            "OUT": str(out),
            "ERR": str(err),
            "LISTING": str(listing),
            "DISK": str(disk),
        },
        cwd=tmp_env.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 99, proc.stderr
    return proc.returncode, out.read_text(), err.read_text(), listing.read_text()


@needs_mount
def test_config_init_on_a_full_disk_leaves_no_empty_config_behind(tmp_env: TmpEnv) -> None:
    disk = tmp_env.root / "disk"
    target = disk / "reminder.toml"
    code, _out, err, listing = on_full_disk(
        tmp_env, disk, "config", "init", env={"REMINDER_CONFIG": str(target)}
    )
    assert code == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert str(target) in err and "No space left on device" in err
    assert "reminder.toml" not in listing, listing  # neither the file nor a temporary one


@needs_mount
@pytest.mark.sqlite_only("the pid lock file, which only a SQLite store has")
def test_daemon_lock_on_a_full_disk_is_one_line_and_exit_1(tmp_env: TmpEnv) -> None:
    disk = tmp_env.root / "disk"
    code, _out, err, _listing = on_full_disk(
        tmp_env, disk, "daemon", "--once", env={"REMINDER_STORE__PATH": str(disk / "data" / "reminder.db")}
    )
    assert code == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "daemon.lock" in err and "No space left on device" in err
    assert os.path.exists(tmp_env.root / "err.txt")
