"""The evidence log against someone who edits the database behind reminder's back (issue 16).

Setup runs the CLI in-process (``invoke``); the checks run ``python -m reminder`` as a
subprocess (``run_cli``), with a timeout wherever the unfixed code hung. The attacker
is modelled as what it is: a program with write access to the SQLite file (``sqlite3``,
``hashlib``), which drops the triggers that guard the log before editing it, but cannot
read the evidence key or write the heads file in the state directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, RunCli, TmpEnv

HANG_GUARD_S = 20  # the unfixed code blocked forever on a FIFO or /dev/zero


@pytest.fixture
def state_dir(tmp_env: TmpEnv) -> Path:
    return tmp_env.root / "xdg-state" / "reminder"


@pytest.fixture
def case_id(invoke: RunCli) -> str:
    r = invoke("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
               "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    cid: str = json.loads(r.stdout)["id"]
    return cid


def log_entries(invoke: RunCli, case_id: str, n: int, *files: Path) -> list[dict[str, object]]:
    out = []
    for i in range(1, n + 1):
        extra = [a for f in files for a in ("--file", str(f))] if i == n else []
        r = invoke("evidence", "add", case_id, "--kind", "call", "--summary", f"Call {i}", *extra, "--json")
        assert r.returncode == 0, r.stderr
        out.append(json.loads(r.stdout)["entry"])
    return out


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def attack(db: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Edit the file as a program with write access would: drop every guarding trigger first."""
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    for sql, params in statements:
        conn.execute(sql, params)
    conn.close()


def move_head_back(db: Path, case_id: str) -> None:
    """The thorough attacker also rewinds whatever records the log's head in the database."""
    if "evidence_heads" not in tables(db):
        return  # nothing to rewind (the unfixed code kept no head)
    attack(
        db,
        ("DELETE FROM evidence_heads WHERE case_id = ?", (case_id,)),
        (
            "INSERT INTO evidence_heads (case_id, entries, head) SELECT case_id, seq, hash FROM evidence "
            "WHERE case_id = ? ORDER BY seq DESC LIMIT 1",
            (case_id,),
        ),
    )


def recompute_chain(db: Path, case_id: str, *, downgrade: bool) -> None:
    """Recompute every hash with hashlib, as the unkeyed chain was computed (canonical JSON, SHA-256)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM evidence WHERE case_id = ? ORDER BY seq", (case_id,)).fetchall()
    conn.close()
    prev = ""
    statements: list[tuple[str, tuple[object, ...]]] = []
    for row in rows:
        doc = {
            "case_id": row["case_id"],
            "seq": row["seq"],
            "kind": row["kind"],
            "summary": row["summary"],
            "at": row["at"],
            "recorded_at": row["recorded_at"],
            "attachments": [
                {"sha256": a["sha256"], "name": a["name"], "size": int(a["size"])}
                for a in json.loads(row["attachments"])
            ],
            "corrects": row["corrects"],
            "prev_hash": prev,
        }
        raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.sha256(raw).hexdigest()
        statements.append(
            ("UPDATE evidence SET prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?",
             (prev, digest, case_id, row["seq"]))
        )  # fmt: skip
        if downgrade and "scheme" in list(row.keys()):  # a Row's `in` looks at values
            statements.append(
                ("UPDATE evidence SET scheme = 1, key_id = NULL WHERE case_id = ? AND seq = ?",
                 (case_id, row["seq"]))
            )  # fmt: skip
        prev = digest
    attack(db, *statements)
    move_head_back(db, case_id)


def not_intact(r: subprocess.CompletedProcess[str]) -> list[str]:
    """The problems ``verify`` named: its first line and every "also:" line."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines and lines[0].startswith("NOT INTACT: "), r.stderr
    return [lines[0].removeprefix("NOT INTACT: ")] + [
        line.strip().removeprefix("also: ") for line in lines[1:]
    ]


# --- truncation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("thorough", [False, True], ids=["rows-only", "head-rewound"])
def test_deleting_the_last_entry_is_named_as_truncation(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, case_id: str, thorough: bool
) -> None:
    log_entries(invoke, case_id, 3)
    attack(tmp_env.db_path, ("DELETE FROM evidence WHERE case_id = ? AND seq = 3", (case_id,)))
    if thorough:
        move_head_back(tmp_env.db_path, case_id)
    problems = not_intact(run_cli("evidence", "verify", case_id))
    assert len(problems) == 1, problems
    assert problems[0].startswith("entry 3: missing")
    assert "cut after entry 2" in problems[0]


