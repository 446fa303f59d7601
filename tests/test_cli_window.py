"""The `reminder window` and `reminder countries` contract, through a real subprocess."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    config = tmp_path / "reminder.toml"
    config.write_text('[[closures]]\nstart = 2026-12-24\nlabel = "office party"\n', encoding="utf-8")
    env = {
        **os.environ,
        "REMINDER_CONFIG": str(config),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }

    def _run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reminder", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    return _run


def test_window_json(run: Run) -> None:
    p = run("window", "--country", "BH", "--submitted", "2027-03-01", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["country"] == "BH" and out["subdivision"] is None
    assert (out["submitted"], out["opens"], out["deadline"]) == ("2027-03-01", "2027-03-15", "2027-03-25")
    assert out["tentative"] is True
    assert out["tentative_because"][0] == {"date": "2027-03-09", "name": "Eid al-Fitr (estimated)"}
    assert "days" not in out


def test_window_json_explain_and_closures(run: Run) -> None:
    p = run(
        "window", "--country", "DE-BY", "--submitted", "2026-12-17",
        "--closure", "2026-12-28..2026-12-30=works shut", "--explain", "--json",
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["country"], out["subdivision"]) == ("DE", "BY")
    days = {d["date"]: d for d in out["days"]}
    assert days["2026-12-24"]["reason"] == "office party"  # from the config file
    assert days["2026-12-29"]["reason"] == "works shut" and days["2026-12-29"]["business"] is False
    assert days["2026-12-25"]["count"] is None
    counts = [d["count"] for d in out["days"] if d["business"]]
    assert counts == list(range(1, 16)) and out["days"][-1]["date"] == out["deadline"]


def test_window_text_and_table(run: Run) -> None:
    p = run("window", "--country", "CN", "--submitted", "2026-02-13", "--explain")
    assert p.returncode == 0, p.stderr
    assert "Opens Mon 2026-03-02 (business day 7) · Deadline Thu 2026-03-12 (business day 15)" in p.stdout
    assert "make-up working day" in p.stdout and "Spring Festival" in p.stdout
    assert "2026-02-14" in p.stdout and "← deadline" in p.stdout


def test_window_text_marks_tentative(run: Run) -> None:
    p = run("window", "--country", "BH", "--submitted", "2027-03-01")
    assert p.returncode == 0, p.stderr
    assert "Tentative" in p.stdout and "Eid al-Fitr (estimated)" in p.stdout


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--country", "XX", "--submitted", "2026-03-01"], ["'XX'", "closest", "reminder countries"]),
        (
            ["--country", "DE", "--subdivision", "BZ", "--submitted", "2026-03-01"],
            ["'BZ'", "BY", "reminder countries"],
        ),
        (["--country", "BH", "--submitted", "2026-02-30"], ["2026-02-30", "YYYY-MM-DD"]),
        (
            ["--country", "BH", "--submitted", "2026-03-01", "--closure", "2026-03-1"],
            ["2026-03-1", "closure"],
        ),
        (
            ["--country", "BH", "--submitted", "2026-03-01", "--min-days", "9", "--max-days", "3"],
            ["min-days"],
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run: Run, args: list[str], needles: list[str]) -> None:
    p = run("window", *args)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), p.stderr
    for needle in needles:
        assert needle in lines[0]


def test_bad_input_with_json_is_an_error_object(run: Run) -> None:
    p = run("window", "--country", "XX", "--submitted", "2026-03-01", "--json")
    assert p.returncode == 2
    assert "closest" in json.loads(p.stderr)["error"]


def test_countries(run: Run) -> None:
    p = run("countries", "--json")
    assert p.returncode == 0, p.stderr
    by_code = {c["code"]: c for c in json.loads(p.stdout)}
    assert by_code["BH"]["weekend"] == ["Friday", "Saturday"] and by_code["BH"]["name"] == "Bahrain"
    assert by_code["DE"]["subdivisions"]["BY"] == "Bayern"
    text = run("countries", "GB")
    assert text.returncode == 0 and "United Kingdom" in text.stdout and "England" in text.stdout


@pytest.mark.parametrize("command", ["window", "countries"])
def test_the_examples_in_the_help_work_as_written(run: Run, command: str) -> None:
    # What a new user copies from --help first: each example runs, says something, and the --json
    # ones print JSON.
    shown = run(command, "--help")
    assert shown.returncode == 0, shown.stderr
    examples = shown.stdout.split("Example:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    commands = [shlex.split(line.split("#", 1)[0]) for line in examples]
    assert len(commands) >= 2 and all(c[:2] == ["reminder", command] for c in commands), examples
    for argv in commands:
        p = run(*argv[1:])
        assert (p.returncode, p.stderr) == (0, ""), argv
        assert p.stdout.strip(), argv
        if "--json" in argv:
            json.loads(p.stdout)


def test_window_defaults_come_from_the_config(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "reminder.toml"
    config.write_text('[defaults]\ncountry = "US"\nmin_days = 3\nmax_days = 5\n', encoding="utf-8")
    p = run("window", "--submitted", "2026-06-26", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    # Fri 26 Jun: Mon 29=1, Tue 30=2, Wed 1=3, Thu 2=4, (Fri 3 observed holiday) Mon 6=5.
    assert (out["country"], out["opens"], out["deadline"]) == ("US", "2026-07-01", "2026-07-06")


# --- closures of any length (issue 15: cost grows with the work, not with hostile input) ----------
# The 20 s timeouts only stop a hang (before the fix: over ten minutes); nothing here is timed.


def _reminder(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args], capture_output=True, text=True, env=env, timeout=20
    )


def _env(tmp_path: Path, config: str) -> dict[str, str]:
    path = tmp_path / "reminder.toml"
    path.write_text(config, encoding="utf-8")
    return {
        **os.environ,
        "REMINDER_CONFIG": str(path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


ALL_SHUT = "Error: no business day after 2026-03-01: closures cover every day from 2026-03-02 on\n"


def test_a_closure_over_every_day_is_answered_at_once(tmp_path: Path) -> None:
    env = _env(tmp_path, "")
    args = ["--country", "BH", "--submitted", "2026-03-01", "--closure", "0001-01-01..9999-12-31"]
    p = _reminder(env, "window", *args)
    assert p.returncode == 2, p.stderr
    assert p.stderr == ALL_SHUT


def test_a_closure_of_centuries_moves_the_window_past_its_end(tmp_path: Path) -> None:
    from datetime import date

    from reminder.calendar import get_calendar

    env = _env(tmp_path, "")
    args = ["--country", "BH", "--submitted", "2026-03-01", "--closure", "2026-03-02..2999-12-31=x"]
    p = _reminder(env, "window", *args, "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    bh = get_calendar("BH")
    last_closed = date(2999, 12, 31)
    assert out["opens"] == bh.add_business_days(last_closed, 7).isoformat()
    assert out["deadline"] == bh.add_business_days(last_closed, 15).isoformat()


def test_a_config_closure_over_every_day_fails_add_and_replan_at_once(tmp_path: Path) -> None:
    env = _env(tmp_path, "")
    added = _reminder(env, "add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--json")
    assert added.returncode == 0, added.stderr
    env = _env(tmp_path, "[[closures]]\nstart = 0001-01-01\nend = 9999-12-31\nlabel = 'shut'\n")
    p = _reminder(env, "add", "--title", "u", "--org", "o", "--submitted", "2026-03-01")
    assert p.returncode == 2
    assert p.stderr == ALL_SHUT
    listed = _reminder(env, "list", "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1
    # The daemon re-plans every open case with the new closures (reminders count business
    # days back from the deadline): one pass, one clear line.
    once = _reminder(env, "daemon", "--once")
    assert once.returncode == 2
    assert (
        once.stderr == "Error: no business day before 2026-03-25: closures cover every day up to 2026-03-24\n"
    )


# --- the day-by-day table, laid out without rich --------------------------------------------------

EXPLAINED = {
    "BH, Eid and closures in lieu": {"submitted": "2026-03-15", "country": "BH"},
    "CN, make-up working days": {"submitted": "2026-09-25", "country": "CN"},
    "CN, lunar new year estimated": {"submitted": "2027-01-20", "country": "CN", "max_days": 40},
    "DE-BY, calendar days": {"submitted": "2026-12-20", "country": "DE", "subdivision": "BY",
                             "unit": "calendar"},
    "a label to fold": {"submitted": "2026-05-20", "country": "BH", "label": "x" * 60 + " and words after"},
    # The "Why" column is text to rich, never markup: a label in it is laid out without rich too.
    "a label like markup": {"submitted": "2026-05-20", "country": "BH", "label": "[b]do[/] :smile: \x1b[2J"},
}  # fmt: skip
TABLE_ENVIRONMENTS = [
    {"COLUMNS": "30", "LINES": "40"},
    {"COLUMNS": "60", "LINES": "40"},
    {"COLUMNS": "80", "LINES": "40"},
    {"COLUMNS": "130", "LINES": "40"},
    {"COLUMNS": "80", "LINES": "40", "TTY_COMPATIBLE": "1", "TERM": "xterm-256color"},
    {"COLUMNS": "45", "LINES": "40", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"},
]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("env", TABLE_ENVIRONMENTS)
@pytest.mark.parametrize("name", list(EXPLAINED))
def test_the_day_by_day_table_is_what_rich_printed(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    env: dict[str, str],
    lang: str,
) -> None:
    # window_table lays the table out with fast_table; rich printed it, and still does where
    # fast_table cannot answer for it (here: at 30 columns, where a header wraps).
    from datetime import date

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from reminder.cli import window as window_cli
    from reminder.i18n import using_language
    from reminder.models import Closure
    from reminder.terminal import escape_controls
    from reminder.window import compute_window

    for variable in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLORTERM"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    given = dict(EXPLAINED[name])
    label = given.pop("label", None)
    submitted = date.fromisoformat(given.pop("submitted"))
    closures = [Closure(date(2026, 5, 25), date(2026, 5, 27), label)] if label else []
    w = compute_window(submitted, closures=closures, explain=True, **given)  # type: ignore[arg-type]
    answered: list[str | None] = []
    given_rows: list[tuple[list[str], list[tuple[str, ...]]]] = []

    def spy(headers: list[str], rows: list[tuple[str, ...]]) -> str | None:
        given_rows.append((headers, rows))
        answered.append(fast_table(headers, rows))
        return answered[-1]

    fast_table = window_cli._fast_table
    monkeypatch.setattr(window_cli, "_fast_table", spy)
    with using_language(lang):
        window_cli.window_table(w)
    fast = capsys.readouterr().out
    # What reminder printed before fast_table: the same cells in rich's table, justified so.
    headers, rows = given_rows[0]
    table = Table(title=None, show_edge=False, pad_edge=False)
    for header, justify in zip(headers, ("left", "left", "center", "right"), strict=False):
        table.add_column(header, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column(headers[4], overflow="fold")
    for row in rows:
        table.add_row(*row[:4], Text(row[4]))
    Console(soft_wrap=False).print(table)
    assert fast == capsys.readouterr().out
    assert (answered[0] is None) == (env["COLUMNS"] == "30"), answered
    if label and len(label) < 40 and int(env["COLUMNS"]) >= 80:  # on one line, shown as typed
        assert escape_controls(label) in fast
