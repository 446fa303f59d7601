"""A SIGHUP that names another store, as real processes: a real daemon, real signals, a real SQLite
file and a real PostgreSQL server, the daemon's wall clock pinned with libfaketime, reminders
counted at an SMTP sink on loopback.

A daemon moved by a reload works on the new store whole: its passes, the connection it listens on
for other processes' changes (PostgreSQL), and its lock, which is how ``reminder status`` and the
CLI's wake-up find it (SQLite). A store it cannot move to is refused as a broken edit is: it keeps
the old one whole. Each daemon sleeps an hour between passes here, so a reminder that reaches the
sink within half a minute was sent because something woke the daemon, not by its capped sleep.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from shared_daemons import DaemonProcess, Sink, running_sink
from test_daemon import LIBFAKETIME, needs_faketime, wait_for

pytestmark = [pytest.mark.timeout(180), needs_faketime]

# The daemons' and the CLI's wall clock: a case submitted on 1 March is due for its "opened" reminder.
NOW = "2026-03-20 06:00:00"
SUBMITTED = "2026-03-01"
# Far beyond how long the tests wait: only a wake-up (the CLI's poke, a NOTIFY) can send in time.
SLEEP = 3600
SENT_WITHIN = 30.0  # seconds: a bound for a hung run, not a measure of speed


def config(port: int, path: Path, url: str | None = None) -> str:
    store = f'[store]\npath = "{path}"\n' + (f'url = "{url}"\n' if url else "")
    return (
        f"{store}\n[daemon]\nmax_sleep_seconds = {SLEEP}\nlease_seconds = 60\n\n"
        f'[notifiers.email]\nsecurity = "none"\nhost = "127.0.0.1"\nport = {port}\n'
        'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n'
    )


def faked(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "LD_PRELOAD": LIBFAKETIME[0],
        "FAKETIME": f"@{NOW}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def daemon_on(root: Path, port: int, path: Path, url: str | None = None) -> DaemonProcess:
    daemon = DaemonProcess(root, url or "unused", port, lease=60)
    daemon.config.write_text(config(port, path, url), encoding="utf-8")
    daemon.env = faked(daemon.env)
    return daemon


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args], env=env, capture_output=True, text=True, timeout=60
    )


def add_case(env: dict[str, str]) -> str:
    """A case added by the CLI (its config file: ``env``'s), its id."""
    add = cli(
        env, "add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", SUBMITTED, "--json"
    )
    assert add.returncode == 0, add.stderr
    return str(json.loads(add.stdout)["id"])


def received(sink: Sink, case_id: str) -> bool:
    """Whether the sink took a message of the case (its Message-ID is its reminder's key)."""
    with sink.lock:
        return any(mid.startswith(f"<{case_id}=3A") for mid in sink.ids)


def status(env: dict[str, str]) -> dict[str, Any]:
    run = cli(env, "status", "--json")
    assert run.returncode == 0, run.stderr
    info: dict[str, Any] = json.loads(run.stdout)
    return info


def integrity(db: Path) -> str:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def reload(daemon: DaemonProcess, text: str) -> None:
    daemon.config.write_text(text, encoding="utf-8")
    daemon.proc.send_signal(signal.SIGHUP)  # type: ignore[union-attr]


def test_a_reload_naming_another_sqlite_file_moves_the_daemons_lock_with_it(tmp_path: Path) -> None:
    # Before, the daemon's passes used the new file, but its lock stayed in the old directory: the
    # CLI, which wakes the daemon through the lock beside the store it changed, found none, so a
    # case added there waited for the daemon's capped sleep (an hour here); `status` on the new
    # store said no daemon ran; and a second daemon could start on the new file beside it.
    old, new = tmp_path / "old" / "reminder.db", tmp_path / "new" / "reminder.db"
    with running_sink() as (sink, port):
        daemon = daemon_on(tmp_path / "daemon", port, old)
        daemon.start()
        try:
            assert daemon.wait_ready(30), daemon.log_text()
            reload(daemon, config(port, new))
            from reminder.pidlock import running_pid

            # Not asserted: the sink says whether the move reached the lock.
            wait_for(lambda: running_pid(new.parent) == daemon.pid, SENT_WITHIN)
            case_id = add_case(daemon.env)
            assert wait_for(lambda: received(sink, case_id), SENT_WITHIN), daemon.log_text()
            assert running_pid(old.parent) is None, "the old directory's lock was let go"
            info = status(daemon.env)
            assert (info["running"], info["pid"]) == (True, daemon.pid), info
            second = cli({**daemon.env}, "daemon")
            assert second.returncode == 1, second.stderr
            assert f"already running (pid {daemon.pid})" in second.stderr, second.stderr
        finally:
            code = daemon.stop()
    log = daemon.log_text()
    assert code == 0, log
    assert f"reminder daemon now works on data in {new.parent} (was data in {old.parent})" in log, log
    assert "Traceback" not in log, log
    assert integrity(old) == "ok" and integrity(new) == "ok"


def test_a_reload_to_a_sqlite_file_another_daemon_runs_on_is_refused_whole(tmp_path: Path) -> None:
    old, new = tmp_path / "old" / "reminder.db", tmp_path / "new" / "reminder.db"
    with running_sink() as (sink, port):
        daemon = daemon_on(tmp_path / "daemon", port, old)
        other = daemon_on(tmp_path / "other", port, new)
        started = [daemon, other]
        try:
            for each in started:
                each.start()
                assert each.wait_ready(30), each.log_text()
            reload(daemon, config(port, new))
            assert wait_for(lambda: "config reload failed" in daemon.log_text(), SENT_WITHIN), (
                daemon.log_text()
            )
            # The CLI on the old store (a config naming it) wakes the daemon, which sends from it.
            old_config = tmp_path / "old.toml"
            old_config.write_text(config(port, old), encoding="utf-8")
            case_id = add_case({**daemon.env, "REMINDER_CONFIG": str(old_config)})
            assert wait_for(lambda: received(sink, case_id), SENT_WITHIN), daemon.log_text()
            assert status(daemon.env)["pid"] == other.pid
        finally:
            codes = [each.stop() for each in started]
    log = daemon.log_text()
    assert codes == [0, 0], log
    (line,) = [line for line in log.splitlines() if "config reload failed" in line]
    assert f"keeping the previous settings: cannot move to data in {new.parent}: " in line, line
    assert f"already running (pid {other.pid})" in line, line
    assert "now works on" not in log and "Traceback" not in log, log


def listening(url: str) -> bool:
    """Whether a connection listens for outbox changes on ``url``'s database, as the server sees it."""
    import psycopg

    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query = 'LISTEN reminder_outbox'",
            (dbname,),
        ).fetchone()
    return bool(row and row[0])


