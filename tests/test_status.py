"""``reminder status`` about reminders a daemon was sending when it was killed, as real processes: a
daemon whose command notifier runs for 1,000 s is killed with SIGKILL mid-send, and ``status`` must
say that no running daemon holds the reminder, and when it goes again; then a daemon sends it, and
the sink (the command notifier's file) gets it. On SQLite the row has no lease: the next daemon to
start sends it at once. On PostgreSQL it has one: no daemon sends it before the lease passes.

The daemons' and the CLI's wall clocks are pinned with libfaketime (the one taking the reminder over
has its clock moved past the lease, as the hours that pass in between would).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from shared_daemons import DaemonProcess
from test_daemon import LIBFAKETIME, SLOW_COMMAND, _set_clock, needs_faketime, wait_for

pytestmark = [pytest.mark.timeout(180), needs_faketime]

NOW = datetime(2026, 3, 20, 6, tzinfo=UTC)
LEASE = 600  # seconds: far beyond the test's own waits, so that only a clock moved past it ends it


def config(root: Path, argv: list[str], url: str | None) -> str:
    store = f'[store]\npath = "{root.parent / "data" / "reminder.db"}"\n' + (
        f'url = "{url}"\n' if url else ""
    )
    return (
        f"{store}\n[daemon]\nmax_sleep_seconds = 3600\nlease_seconds = {LEASE}\n\n"
        f"[notifiers.command]\nargv = {json.dumps(argv)}\ntimeout = 5000\n"
    )


def daemon(root: Path, argv: list[str], url: str | None, stamp: Path) -> DaemonProcess:
    """A daemon of its own config (its notifier ``argv``) on the one store, its clock read from ``stamp``."""
    made = DaemonProcess(root, url or "unused", 25, lease=LEASE)
    made.config.write_text(config(root, argv, url), encoding="utf-8")
    made.env.update(
        LD_PRELOAD=LIBFAKETIME[0],
        FAKETIME_DONT_FAKE_MONOTONIC="1",
        FAKETIME_TIMESTAMP_FILE=str(stamp),
        FAKETIME_NO_CACHE="1",
    )
    return made


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args], env=env, capture_output=True, text=True, timeout=60
    )


def status(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    runs = [cli(env, "status", "--json"), cli(env, "status")]
    for run in runs:
        assert run.returncode == 0, run.stderr
    info: dict[str, Any] = json.loads(runs[0].stdout)
    return info, runs[1].stdout


def show(env: dict[str, str], case_id: str) -> tuple[dict[str, Any], str]:
    """``show ID``'s row being sent (its --json), and its text's line under that row."""
    runs = [cli(env, "show", case_id, "--json"), cli(env, "show", case_id)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    (row,) = [r for r in json.loads(runs[0].stdout)["reminders"] if r["status"] == "sending"]
    lines = runs[1].stdout.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("    ") and line.endswith(" sending")]
    return row, lines[at + 1] if at + 1 < len(lines) else ""


def killed_mid_send(tmp_path: Path, url: str | None) -> tuple[DaemonProcess, Path, Path, list[int], str]:
    """A case whose reminder is due, and a daemon killed with SIGKILL while its command notifier
    sends it; that daemon, the clock's file, the sink file, the notifier's pids (to kill), and the
    case's id."""
    stamp = tmp_path / "faketime.rc"
    _set_clock(stamp, NOW)
    script = tmp_path / "slow-notifier"
    script.write_text(SLOW_COMMAND.format(seconds=1000))
    script.chmod(0o755)
    killed = daemon(tmp_path / "killed", [str(script)], url, stamp)
    add = cli(killed.env, "add", "--title", "Refund", "--org", "Zain", "--submitted", "2026-03-01", "--json")
    assert add.returncode == 0, add.stderr
    case_id = json.loads(add.stdout)["id"]
    killed.start()
    pids = Path(f"{script}.pids")
    assert wait_for(lambda: pids.exists() or not killed.running(), 30), killed.log_text()
    # While it sends, it holds the reminder, and says so.
    info, text = status(killed.env)
    assert info["next"]["status"] == "sending", info
    assert info["next"]["held_by"]["pid"] == killed.pid and info["next"]["held_by"]["running"] is True, info
    # Which daemon (before, "being sent by the daemon", whichever of several it was).
    sender = f"being sent by the daemon with pid {killed.pid} on {os.uname().nodename}"
    assert sender in text, text
    row, under = show(killed.env, case_id)  # show says it as status does
    assert row["held_by"] == info["next"]["held_by"], (row, info)
    assert under == "      " + sender, under
    killed.kill()
    sink = tmp_path / "sink.txt"
    return killed, stamp, sink, [int(p) for p in pids.read_text().split()], case_id


