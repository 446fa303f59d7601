"""What a user types, as they type it: dates and times, case ids, output paths, a busy database.

Every check runs the CLI as a real subprocess against a real database file. The clock is
moved with libfaketime (the computer's clock and its time zone are what a traveller's
laptop gets wrong), never mocked inside the process.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, date, datetime

import pytest
from conftest import RunCli, TmpEnv
from test_cli_cases import ok, one_line_error
from test_daemon import LIBFAKETIME, needs_faketime

from reminder.models import Case
from reminder.store import Store
from reminder.window import compute_window

# The laptop is in New York; the cases are in Bahrain (UTC+3, no DST). At 17:30 on Thursday
# 5 March in New York it is already 01:30 on Friday 6 March in Bahrain.
LAPTOP = {"TZ": "America/New_York"}
THURSDAY_EVENING = "2026-03-05 17:30:00"


def at(when: str) -> dict[str, str]:
    """The environment of a CLI whose clock reads ``when`` in New York (libfaketime, wall clock only)."""
    return {**LAPTOP, "LD_PRELOAD": LIBFAKETIME[0] if LIBFAKETIME else "", "FAKETIME": f"@{when}"}


def add(run_cli: RunCli, submitted: str, *extra: str, env: dict[str, str] | None = None) -> dict[str, object]:
    r = run_cli(
        "add", "--title", "t", "--org", "Batelco", "--submitted", submitted, *extra, "--json", env=env
    )
    data: dict[str, object] = json.loads(ok(r).stdout)
    return data


# --- --submitted ---------------------------------------------------------------------------------


def test_submitted_with_an_offset_is_converted_to_the_case_zone(run_cli: RunCli) -> None:
    # 01:00 at UTC+5 is 23:00 the day before in Bahrain: day 0 is 28 February, not 1 March.
    case = add(run_cli, "2026-03-01T01:00+05:00")
    assert (case["submitted"], case["submitted_time"]) == ("2026-02-28", "23:00:00")
    case = add(run_cli, "2026-03-01T09:00Z")
    assert (case["submitted"], case["submitted_time"]) == ("2026-03-01", "12:00:00")
    edit = ("edit", str(case["id"]), "--json", "--submitted")
    edited = json.loads(ok(run_cli(*edit, "2026-03-03T01:00+05:00")).stdout)
    assert (edited["submitted"], edited["submitted_time"]) == ("2026-03-02", "23:00:00")
    edited = json.loads(ok(run_cli(*edit, "2026-3-1")).stdout)  # a date alone: no time, as in add
    assert (edited["submitted"], edited["submitted_time"]) == ("2026-03-01", None)


@pytest.mark.parametrize(
    "submitted", ["2026-3-5", "2026-03-05T10:15", "2026-03-05T23:30+05:00", "yesterday", "2026年3月5日"]
)
def test_edit_submitted_means_what_add_submitted_means(run_cli: RunCli, submitted: str) -> None:
    """The same --submitted gives the same day, time of day and window in add and in edit. A date
    alone kept the time of day of the submission it replaced (14:30 of another day, which the
    complaint to the regulator then stated as when the request was made); add gives it none."""
    added = add(run_cli, submitted)
    case = add(run_cli, "2026-02-20T14:30")
    edited = json.loads(ok(run_cli("edit", str(case["id"]), "--submitted", submitted, "--json")).stdout)
    same = ("submitted", "submitted_time", "window")
    assert {k: edited[k] for k in same} == {k: added[k] for k in same}
    shown = ok(run_cli("show", str(case["id"]))).stdout
    assert "14:30" not in shown


def test_submitted_short_dates_are_accepted(run_cli: RunCli) -> None:
    assert add(run_cli, "2026-3-1")["submitted"] == "2026-03-01"
    assert add(run_cli, "2026/3/1")["submitted"] == "2026-03-01"
    assert add(run_cli, "2026-3-1T9:05")["submitted_time"] == "09:05:00"


@needs_faketime
def test_submitted_today_and_yesterday_are_the_case_zones(run_cli: RunCli) -> None:
    env = at(THURSDAY_EVENING)
    assert add(run_cli, "today", env=env)["submitted"] == "2026-03-06"
    assert add(run_cli, "yesterday", env=env)["submitted"] == "2026-03-05"
    assert add(run_cli, "Today", "--timezone", "America/New_York", env=env)["submitted"] == "2026-03-05"


@needs_faketime
def test_correcting_the_country_takes_today_and_the_future_in_the_new_countrys_zone(run_cli: RunCli) -> None:
    """Added in New York's zone by mistake (country US), corrected to Bahrain with "today": the
    case's today is Bahrain's, Friday, as it is for a case added there; and Friday is not refused
    as the future although it is still Thursday in New York."""
    env = at(THURSDAY_EVENING)
    case = add(run_cli, "2026-03-05", "--country", "US", env=env)
    assert case["timezone"] == "America/New_York"
    moved = ok(run_cli("edit", str(case["id"]), "--country", "BH", "--submitted", "today", "--json", env=env))
    assert json.loads(moved.stdout)["submitted"] == "2026-03-06"
    assert json.loads(moved.stdout)["timezone"] == "Asia/Bahrain"
    other = add(run_cli, "2026-03-05", "--country", "US", env=env)
    friday = ok(run_cli("edit", str(other["id"]), "--country", "BH", "--submitted", "2026-03-06", env=env))
    assert "Asia/Bahrain" in friday.stdout


@needs_faketime
def test_a_future_submission_needs_future(run_cli: RunCli) -> None:
    env = at(THURSDAY_EVENING)
    args = ("add", "--title", "t", "--org", "o", "--submitted")
    line = one_line_error(run_cli(*args, "2026-03-07", env=env))
    assert "2026-03-07 is in the future" in line and "2026-03-06" in line and "--future" in line
    assert json.loads(ok(run_cli("list", "--json", env=env)).stdout) == []  # nothing written
    case = add(run_cli, "2026-03-07", "--future", env=env)
    assert case["submitted"] == "2026-03-07"
    assert "--future" in one_line_error(
        run_cli("edit", str(case["id"]), "--submitted", "2026-03-09", env=env)
    )
    edited = ok(run_cli("edit", str(case["id"]), "--submitted", "2026-03-09", "--future", "--json", env=env))
    assert json.loads(edited.stdout)["submitted"] == "2026-03-09"
    # Today in Bahrain (Friday) is not the future, although New York is still on Thursday.
    assert add(run_cli, "2026-03-06", env=env)["submitted"] == "2026-03-06"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-30", "'2026-02-30' is not a date"),
        ("tomorrow", "'tomorrow' is not a date"),
        ("2026-03-01T25:00", "'2026-03-01T25:00' is not a date"),
        ("0001-01-01T00:00+05:00", "out of range"),
    ],
)
def test_bad_submitted_is_one_line(run_cli: RunCli, text: str, expected: str) -> None:
    assert expected in one_line_error(run_cli("add", "--title", "t", "--org", "o", "--submitted", text))
    assert expected in one_line_error(run_cli("window", "--submitted", text))  # the same parser


def window(run_cli: RunCli, submitted: str, *extra: str, env: dict[str, str] | None = None) -> str:
    """``reminder window``'s text output for ``--submitted submitted``."""
    return ok(run_cli("window", "--submitted", submitted, *extra, env=env)).stdout