def test_a_reload_naming_another_database_moves_the_listening_connection_too(
    tmp_path: Path, pg_cluster: Any, pg_url: str
) -> None:
    # Before, the daemon's passes used the new database, but the connection it listens on for
    # other processes' changes stayed on the old one: a case another process added to the new
    # database waited for the daemon's capped sleep (an hour here; a minute by default).
    path = tmp_path / "data" / "reminder.db"
    with running_sink() as (sink, port), pg_cluster.database() as new_url:
        daemon = daemon_on(tmp_path / "daemon", port, path, pg_url)
        daemon.start()
        try:
            assert daemon.wait_ready(30), daemon.log_text()
            assert wait_for(lambda: listening(pg_url), SENT_WITHIN), daemon.log_text()
            reload(daemon, config(port, path, new_url))
            # Not asserted: the sink says whether the listener moved.
            wait_for(lambda: listening(new_url), SENT_WITHIN)
            case_id = add_case(daemon.env)  # the CLI on the new config: the new database
            assert wait_for(lambda: received(sink, case_id), SENT_WITHIN), daemon.log_text()
            assert not listening(pg_url), "the old database's listening connection was closed"
            (connected,) = status(daemon.env)["daemons"]["connected"]
            assert connected["pid"] == daemon.pid, connected
        finally:
            code = daemon.stop()
    log = daemon.log_text()
    assert code == 0, log
    new_name = new_url.rsplit("/", 1)[1]
    said = re.search(
        r"reminder daemon now works on database (\S+), this machine's files in .* \(was database (\S+),", log
    )
    assert said is not None, log
    assert said.group(1).endswith(f"/{new_name}") and said.group(2).endswith(pg_url.rsplit("/", 1)[1]), log
    # The daemon's clock (2026-03-20) is behind the server's, and its log says so in English.
    assert re.search(r"this machine's clock is \d+ s behind the database server's: ", log), log
    assert "Traceback" not in log, log


