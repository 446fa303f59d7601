"""The validated settings, kept between commands: pydantic-settings validates a config once.

``config.load_settings`` validates the file and the environment with pydantic-settings,
which costs more to import and build (~150 ms) than the rest of an everyday command. Its
result depends only on what :func:`_key` hashes: reminder's version and the source of the
schema (``config.py``, ``presets.py``, ``settings_methods.py``, this module), the holidays
package's release and place (validation asks it which country codes exist and normalises
them), which file is read and its bytes, the ``REMINDER_*`` variables that override it, and
the variables the defaults come from (``HOME``, ``XDG_*``). :func:`cached_settings` looks
that key up under ``$XDG_CACHE_HOME/reminder`` (a 0700 directory, 0600 files); on a hit it
restores the settings as plain objects — no pydantic — and on a miss it calls
``load_settings`` and keeps the result for next time.

What is kept:

- only settings that validated: a broken config is read by ``load_settings`` every time
  and reported exactly as before (exit 2 naming file, key and value);
- no secret: the environment's values are in the key only as a hash; the notifier tables
  are not written (they are read back from the config file's text when a command asks
  for them, which is what validation would have given: they are checked by each
  notifier, not by the settings), only what planning takes from them once validated, each
  enabled notifier's label and the reminder kinds it receives (its *route*; ``add`` and
  ``edit`` plan with it without importing the notifiers and pydantic); and settings that
  override a notifier from the environment, or hold a ``SecretStr`` or a URL with a
  password, are not kept at all.

The restored objects answer what the code reads of a ``Settings`` (its sections' fields,
``closure_list()``, ``source``, a section's ``model_dump(mode="json")``, a closure's
``to_closure()``, ``me.person()``); ``config check`` and the daemon load the full model.
"""

from __future__ import annotations

import os
import sys

from .paths import ENV_PREFIX, as_path, config_location, read_config_text, user_cache_dir
from .settings_methods import ClosureMethods, MeMethods, SettingsMethods, StoreMethods

TYPE_CHECKING = False  # not typing's: every command's start-up pays for what this module imports
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from .config import Settings
    from .paths import ConfigLocation

__all__ = ["CACHE_FORMAT", "cached_settings", "settings_cache_file"]

# Bumped when the file's layout changes (the schema's own changes are in the key already).
# 2: the notifier tables' routes are kept. 3: in marshal's format, not JSON (below).
CACHE_FORMAT = 3
_PREFIX = "settings-"
# The environment the defaults come from (paths.py), besides REMINDER_*.
_DEFAULTS_ENV = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
# The schema's source: the settings' models, and what the notifier tables' validation reads
# besides notifiers/ (the languages a notifier may send in, the reminder kinds it may take).
_SCHEMA_FILES = (
    "config.py",
    "presets.py",
    "settings_cache.py",
    "settings_methods.py",
    "i18n.py",
    "models.py",
    "countries.py",  # a config's country is validated and spelt as countries.py says
)
_NOTIFIERS_ENV = ENV_PREFIX + "NOTIFIERS__"


class _Uncacheable(Exception):
    """The settings hold something that must not be written to a cache file."""


def cached_settings(path: Path | None = None) -> Settings:
    """The settings ``config.load_settings(path)`` returns, validated once per config and
    environment; raises ConfigError as it does."""
    from .childenv import note_secret_env

    location = config_location(path)
    # The same read, with the same errors, as load_settings: a missing named file, a FIFO, bad UTF-8.
    text = read_config_text(location)
    cache = settings_cache_file(location, text)
    if cache is not None:
        from .files import read_marshal_file

        kept = read_marshal_file(cache)
        if kept is not None:
            restored = _restore(kept, location, text)
            if restored is not None:
                note_secret_env(restored.secret_env)
                return restored  # type: ignore[return-value]  # the restored form of Settings (see above)
    from .childenv import noted_secret_env
    from .config import load_settings

    noted = noted_secret_env()
    settings = load_settings(path)
    if cache is not None and read_config_text(location) == text:  # not changed while it was validated
        # What load_settings noted as secret variables (a notifier's, the database password's):
        # their names are kept, to be noted again when the settings are restored.
        _save(cache, settings, noted_secret_env() - noted)
    return settings


