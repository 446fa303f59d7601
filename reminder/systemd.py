"""Everything reminder knows about systemd: the user unit and the sd_notify protocol.

``reminder service install`` renders ``config/reminder.service`` (shipped in the
package as ``reminder/data/reminder.service``) with ``ExecStart`` pointing at the
installed ``reminder``, writes it to ``~/.config/systemd/user/reminder.service``
and, where a user manager runs, enables and starts it. Elsewhere it says what to
run. :func:`notify` speaks the ``Type=notify`` protocol (READY, STOPPING,
WATCHDOG) without linking libsystemd: it is one datagram on a Unix socket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from .childenv import child_environ
from .files import private_dir, write_file_atomic
from .i18n import LOCALE_VARIABLES
from .lazylog import get_logger
from .paths import CONFIG_ENV, ENV_PREFIX, user_config_path

__all__ = [
    "ServiceStatus",
    "environment_file",
    "install",
    "notify",
    "render_unit",
    "status",
    "systemd_available",
    "uninstall",
    "unit_path",
    "watchdog_interval",
]

log = get_logger(__name__)

UNIT_NAME = "reminder.service"
ENVIRONMENT_FILE_NAME = "service.env"


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to the service manager; False when not run by systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.debug("sd_notify %s failed: %s", state, exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec), or None when no watchdog is set."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2_000_000
    except ValueError:
        return None


def unit_path() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "systemd" / "user" / UNIT_NAME


def _executable() -> str:
    """The installed ``reminder`` next to this interpreter, else on PATH, else ``python -m reminder``."""
    beside = Path(sys.executable).with_name("reminder")
    if beside.exists():
        return str(beside)
    found = shutil.which("reminder")
    if found:
        return found
    return f"{sys.executable} -m reminder"


def environment_file() -> Path:
    """The unit's ``EnvironmentFile=``: ``$XDG_CONFIG_HOME/reminder/service.env``."""
    return user_config_path().parent / ENVIRONMENT_FILE_NAME


def _specifiers(text: str) -> str:
    # systemd expands %-specifiers and $VARIABLES in unit settings: a literal one is doubled.
    return text.replace("%", "%%").replace("$", "$$")


def _quote(arg: str) -> str:
    """One ExecStart argument, quoted the way systemd splits its command lines."""
    text = _specifiers(arg)
    if text and not any(c in text for c in " \t\n\"'\\;"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Where reminder keeps its database, evidence key and caches, when the person installing the
# unit keeps them elsewhere than the default: the service must use the same ones.
DIRECTORY_VARIABLES = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


def _directories(environ: Mapping[str, str], names: tuple[str, ...] = DIRECTORY_VARIABLES) -> str:
    """``Environment=`` lines for :data:`DIRECTORY_VARIABLES` (or ``names``) set in ``environ``
    ("" for none).

    A service does not see the shell's variables: without them its daemon would open another
    database, an empty one, and another evidence key, and nothing would say so."""
    lines = []
    for name in names:
        value = environ.get(name)
        if not value:
            continue
        # No $-expansion in Environment= (unlike ExecStart=), only %-specifiers.
        text = f"{name}={value}".replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'Environment="{text}"')
    return "".join(line + "\n" for line in lines)