@needs_faketime
def test_window_takes_the_submission_date_as_add_does(run_cli: RunCli) -> None:
    """ "today" was refused by window ("'today' is not a date") though add takes it: each form add
    takes is the same day in window, today being the country's as a case there has it."""
    env = at(THURSDAY_EVENING)
    for typed in ("today", "YESTERDAY", "today 01:00", "2026/3/6", "2026-03-06T02:00+05:00"):
        for country in ("BH", "US"):
            added = add(run_cli, typed, "--country", country, "--future", env=env)["submitted"]
            assert isinstance(added, str)
            written = window(run_cli, added, "--country", country, "--json", env=env)
            assert window(run_cli, typed, "--country", country, "--json", env=env) == written, typed
    # Bahrain is already on Friday, New York still on Thursday, Auckland on Friday afternoon.
    assert window(run_cli, "today", "--country", "BH", env=env) == window(run_cli, "2026-03-06", env=env)
    assert window(run_cli, "today", env=env) == window(run_cli, "2026-03-06", env=env)  # the config's BH
    assert window(run_cli, "today", "--country", "US", env=env).startswith("US · submitted Thu 2026-03-05")
    auckland = window(run_cli, "yesterday", "--country", "NZ", env=env)  # 11:30 on Friday there
    assert auckland.startswith("NZ · submitted Thu 2026-03-05")
    help_text = " ".join(ok(run_cli("window", "--help")).stdout.split())
    assert "today or yesterday" in help_text and "2026-03-01T14:30" in help_text


