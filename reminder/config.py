"""Settings: one TOML file plus ``REMINDER_<SECTION>__<KEY>`` environment variables.

``load_settings`` finds the file (``--config``, ``$REMINDER_CONFIG``, then the user
config directory — see ``paths.py``), parses it with tomllib and validates it into
:class:`Settings`. Environment variables override the file's keys, the
pydantic-settings way. No file means the embedded defaults below, which work out
of the box (Bahrain, the seed use case: a roaming SIM cancellation reviewed in 7 to
15 business days). Every problem becomes one :class:`~reminder.errors.ConfigError`
line naming the file, the dotted key and what is wrong.

Nothing else in reminder reads the environment or the config file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .addresses import check_email_address
from .backends import is_postgres_url, redact_url
from .childenv import SECRET_KEY_SUFFIX, note_secret_env, secret_env_names
from .errors import ConfigError, UnknownCountry
from .i18n import KNOWN_LANGUAGES, LANGUAGES, SOURCE_LANGUAGE, _, language_error, normalise_language
from .lazylog import get_logger
from .models import SIM_CANCELLATION_KIND, Unit
from .paths import ENV_PREFIX, ConfigLocation, beside_config, config_location, default_store_path, read_toml
from .presets import DEFAULT_PRESETS, Preset
from .settings_methods import ClosureMethods, MeMethods, SettingsMethods, StoreMethods
from .shipped import SIM_CANCELLATION_ITEMS, SIM_CANCELLATION_TITLE, SIM_CANCELLATION_WARNING
from .tz import country_timezone, is_timezone
from .validation_text import at, got, join_problems, meant, problem, unknown_key

__all__ = [
    "DEFAULT_COUNTRY",
    "DEFAULT_HOUR",
    "DEFAULT_MAX_DAYS",
    "DEFAULT_MIN_DAYS",
    "DEFAULT_TEMPLATES",
    "DEFAULT_TIMEZONE",
    "EXAMPLE_RESOURCES",
    "ClosureSettings",
    "ConfigLocation",
    "DaemonSettings",
    "DefaultsSettings",
    "ExportSettings",
    "MeSettings",
    "RemindersSettings",
    "Settings",
    "StoreSettings",
    "Template",
    "config_path",
    "example_config_text",
    "load_settings",
    "settings_as_dict",
]

log = get_logger(__name__)

# The seed use case: a roaming SIM bought in Bahrain, "reviewed in 7 to 15 business days".
DEFAULT_COUNTRY = "BH"
DEFAULT_TIMEZONE = "Asia/Bahrain"
DEFAULT_MIN_DAYS = 7
DEFAULT_MAX_DAYS = 15
DEFAULT_UNIT: Unit = "business"
DEFAULT_HOUR = 9
DEFAULT_MINUTE = 0

DEFAULT_BEFORE_DEADLINE = 2
DEFAULT_ESCALATION_EVERY = 3
DEFAULT_ESCALATION_MAX = 5
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_BASE_SECONDS = 30.0
DEFAULT_RETRY_MAX_SECONDS = 3600.0
DEFAULT_MAX_SLEEP_SECONDS = 60.0
# How long a daemon's claim on the rows it is sending holds on a shared (PostgreSQL) store
# before another daemon may take them over. A claim is a chunk of 200 rows (api.SEND_CHUNK),
# renewed with each next claim; over 4 SMTP connections to a relay taking 1 s a message that is
# ~50 s, plus one exchange stuck for the e-mail notifier's exchange_timeout (60 s): 300 s
# leaves more than twice that. README ("Several daemons on one database") says how to size it.
DEFAULT_LEASE_SECONDS = 300.0

# The documented example `reminder config init` writes, in each language a person runs reminder in:
# the same keys and values, the comments in that language. data/ holds symlinks to
# config/reminder.example*.toml, so the package ships those very files.
EXAMPLE_RESOURCES: Mapping[str, str] = {
    "en": "data/reminder.example.toml",
    "zh_CN": "data/reminder.example.zh_CN.toml",
}
EXAMPLE_RESOURCE = EXAMPLE_RESOURCES["en"]

_SECRET_WORDS = ("password", "token", "secret")
MASK = "********"


class _Section(BaseModel):
    # An unknown key is almost always a typo; say so instead of ignoring it.
    model_config = ConfigDict(extra="forbid")


def _language(value: str | None) -> str | None:
    """A language of :data:`~reminder.i18n.LANGUAGES`, in its canonical spelling ("zh-CN" → "zh_CN")."""
    if value is None:
        return None
    found = normalise_language(value, LANGUAGES)
    if found is None:
        raise ValueError(language_error(value, LANGUAGES))
    return found


class DefaultsSettings(_Section):
    """What a new case gets unless the command line says otherwise."""

    country: str = DEFAULT_COUNTRY
    subdivision: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    min_days: int = Field(default=DEFAULT_MIN_DAYS, ge=0)
    max_days: int = Field(default=DEFAULT_MAX_DAYS, ge=1)
    unit: Unit = DEFAULT_UNIT
    hour: int = Field(default=DEFAULT_HOUR, ge=0, le=23)
    minute: int = Field(default=DEFAULT_MINUTE, ge=0, le=59)
    # The language reminder speaks (i18n.py); None: the locale's (LANGUAGE, LC_ALL, …), else English.
    language: str | None = None

    @field_validator("country")
    @classmethod
    def _stripped_country(cls, value: str) -> str:
        # Not upper-cased here: the calendar reads codes and names in any case, and an error
        # quotes what was written ("Bahrein", not "BAHREIN"); _check_country stores the code.
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not is_timezone(value):
            from .tz import zone_error

            said = _(
                "unknown time zone %(value)s (use an IANA name such as 'Asia/Bahrain')", value=repr(value)
            )
            raise ValueError(zone_error(value, said))
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        return _language(value)

    @model_validator(mode="after")
    def _min_before_max(self) -> DefaultsSettings:
        if self.min_days > self.max_days:
            raise ValueError(
                _(
                    "min_days (%(min)d) is greater than max_days (%(max)d)",
                    min=self.min_days,
                    max=self.max_days,
                )
            )
        return self


def checked_store_url(value: str) -> str:
    """``value`` (stripped) if it is a PostgreSQL URL naming a database; ValueError otherwise,
    one line that shows it without its password (``[store] url``, ``db copy --to``)."""
    from .backends import POSTGRES_SCHEMES, redact_url

    value = value.strip()
    shown = repr(redact_url(value))
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # "Invalid IPv6 URL": one line, not a traceback quoting it
        raise ValueError(_("%(url)s is not a URL: %(why)s", url=shown, why=str(exc))) from None
    if parts.scheme not in POSTGRES_SCHEMES:
        from .i18n import alternatives
        from .lookalikes import closest

        # 'postgersql://…': the URL with the scheme probably meant, its password hidden as above.
        guesses = closest(parts.scheme, POSTGRES_SCHEMES) if parts.scheme else []
        if guesses:
            meant = (redact_url(g + value[len(parts.scheme) :]) for g in guesses)
            raise ValueError(
                _(
                    "%(url)s is not a PostgreSQL URL; did you mean %(guesses)s?",
                    url=shown,
                    guesses=alternatives(meant),
                )
            )
        raise ValueError(
            _("%(url)s is not a PostgreSQL URL; use postgresql://user@host:5432/dbname", url=shown)
        )
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise ValueError(_("%(url)s names no database; end it with /dbname", url=shown))
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(_("%(url)s has a bad port number", url=shown)) from None
    return value


class StoreSettings(StoreMethods, _Section):
    """Where the database lives: the SQLite file at ``path`` (the default), or the PostgreSQL
    database at ``url``, whose password comes from ``password_env``/``password_file`` or from
    libpq's own ``PGPASSWORD`` and ``~/.pgpass``. ``path``'s directory still holds the local
    files (the daemon's lock, temporary files) when the database is PostgreSQL."""

    path: Path = Field(default_factory=default_store_path)
    url: str | None = None
    password_env: str | None = None
    password_file: Path | None = None

    @field_validator("path", "password_file")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser()

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return checked_store_url(value)

    @model_validator(mode="after")
    def _one_password_source(self) -> StoreSettings:
        if self.password_env and self.password_file:
            raise ValueError(_("set password_env or password_file, not both"))
        return self


class ClosureSettings(ClosureMethods, _Section):
    """A day or an inclusive range of days on which offices are shut (applies to every case)."""

    start: date
    end: date | None = None
    label: str = "closure"

    @model_validator(mode="after")
    def _ordered(self) -> ClosureSettings:
        if self.end is not None and self.end < self.start:
            raise ValueError(_("end (%(end)s) is before start (%(start)s)", end=self.end, start=self.start))
        return self


class RemindersSettings(_Section):
    """The reminder policy: which reminders a case gets and how delivery is retried."""

    before_open: int | None = Field(default=None, ge=1)  # business days before the window opens; None: none
    opened: bool = True
    before_deadline: int | None = Field(default=DEFAULT_BEFORE_DEADLINE, ge=1)
    deadline: bool = True
    escalation_every: int = Field(default=DEFAULT_ESCALATION_EVERY, ge=1)  # business days
    escalation_max: int = Field(default=DEFAULT_ESCALATION_MAX, ge=0)
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1)
    retry_base_seconds: float = Field(default=DEFAULT_RETRY_BASE_SECONDS, gt=0)
    retry_max_seconds: float = Field(default=DEFAULT_RETRY_MAX_SECONDS, gt=0)


