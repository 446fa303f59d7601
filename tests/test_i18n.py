"""Languages: which one the user reads, translation into it or into a given one, and dates.

The catalogue under test is the real one (reminder/locale/zh_CN), compiled in memory from
the .po in this source tree; tests/test_packaging.py checks the .mo a built wheel carries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, RunCli, TmpEnv

from reminder import i18n, paths
from reminder.config import load_settings
from reminder.errors import ConfigError, InputError

# A message the catalogue translates (the language error of i18n.py itself).
MSGID = "unknown language %(value)s; use one of: %(choices)s"
EN = "unknown language 'fr'; use one of: en, zh_CN"
ZH = "不支持的语言 'fr'；可选：en, zh_CN"
# As the command line says it: the languages listed as Chinese lists them.
ZH_LISTED = "不支持的语言 'fr'；可选：en、zh_CN"


def _say(tr: object = None) -> str:
    args = {"value": repr("fr"), "choices": "en, zh_CN"}
    if tr is None:
        return i18n._(MSGID, **args)
    assert isinstance(tr, i18n.Translator)
    return tr.gettext(MSGID, **args)


# --- which language ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_CN"}, "zh_CN"),
        ({"LANG": "zh_Hans_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh"}, "zh_CN"),
        ({"LANG": "zh-CN"}, "zh_CN"),
        ({"LANG": "zh_SG.UTF-8"}, "zh_CN"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        # Traditional characters are not what a zh_TW reader chose: not Simplified Chinese.
        ({"LANG": "zh_TW.UTF-8"}, "en"),
        ({"LANG": "zh_Hant_HK"}, "en"),
        # gettext's order: LANGUAGE, then LC_ALL, LC_MESSAGES, LANG.
        ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "zh_CN:en"}, "zh_CN"),
        ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "en:zh_CN", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANGUAGE": "fr:de", "LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}, "zh_CN"),
        # As GNU gettext: `LANG=C cmd` (or LC_ALL=C) means English, whatever LANGUAGE says.
        ({"LANGUAGE": "zh_CN:en", "LANG": "C.UTF-8"}, "en"),
        ({"LANGUAGE": "zh_CN", "LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_locale_language(environ: dict[str, str], expected: str) -> None:
    assert i18n.locale_language(environ) == expected


def test_config_beats_the_locale_and_the_environment_beats_the_file(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.resolve_language(load_settings().defaults.language) == "zh_CN"  # no setting: the locale

    tmp_env.write_config('[defaults]\nlanguage = "en"\n')
    assert load_settings().defaults.language == "en"
    assert i18n.resolve_language(load_settings().defaults.language) == "en"  # the file beats the locale
    assert paths.language_before_settings() == "en"

    # REMINDER_DEFAULTS__LANGUAGE overrides the file, as every REMINDER_<SECTION>__<KEY> does.
    monkeypatch.setenv("REMINDER_DEFAULTS__LANGUAGE", "zh-CN")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LANGUAGE")
    assert load_settings().defaults.language == "zh_CN"  # stored in its canonical spelling
    assert paths.language_before_settings() == "zh_CN"


def test_language_before_settings_passes_over_a_bad_value(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    tmp_env.write_config('[defaults]\nlanguage = "fr"\n')
    assert paths.language_before_settings() == "zh_CN"  # loading the settings reports "fr"
    tmp_env.write_config("[defaults\n")
    assert paths.language_before_settings() == "zh_CN"
    tmp_env.write_config('[defaults]\nlanguage = "zh_CN"\n')
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert paths.language_before_settings() == "zh_CN"
    assert paths.language_before_settings(tmp_env.root / "missing.toml") == "en"


def test_language_before_settings_parses_only_a_config_that_can_name_one(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``reminder --help`` reads ``[defaults] language`` before the settings; a config that does
    not say "language" anywhere is not parsed as TOML (tomllib's import and parse, ~2 ms)."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    parsed: list[str] = []
    real = paths.parse_config_text

    def spy(text: str, location: paths.ConfigLocation) -> dict[str, object]:
        parsed.append(text)
        return real(text, location)

    monkeypatch.setattr(paths, "parse_config_text", spy)
    tmp_env.write_config('[defaults]\ncountry = "BH"\n[notifiers.desktop]\n')
    assert paths.language_before_settings() == "en" and parsed == []
    tmp_env.write_config('[defaults]\ncountry = "BH"\nlanguage = "zh_CN"\n')
    assert paths.language_before_settings() == "zh_CN" and len(parsed) == 1
    # A quoted key may spell it with escapes: that text is parsed.
    tmp_env.write_config('[defaults]\n"\\u006canguage" = "zh_CN"\n')
    assert paths.language_before_settings() == "zh_CN" and len(parsed) == 2
    tmp_env.write_config('defaults."\\U0000006Canguage" = "zh_CN"\n')
    assert paths.language_before_settings() == "zh_CN" and len(parsed) == 3


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        (
            '[defaults]\nlanguage = "fr"\n',
            {},
            "defaults.language: unknown language 'fr'; use one of: en, zh_CN",
        ),
        ('[defaults]\nlanguage = "zh_TW"\n', {}, "defaults.language: unknown language 'zh_TW'"),
        ("", {"REMINDER_DEFAULTS__LANGUAGE": "klingon"}, "(from $REMINDER_DEFAULTS__LANGUAGE)"),
    ],
)
def test_a_bad_language_names_the_key_and_the_choices(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch, text: str, env: dict[str, str], message: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    tmp_env.write_config(text)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_cli_errors_in_the_locale_language_before_the_settings_load(tmp_env: TmpEnv, run_cli: RunCli) -> None:
    tmp_env.write_config('[defaults]\nlanguage = "fr"\n')
    english = run_cli("config", "check", env={"LANG": "C.UTF-8"})
    assert (english.returncode, english.stdout) == (2, "")
    # The message quotes the value already: no "(got 'fr')" after it.
    assert english.stderr == f"Error: {tmp_env.config_path}: defaults.language: {EN}\n"
    chinese = run_cli("config", "check", env={"LANG": "zh_CN.UTF-8"})
    assert (chinese.returncode, chinese.stdout) == (2, "")
    # The "Error:" prefix and the whole message are the user's language now (issue 17); the
    # file, the key and the value stay as written.
    assert chinese.stderr == f"错误：{tmp_env.config_path}：defaults.language：{ZH_LISTED}\n"


def test_cli_speaks_the_configured_language_once_the_settings_load(tmp_env: TmpEnv, run_cli: RunCli) -> None:
    # A notifier table is validated after the settings loaded, so its error is in [defaults]
    # language, not the locale's (LANG=C.UTF-8 here).
    tmp_env.write_config('[defaults]\nlanguage = "zh_CN"\n\n[notifiers.log]\nlanguage = "fr"\n')
    result = run_cli("notify", "test", env={"LANG": "C.UTF-8"})
    assert result.returncode == 2, result.stderr
    # (pydantic's "Value error, " prefix before it is English still: the notifiers' error
    # format is translated with the rest of the messages.)
    assert "notifiers.log.language：" in result.stderr and ZH_LISTED in result.stderr
    tmp_env.write_config('[defaults]\nlanguage = "en"\n\n[notifiers.log]\nlanguage = "fr"\n')
    result = run_cli("notify", "test", env={"LANG": "zh_CN.UTF-8"})
    assert result.returncode == 2 and EN in result.stderr


def test_a_notifier_carries_its_own_language() -> None:
    from reminder.notifiers import build_notifiers

    (notifier,) = build_notifiers({"log": {"language": "zh_CN.UTF-8", "path": os.devnull}})
    assert notifier.options.language == "zh_CN"
    (notifier,) = build_notifiers({"log": {"path": os.devnull}})
    assert notifier.options.language is None


# --- translation -------------------------------------------------------------------------------------


def test_english_is_the_source_and_chinese_comes_from_the_catalogue() -> None:
    i18n.set_language("en")
    assert _say() == EN
    i18n.set_language("zh_CN")
    assert _say() == ZH
    assert i18n.current_language() == "zh_CN"


def test_set_language_none_takes_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.set_language(None) == "zh_CN"
    assert i18n.set_language("en") == "en"


def test_an_explicit_language_is_independent_of_the_users() -> None:
    # A letter to an organisation, or a notifier for someone else, is written in its reader's language.
    i18n.set_language("zh_CN")
    assert _say(i18n.gettext_for("en")) == EN
    assert _say() == ZH
    i18n.set_language("en")
    assert _say(i18n.gettext_for("zh-CN")) == ZH
    assert i18n.gettext_for("ar").lang == "ar"  # a letter's language, though not the interface's
    assert _say(i18n.gettext_for("ar")) == EN  # no Arabic catalogue yet: the source text
    with pytest.raises(InputError, match="unknown language 'fr'; use one of: en, zh_CN, ar"):
        i18n.gettext_for("fr")


def test_using_language_is_scoped_and_restored() -> None:
    i18n.set_language("en")
    with i18n.using_language("zh_CN") as lang:
        assert lang == "zh_CN" and _say() == ZH
        with i18n.using_language(None):  # a notifier without its own language: the current one
            assert _say() == ZH
        with i18n.using_language("en"):
            assert _say() == EN
        assert _say() == ZH
    assert _say() == EN
    with pytest.raises(InputError):
        i18n.using_language("xx")


def test_worker_threads_see_the_process_language_and_their_own_override() -> None:
    # Reminders are rendered on the daemon's and the notifiers' threads: a thread does not
    # inherit the context of the one that started it, so the process language must reach it.
    i18n.set_language("zh_CN")
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert pool.submit(_say).result() == ZH

        def in_english() -> str:
            with i18n.using_language("en"):
                return _say()

        assert pool.submit(in_english).result() == EN
    assert _say() == ZH  # the other thread's override stayed there


def test_placeholders_are_named_and_filled() -> None:
    assert i18n._("100% sure") == "100% sure"  # no arguments: a literal % stays
    assert i18n._("%(a)s then %(b)s", b="2", a="1") == "1 then 2"
    assert i18n.ngettext("%(n)d day", "%(n)d days", 1) == "1 day"
    assert i18n.ngettext("%(n)d day", "%(n)d days", 3) == "3 days"
    assert i18n.ngettext("%(count)s entry", "%(count)s entries", 2, count="two") == "two entries"
    assert i18n.pgettext("column", "Case %(id)s", id="ab12") == "Case ab12"
    assert i18n.N_("Deferred") == "Deferred"
    with pytest.raises(KeyError):
        i18n._("%(missing)s", other="x")


def test_a_stale_or_missing_mo_is_compiled_from_the_po(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)

    def catalogue(text: str) -> Catalog:
        c = Catalog(locale="zh_CN")
        c.add("Hello", text)
        return c

    with (folder / "reminder.mo").open("wb") as f:
        write_mo(f, catalogue("旧的"))
    monkeypatch.setattr(i18n, "_LOCALE_DIR", str(tmp_path))
    monkeypatch.setattr(i18n, "_translations", {})
    assert i18n.translation("zh_CN").gettext("Hello") == "旧的"  # only a .mo: used as it is

    with (folder / "reminder.po").open("wb") as f:
        write_po(f, catalogue("新的"))
    old = time.time() - 60
    os.utime(folder / "reminder.mo", (old, old))
    monkeypatch.setattr(i18n, "_translations", {})
    assert i18n.translation("zh_CN").gettext("Hello") == "新的"  # the .po is newer

    os.utime(folder / "reminder.po", (old - 60, old - 60))
    monkeypatch.setattr(i18n, "_translations", {})
    assert i18n.translation("zh_CN").gettext("Hello") == "旧的"  # the .mo is current

    (folder / "reminder.mo").unlink()
    monkeypatch.setattr(i18n, "_translations", {})
    assert i18n.translation("zh_CN").gettext("Hello") == "新的"  # no .mo at all
    assert type(i18n.translation("en")).__name__ == "NullTranslations"


def test_import_is_cheap() -> None:
    """``import reminder.i18n`` loads neither Babel nor gettext: the start-up fast paths
    (``reminder --help``, ``list --json``) must not pay for them, and English never does."""
    code = (
        "import sys; import reminder.i18n as i; "
        "i._('x'); i.format_date(__import__('datetime').date(2026, 1, 1), 'en'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('babel', 'gettext', 'typing', 'locale')))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "LANG": "C.UTF-8"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    env["LANG"] = "zh_CN.UTF-8"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "gettext" in out.stdout  # the same program in Chinese does load the catalogue


# --- dates -------------------------------------------------------------------------------------------


def test_chinese_dates() -> None:
    d = date(2026, 12, 20)
    assert i18n.format_date(d, "zh_CN") == "2026年12月20日 星期日"
    assert i18n.format_date(d, "zh_CN", "compact") == "2026-12-20 周日"
    assert i18n.format_date(d, "zh_CN", "iso_weekday") == "2026-12-20（周日）"
    assert i18n.format_date(d, "zh_CN", "weekday") == "周日"
    assert i18n.format_date(d, "zh_CN", "weekday_long") == "星期日"
    at = datetime(2026, 12, 20, 9, 5, tzinfo=ZoneInfo("Asia/Bahrain"))
    assert i18n.format_datetime(at, "zh_CN") == "2026年12月20日 星期日 09:05"
    # The time of day is the datetime's own zone's, not converted to UTC.
    assert i18n.format_datetime(at.astimezone(UTC), "zh_CN") == "2026年12月20日 星期日 06:05"


def test_english_dates_are_the_formats_reminder_prints_today() -> None:
    """The English branch reproduces, byte for byte, what messages.py, the cli package and dossier.py
    print now, so moving them onto format_date changes no English output."""
    from reminder.messages import _fmt

    day = date(2024, 1, 1)
    while day < date(2026, 1, 1):
        assert i18n.format_date(day, "en") == _fmt(day) == f"{day:%a %Y-%m-%d}"
        assert i18n.format_date(day, "en", "compact") == f"{day:%a %Y-%m-%d}"  # list's columns
        assert (
            i18n.format_date(day, "en", "iso_weekday") == f"{day.isoformat()} ({day.strftime('%a')})"
        )  # dossier
        day += timedelta(days=1)
    at = datetime(2026, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Bahrain"))
    assert i18n.format_datetime(at, "en") == f"{at:%a %Y-%m-%d %H:%M}"  # `reminder status`


def test_dates_follow_the_current_language_and_other_languages_use_cldr() -> None:
    d = date(2026, 12, 20)
    i18n.set_language("zh_CN")
    assert i18n.format_date(d) == "2026年12月20日 星期日"
    with i18n.using_language("en"):
        assert i18n.format_date(d) == "Sun 2026-12-20"
    assert i18n.gettext_for("en").format_date(d) == "Sun 2026-12-20"
    arabic = i18n.gettext_for("ar").format_date(d)
    assert "ديسمبر" in arabic and "2026" in arabic  # a letter in Arabic: December, as CLDR writes it
    with pytest.raises(ValueError, match="unknown date style"):
        i18n.format_date(d, "en", "long")


def test_languages_and_dates_on_many_threads_at_once() -> None:
    # Catalogue loading is cached without a lock; concurrent first uses must all get it right.
    monkey = i18n._translations.copy()
    i18n._translations.clear()
    try:
        barrier = threading.Barrier(8)

        def work(k: int) -> tuple[str, str]:
            barrier.wait()
            lang = "zh_CN" if k % 2 else "en"
            tr = i18n.gettext_for(lang)
            return _say(tr), tr.format_date(date(2026, 12, 20))

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
    finally:
        i18n._translations.update(monkey)
    assert results == [(EN, "Sun 2026-12-20"), (ZH, "2026年12月20日 星期日")] * 4


def test_dates_written_without_babel_are_babels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Chinese patterns are written from the weekday names Babel gave once (kept in the cache).
    from babel import dates as babel_dates

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(i18n, "_cache_folder", str(tmp_path / "reminder"))
    i18n._weekdays.clear()
    day, times = date(2024, 1, 1), [datetime(2026, 3, 1, 0, 0, tzinfo=UTC), datetime(2026, 12, 31, 23, 59)]
    for n in range(3 * 366):
        d = day + timedelta(days=n)
        for style, pattern in i18n._CLDR_PATTERNS["zh_CN"].items():
            value: date = (
                d if style != "datetime" else times[n % 2].replace(year=d.year, month=d.month, day=d.day)
            )
            format_babel = babel_dates.format_datetime if style == "datetime" else babel_dates.format_date
            assert i18n.format_date(value, "zh_CN", style) == format_babel(value, pattern, locale="zh_CN")
    assert i18n._weekdays["zh_CN"] is not None
    assert len(list((tmp_path / "reminder").glob("weekdays-zh_CN-*.marshal"))) == 1
    i18n._weekdays.clear()  # the next process: the names from the file
    assert i18n.format_date(date(2026, 3, 1), "zh_CN", "day") == "2026年3月1日 星期日"
    i18n._weekdays.clear()


def test_a_catalogue_is_kept_parsed_between_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped Chinese .mo is parsed once; later processes load the parsed copy (gettext
    parses a .mo in Python: 3-5 ms of every command in Chinese), and translate the same."""
    import gettext

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from reminder.catalogues import load_catalogue

    locale_dir, cache_dir = tmp_path / "locale", tmp_path / "cache"
    folder = locale_dir / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    mo = folder / "reminder.mo"
    with (Path(i18n._LOCALE_DIR) / "zh_CN" / "LC_MESSAGES" / "reminder.po").open("rb") as source:
        catalogue = read_po(source)
    with mo.open("wb") as out:
        write_mo(out, catalogue)  # as the build compiles reminder's Chinese

    parsed = load_catalogue("zh_CN", str(locale_dir), str(cache_dir))
    assert isinstance(parsed, gettext.GNUTranslations)
    assert [p.name.split("-")[:2] for p in cache_dir.iterdir()] == [["parsed", "zh_CN"]]
    assert oct(next(cache_dir.iterdir()).stat().st_mode & 0o777) == "0o600"

    def no_parse(self: object, fp: object) -> None:
        raise AssertionError("the .mo was parsed again")

    monkeypatch.setattr(gettext.GNUTranslations, "_parse", no_parse)
    kept = load_catalogue("zh_CN", str(locale_dir), str(cache_dir))
    # Chinese has one plural form ("plural=0"): the kept copy answers without gettext's parser.
    assert type(kept).__name__ == "KeptCatalogue"
    catalog = vars(parsed)["_catalog"]
    assert vars(kept)["_catalog"] == catalog and len(catalog) > 500
    for key in catalog:
        if isinstance(key, tuple):  # a plural form: (msgid, n), or (context\x04msgid, n)
            context, _, msgid = key[0].rpartition("\x04")
            for n in (0, 1, 5):
                if context:
                    got, want = (
                        kept.npgettext(context, msgid, "x", n),
                        parsed.npgettext(context, msgid, "x", n),
                    )
                else:
                    got, want = kept.ngettext(msgid, "x", n), parsed.ngettext(msgid, "x", n)
                assert got == want, (key, n)
            assert kept.gettext(key[0]) == parsed.gettext(key[0])  # a plural's msgid alone
        elif "\x04" in key:
            context, msgid = key.split("\x04", 1)
            assert kept.pgettext(context, msgid) == parsed.pgettext(context, msgid)
        else:
            assert kept.gettext(key) == parsed.gettext(key)
    # What the catalogue lacks comes back as it was asked, singular or plural by n.
    for lookup in (
        lambda c: c.gettext("not in it"),
        lambda c: c.pgettext("column", "not in it"),
        lambda c: (c.ngettext("one", "many", 1), c.ngettext("one", "many", 2)),
        lambda c: (c.npgettext("k", "one", "many", 1), c.npgettext("k", "one", "many", 2)),
    ):
        assert lookup(kept) == lookup(parsed)
    assert kept.info() == parsed.info() and kept.charset() == parsed.charset()
    monkeypatch.undo()

    # A changed .mo (an upgrade) is parsed afresh, and the stale copy removed.
    os.utime(mo, (time.time() + 5, time.time() + 5))
    load_catalogue("zh_CN", str(locale_dir), str(cache_dir))
    assert len(list(cache_dir.iterdir())) == 1
    # A damaged copy is parsed afresh too, never an error.
    copy = next(cache_dir.iterdir())
    copy.write_bytes(b"not marshal")
    assert vars(load_catalogue("zh_CN", str(locale_dir), str(cache_dir)))["_catalog"] == catalog


