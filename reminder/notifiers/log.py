"""The ``log`` notifier: one line to the log and one JSON line to a file per reminder.

It is the default when no notifier is configured, so a reminder is never lost
silently; the file (``reminders.log`` in the user data directory unless set) is
also what tests count deliveries in. Each line is written with a single
``os.write`` and fsynced, so a crash never leaves half a line behind.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import field_validator

from .. import delivery_errors as said
from ..delivery_errors import english
from ..files import open_private, private_dir
from ..i18n import _, joined
from ..models import Message
from .base import DeliveryResult, Notifier, NotifierOptions, OnResult
from .catalogue import LOG_DEFAULT_LEVEL, LOG_SUMMARY, default_log_file, log_file_availability

__all__ = ["LogNotifier", "LogOptions", "default_log_file"]

log = logging.getLogger(__name__)

_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}


class LogOptions(NotifierOptions):
    """``[notifiers.log]``: ``path`` of the JSON-lines file, ``level`` of the log line."""

    path: Path | None = None
    level: str = LOG_DEFAULT_LEVEL

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in _LEVELS:
            from ..i18n import alternatives
            from ..lookalikes import closest

            guesses = closest(value, _LEVELS)  # 'warnnig': 'WARNING'
            if guesses:
                raise ValueError(
                    _(
                        "unknown level %(value)s; did you mean %(guesses)s?",
                        value=repr(value),
                        guesses=alternatives(guesses),
                    )
                )
            raise ValueError(_("level must be one of %(levels)s", levels=joined(_LEVELS)))
        return value.upper()


class LogNotifier(Notifier):
    """Writes each reminder to the log (stderr) and appends it to a JSON-lines file."""

    name = "log"
    Options = LogOptions
    summary = LOG_SUMMARY

    @property
    def path(self) -> Path:
        opts = self.options
        assert isinstance(opts, LogOptions)
        if opts.path is not None:
            return self.context.resolve(opts.path)
        return self.context.log_file or default_log_file()

    def _record(self, message: Message) -> bytes:
        record = {
            "key": message.key,
            "case_id": message.case_id,
            "kind": message.kind,
            "subject": message.subject,
            "urgency": message.urgency,
            "notifier": self.label,
            "sent_at": self.clock().isoformat(),
            "text": message.text,
        }
        return (json.dumps(record, ensure_ascii=False) + "\n").encode()

    def _write(self, fd: int, message: Message) -> DeliveryResult:
        line = self._record(message)
        try:
            # One write of the whole line: O_APPEND makes it atomic against other writers.
            written = os.write(fd, line)
            if written != len(line):
                return DeliveryResult.failure(
                    english(said.SHORT_WRITE, path=self.path, written=written, size=len(line))
                )
            os.fsync(fd)
        except OSError as exc:
            return DeliveryResult.failure(english(said.CANNOT_WRITE, path=self.path, why=exc.strerror or exc))
        opts = self.options
        assert isinstance(opts, LogOptions)
        log.log(_LEVELS[opts.level], "reminder %s [%s] %s", message.case_id, message.kind, message.subject)
        return DeliveryResult.success(str(self.path))

    def _open(self) -> int:
        path = self.path
        private_dir(path.parent)
        return open_private(path, os.O_WRONLY | os.O_APPEND)

    def send(self, message: Message) -> DeliveryResult:
        return self.send_batch([message])[0]

    def send_batch(
        self, messages: Sequence[Message], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        if not messages:
            return []
        results: list[DeliveryResult] = []
        try:
            fd = self._open()
        except OSError as exc:
            failed = DeliveryResult.failure(
                english(said.CANNOT_OPEN, path=self.path, why=exc.strerror or exc)
            )
            for i, _message in enumerate(messages):
                results.append(failed)
                if on_result is not None:
                    on_result(i, failed)
            return results
        try:
            for i, message in enumerate(messages):
                results.append(self._write(fd, message))
                if on_result is not None:
                    on_result(i, results[-1])
            return results
        finally:
            os.close(fd)

    def availability(self) -> tuple[bool, str]:
        return log_file_availability(self.path)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "path": str(self.path)}
