"""Settings: search order, embedded defaults, environment overrides and one-line errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, TmpEnv

from reminder.config import (
    DEFAULT_TEMPLATES,
    EXAMPLE_RESOURCES,
    Settings,
    config_path,
    example_config_text,
    load_settings,
    settings_as_dict,
)
from reminder.errors import ConfigError
from reminder.i18n import LANGUAGES
from reminder.paths import store_path_fast


def test_no_file_gives_working_defaults(tmp_env: TmpEnv) -> None:
    s = load_settings()
    assert s.source is None
    assert (s.defaults.country, s.defaults.timezone) == ("BH", "Asia/Bahrain")
    assert (s.defaults.min_days, s.defaults.max_days, s.defaults.hour) == (7, 15, 9)
    assert s.store.path == tmp_env.data_home / "reminder" / "reminder.db"
    assert s.reminders.before_deadline == 2 and s.reminders.before_open is None
    assert s.notifiers == {}
    assert "sim-cancellation" in s.templates


# The example config's file in the repository, per language (the package's are symlinks to them).
EXAMPLE_FILES = {lang: REPO / "config" / Path(resource).name for lang, resource in EXAMPLE_RESOURCES.items()}


def test_there_is_an_example_in_every_language_a_person_runs_reminder_in() -> None:
    assert set(EXAMPLE_RESOURCES) == set(LANGUAGES)
    assert example_config_text("ar") == example_config_text("en")  # no example of its own: English


@pytest.mark.parametrize("lang", LANGUAGES)
def test_example_is_shipped_identically_and_equals_the_defaults(tmp_env: TmpEnv, lang: str) -> None:
    shipped = example_config_text(lang)
    assert EXAMPLE_FILES[lang].read_text(encoding="utf-8") == shipped
    from_example = load_settings(tmp_env.write_config(shipped))
    assert from_example.source == tmp_env.config_path
    assert from_example.model_dump() == Settings().model_dump()


def _ordered(value: object) -> object:
    """``value`` with every table as a list of (key, value) pairs: equal only in the same order."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _commented_out_examples(text: str) -> list[str]:
    """The example lines a user uncomments ("# subdivision = \"BY\"", "# [notifiers.email]"), without
    the comment after them: the "# " lines that read as TOML holding a key or a table."""
    import tomllib

    examples = []
    for line in text.splitlines():
        body = line.removeprefix("# ")
        if body == line:
            continue
        try:
            data = tomllib.loads(body)
        except tomllib.TOMLDecodeError:
            continue
        if data:
            examples.append(body.split("  #", 1)[0].rstrip())
    return examples


def test_the_translated_examples_hold_the_same_settings_in_the_same_order() -> None:
    import tomllib

    english = EXAMPLE_FILES["en"].read_text(encoding="utf-8")
    for lang in LANGUAGES:
        text = EXAMPLE_FILES[lang].read_text(encoding="utf-8")
        assert _ordered(tomllib.loads(text)) == _ordered(tomllib.loads(english)), lang
        # No commented-out example lost (or added) in translation.
        assert sorted(_commented_out_examples(text)) == sorted(_commented_out_examples(english)), lang
    assert '# subdivision = "BY"' in [f"# {e}" for e in _commented_out_examples(english)]
    assert len(_commented_out_examples(english)) > 30


