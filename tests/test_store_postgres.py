"""The store on PostgreSQL through the CLI and on its own: the same commands as on SQLite,
``db migrate`` and ``db copy``, bad URLs and dead servers, secrets, reconnecting, attachments."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import REPO, RunCli, TmpEnv
from sample_cases import make_case
from test_cli_cases import add_json, ok, one_line_error

from reminder.backends import redact_url
from reminder.backends.postgres import translate
from reminder.backends.postgres_blobs import CHUNK_SIZE
from reminder.errors import StoreError
from reminder.store import CONFLICT_RETRIES, MIGRATIONS, Store

pytestmark = pytest.mark.timeout(300)

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


# --- the ? dialect and secrets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 WHERE a = ? AND b = ?", "SELECT 1 WHERE a = %s AND b = %s"),
        (
            "SELECT '?', \"q?\" FROM t WHERE x LIKE '5%' AND y = ?",
            "SELECT '?', \"q?\" FROM t WHERE x LIKE '5%%' AND y = %s",
        ),
        ("SELECT 'it''s ?' WHERE z = ?", "SELECT 'it''s ?' WHERE z = %s"),
        ("SELECT 1 -- a comment?\nWHERE a = ?", "SELECT 1 -- a comment?\nWHERE a = %s"),
        ("SELECT 10 % 3 WHERE a = ?", "SELECT 10 %% 3 WHERE a = %s"),
    ],
)
def test_question_marks_become_psycopg_placeholders_outside_quotes(sql: str, expected: str) -> None:
    assert translate(sql) == expected


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db"),
        (
            "postgresql://u@h/db?password=s3cret&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=require",
        ),
        ("postgresql://h/db", "postgresql://h/db"),
        # A URL that does not parse is shown too (in its error): masked all the same.
        ("postgresql://rem:s3cret@[::1/remdb", "postgresql://rem:***@[::1/remdb"),
        # libpq's key=value form, given where a URL belongs.
        ("host=h user=rem password=s3cret dbname=d", "host=h user=rem password=*** dbname=d"),
        ("host=h password = 's3 cr\\'et' dbname=d", "host=h password = *** dbname=d"),
        # Unsure where the user part ends: more hidden, never less.
        ("postgresql://u:s3/cret@h/db", "postgresql://u:***@h/db"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_help_does_not_import_psycopg(tmp_env: TmpEnv) -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['reminder', '--help']\n"
        "try:\n    runpy.run_module('reminder', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "assert 'psycopg' not in sys.modules, 'psycopg loaded'"
    )
    result = subprocess.run([sys.executable, "-c", code], env=tmp_env.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the CLI on both backends ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_env: TmpEnv, db_url: str | None) -> dict[str, str]:
    """What points the CLI at this test's backend."""
    return {"REMINDER_STORE__URL": db_url} if db_url else {}


def test_every_case_and_evidence_command_works_on_both_backends(
    run_cli: RunCli, tmp_env: TmpEnv, cli_env: dict[str, str], backend: str
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return ok(run_cli(*args, env=cli_env))

    case = json.loads(
        cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01", "--json").stdout
    )
    other = json.loads(
        cli("add", "--title", "Refund", "--org", "Zain", "--submitted", "2026-03-02", "--json").stdout
    )
    listed = json.loads(cli("list", "--json").stdout)
    assert [c["id"] for c in listed] == [case["id"], other["id"]]
    assert "Cancel eSIM" in cli("list").stdout
    shown = json.loads(cli("show", case["id"][:4], "--json").stdout)
    assert shown["id"] == case["id"] and shown["window"]["deadline"] == case["window"]["deadline"]

    letter = tmp_env.root / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 " + os.urandom(CHUNK_SIZE + 1000))  # two chunks on PostgreSQL
    cli("evidence", "add", case["id"], "--kind", "letter", "--summary", "Letter sent", "--file", str(letter))
    cli("evidence", "add", case["id"], "--kind", "call", "--summary", "Called 196, ref 77")
    entries = json.loads(cli("evidence", "list", case["id"], "--json").stdout)
    assert [e["seq"] for e in entries["entries"]] == [1, 2]
    verified = json.loads(cli("evidence", "verify", case["id"], "--json").stdout)
    assert verified["ok"] and verified["attachments"] == 1, verified
    out = tmp_env.root / "dossier.zip"
    cli("export", case["id"], "--format", "zip", "--output", str(out))
    import zipfile

    with zipfile.ZipFile(out) as zf:
        (name,) = [n for n in zf.namelist() if n.startswith("attachments/")]
        assert zf.read(name) == letter.read_bytes()

    cli("close", other["id"], "--resolution", "cancelled")
    assert [c["id"] for c in json.loads(cli("list", "--json").stdout)] == [case["id"]]
    assert "1 sent" in cli("daemon", "--once").stdout  # the open case's overdue reminders, folded into one
    status = json.loads(cli("status", "--json").stdout)
    assert status["counts"]["sent"] == 1 and status["counts"]["planned"] == 0, status
    if backend == "postgresql":
        assert status["database"].startswith("postgresql://")
        assert not tmp_env.db_path.exists()  # nothing went to the SQLite file
        assert not (tmp_env.db_path.parent / "attachments").exists()


# --- db migrate and db copy ------------------------------------------------------------------------------


def test_db_migrate_on_both_backends(run_cli: RunCli, cli_env: dict[str, str]) -> None:
    first = json.loads(ok(run_cli("db", "migrate", "--json", env=cli_env)).stdout)
    assert (first["schema_before"], first["schema"]) == (0, len(MIGRATIONS))
    again = ok(run_cli("db", "migrate", env=cli_env)).stdout
    assert f"schema version {len(MIGRATIONS)}, up to date" in again


def test_two_db_migrates_at_once_each_report_what_they_did(tmp_env: TmpEnv, db_url: str | None) -> None:
    """Both said "migrated from schema version 0": each read the version before waiting for the
    migration lock. Here the lock is held until both wait for it; then one migrates from 0 and
    the other, waiting meanwhile, finds the work done."""
    with _migration_lock_held(tmp_env.db_path, db_url) as wait_for:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "reminder", "db", "migrate", "--json"],
                env={**tmp_env.env, "REMINDER_STORE__URL": db_url or ""},  # "": the SQLite file
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        wait_for(procs)
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        reports.append(json.loads(out))
    done = len(MIGRATIONS)
    assert sorted((r["schema_before"], r["schema"]) for r in reports) == [(0, done), (done, done)]


@contextlib.contextmanager
def _migration_lock_held(
    path: Path, url: str | None
) -> Iterator[Callable[[list[subprocess.Popen[str]]], None]]:
    """The lock `db migrate` migrates under, held by the test: PostgreSQL's advisory lock, or
    SQLite's write lock on a new (empty, WAL) file. It yields ``wait_for(procs)``, which returns
    once every process waits for the lock (on SQLite: has the file open, and a moment more, well
    inside the 5 s busy timeout); the lock is let go on leaving the block."""
    deadline = time.monotonic() + 30
    if url is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")

        def wait_for(procs: list[subprocess.Popen[str]]) -> None:
            for p in procs:
                while str(path) not in _open_files(p.pid):
                    assert p.poll() is None and time.monotonic() < deadline, "never opened the database"
                    time.sleep(0.01)
            time.sleep(0.5)

        try:
            yield wait_for
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return

    import psycopg

    from reminder.backends.postgres import MIGRATION_LOCK

    waiting = (
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
    )
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))

        def wait_for(procs: list[subprocess.Popen[str]]) -> None:
            while (row := pg.execute(waiting).fetchone()) is None or row[0] < len(procs):
                assert all(p.poll() is None for p in procs) and time.monotonic() < deadline, "never waited"
                time.sleep(0.01)

        try:
            yield wait_for
        finally:
            pg.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def _open_files(pid: int) -> set[str]:
    found = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return found


