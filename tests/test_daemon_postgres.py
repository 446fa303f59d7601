"""One daemon on a PostgreSQL store, as a real process on the tests' real server: a login, database or right
the server refuses, or a schema newer than it knows, stops it at start (exit 2, one line), a server it cannot
reach is waited for, a refusal after a good start is retried, and a schema a newer reminder migrated to while
they run stops them for a restart; ``reminder status`` says which daemons run, here and connected to the
database; and the lock file a killed daemon left is removed by the next one to start, or by a running one
within the hour.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pg_cluster import PASSWORD_ROLE, grant_password_role
from shared_daemons import (
    DaemonProcess,
    daemon_config,
    environment,
    free_port,
    insert_cases,
    running_sink,
    seed,
)
from test_cli_cases import ok, one_line_error
from test_daemon import LIBFAKETIME, _set_clock, needs_faketime, wait_for

from reminder.backends import redact_url

pytestmark = pytest.mark.timeout(120)

SECRET = "hunter2-not-it"


def refused_or_skip(url: str) -> None:
    """The tests' own server asks PASSWORD_ROLE for a password; one they were pointed at may not."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError:
        return
    pytest.skip("this server lets the role in without the password")


def configured(root: Path, url: str) -> dict[str, str]:
    """A daemon's environment, its config file (REMINDER_CONFIG) naming ``url``."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "reminder.toml"
    config.write_text(daemon_config(url, root / "data", free_port(), lease=60), encoding="utf-8")
    return environment(root, config)


@pytest.mark.parametrize("refused", ["password", "database"])
def test_a_login_or_database_the_server_refuses_stops_the_daemon_at_start(
    tmp_path: Path, pg_url: str, refused: str
) -> None:
    # Before, it logged the error every 30 s for ever, and systemd showed it active.
    dbname = pg_url.rsplit("/", 1)[1]
    if refused == "password":
        url = pg_url.replace("postgres@", f"{PASSWORD_ROLE}:{SECRET}@")
        refused_or_skip(url)
        said = "the password is wrong or missing"
    else:
        url = pg_url.replace("postgres@", f"postgres:{SECRET}@").replace(f"/{dbname}", "/no_such_database")
        said = "the server has no database of that name"
    env = configured(tmp_path, url)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "reminder", "daemon"], env=env, capture_output=True, text=True, timeout=60
    )
    took = time.monotonic() - started
    line = one_line_error(run, 2)  # exit 2, one line, no traceback
    assert took < 15, took
    assert line.startswith(f"Error: {env['REMINDER_CONFIG']}: store.url: "), line
    assert said in line and "waiting will not fix this" in line, line
    assert SECRET not in run.stdout + run.stderr and ":***@" in line, line


def stops_at_start(env: dict[str, str]) -> str:
    """Run the daemon, which must stop at once with one line (exit 2, no traceback): that line."""
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "reminder", "daemon"], env=env, capture_output=True, text=True, timeout=30
    )
    took = time.monotonic() - started
    line = one_line_error(run, 2)
    assert took < 15, took
    assert line.startswith(f"Error: {env['REMINDER_CONFIG']}: store.url: "), line
    assert "waiting will not fix this" in line, line
    return line


@pytest.mark.parametrize("lacks", ["connect", "tables"])
def test_a_role_without_the_rights_it_needs_stops_the_daemon_at_start(
    tmp_path: Path, pg_url: str, lacks: str
) -> None:
    # Before, it logged "cannot reach the database yet" (no CONNECT) or "pass failed" (no rights on
    # the tables, SQLSTATE 42501) every 30 s for ever, and systemd showed it active.
    import psycopg

    from reminder.store import Store

    dbname = pg_url.rsplit("/", 1)[1]
    role = f"reminder_no_{lacks}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            f"DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        if lacks == "connect":
            admin.execute(f'REVOKE CONNECT ON DATABASE "{dbname}" FROM PUBLIC')
    if lacks == "tables":
        Store(tmp_path / "unused.db", url=pg_url).close()  # the superuser's tables: the role has no rights
    url = pg_url.replace("postgres@", f"{role}:{SECRET}@")
    line = stops_at_start(configured(tmp_path, url))
    assert "denied this role a right it needs" in line and "grant it CONNECT" in line, line
    said = f'database "{dbname}"' if lacks == "connect" else "table"
    assert f"permission denied for {said}" in line, line
    assert SECRET not in line and ":***@" in line, line


def test_a_database_a_newer_reminder_upgraded_stops_the_daemon_at_start(tmp_path: Path, pg_url: str) -> None:
    # Before, it logged "cannot reach the database yet" every 30 s for ever, and systemd showed it active.
    import psycopg

    from reminder.store import Store

    Store(tmp_path / "unused.db", url=pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("UPDATE reminder_schema SET version = 999")
    line = stops_at_start(configured(tmp_path, pg_url))
    assert "the database has schema version 999, newer than this reminder knows" in line, line
    assert "upgrade reminder here too" in line, line


def test_daemons_on_a_database_a_newer_reminder_migrated_each_stop_for_a_restart(
    tmp_path: Path, pg_url: str
) -> None:
    """Two daemons, as on two machines, when reminder is upgraded on a third and migrates the database:
    each finds the newer schema on its own next pass, sends nothing, and exits 75 for its service to
    restart it (the restarted one, if still the old code, stops at start: the test above). Before,
    both ran on with their old code, the passes failing and retried for ever (the test failed so)."""
    import psycopg

    from reminder import api
    from reminder.config import load_settings
    from reminder.store import Store

    with running_sink() as (sink, port):
        daemons = [DaemonProcess(tmp_path / name, pg_url, port, lease=60) for name in ("a", "b")]
        sockets = []
        for daemon in daemons:
            # A minute's sleep: between passes, only the poke and the outbox's NOTIFY wake them.
            config = daemon_config(pg_url, daemon.root / "data", port, lease=60, max_sleep=60)
            daemon.config.write_text(config, encoding="utf-8")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(daemon.root / "notify.sock"))
            sock.settimeout(30)
            sockets.append(sock)
            daemon.env["NOTIFY_SOCKET"] = str(daemon.root / "notify.sock")
        try:
            for daemon in daemons:
                daemon.start()
            for sock in sockets:  # each one's start-up pass is over
                while sock.recv(512) != b"WATCHDOG=1":
                    pass
            settings = load_settings(daemons[0].config)
            # A store opened before the upgrade, which keeps writing after it (as the daemons' own
            # connections could): it plans reminders that are due at once.
            with Store(Path(settings.store.path), url=pg_url) as store:
                newer = store.schema_version + 1
                with psycopg.connect(pg_url) as admin:  # the newer reminder's migration, one transaction
                    admin.execute("CREATE TABLE from_a_newer_reminder (x integer)")
                    admin.execute(f"UPDATE reminder_schema SET version = {newer}")
                now = datetime.now(UTC)
                insert_cases(store, 3, now=now, days_ago=lambda i: 45, prefix="c", batch=10)
                api.replan_all(store, settings, now=now)
            for daemon in daemons:
                daemon.proc.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]  # the CLI's poke
            codes = [daemon.wait_stopped(30) for daemon in daemons]
        finally:
            for daemon in daemons:
                daemon.stop()
            for sock in sockets:
                sock.close()
    logs = "".join(daemon.log_text() for daemon in daemons)
    assert codes == [75, 75], logs
    said = (
        f"upgraded to schema {newer} by a newer reminder; this daemon (schema {newer - 1}) stops, exit status"
    )
    assert all(said in daemon.log_text() for daemon in daemons), logs
    assert "Traceback" not in logs, logs
    # Nothing was sent after the upgrade, by either: the reminders wait for the new code.
    assert sink.count() == 0
    with psycopg.connect(pg_url) as admin:
        statuses = dict(admin.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
    assert set(statuses) == {"planned"}, statuses
    # Each stopped as on SIGTERM: its daemons/<pid>.lock is gone.
    assert [list((daemon.root / "data" / "daemons").iterdir()) for daemon in daemons] == [[], []]


def test_the_lock_file_of_a_killed_daemon_is_removed_by_the_next_and_a_live_ones_never(
    tmp_path: Path, pg_url: str
) -> None:
    # Before, each daemon killed with SIGKILL left its daemons/<pid>.lock for good.
    def daemon(name: str) -> DaemonProcess:
        made = DaemonProcess(tmp_path / name, pg_url, 25, lease=60)
        if name != "killed":  # every one on the killed one's data directory, as on one machine
            made.config.write_text((tmp_path / "killed" / "reminder.toml").read_text(encoding="utf-8"))
        return made

    locks = tmp_path / "killed" / "data" / "daemons"

    def lock_files() -> set[str]:
        return {path.name for path in locks.iterdir()}

    killed = daemon("killed")
    killed.start()
    assert killed.wait_ready(30), killed.log_text()
    killed.kill()
    assert lock_files() == {f"{killed.pid}.lock"}
    started: list[DaemonProcess] = []
    try:
        # Two at once: neither may take the other's new file for a stale one.
        started += [daemon("a"), daemon("b")]
        for each in started:
            each.start()
        for each in started:
            assert each.wait_ready(30), each.log_text()
        assert lock_files() == {f"{each.pid}.lock" for each in started}
        logs = "".join(each.log_text() for each in started)
        assert f"removed the lock files daemons killed here left behind (pid {killed.pid})" in logs, logs
        # One more, started while both run: their files stay.
        started.append(daemon("c"))
        started[-1].start()
        assert started[-1].wait_ready(30), started[-1].log_text()
        assert lock_files() == {f"{each.pid}.lock" for each in started}
    finally:
        codes = [each.stop() for each in started]
    assert codes == [0] * len(started), "".join(each.log_text() for each in started)
    assert lock_files() == set()


@needs_faketime
def test_a_running_daemon_removes_within_the_hour_the_lock_file_of_one_killed_after_it_started(
    tmp_path: Path, pg_url: str
) -> None:
    # Before, the file stayed until the next daemon started there, however long this one ran.
    stamp = tmp_path / "faketime.rc"
    _set_clock(stamp, datetime(2026, 3, 2, 9, tzinfo=UTC))
    running = DaemonProcess(tmp_path / "running", pg_url, 25, lease=60)
    running.env.update(
        LD_PRELOAD=LIBFAKETIME[0],
        FAKETIME_DONT_FAKE_MONOTONIC="1",
        FAKETIME_TIMESTAMP_FILE=str(stamp),
        FAKETIME_NO_CACHE="1",
    )
    killed = DaemonProcess(tmp_path / "killed", pg_url, 25, lease=60)
    killed.config.write_text(running.config.read_text(encoding="utf-8"), encoding="utf-8")  # one machine
    locks = tmp_path / "running" / "data" / "daemons"
    running.start()
    try:
        assert running.wait_ready(30), running.log_text()
        killed.start()
        assert killed.wait_ready(30), killed.log_text()
        killed.kill()
        assert {path.name for path in locks.iterdir()} == {f"{running.pid}.lock", f"{killed.pid}.lock"}
        _set_clock(stamp, datetime(2026, 3, 2, 10, 1, tzinfo=UTC))  # an hour on: housekeeping is due
        running.proc.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]  # a pass now, not in 5 s
        swept = wait_for(lambda: {path.name for path in locks.iterdir()} == {f"{running.pid}.lock"}, 30)
        assert swept, running.log_text()
        assert running.running(), running.log_text()
    finally:
        code = running.stop()
    log = running.log_text()
    assert code == 0, log
    assert f"removed the lock files daemons killed here left behind (pid {killed.pid})" in log, log


def _runs_through(daemon: DaemonProcess, act: Any) -> str:
    """Start ``daemon``, ``act`` once it is ready, and check it still runs and then stops with
    SIGTERM, exit 0; its log."""
    daemon.start()
    try:
        assert daemon.wait_ready(30), daemon.log_text()
        act()
        assert daemon.running(), daemon.log_text()
    finally:
        code = daemon.stop()
    log = daemon.log_text()
    assert code == 0, log
    return log


def test_a_server_that_cannot_be_reached_is_waited_for(tmp_path: Path) -> None:
    daemon = DaemonProcess(
        tmp_path, f"postgresql://postgres:{SECRET}@127.0.0.1:{free_port()}/reminder", 25, lease=60
    )
    log = _runs_through(daemon, lambda: time.sleep(2))
    assert "cannot reach the database yet" in log and "waiting for it" in log, log
    assert SECRET not in log and "Traceback" not in log, log
    # Where its data is: the database (its password as ***), not the directory of this machine's files.
    assert re.search(r"reminder daemon running \(pid \d+, database postgresql://postgres:\*\*\*@127", log), (
        log
    )


def test_a_login_refused_after_a_good_start_is_tried_again(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    grant_password_role(pg_url, "right")
    url = pg_url.replace("postgres@", f"{PASSWORD_ROLE}:right@")
    daemon = DaemonProcess(tmp_path, url, 25, lease=60)

    def rotate_the_password() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD 'rotated'")  # as an operator changing it
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (PASSWORD_ROLE,)
            )
        for _ in range(40):  # a pass at once, instead of the next one a minute away
            if "which had connected before" in daemon.log_text():
                break
            daemon.proc.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]
            time.sleep(0.25)

        # Its next try is 30 s away, further than its capped sleep (5 s here): that is no sign of
        # a wall clock that went back. Before, the daemon took it for one after each capped sleep,
        # logged so, and tried again at once: every 5 s here, every minute by default instead of
        # the 2, 4 and 5 minutes the README promises.
        time.sleep(8)

    log = _runs_through(daemon, rotate_the_password)
    assert "the database refused this daemon, which had connected before" in log, log
    assert "trying again in 30 s" in log and "Traceback" not in log, log
    assert "the wall clock went back" not in log and log.count("which had connected before") == 1, log


def status(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    cmd = [sys.executable, "-m", "reminder", "status"]
    info = json.loads(ok(subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True)).stdout)
    return info, ok(subprocess.run(cmd, env=env, capture_output=True, text=True)).stdout


def test_status_says_which_daemons_run_on_a_shared_store(tmp_path: Path, pg_url: str) -> None:
    # Before, it said "daemon: not running" with a daemon running on this very machine.
    import psycopg

    daemon = DaemonProcess(tmp_path, pg_url, 25, lease=60)
    daemon.start()
    try:
        assert daemon.wait_ready(30), daemon.log_text()
        info, text = status(daemon.env)
        assert info["running"] is True and info["pid"] == daemon.pid, info
        assert info["daemons"]["shared"] is True and info["daemons"]["here"] == [daemon.pid]
        (connected,) = info["daemons"]["connected"]
        assert connected["pid"] == daemon.pid and connected["here"] is True and connected["sending"] == 0
        assert connected["last_active"] is not None and connected["since"] is not None
        assert f"daemon:    running on this machine (pid {daemon.pid})" in text, text
        assert "daemons:   1 connected to the database" in text and "not running" not in text, text
    finally:
        assert daemon.stop() == 0, daemon.log_text()
    info, text = status(daemon.env)
    assert (info["running"], info["pid"], info["daemons"]["connected"]) == (False, None, []), info
    assert "daemon:    not running\n" in text, text
    # A daemon on another machine, as the server sees it: a connection under its name.
    with psycopg.connect(pg_url, application_name="reminder daemon elsewhere.example:4242:0badcafe"):
        info, text = status(daemon.env)
    assert info["running"] is True and info["pid"] is None, info
    assert [(d["host"], d["pid"], d["here"]) for d in info["daemons"]["connected"]] == [
        ("elsewhere.example", 4242, False)
    ]
    assert (
        "daemon:    running, not on this machine" in text
        and "elsewhere.example pid 4242: last active" in text
    )


def test_a_password_rotated_through_password_file_reaches_the_listening_connection_too(
    tmp_path: Path, pg_url: str, pg_cluster: Any
) -> None:
    # Before, the daemon read the password once, at start, for the connection it listens on for
    # other machines' changes: after a rotation through password_file (read again at every
    # connection, the README says) and SIGHUP, its passes connected again, but the listener tried
    # the old password every 2 s for as long as the daemon ran: a failed login in the server's log
    # every 2 s, and other machines' changes waited for the capped sleep.
    import psycopg

    if not pg_cluster.can_restart:
        pytest.skip("needs the tests' own server, to read its log")
    grant_password_role(pg_url, "pw-before-Q7")
    password_file = tmp_path / "db-password"
    password_file.write_text("pw-before-Q7\n", encoding="utf-8")
    password_file.chmod(0o600)
    daemon = DaemonProcess(tmp_path, pg_url.replace("postgres@", f"{PASSWORD_ROLE}@"), 25, lease=60)
    daemon.config.write_text(
        daemon.config.read_text(encoding="utf-8").replace(
            "[daemon]", f'password_file = "{password_file}"\n\n[daemon]', 1
        ),
        encoding="utf-8",
    )
    failed_login = f'password authentication failed for user "{PASSWORD_ROLE}"'

    def failed_logins() -> int:
        return pg_cluster.logfile.read_text(errors="replace").count(failed_login)

    def rotate() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD 'pw-after-Q7'")  # the operator, on the server
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (PASSWORD_ROLE,)
            )
        assert wait_for(lambda: daemon.log_text().count("lost the connection listening") == 1, 30)
        for _ in range(120):  # a pass at once, instead of the next one a few seconds away
            if "which had connected before" in daemon.log_text():
                break
            daemon.proc.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]
            time.sleep(0.25)
        # While the password is wrong, the listener too waits as the passes do (30 s at first)
        # instead of trying every 2 s: over these 10 s the daemon's passes try once (their next
        # try is 30 s away) and the listener once or twice.
        before = failed_logins()
        time.sleep(10)
        assert failed_logins() - before <= 2, daemon.log_text()
        # ... and, the operator's side changed too (the file rotated, then SIGHUP), listens again.
        password_file.write_text("pw-after-Q7\n", encoding="utf-8")
        daemon.proc.send_signal(signal.SIGHUP)  # type: ignore[union-attr]
        assert wait_for(lambda: "listening for outbox changes again" in daemon.log_text(), 30), (
            daemon.log_text()
        )

    log = _runs_through(daemon, rotate)
    assert "the database refused this daemon, which had connected before" in log, log
    assert "pw-before-Q7" not in log and "pw-after-Q7" not in log and "Traceback" not in log, log


def test_a_right_revoked_after_a_good_start_is_tried_again_less_and_less_often(
    tmp_path: Path, pg_url: str
) -> None:
    # Before, a right revoked from the daemon's role (42501 on the outbox, met in a pass after the
    # connection itself succeeded) was tried again every 30 s for ever: the count of refusals in a
    # row was reset by every connection that succeeded, while the README promises 30 s at first,
    # doubling to 5 minutes, as for a refused login.
    import psycopg

    grant_password_role(pg_url, "right")
    daemon = DaemonProcess(tmp_path, pg_url.replace("postgres@", f"{PASSWORD_ROLE}:right@"), 25, lease=60)

    def revoke_a_right() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"REVOKE SELECT ON deliveries FROM {PASSWORD_ROLE}")  # the operator, at work
        for tries in (1, 2, 3):  # SIGHUP tries at once; each try is refused again
            daemon.proc.send_signal(signal.SIGHUP)  # type: ignore[union-attr]
            refused = wait_for(lambda n=tries: daemon.log_text().count("which had connected before") >= n, 30)
            assert refused, daemon.log_text()

    log = _runs_through(daemon, revoke_a_right)
    waits = re.findall(r"which had connected before: .*; trying again in (\d+) s \(its rights", log)
    assert waits[:3] == ["30", "60", "120"], log
    assert "right@" not in log and "Traceback" not in log, log


def test_status_with_the_database_down_still_says_which_daemons_run_here(
    tmp_path: Path, pg_cluster: Any, pg_url: str
) -> None:
    # Before, with the server down, `status` printed only the connection error: an operator could
    # not tell whether the daemon on this machine still ran (it does, waiting for the server).
    if not pg_cluster.can_restart:
        pytest.skip("needs the tests' own server, to stop it")
    # And `status --json` (failed before: only {"error": …}, on stderr) gives the same: what it knows,
    # with the error, exit 1; the error on stderr as well, as every --json error is.
    daemon = DaemonProcess(tmp_path, pg_url, 25, lease=60)
    cmd = [sys.executable, "-m", "reminder", "status"]

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=daemon.env, capture_output=True, text=True, timeout=60)

    daemon.start()
    try:
        assert daemon.wait_ready(30), daemon.log_text()
        pg_cluster.stop()
        try:
            down, down_json = (run(args) for args in (cmd, [*cmd, "--json"]))
        finally:
            pg_cluster.start()
        assert daemon.running(), daemon.log_text()
    finally:
        assert daemon.stop() == 0, daemon.log_text()
    error = one_line_error(down, 1)
    assert "cannot connect" in error, error
    assert down.stdout.startswith(f"daemon:    running on this machine (pid {daemon.pid})\n"), down.stdout
    assert "the database could not be asked" in down.stdout, down.stdout
    known = json.loads(down_json.stdout)
    assert json.loads(one_line_error(down_json, 1)) == {"error": known["error"]}
    assert known["error"] == error.removeprefix("Error: ")
    assert known["running"] is True and known["pid"] == daemon.pid
    assert known["daemons"] == {"shared": True, "here": [daemon.pid], "connected": None}
    assert known["database"] == redact_url(pg_url) and known["config"] == daemon.env.get("REMINDER_CONFIG")
    assert known["next_due"] is known["next"] is known["counts"] is known["retrying"] is known["held"] is None
    # Once it has stopped, and the server is still down, it says so too.
    pg_cluster.stop()
    try:
        down, down_json = (run(args) for args in (cmd, [*cmd, "--json"]))
    finally:
        pg_cluster.start()
    one_line_error(down, 1)
    assert down.stdout.startswith("daemon:    not running on this machine; unknown elsewhere\n"), down.stdout
    known = json.loads(down_json.stdout)
    assert known["running"] is None and known["pid"] is None and known["daemons"]["here"] == []
    assert "cannot connect" in known["error"]


@needs_faketime
def test_a_daemon_whose_clock_disagrees_with_the_servers_says_so(tmp_path: Path, pg_url: str) -> None:
    # Leases are wall-clock times: a daemon whose clock runs ahead takes the others' reminders over
    # before their lease ends, and both send them. Before, nothing said so: an operator walking
    # through two daemons, one clock 74 s ahead, got 268 reminders twice and only "lease passed
    # to …; this daemon held it too long" on the other machine, which blamed the wrong daemon.
    daemon = DaemonProcess(tmp_path, pg_url, 25, lease=60)
    daemon.env.update(
        {"LD_PRELOAD": LIBFAKETIME[0], "FAKETIME": "+120s", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    )
    log = _runs_through(daemon, lambda: None)
    said = re.search(r"this machine's clock is (\d+) s ahead of the database server's", log)
    assert said is not None and 110 <= int(said.group(1)) <= 130, log
    assert "NTP" in log and "Traceback" not in log, log
    # A clock that agrees is not warned about.
    agreeing = DaemonProcess(tmp_path / "agreeing", pg_url, 25, lease=60)
    assert "clock is" not in _runs_through(agreeing, lambda: None)


def test_a_change_from_the_command_line_reaches_every_daemons_calendar_file(
    tmp_path: Path, pg_url: str
) -> None:
    """Two machines' daemons keep an `[export] ics_path` each. A case added, renamed, then closed
    from one machine's command line shows in both calendar files at once. Before, only a change
    that planned outbox rows woke the daemons (NOTIFY) — the CLI's SIGUSR1 finds only a SQLite
    daemon — so a renamed or closed case stayed as it was in the calendars until the hourly upkeep."""
    daemons = [DaemonProcess(tmp_path / f"machine-{n}", pg_url, 25, lease=60) for n in range(2)]
    calendars = [daemon.root / "calendar.ics" for daemon in daemons]
    for daemon, calendar in zip(daemons, calendars, strict=True):
        with daemon.config.open("a", encoding="utf-8") as config:
            config.write(f'\n[export]\nics_path = "{calendar}"\n')
        daemon.start()
    reminder = [sys.executable, "-m", "reminder"]
    env = daemons[0].env

    def in_every_calendar(text: str, present: bool = True) -> bool:
        return all(c.exists() and (text in c.read_text(encoding="utf-8")) == present for c in calendars)

    try:
        for daemon in daemons:
            assert daemon.wait_ready(30), daemon.log_text()
        add = ["add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "today", "--json"]
        added = subprocess.run([*reminder, *add], env=env, capture_output=True, text=True)
        case_id = json.loads(ok(added).stdout)["id"]
        assert wait_for(lambda: in_every_calendar("Cancel eSIM"), 30), [d.log_text() for d in daemons]
        ok(subprocess.run([*reminder, "edit", case_id, "--title", "Refund"], env=env, capture_output=True))
        assert wait_for(lambda: in_every_calendar("Refund"), 30), [d.log_text() for d in daemons]
        ok(subprocess.run([*reminder, "close", case_id], env=env, capture_output=True))
        assert wait_for(lambda: in_every_calendar(case_id, present=False), 30), [
            d.log_text() for d in daemons
        ]
    finally:
        for daemon in daemons:
            assert daemon.stop() == 0, daemon.log_text()


def test_a_daemon_lacking_a_notifier_another_machines_config_has_says_so(tmp_path: Path, pg_url: str) -> None:
    """The other machine's config has a [notifiers.log] table this one lacks, and planned reminders
    for it, which this daemon can only fail. Before, its log said "21 failed" and nothing more;
    now one line names the notifier, says why and what to do."""
    with running_sink() as (_server, port):
        daemon = DaemonProcess(tmp_path / "here", pg_url, port, lease=60)
        daemon.start()
        try:
            assert daemon.wait_ready(30), daemon.log_text()
            there = tmp_path / "there"
            there.mkdir()
            other = there / "reminder.toml"
            other.write_text(
                daemon_config(pg_url, there / "data", port, lease=60)
                + f'\n[notifiers.log]\npath = "{there / "reminders.log"}"\n',
                encoding="utf-8",
            )
            seed(pg_url, other, 3, now=datetime.now(UTC))  # NOTIFY: the daemon looks at once
            assert wait_for(lambda: re.search(r"pass: .* [1-9]\d* failed", daemon.log_text()), 60)
        finally:
            assert daemon.stop() == 0, daemon.log_text()
    assert re.search(
        r"WARNING .*: \d+ due reminder\(s\) of notifier 'log' failed for good: this daemon's config has no"
        r" such notifier \(every daemon and machine sharing this database needs the same \[notifiers\]"
        r" tables: another one's config has it\); once it has, `reminder notify retry --notifier log`",
        daemon.log_text(),
    ), daemon.log_text()


def test_a_password_rotated_under_a_daemon_that_reads_it_from_password_env_says_to_restart(
    tmp_path: Path, pg_url: str
) -> None:
    """The variable is the daemon's own: before, its log said "a password being changed? SIGHUP
    tries at once", and a SIGHUP tried the old password again, as every later try would."""
    import psycopg

    grant_password_role(pg_url, "right")
    url = pg_url.replace("postgres@", f"{PASSWORD_ROLE}@")
    daemon = DaemonProcess(tmp_path, url, 25, lease=60)
    config = daemon.config.read_text(encoding="utf-8")
    daemon.config.write_text(config.replace("[store]\n", '[store]\npassword_env = "DESK_DB_PW"\n'), "utf-8")
    daemon.env["DESK_DB_PW"] = "right"

    def rotate_the_password() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD 'rotated'")
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (PASSWORD_ROLE,)
            )
        for _ in range(40):  # a pass at once
            if "which had connected before" in daemon.log_text():
                break
            daemon.proc.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]
            time.sleep(0.25)

    log = _runs_through(daemon, rotate_the_password)
    assert "the database refused this daemon, which had connected before" in log, log
    said = "[store] password_env DESK_DB_PW is read when the daemon starts: restart it with the new password"
    assert said in log, log
    assert "SIGHUP tries at once" not in log.split("which had connected before", 1)[1].splitlines()[0], log


