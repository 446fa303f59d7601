"""The daemon never goes blind, and a failed pass loses no work (issue 15, points 2 and 3); nor does
it run on with its old code on a database a newer reminder migrated.

The daemon runs as a real process on the real clock where it must see another process's
files; the failed-pass tests drive ``Daemon.tick`` in this process, with the database
locked by another connection as a running ``sqlite3`` shell or a stuck CLI would lock it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TmpEnv
from test_daemon import (
    _set_clock,
    add_cases,
    daemon_cmd,
    fake_env,
    needs_faketime,
    sink_lines,
    sqlite3_cli,
    start_daemon,
    wait_for,
    write_config,
)

from reminder import outbox, planning
from reminder.config import load_settings
from reminder.daemon import EXIT_STORE_LOST, Daemon, running_pid
from reminder.models import Case
from reminder.store import Store

pytestmark = pytest.mark.timeout(120)


def _daemon(tmp_env: TmpEnv) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reminder", "daemon"],
        env=tmp_env.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _started(proc: subprocess.Popen[str], tmp_env: TmpEnv) -> None:
    assert wait_for(lambda: running_pid(tmp_env.db_path.parent) == proc.pid, 30), proc.stderr
    # The first pass has opened the store once the overdue case's reminder reached the sink.
    sink = tmp_env.db_path.parent / "reminders.log"  # the log notifier's file
    assert wait_for(lambda: sink.exists() and sink.stat().st_size > 0, 30)


def _exit_of(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int | None, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return None, err
    return proc.returncode, err


def _config(tmp_env: TmpEnv) -> None:
    log = tmp_env.root / "daemon.log"
    tmp_env.write_config(f'[daemon]\nlog_file = "{log}"\nmax_sleep_seconds = 60\n')


@pytest.mark.parametrize("how", ["replaced", "wal deleted"])
@pytest.mark.sqlite_only("reads or tampers with the SQLite file itself")
def test_a_daemon_that_lost_its_database_file_says_so_and_exits(
    tmp_env: TmpEnv, run_cli: object, how: str
) -> None:
    """Before the fix it ran on, blind: `status` said running while it never saw a new case."""
    _config(tmp_env)
    cli = run_cli  # type: ignore[assignment]
    assert cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01").returncode == 0  # type: ignore[operator]
    proc = _daemon(tmp_env)
    try:
        _started(proc, tmp_env)
        db = tmp_env.db_path
        if how == "replaced":
            # A backup restored over the live file, as `cp` or a file manager does it.
            moved = db.with_name("old.db")
            os.rename(db, moved)
            with sqlite3.connect(moved) as src, sqlite3.connect(db) as dst:
                src.backup(dst)
        else:
            # What the os.close bug caused: someone else deletes the log the daemon has open.
            assert wait_for(lambda: Path(f"{db}-wal").exists(), 10)
            os.unlink(f"{db}-wal")
        os.kill(proc.pid, signal.SIGUSR1)  # the CLI's poke: look now
        code, err = _exit_of(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == EXIT_STORE_LOST, err
    assert "lost the database" in err, err


def _locked(db: Path) -> sqlite3.Connection:
    """Another connection holding the write lock, as a long transaction elsewhere would."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _db_files_open() -> int:
    return sum(
        "reminder.db" in os.readlink(f"/proc/self/fd/{fd}")
        for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")
    )


@pytest.mark.sqlite_only("locks the SQLite file and counts its open descriptors")
def test_a_replan_asked_at_start_up_survives_a_pass_that_failed(tmp_env: TmpEnv) -> None:
    """Before the fix the first pass cleared the request before it ran: with the database
    locked at start-up the re-plan was dropped for good, and a case never got reminders."""
    _config(tmp_env)
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    with Store(tmp_env.db_path) as store:
        # A case whose plan is missing (stored by an older version, or a crash before planning).
        store.add_case(
            Case(
                id="",
                title="t",
                organisation="o",
                submitted=date(2026, 3, 1),
                country="BH",
                timezone="Asia/Bahrain",
                created_at=now,
                updated_at=now,
            )
        )
    daemon = Daemon(load_settings, clock=lambda: now)
    daemon._notifiers = []  # nothing is due at this `now`; no notifier is needed

    def planned() -> int:
        with Store(tmp_env.db_path) as store:
            return int(store.conn.execute("SELECT count(*) FROM deliveries").fetchone()[0])

    before = _db_files_open()
    lock = _locked(tmp_env.db_path)
    try:
        for _ in range(2):
            with pytest.raises(Exception, match="locked"):
                daemon.tick(now)
    finally:
        lock.close()
    # The failed passes left no connection open behind them.
    assert _db_files_open() <= before
    assert planned() == 0
    daemon.tick(now)
    assert planned() > 0, "the re-plan asked at start-up was carried out once the store worked"
    daemon._close_store()


