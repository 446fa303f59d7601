"""Everything reminder creates is its owner's alone: directories 0700, files 0600, whatever the umask.

Each command runs as a real subprocess with the umask set (000: everything would be
world-writable; 022: the usual, world-readable), in a fresh environment where none of
the directories exist yet, so each one is created by reminder itself. Then every path
under the environment is checked, except the few this test wrote on its own.
"""

from __future__ import annotations

import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TmpEnv

from reminder.files import private_dir, write_file_atomic


def _run(tmp_env: TmpEnv, umask: int, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "reminder", *args],
        env={**tmp_env.env, **(env or {})},
        cwd=tmp_env.root,
        capture_output=True,
        text=True,
        timeout=60,
        umask=umask,
    )
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_every_directory_is_0700_and_every_file_0600_whatever_the_umask(tmp_env: TmpEnv, umask: int) -> None:
    root = tmp_env.root
    ours: set[Path] = {root}  # what this test writes itself

    # The config directory, made by `config init` (a file named by $REMINDER_CONFIG).
    initialised = root / "conf-home" / "reminder" / "config.toml"
    _run(tmp_env, umask, "config", "init", env={"REMINDER_CONFIG": str(initialised)})

    state = root / "state-home" / "reminder"
    config = tmp_env.write_config(
        f'[daemon]\nlog_file = "{state / "daemon.log"}"\n'
        f'[export]\nics_path = "{root / "calendars" / "mine" / "reminder.ics"}"\n'
        f'[notifiers.log]\npath = "{root / "deliveries" / "reminders.jsonl"}"\n'
    )
    ours |= {config, config.parent, config.parent.parent}
    scan = root / "scan.txt"
    scan.write_text("a letter")
    ours.add(scan)

    _run(tmp_env, umask, "--help")  # the cached help (the cache directory)
    case_id = _run(tmp_env, umask, "add", "--title", "t", "--org", "o", "--submitted", "2026-01-04").split()[
        2
    ]
    case_id = case_id.rstrip(".")
    _run(
        tmp_env, umask, "evidence", "add", case_id, "--kind", "letter", "--summary", "s", "--file", str(scan)
    )
    _run(tmp_env, umask, "export", case_id, "--format", "md", "-o", str(root / "dossier.md"))
    _run(tmp_env, umask, "export", "--ics")
    _run(tmp_env, umask, "daemon", "--once", "-v")  # the pid lock, the log file, the log notifier's file
    _run(tmp_env, umask, "backup", str(root / "backup"))  # made whole, then renamed into place

    expected_dirs = {
        initialised.parent,
        tmp_env.data_home / "reminder",
        tmp_env.data_home / "reminder" / "attachments",
        root / "xdg-cache" / "reminder",
        state,
        root / "calendars" / "mine",
        root / "deliveries",
        root / "backup" / "attachments",
    }
    seen_dirs = set()
    wrong = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = Path(dirpath) / name
            seen_dirs.add(path)
            mode = stat.S_IMODE(path.lstat().st_mode)
            if path not in ours and mode != 0o700:
                wrong.append(f"{path.relative_to(root)}/ is {mode:04o}")
        for name in filenames:
            path = Path(dirpath) / name
            mode = stat.S_IMODE(path.lstat().st_mode)
            if path not in ours and mode != 0o600:
                wrong.append(f"{path.relative_to(root)} is {mode:04o}")
    assert expected_dirs <= seen_dirs, expected_dirs - seen_dirs  # each was made by reminder
    assert (state / "daemon.log").is_file() and any((root / "xdg-cache" / "reminder").glob("help-*"))
    assert not wrong, wrong


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_private_dir_and_write_file_atomic(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        deep = tmp_path / "a" / "b" / "c"
        private_dir(deep)
        write_file_atomic(deep / "f", b"data")
        assert write_file_atomic(deep / "f", b"other", overwrite=False) is False
    finally:
        os.umask(old)
    for d in (tmp_path / "a", tmp_path / "a" / "b", deep):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE((deep / "f").stat().st_mode) == 0o600
    assert (deep / "f").read_bytes() == b"data"
    assert os.listdir(deep) == ["f"]  # no temporary file left behind
    # An existing directory keeps its mode: reminder does not chmod what it did not create.
    tmp_path.chmod(0o755)
    private_dir(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_a_cache_file_replaces_its_older_versions_and_an_unwritable_one_is_skipped(tmp_path: Path) -> None:
    from reminder.files import read_marshal_file, write_cache_file

    folder = tmp_path / "cache" / "reminder"
    write_cache_file(str(folder / "names-zh-1"), b"old")
    (tmp_path / "cache" / "reminder" / "other-zh-1").write_bytes(b"kept")
    write_cache_file(str(folder / "names-zh-2"), marshal.dumps({"a": 1}), lambda n: n.startswith("names-zh-"))
    assert sorted(p.name for p in folder.iterdir()) == ["names-zh-2", "other-zh-1"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "names-zh-2").stat().st_mode) == 0o600
    assert read_marshal_file(str(folder / "names-zh-2")) == {"a": 1}
    assert read_marshal_file(str(folder / "other-zh-1")) is None  # not marshal's: computed again
    assert read_marshal_file(str(folder / "missing")) is None
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would go")
    write_cache_file(str(blocked / "names-zh-3"), b"x")  # skipped, no error
