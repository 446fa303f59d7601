"""The notifier interface: what every channel (built-in or plugin) implements.

A notifier is built once from its ``[notifiers.<name>]`` table (validated by its
pydantic ``Options`` model — bad options raise :class:`~reminder.errors.ConfigError`
at load time), then asked to ``send`` messages. ``send`` never raises for a
delivery failure: it returns a :class:`DeliveryResult` saying what went wrong and
whether a retry could help, so one broken channel never holds the others back.
Every wait a send makes should be bounded by a timeout of the notifier's own; when the
daemon stops it waits only a few seconds, then calls :meth:`Notifier.cancel`, then
abandons the send (see ``daemon_stop.py``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, field_validator

from ..i18n import LANGUAGES, _, joined, language_error, normalise_language
from ..models import REMINDER_KINDS, Message

__all__ = [
    "DELIVERY_FAILURE",
    "PROBLEMS",
    "Clock",
    "DeliveryResult",
    "Notifier",
    "NotifierContext",
    "NotifierOptions",
    "OnResult",
    "Problem",
    "known_kinds",
    "utc_now",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Told each message's outcome as soon as it is known: (index in the batch, result).
OnResult = Callable[[int, "DeliveryResult"], None]

# What kind of problem a failed delivery had, so `notify test` can name it.
Problem = Literal[
    "",
    "config",
    "dns",
    "connection",
    "timeout",
    "tls",
    "auth",
    "recipient",
    "no-bus",  # no D-Bus session bus to talk to
    "no-server",  # a bus, but no notification server on it
    "rejected",
    "error",
]
PROBLEMS: tuple[str, ...] = tuple(p for p in get_args(Problem) if p)


# `extra=` for the log line of a failed delivery: the caller reports the failure itself
# (`notify test` prints it), so a front end may filter these out to avoid saying it twice.
DELIVERY_FAILURE: dict[str, object] = {"delivery_failure": True}


# Messages the default ``send_stream`` takes at a time: enough to share a batch's set-up (a
# file opened, a bus connected), few enough that a stop waits for little.
STREAM_BATCH = 25


def utc_now() -> datetime:
    """The default clock: the current time in UTC (aware)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of one send.

    ``retryable`` is False when retrying cannot help (authentication refused, a
    password variable not set): the outbox then marks the delivery failed at once.
    ``problem`` classifies a failure (``"dns"``, ``"tls"``, ``"auth"``, …).
    """

    ok: bool
    detail: str = ""
    retryable: bool = True
    problem: Problem = ""

    @classmethod
    def success(cls, detail: str = "") -> DeliveryResult:
        return cls(ok=True, detail=detail, retryable=False)

    @classmethod
    def failure(cls, detail: str, *, problem: Problem = "error", retryable: bool = True) -> DeliveryResult:
        return cls(ok=False, detail=detail, retryable=retryable, problem=problem)


class NotifierOptions(BaseModel):
    """Options every notifier has; a notifier's ``Options`` subclasses this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Reminder kinds this notifier receives; None = every kind.
    kinds: list[str] | None = None
    # The language of what this notifier sends (someone else in the family reads it);
    # None: the user's ([defaults] language or the locale).
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        found = normalise_language(value, LANGUAGES)
        if found is None:
            raise ValueError(language_error(value, LANGUAGES))
        return found

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return known_kinds(value)


def known_kinds(kinds: list[str]) -> list[str]:
    """``kinds`` if each is one of :data:`~reminder.models.REMINDER_KINDS` (a notifier's ``kinds``,
    the desktop notifier's ``critical_kinds``); ValueError naming the first that is not, and
    the kind probably meant ('deadlin': 'deadline'), else every kind."""
    unknown = [k for k in kinds if k not in REMINDER_KINDS]
    if not unknown:
        return kinds
    from ..i18n import alternatives
    from ..lookalikes import closest

    guesses = closest(unknown[0], REMINDER_KINDS)
    if guesses:
        raise ValueError(
            _(
                "unknown reminder kind %(kind)s; did you mean %(guesses)s?",
                kind=repr(unknown[0]),
                guesses=alternatives(guesses),
            )
        )
    raise ValueError(
        _(
            "unknown reminder kind %(kind)s; valid: %(valid)s",
            kind=repr(unknown[0]),
            valid=joined(REMINDER_KINDS),
        )
    )


@dataclass(frozen=True, slots=True)
class NotifierContext:
    """Where a notifier's configuration came from, for paths and warnings."""

    config_file: Path | None = None
    log_file: Path | None = None

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's directory."""
        path = path.expanduser()
        if path.is_absolute() or self.config_file is None:
            return path
        return self.config_file.parent / path


