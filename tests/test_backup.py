"""``reminder backup`` through the CLI: a copy that restores, made even while the daemon and
other commands write."""

from __future__ import annotations

import json
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

pytestmark = pytest.mark.timeout(180)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def add(run_cli: RunCli, title: str, submitted: str = "2026-03-01") -> str:
    out = ok(run_cli("add", "--title", title, "--org", "Batelco", "--submitted", submitted, "--json"))
    case_id: str = json.loads(out.stdout)["id"]
    return case_id


def integrity(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


@pytest.mark.sqlite_only("backup copies a SQLite store (a PostgreSQL one is refused: the last test)")
def test_a_backup_restores_by_pointing_the_store_at_it(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    first, second = add(run_cli, "Cancel roaming eSIM"), add(run_cli, "Refund")
    letter = tmp_env.root / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 confirmation")
    ok(run_cli("evidence", "add", first, "--kind", "letter", "--summary", "Letter", "--file", str(letter)))
    ok(run_cli("evidence", "add", first, "--kind", "call", "--summary", "Called 196"))

    target = tmp_env.root / "backups" / "march"
    target.parent.mkdir()
    report = json.loads(ok(run_cli("backup", str(target), "--json")).stdout)
    assert report["path"] == str(target) and report["database"] == str(target / "reminder.db")
    assert (report["cases"], report["evidence"], report["attachments"]) == (2, 2, 1)
    assert report["integrity"] == "ok" == integrity(target / "reminder.db")
    # The evidence key is left out, and the report says where it is (never what it is): without
    # it the restored log's seal cannot be verified (nothing said so before; failed before).
    key = tmp_env.root / "xdg-state" / "reminder" / "evidence.key"
    assert report["evidence_key"] == {"path": str(key), "exists": True, "in_backup": False}
    secret = key.read_text().strip()
    told = ok(run_cli("backup", str(target.parent / "april")))
    assert (
        f"The evidence key is not in the backup, on purpose: keep a copy of {key} apart from it, like a "
        "password; without the key, the evidence log's seal cannot be verified after a restore.\n"
    ) in told.stdout
    assert secret not in told.stdout + told.stderr + json.dumps(report)
    assert not any(p.read_bytes() == key.read_bytes() for p in target.rglob("*") if p.is_file())
    # Evidence, and no key where it is looked for (another machine, a lost state directory).
    key.rename(key.with_name("elsewhere"))
    try:
        lost = ok(run_cli("backup", str(target.parent / "may"), "--json")).stdout
        assert json.loads(lost)["evidence_key"] == {"path": str(key), "exists": False, "in_backup": False}
        said = ok(run_cli("backup", str(target.parent / "june"))).stdout
        assert f"The evidence key is not in the backup, and there is none at {key}: " in said
    finally:
        key.with_name("elsewhere").rename(key)
    assert sorted(p.name for p in target.iterdir()) == ["attachments", "reminder.db"]  # no -wal beside it
    for name, mode in modes(target).items():
        assert mode == (0o700 if (target / name).is_dir() else 0o600), name

    # Restore: point the store at the copy; the original is gone.
    tmp_env.db_path.rename(tmp_env.root / "lost.db")
    restored = {"REMINDER_STORE__PATH": str(target / "reminder.db")}
    listed = json.loads(ok(run_cli("list", "--json", env=restored)).stdout)
    assert sorted(c["id"] for c in listed) == sorted([first, second])
    verified = json.loads(ok(run_cli("evidence", "verify", first, "--json", env=restored)).stdout)
    assert (verified["ok"], verified["entries"], verified["attachments"]) == (True, 2, 1)
    shown = json.loads(ok(run_cli("evidence", "list", first, "--json", env=restored)).stdout)
    (attached,) = [a for e in shown["entries"] for a in e["attachments"]]
    assert Path(attached["path"]).read_bytes() == letter.read_bytes()
    assert Path(attached["path"]).is_relative_to(target)


@pytest.mark.sqlite_only("backup copies a SQLite store (a PostgreSQL one is refused: the last test)")
def test_a_backup_never_overwrites(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    add(run_cli, "Cancel roaming eSIM")
    taken = tmp_env.root / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    result = run_cli("backup", str(taken))
    assert result.returncode == 2 and "not an empty directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_env.root.iterdir() if p.name.startswith(".taken")]  # nothing half-written


@pytest.mark.sqlite_only("backup copies a SQLite store (a PostgreSQL one is refused: the last test)")
def test_the_default_is_a_dated_directory_here(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    add(run_cli, "Cancel roaming eSIM")
    out = ok(run_cli("backup")).stdout  # run_cli runs in tmp_env.root
    (made,) = tmp_env.root.glob("reminder-backup-*")
    assert made.is_dir() and f"Backed up to {made}" in out
    assert "[store] path" in out and integrity(made / "reminder.db") == "ok"
    # No evidence, no key yet: nothing to keep apart, and nothing said of it.
    assert "evidence key" not in out


@pytest.mark.sqlite_only("backup copies a SQLite store (a PostgreSQL one is refused: the last test)")
def test_backups_while_the_daemon_runs_and_cases_are_added(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    sink = tmp_env.root / "sink.jsonl"
    tmp_env.write_config(f'[notifiers.log]\npath = "{sink}"\n')
    for i in range(5):
        add(run_cli, f"early {i}", "2026-01-04")  # long due: the daemon sends them
    daemon_log = (tmp_env.root / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "reminder", "daemon"],
        env=tmp_env.env,
        stdout=subprocess.DEVNULL,
        stderr=daemon_log,  # a file: a full pipe would stall the daemon
    )
    # One process running the CLI's `add` again and again (in-process, so it writes many times
    # a second instead of once per interpreter start-up) until told to stop.
    adder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            # Until killed (at most 5 minutes), not a count: an idle machine got through 400 adds
            # before the third backup had started.
            "import sys, time\n"
            "from reminder.cli import cli\n"
            "end, i = time.monotonic() + 300, 0\n"
            "while time.monotonic() < end:\n"
            "    cli.main(['add', '--title', f'busy {i}', '--org', 'Batelco', '--submitted', '2026-03-01'])\n"
            "    if i == 0:\n"
            "        print(i, file=sys.stderr, flush=True)\n"
            "    i += 1\n",
        ],
        env=tmp_env.env,
        cwd=tmp_env.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert adder.stderr is not None
    assert (
        adder.stderr.readline().strip() == "0"
    )  # it is writing (and prints nothing more, so its pipe never fills)
    try:
        taken: list[Path] = []
        for n in range(3):
            target = tmp_env.root / f"b{n}"
            ok(run_cli("backup", str(target)))
            taken.append(target)
        assert adder.poll() is None, "the adder was still writing during every backup"
    finally:
        adder.kill()
        adder.wait()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        daemon_log.close()
    assert daemon.returncode == 0, (tmp_env.root / "daemon.log").read_text()
    counts = []
    for target in taken:
        db = target / "reminder.db"
        assert integrity(db) == "ok"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            counts.append(conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0])
            # A case and its reminders are one transaction: a snapshot never has one without the other.
            orphans = conn.execute(
                "SELECT COUNT(*) FROM cases WHERE id NOT IN (SELECT case_id FROM deliveries)"
            ).fetchone()[0]
            assert orphans == 0
        listed = json.loads(ok(run_cli("list", "--json", env={"REMINDER_STORE__PATH": str(db)})).stdout)
        assert len(listed) == counts[-1]
    assert counts == sorted(counts) and counts[0] > 5 and counts[-1] > counts[0]


def test_on_a_postgresql_store_it_says_what_to_back_up_instead(
    run_cli: RunCli, tmp_env: TmpEnv, pg_url: str
) -> None:
    """Before, it said only "use pg_dump": an operator who did so kept no copy of the evidence key,
    which no dump holds. Now the one line names the database (password hidden) and the key's path."""
    with_password = pg_url.replace("://postgres@", "://postgres:s3cret-pw@")
    env = {"REMINDER_STORE__URL": with_password}
    result = run_cli("backup", str(tmp_env.root / "copy"), env=env)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    key = Path(tmp_env.env["XDG_STATE_HOME"]) / "reminder" / "evidence.key"
    assert "pg_dump" in line and pg_url.replace("://postgres@", "://postgres:***@") in line, line
    assert f"evidence key {key} " in line and "s3cret-pw" not in line, line
    assert not (tmp_env.root / "copy").exists()
    as_json = run_cli("backup", "--json", env=env)
    assert as_json.returncode == 2 and "s3cret-pw" not in as_json.stderr + as_json.stdout
    assert str(key) in json.loads(as_json.stderr)["error"]