def test_deleting_every_entry_is_named_as_truncation(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    log_entries(invoke, case_id, 3)
    attack(tmp_env.db_path, ("DELETE FROM evidence WHERE case_id = ?", (case_id,)))
    if "evidence_heads" in tables(tmp_env.db_path):
        attack(tmp_env.db_path, ("DELETE FROM evidence_heads WHERE case_id = ?", (case_id,)))
    problems = not_intact(run_cli("evidence", "verify", case_id))
    assert len(problems) == 1, problems
    assert problems[0].startswith("entries 1 to 3: missing")
    assert "every entry was deleted" in problems[0]


def test_an_old_reminders_head_catches_a_cut_log_when_nothing_else_can(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, state_dir: Path, case_id: str
) -> None:
    from reminder.evidence import list_entries
    from reminder.messages import render_message
    from reminder.store import Store

    log_entries(invoke, case_id, 2)
    with Store(tmp_env.db_path) as store:
        case, window = store.get_case(case_id), store.get_window(case_id)
        assert window is not None
        mail = render_message(case, window, kind="opened", key="k", now=case.created_at or window.opens,
                              evidence=list_entries(store, case_id))  # fmt: skip
    # The witness a user finds in an old e-mail: the command to run, with the head's MAC prefix.
    match = re.search(rf"reminder evidence verify {case_id} --head ([0-9a-f]{{16}})\b", mail.text)
    assert match, mail.text
    assert match.group(1) in (mail.html or "")
    witness = match.group(1)
    assert run_cli("evidence", "verify", case_id, "--head", witness).returncode == 0

    attack(tmp_env.db_path, ("DELETE FROM evidence WHERE case_id = ? AND seq = 2", (case_id,)))
    move_head_back(tmp_env.db_path, case_id)
    # The heads file beside the key is gone too (the state directory restored from an old backup):
    # the log now looks whole from this machine alone, and only the e-mail can tell.
    (state_dir / "evidence-heads").unlink(missing_ok=True)
    assert run_cli("evidence", "verify", case_id).returncode == 0

    problems = not_intact(run_cli("evidence", "verify", case_id, "--head", witness[:8]))
    assert len(problems) == 1, problems
    assert f"no entry has the head {witness[:8]}" in problems[0]


def test_every_dossier_prints_the_head_and_how_to_check_it(
    invoke: RunCli, run_cli: RunCli, case_id: str
) -> None:
    entries = log_entries(invoke, case_id, 2)
    head = str(entries[-1]["hash"])
    for fmt in ("md", "html"):
        r = run_cli("export", case_id, "--format", fmt, "-o", "-")
        assert r.returncode == 0, r.stderr
        assert f"entry 2, {head}" in r.stdout
        assert f"reminder evidence verify {case_id} --head {head[:16]}" in r.stdout


@pytest.mark.parametrize("value", ["1234567", "zz345678", "12345678" * 9])
def test_head_must_be_8_to_64_hex_digits(invoke: RunCli, case_id: str, value: str) -> None:
    r = invoke("evidence", "verify", case_id, "--head", value)
    assert r.returncode == 2
    assert "--head" in r.stderr and "hex" in r.stderr and r.stderr.count("\n") == 1


# --- a recomputed chain -------------------------------------------------------------------------------


@pytest.mark.parametrize("downgrade", [False, True], ids=["same-scheme", "marked-unkeyed"])
def test_a_chain_recomputed_with_hashlib_does_not_verify(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, case_id: str, downgrade: bool
) -> None:
    log_entries(invoke, case_id, 3)
    attack(tmp_env.db_path, ("UPDATE evidence SET summary = 'Nobody answered' WHERE case_id = ? AND seq = 2",
                             (case_id,)))  # fmt: skip
    recompute_chain(tmp_env.db_path, case_id, downgrade=downgrade)
    problems = not_intact(run_cli("evidence", "verify", case_id))
    by_entry = {p.split(":")[0]: p for p in problems}
    assert set(by_entry) == {"entry 1", "entry 2", "entry 3"}, problems
    # Entry 2's text changed; entry 1 only had its hash recomputed, entry 3 its link and hash.
    assert "the content is as recorded" in by_entry["entry 1"]
    assert "changed" in by_entry["entry 2"] and "content is as recorded" not in by_entry["entry 2"]
    assert "changed" in by_entry["entry 3"]


# --- a deleted middle entry ---------------------------------------------------------------------------


def test_a_deleted_middle_entry_is_the_only_problem_named(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    log_entries(invoke, case_id, 4)
    attack(tmp_env.db_path, ("DELETE FROM evidence WHERE case_id = ? AND seq = 2", (case_id,)))
    problems = not_intact(run_cli("evidence", "verify", case_id))
    assert problems == ["entry 2: missing (deleted from the database)"]
    report = json.loads(run_cli("evidence", "verify", case_id, "--json").stdout)
    assert [(p["entry"], p["through"]) for p in report["problems"]] == [(2, None)]


# --- attachments that are not regular files -------------------------------------------------------------


def _replace_blob(blob: Path, how: str) -> None:
    blob.unlink()
    if how == "symlink-to-dev-zero":
        blob.symlink_to("/dev/zero")
    elif how == "fifo":
        os.mkfifo(blob, 0o600)
    else:
        blob.mkdir()


@pytest.mark.parametrize("how", ["symlink-to-dev-zero", "fifo", "directory"])
def test_an_attachment_that_is_not_a_regular_file_is_tampered_and_nothing_hangs(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, case_id: str, how: str
) -> None:
    letter = tmp_env.root / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 their answer")
    (entry,) = log_entries(invoke, case_id, 1, letter)
    blob = Path(entry["attachments"][0]["path"])  # type: ignore[index]
    _replace_blob(blob, how)

    problems = not_intact(run_cli("evidence", "verify", case_id, timeout=HANG_GUARD_S))
    assert problems == [f"attachment letter.pdf of entry 1: tampered: not a regular file ({_kind(how)})"]

    for fmt in ("md", "html", "zip"):
        out = tmp_env.root / f"dossier.{fmt}"
        r = run_cli("export", case_id, "--format", fmt, "-o", str(out), timeout=HANG_GUARD_S)
        assert r.returncode == 1, (fmt, r.stderr)
        assert "tampered: not a regular file" in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert out.exists()
    with zipfile.ZipFile(tmp_env.root / "dossier.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["verified"] is False
        assert [(m["name"], m["problem"]) for m in manifest["missing"]] == [
            ("letter.pdf", f"tampered: not a regular file ({_kind(how)})")
        ]


def _kind(how: str) -> str:
    return {"symlink-to-dev-zero": "a symbolic link", "fifo": "a FIFO", "directory": "a directory"}[how]


# --- export of a log that does not verify ------------------------------------------------------------------


def test_export_of_a_broken_log_writes_it_then_exits_1_with_the_reason(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    log_entries(invoke, case_id, 2)
    attack(tmp_env.db_path, ("UPDATE evidence SET summary = 'x' WHERE case_id = ? AND seq = 1", (case_id,)))
    out = tmp_env.root / "d.md"
    r = run_cli("export", case_id, "--format", "md", "-o", str(out))
    assert r.returncode == 1
    assert r.stderr.startswith(f"Error: the evidence log of case {case_id} does not verify: entry 1: ")
    assert r.stderr.count("\n") == 1 and str(out) in r.stderr
    assert "The evidence log does NOT verify" in out.read_text(encoding="utf-8")

    r = run_cli("export", case_id, "--format", "md", "-o", "-")
    assert r.returncode == 1 and "does NOT verify" in r.stdout and "entry 1: " in r.stderr
    r = run_cli("export", case_id, "--format", "html", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["written"] is True
    assert "does not verify" in json.loads(r.stderr)["error"]


# --- the key ----------------------------------------------------------------------------------------------


def test_the_key_is_0600_outside_the_data_directory_and_never_shown(
    invoke: RunCli, run_cli: RunCli, tmp_env: TmpEnv, state_dir: Path, case_id: str
) -> None:
    letter = tmp_env.root / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 letter")
    log_entries(invoke, case_id, 2, letter)
    key = state_dir / "evidence.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    data_dir = tmp_env.db_path.parent
    assert not key.resolve().is_relative_to(data_dir.resolve())
    assert not [p for p in data_dir.rglob("*") if "key" in p.name]

    secret = key.read_bytes()
    secret_hex = secret.strip().decode("ascii")
    assert re.fullmatch(r"[0-9a-f]{64}", secret_hex), "the key file holds 32 random bytes as hex"
    forms = [secret_hex.encode(), bytes.fromhex(secret_hex)]
    outputs = [
        run_cli("evidence", "list", case_id, "--json").stdout,
        run_cli("evidence", "show", case_id, "2", "--json").stdout,
        run_cli("evidence", "verify", case_id, "--json").stdout,
        run_cli("export", case_id, "--format", "md", "-o", "-").stdout,
    ]
    blobs = [o.encode() for o in outputs]
    assert run_cli("export", case_id, "--format", "zip", "-o", "d.zip").returncode == 0
    with zipfile.ZipFile(tmp_env.root / "d.zip") as zf:
        blobs += [zf.read(name) for name in zf.namelist()]
    blobs += [p.read_bytes() for p in data_dir.rglob("*") if p.is_file()]
    for blob in blobs:
        for form in forms:
            assert form not in blob


def test_processes_racing_to_create_the_key_end_with_the_same_key(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from reminder.evidence_key import KeyDir\n"
        "while time.time() < float(sys.argv[2]): pass\n"  # start together
        "print(KeyDir(Path(sys.argv[1])).load_or_create().key_id)\n"
    )
    import time

    start = time.time() + 1.5
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "state"), str(start)],
                         stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(8)
    ]  # fmt: skip
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{16}", ids.pop())
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["evidence.key"]  # no temporary left over


# --- a log written before the key existed -------------------------------------------------------------------


def test_a_log_hashed_before_the_key_still_verifies_and_stays_guarded(
    run_cli: RunCli, tmp_env: TmpEnv, state_dir: Path
) -> None:
    db = tmp_env.db_path
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.executescript((REPO / "tests" / "data" / "evidence-schema5.sql").read_text(encoding="utf-8"))
    letter = b"legacy letter: we received your request\n"
    digest = hashlib.sha256(letter).hexdigest()
    blob = db.parent / "attachments" / digest[:2] / digest
    blob.parent.mkdir(parents=True)
    blob.write_bytes(letter)

    r = run_cli("evidence", "verify", "lgcy23")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK: 3 entries and 1 file are intact.")
    assert run_cli("evidence", "verify", "empty2").returncode == 0
    assert not state_dir.exists()  # verifying creates no key

    # Truncating the old log is caught by the head the migration recorded.
    r = run_cli("evidence", "add", "lgcy23", "--kind", "note", "--summary", "now keyed")
    assert r.returncode == 0, r.stderr
    assert run_cli("evidence", "verify", "lgcy23").returncode == 0
    attack(db, ("DELETE FROM evidence WHERE case_id = 'lgcy23' AND seq = 4", ()))
    problems = not_intact(run_cli("evidence", "verify", "lgcy23"))
    assert problems[0].startswith("entry 4: missing")


def test_a_machine_without_the_cases_key_does_not_split_its_log(
    run_cli: RunCli, tmp_env: TmpEnv, state_dir: Path, case_id: str
) -> None:
    """Two machines on one store, the second without a copy of the key: its `evidence add` made a
    key of its own, silently, and from then on neither machine could verify the case's log
    (found by an operator's walkthrough on a shared PostgreSQL store; the test failed before).
    Each machine is its own state directory (where the key lives); the store is the same."""
    first = {"XDG_STATE_HOME": str(tmp_env.root / "xdg-state")}
    second = {"XDG_STATE_HOME": str(tmp_env.root / "machine-2-state")}
    add = ("evidence", "add", case_id, "--kind", "call", "--summary")
    assert run_cli(*add, "one", env=first).returncode == 0
    refused = run_cli(*add, "two", env=second)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "this machine has no evidence key" in refused.stderr and "--own-key" in refused.stderr
    assert str(tmp_env.root / "machine-2-state" / "reminder" / "evidence.key") in refused.stderr
    assert not (tmp_env.root / "machine-2-state" / "reminder" / "evidence.key").exists()
    # A new case on that machine: the store's evidence is kept with a key it has not either.
    other = json.loads(
        run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json").stdout
    )["id"]
    assert (
        "the store's evidence is kept with key"
        in run_cli("evidence", "add", other, "--kind", "note", "--summary", "x", env=second).stderr
    )
    # Nothing was recorded by the refusals: the log still verifies where its key is.
    assert run_cli("evidence", "verify", case_id, env=first).returncode == 0
    # The key copied over, as README says: the second machine records, and both verify.
    (tmp_env.root / "machine-2-state" / "reminder").mkdir(parents=True, mode=0o700)
    copied = tmp_env.root / "machine-2-state" / "reminder" / "evidence.key"
    copied.write_bytes((state_dir / "evidence.key").read_bytes())
    copied.chmod(0o600)
    assert run_cli(*add, "two", env=second).returncode == 0
    for env in (first, second):
        assert run_cli("evidence", "verify", case_id, env=env).returncode == 0
    # A key lost for good: --own-key records with a new one, and says nothing false about the old.
    copied.unlink()
    assert run_cli(*add, "three", "--own-key", env=second).returncode == 0
    assert copied.exists()
    assert f"case {case_id}'s evidence log is kept with key" in run_cli(*add, "four", env=first).stderr