def test_a_damaged_compiled_catalogue_is_compiled_again(tmp_path: Path) -> None:
    """In a source checkout the .po is compiled into the cache; that copy emptied (or cut inside
    its header) is compiled and written again, never an error (it was a struct.error traceback
    in every command in that language, for good)."""
    import shutil

    from reminder.catalogues import load_catalogue

    locale_dir, cache_dir = tmp_path / "locale", tmp_path / "cache"
    folder = locale_dir / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(Path(i18n._LOCALE_DIR) / "zh_CN" / "LC_MESSAGES" / "reminder.po", folder / "reminder.po")
    catalog = vars(load_catalogue("zh_CN", str(locale_dir), str(cache_dir)))["_catalog"]
    (compiled,) = cache_dir.glob("catalogue-zh_CN-*.mo")
    size = compiled.stat().st_size
    for damaged in (b"", compiled.read_bytes()[:10]):
        compiled.write_bytes(damaged)
        assert vars(load_catalogue("zh_CN", str(locale_dir), str(cache_dir)))["_catalog"] == catalog
        assert compiled.stat().st_size == size


def test_a_kept_catalogue_with_a_plural_expression_is_gettexts_own(tmp_path: Path) -> None:
    """Only a constant plural form (Chinese's) is answered without gettext: another language's
    expression ("n != 1", Arabic's six forms) is parsed by gettext, from the kept copy too."""
    import gettext

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from reminder.catalogues import load_catalogue

    locale_dir, cache_dir = tmp_path / "locale", tmp_path / "cache"
    folder = locale_dir / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue = Catalog(locale="de")
    catalogue.add(("%(n)d day", "%(n)d days"), ("%(n)d Tag", "%(n)d Tage"))
    with (folder / "reminder.mo").open("wb") as out:
        write_mo(out, catalogue)
    first = load_catalogue("de", str(locale_dir), str(cache_dir))
    kept = load_catalogue("de", str(locale_dir), str(cache_dir))
    assert isinstance(first, gettext.GNUTranslations) and isinstance(kept, gettext.GNUTranslations)
    assert [kept.ngettext("%(n)d day", "%(n)d days", n) for n in (1, 2)] == ["%(n)d Tag", "%(n)d Tage"]
