"""case_table: what rich's Console would find in the environment, and the whole list as rich printed it.

Each test holds the fast path equal to rich itself: ``console_setup`` to ``rich.console.Console``
under the same environment, and ``cases_table`` to its own rich path (taken when
``console_setup`` answers None) for random cases — tentative, closed, not yet open,
undated, CJK and control characters in titles — in English and Chinese, piped and on
terminals with and without colours, at several widths.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import TmpEnv
from rich.console import Console

from reminder import case_table
from reminder.case_lines import CaseColumns, CaseLine
from reminder.i18n import using_language

ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {"COLUMNS": "100"},
    {"COLUMNS": "120", "LINES": "40"},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": ""},
    {"FORCE_COLOR": "1", "TERM": "xterm-256color"},
    {"FORCE_COLOR": "1", "TERM": "xterm-kitty", "COLUMNS": "150"},
    {"FORCE_COLOR": "1", "COLORTERM": "truecolor"},
    {"FORCE_COLOR": "1", "COLORTERM": "24bit", "NO_COLOR": "1"},
    {"FORCE_COLOR": "1", "TERM": "dumb", "COLUMNS": "120"},
    {"FORCE_COLOR": "1", "TERM": "dumb", "COLUMNS": "120", "LINES": "30"},
    {"FORCE_COLOR": "1", "TERM": "unknown"},
    {"TTY_COMPATIBLE": "1", "COLUMNS": "60"},
    {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
    {"NO_COLOR": "1", "COLUMNS": "abc"},
    {"COLUMNS": "10"},
]
CONSOLE_VARIABLES = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "TERM", "COLORTERM")


def _set(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in CONSOLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_console_is_what_rich_finds(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    _set(monkeypatch, env)
    setup = case_table.console_setup()
    console = Console(soft_wrap=False)
    if setup is None:
        assert console.width < 20
        return
    assert setup == (console.width, console.color_system, console.no_color)


TITLES = [
    "Cancel roaming eSIM",
    "退款申请 中文标题很长很长很长",
    "bell\x07 and\x1b[2J escape",
    "x" * 50,
    "a",
    "Case 12",
]


def _lines(rng: random.Random, today: date) -> list[CaseLine]:
    lines = []
    for i in range(rng.choice([1, 3, 20, 60])):
        kind = rng.choice(["open", "open", "tentative", "closed", "not yet", "undated"])
        opens = today + timedelta(days=rng.choice([-20, -3, 1, 2, 9]) if kind == "not yet" else -10)
        deadline = today + timedelta(days=rng.randint(-400, 400))
        lines.append(
            CaseLine(
                f"c{i:05d}",
                rng.choice(TITLES),
                rng.choice(["Batelco", "电信管理局", "Ministry of Interior"]),
                "closed" if kind == "closed" else "open",
                None if kind == "undated" else opens,
                None if kind == "undated" else deadline,
                kind == "tentative",
                today,
            )
        )
    return lines


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("env", [e for e in ENVIRONMENTS if e.get("COLUMNS") != "10"])
@pytest.mark.parametrize("seed", range(4))
def test_the_table_is_richs_own(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], lang: str, seed: int
) -> None:
    _set(monkeypatch, env)
    cases = CaseColumns.of(_lines(random.Random(seed), date(2026, 3, 1)))
    assert CaseColumns.of(cases.lines()) == cases
    with using_language(lang):
        fast = case_table.cases_table(cases)
        monkeypatch.setattr(case_table, "console_setup", lambda: None)
        assert fast == case_table.cases_table(cases)
    assert "\x1b[2J" not in fast  # a title's escape codes are shown, not obeyed


@pytest.mark.parametrize("lang", ["C.UTF-8", "zh_CN.UTF-8"])
@pytest.mark.parametrize("terminal", [False, True])
def test_the_list_imports_no_rich_console(tmp_env: TmpEnv, lang: str, terminal: bool) -> None:
    """rich stays unimported: its console and table, and for Chinese its table of widths."""
    env = {**tmp_env.env, "LANG": lang, **({"FORCE_COLOR": "1"} if terminal else {})}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "reminder", *args],
            capture_output=True, text=True, env=env, cwd=tmp_env.root, timeout=60,
        )  # fmt: skip

    for title in ("SIM", "Refund"):
        added = run("add", "--title", title, "--org", "Batelco", "--submitted", "2026-03-01")
        assert added.returncode == 0, added.stderr

    def rich_loaded() -> set[str]:
        listed = run("list", "--status", "all")
        assert listed.returncode == 0, listed.stderr
        assert "Batelco" in listed.stdout and ("\x1b[1m" in listed.stdout) == terminal
        loaded = {
            line.rsplit("|", 1)[-1].strip() for line in listed.stderr.splitlines() if "import time:" in line
        }
        return {name for name in loaded if name == "rich" or name.startswith("rich.")}

    def check(rich: set[str]) -> None:
        assert not rich, rich  # Chinese too: its characters are measured as rich measures them

    check(rich_loaded())
    # A title too long for its column on 80 columns: its row wraps, as rich wraps it, still
    # without rich.
    title = "Cancel the roaming eSIM bought at the airport kiosk, and get the deposit refunded " * 2
    added = run("add", "--title", title.strip(), "--org", "Batelco", "--submitted", "2026-03-01")
    assert added.returncode == 0, added.stderr
    check(rich_loaded())


@pytest.mark.parametrize("module", ["case_lines", "console_setup"])
def test_the_named_tuples_have_the_fields_mypy_checks(module: str) -> None:
    """Each named tuple is typing's NamedTuple for mypy and collections' at run time (typing
    costs every `list` ~3 ms to import): the two field lists, in order, must be one list."""
    import ast
    import importlib

    mod = importlib.import_module(f"reminder.{module}")
    tree = ast.parse(Path(str(mod.__file__)).read_text(encoding="utf-8"))
    typed = {
        node.name: [
            f.target.id for f in node.body if isinstance(f, ast.AnnAssign) and isinstance(f.target, ast.Name)
        ]
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "NamedTuple" for b in node.bases)
    }
    assert typed, "no NamedTuple for mypy found"
    for base, fields in typed.items():
        public = getattr(mod, base.removeprefix("_").removesuffix("Fields"))
        assert list(public._fields) == fields, base
        assert public.__slots__ == ()  # as typing's NamedTuple: no per-instance dict