def test_db_copy_moves_everything_and_the_evidence_verifies_on_the_copy(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    ids = []
    for title, day in (("Cancel roaming eSIM", "01"), ("Refund", "02"), ("Port number", "03")):
        args = ("--org", "Batelco", "--submitted", f"2026-03-{day}", "--kind", "sim-cancellation", "--json")
        out = ok(run_cli("add", "--title", title, *args))
        ids.append(json.loads(out.stdout)["id"])
    ok(run_cli("check", ids[0], "1"))  # a ticked checklist item
    shot = tmp_env.root / "shot.png"
    shot.write_bytes(os.urandom(3 * CHUNK_SIZE // 2))
    ok(run_cli("evidence", "add", ids[0], "--kind", "screenshot", "--summary", "status", "--file", str(shot)))
    ok(run_cli("evidence", "add", ids[0], "--kind", "call", "--summary", "Called 196"))
    ok(run_cli("evidence", "add", ids[1], "--kind", "letter", "--summary", "same file", "--file", str(shot)))
    ok(run_cli("close", ids[2]))
    before = {
        "list": json.loads(ok(run_cli("list", "--status", "all", "--json")).stdout),
        "show": json.loads(ok(run_cli("show", ids[0], "--json")).stdout),
        "evidence": json.loads(ok(run_cli("evidence", "list", ids[0], "--json")).stdout),
    }

    report = json.loads(ok(run_cli("db", "copy", "--to", pg_url, "--json")).stdout)
    assert report["rows"]["cases"] == 3
    # Analysed at once (not when autovacuum comes to it), or the daemon's first re-plan on the copy
    # walks the cases through a plan made for an empty table.
    import psycopg

    with psycopg.connect(pg_url) as pg:
        analysed = pg.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL ORDER BY relname"
        ).fetchall()
    assert {"cases", "deliveries", "evidence"} <= {name for (name,) in analysed}
    assert report["rows"]["evidence"] == 3 and report["rows"]["evidence_heads"] == 2
    assert report["rows"]["deliveries"] > 0 and report["rows"]["checklist_items"] > 0
    assert (report["attachments"], report["attachment_bytes"]) == (1, shot.stat().st_size)
    assert report["verified"] == 2 and report["problems"] == []

    on_pg = {"REMINDER_STORE__URL": pg_url}
    after = {
        "list": json.loads(ok(run_cli("list", "--status", "all", "--json", env=on_pg)).stdout),
        "show": json.loads(ok(run_cli("show", ids[0], "--json", env=on_pg)).stdout),
        "evidence": json.loads(ok(run_cli("evidence", "list", ids[0], "--json", env=on_pg)).stdout),
    }
    for e in after["evidence"]["entries"] + before["evidence"]["entries"]:
        for a in e["attachments"]:
            a.pop("path")  # a file before, the database after
    assert after == before
    for case_id in ids[:2]:
        assert json.loads(ok(run_cli("evidence", "verify", case_id, "--json", env=on_pg)).stdout)["ok"]
    # A new outbox row after the copy does not collide with a copied id.
    ok(run_cli("add", "--title", "After the copy", "--org", "Zain", "--submitted", "2026-03-04", env=on_pg))

    # Not into a database that holds cases, unless told.
    refused = run_cli("db", "copy", "--to", pg_url)
    assert "is not empty (4 cases" in one_line_error(refused, 2)
    again = json.loads(ok(run_cli("db", "copy", "--to", pg_url, "--force", "--json")).stdout)
    assert again["rows"]["cases"] == 0 and again["verified"] == 2


def test_db_copy_refuses_while_a_daemon_runs_on_the_sqlite_store(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    # Failed before: the copy went ahead while the daemon went on sending from the SQLite file, and
    # every reminder it sent after the copy was still due in the copy, sent again once the config
    # named it. A real daemon holds the store's lock; the copy is refused, naming it, until it stops.
    from test_daemon import wait_for

    from reminder.pidlock import running_pid

    ok(run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01"))
    with (tmp_env.root / "daemon.log").open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "reminder", "daemon"],
            env=tmp_env.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,  # a file: a full pipe would stall the daemon
        )
    try:
        assert wait_for(lambda: running_pid(tmp_env.db_path.parent) == daemon.pid, 30), (
            tmp_env.root / "daemon.log"
        ).read_text()
        said = (
            f"a reminder daemon is running on {tmp_env.db_path} (pid {daemon.pid}): what it sends after the "
            "copy would be sent again from the copy; stop it first (`systemctl --user stop reminder`, or "
            f"`kill {daemon.pid}`), then copy"
        )
        assert one_line_error(run_cli("db", "copy", "--to", pg_url), 1) == f"Error: {said}"
        assert json.loads(one_line_error(run_cli("db", "copy", "--to", pg_url, "--json"), 1)) == {
            "error": said
        }
        assert daemon.poll() is None  # refused, not stopped
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    assert code == 0, (tmp_env.root / "daemon.log").read_text()
    # Stopped, the copy goes ahead, into a target the refusals left empty.
    report = json.loads(ok(run_cli("db", "copy", "--to", pg_url, "--json")).stdout)
    assert report["rows"]["cases"] == 1 and report["problems"] == []
    with sqlite3.connect(tmp_env.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_db_copy_refuses_a_held_daemon_lock_whose_pid_is_not_written_yet(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    # A daemon that has just taken the lock writes its pid an instant later: held all the same.
    import fcntl

    ok(run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01"))
    fd = os.open(tmp_env.db_path.parent / "daemon.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        line = one_line_error(run_cli("db", "copy", "--to", pg_url), 1)
    finally:
        os.close(fd)
    assert line == (
        f"Error: a reminder daemon is running on {tmp_env.db_path}: what it sends after the copy would be "
        "sent again from the copy; stop it first (`systemctl --user stop reminder`), then copy"
    )
    assert json.loads(ok(run_cli("db", "copy", "--to", pg_url, "--json")).stdout)["rows"]["cases"] == 1


def _copy_held_up(tmp_env: TmpEnv, pg_url: str, log_path: Path, locktype: str) -> subprocess.Popen[str]:
    """A real ``db copy --json`` into ``pg_url``, once it waits for a lock of ``locktype`` that the
    caller holds on the server (its stdout a pipe, its stderr in ``log_path``)."""
    import psycopg
    from test_daemon import wait_for

    with log_path.open("w") as log:
        copy = subprocess.Popen(
            [sys.executable, "-m", "reminder", "db", "copy", "--to", pg_url, "--json"],
            env=tmp_env.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    with psycopg.connect(pg_url, autocommit=True) as watcher:

        def waits() -> bool:
            sql = "SELECT count(*) FROM pg_locks WHERE locktype = %s AND NOT granted"
            (waiting,) = watcher.execute(sql, (locktype,)).fetchone()  # type: ignore[misc]
            return bool(waiting)

        if not wait_for(waits, 30):
            copy.kill()
            raise AssertionError(log_path.read_text())
    return copy


def test_a_daemon_started_during_a_db_copy_is_refused_until_the_copy_is_done(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    # Failed before: the copy only looked for a daemon when it began, so one that started while it
    # ran (systemd restarting it, a login) sent from the SQLite file, and each reminder it sent then
    # was still due in the copy. Now the copy holds the daemon's lock until it is done. The copy is
    # held in its migration of the target by the migration lock, taken here (a real second client).
    import psycopg
    from test_daemon import wait_for

    from reminder.backends.postgres import MIGRATION_LOCK
    from reminder.pidlock import running_pid

    ok(run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01"))
    log_path = tmp_env.root / "copy.log"
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        copy = _copy_held_up(tmp_env, pg_url, log_path, "advisory")
        try:
            daemon = subprocess.run(
                [sys.executable, "-m", "reminder", "daemon"],
                env=tmp_env.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert daemon.returncode == 1, daemon.stderr
            assert (
                f"reminder db copy (pid {copy.pid}) is copying this store: no daemon may send from it "
                "meanwhile; start again once the copy is done"
            ) in daemon.stderr
            # A command that pokes the daemon takes the copy for none (a signal would end it), and
            # `status` counts no daemon.
            ok(run_cli("add", "--title", "Refund", "--org", "Zain", "--submitted", "2026-03-02"))
            assert running_pid(tmp_env.db_path.parent) is None
            assert copy.poll() is None, log_path.read_text()
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        out, _err = copy.communicate(timeout=60)
    assert copy.returncode == 0, log_path.read_text()
    assert json.loads(out)["rows"]["cases"] >= 1
    # Done, the copy left the lock to the daemon: it starts (and stops on SIGTERM, exit 0).
    with (tmp_env.root / "daemon.log").open("w") as log:
        started = subprocess.Popen(
            [sys.executable, "-m", "reminder", "daemon"],
            env=tmp_env.env,
            stdin=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        assert wait_for(lambda: running_pid(tmp_env.db_path.parent) == started.pid, 30), (
            tmp_env.root / "daemon.log"
        ).read_text()
    finally:
        started.send_signal(signal.SIGTERM)
        assert started.wait(timeout=30) == 0
    with sqlite3.connect(tmp_env.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (2,)
    db.close()


def test_a_case_added_during_a_db_copy_is_never_left_out_of_it(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    # Failed before: the copy read each table on its own, so a case added while it ran was in the
    # SQLite file and not in the copy, lost once the config named the copy (the copy said nothing).
    # Now the copy holds the file's write lock: the add waits, then fails saying why (exit 1), and
    # the two stores hold the same cases. The copy is held up writing the attachment, by a lock on
    # the target's attachments table taken here (a real second client of the server).
    import psycopg

    from reminder.store import Store

    case_id = str(add_json(run_cli, "--submitted", "2026-03-01")["id"])
    shot = tmp_env.root / "shot.png"
    shot.write_bytes(os.urandom(1000))
    ok(
        run_cli(
            "evidence", "add", case_id, "--kind", "screenshot", "--summary", "status", "--file", str(shot)
        )
    )
    with Store(tmp_env.db_path, url=pg_url):
        pass  # the target migrated, so the copy's own migration does not wait on the lock below
    log_path = tmp_env.root / "copy.log"
    with psycopg.connect(pg_url) as holder:
        holder.execute("LOCK TABLE attachments IN ACCESS EXCLUSIVE MODE")
        copy = _copy_held_up(tmp_env, pg_url, log_path, "relation")
        try:
            added = run_cli("add", "--title", "Refund", "--org", "Zain", "--submitted", "2026-03-02")
            assert copy.poll() is None, log_path.read_text()
        finally:
            holder.rollback()
        out, _err = copy.communicate(timeout=60)
    assert copy.returncode == 0, log_path.read_text()
    assert one_line_error(added, 1) == (
        f"Error: {tmp_env.db_path}: reminder db copy (pid {copy.pid}) is copying this store and holds it "
        "until it is done; nothing was written: try again then"
    )
    assert json.loads(out)["rows"]["cases"] == 1
    with sqlite3.connect(tmp_env.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT id FROM cases").fetchall() == [(case_id,)]
    db.close()
    with psycopg.connect(pg_url) as pg:
        assert pg.execute("SELECT id FROM cases").fetchall() == [(case_id,)]


def _password_role_url(pg_url: str, password: str, pg_server: object) -> str:
    """``pg_url`` as the tests' server's one role that must give a password (``password``), with
    none in the URL; skips on a server that lets it in without one."""
    from pg_cluster import PASSWORD_ROLE, ExternalServer, grant_password_role

    if isinstance(pg_server, ExternalServer):
        pytest.skip("needs the tests' own server, whose pg_hba.conf asks PASSWORD_ROLE alone for a password")
    grant_password_role(pg_url, password)
    return pg_url.replace("postgres@", f"{PASSWORD_ROLE}@")


def test_db_copy_takes_the_targets_password_from_a_private_file(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, pg_server: object
) -> None:
    # An operator's walkthrough (failed before: no such option): the target's password could only
    # come from a variable (--password-env), PGPASSWORD or ~/.pgpass, where [store] takes a file.
    url = _password_role_url(pg_url, "copy-pw-Q4x", pg_server)
    ok(run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01"))
    secret = tmp_env.root / "target-password"
    secret.write_text("copy-pw-Q4x\n")
    secret.chmod(0o644)
    line = one_line_error(run_cli("db", "copy", "--to", url, "--password-file", str(secret)), 2)
    assert line == f"Error: --password-file: {secret} is open to other users (mode 0644): chmod 600 {secret}"
    secret.chmod(0o600)
    # A variable set to nothing is not an empty password (it was sent as one; failed before).
    empty = run_cli("db", "copy", "--to", url, "--password-env", "COPY_PW", env={"COPY_PW": ""})
    assert one_line_error(empty, 2) == "Error: --password-env: the variable $COPY_PW is empty"
    both = run_cli("db", "copy", "--to", url, "--password-file", str(secret), "--password-env", "PW")
    assert "--password-env" in one_line_error(both, 2) and "--password-file" in one_line_error(both, 2)
    copied = ok(run_cli("db", "copy", "--to", url, "--password-file", str(secret), "--json"))
    assert json.loads(copied.stdout)["rows"]["cases"] == 1
    assert "copy-pw-Q4x" not in copied.stdout + copied.stderr
    assert str(secret) not in copied.stdout  # what it copied, not how it logged in
    # A wrong one is refused by the server, and not shown.
    secret.write_text("not-the-copy-pw\n")
    wrong = run_cli("db", "copy", "--to", url, "--password-file", str(secret), "--force")
    assert "password authentication failed" in one_line_error(wrong, 1)
    assert "not-the-copy-pw" not in wrong.stdout + wrong.stderr


def test_a_server_that_asks_for_a_password_none_was_given_for_says_how_to_give_one(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, pg_server: object
) -> None:
    # An operator's walkthrough (failed before): libpq's "fe_sendauth: no password supplied" came
    # alone, with nothing saying where reminder takes a password from.
    url = _password_role_url(pg_url, "hint-pw-J2", pg_server)
    ok(run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01"))
    line = one_line_error(run_cli("db", "copy", "--to", url), 1)
    assert line.startswith("Error: ") and "no password supplied" in line, line
    assert line.endswith(
        "; the server asks for a password and was given none: pass --password-file PATH or "
        "--password-env NAME, or use PGPASSWORD or ~/.pgpass"
    ), line
    tmp_env.write_config(f'[store]\nurl = "{url}"\n')
    store_hint = (
        "the server asks for a password and was given none: set [store] password_file or password_env, "
        "or use PGPASSWORD or ~/.pgpass"
    )
    for args in (
        ["list"],
        ["list", "--json"],
        ["status"],
        ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"],
    ):
        # A config error (exit 2), naming the config file and store.url, as the daemon says it.
        line = one_line_error(run_cli(*args), 2)
        error = json.loads(line)["error"] if "--json" in args else line.removeprefix("Error: ")
        assert error.startswith(f"{tmp_env.config_path}: store.url: "), (args, line)
        assert "no password supplied" in error and store_hint in error, (args, line)
    line = one_line_error(run_cli("daemon", "--once"), 2)
    assert line.startswith(f"Error: {tmp_env.config_path}: store.url: ") and store_hint in line, line


def test_db_copy_refuses_a_store_that_is_not_sqlite_before_it_connects(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    # An operator's walkthrough (failed before): with [store] url set, db copy connected first (to
    # the configured database, then the target), so a server down or a password missing there was
    # the error, exit 1, and only a reachable one got "the configured store is not one".
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    configured = f"postgresql://reminder:hunter2@127.0.0.1:{port}/reminder"
    tmp_env.write_config(f'[store]\nurl = "{configured}"\npassword_file = "no-such-file"\n')
    said = (
        f"store.url: db copy copies a SQLite store, and postgresql://reminder:***@127.0.0.1:{port}/reminder "
        "is a PostgreSQL database: run db copy with the config whose [store] path names the SQLite "
        "file, without url"
    )
    line = one_line_error(run_cli("db", "copy", "--to", pg_url), 2)
    assert line == f"Error: {tmp_env.config_path}: {said}"
    tmp_env.write_config("")
    line = one_line_error(run_cli("db", "copy", "--to", pg_url, env={"REMINDER_STORE__URL": configured}), 2)
    assert line == f"Error: {tmp_env.config_path}: {said} (from $REMINDER_STORE__URL)"
    # No SQLite store to copy: said, and none made (it made an empty one and copied nothing).
    line = one_line_error(run_cli("db", "copy", "--to", pg_url, "--json"), 2)
    assert json.loads(line) == {
        "error": f"{tmp_env.config_path}: store.path: there is no SQLite store to copy at {tmp_env.db_path}"
    }
    assert not tmp_env.db_path.exists()


def test_db_copy_says_what_it_copied_and_what_comes_next(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    # An operator's walkthrough (failed before): the summary listed the tables by their names,
    # "meta: 0" and "evidence_heads" among them, and said nothing of the SQLite file left behind
    # nor that reminder would go on using it until the config names the new database.
    case = json.loads(
        ok(
            run_cli(
                "add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01", "--json"
            )
        ).stdout
    )
    ok(run_cli("evidence", "add", case["id"], "--kind", "call", "--summary", "Called 196"))
    tmp_env.write_config("")
    lines = ok(run_cli("db", "copy", "--to", pg_url)).stdout.splitlines()
    shown = redact_url(pg_url)
    assert lines[0] == f"Copied {tmp_env.db_path} into {shown}:"
    counts = lines[1:6]
    assert (
        counts[0] == "  cases: 1"
        and counts[1] == "  checklist items: 0"
        and counts[3] == "  evidence entries: 1"
    )
    assert counts[2].startswith("  reminders: ") and int(counts[2].split(": ")[1]) > 0
    assert counts[4] == "  attachments: 0 files, 0 bytes"
    assert lines[6] == "  evidence logs verified on the copy: 1"
    assert not any(word in line for line in lines for word in ("meta", "evidence_heads", "checklist_items"))
    assert lines[7:] == [
        f"The SQLite store is kept as it was: {tmp_env.db_path}. reminder goes on using it until the config "
        "names the new database:",
        f'stop the daemon, set [store] url = "{shown}" in {tmp_env.config_path} (on every machine that '
        "shares it, with password_file or password_env if the server asks for a password), then start "
        "the daemon again; keep the SQLite file as a backup.",
    ]
    with sqlite3.connect(tmp_env.db_path) as db:  # kept, whole, with the case
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (1,)
    db.close()


# --- bad URLs, dead servers, passwords --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "is not a PostgreSQL URL"),
        ("postgresql://u:hunter2@h:5432", "names no database"),
        ("postgresql://u:hunter2@h:port/db", "bad port number"),
        # A traceback quoting the password (found by an operator's walkthrough; failed before):
        ("postgresql://u:hunter2@[::1/db", "is not a URL: Invalid IPv6 URL"),
        ("host=h user=u password=hunter2 dbname=d", "is not a PostgreSQL URL"),
    ],
)
def test_a_bad_url_is_one_line_exit_2_without_the_password(
    run_cli: RunCli, tmp_env: TmpEnv, url: str, message: str
) -> None:
    line = one_line_error(run_cli("list", env={"REMINDER_STORE__URL": url}), 2)
    assert message in line and "hunter2" not in line
    tmp_env.write_config(f'[store]\nurl = "{url}"\n')
    for args in (["config", "check"], ["status"]):
        line = one_line_error(run_cli(*args), 2)
        assert message in line and "hunter2" not in line, args
    tmp_env.write_config("")
    line = one_line_error(run_cli("db", "copy", "--to", url), 2)  # checked as [store] url is
    assert message in line and "hunter2" not in line


def test_a_driver_error_is_one_line_without_the_url_or_password() -> None:
    # libpq quotes a URL it cannot parse, and runs a hint over a second, tab-indented line.
    from reminder.backends.postgres import PostgresBackend

    backend = PostgresBackend("postgresql://u:hunter2@h/db", password="pw-from-env")
    said = backend.describe(
        ValueError('bad URI: "postgresql://u:hunter2@h/db" (pw-from-env)\n\tThis probably means it died')
    )
    assert said == 'bad URI: "postgresql://u:***@h/db" (***) This probably means it died'


@pytest.mark.parametrize(
    ("password", "said", "shown"),
    [
        # A password that is a word or a number of the message, as many are: the message is left
        # whole (None; found by an operator's walkthrough, failed before: "the database" became
        # "*** database")...
        ("the", "connection to the server failed", None),
        ("data", 'FATAL: database "data" does not exist', None),
        ("password", 'FATAL: password authentication failed for user "u"', None),
        ("5432", 'connection to server at "h", port 5432 failed', None),
        # ...and it is still hidden where it stands as a password.
        (
            "password",
            "invalid connection string: host=h password=password dbname=d",
            "invalid connection string: host=h password=*** dbname=d",
        ),
        ("data", "missing \"=\" in 'password = data'", 'missing "=" in \'password = ***'),
        ("the", 'bad URI: "postgresql://u:the@h/db"', 'bad URI: "postgresql://u:***@h/db"'),
        # Any other password is hidden wherever it is, a part of a longer word too.
        ("pw-from-env", "refused (pw-from-env)", "refused (***)"),
        ("hunter2", "xhunter2y and hunter2", "x***y and ***"),
        ("correct horse battery", "said correct horse battery here", "said *** here"),
    ],
)
def test_a_password_is_hidden_where_it_can_be_one_and_the_words_around_it_are_kept(
    password: str, said: str, shown: str | None
) -> None:
    from reminder.backends.postgres import PostgresBackend

    backend = PostgresBackend("postgresql://u@h/db", password=password)
    assert backend.describe(ValueError(said)) == (said if shown is None else shown)


def test_a_common_word_for_a_password_leaves_the_servers_words_whole(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, pg_server: object
) -> None:
    # An operator's walkthrough (failed before): with the password "password" (wrong here), the
    # line said "FATAL: *** authentication failed for user …".
    url = _password_role_url(pg_url, "right-pw-K7", pg_server)
    secret = tmp_env.config_path.parent / "db-password"
    secret.write_text("password\n")
    secret.chmod(0o600)
    tmp_env.write_config(f'[store]\nurl = "{url}"\npassword_file = "{secret}"\n')
    line = one_line_error(run_cli("list"), 2)  # the config's password: a config error
    assert 'failed: FATAL: password authentication failed for user "password_only"' in line, line
    assert "***" not in line
    # A real one, wrong: never shown (the server does not say it; this says the same of reminder).
    secret.write_text("wrong-pw-K7\n")
    result = run_cli("list")
    assert "password authentication failed" in one_line_error(result, 2)
    assert "wrong-pw-K7" not in result.stdout + result.stderr


@pytest.mark.parametrize("given", ["wrong", "none", "database"])
def test_a_login_refused_with_the_configured_password_is_a_config_error_everywhere(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, pg_server: object, given: str
) -> None:
    """A wrong password in [store] password_file, none where the server asks for one
    (fe_sendauth), or a database the server does not have: the commands exited 1 with the
    driver's words, as if an operation had failed, the daemon 2 naming the config file and
    store.url. Both exit 2 now, with the same line (the daemon's followed by why it stops),
    naming the file and key, never the password."""
    url = _password_role_url(pg_url, "right-pw-M3", pg_server)
    if given == "database":
        url = pg_url.rsplit("/", 1)[0] + "/no_such_database"
    secret = tmp_env.config_path.parent / "db-password"
    secret.write_text("wrong-pw-M3\n")
    secret.chmod(0o600)
    store = f'[store]\nurl = "{url}"\n'
    tmp_env.write_config(store + (f'password_file = "{secret}"\n' if given == "wrong" else ""))
    daemon = one_line_error(run_cli("daemon", "--once"), 2)
    tail = "; waiting will not fix this, so the daemon stops"
    assert daemon.endswith(tail), daemon
    line = daemon.removesuffix(tail)
    assert line.startswith(f"Error: {tmp_env.config_path}: store.url: {redact_url(url)}: "), line
    if given == "wrong":
        assert "the password is wrong or missing" in line and "password authentication failed" in line
    elif given == "database":
        assert "the server has no database of that name" in line and "no_such_database" in line
    else:
        assert "set [store] password_file or password_env" in line and "no password supplied" in line
    for args in (
        ["list"],
        ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"],
        ["status"],
        ["db", "migrate"],
        ["evidence", "list", "k7m2qx"],
    ):
        result = run_cli(*args)
        assert one_line_error(result, 2) == line, args
        assert "wrong-pw-M3" not in result.stdout + result.stderr, args
    for args in (["list", "--json"], ["status", "--json"]):
        result = run_cli(*args)
        assert json.loads(one_line_error(result, 2)) == {"error": line.removeprefix("Error: ")}, args
    if given == "wrong":  # the right one: the same commands work
        secret.write_text("right-pw-M3\n")
        ok(run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"))
        ok(run_cli("list"))


def test_an_unreachable_server_is_one_line_exit_1_without_the_password(run_cli: RunCli) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    url = f"postgresql://reminder:hunter2@127.0.0.1:{port}/reminder"
    for args in (["list"], ["list", "--json"], ["status", "--json"]):
        line = one_line_error(run_cli(*args, env={"REMINDER_STORE__URL": url}), 1)
        assert "hunter2" not in line and "127.0.0.1" in line and "cannot connect" in line, line


def test_a_refused_login_or_database_is_told_from_a_server_that_is_down(
    tmp_env: TmpEnv, pg_url: str, pg_server: object
) -> None:
    # What the daemon stops for at start (waiting will not fix it), and what it waits out.
    import socket

    from pg_cluster import PASSWORD_ROLE, ExternalServer

    from reminder.errors import StoreRefused

    if isinstance(pg_server, ExternalServer):
        pytest.skip("needs the tests' own server, whose pg_hba.conf asks PASSWORD_ROLE alone for a password")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    urls = {
        "28P01": pg_url.replace("postgres@", f"{PASSWORD_ROLE}:hunter2@"),  # the server asks it for one
        "28000": pg_url.replace("postgres@", "no_such_role@"),
        "3D000": pg_url.rsplit("/", 1)[0] + "/no_such_database",
        None: f"postgresql://postgres:hunter2@127.0.0.1:{port}/reminder",
    }
    for state, url in urls.items():
        with pytest.raises(StoreError) as caught:
            Store(tmp_env.db_path, url=url)
        refused = caught.value.sqlstate if isinstance(caught.value, StoreRefused) else None
        assert refused == state, (url, caught.value)
        assert "hunter2" not in str(caught.value)


def test_the_password_comes_from_password_env_or_file_and_is_never_shown(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, pg_server: object
) -> None:
    from pg_cluster import PgServer

    assert isinstance(pg_server, PgServer)
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE alice LOGIN PASSWORD 'hunter2'")
        conn.execute(f"GRANT ALL ON DATABASE {pg_url.rsplit('/', 1)[1]} TO alice")
        conn.execute("GRANT ALL ON SCHEMA public TO alice")
    url = pg_url.replace("postgres@", "alice@")
    secret_file = tmp_env.config_path.parent / "db-password"
    secret_file.write_text("hunter2\n")
    secret_file.chmod(0o600)
    tmp_env.write_config(f'[store]\nurl = "{url}"\npassword_file = "{secret_file}"\n')
    ok(run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"))
    checked = ok(run_cli("config", "check", "--json"))
    assert "hunter2" not in checked.stdout + checked.stderr
    tmp_env.write_config(f'[store]\nurl = "{url}"\npassword_env = "DB_PASSWORD"\n')
    assert len(json.loads(ok(run_cli("list", "--json", env={"DB_PASSWORD": "hunter2"})).stdout)) == 1
    missing = run_cli("list")
    assert "$DB_PASSWORD is not set" in one_line_error(missing, 2)
    # Written into the URL (not advised), it is still never shown.
    inline = url.replace("alice@", "alice:hunter2@")
    tmp_env.write_config(f'[store]\nurl = "{inline}"\n')
    for args in (["config", "check", "--json"], ["config", "check"], ["status", "--json"]):
        shown = ok(run_cli(*args))
        assert "hunter2" not in shown.stdout + shown.stderr, args
    assert "alice:***@" in ok(run_cli("status", "--json")).stdout
    # Trust is for the cluster's superuser only in this test's pg_hba: a wrong password is refused
    # only where the server asks for one, so only the message's secrecy is checked here.
    wrong = run_cli("list", env={"DB_PASSWORD": "wrong-password"})
    assert "wrong-password" not in wrong.stdout + wrong.stderr


# Every way [store] password_env / password_file can fail to give a password, and the problem as
# said after the key (``{path}``: the password file).
_PASSWORD_PROBLEMS = {
    "variable unset": "password_env: the password variable $DB_PW_NOT_SET_HERE is not set",
    "variable empty": "password_env: the password variable $DB_PW_EMPTY_HERE is empty",
    "missing": "password_file: cannot read {path}: No such file or directory",
    "a directory": "password_file: {path} is not a regular file",
    "empty": "password_file: {path} is empty",
    "open to others": "password_file: {path} is open to other users (mode 0640): chmod 600 {path}",
    "not UTF-8": "password_file: cannot read {path}: not UTF-8 text",
}


def _broken_password(problem: str, path: Path) -> tuple[str, str]:
    """Make ``problem`` at ``path``: the [store] key and its value, as TOML."""
    if problem == "variable unset":
        return "password_env", "DB_PW_NOT_SET_HERE"
    if problem == "variable empty":
        return "password_env", "DB_PW_EMPTY_HERE"  # set to "" where the commands run
    if problem == "a directory":
        path.mkdir()
    elif problem != "missing":
        content = {"empty": b"\n", "open to others": b"pw\n", "not UTF-8": b"\xffpw\n"}[problem]
        path.write_bytes(content)
        path.chmod(0o640 if problem == "open to others" else 0o600)
    return "password_file", str(path)


@pytest.mark.parametrize("problem", list(_PASSWORD_PROBLEMS))
def test_a_store_password_that_cannot_be_had_is_one_line_naming_the_file_and_key(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, problem: str
) -> None:
    # Found by an operator's walkthrough (failed before): the line said "[store] cannot read
    # password_file …" or "[store] password_env: …", naming neither the config file nor the key as
    # every other config error does; an empty file or one open to other users was used as it was;
    # a file not UTF-8 was a traceback. A variable set to nothing was sent as an empty password
    # (the server's refusal, or a login with none, was the error; failed before).
    secret = tmp_env.config_path.parent / "db-password"
    empty = {"DB_PW_EMPTY_HERE": ""}
    key, value = _broken_password(problem, secret)
    said = _PASSWORD_PROBLEMS[problem].format(path=secret)
    tmp_env.write_config(f'[store]\nurl = "{pg_url}"\n{key} = "{value}"\n')
    expected = f"{tmp_env.config_path}: store.{said}"
    commands = [
        ["list"], ["list", "--json"], ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"],
        ["status"], ["status", "--json"], ["daemon", "--once"], ["daemon"], ["db", "migrate"],
    ]  # fmt: skip
    if not problem.startswith("variable"):  # a variable may be set where the daemon runs, not in this shell
        commands.append(["config", "check"])
    for args in commands:
        line = one_line_error(run_cli(*args, timeout=60, env=empty), 2)
        if "--json" in args:
            assert json.loads(line) == {"error": expected}, args
        else:
            assert line == f"Error: {expected}", args
    # Given in the environment, the line says so.
    tmp_env.write_config("")
    variable = f"REMINDER_STORE__{key.upper()}"
    line = one_line_error(run_cli("list", env={"REMINDER_STORE__URL": pg_url, variable: value, **empty}), 2)
    assert line == f"Error: {tmp_env.config_path}: store.{said} (from ${variable})"


# --- the store itself -------------------------------------------------------------------------------------


def test_two_processes_opening_a_new_database_migrate_it_once(tmp_env: TmpEnv, pg_url: str) -> None:
    code = (
        "import sys; from reminder.store import Store\n"
        "with Store(sys.argv[1], url=sys.argv[2]) as s: print(s.schema_version)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_env.root / f"{n}.db"), pg_url],
            env={**tmp_env.env, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == str(len(MIGRATIONS))


def test_a_newer_database_is_refused(tmp_env: TmpEnv, pg_url: str) -> None:
    with Store(tmp_env.db_path, url=pg_url) as s:
        s.conn.execute("UPDATE reminder_schema SET version = ?", (len(MIGRATIONS) + 3,))
    with pytest.raises(StoreError, match="newer than this reminder knows"):
        Store(tmp_env.db_path, url=pg_url)


def test_the_store_reconnects_after_its_connection_is_killed(tmp_env: TmpEnv, pg_url: str) -> None:
    import psycopg

    with Store(tmp_env.db_path, url=pg_url) as s:
        s.add_case(make_case())
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(StoreError, match="connection"):
            s.count_cases()
        assert s.count_cases() == 1  # the next operation connects again
        s.add_case(make_case(title="after"))
        assert s.count_cases() == 2


def test_a_transaction_cut_by_a_lost_connection_writes_nothing(tmp_env: TmpEnv, pg_url: str) -> None:
    import psycopg

    with Store(tmp_env.db_path, url=pg_url) as s:
        with pytest.raises(StoreError), s.atomic():
            s.add_case(make_case(title="lost"))
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            s.add_case(make_case(title="never"))
        assert not s.conn.in_transaction
        assert s.count_cases() == 0
        assert s._depth == 0


def test_attachments_stream_in_chunks_and_identical_content_is_stored_once(
    tmp_env: TmpEnv, pg_url: str, tmp_path: Path
) -> None:
    import hashlib

    from reminder.evidence_files import open_blob, store_blob

    data = os.urandom(2 * CHUNK_SIZE + 123)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    with Store(tmp_env.db_path, url=pg_url) as s:
        store_blob(s.attachments, src, digest)
        store_blob(s.attachments, src, digest)
        rows = s.conn.execute("SELECT n, length(data) FROM attachment_chunks ORDER BY n").fetchall()
        assert rows == [(0, CHUNK_SIZE), (1, CHUNK_SIZE), (2, 123)]
        with open_blob(s.attachments, digest) as fh:
            assert fh.read(10) == data[:10]
            assert fh.read() == data[10:]
        with pytest.raises(FileNotFoundError):
            open_blob(s.attachments, "0" * 64)


def test_threads_share_nothing_but_the_database(tmp_env: TmpEnv, pg_url: str) -> None:
    with Store(tmp_env.db_path, url=pg_url) as s:

        def add(n: int) -> None:
            with s.reopen() as own:
                for i in range(20):
                    own.add_case(make_case(title=f"{n}-{i}"))

        assert _in_threads(add, 4) == []
        assert s.count_cases() == 80


def test_concurrent_writers_to_one_case_are_serialised_by_its_row(tmp_env: TmpEnv, db_store: Store) -> None:
    """What BEGIN IMMEDIATE gives SQLite, the case's row lock gives PostgreSQL: evidence numbers
    and checklist positions read then written by several connections at once never collide."""
    from reminder.evidence import add_entry, list_entries
    from reminder.evidence_key import KeyDir
    from reminder.evidence_verify import verify

    case = db_store.add_case(make_case())

    def write(n: int) -> None:
        with db_store.reopen() as own:
            for i in range(10):
                add_entry(
                    own, tmp_env.db_path.parent, case.id, keys=KeyDir.default(),
                    kind="note", summary=f"{n}-{i}", now=NOW,
                )  # fmt: skip
                own.add_checklist_items(case.id, [f"{n}-{i}"])

    assert _in_threads(write, 4) == []
    assert [e.seq for e in list_entries(db_store, case.id)] == list(range(1, 41))
    assert [i.position for i in db_store.get_checklist(case.id)] == list(range(1, 41))
    assert verify(db_store, tmp_env.db_path.parent, case.id, keys=KeyDir.default()).ok


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            ("close", "--resolution", "refunded"),
            ("edit", "--notes", "called again"),
            {"status": "closed", "resolution": "refunded", "notes": "called again"},
        ),
        (
            ("edit", "--title", "Cancel the roaming eSIM"),
            ("edit", "--notes", "called again"),
            {"status": "open", "title": "Cancel the roaming eSIM", "notes": "called again"},
        ),
    ],
    ids=["close-and-edit", "two-edits"],
)
def test_two_commands_changing_one_case_at_once_both_count(
    run_cli: RunCli,
    tmp_env: TmpEnv,
    pg_url: str,
    first: tuple[str, ...],
    second: tuple[str, ...],
    expected: dict[str, str],
) -> None:
    """Two processes change one case at once: each used to read the case, then write all of it
    back, so the one that wrote last put back what it had read. A `close` followed by an `edit
    --notes` left the case open, and the edit's re-plan brought back the reminders the close had
    cancelled: a close acknowledged (exit 0) and undone. Here the test holds the case's row until
    both commands wait for it, whatever the timing, then lets them through in the order they came."""
    import psycopg

    env = {"REMINDER_STORE__URL": pg_url}
    today = datetime.now(UTC).date().isoformat()  # its reminders all to come: planned
    added = ok(
        run_cli(
            "add", "--title", "Cancel roaming", "--org", "Batelco", "--submitted", today, "--json", env=env
        )
    )
    case_id = json.loads(added.stdout)["id"]
    waiting = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 60
    procs: list[subprocess.Popen[str]] = []
    with psycopg.connect(pg_url) as holder, psycopg.connect(pg_url, autocommit=True) as watch:
        holder.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (case_id,))
        for command, *rest in (first, second):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "reminder", command, case_id, *rest],
                    env={**tmp_env.env, **env},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            # Each has read the case and waits to write it (or, read under the lock, to read it).
            while (row := watch.execute(waiting).fetchone()) is None or row[0] < len(procs):
                assert all(p.poll() is None for p in procs) and time.monotonic() < deadline, "never waited"
                time.sleep(0.01)
        holder.rollback()
    for p in procs:
        _out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    shown = json.loads(ok(run_cli("show", case_id, "--json", env=env)).stdout)
    assert {k: shown.get(k) for k in expected} == expected, shown
    with Store(tmp_env.db_path, url=pg_url) as s:
        statuses = {
            str(r[0]) for r in s.conn.execute("SELECT status FROM deliveries WHERE case_id = ?", (case_id,))
        }
    # Closed: every reminder cancelled. Open: none (a close undone brought them back as planned).
    assert statuses == {"cancelled"} if expected["status"] == "closed" else statuses == {"planned"}, statuses


def _superuser(pg_url: str) -> bool:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def _close_in_deadlocks(
    tmp_env: TmpEnv, pg_url: str, case_id: str, rounds: int
) -> tuple[subprocess.Popen[str], int]:
    """Run `reminder close case_id` and end each of its first ``rounds`` attempts in a real
    deadlock; returns the process (still running, or ended) and the deadlocks it met.

    Each round: a connection of the test holds the case's row; the command waits for it. Another
    (the *taker*) shares the case's outbox rows, which the close will cancel, and asks for the case
    too, queued behind the command. The holder lets go: the command gets the case and waits for the
    outbox rows, the taker waits for the case. The command's server process looks for a deadlock
    first (the taker's deadlock_timeout is an hour), finds the cycle and aborts the command's
    transaction; the taker gets the case and holds it for the next round. Whatever the timing."""
    import psycopg

    if not _superuser(pg_url):
        pytest.skip("setting deadlock_timeout needs a superuser on the test server")
    waiting = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 120
    holder = psycopg.connect(pg_url)
    holder.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (case_id,))
    proc = subprocess.Popen(
        [sys.executable, "-m", "reminder", "close", case_id],
        env={**tmp_env.env, "REMINDER_STORE__URL": pg_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    met = 0
    try:
        with psycopg.connect(pg_url, autocommit=True) as watch:

            def wait_for(count: int) -> bool:
                while (row := watch.execute(waiting).fetchone()) is None or row[0] < count:
                    if proc.poll() is not None:
                        return False
                    assert time.monotonic() < deadline, "never waited"
                    time.sleep(0.01)
                return True

            for _round in range(rounds):
                if not wait_for(1):  # the command waits for the case
                    break
                taker = psycopg.connect(pg_url)
                taker.execute("SET deadlock_timeout = '1h'")
                taker.execute("SET lock_timeout = '60s'")  # a test gone wrong fails, never hangs
                shared = taker.execute(
                    "SELECT 1 FROM deliveries WHERE case_id = %s AND status = 'planned' FOR SHARE", (case_id,)
                ).fetchall()
                assert shared, "no planned reminder for the close to cancel"
                took: list[BaseException | None] = []

                def take(
                    conn: psycopg.Connection[tuple[object, ...]] = taker,
                    took: list[BaseException | None] = took,
                ) -> None:
                    try:
                        conn.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (case_id,))
                        took.append(None)
                    except BaseException as exc:  # reported below, not lost in the thread
                        took.append(exc)

                thread = threading.Thread(target=take)
                thread.start()
                assert wait_for(2), "the command ended before the taker queued behind it"
                holder.rollback()  # the command gets the case; the deadlock follows
                holder.close()
                thread.join(90)
                assert took == [None], took  # the server aborted the command, not the taker
                holder = taker
                met += 1
    finally:
        holder.rollback()
        holder.close()
    return proc, met


def _planned_close(run_cli: RunCli, pg_url: str) -> str:
    today = datetime.now(UTC).date().isoformat()  # its reminders all to come: planned
    added = run_cli(
        "add", "--title", "Cancel roaming", "--org", "Batelco", "--submitted", today, "--json",
        env={"REMINDER_STORE__URL": pg_url},
    )  # fmt: skip
    return str(json.loads(ok(added).stdout)["id"])


def _statuses(tmp_env: TmpEnv, pg_url: str, case_id: str) -> tuple[str, set[str]]:
    with Store(tmp_env.db_path, url=pg_url) as s:
        (status,) = s.conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
        rows = {
            str(r[0]) for r in s.conn.execute("SELECT status FROM deliveries WHERE case_id = ?", (case_id,))
        }
    return str(status), rows


def test_a_command_aborted_by_a_deadlock_runs_its_transaction_again(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    """A `close` that the server aborts as a deadlock with another transaction failed with "the
    database connection failed: deadlock detected", as if the server were down. Its transaction
    writes only to the database, so it is run again, and the close goes through."""
    case_id = _planned_close(run_cli, pg_url)
    proc, met = _close_in_deadlocks(tmp_env, pg_url, case_id, rounds=1)
    _out, err = proc.communicate(timeout=60)
    assert met == 1
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert _statuses(tmp_env, pg_url, case_id) == ("closed", {"cancelled"})


def test_a_command_that_meets_deadlocks_again_and_again_says_so_and_writes_nothing(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    """Deadlocked on every attempt, the command gives up: one line that says what happened (not
    a lost connection), that nothing was written, and to run it again; exit 1."""
    case_id = _planned_close(run_cli, pg_url)
    proc, met = _close_in_deadlocks(tmp_env, pg_url, case_id, rounds=10)
    out, err = proc.communicate(timeout=60)
    line = one_line_error(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), code=1)
    assert "connection failed" not in line
    assert "another process was changing the same cases at the same moment (deadlock detected)" in line, line
    assert line.endswith("nothing was written: run the command again"), line
    assert redact_url(pg_url) in line
    assert met == 1 + CONFLICT_RETRIES  # each run aborted, the last one said
    assert _statuses(tmp_env, pg_url, case_id) == ("open", {"planned"})


def test_the_migrations_of_both_backends_go_in_step() -> None:
    from reminder import listing
    from reminder.backends import postgres

    assert [m.__name__ for m in postgres.MIGRATIONS] == [m.__name__ for m in MIGRATIONS]
    assert len(postgres.MIGRATIONS) == listing.SCHEMA_VERSION


def test_a_failing_migration_leaves_the_database_as_it_was(
    tmp_env: TmpEnv, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reminder.backends import postgres

    with Store(tmp_env.db_path, url=pg_url) as s:
        s.add_case(make_case())

    def m999_broken(conn: object) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")  # type: ignore[attr-defined]
        conn.execute("THIS IS NOT SQL")  # type: ignore[attr-defined]

    monkeypatch.setattr(postgres.PostgresBackend, "migrations", [*postgres.MIGRATIONS, m999_broken])
    with pytest.raises(StoreError, match="syntax error"):
        Store(tmp_env.db_path, url=pg_url)
    monkeypatch.undo()
    with Store(tmp_env.db_path, url=pg_url) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.conn.execute("SELECT to_regclass('half')").fetchone() == (None,)
        assert s.count_cases() == 1


def test_the_store_carries_on_after_the_server_restarts(
    tmp_env: TmpEnv, pg_url: str, pg_server: object
) -> None:
    from pg_cluster import PgServer

    assert isinstance(pg_server, PgServer)
    if not pg_server.can_restart:
        pytest.skip("the server was given ($REMINDER_TEST_PG_URL), not started here")
    with Store(tmp_env.db_path, url=pg_url) as s:
        s.add_case(make_case())
        pg_server.restart()
        with pytest.raises(StoreError) as lost:
            s.count_cases()  # the operation under way when the server went away fails, in one line
        assert "\n" not in str(lost.value)
        assert s.count_cases() == 1  # and the next one connects again
        s.add_case(make_case(title="after the restart"))
        assert s.count_cases() == 2


def _in_threads(work: Callable[[int], None], n: int) -> list[BaseException]:
    """``work(0)`` … ``work(n - 1)``, each in a thread of its own, at once; what they raised."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # pragma: no cover - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize(
    "change",
    ["UPDATE cases SET status = 'closed' WHERE id = %s", "DELETE FROM cases WHERE id = %s"],
    ids=["close", "delete"],
)
def test_refresh_windows_leaves_a_case_closed_or_deleted_while_it_ran(
    tmp_env: TmpEnv, pg_url: str, change: str
) -> None:
    """refresh_windows lists the open cases, then writes back each one whose window moved. A case
    closed by another process between the two was written back open; one deleted ended the whole
    refresh with NotFound. Here the other process's change (its row update or delete, as `reminder
    close` and `delete` make it) holds the case's row while refresh_windows runs in a thread, and
    commits once refresh waits for it; the case listed after it is refreshed all the same."""

    import psycopg

    from reminder import api
    from reminder.config import ClosureSettings, load_settings

    plain = load_settings()
    shut = plain.model_copy(
        update={"closures": [ClosureSettings(start=date(2026, 3, 2), end=date(2026, 3, 4))]}
    )
    with Store(tmp_env.db_path, url=pg_url) as s:
        case, other = (
            api.add_case(s, plain, now=NOW, title=title, organisation="Batelco", submitted=date(2026, 3, 1))
            for title in ("Cancel roaming", "Refund the last bill")
        )
        before = s.get_window(other.id)
    waiting = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            with Store(tmp_env.db_path, url=pg_url) as s:
                api.refresh_windows(s, shut, now=NOW)
        except BaseException as e:  # reported by the test, not lost in the thread
            errors.append(e)

    with psycopg.connect(pg_url) as closer, psycopg.connect(pg_url, autocommit=True) as watch:
        closer.execute(change, (case.id,))
        thread = threading.Thread(target=refresh)
        thread.start()
        deadline = time.monotonic() + 60
        while (row := watch.execute(waiting).fetchone()) is None or row[0] < 1:
            assert thread.is_alive() and time.monotonic() < deadline, "refresh never waited for the case"
            time.sleep(0.01)
        closer.commit()
    thread.join(60)
    assert errors == []
    with Store(tmp_env.db_path, url=pg_url) as s:
        if change.startswith("UPDATE"):
            assert s.get_case(case.id).status == "closed"
        else:
            assert s.count_cases() == 1
        after = s.get_window(other.id)
    assert before is not None and after is not None and after.opens > before.opens


@pytest.mark.parametrize("closed", ["after", "before"])
def test_a_replan_under_way_plans_nothing_for_a_case_closed_meanwhile(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str, closed: str
) -> None:
    """A daemon started after a notifier was added re-plans every open case, a batch of them to a
    transaction: it read the batch, then wrote each case's plan. A `reminder close` committed
    after that read cancelled the case's reminders, and the re-plan then wrote the new notifier's
    reminders for the closed case as planned: they went out for a closed case. Here the test holds
    one case of the batch (as a command changing it would) until the starting daemon's re-plan
    waits for it, closes the other case (listed after or before it) with the CLI, and lets the
    re-plan through; every reminder of the closed case must be cancelled."""
    import psycopg

    env = {"REMINDER_STORE__URL": pg_url}
    log = tmp_env.root / "daemon.log"
    daemon = f'[daemon]\nlog_file = "{log}"\nmax_sleep_seconds = 60\n'
    tmp_env.write_config(f"{daemon}[notifiers.log]\n")
    today = datetime.now(UTC).date().isoformat()  # their reminders all to come: nothing is sent
    ids = sorted(
        json.loads(
            ok(
                run_cli("add", "--title", title, "--org", "Batelco", "--submitted", today, "--json", env=env)
            ).stdout
        )["id"]
        for title in ("Cancel roaming", "Refund the last bill")
    )
    held, closing = ids if closed == "after" else ids[::-1]
    second = tmp_env.root / "second.log"
    tmp_env.write_config(f'{daemon}[notifiers.log]\n[notifiers.second]\ntype = "log"\npath = "{second}"\n')
    waiting = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 60
    run_env = {**tmp_env.env, **env}
    with psycopg.connect(pg_url) as holder, psycopg.connect(pg_url, autocommit=True) as watch:
        holder.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (held,))
        started = subprocess.Popen(
            [sys.executable, "-m", "reminder", "daemon", "-v"],
            env=run_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while (row := watch.execute(waiting).fetchone()) is None or row[0] < 1:
                assert started.poll() is None and time.monotonic() < deadline, "the re-plan never waited"
                time.sleep(0.01)
            # The close goes through, or waits for the re-plan: either way it is let through below.
            close = subprocess.Popen(
                [sys.executable, "-m", "reminder", "close", closing],
                env=run_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            while close.poll() is None and ((row := watch.execute(waiting).fetchone()) is None or row[0] < 2):
                assert started.poll() is None and time.monotonic() < deadline, "the re-plan stopped"
                time.sleep(0.01)
            holder.rollback()
            _out, err = close.communicate(timeout=60)
            assert close.returncode == 0, err
            while "planned reminders for" not in (log.read_text() if log.exists() else ""):
                assert started.poll() is None and time.monotonic() < deadline, "the re-plan never ended"
                time.sleep(0.05)
        finally:
            started.terminate()
            _out, err = started.communicate(timeout=60)
    assert started.returncode == 0, err
    assert "Traceback" not in err, err
    with Store(tmp_env.db_path, url=pg_url) as s:
        assert s.get_case(closing).status == "closed"
        rows = s.conn.execute("SELECT case_id, notifier, status FROM deliveries").fetchall()
    # The held case was re-planned (the new notifier's rows) and the closed one has nothing left to send.
    assert {(n, st) for c, n, st in rows if c == held} == {("log", "planned"), ("second", "planned")}, rows
    assert [(n, st) for c, n, st in rows if c == closing and st in ("planned", "sending")] == [], rows


def test_a_replan_goes_on_past_a_batch_whose_cases_were_all_closed_meanwhile(
    tmp_env: TmpEnv, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-plan batch locks its cases after reading which they are; when every one of them was
    closed in between, the batch is empty of them, and the re-plan must go on to the next cases,
    not take the empty batch for the end of the open cases. Here the first batch's cases are
    closed by another connection that commits once the re-plan waits for them."""
    import psycopg

    from reminder import api, planning
    from reminder.config import load_settings

    settings = load_settings()
    with Store(tmp_env.db_path, url=pg_url) as s:
        ids = sorted(
            api.add_case(
                s, settings, now=NOW, title=f"case {i}", organisation="Batelco", submitted=date(2026, 3, 1)
            ).id
            for i in range(4)
        )
        s.conn.execute("DELETE FROM deliveries")  # everything is to be planned again
    monkeypatch.setattr(planning, "REPLAN_BATCH", 2)
    waiting = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    planned: list[int] = []
    errors: list[BaseException] = []

    def replan() -> None:
        try:
            with Store(tmp_env.db_path, url=pg_url) as s:
                planned.append(api.replan_all(s, settings, now=NOW))
        except BaseException as e:  # reported by the test, not lost in the thread
            errors.append(e)

    deadline = time.monotonic() + 60
    with psycopg.connect(pg_url) as closer, psycopg.connect(pg_url, autocommit=True) as watch:
        closer.execute("UPDATE cases SET status = 'closed' WHERE id IN (%s, %s)", ids[:2])
        thread = threading.Thread(target=replan)
        thread.start()
        while (row := watch.execute(waiting).fetchone()) is None or row[0] < 1:
            assert thread.is_alive() and time.monotonic() < deadline, "the re-plan never waited"
            time.sleep(0.01)
        closer.commit()
    thread.join(60)
    assert errors == []
    assert planned == [2]
    with Store(tmp_env.db_path, url=pg_url) as s:
        rows = {
            str(r[0])
            for r in s.conn.execute("SELECT DISTINCT case_id FROM deliveries WHERE status = 'planned'")
        }
    assert rows == set(ids[2:])


def _all_wait_on_a_held_case(
    pg_url: str, case_id: str, works: Sequence[Callable[[], object]]
) -> list[BaseException]:
    """Hold the case's row (FOR UPDATE, from a real second client) while each of ``works`` starts
    in a thread of its own, the next once the one before waits for a lock; then let go, and
    return what they raised. Two that lock cases in different orders deadlock here."""
    import psycopg

    waiting = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    errors: list[BaseException] = []

    def in_thread(work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as e:  # reported by the test, not lost in the thread
                errors.append(e)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    threads: list[threading.Thread] = []
    deadline = time.monotonic() + 60
    with psycopg.connect(pg_url) as holder, psycopg.connect(pg_url, autocommit=True) as watch:
        holder.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (case_id,))
        for work in works:
            threads.append(in_thread(work))
            while (row := watch.execute(waiting).fetchone()) is None or row[0] < len(threads):
                assert all(t.is_alive() for t in threads) and time.monotonic() < deadline, "never waited"
                time.sleep(0.01)
        holder.rollback()
    for thread in threads:
        thread.join(60)
    return errors


def test_refresh_windows_and_a_replan_under_way_lock_the_cases_in_one_order(
    tmp_env: TmpEnv, pg_url: str
) -> None:
    """The re-plan of every case locks a batch of cases in id order; refresh_windows locked the
    cases whose window moved in its list's order, by deadline. A case with the later id and the
    earlier deadline was then held by refresh while the re-plan waited for it, and the re-plan
    held the other, which refresh waited for: PostgreSQL ended one of them as a deadlock. Here
    the test holds the case with the earlier id until the re-plan, then refresh, wait for it."""

    from reminder import api
    from reminder.config import ClosureSettings, load_settings

    plain = load_settings()
    shut = plain.model_copy(
        update={"closures": [ClosureSettings(start=date(2026, 3, 2), end=date(2026, 4, 30))]}
    )
    with Store(tmp_env.db_path, url=pg_url) as s:
        first, last = sorted(
            (
                api.add_case(
                    s, plain, now=NOW, title=title, organisation="Batelco", submitted=date(2026, 3, 1)
                )
                for title in ("Cancel roaming", "Refund the last bill")
            ),
            key=lambda case: case.id,
        )
        # The later id has the earlier deadline.
        api.edit_case(s, plain, first.id, now=NOW, submitted=date(2026, 3, 10))
        windows = {case.id: s.get_window(case.id) for case in (first, last)}
    assert all(windows.values())
    assert windows[last.id].deadline < windows[first.id].deadline  # type: ignore[union-attr]

    def in_a_store(work: Callable[[Store], object]) -> Callable[[], object]:
        def run() -> None:
            with Store(tmp_env.db_path, url=pg_url) as s:
                work(s)

        return run

    works = (
        in_a_store(lambda s: api.replan_all(s, plain, now=NOW)),
        in_a_store(lambda s: api.refresh_windows(s, shut, now=NOW)),
    )
    errors = _all_wait_on_a_held_case(pg_url, first.id, works)
    assert errors == []
    with Store(tmp_env.db_path, url=pg_url) as s:
        moved = {case.id: s.get_window(case.id) for case in (first, last)}
    assert all(moved[i].opens > windows[i].opens for i in moved)  # type: ignore[union-attr]


def test_documents_re_rendered_at_open_and_a_replan_under_way_lock_the_cases_in_one_order(
    tmp_env: TmpEnv, pg_url: str
) -> None:
    """A store opened by a reminder whose case documents look different re-renders every case's,
    in one transaction; it took them in the table's order, not by id, the re-plan's order. With
    the case of the later id stored first, it held that one while the re-plan waited for it, and
    the re-plan held the other, which it waited for: PostgreSQL ended one of them as a deadlock.
    Here the test holds the case with the earlier id until the re-plan, then the re-render, wait."""

    from reminder import api
    from reminder.config import load_settings
    from reminder.window import compute_window

    settings = load_settings()
    with Store(tmp_env.db_path, url=pg_url) as s:
        for case_id in ("zz0002", "zz0001"):  # the later id first in the table
            case = make_case(id=case_id)
            s.add_case(case, compute_window(case.submitted, country="BH"))
        s.conn.execute("UPDATE meta SET value = 'older' WHERE key IN ('case_doc_shape', 'case_doc_code')")

    def replan() -> None:
        with Store(tmp_env.db_path, url=pg_url, migrate=False) as s:
            api.replan_all(s, settings, now=NOW)

    opening = lambda: Store(tmp_env.db_path, url=pg_url).close()  # noqa: E731
    errors = _all_wait_on_a_held_case(pg_url, "zz0001", (replan, opening))
    assert errors == []
    with Store(tmp_env.db_path, url=pg_url) as s:
        stamps = dict(s.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'case_doc_%'").fetchall())
        planned = {str(r[0]) for r in s.conn.execute("SELECT DISTINCT case_id FROM deliveries")}
    assert "older" not in stamps.values() and planned == {"zz0001", "zz0002"}
