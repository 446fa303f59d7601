"""The ``desktop`` notifier: desktop-notifier over D-Bus (org.freedesktop.Notifications).

desktop-notifier never raises: with no bus or no notification server it logs a
warning and still returns an id. So a send counts as delivered only when the
notification's ``on_dispatched`` callback fires (within ``timeout`` seconds);
otherwise the warning it logged is captured and becomes the failure's detail.

The library is asyncio-based and the daemon is not, so each batch runs in a
private event loop with its own bus connection. Finding the session bus and asking it
for a notification server is ``session_bus.py``'s job.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydantic import Field, field_validator

from .. import delivery_errors as said
from ..delivery_errors import english, translated
from ..i18n import _
from ..models import Message
from .base import DELIVERY_FAILURE, DeliveryResult, Notifier, NotifierOptions, OnResult, Problem, known_kinds
from .catalogue import DESKTOP_SUMMARY, desktop_environment
from .session_bus import DEFAULT_TIMEOUT, NO_BUS, NO_SERVER, NOTIFICATIONS, check, find_session_bus, run

__all__ = ["DesktopNotifier", "DesktopOptions", "find_session_bus"]

log = logging.getLogger(__name__)

DEFAULT_CRITICAL_KINDS = ["deadline", "escalation"]
_BODY_LIMIT = 600
# asyncio is imported where used: parsing [notifiers.desktop] at start-up should not pay for it.
# os.environ is process-wide: one batch at a time may point it at the bus.
_ENV_LOCK = threading.Lock()


class DesktopOptions(NotifierOptions):
    """``[notifiers.desktop]``."""

    app_name: str = "reminder"
    # Seconds to wait for the notification server to take a notification.
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    # Seconds the notification stays on screen; -1 = the server's default.
    expire: int = Field(default=-1, ge=-1)
    # Kinds shown as critical (at and after the deadline, by default).
    critical_kinds: list[str] = Field(default_factory=lambda: list(DEFAULT_CRITICAL_KINDS))

    @field_validator("critical_kinds")
    @classmethod
    def _known_critical_kinds(cls, value: list[str]) -> list[str]:
        return known_kinds(value)


@contextmanager
def _bus_env(address: str) -> Iterator[None]:
    with _ENV_LOCK:
        before = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
            else:
                os.environ["DBUS_SESSION_BUS_ADDRESS"] = before


class _Capture(logging.Handler):
    """Keeps the warnings desktop-notifier logs instead of raising."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> logging.LogRecord | None:
        record = self.records[-1] if self.records else None
        self.records.clear()
        return record


def _explain(record: logging.LogRecord | None, address: str) -> tuple[str, Problem]:
    if record is None:
        return english(said.NOT_TAKEN), "error"
    exc = record.exc_info[1] if record.exc_info else None
    if exc is None:
        return record.getMessage(), "error"
    name = getattr(exc, "type", None)  # dbus_fast.errors.DBusError carries the D-Bus error name
    if name in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"):
        return english(NO_SERVER, name=NOTIFICATIONS, address=address), "no-server"
    if isinstance(exc, OSError):
        return english(NO_BUS, address=address, why=exc.strerror or exc), "no-bus"
    if type(exc).__name__ == "InvalidAddressError":
        return english(said.INVALID_BUS_ADDRESS, address=repr(address), why=exc), "config"
    if type(exc).__name__ == "AuthError":
        return english(said.BUS_REFUSED, address=address, why=exc), "no-bus"
    return f"{type(exc).__name__}: {exc}", "error"


class DesktopNotifier(Notifier):
    """Shows reminders as desktop notifications."""

    name = "desktop"
    Options = DesktopOptions
    summary = DESKTOP_SUMMARY

    @property
    def opts(self) -> DesktopOptions:
        assert isinstance(self.options, DesktopOptions)
        return self.options

    def _urgency(self, message: Message) -> str:
        if message.kind in self.opts.critical_kinds:
            return "critical"
        return message.urgency

    @staticmethod
    def _body(message: Message) -> str:
        # A notification is read in a glance: the message's short form (what is due, days left,
        # the next step, the warning), not the e-mail, which servers cut off after a few lines.
        if message.short:
            return message.short
        text = message.text.strip()
        if len(text) <= _BODY_LIMIT:
            return text
        return text[: _BODY_LIMIT - 1].rsplit("\n", 1)[0] + "\n…"

    @classmethod
    def environment(cls) -> tuple[bool, str]:
        return desktop_environment()

    def availability(self) -> tuple[bool, str]:
        return check(self.opts.timeout)

    def send(self, message: Message) -> DeliveryResult:
        return self.send_batch([message])[0]

    def send_batch(
        self, messages: Sequence[Message], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        if not messages:
            return []
        if on_result is not None:
            # One bus session per message (send), so each outcome is known, and committed, before the next.
            return super().send_batch(messages, on_result)
        if platform.system() != "Linux":
            return run(self._send_all(messages, "the system notification center"))
        address, why = find_session_bus()
        if address is None:
            log.warning("desktop %s: %s", self.label, why, extra=DELIVERY_FAILURE)
            return [DeliveryResult.failure(why, problem="no-bus") for _message in messages]
        with _bus_env(address):
            return run(self._send_all(messages, address))

    async def _send_all(self, messages: Sequence[Message], address: str) -> list[DeliveryResult]:
        import asyncio

        from desktop_notifier import DesktopNotifier as Backend
        from desktop_notifier import Notification, Urgency

        opts = self.opts
        capture = _Capture()
        library_log = logging.getLogger("desktop_notifier")
        library_log.addHandler(capture)
        # Its warnings (with tracebacks) become our one-line detail instead of reaching stderr.
        propagate, library_log.propagate = library_log.propagate, False
        backend = Backend(app_name=opts.app_name, app_icon=None)
        results: list[DeliveryResult] = []
        try:
            for i, message in enumerate(messages):
                dispatched = asyncio.Event()
                notification = Notification(
                    title=message.subject,
                    message=self._body(message),
                    urgency=Urgency(self._urgency(message)),
                    on_dispatched=dispatched.set,
                    timeout=opts.expire,
                )
                try:
                    await asyncio.wait_for(backend.send_notification(notification), opts.timeout)
                except TimeoutError:
                    # A server that hangs once will hang again: fail the rest now.
                    detail = english(said.DESKTOP_TIMEOUT, seconds=f"{opts.timeout:g}")
                    log.warning("desktop %s: %s", self.label, detail, extra=DELIVERY_FAILURE)
                    results.extend(
                        DeliveryResult.failure(detail, problem="timeout") for _message in messages[i:]
                    )
                    break
                if dispatched.is_set():
                    capture.take()
                    results.append(DeliveryResult.success(_("dispatched to %(address)s", address=address)))
                else:
                    detail, problem = _explain(capture.take(), address)
                    log.warning("desktop %s: %s", self.label, detail, extra=DELIVERY_FAILURE)
                    results.append(DeliveryResult.failure(detail, problem=problem))
        finally:
            library_log.removeHandler(capture)
            library_log.propagate = propagate
            bus = getattr(getattr(backend, "_backend", None), "bus", None)
            if bus is not None:
                bus.disconnect()
        return results

    def describe(self) -> dict[str, object]:
        address, why = find_session_bus()
        return {**super().describe(), "bus": address or translated(why)}
