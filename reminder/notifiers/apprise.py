"""The ``apprise`` notifier: any apprise URL (ntfy, Telegram, Matrix, Slack, a JSON webhook, …).

Needs the optional extra ``reminder[apprise]``; apprise is imported only when a
message is sent or availability is checked (it costs ~150 ms). apprise does not
raise either: ``notify()`` returns a result that is read here, and the warnings
apprise logs while sending become the failure's detail.

apprise URLs usually carry tokens, so they are treated as secrets: redacted in
``describe()``, never logged, and a warning is logged when the config file that
holds them is readable by other users. With several URLs, a message counts as
delivered when every URL took it; a retry goes only to the URLs that failed.
"""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, field_validator

from .. import delivery_errors as said
from ..delivery_errors import english
from ..i18n import _
from ..models import Message
from .base import (
    DELIVERY_FAILURE,
    Clock,
    DeliveryResult,
    Notifier,
    NotifierContext,
    NotifierOptions,
    OnResult,
    Problem,
)
from .catalogue import APPRISE_INSTALL_HINT as INSTALL_HINT
from .catalogue import APPRISE_SUMMARY, apprise_environment

if TYPE_CHECKING:
    from apprise import Apprise

__all__ = ["AppriseNotifier", "AppriseOptions", "redact_url"]

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_MAX_REMEMBERED = 10_000


def redact_url(url: str) -> str:
    """``scheme://…`` — enough to tell URLs apart in output without showing tokens."""
    match = _SCHEME.match(url)
    return f"{match.group(0)}…" if match else "…"


class AppriseOptions(NotifierOptions):
    """``[notifiers.apprise]``: ``urls`` (a list of apprise URLs), ``timeout`` per service."""

    urls: list[SecretStr] = Field(min_length=1)
    timeout: float | None = Field(default=None, gt=0)

    @field_validator("urls")
    @classmethod
    def _looks_like_urls(cls, value: list[SecretStr]) -> list[SecretStr]:
        for i, url in enumerate(value):
            if not _SCHEME.match(url.get_secret_value()):
                raise ValueError(_("urls[%(i)d] is not an apprise URL (scheme://…)", i=i))
        return value


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _problem(detail: str) -> Problem:
    lowered = detail.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return "timeout"
    if "connection" in lowered or "name resolution" in lowered:
        return "connection"
    return "rejected"


class AppriseNotifier(Notifier):
    """Sends reminders through apprise."""

    name = "apprise"
    Options = AppriseOptions
    summary = APPRISE_SUMMARY

    def __init__(
        self,
        options: NotifierOptions,
        *,
        label: str | None = None,
        clock: Clock | None = None,
        context: NotifierContext | None = None,
    ) -> None:
        super().__init__(options, label=label, clock=clock, context=context)
        # (message key, url index) already delivered, so a retry skips them.
        self._delivered: set[tuple[str, int]] = set()
        config = self.context.config_file
        try:
            mode = config.stat().st_mode if config is not None else 0
        except OSError:
            mode = 0
        if config is not None and mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning(
                "%s holds apprise URLs (which carry tokens) and is readable by other users: chmod 600 %s",
                config,
                config,
            )

    @property
    def opts(self) -> AppriseOptions:
        assert isinstance(self.options, AppriseOptions)
        return self.options

    def _urls(self) -> list[str]:
        return [u.get_secret_value() for u in self.opts.urls]

    def _build(self, url: str) -> Apprise | None:
        import apprise

        kwargs: dict[str, Any] = {"app_id": "reminder", "app_desc": "reminder"}
        asset = apprise.AppriseAsset(**kwargs)
        client = apprise.Apprise(asset=asset)
        return client if client.add(url) else None

    @classmethod
    def environment(cls) -> tuple[bool, str]:
        return apprise_environment()

    def availability(self) -> tuple[bool, str]:
        installed, why = self.environment()
        if not installed:
            return False, why
        invalid = [
            f"urls[{i}] ({redact_url(u)})" for i, u in enumerate(self._urls()) if self._build(u) is None
        ]
        if invalid:
            return False, _("apprise does not accept %(urls)s", urls=", ".join(invalid))
        return True, ""

    def send(self, message: Message) -> DeliveryResult:
        try:
            import apprise
        except ImportError:
            return DeliveryResult.failure(english(INSTALL_HINT), problem="config", retryable=False)
        notify_type = {
            "low": apprise.NotifyType.INFO,
            "normal": apprise.NotifyType.WARNING,
            "critical": apprise.NotifyType.FAILURE,
        }[message.urgency]
        failures: list[tuple[str, Problem, bool]] = []
        for i, url in enumerate(self._urls()):
            if (message.key, i) in self._delivered:
                continue
            client = self._build(url)
            if client is None:
                failures.append(
                    (f"urls[{i}] ({redact_url(url)}) is not a valid apprise URL", "config", False)
                )
                continue
            capture = _Capture()
            library_log = logging.getLogger("apprise")
            library_log.addHandler(capture)
            # Its warnings become our one-line detail instead of reaching stderr.
            propagate, library_log.propagate = library_log.propagate, False
            try:
                kwargs: dict[str, Any] = {}
                if self.opts.timeout is not None:
                    kwargs["timeout"] = self.opts.timeout
                ok = bool(
                    client.notify(
                        body=message.text,
                        title=message.subject,
                        notify_type=notify_type,
                        body_format=apprise.NotifyFormat.TEXT,
                        **kwargs,
                    )
                )
            except Exception as exc:  # a plugin bug must not take the daemon down
                ok = False
                capture.messages.append(f"{type(exc).__name__}: {exc}")
            finally:
                library_log.removeHandler(capture)
                library_log.propagate = propagate
            if ok:
                self._remember(message.key, i)
                continue
            why = capture.messages[-1] if capture.messages else english(said.APPRISE_FAILED)
            failures.append((f"urls[{i}] ({redact_url(url)}): {why}", _problem(why), True))
        if not failures:
            return DeliveryResult.success(_("sent to %(n)d URL(s)", n=len(self.opts.urls)))
        detail = "; ".join(f for f, _p, _r in failures)
        log.warning("apprise %s: %s", self.label, detail, extra=DELIVERY_FAILURE)
        return DeliveryResult.failure(
            detail, problem=failures[0][1], retryable=any(r for _f, _p, r in failures)
        )

    def _remember(self, key: str, index: int) -> None:
        if len(self._delivered) >= _MAX_REMEMBERED:
            self._delivered.clear()
        self._delivered.add((key, index))

    def send_batch(
        self, messages: Sequence[Message], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        return super().send_batch(messages, on_result)

    def describe(self) -> dict[str, object]:
        data = super().describe()
        data["urls"] = [redact_url(u) for u in self._urls()]
        return data