class Notifier(ABC):
    """One delivery channel.

    ``name`` is the notifier type ("email"); ``label`` is this instance's table
    name, which differs only when a table sets ``type`` (``[notifiers.work-mail]``
    with ``type = "email"``) — the outbox should key deliveries on ``label``.
    """

    name: ClassVar[str]
    Options: ClassVar[type[NotifierOptions]] = NotifierOptions
    # One line for `reminder notifiers`.
    summary: ClassVar[str] = ""

    def __init__(
        self,
        options: NotifierOptions,
        *,
        label: str | None = None,
        clock: Clock | None = None,
        context: NotifierContext | None = None,
    ) -> None:
        self.options = options
        self.label = label or self.name
        self.clock: Clock = clock or utc_now
        self.context = context or NotifierContext()

    @classmethod
    def environment(cls) -> tuple[bool, str]:
        """Whether this machine could run the notifier at all (before any options), and if not, why."""
        return True, ""

    def accepts(self, kind: str) -> bool:
        """Whether this notifier receives reminders of ``kind``."""
        kinds = self.options.kinds
        return kinds is None or kind in kinds

    def availability(self) -> tuple[bool, str]:
        """Whether the channel can be used right now, and if not, why."""
        return True, ""

    def config_problems(self) -> list[tuple[str, str]]:
        """What makes this notifier's table unusable now though it validates: a file the options
        name that cannot be read (the e-mail notifier's ``password_file``). Each problem is the
        key in the table (``"password_file"``) and what is wrong, naming the path, never a secret.

        ``reminder config check`` and the daemon, at start and on a reload, refuse a table with
        such a problem (``notifiers.check.checked_notifiers``): a daemon started with it would
        fail every send through it until someone looked. A file that goes missing later is a
        send's problem: a retryable failure, so the reminder goes once the file is back.
        """
        return []

    @abstractmethod
    def send(self, message: Message) -> DeliveryResult:
        """Deliver one message; never raises for a delivery failure."""

    def send_batch(
        self, messages: Sequence[Message], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        """Deliver several messages, one result each, in order.

        ``on_result(i, result)`` is called as soon as message ``i`` has its outcome,
        before the next one is sent: the outbox commits each delivery there, so a crash
        in the middle of a batch can repeat only the message in flight. An exception it
        raises ends the batch and propagates (an override must not swallow it).
        """
        results: list[DeliveryResult] = []
        for i, message in enumerate(messages):
            results.append(self.send(message))
            if on_result is not None:
                on_result(i, results[-1])
        return results

    def send_stream(self, messages: Iterable[Message], on_result: OnResult) -> None:
        """Deliver messages as ``messages`` yields them, calling ``on_result(i, result)`` for
        the ``i``-th as soon as it has its outcome.

        This is how the outbox sends: it claims each row as the iterable reaches it and
        commits each result in ``on_result``, so a notifier takes a message only when it is
        about to send it, and a crash can repeat only the messages in flight. An exception
        ``on_result`` raises ends the stream: nothing new is started, what is in flight
        finishes and is reported, then the exception propagates.

        The default hands ``send_batch`` up to ``STREAM_BATCH`` messages at a time, in order.
        A notifier that sends several messages at once overrides this (the e-mail notifier,
        over several connections) and may report them out of order.
        """
        batch = _batch_sender(self)
        it = iter(messages)
        done = 0

        def shifted(offset: int) -> OnResult:
            return lambda i, result: on_result(offset + i, result)

        while chunk := list(islice(it, STREAM_BATCH)):
            batch(chunk, shifted(done))
            done += len(chunk)

    def cancel(self) -> None:  # noqa: B027 - most notifiers leave nothing behind when abandoned
        """End what is in flight now and start nothing new; called from another thread.

        The daemon calls it when it is stopping and a send has outlasted the stop's grace.
        The send in flight should then return soon, a retryable failure (its row goes back
        to ``planned`` without counting an attempt), and later sends fail at once. A notifier
        that leaves something running outside the process (the command notifier's program)
        must end it here. The default does nothing: a send that does not return is abandoned
        when the daemon exits, and its row is put back to ``planned`` by the daemon itself.
        """

    def close(self) -> None:  # noqa: B027 - most notifiers hold nothing open
        """Release anything the notifier holds open."""

    def describe(self) -> dict[str, object]:
        """The configuration for display; secrets are redacted."""
        data = self.options.model_dump(mode="json")
        return {"name": self.label, "type": self.name, **data}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label!r}>"


def _batch_sender(notifier: Notifier) -> Callable[[Sequence[Message], OnResult], object]:
    """``notifier.send_batch`` — or, for a plugin whose ``send_batch`` predates ``on_result``,
    the base class's, which calls its ``send`` once per message."""
    import inspect

    try:
        streams = "on_result" in inspect.signature(notifier.send_batch).parameters
    except (TypeError, ValueError):
        streams = False
    if streams:
        return notifier.send_batch
    return lambda messages, on_result: Notifier.send_batch(notifier, messages, on_result)
