"""The validated settings kept between commands (settings_cache.py), through real processes.

A command after the first restores the settings instead of validating them again; these
tests hold that it answers as the first did, that every input of the settings (the file,
the environment) is in the key, that a broken config is still reported in one line, and
that the cache files are private and hold no secret.
"""

from __future__ import annotations

import json
import marshal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli, TmpEnv

WINDOW = ("window", "--submitted", "2026-03-15")


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def _cache_files(tmp_env: TmpEnv) -> list[Path]:
    return sorted((Path(tmp_env.env["XDG_CACHE_HOME"]) / "reminder").glob("settings-*.marshal"))


def test_a_restored_config_answers_as_the_validated_one(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        '[defaults]\ncountry = "de"\nsubdivision = "by"\nmin_days = 3\n'
        '[[closures]]\nstart = 2026-03-17\nlabel = "office move"\n'
        '[templates.visa]\ntitle = "Visa"\nitems = ["passport"]\n'
        '[presets.mine]\nsteps = [{delay = 1, unit = "weeks", step = "call them"}]\n'
    )
    first = _ok(run_cli(*WINDOW, "--explain"))
    assert len(_cache_files(tmp_env)) == 1
    assert _ok(run_cli(*WINDOW, "--explain")) == first
    assert "DE-BY" in first and "office move" in first
    added = _ok(
        run_cli("add", "--title", "T", "--org", "O", "--submitted", "2026-03-15", "--kind", "visa", "--json")
    )
    case_id = json.loads(added)["id"]
    shown = _ok(run_cli("show", case_id))
    assert "passport" in shown


