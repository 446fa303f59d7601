"""The CLI contract for cases and the config file, through real subprocesses.

Exit status 0 on success, 2 for bad input or configuration with one line on stderr
(``{"error": …}`` with ``--json``), never a traceback; ``--json`` shapes.
"""

from __future__ import annotations

import json
import stat
import subprocess

import pytest
from conftest import RunCli, TmpEnv

CASE_KEYS = {
    "id", "title", "organisation", "kind", "filed", "reference", "channels", "country", "subdivision",
    "timezone", "submitted", "status", "resolution", "closed_at", "created_at", "updated_at", "notes",
    "checklist", "window",
}  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def add_json(run_cli: RunCli, *args: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        ok(run_cli("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", *args, "--json")).stdout
    )
    return data


def test_add_list_show_json(run_cli: RunCli) -> None:
    case = add_json(
        run_cli, "--submitted", "2026-03-01T14:30", "--kind", "sim-cancellation", "--channel", "hotline",
        "--channel", "web form", "--reference", "BT-48213",
    )  # fmt: skip
    assert set(case) >= CASE_KEYS
    assert case["country"] == "BH" and case["status"] == "open" and case["submitted"] == "2026-03-01"
    assert case["submitted_time"] == "14:30:00" and case["channels"] == ["hotline", "web form"]
    window = case["window"]
    assert isinstance(window, dict) and {"opens", "deadline", "tentative", "days_left"} <= set(window)
    assert window["opens"] == "2026-03-10"
    assert len(case["checklist"]) == 4  # type: ignore[arg-type]
    assert "verification code" in str(case["warning"])

    other = add_json(run_cli, "--submitted", "2026-02-01", "--country", "DE")
    listed = json.loads(ok(run_cli("list", "--json")).stdout)
    assert [c["id"] for c in listed] == [other["id"], case["id"]]  # sorted by deadline
    # list --json and add --json agree on every key a case has (show/add may add more).
    assert listed[1] == {k: v for k, v in case.items() if k in listed[1]}
    shown = json.loads(ok(run_cli("show", str(case["id"]), "--json")).stdout)
    assert shown["id"] == case["id"] and shown["window"]["deadline"] == window["deadline"]
    explained = json.loads(ok(run_cli("show", str(case["id"]), "--explain", "--json")).stdout)
    assert explained["window"]["days"][0]["date"] == "2026-03-02"
    due = json.loads(ok(run_cli("list", "--due-before", "2026-02-28", "--json")).stdout)
    assert [c["id"] for c in due] == [other["id"]]


def test_show_writes_the_tentative_days_as_its_other_days(run_cli: RunCli) -> None:
    # Bahrain's National Day 2027 falls on a Thursday and Friday: the day in lieu is a rule, not yet a
    # circular. show wrote that day as 2027-12-19 beside "Sun 2027-12-12" (and in Chinese beside
    # "2027年12月12日 星期日"); every day of the case is now written alike.
    case = add_json(run_cli, "--submitted", "2027-12-01", "--country", "BH", "--future")
    assert case["window"]["tentative"] is True  # type: ignore[index]
    shown = ok(run_cli("show", str(case["id"]))).stdout
    assert "  tentative:    counts across dates not yet official — Sun 2027-12-19 " in shown
    zh = ok(run_cli("show", str(case["id"]), env={"LANG": "zh_CN.UTF-8"})).stdout
    assert "暂定：计算跨越了尚未公布的日期 —— 2027年12月19日 星期日 " in zh


def test_people_output(run_cli: RunCli) -> None:
    out = ok(
        run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
                "--kind", "sim-cancellation")
    ).stdout  # fmt: skip
    assert out.startswith("Added case ")
    assert "opens Tue 2026-03-10" in out and "[ ] 1. Use up or transfer" in out
    assert "never give a verification code" in out
    table = ok(run_cli("list")).stdout
    assert "Cancel eSIM" in table and "Batelco" in table and "Deadline" in table
    assert "No closed cases." in ok(run_cli("list", "--status", "closed")).stdout