class DaemonSettings(_Section):
    max_sleep_seconds: float = Field(default=DEFAULT_MAX_SLEEP_SECONDS, gt=0)
    # Shared stores only: see DEFAULT_LEASE_SECONDS (SQLite's single daemon needs no lease).
    lease_seconds: float = Field(default=DEFAULT_LEASE_SECONDS, gt=0)
    log_file: Path | None = None


class ExportSettings(_Section):
    """Exports the daemon keeps current."""

    # An iCalendar file of every open case's window and deadline, rewritten when it changes.
    ics_path: Path | None = None

    @field_validator("ics_path")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None


def _letter_language(value: str) -> str:
    """A language letters are written in (a key of ``[me] name_in``), canonical ("zh-CN" → "zh_CN")."""
    found = normalise_language(value, KNOWN_LANGUAGES)
    if found is None:
        raise ValueError(language_error(value, KNOWN_LANGUAGES))
    return found


# A key of [me] name_in / address_in: en, ar or zh_CN, any spelling ($REMINDER_ME__NAME_IN__ZH_CN: "zh_cn").
LetterLanguage = Annotated[str, AfterValidator(_letter_language)]


class MeSettings(MeMethods, _Section):
    """``[me]``: who writes the letters (``reminder letter``). Every key is optional: a letter
    leaves a visible blank for what is not set, and says which.

    ``name_in`` and ``address_in`` hold the name and the address as a letter in one language
    writes them (``name_in.en = "LI Hua"`` beside ``name = "李华"``): a letter, and the dossier, in
    that language use them in place of ``name`` and ``address`` (``MeMethods.person``).
    """

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None  # postal, one string; "\n" or ", " between its lines
    name_in: dict[LetterLanguage, str] = Field(default_factory=dict)
    address_in: dict[LetterLanguage, str] = Field(default_factory=dict)

    @field_validator("name", "phone", "address")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("name_in", "address_in")
    @classmethod
    def _texts(cls, value: dict[str, str]) -> dict[str, str]:
        # A blank form is no form: the letter then uses name/address, as for a blank name.
        return {lang: text.strip() for lang, text in value.items() if text.strip()}

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email_address(value) if value is not None and value.strip() else None


