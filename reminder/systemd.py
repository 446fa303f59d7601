"""Everything reminder knows about systemd: the user unit and the sd_notify protocol.

``reminder service install`` renders ``config/reminder.service`` (shipped in the
package as ``reminder/data/reminder.service``) with ``ExecStart`` pointing at the
installed ``reminder``, writes it to ``~/.config/systemd/user/reminder.service``
and, where a user manager runs, enables and starts it. Elsewhere it says what to
run. :func:`notify` speaks the ``Type=notify`` protocol (READY, STOPPING,
WATCHDOG) without linking libsystemd: it is one datagram on a Unix socket.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

__all__ = [
    "ServiceStatus",
    "install",
    "notify",
    "render_unit",
    "status",
    "systemd_available",
    "uninstall",
    "unit_path",
    "watchdog_interval",
]

log = logging.getLogger(__name__)

UNIT_NAME = "reminder.service"


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


def render_unit(exec_start: str | None = None, config_path: Path | None = None) -> str:
    template = resources.files("reminder").joinpath("data/reminder.service").read_text(encoding="utf-8")
    command = exec_start or _executable()
    if config_path is not None:
        command += f" --config {config_path}"
    return template.replace("@EXEC_START@", command)


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


def _systemctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemctl", "--user", *args], capture_output=True, text=True, timeout=30, check=False
    )


def install(config_path: Path | None = None, *, start: bool = True) -> ServiceStatus:
    """Write the unit; enable and start it where a user manager runs, else say what to run."""
    path = unit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render_unit(config_path=config_path), encoding="utf-8")
    os.replace(tmp, path)
    commands = ["systemctl --user daemon-reload", "systemctl --user enable --now reminder.service"]
    if start and systemd_available():
        for cmd in commands:
            proc = _systemctl(*cmd.split()[2:])
            if proc.returncode != 0:
                log.warning("%s failed: %s", cmd, proc.stderr.strip())
        return status()
    return ServiceStatus(unit_path=path, installed=True, systemd=False, commands=commands)


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
            commands=[] if path.exists() else ["reminder service install"],
        )
    active = _systemctl("is-active", UNIT_NAME).stdout.strip() or None
    enabled = _systemctl("is-enabled", UNIT_NAME).stdout.strip() or None
    return ServiceStatus(
        unit_path=path, installed=path.exists(), systemd=True, active=active, enabled=enabled
    )