def test_the_list_fits_80_columns_and_says_what_is_next(run_cli: RunCli) -> None:
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    # The CLI counts from the real clock, in the case's time zone (Asia/Bahrain by default), not the
    # machine's: from 21:00 UTC on, Bahrain is a day ahead, and a date.today() here failed in CI.
    zone = "Asia/Bahrain"  # the embedded default
    today = datetime.now(ZoneInfo(zone)).date()
    waiting = add_json(run_cli, "--submitted", today.isoformat(), "--title", "Waiting for the window")
    late = add_json(run_cli, "--submitted", (today - timedelta(days=60)).isoformat(), "--title", "Late")
    done = add_json(run_cli, "--submitted", (today - timedelta(days=5)).isoformat(), "--title", "Done")
    ok(run_cli("close", str(done["id"])))
    assert waiting["timezone"] == zone
    window = waiting["window"]
    assert isinstance(window, dict)
    opens_in = (date.fromisoformat(window["opens"]) - today).days

    narrow = ok(run_cli("list", "--status", "all", env={"COLUMNS": "80"})).stdout
    rows = {line.split()[0]: line for line in narrow.splitlines()}
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert "Opens" not in narrow and "Waiting for the" in rows[str(waiting["id"])]  # titles keep room
    assert rows[str(waiting["id"])].rstrip().endswith(f"opens in {opens_in} days")
    assert rows[str(late["id"])].rstrip().endswith("days overdue")
    assert rows[str(done["id"])].rstrip().endswith("closed")
    wide = ok(run_cli("list", env={"COLUMNS": "140"})).stdout
    assert "Opens" in wide and f"{date.fromisoformat(window['opens']):%a %Y-%m-%d}" in wide