def test_the_chinese_example_is_commented_in_chinese() -> None:
    import tomllib

    from english_leaks import assert_no_english

    text = EXAMPLE_FILES["zh_CN"].read_text(encoding="utf-8")

    def names(data: object) -> Iterator[str]:
        # Keys and one-word string values (kinds, units, tables' names) are typed as they are.
        if isinstance(data, dict):
            for key, value in data.items():
                yield key
                yield from names(value)
        elif isinstance(data, list):
            for item in data:
                yield from names(item)
        elif isinstance(data, str) and re.fullmatch(r"[\w-]+", data):
            yield data

    allow = set(names(tomllib.loads(text)))
    comments = []
    for line in text.splitlines():
        if not line.startswith("#"):
            continue
        body = line.removeprefix("#").strip()
        if _commented_out_examples(f"# {body}"):  # an example line: only its comment is prose
            allow |= set(names(tomllib.loads(body)))
            body = body.partition("  #")[2]
        comments.append(body)
    prose = "\n".join(comments)
    # What stays Latin on purpose: code in backquotes or quotes, options, and words holding a
    # path's, a key's or an environment variable's characters (~/.pgpass, [store], LC_ALL, *_env).
    prose = re.sub(r"`[^`]*`|\"[^\"]*\"|'[^']*'|--[\w-]+", " ", prose)
    prose = re.sub(r"[\w./$<>\[\]=~*:@+-]*[_./$<>\[\]=~*][\w./$<>\[\]=~*:@+-]*", " ", prose, flags=re.A)
    names_kept = {
        # products, programs and names, as their makers write them
        "SQLite", "PostgreSQL", "libpq", "logrotate", "stderr", "stdin", "D-Bus", "localhost",
        "Gmail", "iCloud", "Microsoft", "OAuth", "App", "Ofcom", "Communications Ombudsman",
        "install", "echo", "shell", "chmod", "pip",
        # words of keys and values quoted in running text
        "password", "token", "secret", "true", "starttls", "tls", "none", "auth", "type",
        "LANGUAGE", "PGPASSWORD",
        # the English name of a letter a UK provider writes, beside its translation
        "deadlock letter",
    }  # fmt: skip
    assert_no_english(prose, allow=allow | names_kept, what="the Chinese example config's comments")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_example_documents_every_key(lang: str) -> None:
    text = example_config_text(lang)
    section_models = {name: f.annotation for name, f in Settings.model_fields.items()}
    for section, ann in section_models.items():
        assert f"[{section}" in text, f"section [{section}] is not documented"
        fields = getattr(ann, "model_fields", None)
        for key in fields or ():
            # A table's key may be documented by its dotted lines (name_in.en = …).
            assert re.search(rf"^#?\s*{key}(\.\w+)? =", text, re.M), f"{section}.{key} is not documented"