def settings_cache_file(location: ConfigLocation, text: str | None) -> str | None:
    """The cache file for this config and environment, or None when it must not be cached
    (no cache directory, or a notifier set from the environment)."""
    if any(name.startswith(_NOTIFIERS_ENV) for name in os.environ):
        return None  # such a value may well be a secret: not even restored settings hold it
    folder = user_cache_dir()
    if folder is None:
        return None
    key = _key(location, text)
    return None if key is None else os.path.join(folder, f"{_PREFIX}{key}.marshal")


def _key(location: ConfigLocation, text: str | None) -> str | None:
    # The builtin module, not hashlib: hashlib loads OpenSSL first (~3 ms of a command's start).
    from _blake2 import blake2b

    from . import __version__
    from .holiday_cache import holidays_release

    h = blake2b(digest_size=20)

    def add(*parts: object) -> None:
        for part in parts:
            h.update(str(part).encode("utf-8", "surrogateescape") + b"\0")

    # marshal's format is the interpreter's own: another Python keeps its own file.
    add(CACHE_FORMAT, __version__, sys.platform, sys.implementation.cache_tag)
    # Validation asks the holidays package which countries and subdivisions exist and how
    # they are spelt ("UK" -> "GB"): another release may answer otherwise.
    add(holidays_release())
    here = os.path.dirname(__file__)
    for name in _SCHEMA_FILES:
        try:
            st = os.stat(os.path.join(here, name))
        except OSError:
            return None
        add(name, st.st_size, st.st_mtime_ns)
    # The notifier routes kept (_routes) are what each built-in notifier's options model made of its table.
    try:
        for entry in sorted(os.scandir(os.path.join(here, "notifiers")), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                st = entry.stat()
                add(entry.name, st.st_size, st.st_mtime_ns)
    except OSError:
        return None
    # Absolute: a relative path in the file is made relative to the file's own directory
    # (config.py), so one --config named from two directories is two sets of settings.
    add(os.path.abspath(location.path), location.source, text is not None, text or "")
    for name in sorted(os.environ):
        if name.startswith(ENV_PREFIX) or name in _DEFAULTS_ENV:
            add(name, os.environ[name])
    return h.hexdigest()


# --- writing (after a full load: pydantic is imported already) -----------------------------------


def _save(cache: str, settings: Settings, secret_env: frozenset[str]) -> None:
    """Keep ``settings`` in ``cache`` (and drop the files of other keys); skipped when they
    hold something secret or the cache cannot be written."""
    import marshal

    from .childenv import secret_env_names
    from .files import KEPT_OTHERS, write_cache_file

    try:
        fields = {
            name: _encode(getattr(settings, name))
            for name in type(settings).model_fields
            if name != "notifiers"
        }
    except _Uncacheable:
        return
    doc = {
        "format": CACHE_FORMAT,
        "settings": fields,
        "has_notifiers": bool(settings.notifiers),
        "routes": _routes(settings),
        "secret_env": sorted(secret_env | secret_env_names(settings.notifiers)),
    }
    # An unwritable cache is skipped: the next command validates again.
    # A few other configs' or environments' settings are kept (a second config used in turns
    # would otherwise be validated again on every command); older ones go.
    write_cache_file(cache, marshal.dumps(doc), lambda name: name.startswith(_PREFIX), others=KEPT_OTHERS)


def _routes(settings: Settings) -> list[list[Any]] | None:
    """The notifier tables' routes (planning's labels and kinds: no option of a notifier, so
    no secret), kept when every table names a built-in notifier and validates. None when one
    does not validate (each command reports it, as before) or names a plugin (whose options
    model is not in the key)."""
    from .errors import ConfigError
    from .notifiers import BUILTIN_NOTIFIERS, notifier_routes

    tables = settings.notifiers
    for label, table in tables.items():
        if not isinstance(table, dict) or table.get("type", label) not in BUILTIN_NOTIFIERS:
            return None
    try:
        routes = notifier_routes(tables, config_file=settings.source)
    except ConfigError:
        return None
    return [[label, None if kinds is None else sorted(kinds)] for label, kinds in routes]


def _encode(value: Any) -> Any:
    from dataclasses import fields, is_dataclass
    from datetime import date
    from pathlib import Path

    from pydantic import BaseModel, SecretBytes, SecretStr

    if isinstance(value, BaseModel):
        return {
            "$model": type(value).__name__,
            **{k: _encode(getattr(value, k)) for k in type(value).model_fields},
        }
    if is_dataclass(value) and not isinstance(value, type):
        return {
            "$dataclass": type(value).__name__,
            **{f.name: _encode(getattr(value, f.name)) for f in fields(value)},
        }
    if isinstance(value, SecretStr | SecretBytes):
        raise _Uncacheable
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, date):
        if type(value) is not date:
            raise _Uncacheable  # a datetime: not in the schema today; kept out rather than guessed
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {"$dict": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"$" + type(value).__name__: [_encode(v) for v in value]}
    if isinstance(value, str) and "://" in value and _url_password(value):
        raise _Uncacheable
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise _Uncacheable


