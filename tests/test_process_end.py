"""How a ``reminder`` process ends (entry.run): after every atexit callback, with its output
flushed and its exit status, but without Python's teardown of the interpreter.

A witness object held by a module global is freed only by that teardown: its ``__del__``
writing to a file shows whether the teardown ran. The same program through ``entry.main``
(no fast end) is the control, so each test can fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

PROGRAM = """
import atexit, os, sys
from reminder import entry

marks = sys.argv[1]

class Witness:
    # What __del__ needs is held by the object: module globals are gone by then.
    def __init__(self):
        self.fd, self.write = os.open(marks, os.O_WRONLY | os.O_CREAT | os.O_APPEND), os.write

    def __del__(self):
        self.write(self.fd, b"teardown\\n")

entry.witness = Witness()  # freed only when the interpreter tears its modules down
command = entry.main

def main():
    # Registered while the command runs, as logging's flush or weakref.finalize's are.
    atexit.register(lambda: open(marks, "a").write("atexit\\n"))
    if sys.argv[1:] == ["boom"]:
        raise RuntimeError("boom")
    command()

entry.main = main
sys.argv = ["reminder", *sys.argv[2:]]
entry.{entry_point}()
"""


def _end(tmp_env: TmpEnv, entry_point: str, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    marks = tmp_env.root / "marks"
    marks.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(entry_point=entry_point), str(marks), *args],
        capture_output=True,
        text=True,
        env=tmp_env.env,
        cwd=tmp_env.root,
        timeout=60,
    )
    return result, marks.read_text().splitlines() if marks.exists() else []


@pytest.mark.parametrize("entry_point", ["run", "main"])
def test_a_command_that_succeeds_keeps_its_output_and_status(tmp_env: TmpEnv, entry_point: str) -> None:
    # --version writes without flushing (stdout is a pipe here: block-buffered), so a process
    # that ended without flushing would print nothing.
    result, marks = _end(tmp_env, entry_point, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("reminder, version ")
    assert marks == (["atexit"] if entry_point == "run" else ["atexit", "teardown"])


@pytest.mark.parametrize("entry_point", ["run", "main"])
def test_a_command_that_fails_keeps_its_message_and_status(tmp_env: TmpEnv, entry_point: str) -> None:
    result, marks = _end(tmp_env, entry_point, "show", "nosuchcase")
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "nosuchcase" in result.stderr
    assert marks == (["atexit"] if entry_point == "run" else ["atexit", "teardown"])
    result, marks = _end(tmp_env, entry_point, "list", "--status", "nonsense")
    assert result.returncode == 2 and "nonsense" in result.stderr
    assert marks == (["atexit"] if entry_point == "run" else ["atexit", "teardown"])


def test_an_uncaught_exception_ends_as_python_ends_it(tmp_env: TmpEnv) -> None:
    result, marks = _end(tmp_env, "run", "boom")
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback") and "RuntimeError: boom" in result.stderr
    assert marks == ["atexit", "teardown"]


def test_a_program_running_reminder_keeps_its_own_exit_callbacks(tmp_env: TmpEnv) -> None:
    # A callback registered before run() (runpy, a profiler) would be called after run()'s:
    # then the process ends as Python ends it, and the callback runs.
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('MINE', file=sys.stderr))\n"
        "sys.argv[0] = 'reminder'\n"
        "runpy.run_module('reminder', run_name='__main__', alter_sys=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "--version"], capture_output=True, text=True, env=tmp_env.env, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("reminder, version ")
    assert result.stderr.splitlines()[-1:] == ["MINE"], result.stderr


def test_the_script_and_python_m_both_end_through_run() -> None:
    root = Path(__file__).resolve().parent.parent
    assert (root / "reminder" / "__main__.py").read_text().rstrip().endswith("run()")
    assert 'reminder = "reminder.entry:run"' in (root / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "{id}"],
        ["list"],
        ["list", "--json"],
        ["list", "--json", "--status", "all"],
        ["--help"],
        ["presets"],
    ],
)
def test_a_reader_that_leaves_ends_the_command_quietly(
    tmp_env: TmpEnv, invoke: RunCli, argv: list[str]
) -> None:
    """`reminder show ID | head -1`: once the reader has gone, writing fails (EPIPE); the
    command ends with status 1 and says nothing, as the side door in entry.py always did,
    rather than a traceback (the command line's path printed one before this test)."""
    import os

    added = invoke("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-02-20")
    assert added.returncode == 0, added.stderr
    case_id = added.stdout.split()[2].rstrip(".")
    read, write = os.pipe()
    os.close(read)  # the reader has left before the first byte
    try:
        result = subprocess.run(
            [sys.executable, "-m", "reminder", *(a.format(id=case_id) for a in argv)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=tmp_env.env,
            cwd=tmp_env.root,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (1, "")