def test_search_order(tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user = tmp_env.config_home / "reminder" / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[defaults]\ncountry = "DE"\n')
    assert config_path().path == str(user) and config_path().source == "user config directory"
    assert load_settings().defaults.country == "DE"

    from_env = tmp_path / "env.toml"
    from_env.write_text('[defaults]\ncountry = "GB"\n')
    monkeypatch.setenv("REMINDER_CONFIG", str(from_env))
    assert config_path().source == "$REMINDER_CONFIG"
    assert load_settings().defaults.country == "GB"

    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[defaults]\ncountry = "US"\n')
    assert config_path(explicit).source == "--config"
    assert load_settings(explicit).defaults.country == "US"


def test_missing_user_file_means_defaults_but_a_named_file_must_be_there(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not config_path().exists
    assert load_settings().defaults.country == "BH"
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found \(named by --config\)"):
        load_settings(tmp_env.root / "nope.toml")
    monkeypatch.setenv("REMINDER_CONFIG", str(tmp_env.root / "gone.toml"))
    named = r"gone\.toml: config file not found \(named by \$REMINDER_CONFIG\)"
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_a_named_file_that_is_not_there_says_how_to_write_that_file(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'reminder config init' alone writes the user config directory's file, not the one named:
    the command suggested names it (quoted for the shell), whether --config or
    $REMINDER_CONFIG named it (the error said 'reminder config init' before)."""
    named = tmp_env.root / "my configs" / "nope.toml"
    with pytest.raises(ConfigError) as raised:
        load_settings(named)
    assert str(raised.value).endswith(f"; create it with: reminder --config '{named}' config init")
    plain = tmp_env.root / "gone.toml"
    monkeypatch.setenv("REMINDER_CONFIG", str(plain))
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value).endswith(f"; create it with: reminder --config {plain} config init")


def test_environment_overrides_the_file(tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_env.write_config('[defaults]\nhour = 10\ncountry = "DE"\n[store]\npath = "/tmp/from-file.db"\n')
    monkeypatch.setenv("REMINDER_DEFAULTS__HOUR", "11")
    monkeypatch.setenv("REMINDER_STORE__PATH", str(tmp_env.root / "env.db"))
    s = load_settings()
    assert s.defaults.hour == 11
    assert s.defaults.country == "DE"  # the rest of the section still comes from the file
    assert s.store.path == tmp_env.root / "env.db"
    assert store_path_fast() == str(tmp_env.root / "env.db")  # text: the fast path imports no pathlib


def test_store_path_fast_agrees_with_settings(tmp_env: TmpEnv) -> None:
    assert store_path_fast() == str(load_settings().store.path) == str(tmp_env.db_path)
    tmp_env.write_config('[store]\npath = "~/r.db"\n')
    assert store_path_fast() == str(load_settings().store.path) == str(Path("~/r.db").expanduser())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[defaults\nhour = 1\n", r"TOML syntax error: .*\(at line 1, column \d+\)"),
        ("[defaults]\nmax_dayz = 3\n", r"defaults\.max_dayz: unknown key \(did you mean 'max_days'\?\)"),
        ("[colsures]\n", r"colsures: unknown key"),
        # As like one key as another: both, not whichever sorted last.
        (
            "[reminders]\nretry_mase_seconds = 3\n",
            r"reminders\.retry_mase_seconds: unknown key"
            r" \(did you mean 'retry_base_seconds' or 'retry_max_seconds'\?\)",
        ),
        ("[defaults]\nMAX_DAYS = 3\n", r"defaults\.MAX_DAYS: unknown key \(did you mean 'max_days'\?\)"),
        ("[defaults]\nhour = 25\n", r"defaults\.hour: Input should be less than or equal to 23 \(got 25\)"),
        (
            '[reminders]\nescalation_every = "often"\n',
            r"reminders\.escalation_every: Input should be a valid",
        ),
        ('[defaults]\ncountry = "XX"\n', r"defaults\.country: unknown country 'XX'"),
        # Quoted as written ('BAHREIN' for "Bahrein" was not what the person typed).
        ('[defaults]\ncountry = "Bahrein"\n', r"defaults\.country: unknown country 'Bahrein' \(closest: BH"),
        ('[defaults]\ncountry = "DE"\nsubdivision = "QQ"\n', r"defaults\.subdivision: unknown subdivision"),
        ('[defaults]\ntimezone = "Mars/Base"\n', r"defaults\.timezone: unknown time zone 'Mars/Base'"),
        ("[defaults]\nmin_days = 9\nmax_days = 3\n", r"defaults: min_days \(9\) is greater than max_days"),
        ('[[closures]]\nstart = "2026-03-12"\nend = "2026-03-10"\n', r"closures\[0\]: end .* is before"),
        ("[templates.x]\nitems = 3\n", r"templates\.x\.items: Input should be a valid list"),
    ],
)
def test_broken_config_is_one_line_naming_file_and_key(tmp_env: TmpEnv, text: str, expected: str) -> None:
    path = tmp_env.write_config(text)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert re.search(expected, message), message
    assert "\n" not in message


def test_an_error_from_the_environment_names_the_variable(
    tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDER_DEFAULTS__HOUR", "99")
    with pytest.raises(ConfigError, match=r"embedded defaults: defaults\.hour: .*\$REMINDER_DEFAULTS__HOUR"):
        load_settings()


def test_aliases_become_canonical_codes(tmp_env: TmpEnv) -> None:
    tmp_env.write_config('[defaults]\ncountry = "uk"\n')
    assert load_settings().defaults.country == "GB"


def test_closures_and_templates(tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        '[[closures]]\nstart = "2026-03-10"\nend = "2026-03-12"\nlabel = "office move"\n'
        '[[closures]]\nstart = "2026-04-01"\n'
        '[templates.refund]\nitems = ["Keep the receipt"]\n'
    )
    s = load_settings()
    move, single = s.closure_list()
    assert (move.start, move.end, move.label) == (date(2026, 3, 10), date(2026, 3, 12), "office move")
    assert single.start == single.end == date(2026, 4, 1)
    assert s.templates["refund"].items == ["Keep the receipt"]
    # Adding a template keeps the built-in one.
    assert s.templates["sim-cancellation"] == DEFAULT_TEMPLATES["sim-cancellation"]
    assert "verification code" in (s.templates["sim-cancellation"].warning or "")


def test_settings_as_dict_masks_secrets(tmp_env: TmpEnv) -> None:
    tmp_env.write_config(
        "[notifiers.email]\n"
        'host = "127.0.0.1"\npassword = "hunter2"\napi_token = "t0k"\nclient_secret = "s3"\n'
    )
    data = settings_as_dict(load_settings())
    email = data["notifiers"]["email"]
    assert email == {
        "host": "127.0.0.1",
        "password": "********",
        "api_token": "********",
        "client_secret": "********",
    }
    assert "hunter2" not in repr(data)
    assert (
        settings_as_dict(load_settings(), mask_secrets=False)["notifiers"]["email"]["password"] == "hunter2"
    )
    assert data["store"]["path"] == str(tmp_env.db_path)


def test_timezone_follows_the_country_unless_given(tmp_env: TmpEnv) -> None:
    tmp_env.write_config('[defaults]\ncountry = "DE"\n')
    assert load_settings().defaults.timezone == "Europe/Berlin"
    tmp_env.write_config('[defaults]\ncountry = "DE"\ntimezone = "UTC"\n')
    assert load_settings().defaults.timezone == "UTC"
    tmp_env.write_config('[defaults]\ncountry = "BH"\n')
    assert load_settings().defaults.timezone == "Asia/Bahrain"


@pytest.mark.parametrize("xdg", [None, "", "relative/dir", "/abs/xdg"])
@pytest.mark.parametrize("home", ["/home/someone", "relative-home", ""])
def test_paths_match_platformdirs(monkeypatch: pytest.MonkeyPatch, xdg: str | None, home: str) -> None:
    import platformdirs

    from reminder.paths import default_store_path, user_config_path

    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        if xdg is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, xdg)
    monkeypatch.setenv("HOME", home)
    assert default_store_path() == Path(platformdirs.user_data_dir("reminder")) / "reminder.db"
    assert user_config_path() == Path(platformdirs.user_config_dir("reminder")) / "config.toml"


# What the example's e-mail section must tell a newcomer, per provider: (port, security).
PROVIDERS = {
    "Gmail": ("smtp.gmail.com", 587, "starttls"),
    "Outlook.com": ("smtp-mail.outlook.com", 587, "starttls"),
    "iCloud Mail": ("smtp.mail.me.com", 587, "starttls"),
    "QQ Mail": ("smtp.qq.com", 465, "tls"),
    "163 Mail": ("smtp.163.com", 465, "tls"),
}


# What it must name, in each language, for the passwords the providers ask for.
PASSWORD_WORDS = {
    "en": ("app password", "2-step verification", "two-factor", "授权码", "password_file"),
    "zh_CN": ("应用专用密码", "两步验证", "双重认证", "授权码", "password_file"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_example_walks_a_newcomer_through_e_mail(tmp_env: TmpEnv, lang: str) -> None:
    from reminder.notifiers import build_notifiers
    from reminder.notifiers.email import EmailNotifier, EmailOptions

    text = example_config_text(lang)
    # The provider table: "#   Gmail   smtp.gmail.com   587   starttls   …" ("#   QQ 邮箱   smtp.qq.com …"
    # in Chinese: the name's first word is the same in every language).
    rows = {}
    for line in text.splitlines():
        for name, (host, _port, _security) in PROVIDERS.items():
            before, found, after = line.partition(f" {host} ")
            if found and before.startswith(f"#   {name.split()[0]} "):
                cells = after.split()
                rows[name] = (host, int(cells[0]), cells[1])
    assert rows == PROVIDERS
    for host, port, security in rows.values():  # each row is a valid [notifiers.email] table
        EmailOptions(host=host, port=port, security=security, username="me@example.org",
                     password_file="pw", sender="me@example.org", recipients=["me@example.org"])  # fmt: skip
    lowered = text.lower()
    for words in PASSWORD_WORDS[lang]:
        assert words in lowered, words
    # The worked example, uncommented, is a notifier that loads (its password file beside the config).
    start = text.index("# [notifiers.email]")
    block = []
    for line in text[start:].splitlines():
        if not line.startswith("# ") or (block and line.startswith("# [") and "email" not in line):
            break
        block.append(line.removeprefix("# ").split("  #", 1)[0])
    (tmp_env.config_path.parent / "smtp-password").write_text("abcd efgh ijkl mnop\n")
    (tmp_env.config_path.parent / "smtp-password").chmod(0o600)
    settings = load_settings(tmp_env.write_config("\n".join(block) + "\n"))
    (notifier,) = build_notifiers(settings.notifiers, config_file=settings.source)
    assert isinstance(notifier, EmailNotifier)
    assert notifier.options.password_file is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "/a/b",
        "/a//b/",
        "a/./b",
        "./a",
        ".",
        "",
        "//srv/x",
        "///x",
        "////x/",
        "a/../b",
        "~",
        "~/r.db",
        "/a/b/.",
    ],
)
def test_paths_are_spelt_as_pathlib_spells_them(text: str) -> None:
    # Paths on the everyday path are text (pathlib is ~5 ms of a command's start): messages,
    # `config path` and the settings cache's key must name a file as str(Path(...)) did.
    from reminder.paths import expand_path, parent, spelt

    assert spelt(text) == str(Path(text))
    assert parent(spelt(text)) == str(Path(text).parent)
    assert expand_path(text) == str(Path(text).expanduser())


def test_a_value_is_named_unless_the_message_quotes_it() -> None:
    # A message quoting the text it was given says it once; a number inside another number
    # ("5" in "15") is no quote of it.
    from reminder.validation_text import got

    assert (
        got("unknown language 'fr'; use one of: en, zh_CN", "fr")
        == "unknown language 'fr'; use one of: en, zh_CN"
    )
    assert (
        got("Input should be greater than or equal to 15", 5)
        == "Input should be greater than or equal to 15 (got 5)"
    )
