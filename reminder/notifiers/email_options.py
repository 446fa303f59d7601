"""``[notifiers.email]``: the e-mail notifier's options, their defaults and the checks they get.

:class:`EmailOptions` is what a table is validated into (``reminder config check``, ``reminder
notifiers`` and the daemon build it before anything is sent): the server (``host``, ``port``,
``security``), the account (``username``, ``password_env`` / ``password_file``; never the password
itself), the envelope (``sender``, ``recipients``), the waits (``timeout``, ``exchange_timeout``),
TLS (``tls_verify``, ``ca_file``) and ``connections``. It names the password's file or variable
and the CA file; the notifier (``email.py``) reads the one and checks that the other exists,
relative to the config file. Unencrypted SMTP (``security = "none"``) is allowed only to a relay
on this machine (:func:`is_loopback`).
"""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..i18n import _
from .base import NotifierOptions

__all__ = [
    "DEFAULT_CONNECTIONS",
    "DEFAULT_EXCHANGE_TIMEOUT",
    "DEFAULT_PORTS",
    "DEFAULT_TIMEOUT",
    "LOOPBACK_CONNECTIONS",
    "MAX_CONNECTIONS",
    "EmailOptions",
    "Security",
    "is_loopback",
]

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_TIMEOUT = 30.0
# A whole exchange: generous for a slow server (a greylisting relay, a big message on a poor
# line), short enough that a server trickling its answer costs a minute, then a retry.
DEFAULT_EXCHANGE_TIMEOUT = 60.0
# SMTP connections a large batch (a catch-up after downtime) may use at once. Each message costs
# a few round trips that wait on the server; several connections overlap those waits. Small
# enough for providers' limits on concurrent connections (Gmail allows ~10 per account).
DEFAULT_CONNECTIONS = 4
# A relay on this machine has no such limit, and with twice the connections the server always
# has a command to work on: a catch-up of 10,000 to a loopback aiosmtpd took 12.6-13.5 s
# instead of 13.6-14.7 s (benchmarks/daemon.py, alternating runs). 16 was slower than 8.
LOOPBACK_CONNECTIONS = 8
MAX_CONNECTIONS = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _address(value: str) -> str:
    _name, addr = parseaddr(value)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@") or " " in addr:
        raise ValueError(
            _("%(value)s is not an e-mail address (expected name@example.com)", value=repr(value))
        )
    return value


class EmailOptions(NotifierOptions):
    """``[notifiers.email]``."""

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    exchange_timeout: float = Field(default=DEFAULT_EXCHANGE_TIMEOUT, gt=0)
    tls_verify: bool = True
    ca_file: Path | None = None
    connections: int | None = Field(default=None, ge=1, le=MAX_CONNECTIONS)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]

    @model_validator(mode="before")
    @classmethod
    def _no_inline_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                _(
                    "password: the password does not go in the config file; "
                    "set password_env (an environment variable) or password_file (a chmod 600 file)"
                )
            )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> EmailOptions:
        if self.security == "none" and not is_loopback(self.host):
            raise ValueError(
                _(
                    'security = "none" sends mail unencrypted; it is only allowed for a loopback relay '
                    "(localhost, 127.0.0.1, ::1), not %(host)s: use starttls or tls",
                    host=repr(self.host),
                )
            )
        if self.password_env and self.password_file:
            raise ValueError(_("set password_env or password_file, not both"))
        if (self.password_env or self.password_file) and not self.username:
            raise ValueError(_("a password needs a username"))
        return self

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def effective_connections(self) -> int:
        if self.connections is not None:
            return self.connections
        return LOOPBACK_CONNECTIONS if is_loopback(self.host) else DEFAULT_CONNECTIONS