def _url_password(url: str) -> bool:
    """Whether a URL carries a password (``user:secret@host`` or ``?password=``)."""
    userinfo = url.partition("://")[2].partition("/")[0].rpartition("@")[0]
    return ":" in userinfo or "password=" in url.lower()


# --- reading (no pydantic) -------------------------------------------------------------------------


class _Section:
    """A section of the settings, restored: its fields as attributes. The methods both forms
    share are settings_methods.py's mixins (below); any other method of its model runs on it,
    from config.py, when one is called."""

    _model = "Settings"

    def __init__(self, fields: dict[str, Any], model: str | None = None) -> None:
        # A path field stays text until it is read (then a pathlib.Path, as the model's): a
        # command that only opens the store reads it as text (path_text), and pathlib is
        # ~5 ms of a command's start (issue #20).
        self._paths = {k: v.text for k, v in fields.items() if isinstance(v, _PathText)}
        self.__dict__.update((k, v) for k, v in fields.items() if k not in self._paths)
        self._fields = tuple(fields)
        if model is not None:
            self._model = model

    def path_text(self, name: str) -> str | None:
        """A path field as text, without making its Path; None when it is unset."""
        if name in self._paths:
            return self._paths[name]
        value = getattr(self, name)
        return None if value is None else os.fspath(value)

    def __getattr__(self, name: str) -> Any:
        # For a path field not read yet, and what is not a field: a method of the model
        # (which imports pydantic, once).
        if name.startswith("__"):
            raise AttributeError(name)
        paths = self.__dict__.get("_paths")
        if paths is not None and name in paths:
            value = self.__dict__[name] = as_path(paths[name])
            return value
        from . import config

        method = getattr(getattr(config, self._model, None), name, None)
        if not callable(method) or isinstance(method, type):
            raise AttributeError(f"{self._model!r} restored from the cache has no {name!r}")
        return method.__get__(self)

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        """As pydantic's ``model_dump(mode="json")`` (what plan_fingerprint hashes)."""
        return {
            name: self.path_text(name) if name in self._paths else _dump(getattr(self, name))
            for name in self._fields
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self._fields)})"


# _Section first: its path_text is the one that leaves the path as text.
class _ClosureSection(_Section, ClosureMethods):
    pass


class _MeSection(_Section, MeMethods):
    pass


class _StoreSection(_Section, StoreMethods):
    pass


_SECTIONS: dict[str, type[_Section]] = {
    "ClosureSettings": _ClosureSection,
    "MeSettings": _MeSection,
    "StoreSettings": _StoreSection,
}


