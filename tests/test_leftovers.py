"""Temporary files a crash leaves behind: made by real processes killed with SIGKILL, swept at start.

The writers are the real CLI (``evidence add --file``, ``export``) killed mid-write; the
sweep runs in the real daemon. The only thing faked is the files' age: a leftover is
swept once it is a few minutes old, and the test sets its mtime back rather than wait.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

from reminder import leftovers

pytestmark = pytest.mark.timeout(180)

BIG = 160 << 20  # large enough that a copy or an export is still writing when it is killed


def big_file(path: Path, last: bytes) -> Path:
    """A sparse file of zeros ending in ``last`` (a different ending, a different blob)."""
    with path.open("wb") as fh:
        fh.truncate(BIG - len(last))
        fh.seek(BIG - len(last))
        fh.write(last)
    return path


def kill_when(
    cmd: list[str], env: dict[str, str], cwd: Path, appears: Callable[[], list[Path]]
) -> list[Path]:
    """Run ``cmd`` and SIGKILL it as soon as ``appears()`` finds its temporary file."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:
            found = appears()
            if found:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                return found
            time.sleep(0.001)
        pytest.fail(f"{cmd[3:5]} ended before its temporary file was seen: {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def age(path: Path, minutes: float) -> None:
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_a_killed_evidence_add_and_export_leave_nothing_after_the_daemon_starts(
    tmp_env: TmpEnv, run_cli: RunCli
) -> None:
    sink = tmp_env.root / "sink.jsonl"
    tmp_env.write_config(f'[daemon]\nlog_file = "{sink}"\nmax_sleep_seconds = 1\n')
    added = run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json")
    assert added.returncode == 0, added.stderr
    case_id = added.stdout.split('"id": "')[1].split('"')[0]
    one = big_file(tmp_env.root / "one.pdf", b"1")
    stored = run_cli("evidence", "add", case_id, "--kind", "letter", "--summary", "s", "--file", str(one))
    assert stored.returncode == 0, stored.stderr

    reminder = [sys.executable, "-m", "reminder"]
    out = tmp_env.root / "exports"
    out.mkdir()

    def export_tmp(name: str) -> Callable[[], list[Path]]:
        return lambda: sorted(out.glob(f".{name}.*.tmp"))

    (old_export,) = kill_when(
        [*reminder, "export", case_id, "--format", "zip", "-o", str(out / "old.zip")],
        tmp_env.env,
        tmp_env.root,
        export_tmp("old.zip"),
    )
    (young_export,) = kill_when(
        [*reminder, "export", case_id, "--format", "zip", "-o", str(out / "young.zip")],
        tmp_env.env,
        tmp_env.root,
        export_tmp("young.zip"),
    )
    attachments = tmp_env.db_path.parent / "attachments"
    two = big_file(tmp_env.root / "two.pdf", b"2")
    (incoming,) = kill_when(
        [*reminder, "evidence", "add", case_id, "--kind", "letter", "--summary", "s", "--file", str(two)],
        tmp_env.env,
        tmp_env.root,
        lambda: sorted(attachments.glob("*/.incoming-*")),
    )
    young_incoming = incoming.parent / ".incoming-written-just-now"
    young_incoming.write_bytes(b"x")
    for path in (old_export, incoming):
        age(path, 30)

    proc = subprocess.Popen(
        [*reminder, "daemon"], env=tmp_env.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        end = time.monotonic() + 20
        while time.monotonic() < end and (old_export.exists() or incoming.exists()):
            time.sleep(0.05)
        left = [p.name for p in (old_export, incoming) if p.exists()]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert not left, f"the daemon left {left} behind"
    # What a live writer could still be writing (younger than the threshold) is left alone.
    assert young_export.exists() and young_incoming.exists()
    # The stored attachment and the log around it are untouched.
    verify = run_cli("evidence", "verify", case_id)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_sweep_spares_young_files_and_files_a_live_writer_holds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    blobs = data / "attachments" / "ab"
    blobs.mkdir(parents=True)
    now = datetime.now(UTC)
    dead = blobs / ".incoming-dead"
    held = blobs / ".incoming-held"
    young = blobs / ".incoming-young"
    blob = blobs / "ab12"  # a stored attachment: never a leftover, however old
    for path in (dead, held, young, blob):
        path.write_bytes(b"x")
    for path in (dead, held, blob):
        age(path, 30)
    with held.open("rb") as fh:
        # The lock a writer holds from creating its temporary file until it is renamed.
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        removed = leftovers.sweep(data, now=now)
        assert held.exists()
    assert removed == [dead]
    assert sorted(p.name for p in blobs.iterdir()) == sorted([held.name, young.name, blob.name])
    # Once its writer is gone, the held one goes at the next sweep.
    assert leftovers.sweep(data, now=now) == [held]


def test_a_writer_outside_the_data_directory_is_tracked_until_it_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    target = tmp_path / "elsewhere" / "out.zip"
    journal = leftovers.journal_dir(data)
    with leftovers.atomic_file(target, journal=journal) as fh:
        fh.write(b"half")
        (tmp,) = target.parent.glob(".out.zip.*.tmp")
        age(tmp, 30)
        # Old but still being written: its writer holds it, so the sweep must not touch it.
        assert leftovers.sweep(data, now=datetime.now(UTC) + timedelta(hours=1)) == []
        assert tmp.exists()
    assert target.read_bytes() == b"half"
    assert list(target.parent.iterdir()) == [target]
    assert list(journal.iterdir()) == [], "a finished write leaves no journal entry"
    assert (target.stat().st_mode & 0o777) == 0o600


def test_a_failed_write_removes_its_temporary_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    target = tmp_path / "out.html"
    with (
        pytest.raises(RuntimeError),
        leftovers.atomic_file(target, journal=leftovers.journal_dir(data)) as fh,
    ):
        fh.write(b"half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.glob(".out.html.*")) == []
    assert list(leftovers.journal_dir(data).iterdir()) == []


def test_a_journal_entry_cannot_make_the_sweep_delete_another_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    journal = leftovers.journal_dir(data)
    journal.mkdir(parents=True)
    precious = tmp_path / "thesis.pdf"
    precious.write_bytes(b"x")
    age(precious, 60)
    marker = journal / "0123456789abcdef"
    marker.write_bytes(os.fsencode(precious))
    age(marker, 60)
    assert leftovers.sweep(data, now=datetime.now(UTC)) == []
    assert precious.exists()
    assert not marker.exists(), "an entry that names no temporary file is dropped"
