"""Where reminder's files live, and reading the config file's TOML — without pydantic.

``config.py`` validates settings with pydantic-settings, which costs a quarter of a
second to import. Commands that only need to find the database (``reminder list``)
use this module instead, so they stay fast; everything else goes through
``config.load_settings``, which builds on the same search order defined here.

Search order for the config file: ``--config PATH``, ``$REMINDER_CONFIG``, then
``$XDG_CONFIG_HOME/reminder/config.toml`` (platformdirs' user config directory).
"""

from __future__ import annotations

import os
import sys

from .errors import ConfigError

TYPE_CHECKING = False  # not typing's: importing typing costs the start-up fast path (see entry.py)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Literal

    ConfigSource = Literal["--config", "$REMINDER_CONFIG", "user config directory"]

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "CONFIG_FILENAME",
    "DB_FILENAME",
    "ENV_PREFIX",
    "ConfigLocation",
    "as_path",
    "config_location",
    "default_store_file",
    "default_store_path",
    "expand_path",
    "init_command",
    "language_before_settings",
    "parent",
    "read_config_text",
    "read_toml",
    "spelt",
    "store_path_fast",
    "user_cache_dir",
    "user_config_path",
    "user_state_dir",
    "user_state_text",
]

APP_NAME = "reminder"
CONFIG_ENV = "REMINDER_CONFIG"
CONFIG_FILENAME = "config.toml"
DB_FILENAME = "reminder.db"
ENV_PREFIX = "REMINDER_"


class ConfigLocation:
    """The config file reminder reads (``path``, as text), why that one, and whether it exists yet.

    A plain class, not a dataclass: ``dataclasses`` costs ``reminder list --json`` a
    tenth of its time to import, and this is on its path. The path is a ``str``, not a
    ``pathlib.Path``: every command finds its config, and pathlib (with the ``urllib.parse``
    and ``ipaddress`` it imports) is ~5 ms of a command's start (issue #20).
    """

    __slots__ = ("exists", "path", "source")

    def __init__(self, path: str, source: ConfigSource, exists: bool) -> None:
        self.path = path
        self.source: ConfigSource = source
        self.exists = exists

    def __repr__(self) -> str:
        return f"ConfigLocation(path={self.path!r}, source={self.source!r}, exists={self.exists!r})"


def as_path(text: str) -> Path:
    """``pathlib.Path(text)``, pathlib imported only now: the everyday commands keep their paths
    as text (pathlib is ~5 ms of a command's start, issue #20) and make a Path where one is asked for."""
    from pathlib import Path

    return Path(text)


def user_config_path() -> Path:
    """``$XDG_CONFIG_HOME/reminder/config.toml`` (or the platform's equivalent)."""
    return as_path(_user_config_file())


