"""What an everyday command imports (issue #20): read from ``python -X importtime``, not timed.

The validated settings are kept after the first command (settings_cache.py), so the next
ones load neither pydantic-settings nor pydantic; commands that read the stored window
load no holiday data; one that computes a window loads the one country it needs.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from conftest import TmpEnv


def imports(tmp_env: TmpEnv, *args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reminder", *args],
        capture_output=True,
        text=True,
        env=tmp_env.env,
        cwd=tmp_env.root,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


def _add(tmp_env: TmpEnv) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "reminder", "add", "--title", "SIM", "--org", "Batelco", "--submitted",
         "2026-03-01", "--kind", "sim-cancellation", "--json"],
        capture_output=True, text=True, env=tmp_env.env, cwd=tmp_env.root, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    case_id: str = json.loads(result.stdout)["id"]
    return case_id


def test_reading_commands_load_neither_pydantic_nor_holidays(tmp_env: TmpEnv) -> None:
    case_id = _add(tmp_env)
    for args in (
        ["show", case_id],
        ["list"],
        ["status"],
        ["evidence", "list", case_id],
        ["check", case_id, "1"],
    ):
        loaded = imports(tmp_env, *args)
        assert "reminder.settings_cache" in loaded, args
        assert not {"pydantic", "pydantic_settings", "holidays"} & loaded, (args, sorted(loaded))


def test_a_window_loads_one_countrys_holidays(tmp_env: TmpEnv) -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from reminder.window import compute_window\n"
        "w = compute_window(date(2026, 3, 15), country='BH', subdivision=None, min_days=7, max_days=15)\n"
        "print(w.deadline, sorted(m for m in sys.modules if m.startswith('holidays.countries')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=tmp_env.env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1) == ["2026-04-08", "['holidays.countries.bahrain']\n"]


def test_the_holiday_data_is_computed_once(tmp_env: TmpEnv) -> None:
    args = ("window", "--country", "DE", "--subdivision", "BY", "--submitted", "2026-12-10", "--explain")
    first = subprocess.run(
        [sys.executable, "-m", "reminder", *args], capture_output=True, text=True, env=tmp_env.env, timeout=60
    )
    assert first.returncode == 0, first.stderr
    (cache,) = (Path(tmp_env.env["XDG_CACHE_HOME"]) / "reminder").glob("holidays-*.json")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    loaded = imports(tmp_env, *args)
    assert not {name for name in loaded if name.startswith("holidays")}, sorted(loaded)
    again = subprocess.run(
        [sys.executable, "-m", "reminder", *args], capture_output=True, text=True, env=tmp_env.env, timeout=60
    )
    assert again.stdout == first.stdout and "Christmas" in first.stdout
    # A damaged file, or one from other holiday data, is not read: computed again, same answer.
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["stamp"] = "another installation"
    data["year DE BY 2026"]["business"] = "00" * 365
    cache.write_text(json.dumps(data), encoding="utf-8")
    assert "holidays" in imports(tmp_env, *args)
    cache.write_text("{not json", encoding="utf-8")
    third = subprocess.run(
        [sys.executable, "-m", "reminder", *args], capture_output=True, text=True, env=tmp_env.env, timeout=60
    )
    assert third.stdout == first.stdout


def test_a_command_loads_its_own_area_of_the_command_line_only(tmp_env: TmpEnv) -> None:
    """The cli package's modules load when one of their commands runs (cli/__init__.py's table).

    Read from sys.modules at exit: -X importtime does not list what importlib.import_module loads.
    """
    case_id = _add(tmp_env)
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(' '.join(sorted(m.rpartition('.')[2] for m in sys.modules\n"
        "    if m.startswith('reminder.cli.'))), file=sys.stderr))\n"
        "from reminder.entry import main\n"
        "sys.argv = ['reminder', *sys.argv[1:]]\n"
        "main()\n"
    )
    areas = {
        ("show", case_id): {"cases", "case_view"},
        ("status",): {"daemon"},
        ("evidence", "list", case_id): {"evidence", "case_view"},
        ("window", "--country", "BH", "--submitted", "2026-03-01"): {"window"},
        ("notifiers",): {"notify"},
    }
    for args, expected in areas.items():
        result = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, env=tmp_env.env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        loaded = set(result.stderr.split())
        assert loaded == {"common", "group", *expected}, (args, sorted(loaded))