def test_a_reload_naming_a_database_the_server_refuses_keeps_the_old_one_whole(
    tmp_path: Path, pg_url: str
) -> None:
    # Before, the reload was taken: the passes failed on the missing database and were tried again
    # less and less often, while the listener still woke them for the old database's changes, which
    # none of them sent.
    path = tmp_path / "data" / "reminder.db"
    dbname = pg_url.rsplit("/", 1)[1]
    missing = pg_url.replace(f"/{dbname}", "/no_such_database")
    with running_sink() as (sink, port):
        daemon = daemon_on(tmp_path / "daemon", port, path, pg_url)
        daemon.start()
        try:
            assert daemon.wait_ready(30), daemon.log_text()
            assert wait_for(lambda: listening(pg_url), SENT_WITHIN), daemon.log_text()
            reload(daemon, config(port, path, missing))
            assert wait_for(lambda: "config reload failed" in daemon.log_text(), SENT_WITHIN), (
                daemon.log_text()
            )
            old_config = tmp_path / "old.toml"
            old_config.write_text(config(port, path, pg_url), encoding="utf-8")
            case_id = add_case({**daemon.env, "REMINDER_CONFIG": str(old_config)})
            assert wait_for(lambda: received(sink, case_id), SENT_WITHIN), daemon.log_text()
        finally:
            code = daemon.stop()
    log = daemon.log_text()
    assert code == 0, log
    (line,) = [line for line in log.splitlines() if "config reload failed" in line]
    assert "keeping the previous settings: cannot move to database " in line, line
    assert "no_such_database" in line and "now works on" not in log and "Traceback" not in log, log


def test_a_reload_from_a_sqlite_file_to_a_shared_database_and_back_moves_everything_each_time(
    tmp_path: Path, pg_url: str
) -> None:
    """The lock changes kind (``daemon.lock``, then ``daemons/<pid>.lock``, then ``daemon.lock``
    again), the connections are named after the daemon while it works on the database, and it
    listens there only then: each case, added by the CLI to the store the config names, is sent at
    once."""
    from reminder.pidlock import running_pid, running_pids

    first, second = tmp_path / "first" / "reminder.db", tmp_path / "second" / "reminder.db"
    with running_sink() as (sink, port):
        daemon = daemon_on(tmp_path / "daemon", port, first)
        daemon.start()
        try:
            assert daemon.wait_ready(30), daemon.log_text()
            reload(daemon, config(port, first, pg_url))
            wait_for(lambda: listening(pg_url), SENT_WITHIN)
            case_id = add_case(daemon.env)
            assert wait_for(lambda: received(sink, case_id), SENT_WITHIN), daemon.log_text()
            assert running_pid(first.parent) is None and running_pids(first.parent) == [daemon.pid]
            info = status(daemon.env)
            assert info["daemons"]["here"] == [daemon.pid], info
            assert [d["pid"] for d in info["daemons"]["connected"]] == [daemon.pid], info
            reload(daemon, config(port, second))
            wait_for(lambda: running_pid(second.parent) == daemon.pid, SENT_WITHIN)
            case_id = add_case(daemon.env)
            assert wait_for(lambda: received(sink, case_id), SENT_WITHIN), daemon.log_text()
            assert running_pids(first.parent) == [] and not listening(pg_url)
        finally:
            code = daemon.stop()
    log = daemon.log_text()
    assert code == 0, log
    assert log.count("reminder daemon now works on ") == 2, log
    assert "Traceback" not in log, log
    assert integrity(first) == "ok" and integrity(second) == "ok"