def test_a_sighup_during_a_pass_is_not_cleared_by_that_pass(tmp_env: TmpEnv) -> None:
    _config(tmp_env)
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    daemon = Daemon(load_settings, clock=lambda: now)
    daemon._notifiers = []
    asked: list[int] = []

    real = planning.replan_if_changed

    def replan_and_hup(store: Store, settings: object, *, now: datetime) -> int | None:
        if not asked:
            # SIGHUP arrives while this pass re-plans: it must be carried out by the next one.
            with daemon._flags.lock:
                daemon._flags.replan_asked += 1
                daemon._flags.reload = True
        asked.append(1)
        return real(store, settings, now=now)  # type: ignore[arg-type]

    planning.replan_if_changed = replan_and_hup  # type: ignore[assignment]
    try:
        daemon.tick(now)
        daemon.tick(now)
        daemon.tick(now)
    finally:
        planning.replan_if_changed = real  # type: ignore[assignment]
        daemon._close_store()
    assert len(asked) == 2, "the start-up re-plan, then the one SIGHUP asked for; no third"


@needs_faketime
def test_a_command_that_closes_its_output_before_it_exits_is_sent_under_libfaketime(
    tmp_env: TmpEnv,
) -> None:
    """The command notifier waited with Popen.wait(timeout), which polls with time.sleep; under
    libfaketime (how the daemon tests set its clock) that sleep fails with EINVAL, so a program
    still exiting after its output closed "failed" with OSError and was retried."""
    script = tmp_env.root / "slow-exit.sh"
    script.write_text("#!/bin/sh\ncat >/dev/null\nexec 1>&- 2>&-\nsleep 0.5\n")
    script.chmod(0o700)
    tmp_env.write_config(f'[notifiers.run]\ntype = "command"\nargv = ["{script}"]\n')
    add_cases(tmp_env, 1, date(2026, 3, 1))
    done = subprocess.run(
        [sys.executable, "-m", "reminder", "daemon", "--once"],
        env=fake_env(tmp_env, "2026-06-01 12:00:00"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Errno 22" not in done.stderr, done.stderr
    with Store(tmp_env.db_path) as store:
        rows = store.conn.execute(
            "SELECT status, last_error FROM deliveries WHERE notifier = 'run'"
        ).fetchall()
    assert any(status == "sent" for status, _ in rows), rows
    assert not [error for _, error in rows if error and "Errno" in error], rows


@needs_faketime
@pytest.mark.sqlite_only(
    "waits on the pid lock, which only a SQLite store has (shared daemons: test_daemon_shared.py)"
)
def test_a_running_daemon_looks_again_soon_after_the_wall_clock_goes_back(tmp_env: TmpEnv) -> None:
    """The pass is armed at a wall-clock time: after the clock went back eight months, APScheduler
    waited for the wall clock to reach it again (its waits are capped at 49 days). Before the fix
    nothing ran until a signal or a restart; now the main thread notices within max_sleep_seconds."""
    sink = write_config(tmp_env, max_sleep=1)
    stamp = tmp_env.root / "faketime.rc"
    stamp.write_text("@2026-09-01 12:00:00\n")
    env = fake_env(tmp_env, FAKETIME_TIMESTAMP_FILE=str(stamp), FAKETIME_NO_CACHE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reminder", "daemon"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert wait_for(lambda: running_pid(tmp_env.db_path.parent) == proc.pid, 30)
        wait_for(lambda: False, 2.0)  # the start-up pass has run and armed the next one
        back = stamp.with_suffix(".new")
        back.write_text("@2026-01-20 12:00:00\n")
        back.replace(stamp)  # atomically: libfaketime re-reads the file on every clock call
        # A case written straight into the store, as a second machine's CLI would (no poke).
        add_cases(tmp_env, 1, date(2026, 1, 4))
        sent = wait_for(lambda: sink.exists() and sink.stat().st_size > 0, 20)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert sent, f"nothing sent after the clock went back; stderr:\n{err}"
    assert "wall clock" in err, err


def _notifications(sock: socket.socket) -> Iterator[str]:
    """What the daemon tells systemd (NOTIFY_SOCKET), one datagram at a time, as they come."""
    while True:
        yield sock.recv(512).decode()


def _pending(sock: socket.socket) -> list[str]:
    """What the daemon told systemd and nobody read yet (it has ended: all of it is here)."""
    sock.setblocking(False)
    states = []
    with contextlib.suppress(BlockingIOError):
        while True:
            states.append(sock.recv(512).decode())
    return states


@needs_faketime
@pytest.mark.parametrize("woken", ["poked", "by its own next pass"])
@pytest.mark.sqlite_only(
    "migrates the SQLite file from another process (PostgreSQL: test_daemon_postgres.py)"
)
def test_a_daemon_whose_database_a_newer_reminder_migrated_stops_for_a_restart(
    tmp_env: TmpEnv, woken: str
) -> None:
    """reminder upgraded while its daemon runs: the new version's first command migrates the database.
    Before, the old daemon checked the schema only as it opened its store, and ran on with its old
    code: its passes read and wrote a schema it does not know, and once a reminder fell due the pass
    failed on the newer schema and was retried at a growing interval for ever, the service active and
    nothing sent until someone restarted it (the test failed so: no exit). Now the pass that finds
    the newer schema sends nothing, and the daemon stops with a status the unit restarts, so that the
    new code runs."""
    from reminder.daemon import EXIT_SCHEMA_UPGRADED
    from reminder.store import MIGRATIONS

    sink = write_config(tmp_env, max_sleep=60 if woken == "poked" else 1)
    (case_id,) = add_cases(tmp_env, 1, date(2026, 3, 1))
    with Store(tmp_env.db_path) as store:
        (row,) = [d for d in outbox.list_deliveries(store, case_id) if d.kind == "opened"]
    stamp = tmp_env.root / "faketime.rc"
    _set_clock(stamp, row.due - timedelta(hours=2))
    notify = tmp_env.root / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify))
        sock.settimeout(30)
        told = _notifications(sock)
        env = fake_env(
            tmp_env, FAKETIME_TIMESTAMP_FILE=str(stamp), FAKETIME_NO_CACHE="1", NOTIFY_SOCKET=str(notify)
        )
        proc = start_daemon(env, *daemon_cmd())
        try:
            # Ready, and the start-up pass is over (in either order): nothing was due.
            assert sorted([next(told), next(told)]) == ["READY=1", "WATCHDOG=1"]
            assert sink_lines(sink) == []
            # A newer reminder's first command, in another process: its migration's DDL and the
            # schema version, in one transaction.
            newer = len(MIGRATIONS) + 1
            migration = f"CREATE TABLE from_a_newer_reminder (x); PRAGMA user_version = {newer};"
            sqlite3_cli(tmp_env.db_path, f"BEGIN IMMEDIATE; {migration} COMMIT;")
            # The reminder falls due: the pass that finds the newer schema has it to send.
            _set_clock(stamp, row.due + timedelta(minutes=1))
            if woken == "poked":
                os.kill(proc.pid, signal.SIGUSR1)  # the CLI's poke
            code, err = _exit_of(proc)
            states = _pending(sock)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == EXIT_SCHEMA_UPGRADED == 75, err
    assert (
        f"the store was upgraded to schema {newer} by a newer reminder; this daemon (schema {newer - 1}) "
        "stops, exit status 75, so that the service restarts it with the new code"
    ) in err, err
    assert err.rstrip().endswith("reminder daemon stopped"), err
    assert "Traceback" not in err and "pass failed" not in err, err
    assert states[-2:] == [
        f"STATUS=the database was upgraded to schema {newer} by a newer reminder",
        "STOPPING=1",
    ]
    # Nothing was sent after the upgrade: the reminder is still planned, for the new code to send.
    assert sink_lines(sink) == []
    assert sqlite3_cli(tmp_env.db_path, f"SELECT status FROM deliveries WHERE id = {row.id}") == "planned"
    assert sqlite3_cli(tmp_env.db_path, "PRAGMA integrity_check") == "ok"
    assert running_pid(tmp_env.db_path.parent) is None


# A newer reminder's command, as the first one after an upgrade runs it: this code with one more
# migration (store.MIGRATIONS is looked up when the store opens, for tests like this one).
_NEWER_REMINDER = """
import sys
from reminder import store
def m_from_a_newer_reminder(conn):
    conn.execute("CREATE TABLE from_a_newer_reminder (x)")
store.MIGRATIONS = [*store.MIGRATIONS, m_from_a_newer_reminder]
from reminder.entry import run
sys.argv = ["reminder", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize("command", [["list"], ["status"], ["db", "migrate"]])
@pytest.mark.sqlite_only("the migration is SQLite's (MIGRATIONS); the daemon checks either backend alike")
def test_a_command_that_migrates_the_database_wakes_the_daemon_so_it_stops_at_once(
    tmp_env: TmpEnv, command: list[str]
) -> None:
    """The daemon looks for a newer schema at each pass; a command that changed rows pokes it, but
    one that only migrated (a read, `db migrate`) did not, so the old daemon ran on with its old
    code until its next wake-up (`max_sleep_seconds`: 60 s here; the test failed so, no exit
    within 15 s). Now a migration pokes it like a change, and it stops for the restart at once."""
    from reminder.daemon import EXIT_SCHEMA_UPGRADED

    write_config(tmp_env, max_sleep=60)
    add_cases(tmp_env, 1, date(2026, 3, 1))
    proc = start_daemon(tmp_env.env, *daemon_cmd())
    try:
        assert wait_for(lambda: running_pid(tmp_env.db_path.parent) == proc.pid, 15), (
            "the daemon did not start"
        )
        newer = subprocess.run(
            [sys.executable, "-c", _NEWER_REMINDER, *command],
            env=tmp_env.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert newer.returncode == 0, newer.stderr
        code, err = _exit_of(proc, timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert code == EXIT_SCHEMA_UPGRADED, err
    assert "by a newer reminder" in err, err
    assert sqlite3_cli(tmp_env.db_path, "PRAGMA integrity_check") == "ok"