def sink_command(sink: Path) -> list[str]:
    return ["/bin/sh", "-c", f'echo "$REMINDER_KEY" >> "{sink}"']


def kill_all(pids: list[int]) -> None:
    for pid in pids:  # leave no `sleep 1000` behind
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_status_on_a_shared_store_says_a_killed_daemons_reminder_waits_for_its_lease(
    tmp_path: Path, pg_url: str
) -> None:
    # Before, with another daemon running, `status` said "being sent by the daemon" for as long as
    # the killed daemon's lease held (5 minutes by default); with none, "it goes again when the
    # daemon starts", which a daemon starting then does not do before the lease passes.
    killed, stamp, sink, pids, case_id = killed_mid_send(tmp_path, pg_url)
    try:
        info, text = status(killed.env)
        held = info["next"]["held_by"]
        assert (held["pid"], held["host"], held["running"]) == (killed.pid, os.uname().nodename, False), info
        until = datetime.fromisoformat(held["until"])
        assert NOW + timedelta(seconds=LEASE) <= until <= NOW + timedelta(seconds=LEASE + 60), held
        assert [(h["pid"], h["running"], h["sending"]) for h in info["held"]] == [(killed.pid, False, 1)], (
            info
        )
        assert info["running"] is False, info
        zone = info["next"]["timezone"]  # the time it goes again, in the case's zone as its due time
        local = until.astimezone(ZoneInfo(zone))
        said = (
            f"held by a daemon that is no longer running (pid {killed.pid} on {held['host']}): "
            "it goes again after"
        )
        assert said in text and f"{local:%H:%M} {zone}\n" in text, text
        assert "when the daemon starts" not in text and "being sent" not in text, text
        # show said "sending" and nothing more, as if it were being sent (failed before).
        row, under = show(killed.env, case_id)
        assert row["held_by"] == held, row
        assert under.startswith("      " + said) and under.endswith(f"{local:%H:%M} {zone}"), under
        summary = (
            r"held:      1 reminder is held by a daemon that is no longer running; "
            r"it goes again in 1[01] min\n"
        )
        assert re.search(summary, text), text
        # Another daemon runs, on another config's notifier: it does not take the reminder over
        # while the lease holds, and `status` does not take it for the sender.
        other = daemon(tmp_path / "other", sink_command(sink), pg_url, stamp)
        other.start()
        try:
            assert other.wait_ready(30), other.log_text()
            info, text = status(other.env)
            assert info["running"] is True and info["next"]["held_by"]["running"] is False, info
            assert "being sent" not in text and said in text, text
            # Its clock past the lease, as the minutes passing would: it sends the reminder.
            _set_clock(stamp, until + timedelta(seconds=5))
            other.proc.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]  # a pass now
            assert wait_for(lambda: sink.exists() and sink.read_text().strip(), 30), other.log_text()
        finally:
            assert other.stop() == 0, other.log_text()
    finally:
        kill_all(pids)
    info, text = status(killed.env)
    assert info["held"] == [] and info["counts"]["sending"] == 0 and info["counts"]["sent"] >= 1, info
    assert "held:" not in text, text


def test_status_on_sqlite_says_a_killed_daemons_reminder_goes_when_a_daemon_starts(tmp_path: Path) -> None:
    killed, stamp, sink, pids, case_id = killed_mid_send(tmp_path, None)
    try:
        info, text = status(killed.env)
        held = info["next"]["held_by"]
        assert (held["pid"], held["running"], held["until"]) == (killed.pid, False, None), info
        assert [(h["pid"], h["running"], h["sending"]) for h in info["held"]] == [(killed.pid, False, 1)], (
            info
        )
        assert "left sending when a daemon stopped: it goes again when the daemon starts" in text, text
        assert "being sent" not in text and "held:" not in text, text
        # show said "sending" and nothing more, as if it were being sent (failed before).
        row, under = show(killed.env, case_id)
        assert row["held_by"] == held, row
        assert under == "      left sending when a daemon stopped: it goes again when the daemon starts", (
            under
        )
        # No lease on SQLite (one daemon per file): the next daemon sends it at once.
        nxt = daemon(tmp_path / "next", sink_command(sink), None, stamp)
        nxt.start()
        try:
            assert wait_for(lambda: sink.exists() and sink.read_text().strip(), 30), nxt.log_text()
        finally:
            assert nxt.stop() == 0, nxt.log_text()
    finally:
        kill_all(pids)
    info, _text = status(killed.env)
    assert info["held"] == [] and info["counts"]["sending"] == 0, info
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "reminder.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