# --- evidence add --at -----------------------------------------------------------------------------


@needs_faketime
def test_evidence_at_without_offset_is_the_case_zones(run_cli: RunCli) -> None:
    env = at(THURSDAY_EVENING)
    case_id = str(add(run_cli, "2026-03-01", env=env)["id"])
    r = run_cli("evidence", "add", case_id, "--kind", "call", "--summary", "Called 196",
                "--at", "2026-03-02T10:15", "--json", env=env)  # fmt: skip
    assert json.loads(ok(r).stdout)["entry"]["at"] == "2026-03-02T10:15:00+03:00"
    r = run_cli("evidence", "add", case_id, "--kind", "call", "--summary", "Called again",
                "--at", "2026-03-02T10:15-05:00", "--json", env=env)  # fmt: skip
    assert json.loads(ok(r).stdout)["entry"]["at"] == "2026-03-02T10:15:00-05:00"
    assert "case's time zone" in " ".join(ok(run_cli("evidence", "add", "--help")).stdout.split())


@needs_faketime
def test_the_day_a_case_was_closed_is_the_case_zones(run_cli: RunCli) -> None:
    # Closed at 17:30 in New York, 22:30 UTC: 01:30 on 6 March in Bahrain, where the case is.
    env = at(THURSDAY_EVENING)
    case_id = str(add(run_cli, "2026-03-01", env=env)["id"])
    ok(run_cli("close", case_id, env=env))
    assert "  closed:       Fri 2026-03-06" in ok(run_cli("show", case_id, env=env)).stdout
    assert "already closed (2026-03-06)" in one_line_error(run_cli("close", case_id, env=env))


# --- case ids ---------------------------------------------------------------------------------------


def _case(case_id: str, title: str) -> Case:
    now = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    return Case(id=case_id, title=title, organisation="Batelco", submitted=date(2026, 3, 1), country="BH",
                timezone="Asia/Bahrain", created_at=now, updated_at=now)  # fmt: skip


@pytest.fixture
def ids(tmp_env: TmpEnv) -> tuple[str, str, str]:
    """Three cases whose ids a user could mix up: two share the prefix ``k7m``."""
    with Store(tmp_env.db_path) as store:
        for case_id in ("k7m2qx", "k7mrz4", "q7k2mp"):
            case = _case(case_id, f"case {case_id}")
            store.add_case(case, compute_window(case.submitted, country="BH"))
    return ("k7m2qx", "k7mrz4", "q7k2mp")


def test_a_mistyped_id_suggests_the_closest(run_cli: RunCli, ids: tuple[str, ...]) -> None:
    line = one_line_error(run_cli("show", "k7m2qz"))
    assert "no case with id 'k7m2qz'" in line and "did you mean k7m2qx" in line
    assert "q7k2mp" in one_line_error(run_cli("evidence", "list", "q7k2pm"))
    assert "did you mean" not in one_line_error(run_cli("show", "zzzzzz"))


PREFIX_COMMANDS = [
    ["show", "{}"],
    ["edit", "{}", "--notes", "n"],
    ["check", "{}", "1", "--json"],
    ["close", "{}"],
    ["evidence", "add", "{}", "--kind", "call", "--summary", "s"],
    ["evidence", "list", "{}", "--json"],
    ["evidence", "verify", "{}", "--json"],
    ["export", "{}", "--format", "md", "--output", "-"],
    ["export", "--ics", "{}", "--output", "-"],
]


def test_a_unique_prefix_works_everywhere(run_cli: RunCli, tmp_env: TmpEnv, ids: tuple[str, ...]) -> None:
    ok(run_cli("edit", "q7k2mp", "--kind", "sim-cancellation"))  # gives it a checklist to tick
    for args in PREFIX_COMMANDS:
        r = ok(run_cli(*[a.format("q7k") for a in args]))
        assert "q7k2mp" in r.stdout, (args, r.stdout)
    ok(run_cli("reopen", "Q7K2"))
    ok(run_cli("evidence", "show", "q7k", "1"))
    ok(run_cli("delete", "k7m2", "--yes"))
    remaining = [c["id"] for c in json.loads(ok(run_cli("list", "--status", "all", "--json")).stdout)]
    assert sorted(remaining) == ["k7mrz4", "q7k2mp"]