def test_correcting_the_country_moves_the_time_zone_that_came_with_it(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    """A case added in the wrong country took that country's zone; corrected to Bahrain it kept
    Dubai's, so its reminders came at 09:00 in Dubai (08:00 in Bahrain) and its 'today' was
    Dubai's, while show said '(BH, Asia/Dubai)'. A zone chosen with --timezone stays chosen."""
    import sqlite3

    case = add_json(run_cli, "--submitted", "2026-03-01", "--country", "AE")
    assert case["timezone"] == "Asia/Dubai"
    edited = json.loads(ok(run_cli("edit", str(case["id"]), "--country", "BH", "--json")).stdout)
    assert (edited["country"], edited["timezone"]) == ("BH", "Asia/Bahrain")
    shown = json.loads(ok(run_cli("show", str(case["id"]), "--json")).stdout)
    assert {r["due"][10:] for r in shown["reminders"]} == {"T09:00:00+03:00"}, shown["reminders"]

    chosen = add_json(run_cli, "--submitted", "2026-03-01", "--country", "AE", "--timezone", "Europe/London")
    kept = json.loads(ok(run_cli("edit", str(chosen["id"]), "--country", "BH", "--json")).stdout)
    assert kept["timezone"] == "Europe/London"
    both = json.loads(
        ok(run_cli("edit", str(case["id"]), "--country", "DE", "--timezone", "Asia/Tokyo", "--json")).stdout
    )
    assert both["timezone"] == "Asia/Tokyo"
    if tmp_env.db_path.exists():  # the SQLite store (not REMINDER_TEST_BACKEND=postgresql)
        with sqlite3.connect(tmp_env.db_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_edit_close_reopen_check_delete(run_cli: RunCli) -> None:
    case = add_json(run_cli, "--submitted", "2026-03-01", "--kind", "sim-cancellation", "--notes", "x")
    cid = str(case["id"])
    edited = json.loads(ok(run_cli("edit", cid, "--submitted", "2026-03-08", "--notes", "", "--json")).stdout)
    assert edited["window"]["deadline"] > case["window"]["deadline"]  # type: ignore[index]
    assert edited["notes"] is None

    ticked = json.loads(ok(run_cli("check", cid, "back up", "--json")).stdout)
    assert [i["done"] for i in ticked["checklist"]] == [False, False, True, False]
    assert "Unticked 3." in ok(run_cli("check", cid, "3", "--undo")).stdout

    closed = json.loads(ok(run_cli("close", cid, "--resolution", "cancelled", "--json")).stdout)
    assert (closed["status"], closed["resolution"]) == ("closed", "cancelled") and closed["closed_at"]
    assert json.loads(ok(run_cli("list", "--json")).stdout) == []
    assert [c["id"] for c in json.loads(ok(run_cli("list", "--status", "closed", "--json")).stdout)] == [cid]
    assert "already closed" in one_line_error(run_cli("close", cid))
    assert json.loads(ok(run_cli("reopen", cid, "--json")).stdout)["status"] == "open"

    assert "refusing to delete without --yes" in one_line_error(run_cli("delete", cid))
    assert json.loads(ok(run_cli("delete", cid, "--yes", "--json")).stdout) == {
        "deleted": cid,
        "title": "Cancel roaming eSIM",
    }
    assert json.loads(ok(run_cli("list", "--status", "all", "--json")).stdout) == []


@pytest.mark.parametrize(
    "args",
    [
        ["show", "zzzzzz"],
        ["edit", "zzzzzz", "--title", "x"],
        ["close", "zzzzzz"],
        ["reopen", "zzzzzz"],
        ["delete", "zzzzzz", "--yes"],
        ["check", "zzzzzz", "1"],
    ],
)
def test_unknown_id_is_exit_2_one_line(run_cli: RunCli, args: list[str]) -> None:
    assert "no case with id 'zzzzzz'" in one_line_error(run_cli(*args))
    error = json.loads(one_line_error(run_cli(*args, "--json")))
    assert "zzzzzz" in error["error"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["add", "--title", "t", "--org", "o", "--submitted", "2026-02-30"], "'2026-02-30' is not a date"),
        (["add", "--title", "t", "--org", "o"], "Missing option '--submitted'"),
        (
            ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--country", "XX"],
            "unknown country",
        ),
        (
            ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--kind", "x"],
            "unknown kind 'x'",
        ),
        (
            ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", "--closure", "soon"],
            "bad closure",
        ),
        (["list", "--due-before", "tomorrow"], "'tomorrow' is not a date"),
        (["list", "--status", "pending"], "'pending' is not one of"),
    ],
)
def test_bad_input_is_exit_2_one_line(run_cli: RunCli, args: list[str], expected: str) -> None:
    assert expected in one_line_error(run_cli(*args))


def test_environment_overrides_reach_the_cli(run_cli: RunCli) -> None:
    data = json.loads(
        ok(
            run_cli(
                "add", "--title", "t", "--org", "o", "--submitted", "2026-03-02", "--json",
                env={"REMINDER_DEFAULTS__COUNTRY": "DE", "REMINDER_DEFAULTS__MAX_DAYS": "20"},
            )
        ).stdout
    )  # fmt: skip
    assert (data["country"], data["timezone"], data["max_days"]) == ("DE", "Europe/Berlin", 20)