class RestoredSettings(SettingsMethods, _Section):
    """``Settings`` as kept by the cache; the notifier tables are read from the file when asked
    for, and the presets decoded when first read: only a case with a preset, ``add --preset``
    and ``presets`` read them, and their classes (presets.py) take a command ~3 ms to import."""

    def __init__(
        self,
        fields: dict[str, Any],
        source: str | None,
        text: str | None,
        doc: dict[str, Any],
        presets: dict[str, Any],
    ) -> None:
        super().__init__(fields)
        self._fields = tuple(doc["settings"])  # in the model's order, with the presets
        self._kept_presets = presets
        self._presets: dict[str, Any] | None = None
        self._source = source
        self._text = text
        self._has_notifiers = bool(doc.get("has_notifiers"))
        self._routes = doc.get("routes")
        self.secret_env: tuple[str, ...] = tuple(doc.get("secret_env", ()))
        self._notifiers: dict[str, dict[str, Any]] | None = None

    @property
    def source(self) -> Path | None:
        return None if self._source is None else as_path(self._source)

    @property
    def notifiers(self) -> dict[str, dict[str, Any]]:
        if self._notifiers is None:
            tables: Any = {}
            if self._has_notifiers and self._text is not None:
                import tomllib

                tables = tomllib.loads(self._text).get("notifiers", {})
            self._notifiers = {str(k): dict(v) for k, v in tables.items()}
        return self._notifiers

    def kept_notifier_routes(self) -> list[tuple[str, frozenset[str] | None]] | None:
        if self._routes is None:
            return None
        return [(str(label), None if kinds is None else frozenset(kinds)) for label, kinds in self._routes]

    @property
    def presets(self) -> dict[str, Any]:
        if self._presets is None:
            self._presets = _decode(self._kept_presets)
        return self._presets


def _restore(doc: Any, location: ConfigLocation, text: str | None) -> RestoredSettings | None:
    # Kept in marshal's format, not JSON: it is built in, where importing json costs `list` and
    # `status` ~2 ms. The file is reminder's own, in the user's 0700 cache directory, as trusted as a .pyc.
    try:
        if doc.get("format") != CACHE_FORMAT:
            return None
        fields = {k: _decode(v) for k, v in doc["settings"].items() if k != "presets"}
        presets = doc["settings"]["presets"]
        # Decoded later (RestoredSettings.presets), so their shape is checked now.
        if not all(
            isinstance(v, dict) and v.get("$dataclass") == "Preset" for v in presets["$dict"].values()
        ):
            return None
        if not _routes_ok(doc.get("routes")):  # read by every command that plans
            return None
    except (ValueError, EOFError, KeyError, TypeError, AttributeError):
        return None  # a damaged or foreign file: validate again, and overwrite it
    return RestoredSettings(fields, location.path if location.exists else None, text, doc, presets)


def _routes_ok(routes: Any) -> bool:
    """Whether ``routes`` is what :func:`_routes` writes: None, or ``[label, kinds or None]`` pairs."""
    if routes is None:
        return True
    return isinstance(routes, list) and all(
        isinstance(r, list)
        and len(r) == 2
        and isinstance(r[0], str)
        and (r[1] is None or (isinstance(r[1], list) and all(isinstance(k, str) for k in r[1])))
        for r in routes
    )


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "$model" in value:
        cls = _SECTIONS.get(value["$model"], _Section)
        fields = {k: _field(v) for k, v in value.items() if k != "$model"}
        return cls(fields, str(value["$model"]))
    if "$dataclass" in value:
        from . import presets

        klass = {"Preset": presets.Preset, "PresetStep": presets.PresetStep}[value["$dataclass"]]
        return klass(**{k: _decode(v) for k, v in value.items() if k != "$dataclass"})
    if "$path" in value:
        from pathlib import Path

        return Path(value["$path"])
    if "$date" in value:
        from datetime import date

        return date.fromisoformat(value["$date"])
    if "$dict" in value:
        return {k: _decode(v) for k, v in value["$dict"].items()}
    if "$list" in value:
        return [_decode(v) for v in value["$list"]]
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    raise ValueError(f"unknown cache entry {sorted(value)}")


def _field(value: Any) -> Any:
    """A section's field decoded; a path stays text, for the section to make a Path of when read."""
    if isinstance(value, dict) and "$path" in value:
        return _PathText(str(value["$path"]))
    return _decode(value)


class _PathText:
    """A kept path, until its section holds it (see _Section)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _dump(value: Any) -> Any:
    """A restored value as pydantic's JSON mode gives it."""
    from datetime import date

    if isinstance(value, _Section):
        return value.model_dump(mode="json")
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value