def test_each_input_is_in_the_key(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    bh = _ok(run_cli(*WINDOW))
    assert _ok(run_cli(*WINDOW, env={"REMINDER_DEFAULTS__COUNTRY": "DE"})).startswith("DE ·")
    assert _ok(run_cli(*WINDOW)) == bh
    tmp_env.write_config('[defaults]\ncountry = "AE"\n')
    assert _ok(run_cli(*WINDOW)).startswith("AE ·")
    tmp_env.write_config('[defaults]\ncountry = "BH"\nmax_days = 20\n')
    assert "7–20" in _ok(run_cli(*WINDOW))
    assert len(_cache_files(tmp_env)) == 4  # four keys: the last one's file and the three before it


def test_two_configs_used_in_turns_keep_their_caches(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    # Each config's settings file used to remove every other one: a second config used in turns
    # (a test setup beside the real one) was validated again on every command.
    configs = []
    for n, country in enumerate(("DE", "AE", "GB", "FR", "JP")):
        path = tmp_env.root / f"config-{n}.toml"
        path.write_text(f'[defaults]\ncountry = "{country}"\n', encoding="utf-8")
        configs.append(str(path))
    _ok(run_cli("--config", configs[0], *WINDOW))
    (first,) = _cache_files(tmp_env)
    _ok(run_cli("--config", configs[1], *WINDOW))
    assert len(_cache_files(tmp_env)) == 2 and first.exists()
    written = first.stat().st_mtime_ns
    assert _ok(run_cli("--config", configs[0], *WINDOW)).startswith("DE ·")
    assert first.stat().st_mtime_ns == written  # read back, not validated and written again
    for config in configs[2:]:
        _ok(run_cli("--config", config, *WINDOW))
    # Four kept: the newest's and the three written before it; the oldest (configs[0]'s) went.
    assert len(_cache_files(tmp_env)) == 4 and not first.exists()


def test_a_broken_config_is_reported_after_a_good_one(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config("[defaults]\nhour = 8\n")
    _ok(run_cli(*WINDOW))
    path = tmp_env.write_config("[defaults]\nhour = 25\n")
    for _ in range(2):
        result = run_cli(*WINDOW)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"Error: {path}: defaults.hour: Input should be less than or equal to 23 (got 25)"
        ]
    result = run_cli(*WINDOW, env={"REMINDER_DEFAULTS__HOUR": "x"})
    assert (
        result.returncode == 2
        and "defaults.hour" in result.stderr
        and "REMINDER_DEFAULTS__HOUR" in result.stderr
    )


def test_the_cache_is_private_and_holds_no_secret(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        '[notifiers.hook]\ntype = "command"\nargv = ["/bin/true", "https://hooks.example/T0KEN-s3cret"]\n'
    )
    listed = _ok(run_cli("notifiers"))
    (cache,) = _cache_files(tmp_env)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert b"s3cret" not in cache.read_bytes()
    assert _ok(run_cli("notifiers")) == listed  # the tables come back from the file

    # A notifier set from the environment may be a secret: such settings are not kept at all.
    cache.unlink()
    env = {"REMINDER_NOTIFIERS__HOOK__ARGV": '["/bin/true", "env-s3cret"]'}
    _ok(run_cli("notifiers", env=env))
    assert _cache_files(tmp_env) == []
    # Other variables are in the key as a hash only.
    _ok(run_cli(*WINDOW, env={"REMINDER_ME__PHONE": "+973 5555 0199"}))
    assert all("5555" not in f.name for f in _cache_files(tmp_env))


def test_restored_sections_answer_their_models_methods(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reminder import config, settings_cache

    monkeypatch.setattr(config.MeSettings, "greeting", lambda self: f"Dear {self.name}", raising=False)
    tmp_env.write_config(
        '[me]\nname = "Sara"\n[store]\npassword_env = "DB_PW"\n'
        '[[closures]]\nstart = 2026-03-17\nlabel = "office move"\n'
        "[[closures]]\nstart = 2026-04-01\nend = 2026-04-03\n"
    )
    monkeypatch.setenv("DB_PW", "s3cret")
    validated = settings_cache.cached_settings()
    restored = settings_cache.cached_settings()
    assert type(validated) is config.Settings and type(restored) is settings_cache.RestoredSettings
    assert restored.me.greeting() == validated.me.greeting() == "Dear Sara"  # type: ignore[attr-defined]
    assert restored.me.person() == validated.me.person()
    assert restored.closure_list() == validated.closure_list() and len(validated.closure_list()) == 2
    assert restored.store_password() == validated.store_password() == "s3cret"
    # One code for both forms (settings_methods.py), not a copy beside each.
    pairs = {
        "closure_list": (validated, restored),
        "person": (validated.me, restored.me),
        "store_password": (validated, restored),
        "to_closure": (validated.closures[0], restored.closures[0]),
    }
    for method, (model, kept) in pairs.items():
        assert getattr(type(model), method) is getattr(type(kept), method), method
    with pytest.raises(AttributeError):
        restored.me.no_such_thing  # noqa: B018


def test_urls_with_a_password_are_not_kept() -> None:
    from reminder.settings_cache import _url_password

    assert _url_password("postgresql://me:s3cret@db/reminder")
    assert _url_password("postgresql://db/reminder?password=s3cret")
    assert not _url_password("postgresql://me@db:5432/reminder")
    assert not _url_password("https://hooks.example/T0KEN")


def test_a_holidays_release_is_in_both_keys(tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Validation asks the holidays package which country codes exist, and the holiday cache
    # keeps its days: another release must start new files even if its files' times are the same.
    from reminder import holiday_cache
    from reminder.paths import config_location
    from reminder.settings_cache import settings_cache_file

    location = config_location(None)
    found = holiday_cache.holidays_release()
    assert found is not None and found[1]  # the installed release, read without importing holidays
    before = (settings_cache_file(location, None), holiday_cache.holiday_cache_file())
    monkeypatch.setattr(holiday_cache, "holidays_release", lambda: (found[0], found[1] + ".post1"))
    after = (settings_cache_file(location, None), holiday_cache.holiday_cache_file())
    assert None not in before and None not in after
    assert before[0] != after[0] and before[1] != after[1]


NOTIFIER_TABLES = (
    '[notifiers.email]\nhost = "smtp.example.org"\nusername = "me@example.org"\n'
    'password_file = "smtp-password"\nsender = "me@example.org"\nrecipients = ["me@example.org"]\n'
    '[notifiers.desktop]\nkinds = ["deadline", "escalation"]\n'
    '[notifiers.hook]\ntype = "command"\nargv = ["/bin/true"]\nenabled = false\n'
)


def _planned(tmp_env: TmpEnv, case_id: str) -> set[tuple[str, str]]:
    """The (notifier, kind) pairs of the case's planned reminders, read with sqlite3."""
    import sqlite3

    with sqlite3.connect(tmp_env.db_path) as conn:
        rows = conn.execute(
            "SELECT notifier, kind FROM deliveries WHERE case_id = ? AND status = 'planned'", (case_id,)
        ).fetchall()
    return {(str(n), str(k)) for n, k in rows}


@pytest.mark.sqlite_only("reads the outbox with sqlite3")
def test_notifier_routes_are_kept_and_planned_alike(tmp_env: TmpEnv) -> None:
    """``add`` plans a reminder per notifier and kind: with notifier tables configured, it
    validated them every time (pydantic and each notifier's module, 70 -> 170 ms). The
    routes are kept with the settings; a restored ``add`` plans as the validated one did."""
    from test_startup import imports

    tmp_env.write_config(NOTIFIER_TABLES)
    add = ("add", "--title", "SIM", "--org", "Batelco", "--submitted", "2026-03-01", "--json")
    result = subprocess.run(
        [sys.executable, "-m", "reminder", *add], capture_output=True, text=True, env=tmp_env.env, timeout=60
    )
    validated = _planned(tmp_env, json.loads(_ok(result))["id"])
    loaded = imports(tmp_env, *add)
    assert not {"pydantic", "reminder.notifiers.base", "reminder.notifiers.email"} & loaded
    (restored_id,) = set(_ids(tmp_env)) - {json.loads(result.stdout)["id"]}
    restored = _planned(tmp_env, restored_id)
    assert restored == validated
    assert {n for n, _ in validated} == {"email", "desktop"}  # the disabled one gets nothing
    assert {k for n, k in validated if n == "desktop"} == {"deadline", "escalation"}
    assert len({k for n, k in validated if n == "email"}) > 2

    # A kept file whose routes are not what was written is not trusted: validated again.
    (cache,) = _cache_files(tmp_env)
    doc = marshal.loads(cache.read_bytes())
    doc["routes"] = [["email", "deadline"]]
    cache.write_bytes(marshal.dumps(doc))
    loaded = imports(tmp_env, *add)
    assert "pydantic" in loaded  # validated, not restored
    (third_id,) = set(_ids(tmp_env)) - {json.loads(result.stdout)["id"], restored_id}
    assert _planned(tmp_env, third_id) == validated


def _ids(tmp_env: TmpEnv) -> list[str]:
    import sqlite3

    with sqlite3.connect(tmp_env.db_path) as conn:
        return [str(r[0]) for r in conn.execute("SELECT id FROM cases")]


def test_a_broken_notifier_table_is_reported_by_every_add(run_cli: RunCli, tmp_env: TmpEnv) -> None:
    add = ("add", "--title", "SIM", "--org", "Batelco", "--submitted", "2026-03-01")
    tmp_env.write_config(NOTIFIER_TABLES)
    _ok(run_cli(*add))
    path = tmp_env.write_config(NOTIFIER_TABLES.replace('kinds = ["deadline"', 'kinds = ["dedline"'))
    for _ in range(2):
        result = run_cli(*add)
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {path}: notifiers.desktop.kinds") and "'dedline'" in line


def test_routes_are_kept_for_built_in_notifiers_only(tmp_env: TmpEnv) -> None:
    """A plugin's options model is not in the cache's key: its table is validated each time."""
    from reminder import settings_cache
    from reminder.config import load_settings

    tmp_env.write_config('[notifiers.desktop]\nkinds = ["deadline"]\n')
    assert settings_cache._routes(load_settings()) == [["desktop", ["deadline"]]]
    tmp_env.write_config('[notifiers.pager]\ntype = "pager"\n[notifiers.desktop]\n')
    assert settings_cache._routes(load_settings()) is None
    tmp_env.write_config("")
    assert settings_cache._routes(load_settings()) == [["log", None]]


def test_restored_paths_are_text_until_read(tmp_env: TmpEnv) -> None:
    # Paths stay text in restored settings (pathlib is ~5 ms of a command's start): opening the
    # store reads path_text; reading a field still gives the model's Path, and a dump the same text.
    from reminder import settings_cache

    tmp_env.write_config(
        f'[store]\npath = "~/data//r.db"\npassword_file = "{tmp_env.root}/pw/"\n'
        '[daemon]\nlog_file = "./d.log"\n'
    )
    validated = settings_cache.cached_settings()
    restored = settings_cache.cached_settings()
    assert type(restored) is settings_cache.RestoredSettings
    assert "path" not in vars(restored.store)  # not made yet
    assert restored.store.path_text("path") == validated.store.path_text("path") == str(validated.store.path)
    assert restored.store.path_text("password_file") == str(validated.store.password_file)
    assert "path" not in vars(restored.store)
    assert restored.store.path == validated.store.path and isinstance(restored.store.path, Path)
    assert restored.daemon.log_file == validated.daemon.log_file and isinstance(
        restored.daemon.log_file, Path
    )
    assert restored.store.model_dump(mode="json") == validated.store.model_dump(mode="json")
    assert restored.daemon.model_dump(mode="json") == validated.daemon.model_dump(mode="json")
    assert restored.source == validated.source == tmp_env.config_path


def test_two_commands_saving_the_holiday_cache_at_once_keep_both_keys(tmp_path: Path) -> None:
    """Each command merges what it computed into the file others wrote. Two saving at once each
    read the file before the other wrote it, and the second write dropped the first's keys (the
    replay: B saves from inside A's save, between A's read and its write)."""
    import threading
    import time

    from reminder.holiday_cache import FileHolidayCache

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    path = str(folder / "holidays-x.json")
    a, b = FileHolidayCache(path, "stamp"), FileHolidayCache(path, "stamp")
    a.put("a", [1])
    b.put("b", [2])
    other = threading.Thread(target=b.save)
    real_read = a._read

    def read_then_let_b_save() -> dict[str, object]:
        found = real_read()
        other.start()
        time.sleep(0.3)  # B's whole save fits here, unless a lock holds it until A has written
        return found

    a._read = read_then_let_b_save  # type: ignore[method-assign]
    a.save()
    other.join(timeout=10)
    kept = json.loads(Path(path).read_text())
    assert (kept.get("a"), kept.get("b")) == ([1], [2]), sorted(kept)


def test_a_holiday_cache_save_does_not_wait_for_ever_on_a_stopped_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process stopped (^Z, a debugger) inside its save holds the lock: the others give up
    # waiting and save unlocked, as before the lock, rather than never ending.
    import fcntl
    import os
    import time

    from reminder import holiday_cache

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    holder = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    monkeypatch.setattr(holiday_cache, "_LOCK_WAIT_S", 0.2)
    cache = holiday_cache.FileHolidayCache(str(folder / "holidays-x.json"), "stamp")
    cache.put("a", [1])
    started = time.monotonic()
    try:
        cache.save()
    finally:
        os.close(holder)
    assert 0.2 <= time.monotonic() - started < 5
    assert json.loads((folder / "holidays-x.json").read_text())["a"] == [1]


def test_a_window_years_long_does_not_leave_every_year_in_the_holiday_cache(
    run_cli: RunCli, tmp_env: TmpEnv
) -> None:
    """Every later command reads the holiday cache file whole. A window of 3,000 business days
    (13 years) kept all its years there, and one of 100,000 (a typo) 1,900 of them: 12 MB, which
    made every add, edit and window after it 4x slower, for good. A command keeps a few years."""
    _ok(run_cli("window", "--submitted", "2026-12-01", "--max-days", "3000"))
    (path,) = (Path(tmp_env.env["XDG_CACHE_HOME"]) / "reminder").glob("holidays-*.json")
    kept = [key for key in json.loads(path.read_text()) if key.startswith("year ")]
    assert 1 <= len(kept) <= 8, kept
    # The years an ordinary window needs are still kept, and read back by the next command.
    _ok(run_cli(*WINDOW))
    kept = [key for key in json.loads(path.read_text()) if key.startswith("year ")]
    assert "year BH  2026" in kept and len(kept) <= 8, kept