def test_config_init_path_check(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    path = ok(run_cli("config", "path"))
    assert path.stdout.strip() == str(tmp_env.config_path) and "config init" in path.stderr
    created = ok(run_cli("config", "init"))
    assert str(tmp_env.config_path) in created.stdout
    assert stat.S_IMODE(tmp_env.config_path.stat().st_mode) == 0o600
    assert "[templates.sim-cancellation]" in tmp_env.config_path.read_text()
    assert "not overwriting" in one_line_error(run_cli("config", "init"))
    info = json.loads(ok(run_cli("config", "path", "--json")).stdout)
    assert info == {"path": str(tmp_env.config_path), "source": "user config directory", "exists": True}

    with tmp_env.config_path.open("a") as fh:
        fh.write('\n[notifiers.hook]\ntype = "command"\nargv = ["/bin/true"]\n')
        fh.write('env = { API_TOKEN = "s3cret" }\n')
    check = ok(run_cli("config", "check"))
    assert check.stdout.startswith(f"# OK: {tmp_env.config_path}")
    assert 'defaults.country = "BH"' in check.stdout
    checked = json.loads(ok(run_cli("config", "check", "--json")).stdout)
    assert checked["settings"]["notifiers"]["hook"]["env"]["API_TOKEN"] == "********"
    assert "s3cret" not in check.stdout + json.dumps(checked)


def test_explicit_config_file_is_used(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    other = tmp_env.root / "other.toml"
    other.write_text('[defaults]\ncountry = "GB"\n')
    data = json.loads(
        ok(
            run_cli(
                "--config",
                str(other),
                "add",
                "--title",
                "t",
                "--org",
                "o",
                "--submitted",
                "2026-03-02",
                "--json",
            )
        ).stdout
    )
    assert data["country"] == "GB"
    assert "config file not found" in one_line_error(
        run_cli("--config", str(tmp_env.root / "no.toml"), "list")
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[defaults\ncountry = 'BH'\n", "line 1, column"),
        ("[defaults]\ncolour = 'red'\n", "defaults.colour: unknown key"),
        ("[reminders]\nescalation_max = 'many'\n", "reminders.escalation_max"),
        ("[defaults]\ncountry = 'XX'\n", "defaults.country: unknown country 'XX'"),
    ],
)
def test_broken_config_is_exit_2_naming_file_and_key(
    run_cli: RunCli, tmp_env: TmpEnv, text: str, key: str
) -> None:
    tmp_env.write_config(text)
    for args in (
        ["config", "check"],
        ["list"],
        ["add", "--title", "t", "--org", "o", "--submitted", "2026-03-01"],
    ):
        line = one_line_error(run_cli(*args))
        assert str(tmp_env.config_path) in line and key in line
    error = json.loads(one_line_error(run_cli("config", "check", "--json")))
    assert key in error["error"]


def test_every_command_has_help_with_an_example(run_cli: RunCli) -> None:
    for command in (
        "add",
        "list",
        "show",
        "edit",
        "close",
        "reopen",
        "delete",
        "check",
        "config",
        "config init",
    ):
        out = ok(run_cli(*command.split(), "--help")).stdout
        assert "Example:" in out, command


def test_show_a_closed_case_says_closed_not_days_left(run_cli: RunCli) -> None:
    case = add_json(run_cli, "--submitted", "2026-03-01")
    ok(run_cli("close", str(case["id"]), "--resolution", "cancelled"))
    shown = ok(run_cli("show", str(case["id"]))).stdout
    (window_line,) = [line for line in shown.splitlines() if line.strip().startswith("window:")]
    assert window_line.endswith("· closed"), window_line
    assert "left" not in window_line and "overdue" not in window_line and "due today" not in window_line


def test_show_includes_the_evidence_and_names_preset_steps(run_cli: RunCli) -> None:
    case = add_json(run_cli, "--submitted", "2026-03-01", "--preset", "telecom")
    case_id = str(case["id"])
    for n, summary in enumerate(["Called 196, ref 77", "E-mail from Batelco", "Status page: pending"]):
        ok(
            run_cli(
                "evidence",
                "add",
                case_id,
                "--kind",
                "note",
                "--summary",
                summary,
                "--at",
                f"2026-03-0{n + 2}T10:00",
            )
        )
    shown = ok(run_cli("show", case_id)).stdout
    assert "evidence:     3 entries" in shown
    # The latest entries, newest last, as in `evidence list`.
    lines = shown.splitlines()
    latest = [line.split() for line in lines if line.strip().startswith("#")]
    assert [(row[0], row[-1]) for row in latest] == [("#1", "77"), ("#2", "Batelco"), ("#3", "pending")]
    # The preset's steps by what they say, with their dates, and its reminders named after them.
    assert "Call the operator again; ask for a written answer" in shown
    assert "Take the dispute to the telecom regulator" in shown
    step_rows = [line for line in shown.splitlines() if "telecom step" in line]
    assert len(step_rows) == 2 and "escalation " not in step_rows[0]
    data = json.loads(ok(run_cli("show", case_id, "--json")).stdout)
    assert data["evidence"]["count"] == 3
    assert [e["summary"] for e in data["evidence"]["latest"]][-1] == "Status page: pending"
    assert [s["step"][:24] for s in data["preset_steps"]] == [
        "Call the operator again;",
        "Take the dispute to the ",
    ]
    preset_rows = [r for r in data["reminders"] if ":preset:" in r["key"]]
    assert [r["step"][:10] for r in preset_rows] == ["Call the o", "Take the d"]


def test_presets_lists_steps_and_sources(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        '[presets.refund]\ntitle = "Shop refund"\nsource = "Consumer Rights Act 2015 s.20"\n'
        '[[presets.refund.steps]]\ndelay = 14\nunit = "calendar_days"\nanchor = "submitted"\n'
        'step = "Write to the shop again"\n'
    )
    text = ok(run_cli("presets")).stdout
    for name in ("gdpr", "telecom", "telecom-uk", "refund"):
        assert f"\n{name}" in "\n" + text
    assert "14 days after submission: Write to the shop again" in text
    assert "source: Consumer Rights Act 2015 s.20" in text
    assert "8 weeks after submission" in text and "(for requests before 2026-04-08)" in text
    data = json.loads(ok(run_cli("presets", "--json")).stdout)
    by_name = {p["name"]: p for p in data}
    assert set(by_name) == {"gdpr", "telecom", "telecom-uk", "refund"}
    assert by_name["refund"] == {
        "name": "refund", "title": "Shop refund", "source": "Consumer Rights Act 2015 s.20", "builtin": False,
        "steps": [{
            "delay": 14, "unit": "calendar_days", "anchor": "submitted", "step": "Write to the shop again",
            "after": "14 days after submission", "valid_from": None, "valid_until": None, "source": None,
        }],
    }  # fmt: skip
    assert by_name["telecom-uk"]["steps"][1]["valid_until"] == "2026-04-08"


def test_check_matches_words_anywhere_in_an_item_as_its_help_says(run_cli: RunCli) -> None:
    cid = str(add_json(run_cli, "--submitted", "2026-03-01", "--kind", "sim-cancellation")["id"])
    assert "words from its text" in " ".join(ok(run_cli("check", "--help")).stdout.split())
    assert ok(run_cli("check", cid, "confirmation")).stdout.startswith(
        "Ticked 4. Keep the confirmation letter"
    )
    # Several match: each named by its start, cut between words.
    error = one_line_error(run_cli("check", cid, "the"))
    assert error == (
        "Error: 'the' matches several items: 1 (Use up or transfer the…), "
        "2 (Unlink the number from bank…), 4 (Keep the confirmation letter); give its number"
    )


def test_a_blank_resolution_is_refused_and_the_case_stays_open(run_cli: RunCli) -> None:
    # `close --resolution ''` was taken, and the case closed with an empty resolution to show.
    case_id = str(add_json(run_cli, "--submitted", "2026-03-01")["id"])
    error = one_line_error(run_cli("close", case_id, "--resolution", " "))
    assert "'--resolution'" in error and "must not be empty" in error, error
    assert json.loads(ok(run_cli("show", case_id, "--json")).stdout)["status"] == "open"


def test_an_add_that_looks_like_an_open_case_is_kept_and_said_so(run_cli: RunCli) -> None:
    """Re-running add after an unclear error made a second case, and double reminders, without a
    word. The case is still added (nothing typed is refused or lost), and one line on stderr
    (--json: a field) names the open case it looks like and how to remove it if it was a mistake."""
    add = ("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-03-01")
    first = json.loads(ok(run_cli(*add, "--reference", "BT-48213", "--json")).stdout)
    assert "possible_duplicate_of" not in first

    # Same organisation and reference (a different title and day: the reference says it all).
    again = ok(
        run_cli(
            "add",
            "--title",
            "eSIM",
            "--org",
            "Batelco",
            "--submitted",
            "2026-03-02",
            "--reference",
            "BT-48213",
        )
    )
    second = again.stdout.split()[2].rstrip(".")  # "Added case <id>."
    assert again.stdout.startswith(f"Added case {second}.") and second != first["id"]
    (line,) = again.stderr.splitlines()
    assert line == (
        f"note: this looks like case {first['id']}, open with the same organisation and reference;"
        f" if you added it twice by mistake: reminder delete {second} --yes"
    )
    listed = json.loads(ok(run_cli("list", "--json")).stdout)
    assert sorted(c["id"] for c in listed) == sorted([first["id"], second])  # both kept

    as_json = ok(run_cli(*add, "--reference", "BT-48213", "--json"))
    assert as_json.stderr == ""
    assert json.loads(as_json.stdout)["possible_duplicate_of"] == first["id"]  # the oldest of them
    # Another reference, the same title and day: another request (two references that differ).
    quiet = ok(run_cli(*add, "--reference", "BT-99999", "--json"))
    assert "possible_duplicate_of" not in json.loads(quiet.stdout) and quiet.stderr == ""

    # No reference: the same organisation, title and day of submission.
    plain = json.loads(ok(run_cli(*add, "--json")).stdout)
    assert plain["possible_duplicate_of"] == first["id"]
    repeat = ok(run_cli(*add))
    assert (
        f"this looks like case {first['id']}, open with the same organisation, title and day of submission;"
        in (repeat.stderr)
    )

    # Not alike: another organisation, another reference, another day, or the case closed.
    for other in (
        ("add", "--title", "Cancel roaming eSIM", "--org", "Zain", "--submitted", "2026-03-01", "--reference",
         "BT-48213"),
        ("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-03-05"),
    ):  # fmt: skip
        quiet = ok(run_cli(*other, "--json"))
        assert "possible_duplicate_of" not in json.loads(quiet.stdout) and quiet.stderr == "", other
    # Every Batelco case closed: those without a reference would be alike too, by title and day.
    for case in json.loads(ok(run_cli("list", "--json")).stdout):
        if case["organisation"] == "Batelco":
            ok(run_cli("close", case["id"]))
    closed = ok(run_cli(*add, "--reference", "BT-48213"))
    assert closed.stderr == ""


def test_an_add_alike_but_for_case_width_or_spaces_is_said_to_look_alike(run_cli: RunCli) -> None:
    """ "batelco " and "r-1" were another request than "Batelco" and "R-1", and so was the
    full-width "Ｒ－１" a Chinese input method types: added again without a word. A case first
    added without a reference, then again with the one the organisation gave, went unsaid too."""
    from english_leaks import assert_no_english

    zh = {"LANG": "zh_CN.UTF-8"}

    def add(*args: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
        done = ok(run_cli("add", "--submitted", "2026-03-01", *args, env=env))
        return done.stdout.split()[1 if env else 2].rstrip(".。"), done.stderr.splitlines()

    first, said = add("--title", "Cancel roaming eSIM", "--org", "Batelco", "--reference", "R-1")
    assert said == []
    second, said = add("--title", "eSIM", "--org", "batelco ", "--reference", "r-1")
    assert said == [
        f"note: this looks like case {first}, open with the same organisation and reference;"
        f" if you added it twice by mistake: reminder delete {second} --yes"
    ]
    third, said = add("--title", "注销漫游 eSIM", "--org", "ＢＡＴＥＬＣＯ", "--reference", "Ｒ－１", env=zh)
    assert said == [
        f"注意：这看起来与进行中的事项 {first} 相同（机构和编号都一样）；"
        f"如果是误添加了两次：reminder delete {third} --yes"
    ]
    assert_no_english(said[0], allow={first, third}, what="the note")

    # Without a reference: the title too, as loosely.
    plain, said = add("--title", "Refund  for roaming", "--org", "Zain")
    again, said = add("--title", "refund for Roaming ", "--org", "ZAIN")
    assert said == [
        f"note: this looks like case {plain}, open with the same organisation, title and day of submission;"
        f" if you added it twice by mistake: reminder delete {again} --yes"
    ]
    # First without a reference, then with the one the organisation gave: alike, and added.
    ref, said = add("--title", "Refund for roaming", "--org", "Zain", "--reference", "Z-9", env=zh)
    assert said == [
        f"注意：这看起来与进行中的事项 {plain} 相同（机构、标题和提交日期都一样）；"
        f"如果是误添加了两次：reminder delete {ref} --yes"
    ]
    assert_no_english(said[0], allow={plain, ref}, what="the note")
    listed = {c["id"] for c in json.loads(ok(run_cli("list", "--json")).stdout)}
    assert {first, second, third, plain, again, ref} <= listed  # every one added

    # Two references that differ are two requests, whatever their title and day.
    add("--title", "Port out", "--org", "Viva", "--reference", "V-1")
    _other, said = add("--title", "port out", "--org", "viva", "--reference", "V-2")
    assert said == []


def test_a_channel_that_is_a_slip_of_a_known_one_is_kept_and_the_known_one_named(run_cli: RunCli) -> None:
    """`--channel emial` was taken without a word, and the letter to the organisation then said
    "via emial" where it says "by e-mail" for a channel it knows (in Arabic too). A channel is free
    text, so it is still kept as typed (exit 0), and a note names the channel probably meant."""
    from english_leaks import assert_no_english

    def add(title: str) -> tuple[str, ...]:  # each its own request: no look-alike note
        return ("add", "--title", title, "--org", "Batelco", "--submitted", "2026-03-01")

    channels = (
        "--channel",
        "emial",
        "--channel",
        "hotlne 196",
        "--channel",
        "WhatsApp",
        "--channel",
        "hotline",
    )
    done = ok(run_cli(*add("Cancel roaming eSIM"), *channels))
    assert done.stdout.startswith("Added case ")
    assert done.stderr.splitlines() == [
        "note: channel 'emial' is not one reminder knows; did you mean 'email'?",
        "note: channel 'hotlne 196' is not one reminder knows; did you mean 'hotline 196'?",
    ]
    case_id = done.stdout.split()[2].rstrip(".")
    shown = json.loads(ok(run_cli("show", case_id, "--json")).stdout)
    assert shown["channels"] == ["emial", "hotlne 196", "WhatsApp", "hotline"]  # as typed

    zh = ok(run_cli(*add("注销漫游 eSIM"), "--channel", "emial", env={"LANG": "zh_CN.UTF-8"}))
    assert zh.stderr.splitlines() == ["注意：reminder 不认识渠道 'emial'；你要找的是不是 'email'？"]
    assert_no_english(zh.stderr, allow={"emial", "email"}, what="the note")

    as_json = ok(run_cli(*add("Refund"), "--channel", "emial", "--json"))
    assert as_json.stderr == ""
    assert json.loads(as_json.stdout)["channel_suggestions"] == {"emial": ["email"]}

    edited = ok(run_cli("edit", case_id, "--channel", "web from"))
    assert edited.stderr.splitlines() == [
        "note: channel 'web from' is not one reminder knows; did you mean 'web form'?"
    ]
    # Known (in any language), or the user's own and like none: nothing to say.
    for quiet in (("--channel", "e-mail", "--channel", "热线196"), ("--channel", "Twitter")):
        result = ok(run_cli("edit", case_id, *quiet, "--json"))
        assert result.stderr == "" and "channel_suggestions" not in json.loads(result.stdout), quiet