def render_unit(
    exec_start: str | None = None,
    config_path: Path | None = None,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    template = resources.files("reminder").joinpath("data/reminder.service").read_text(encoding="utf-8")
    command = exec_start or _executable()
    if config_path is not None:
        command += f" --config {_quote(str(config_path))}"
    return (
        template.replace("@EXEC_START@", command)
        .replace("@ENVIRONMENT_FILE@", _specifiers(str(env_file or environment_file())))
        .replace("@DIRECTORIES@\n", _directories(os.environ if environ is None else environ))
        # The language the installer reads reminder in, when [defaults] language does not say
        # it: without these the daemon wrote the reminders in the user manager's language (often
        # the system's English) to a person whose every command answered in Chinese.
        .replace("@LANGUAGE@\n", _directories(os.environ if environ is None else environ, LOCALE_VARIABLES))
    )


def systemd_available() -> bool:
    """Whether a systemd user manager answers here."""
    if shutil.which("systemctl") is None:
        return False
    try:
        proc = subprocess.run(
            ["systemctl", "--user", "is-system-running"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            env=child_environ(),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    # Prints "running"/"degraded" etc.; "offline" or a connection error means no user manager.
    return proc.stdout.strip() not in ("", "offline") and "Failed to connect" not in proc.stderr


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    unit_path: Path
    installed: bool
    systemd: bool
    active: str | None = None
    enabled: str | None = None
    commands: list[str] = field(default_factory=list)
    config_path: Path | None = None  # the config the unit's daemon reads (--config)
    environment_file: Path | None = None  # the unit's EnvironmentFile=
    notes: list[str] = field(default_factory=list)  # what the user still has to do
    errors: list[str] = field(default_factory=list)  # systemctl commands that failed


def _systemctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemctl", "--user", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=child_environ(),  # without any notifier's secret
    )


def install(
    config_path: Path | None = None,
    *,
    start: bool = True,
    notifier_tables: Mapping[str, object] | None = None,
) -> ServiceStatus:
    """Write the unit; enable and start it where a user manager runs, else say what to run.

    ``config_path`` is the config file in use (``--config`` or ``$REMINDER_CONFIG`` or the
    user's): the unit passes it on, since a service sees neither the flag nor the variable.
    Nor does it see the variable a notifier's ``password_env`` names: ``notes`` says which
    ones go in the unit's environment file (or to use ``password_file``).
    """
    path = unit_path()
    env_file = environment_file()
    config = config_path.expanduser().resolve() if config_path is not None else None
    private_dir(path.parent)
    write_file_atomic(path, render_unit(config_path=config, env_file=env_file).encode("utf-8"))
    notes = _environment_notes(env_file, notifier_tables or {})
    commands = ["systemctl --user daemon-reload", "systemctl --user enable --now reminder.service"]
    if start and systemd_available():
        errors = []
        for cmd in commands:
            proc = _systemctl(*cmd.split()[2:])
            if proc.returncode != 0:
                errors.append(f"{cmd} failed: {proc.stderr.strip() or f'exit status {proc.returncode}'}")
                break
        return replace(status(), config_path=config, environment_file=env_file, notes=notes, errors=errors)
    return ServiceStatus(
        unit_path=path,
        installed=True,
        systemd=False,
        commands=commands,
        config_path=config,
        environment_file=env_file,
        notes=notes,
    )


def _environment_notes(env_file: Path, tables: Mapping[str, object]) -> list[str]:
    """What the service will miss from this shell's environment, and where to put it."""
    try:
        defined = {
            line.split("=", 1)[0].strip()
            for line in env_file.read_text(encoding="utf-8").splitlines()
            if "=" in line and not line.lstrip().startswith("#")
        }
    except (OSError, ValueError):
        defined = set()
    notes = []
    try:
        if env_file.stat().st_mode & 0o077:
            notes.append(f"{env_file} holds secrets but others can read it: chmod 600 {env_file}")
    except OSError:
        pass
    for label, table in tables.items():
        if not isinstance(table, Mapping):
            continue
        for key, name in table.items():
            if not (str(key).endswith("_env") and isinstance(name, str)) or name in defined:
                continue
            notes.append(
                f"notifiers.{label}.{key} = {name!r}: the service does not see this shell's variables; "
                f"put {name}=… in {env_file} (one NAME=value per line, chmod 600), or set password_file "
                "(a chmod 600 file holding only the password) instead"
            )
    overrides = sorted(n for n in os.environ if n.startswith(ENV_PREFIX) and n != CONFIG_ENV)
    notes += [
        f"${n} is set here but not for the service: put it in {env_file} or the config file"
        for n in overrides
        if n not in defined
    ]
    return notes


def uninstall() -> ServiceStatus:
    path = unit_path()
    commands = ["systemctl --user disable --now reminder.service", "systemctl --user daemon-reload"]
    has_systemd = systemd_available()
    if has_systemd and path.exists():
        _systemctl("disable", "--now", UNIT_NAME)
    if path.exists():
        path.unlink()
    if has_systemd:
        _systemctl("daemon-reload")
        commands = []
    return ServiceStatus(unit_path=path, installed=False, systemd=has_systemd, commands=commands)


def status() -> ServiceStatus:
    path = unit_path()
    if not systemd_available():
        return ServiceStatus(
            unit_path=path,
            installed=path.exists(),
            systemd=False,
            # Whether the unit runs is the user manager's to say: where to ask it.
            commands=[f"systemctl --user status {UNIT_NAME}"]
            if path.exists()
            else ["reminder service install"],
        )
    active = _systemctl("is-active", UNIT_NAME).stdout.strip() or None
    enabled = _systemctl("is-enabled", UNIT_NAME).stdout.strip() or None
    return ServiceStatus(
        unit_path=path, installed=path.exists(), systemd=True, active=active, enabled=enabled
    )