def test_after_a_server_restart_the_pass_that_finds_its_connection_dead_is_retried_at_once(
    tmp_path: Path, pg_url: str, pg_cluster: Any
) -> None:
    """An idle daemon's connection dies with a server restart; its next pass fails on it. Before,
    that pass was retried 30 s later, the server long back (and its listener too, whose wake-up
    had started the very pass that failed): what fell due meanwhile waited. Now the first failure
    in a row is retried in 2 s, on a fresh connection."""
    with running_sink() as (server, port):
        daemon = DaemonProcess(tmp_path / "here", pg_url, port, lease=60)
        daemon.start()
        try:
            assert daemon.wait_ready(30), daemon.log_text()
            pg_cluster.restart(down_for=1.0)
            assert wait_for(lambda: "pass failed" in daemon.log_text(), 60), daemon.log_text()
            seed(pg_url, daemon.config, 3, now=datetime.now(UTC))
            assert wait_for(lambda: server.count() == 3, 60), daemon.log_text()
        finally:
            assert daemon.stop() == 0, daemon.log_text()
    failed = [line for line in daemon.log_text().splitlines() if "pass failed" in line]
    assert "pass failed, retrying in 2 s: " in failed[0], failed


def test_a_pass_the_server_rolls_back_for_a_conflict_is_said_so_and_run_again_soon(
    tmp_path: Path, pg_url: str
) -> None:
    """An operator's database runs every transaction REPEATABLE READ; the starting daemon's re-plan
    reads a batch of cases, then waits to lock one that a command is changing. The command commits:
    the server aborts the re-plan's transaction (40001, a serialization failure). That pass was
    logged as "pass failed ... the database connection failed: could not serialize access", its
    connection dropped, as if the server were down. It is a conflict: said so, the pass run again
    2 s later, which re-plans and sends everything, and nothing is left claimed."""
    import psycopg

    with running_sink() as (server, port):
        daemon = DaemonProcess(tmp_path / "here", pg_url, port, lease=60)
        seed(pg_url, daemon.config, 3, now=datetime.now(UTC))
        # Another notifier: the plans' fingerprint changes, and the daemon re-plans every case first.
        second = tmp_path / "second.log"
        with daemon.config.open("a", encoding="utf-8") as config:
            config.write(f'\n[notifiers.second]\ntype = "log"\npath = "{second}"\n')
        waiting = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        with psycopg.connect(pg_url, autocommit=True) as admin:
            found = admin.execute("SELECT current_database()").fetchone()
            assert found is not None
            admin.execute(
                f"ALTER DATABASE \"{found[0]}\" SET default_transaction_isolation = 'repeatable read'"
            )
        deadline = time.monotonic() + 60
        with psycopg.connect(pg_url) as holder, psycopg.connect(pg_url, autocommit=True) as watch:
            holder.execute("UPDATE cases SET notes = 'changed' WHERE id = (SELECT min(id) FROM cases)")
            daemon.start()
            try:
                while (row := watch.execute(waiting).fetchone()) is None or row[0] < 1:
                    assert daemon.running() and time.monotonic() < deadline, daemon.log_text()
                    time.sleep(0.01)
                holder.commit()  # the re-plan's snapshot is older than the change: 40001
                assert wait_for(lambda: server.count() == 3, 60), daemon.log_text()
                assert wait_for(lambda: "planned reminders for" in daemon.log_text(), 60), daemon.log_text()
            finally:
                assert daemon.stop() == 0, daemon.log_text()
    log = daemon.log_text()
    rolled_back = [line for line in log.splitlines() if "pass rolled back" in line]
    assert len(rolled_back) == 1, log
    assert "could not serialize access due to concurrent update" in rolled_back[0], rolled_back
    assert "running it again in 2 s" in rolled_back[0], rolled_back
    assert "pass failed" not in log and "connection failed" not in log and "Traceback" not in log, log
    with psycopg.connect(pg_url) as conn:
        rows = [(str(n), str(st)) for n, st in conn.execute("SELECT notifier, status FROM deliveries")]
    assert [row for row in rows if row[1] == "sending"] == [], rows
    assert sorted(n for n, st in rows if st == "sent") == ["email"] * 3 + ["second"] * 3, rows
