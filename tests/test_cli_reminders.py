"""The reminder side of the CLI contract: show's reminders, --remind, close/reopen, status, service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import TmpEnv
from test_daemon import needs_faketime

from reminder.calendar import get_calendar


def cli(tmp_env: TmpEnv, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args], env=env or tmp_env.env, capture_output=True, text=True
    )


def ok_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_show_lists_planned_reminders_with_remind_overrides(tmp_env: TmpEnv) -> None:
    case = ok_json(
        cli(
            tmp_env,
            "add",
            "--title",
            "Cancel eSIM",
            "--org",
            "Batelco",
            "--submitted",
            "2026-03-01",
            "--remind",
            "before_deadline=4",
            "--remind",
            "hour=8",
            "--json",
        )
    )
    shown = ok_json(cli(tmp_env, "show", case["id"], "--json"))
    reminders = shown["reminders"]
    assert reminders, "a new case has planned reminders"
    for r in reminders:
        assert set(r) >= {"kind", "due", "status", "notifier", "attempts", "sent_at"}
        assert r["status"] == "planned" and r["notifier"] == "log" and r["attempts"] == 0
        due = datetime.fromisoformat(r["due"])
        assert due.utcoffset() is not None and due.hour == 8
    by_kind = {
        r["kind"]: datetime.fromisoformat(r["due"]).date() for r in reminders if r["kind"] != "escalation"
    }
    deadline = date.fromisoformat(shown["window"]["deadline"])
    assert by_kind["deadline"] == deadline
    assert by_kind["before_deadline"] == get_calendar("BH").add_business_days(deadline, -4)

    closed = ok_json(cli(tmp_env, "close", case["id"], "--resolution", "cancelled", "--json"))
    assert {r["status"] for r in closed["reminders"]} == {"cancelled"}
    reopened = ok_json(cli(tmp_env, "reopen", case["id"], "--json"))
    assert {r["status"] for r in reopened["reminders"]} == {"planned"}
    assert len(reopened["reminders"]) == len(reminders), "reopening revives rows, it does not duplicate them"

    bad = cli(tmp_env, "edit", case["id"], "--remind", "hour=25", "--json")
    assert bad.returncode == 2
    assert "hour" in json.loads(bad.stderr)["error"]


def test_status_json_shape(tmp_env: TmpEnv) -> None:
    ok_json(cli(tmp_env, "add", "--title", "Refund", "--org", "Zain", "--submitted", "2026-03-01", "--json"))
    info = ok_json(cli(tmp_env, "status", "--json"))
    assert info["running"] is False and info["pid"] is None
    assert info["counts"]["planned"] > 0
    assert datetime.fromisoformat(info["next_due"]).tzinfo is not None
    nxt = info["next"]  # the same instant, in the case's zone, and what it is
    assert datetime.fromisoformat(nxt["at"]) == datetime.fromisoformat(info["next_due"])
    assert nxt["at"].endswith("+03:00") and nxt["timezone"] == "Asia/Bahrain"
    assert (nxt["kind"], nxt["title"], nxt["notifier"]) == ("opened", "Refund", "log")
    text = cli(tmp_env, "status").stdout  # opened on 2026-03-10: long due, and no daemon
    assert f"next due:  Tue 2026-03-10 09:00 Asia/Bahrain — opened for {nxt['case']} (Refund) by log" in text
    assert "already due, and no daemon runs" in text


def test_service_install_writes_a_unit_that_systemd_accepts(tmp_env: TmpEnv) -> None:
    env = {**tmp_env.env, "PATH": os.environ.get("PATH", "")}
    out = ok_json(cli(tmp_env, "service", "install", "--no-start", "--json", env=env))
    unit = tmp_env.config_home / "systemd" / "user" / "reminder.service"
    assert out["unit_path"] == str(unit) and out["installed"] is True
    text = unit.read_text()
    assert "Type=notify" in text and "@EXEC_START@" not in text
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith(" daemon")
    assert os.path.exists(exec_start.removeprefix("ExecStart=").split()[0])
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    runtime = tmp_env.root / "runtime"
    runtime.mkdir(mode=0o700)
    check = subprocess.run(
        [analyze, "--user", "verify", str(unit)],
        env={**env, "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    removed = ok_json(cli(tmp_env, "service", "uninstall", "--json", env=env))
    assert removed["installed"] is False and not unit.exists()


def test_shipped_unit_is_the_one_in_config() -> None:
    from conftest import REPO

    assert (REPO / "config" / "reminder.service").read_text() == (
        REPO / "reminder" / "data" / "reminder.service"
    ).read_text()


@pytest.mark.sqlite_only("reads or tampers with the SQLite file itself")
def test_status_shows_no_1970_date_for_a_row_left_sending(tmp_env: TmpEnv) -> None:
    """A crash between "sending" and "sent" leaves the row ``sending`` (outbox.py). Its wake
    time is no time anything happens: the row goes again at the next pass. Written here with
    sqlite3, wake_ts zeroed, so that a status that still read a time from it would say 1970."""
    case = ok_json(
        cli(tmp_env, "add", "--title", "Refund", "--org", "Zain", "--submitted", "2026-03-01", "--json")
    )
    subprocess.run(
        [
            "sqlite3",
            str(tmp_env.db_path),
            "UPDATE deliveries SET status = 'sending', wake_ts = 0 WHERE id ="
            " (SELECT id FROM deliveries WHERE kind = 'opened')",
        ],
        check=True,
    )
    info = ok_json(cli(tmp_env, "status", "--json"))
    assert info["counts"]["sending"] == 1
    assert not info["next_due"].startswith("1970") and not info["next"]["at"].startswith("1970")
    assert datetime.fromisoformat(info["next"]["at"]) == datetime.fromisoformat("2026-03-10T09:00:00+03:00")
    assert info["next"]["status"] == "sending"
    text = cli(tmp_env, "status").stdout
    assert "1970" not in text
    assert f"next due:  Tue 2026-03-10 09:00 Asia/Bahrain — opened for {case['id']} (Refund) by log" in text
    assert "left sending when a daemon stopped: it goes again when the daemon starts" in text


def _bahrain_case(tmp_env: TmpEnv) -> Any:
    """A Bahrain case (UTC+3) submitted on 1 March 2026, as `add --json` gives it."""
    add = ("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01", "--json")
    return ok_json(cli(tmp_env, *add))


def _daemon_once_at(tmp_env: TmpEnv, at: str) -> None:
    """`daemon --once` with its wall clock at ``at`` (UTC), sending through the log notifier."""
    from test_daemon import fake_env

    once = cli(tmp_env, "daemon", "--once", env=fake_env(tmp_env, at))
    assert once.returncode == 0, once.stderr


@needs_faketime
def test_show_gives_sent_times_in_the_cases_zone_as_it_gives_due_times(tmp_env: TmpEnv) -> None:
    case = _bahrain_case(tmp_env)
    opens = case["window"]["opens"]
    _daemon_once_at(tmp_env, f"{opens} 12:00:00")  # the "opened" reminder, due at 09:00 in Bahrain
    shown = cli(tmp_env, "show", case["id"], env={**tmp_env.env, "TZ": "Asia/Shanghai"})
    assert shown.returncode == 0, shown.stderr
    (line,) = [ln for ln in shown.stdout.splitlines() if " sent" in ln]
    # Sent at 12:00 UTC: 15:00 in Bahrain, as the due time beside it is Bahrain's 09:00.
    assert line.split() == [f"{opens}T09:00", "opened", "log", "sent", "at", f"{opens}T15:00"]


@needs_faketime
def test_reopening_revives_the_reminders_without_the_closings_note_and_sends_nothing_twice(
    tmp_env: TmpEnv,
) -> None:
    case = _bahrain_case(tmp_env)
    # Off from the window's opening to after the deadline: one catch-up goes out, the rest folded into it.
    deadline = date.fromisoformat(case["window"]["deadline"])
    _daemon_once_at(tmp_env, f"{deadline + timedelta(days=1)} 12:00:00")
    before = ok_json(cli(tmp_env, "show", case["id"], "--json"))["reminders"]
    sent = [r["key"] for r in before if r["status"] == "sent"]
    folded = [r["key"] for r in before if r["status"] == "cancelled"]
    assert len(sent) == 1 and folded
    ok_json(cli(tmp_env, "close", case["id"], "--json"))
    after = ok_json(cli(tmp_env, "reopen", case["id"], "--json"))["reminders"]
    # What went out stays sent, what was folded into it stays cancelled: nothing is sent again.
    assert [r["key"] for r in after if r["status"] == "sent"] == sent
    assert [r["key"] for r in after if r["status"] == "cancelled"] == folded
    planned = [r for r in after if r["status"] == "planned"]
    assert planned and all(r["last_error"] is None for r in planned), planned
    shown = cli(tmp_env, "show", case["id"])
    assert shown.returncode == 0, shown.stderr
    assert "case closed" not in shown.stdout


@needs_faketime
def test_show_names_the_catch_up_a_reminder_was_folded_into_by_its_own_notifiers_time(
    tmp_env: TmpEnv,
) -> None:
    """Each notifier folds its own missed reminders into its own catch-up. With the case's hour
    changed in between, the two notifiers' catch-ups share a key but not a time, and show named
    the other notifier's time for one of them: 'folded into the reminder of …T09:00' on a row
    whose catch-up went out at 08:00."""
    mine = '[notifiers.mine]\ntype = "log"\npath = "mine.jsonl"\n'
    family = '[notifiers.family]\ntype = "log"\npath = "family.jsonl"\n'
    tmp_env.write_config(mine)
    add = ("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01")
    case = ok_json(cli(tmp_env, *add, "--remind", "hour=8", "--json"))
    deadline = date.fromisoformat(case["window"]["deadline"])
    after = f"{deadline + timedelta(days=1)} 12:00:00"
    _daemon_once_at(tmp_env, after)  # mine: one catch-up at the deadline's 08:00, the rest folded into it
    tmp_env.write_config(mine + family)
    ok_json(cli(tmp_env, "edit", case["id"], "--remind", "reset", "--json"))  # 09:00 from now on
    _daemon_once_at(tmp_env, after)  # family: its own catch-up, at the deadline's 09:00
    reminders = ok_json(cli(tmp_env, "show", case["id"], "--json"))["reminders"]
    sent = {r["notifier"]: r["due"][11:16] for r in reminders if r["status"] == "sent"}
    assert sent == {"mine": "08:00", "family": "09:00"}, reminders
    shown = cli(tmp_env, "show", case["id"])
    assert shown.returncode == 0, shown.stderr
    folded = [line.split() for line in shown.stdout.splitlines() if "folded into" in line]
    assert {line[2] for line in folded} == {"mine", "family"}, shown.stdout
    for line in folded:
        assert line[-1] == f"{deadline}T{sent[line[2]]})", (line, shown.stdout)


@needs_faketime
def test_the_dossiers_timeline_names_a_presets_step_as_show_does(tmp_env: TmpEnv) -> None:
    """show says "telecom step 1" for the reminder the preset's step sent; the dossier's timeline,
    which a regulator reads, called it one more "escalation", so the step the person was told to
    take could not be told from the reminders around it."""
    add = ("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01")
    case = ok_json(cli(tmp_env, *add, "--preset", "telecom", "--json"))
    step = next(r for r in case["reminders"] if r["key"] == f"{case['id']}:preset:1")
    due = datetime.fromisoformat(step["due"])
    _daemon_once_at(tmp_env, f"{(due + timedelta(hours=1)).astimezone(UTC):%Y-%m-%d %H:%M:%S}")
    shown = ok_json(cli(tmp_env, "show", case["id"], "--json"))["reminders"]
    assert [r["key"] for r in shown if r["status"] == "sent"] == [step["key"]]
    dossier = cli(tmp_env, "export", case["id"], "--format", "md", "-o", "-")
    assert dossier.returncode == 0, dossier.stderr
    (row,) = [line for line in dossier.stdout.splitlines() if "Reminder sent" in line]
    assert "| Reminder sent: telecom step 1 | via log |" in row, row


@pytest.mark.sqlite_only("takes rows out of the plan with the sqlite3 shell")
def test_status_names_a_presets_step_as_show_does(tmp_env: TmpEnv) -> None:
    """`show` says "telecom step 1" for a preset's step; status called the same reminder
    "escalation". The rows before the step are taken out of the plan with sqlite3 here, as
    sending them would (the step is then the next one due)."""
    add = ("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2026-03-01")
    case = ok_json(cli(tmp_env, *add, "--preset", "telecom", "--json"))
    step = f"{case['id']}:preset:1"
    subprocess.run(
        [
            "sqlite3",
            str(tmp_env.db_path),
            "UPDATE deliveries SET status = 'sent'"
            f" WHERE due_ts <= (SELECT due_ts FROM deliveries WHERE key = '{step}') AND key != '{step}'",
        ],
        check=True,
    )
    info = ok_json(cli(tmp_env, "status", "--json"))
    assert (info["next"]["key"], info["next"]["preset"], info["next"]["kind"]) == (
        step,
        "telecom",
        "escalation",
    )
    shown = cli(tmp_env, "show", case["id"]).stdout
    assert "telecom step 1" in shown
    assert f"— telecom step 1 for {case['id']} (Cancel eSIM) by log" in cli(tmp_env, "status").stdout


@needs_faketime
def test_status_says_how_many_reminders_wait_for_a_retry_and_why(tmp_env: TmpEnv) -> None:
    """The SMTP server refuses: status said "1 planned … 0 failed", the error only in `show ID`.
    Now it counts the reminders waiting for a retry and gives the latest error, in one line,
    and in --json; the password is never in either."""
    from test_daemon import fake_env
    from test_notifier_email import free_port

    before = ok_json(cli(tmp_env, "status", "--json"))  # nothing sent yet: nothing waits
    assert before["retrying"] == {"count": 0, "error": None, "notifier": None, "case": None, "at": None}
    port = free_port()  # nothing listens there: the connection is refused
    tmp_env.write_config(
        f'[notifiers.mail]\ntype = "email"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n'
        'username = "me"\npassword_env = "SMTP_PW"\n'
    )
    secret = "hunter2-not-for-status"
    case = _bahrain_case(tmp_env)
    assert "retrying" not in cli(tmp_env, "status").stdout
    opens = case["window"]["opens"]
    env = fake_env(tmp_env, f"{opens} 12:00:00", SMTP_PW=secret)
    once = cli(tmp_env, "daemon", "--once", env=env)
    assert once.returncode == 0, once.stderr
    (failed,) = [
        r for r in ok_json(cli(tmp_env, "show", case["id"], "--json"))["reminders"] if r["last_error"]
    ]
    assert failed["status"] == "planned" and failed["attempts"] == 1  # a retry is planned

    info = ok_json(cli(tmp_env, "status", "--json"))
    assert info["counts"]["failed"] == 0
    retrying = info["retrying"]
    assert (retrying["count"], retrying["notifier"], retrying["case"]) == (1, "mail", case["id"])
    assert retrying["error"] == failed["last_error"] and f"127.0.0.1:{port}" in retrying["error"]
    failed_at = datetime.fromisoformat(retrying["at"]) - datetime.fromisoformat(f"{opens}T12:00:00+00:00")
    assert timedelta(0) <= failed_at < timedelta(minutes=1)  # the faked clock runs on from 12:00
    text = cli(tmp_env, "status", env={**tmp_env.env, "SMTP_PW": secret}).stdout
    (line,) = [ln for ln in text.splitlines() if ln.startswith("retrying:")]
    assert line == f"retrying:  1 reminder waits for a retry; last error (mail): {failed['last_error']}"
    assert secret not in text + json.dumps(info)


# --- notify retry: sending again what failed for good ------------------------------------------------

REFUSED = "550 5.1.1 <me@example.org>: no such user"


def fail_for_good(tmp_env: TmpEnv, case_id: str, n: int) -> list[str]:
    """The case's first ``n`` planned reminders refused for good (an SMTP 5xx), as the daemon
    records it; their keys."""
    from datetime import UTC

    from reminder import outbox, outbox_leases
    from reminder.store import Store

    with Store(tmp_env.db_path) as store:
        rows = [d for d in outbox.list_deliveries(store, case_id) if d.status == "planned"][:n]
        for d in rows:
            failed = outbox_leases.record_failure(
                store, d.id, REFUSED, datetime.now(UTC), outbox_leases.RetryPolicy(), retryable=False
            )
            assert failed == "failed"
    return [d.key for d in rows]


def test_notify_retry_sends_again_what_failed_for_good_in_open_cases(tmp_env: TmpEnv) -> None:
    """A reminder refused for good stayed failed for ever: status counted it, and nothing could
    send it again once the cause was fixed."""
    nothing = cli(tmp_env, "notify", "retry")
    assert (nothing.returncode, nothing.stdout) == (
        0,
        "No reminder has failed for good: there is nothing to send again.\n",
    )
    mine, theirs = _bahrain_case(tmp_env)["id"], _bahrain_case(tmp_env)["id"]
    keys = fail_for_good(tmp_env, mine, 2)
    fail_for_good(tmp_env, theirs, 1)
    assert cli(tmp_env, "close", theirs).returncode == 0

    # status says how to send them again; --json gives the counts and no prose.
    text = cli(tmp_env, "status").stdout
    assert text.splitlines()[-1] == (
        "Some reminders failed for good; see `reminder show ID` and `reminder notify test`, "
        "then `reminder notify retry` sends them again."
    )
    info = cli(tmp_env, "status", "--json").stdout
    assert json.loads(info)["counts"]["failed"] == 3 and "notify retry" not in info
    assert json.loads(info)["failed_open"] == 2  # the closed case's is not for notify retry

    # One case's: the same reminders, planned again, attempts from 0, the refusal kept until the
    # next attempt replaces it.
    retried = cli(tmp_env, "notify", "retry", mine)
    assert (retried.returncode, retried.stdout, retried.stderr) == (
        0,
        "2 reminders will be sent again.\n",
        "",
    )
    rows = {r["key"]: r for r in ok_json(cli(tmp_env, "show", mine, "--json"))["reminders"]}
    assert [(rows[k]["status"], rows[k]["attempts"], rows[k]["last_error"]) for k in keys] == [
        ("planned", 0, REFUSED)
    ] * 2
    text = cli(tmp_env, "status").stdout
    assert "retrying:  2 reminders wait for a retry; last error (log): " + REFUSED in text
    # The closed case's one is still failed, and nothing is to be done about it: no hint (it was
    # given, sending the person to a command that says there is nothing to send; failed before).
    assert "failed for good" not in text and "notify retry" not in text, text
    info = ok_json(cli(tmp_env, "status", "--json"))
    assert (info["counts"]["failed"], info["failed_open"]) == (1, 0)

    # The closed case's stays failed, and is counted; one more of the open case goes again.
    (again,) = fail_for_good(tmp_env, mine, 1)
    assert ok_json(cli(tmp_env, "notify", "retry", "--json")) == {
        "retried": 1,
        "closed": 1,
        "unconfigured": 0,
    }
    left = cli(tmp_env, "notify", "retry", "--notifier", "log")
    assert (left.returncode, left.stdout) == (
        0,
        "No reminder will be sent again.\n"
        "1 reminder of a closed case stays failed: a closed case's reminders no longer matter.\n",
    )
    assert {r["key"]: r["status"] for r in ok_json(cli(tmp_env, "show", mine, "--json"))["reminders"]}[
        again
    ] == ("planned")


def test_notify_retry_refuses_an_unknown_case_or_notifier_in_one_line(tmp_env: TmpEnv) -> None:
    case_id = _bahrain_case(tmp_env)["id"]
    fail_for_good(tmp_env, case_id, 1)
    unknown = cli(tmp_env, "notify", "retry", "zzz999")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert (
        unknown.stderr == "Error: no case with id 'zzz999' (see 'reminder list --status all' for the ids)\n"
    )
    named = cli(tmp_env, "notify", "retry", "--notifier", "emial", "--json")
    assert (named.returncode, named.stdout) == (2, "")
    assert json.loads(named.stderr) == {
        "error": "unknown notifier 'emial': neither the config nor any reminder names it"
    }
    # A notifier taken out of the config: its reminder stays failed, as nothing could send it.
    tmp_env.write_config('[notifiers.cmd]\ntype = "command"\nargv = ["/bin/true"]\n')
    gone = cli(tmp_env, "notify", "retry")
    assert (gone.returncode, gone.stdout) == (
        0,
        "No reminder will be sent again.\n"
        "1 reminder of a notifier no longer in the config stays failed: nothing can send it.\n",
    )
    assert ok_json(cli(tmp_env, "status", "--json"))["counts"]["failed"] == 1
