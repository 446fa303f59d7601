"""What an everyday command imports (issue #20): read from ``python -X importtime``, not timed.

The validated settings are kept after the first command (settings_cache.py), so the next
ones load neither pydantic-settings nor pydantic; commands that read the stored window
load no holiday data; one that computes a window loads the one country it needs. Nor do
they load, in either language, what only another command or a rarer path uses (logging,
OpenSSL's hashlib, the letters, the presets, the notifiers' Message…).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import TmpEnv

# The command runs without site (-S), reminder and its dependencies found through PYTHONPATH:
# site would run the editable install's import hook, which loads pathlib and re in every
# interpreter of the tests' environment (an installed reminder's interpreter loads neither).
_SEARCH_PATH = os.pathsep.join(
    dict.fromkeys(
        [
            str(Path(__file__).resolve().parents[1]),
            sysconfig.get_path("purelib"),
            sysconfig.get_path("platlib"),
        ]
    )
)


def imports(tmp_env: TmpEnv, *args: str, lang: str | None = None) -> set[str]:
    env = {**tmp_env.env, "PYTHONPATH": _SEARCH_PATH}
    result = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-m", "reminder", *args],
        capture_output=True,
        text=True,
        env=env if lang is None else {**env, "LANG": lang},
        cwd=tmp_env.root,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


ADD = ("add", "--title", "SIM", "--org", "Batelco", "--submitted", "2026-03-01", "--kind", "sim-cancellation")


def _add(tmp_env: TmpEnv) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "reminder", *ADD, "--json"],
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


def test_holiday_names_in_chinese_are_computed_once(tmp_env: TmpEnv) -> None:
    # The holidays package's own Chinese names for China's holidays: asked for once, then kept
    # in the same cache as the days (holiday_names.py).
    args = ("window", "--country", "CN", "--submitted", "2026-02-10", "--explain")
    zh = {**tmp_env.env, "LANG": "zh_CN.UTF-8"}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "reminder", *args], capture_output=True, text=True, env=zh, timeout=60
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[1].stdout == runs[0].stdout and "春节" in runs[0].stdout
    assert not {name for name in imports(tmp_env, *args, lang="zh_CN.UTF-8") if name.startswith("holidays")}


# Modules no everyday command needs (in English or Chinese), with what each one used to cost it:
# logging (and traceback, string, textwrap) only when a warning is logged (lazylog.py);
# OpenSSL's hashlib, loaded by hashlib and secrets, only to hash an attachment or an evidence
# entry; zlib, tempfile and shutil, importlib.resources (zipfile), difflib, signal;
# shlex and termios; click (the command line is reminder/cmdline; apprise still installs click); the
# letters' and the presets' classes, the notifiers' Message, the evidence log's file handling.
NOT_EVERYDAY = {
    "click",
    # The tables (list, the day-by-day explanation) and the footnotes are laid out as rich lays
    # them out (fast_table, fast_paragraph), and text measured as rich measures it (cells.py):
    # rich.console alone took ~50 ms to import.
    "rich",
    # The holidays package (~60 ms) only where a country's year is not in the holiday cache yet.
    "holidays",
    # The models and the other values are records (record.py), typing's names are for mypy:
    # dataclasses (with inspect, ast, dis, tokenize) and typing were ~12 ms of every command.
    "dataclasses",
    "inspect",
    "typing",
    "random",  # case ids come from os.urandom
    "tomllib",  # the Chinese holiday names come from the holiday cache, parsed once
    # Paths are text on the everyday path (a Path is made where a caller asks for one):
    # pathlib, with the urllib.parse, ipaddress and fnmatch it imports, was ~5 ms of each.
    "pathlib",
    "urllib.parse",
    "ipaddress",
    "fnmatch",
    "platform",  # `notifiers` asked it for the system's name (~2 ms): sys.platform says it
    "gettext",  # Chinese's kept catalogue answers by itself (catalogues.KeptCatalogue, ~1 ms)
    "logging",
    "hashlib",
    "_hashlib",
    "secrets",
    "zlib",
    "tempfile",
    "shutil",
    "importlib.resources",
    "difflib",
    "signal",
    "shlex",
    "termios",
    "reminder.letters",
    "reminder.presets",
    "reminder.message",
    "reminder.evidence_files",
}


WINDOW_EXPLAINED = ["window", "--country", "BH", "--submitted", "2026-03-15", "--explain"]


def test_everyday_commands_leave_out_what_they_do_not_use(tmp_env: TmpEnv) -> None:
    case_id = _add(tmp_env)
    # The first entry ever creates the evidence key (tempfile, secrets): once, not every time.
    imports(tmp_env, "evidence", "add", case_id, "--kind", "call", "--summary", "Called")
    for lang in ("C.UTF-8", "zh_CN.UTF-8"):
        to_close = _add(tmp_env)
        # In a source checkout the first command in Chinese compiles the catalogue with babel
        # (i18n.py), once per version of the .po (an installed reminder ships it compiled); the
        # first explanation in Chinese asks the holidays package for its names, then keeps them.
        imports(tmp_env, *WINDOW_EXPLAINED, lang=lang)
        for args in (
            ["show", case_id],
            ["show", case_id, "--explain"],
            ["list"],
            ["status"],
            ["check", case_id, "1"],
            ["evidence", "list", case_id],
            ["evidence", "add", case_id, "--kind", "call", "--summary", "Called again"],
            [*ADD, "--reference", "R-1"],
            ["edit", case_id, "--reference", "R-2"],
            ["close", to_close],
            WINDOW_EXPLAINED[:-1],
            WINDOW_EXPLAINED,
        ):
            loaded = imports(tmp_env, *args, lang=lang)
            assert "reminder.cli" in loaded, args  # the whole command ran, through the command line
            # An evidence entry's HMAC (evidence_key.py) needs hmac, and hmac OpenSSL's hashlib;
            # only an entry with files (--file) handles attachment files (these have none).
            adding = args[:2] == ["evidence", "add"]
            expected = {"hashlib", "_hashlib"} if adding else set()
            assert NOT_EVERYDAY & loaded == expected, (lang, args, sorted(NOT_EVERYDAY & loaded))
            if args[0] in ("list", "status"):  # the settings are kept in marshal's format
                assert "json" not in loaded, (lang, args)
        # `notifiers` sets up logging for the notifiers' warnings, and nothing else of the above.
        loaded = imports(tmp_env, "notifiers", lang=lang)
        assert NOT_EVERYDAY & loaded == {"logging"}, (lang, sorted(NOT_EVERYDAY & loaded))


def test_validating_the_settings_leaves_out_difflib(tmp_env: TmpEnv) -> None:
    # The first command after the config file changes validates it (config.py): a misspelt key's
    # suggestion (lookalikes.py) loads difflib on the way to the error, not at every load.
    tmp_env.write_config('[defaults]\nhour = 10\n[notifiers.log]\ntype = "log"\n')
    loaded = imports(tmp_env, "config", "check")
    assert {"reminder.config", "reminder.notifiers"} <= loaded, sorted(loaded)
    assert not {"difflib", "reminder.lookalikes"} & loaded, sorted(
        {"difflib", "reminder.lookalikes"} & loaded
    )


def test_status_loads_only_what_it_reads(tmp_env: TmpEnv) -> None:
    # A status bar polls `reminder status`: it reads the pid lock and four outbox counts, and
    # needs neither typing (the backends' protocols are for mypy), threading (a lock for the
    # child environment's secret names, a retry's wait) nor dataclasses (the models).
    _add(tmp_env)
    for lang in ("C.UTF-8", "zh_CN.UTF-8"):
        # In a source checkout the first command in Chinese compiles the catalogue (babel): once.
        imports(tmp_env, "status", lang=lang)
        loaded = imports(tmp_env, "status", lang=lang)
        assert "reminder.status" in loaded
        assert not {"typing", "threading", "dataclasses"} & loaded, (lang, sorted(loaded))
        # Which daemons a shared store has connected is PostgreSQL's to say (with the regular
        # expressions that read their names): a SQLite store's status has its pid lock.
        assert "reminder.presence" not in loaded, lang


def test_the_garbage_collector_does_not_run_in_an_everyday_command(tmp_env: TmpEnv) -> None:
    # entry.py raises the collector's first threshold: a command's imports make tens of
    # thousands of long-lived objects, which the default threshold had it walk 25-80 times.
    case_id = _add(tmp_env)
    code = (
        "import gc, runpy, sys\n"
        "from reminder.entry import GC_THRESHOLD\n"
        "runs = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and runs.append(gc.get_threshold()[0]))\n"
        "sys.argv = ['reminder', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('reminder', run_name='__main__')\n"
        "finally:\n"
        "    print('collections', sum(t == GC_THRESHOLD for t in runs), file=sys.stderr)\n"
    )
    for args in (["show", case_id], [*ADD, "--reference", "R-9"]):
        result = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, env=tmp_env.env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines()[-1] == "collections 0", (args, result.stderr)


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


def test_help_pages_leave_out_inspect_and_babel(tmp_env: TmpEnv) -> None:
    # A help page needed inspect for its docstrings' cleandoc alone, and inspect imports ast, dis
    # and linecache: 4-5 ms of each page (cmdline/help.py keeps its own cleandoc). The first
    # `reminder --help` renders the page through the command line (the next ones read it back):
    # in Chinese, in a source checkout, it compiled the catalogue again with babel (and typing)
    # instead of reading back the copy the command before had kept.
    for lang in ("C.UTF-8", "zh_CN.UTF-8"):
        # In a source checkout the first command in Chinese compiles the catalogue (babel): once.
        imports(tmp_env, "status", lang=lang)
        for args in (["--help"], ["status", "--help"], ["add", "--help"], ["evidence", "--help"]):
            loaded = imports(tmp_env, *args, lang=lang)
            found = {"inspect", "ast", "dis", "dataclasses", "typing", "babel"} & loaded
            assert not found, (lang, args, sorted(found))