def _user_config_file() -> str:
    base = _linux_xdg("XDG_CONFIG_HOME", ".config")
    if base is None:
        from platformdirs import user_config_dir

        base = user_config_dir(APP_NAME)
    else:
        base = os.path.join(base, APP_NAME)
    return os.path.join(base, CONFIG_FILENAME)


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/reminder/reminder.db`` (or the platform's equivalent)."""
    return as_path(default_store_file())


def default_store_file() -> str:
    """:func:`default_store_path` as text (for what must not import pathlib: see ConfigLocation)."""
    base = _linux_xdg("XDG_DATA_HOME", ".local/share")
    if base is None:
        from platformdirs import user_data_dir

        return os.path.join(user_data_dir(APP_NAME), DB_FILENAME)
    return os.path.join(base, APP_NAME, DB_FILENAME)


def user_state_dir() -> Path:
    """``$XDG_STATE_HOME/reminder`` (or the platform's equivalent): this machine's own state, kept
    apart from the data directory that holds the database (the evidence key lives here)."""
    return as_path(user_state_text())


def user_state_text() -> str:
    """:func:`user_state_dir` as text (for what must not import pathlib: see ConfigLocation)."""
    base = _linux_xdg("XDG_STATE_HOME", ".local/state")
    if base is None:
        from platformdirs import user_state_dir as platform_state_dir

        return platform_state_dir(APP_NAME)
    return os.path.join(base, APP_NAME)


def user_cache_dir() -> str | None:
    """``$XDG_CACHE_HOME/reminder``; None where that is not known without platformdirs (then
    nothing is cached)."""
    base = _linux_xdg("XDG_CACHE_HOME", ".cache")
    return None if base is None else os.path.join(base, APP_NAME)


def _linux_xdg(variable: str, default: str) -> str | None:
    """platformdirs' answer on Linux in the common case, without its import (a tenth of
    ``reminder list``'s time); None sends anything unusual to platformdirs itself."""
    if not sys.platform.startswith("linux"):
        return None
    value = os.environ.get(variable, "")
    if os.path.isabs(value):
        return spelt(value)
    home = os.environ.get("HOME", "")
    return os.path.join(spelt(home), default) if os.path.isabs(home) else None


def spelt(text: str) -> str:
    """A POSIX path as ``str(pathlib.Path(text))`` spells it — no trailing or doubled slashes, no
    ``.`` parts (``..`` kept) — without importing pathlib: messages and the settings cache's
    key name files as they did when these were Paths."""
    # pathlib keeps a leading "//" (POSIX leaves its meaning to the system) and folds "///" to "/".
    lead = (
        "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    )
    return (lead + "/".join(p for p in text.split("/") if p and p != ".")) or "."


def parent(text: str) -> str:
    """``str(Path(text).parent)`` for a path as :func:`spelt` spells it: "." above a bare name."""
    return os.path.dirname(text) or "."


def expand_path(path: str | os.PathLike[str]) -> str:
    """``str(Path(path).expanduser())``, without importing pathlib."""
    return spelt(os.path.expanduser(os.fspath(path)))


def beside_config(value: str, config_file: str | os.PathLike[str]) -> str:
    """A path the config file gives: relative to the file's directory when it is relative (and
    does not start with ``~``), as a notifier's password_file is, not to wherever a command runs
    (a daemon systemd starts in / would open another, empty store)."""
    if not value or value.startswith("~") or os.path.isabs(value):
        return value
    return os.path.join(os.path.dirname(os.path.abspath(config_file)), value)


def config_location(explicit: str | os.PathLike[str] | None = None) -> ConfigLocation:
    """Resolve which config file applies: ``--config``, then ``$REMINDER_CONFIG``, then the user's."""
    source: ConfigSource
    if explicit is not None:
        path, source = expand_path(explicit), "--config"
    elif os.environ.get(CONFIG_ENV):
        path, source = expand_path(os.environ[CONFIG_ENV]), "$REMINDER_CONFIG"
    else:
        path, source = _user_config_file(), "user config directory"
    return ConfigLocation(path=path, source=source, exists=os.path.isfile(path))


def init_command(path: str) -> str:
    """The command that writes the example config to ``path`` (named by ``--config`` or
    ``$REMINDER_CONFIG``): ``reminder config init`` alone writes the user config directory's
    file, wherever the variable is not set. The path is quoted for the shell."""
    import shlex  # on the paths that suggest it only

    return f"reminder --config {shlex.quote(path)} config init"


def read_toml(location: ConfigLocation) -> dict[str, Any]:
    """The raw TOML table of the config file ({} when there is none).

    A file named with ``--config`` or ``$REMINDER_CONFIG`` must be there: a typo should
    not silently fall back to the defaults. The user config directory's file is optional.
    Whatever is at the path must be a regular file: a directory, a FIFO (which would
    block the read for ever), a device or a symlink loop is an error, with the reason.
    """
    text = read_config_text(location)
    return {} if text is None else parse_config_text(text, location)


def parse_config_text(text: str, location: ConfigLocation) -> dict[str, Any]:
    """The TOML table of the config file's ``text``; ConfigError naming the file and the line."""
    import tomllib  # only when there is a file: keeps `reminder list` on defaults lean

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        from .toml_errors import toml_error  # Python's English, said in the reader's language

        raise ConfigError(
            _("%(path)s: TOML syntax error: %(error)s", path=location.path, error=toml_error(exc))
        ) from None


def _(msgid: str, /, **named: object) -> str:
    # i18n is imported here, on the error paths only: `reminder list --json` reads the config
    # through this module on its start-up budget (entry.py) and never needs a translation.
    from .i18n import _ as translate

    return translate(msgid, **named)


def N_(msgid: str) -> str:
    return msgid  # marked for extraction, translated where shown (as i18n.N_)


class _NamedBy:
    """ " (named by --config)" in an error, said only when an error is (see _ above)."""

    __slots__ = ("source",)

    def __init__(self, source: str | None) -> None:
        self.source = source

    def __str__(self) -> str:
        return _(" (named by %(source)s)", source=self.source) if self.source else ""


_CANNOT_READ = N_("%(path)s: cannot read the config file%(named_by)s: %(why)s")


def read_config_text(location: ConfigLocation) -> str | None:
    """The config file's text (None when the user's is not there); ConfigError as read_toml says."""
    named = location.source != "user config directory"
    return _read_config_file(location.path, _NamedBy(location.source if named else None), optional=not named)


def _read_config_file(path: str, named_by: _NamedBy, *, optional: bool) -> str | None:
    """The file's text; None if it is not there and ``optional``; else ConfigError saying why."""
    import errno
    import stat

    try:
        # Non-blocking: opening a FIFO to read would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if optional:
            return None
        raise ConfigError(
            _(
                "%(path)s: config file not found%(named_by)s; create it with: %(command)s",
                path=path,
                named_by=named_by,
                command=init_command(path),  # only a named file must be there
            )
        ) from None
    except OSError as exc:
        why = _("a symlink loop") if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise ConfigError(_(_CANNOT_READ, path=path, named_by=named_by, why=why)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(
                _("%(path)s: is a directory, not a config file%(named_by)s", path=path, named_by=named_by)
            )
        if not stat.S_ISREG(mode):
            raise ConfigError(
                _(
                    "%(path)s: is not a regular file (a FIFO, socket or device)%(named_by)s",
                    path=path,
                    named_by=named_by,
                )
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(_(_CANNOT_READ, path=path, named_by=named_by, why=exc.strerror or exc)) from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            _("%(path)s: the config file is not UTF-8 text: %(error)s", path=path, error=exc)
        ) from None


def store_path_fast(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """The database path without validating the rest of the config (for fast read-only commands).

    Honours, in order: ``$REMINDER_STORE__PATH``, the file's ``[store] path``, the default.
    None when the store is a server (``[store] url``, ``$REMINDER_STORE__URL``): no fast path.
    """
    if os.environ.get(f"{ENV_PREFIX}STORE__URL"):
        return None
    env = os.environ.get(f"{ENV_PREFIX}STORE__PATH")
    location = config_location(explicit)
    raw = read_toml(location)
    store = raw.get("store")
    if isinstance(store, dict) and store.get("url"):
        return None
    if env:
        return expand_path(env)
    if isinstance(store, dict) and isinstance(store.get("path"), str):
        return expand_path(beside_config(store["path"], location.path))
    return default_store_file()


def language_before_settings(config: str | os.PathLike[str] | None = None) -> str:
    """The user's language before the settings are validated: for the start-up fast paths and
    for the errors of a config that does not load.

    ``$REMINDER_DEFAULTS__LANGUAGE``, else ``[defaults] language`` of the config file read as
    plain TOML (no pydantic), else the locale. A value that is not a language is passed over
    here: loading the settings reports it.
    """
    value: object = os.environ.get("REMINDER_DEFAULTS__LANGUAGE")
    if not value:
        from .errors import ReminderError

        try:
            location = config_location(config)
            text = read_config_text(location)
            # No "language" in the text (nor an escape that could spell it in a quoted key): no
            # such key, and no TOML to parse (tomllib's import and parse, ~2 ms of `--help`).
            if text is None or not ("language" in text or "\\u" in text or "\\U" in text):
                defaults = None
            else:
                defaults = parse_config_text(text, location).get("defaults")
        except ReminderError:
            defaults = None
        value = defaults.get("language") if isinstance(defaults, dict) else None
    from .i18n import resolve_language

    return resolve_language(value if isinstance(value, str) else None)
