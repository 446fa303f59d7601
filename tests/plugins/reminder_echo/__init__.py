"""A third-party notifier package for tests: registers ``echo`` via the ``reminder.notifiers`` group."""

from __future__ import annotations

from reminder.models import Message
from reminder.notifiers.base import DeliveryResult, Notifier, NotifierOptions

__all__ = ["SENT", "EchoNotifier", "EchoOptions"]

SENT: list[tuple[str, str]] = []


class EchoOptions(NotifierOptions):
    prefix: str = "echo"


class EchoNotifier(Notifier):
    """Records every message in ``SENT``; fails for subjects containing "fail"."""

    name = "echo"
    Options = EchoOptions
    summary = "test plugin"

    def send(self, message: Message) -> DeliveryResult:
        if "fail" in message.subject:
            return DeliveryResult.failure("echo refused", problem="rejected", retryable=False)
        assert isinstance(self.options, EchoOptions)
        SENT.append((self.label, f"{self.options.prefix}:{message.key}"))
        return DeliveryResult.success()
