"""A stdout that is not UTF-8 (a latin-1 terminal, PYTHONIOENCODING=ascii): the commands still
finish, with what the encoding cannot show written as \\u escapes, never a traceback; --json
stays valid JSON of the same data."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import TmpEnv


def _run(tmp_env: TmpEnv, *args: str, encoding: str = "utf-8") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args],
        capture_output=True,
        env={**tmp_env.env, "PYTHONIOENCODING": encoding},
        cwd=tmp_env.root,
        timeout=60,
    )


def test_a_latin_1_or_ascii_stdout_gets_escapes_not_a_traceback(tmp_env: TmpEnv) -> None:
    added = _run(tmp_env, "add", "--title", "取消漫游 eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
                 "--country", "BH", "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    case_id = json.loads(added.stdout)["id"]
    shown = _run(tmp_env, "show", case_id, encoding="latin-1")
    assert shown.returncode == 0 and b"Traceback" not in shown.stderr, shown.stderr
    assert b"7\\u201315 business days" in shown.stdout  # "7–15": an en dash latin-1 lacks
    assert b"\\u53d6\\u6d88\\u6f2b\\u6e38 eSIM" in shown.stdout  # the title, escaped
    for encoding in ("latin-1", "ascii"):
        as_json = _run(tmp_env, "show", case_id, "--json", encoding=encoding)
        assert as_json.returncode == 0, as_json.stderr
        assert json.loads(as_json.stdout) == json.loads(_run(tmp_env, "show", case_id, "--json").stdout)
    missing = _run(tmp_env, "show", "nosuch", encoding="ascii")  # the error line, escaped too
    assert missing.returncode == 2 and b"Traceback" not in missing.stderr
    assert missing.stderr.decode("ascii").startswith("Error: no case with id 'nosuch'")