def test_an_ambiguous_prefix_is_refused_and_deletes_nothing(
    run_cli: RunCli, tmp_env: TmpEnv, ids: tuple[str, ...]
) -> None:
    line = one_line_error(run_cli("delete", "k7m", "--yes"))
    assert "ambiguous" in line and "k7m2qx" in line and "k7mrz4" in line
    assert "ambiguous" in one_line_error(run_cli("show", "k7m"))
    assert "at least 3" in one_line_error(run_cli("delete", "q7", "--yes"))
    remaining = [c["id"] for c in json.loads(ok(run_cli("list", "--status", "all", "--json")).stdout)]
    assert sorted(remaining) == sorted(ids)


# --- export --output ----------------------------------------------------------------------------------


def test_export_to_an_empty_path_is_refused(run_cli: RunCli, ids: tuple[str, ...]) -> None:
    assert "empty output path" in one_line_error(run_cli("export", "q7k2mp", "-o", ""))
    assert "empty output path" in one_line_error(run_cli("export", "--ics", "-o", ""))


def test_export_into_a_missing_directory_creates_nothing(
    run_cli: RunCli, tmp_env: TmpEnv, ids: tuple[str, ...]
) -> None:
    missing = tmp_env.root / "nonexistent" / "dir"
    for args in (["q7k2mp"], ["--ics"]):
        line = one_line_error(run_cli("export", *args, "-o", str(missing / "x.out")))
        assert str(missing) in line and "no such directory" in line
        assert not (tmp_env.root / "nonexistent").exists()


def test_export_through_a_symlink_writes_the_file_it_points_to(
    run_cli: RunCli, tmp_env: TmpEnv, ids: tuple[str, ...]
) -> None:
    (tmp_env.root / "synced").mkdir()
    for args, name in ((["q7k2mp", "--format", "html"], "dossier.html"), (["--ics"], "reminder.ics")):
        target = tmp_env.root / "synced" / name
        target.write_text("old")
        link = tmp_env.root / f"link-{name}"
        link.symlink_to(target)
        ok(run_cli("export", *args, "-o", str(link)))
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.read_text() != "old" and "q7k2mp" in target.read_text()
    loop = tmp_env.root / "loop.html"
    loop.symlink_to(loop)
    assert "symlink" in one_line_error(run_cli("export", "q7k2mp", "-o", str(loop)))
    dangling = tmp_env.root / "dangling.html"
    dangling.symlink_to(tmp_env.root / "gone" / "x.html")
    assert str(tmp_env.root / "gone") in one_line_error(run_cli("export", "q7k2mp", "-o", str(dangling)))
    assert "symlink" in ok(run_cli("export", "--help")).stdout  # the choice is documented