def _default_presets() -> dict[str, Preset]:
    return dict(DEFAULT_PRESETS)


class Template(_Section):
    """A checklist a case of this kind starts with, and a warning shown beside it."""

    title: str | None = None
    items: list[str] = Field(default_factory=list)
    warning: str | None = None


# Its texts are in shipped.py, where they are marked for translation: a person reads them in
# their language (shipped.localised), while the config and the database keep the English.
SIM_CANCELLATION = Template(
    title=SIM_CANCELLATION_TITLE,
    items=list(SIM_CANCELLATION_ITEMS),
    warning=SIM_CANCELLATION_WARNING,
)

DEFAULT_TEMPLATES: Mapping[str, Template] = {SIM_CANCELLATION_KIND: SIM_CANCELLATION}


def _default_templates() -> dict[str, Template]:
    return {name: t.model_copy(deep=True) for name, t in DEFAULT_TEMPLATES.items()}


class Settings(SettingsMethods, BaseSettings):
    """Everything configurable. Sections mirror the TOML file's tables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    defaults: DefaultsSettings = Field(default_factory=DefaultsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    closures: list[ClosureSettings] = Field(default_factory=list)
    reminders: RemindersSettings = Field(default_factory=RemindersSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    # Raw [notifiers.<name>] tables; each notifier validates its own (notifiers/__init__.py).
    # Empty means "the built-in log notifier only".
    notifiers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    templates: dict[str, Template] = Field(default_factory=_default_templates)
    # [presets.<name>] escalation rules (presets.py); the shipped ones stay unless redefined.
    presets: dict[str, Preset] = Field(default_factory=_default_presets)
    export: ExportSettings = Field(default_factory=ExportSettings)
    me: MeSettings = Field(default_factory=MeSettings)

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("templates", mode="after")
    @classmethod
    def _keep_builtin_templates(cls, value: dict[str, Template]) -> dict[str, Template]:
        # A config that adds its own templates should not lose the shipped ones.
        merged = _default_templates()
        merged.update(value)
        return merged

    @field_validator("presets", mode="before")
    @classmethod
    def _name_presets(cls, value: Any) -> Any:
        # The table's key is the preset's name; the file does not repeat it.
        if isinstance(value, Mapping):
            return {k: {**v, "name": k} if isinstance(v, Mapping) else v for k, v in value.items()}
        return value

    @field_validator("presets", mode="after")
    @classmethod
    def _keep_builtin_presets(cls, value: dict[str, Preset]) -> dict[str, Preset]:
        return {**DEFAULT_PRESETS, **value}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's table arrives as init kwargs; the environment must win over it.
        return (env_settings, init_settings)

    @property
    def source(self) -> Path | None:
        """The config file these settings came from (None: embedded defaults)."""
        return self._source


# --- loading -------------------------------------------------------------------------------------


def config_path(explicit: Path | None = None) -> ConfigLocation:
    """Where the config is read from (``--config``, ``$REMINDER_CONFIG`` or the user's) and if it exists."""
    return config_location(explicit)


def load_settings(path: Path | None = None) -> Settings:
    """Read, validate and return the settings; raise ConfigError with one line naming file and key."""
    location = config_location(path)
    raw = read_toml(location)
    origin = str(location.path) if location.exists else _("embedded defaults")
    if location.exists:
        raw = _paths_beside(raw, location.path)
    try:
        settings = Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(at(origin, _describe(exc))) from None
    settings._source = Path(location.path) if location.exists else None
    # Known from here on, so no child process started later inherits a notifier's secret.
    note_secret_env(secret_env_names(settings.notifiers))
    if settings.store.url is not None:  # the database's password, and a URL that may carry one
        note_secret_env(filter(None, [settings.store.password_env, "PGPASSWORD", f"{ENV_PREFIX}STORE__URL"]))
    _check_country(settings, origin)
    log.debug("settings loaded from %s", origin)
    return settings


# The file's paths, by table and key: a relative one is relative to the file's directory
# (paths.beside_config). A value from the environment (REMINDER_STORE__PATH) is left as typed,
# relative to the shell's directory.
_FILE_PATHS = (("store", "path"), ("store", "password_file"), ("daemon", "log_file"), ("export", "ics_path"))


def _paths_beside(raw: dict[str, Any], config_file: str | os.PathLike[str]) -> dict[str, Any]:
    """``raw`` with the relative paths of :data:`_FILE_PATHS` made relative to ``config_file``'s directory."""
    out = dict(raw)
    for table, key in _FILE_PATHS:
        section = out.get(table)
        value = section.get(key) if isinstance(section, dict) else None
        if isinstance(section, dict) and isinstance(value, str):
            out[table] = {**section, key: beside_config(value, config_file)}
    return out


def _check_country(settings: Settings, origin: str) -> None:
    from .calendar import get_calendar

    d = settings.defaults
    try:
        cal = get_calendar(d.country, None)
    except UnknownCountry as exc:
        raise ConfigError(at(origin, at("defaults.country", str(exc)))) from None
    if d.subdivision is not None:
        try:
            cal = get_calendar(d.country, d.subdivision)
        except UnknownCountry as exc:
            raise ConfigError(at(origin, at("defaults.subdivision", str(exc)))) from None
    # Aliases ("UK", "Bavaria") become canonical codes, so cases store what the calendar uses.
    d.country, d.subdivision = cal.country, cal.subdivision
    if "timezone" not in d.model_fields_set and d.country != DEFAULT_COUNTRY:
        # Asia/Bahrain is the default for Bahrain only; another country keeps its own hours.
        d.timezone = country_timezone(d.country) or d.timezone


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(exc: ValidationError) -> str:
    """All problems on one line: ``defaults.hour: Input should be ... (got 25); …``."""
    parts = []
    for err in exc.errors(include_url=False):
        # A dict's key that fails (me.name_in.fr) is named by itself, without pydantic's "[key]".
        loc = tuple(p for p in err["loc"] if p != "[key]")
        key = _key(loc)
        msg = problem(err)
        if err["type"] == "extra_forbidden":
            msg = unknown_key(_suggest(loc))
        elif (guess := meant(err)) is not None:  # 'buisness': the value probably meant
            msg = guess
        elif "input" in err and not isinstance(err["input"], dict | list):
            shown = err["input"]
            if isinstance(shown, str) and (is_postgres_url(shown) or loc[-1:] == ("url",)):
                shown = redact_url(shown)  # a store URL may carry its password
            msg = got(msg, shown)
        env = ENV_PREFIX + "__".join(str(p) for p in loc).upper()
        if env in os.environ:  # the environment wins over the file, so the value came from there
            msg = _("%(problem)s (from $%(variable)s)", problem=msg, variable=env)
        parts.append(at(key, msg))
    return join_problems(parts)


def _suggest(loc: tuple[int | str, ...]) -> list[str]:
    """The keys a misspelt one in a known section probably meant ("max_days"), if any."""
    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        ann = field.annotation if field is not None else None
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if ann is not None and model is None and part == "closures":
            model = ClosureSettings
    if model is None:
        return []
    from .lookalikes import closest  # here: only a misspelt key needs it

    return closest(str(loc[-1]), model.model_fields)


# --- presenting ----------------------------------------------------------------------------------


def settings_as_dict(settings: Settings, *, mask_secrets: bool = True) -> dict[str, Any]:
    """The effective settings as plain JSON-able data, secrets masked (for ``config check``)."""
    data = settings.model_dump(mode="python")
    out: dict[str, Any] = _plain(data, mask_secrets=mask_secrets, secret_key=False)
    # [store] password_env and a notifier's password_env (a plugin's token_env) are the *names* of
    # the variables holding the secrets, the very keys childenv.py treats as names: no secret, and
    # what a person checking their config needs to see. Keys of other tables (a command
    # notifier's env) stay masked, and so does a value that is no variable name (a password
    # pasted in by mistake). A password_file is a path, shown as such: the file's content never is.
    tables = [(out["store"], data["store"])]
    tables += [(out["notifiers"][name], table) for name, table in data["notifiers"].items()]
    for shown, raw in tables:
        if not isinstance(raw, Mapping):
            continue
        for key, value in raw.items():
            if str(key).endswith(SECRET_KEY_SUFFIX) and _names_variable(value):
                shown[str(key)] = value
            elif str(key).endswith("_file") and isinstance(value, str | Path):
                shown[str(key)] = str(value)
    return out


def _names_variable(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isidentifier()


def _plain(value: Any, *, mask_secrets: bool, secret_key: bool) -> Any:
    if isinstance(value, SecretStr):
        return MASK if mask_secrets else value.get_secret_value()
    if mask_secrets and isinstance(value, str) and is_postgres_url(value):
        return redact_url(value)  # a password written into the URL
    if isinstance(value, Mapping):
        return {
            str(k): _plain(
                v,
                mask_secrets=mask_secrets,
                secret_key=any(w in str(k).lower() for w in _SECRET_WORDS),
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v, mask_secrets=mask_secrets, secret_key=secret_key) for v in value]
    if mask_secrets and secret_key and value not in (None, ""):
        return MASK
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def example_config_text(lang: str = SOURCE_LANGUAGE) -> str:
    """The shipped example config with its comments in ``lang`` (English for a language it is
    not written in); also ``config/reminder.example*.toml`` in the repository."""
    resource = EXAMPLE_RESOURCES.get(lang, EXAMPLE_RESOURCE)
    return resources.files("reminder").joinpath(resource).read_text(encoding="utf-8")