# --- a busy database ----------------------------------------------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.sqlite_only("locks the SQLite file with sqlite3")
def test_a_locked_database_says_who_holds_it_and_what_to_do(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    Store(tmp_env.db_path).close()  # created and migrated
    holder = sqlite3.connect(tmp_env.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a sqlite3 shell in a transaction, or another writer, does
    try:
        r = run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    line = one_line_error(r, code=1)
    assert "another" in line and "reminder status" in line and "try again" in line
    ok(run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"))


@pytest.mark.parametrize("lang", ["C.UTF-8", "zh_CN.UTF-8"])
def test_db_copy_to_something_else_names_the_option_and_the_value_quoted(run_cli: RunCli, lang: str) -> None:
    # As every other bad value is named ("Invalid value for '--output'", "unknown country 'xx'"):
    # the option and the value stood bare here, "Invalid value for --to: nonsense is not …".
    result = run_cli("db", "copy", "--to", "nonsense", env={"LANG": lang})
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "'--to'" in line and "'nonsense'" in line and "postgresql://" in line, line


# --- a value from a fixed set, mistyped ------------------------------------------------------------

# Each was refused with every word it could be (or click's generic "is not one of"), never the one
# meant; a mistyped option or command was always answered with it ("Did you mean '--title'?").
ADD = ("add", "--title", "t", "--org", "Batelco", "--submitted", "2026-03-01")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ("letter", "{id}", "--to", "orgnisation"),
            "Invalid value for '--to': 'orgnisation' is not one of 'organisation', 'regulator'."
            " Did you mean 'organisation'? (see 'reminder letter --help')",
        ),
        (("letter", "{id}", "--to", "organisation", "--format", "pdff"), "Did you mean 'pdf'?"),
        (("export", "{id}", "--format", "htm"), "Did you mean 'html'?"),
        (("window", "--submitted", "2026-03-01", "--unit", "buisness"), "Did you mean 'business'?"),
        (("list", "--status", "opne"), "Did you mean 'open'?"),
        (("evidence", "add", "{id}", "--kind", "scrennshot", "--summary", "x"), "Did you mean 'screenshot'?"),
        ((*ADD, "--kind", "refnd"), "Error: unknown kind 'refnd'; did you mean 'refund'?"),
        (
            ("edit", "{id}", "--kind", "complaitn"),
            "Error: unknown kind 'complaitn'; did you mean 'complaint'?",
        ),
        ((*ADD, "--preset", "telcom"), "Error: unknown escalation preset 'telcom'; did you mean 'telecom'?"),
        (("edit", "{id}", "--lang", "arr"), "Error: unknown language 'arr'; did you mean 'ar'?"),
        (("export", "{id}", "--lang", "zn_CN"), "Error: unknown language 'zn_CN'; did you mean 'zh_CN'?"),
        (
            ("letter", "{id}", "--to", "regulator", "--regulator", "bh-tar"),
            "Error: unknown regulator 'bh-tar'; did you mean 'bh-tra'?",
        ),
        (("notify", "test", "--notifier", "emial"), "Error: unknown notifier 'emial'; did you mean 'email'?"),
        (("notify", "retry", "--notifier", "lgo"), "Error: unknown notifier 'lgo'; did you mean 'log'?"),
        (
            (*ADD, "--remind", "befor_deadline=3"),
            "Error: bad --remind 'befor_deadline=3': did you mean 'before_deadline=3'?",
        ),
        (
            (*ADD, "--timezone", "Asia/Bahrian"),
            "Error: unknown time zone 'Asia/Bahrian'; did you mean 'Asia/Bahrain'?",
        ),
    ],
)
def test_a_mistyped_value_from_a_fixed_set_gets_the_one_meant(
    run_cli: RunCli, argv: tuple[str, ...], said: str
) -> None:
    case_id = add(run_cli, "2025-01-05")["id"]
    args = [str(a).format(id=case_id) for a in argv]
    line = one_line_error(run_cli(*args))
    assert said in line, line
    assert line.startswith("Error: ") and "Traceback" not in line
    # With --json the same sentence, as the error.
    if args[0] not in ("window", "letter"):  # window --json is fine too; letter has no --json
        got = run_cli(*args, "--json")
        assert got.returncode == 2 and said.removeprefix("Error: ") in json.loads(got.stderr)["error"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("list", "--status", "zzz"), "'zzz' is not one of 'open', 'closed', 'all'. (see"),
        ((*ADD, "--kind", "xyzzy"), "unknown kind 'xyzzy'; use one of cancellation, refund,"),
        (("edit", "{id}", "--lang", "fr"), "unknown language 'fr'; use one of: en, zh_CN, ar"),
    ],
)
def test_a_value_like_none_of_them_still_gets_the_whole_list(
    run_cli: RunCli, argv: tuple[str, ...], said: str
) -> None:
    case_id = add(run_cli, "2025-01-05")["id"]
    line = one_line_error(run_cli(*[str(a).format(id=case_id) for a in argv]))
    assert said in line and "did you mean" not in line.lower(), line


def test_a_mistyped_value_is_answered_in_chinese(run_cli: RunCli) -> None:
    case_id = add(run_cli, "2025-01-05")["id"]
    zh = {"LANG": "zh_CN.UTF-8"}
    got = run_cli("letter", str(case_id), "--to", "orgnisation", env=zh)
    assert (got.returncode, got.stderr) == (
        2,
        "错误：'--to' 的值无效：'orgnisation' 不是 'organisation'、'regulator' 中的一个。"
        "你要找的是不是 'organisation'？（参见 'reminder letter --help'）\n",
    )
    # The library's own refusals are one line in the user's language too (their words are in
    # the catalogue; the names suggested stay as they are typed).
    line = one_line_error(run_cli(*ADD, "--kind", "refnd", env=zh))
    assert line.startswith("错误：") and "'refnd'" in line and "'refund'" in line, line
