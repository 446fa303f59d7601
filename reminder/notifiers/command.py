"""The ``command`` notifier: run the user's program with the reminder as JSON on stdin.

``[notifiers.command]`` ``argv = ["notify-send-wrapper", "--urgent"]`` (a list: no
shell, no quoting surprises), ``timeout`` in seconds, extra ``env``. The program
also gets ``REMINDER_KEY``, ``REMINDER_CASE_ID``, ``REMINDER_KIND``,
``REMINDER_SUBJECT``, ``REMINDER_URGENCY``, ``REMINDER_TEXT`` and
``REMINDER_NOTIFIER``, and the rest of reminder's environment except the variables
that hold a notifier's secret (``password_env`` and the like: see ``childenv.py``).
Exit status 0 is success; anything else is a failure whose detail is the last line
the program wrote to stderr.

The program runs in a session (process group) of its own: a timeout kills it and its
children, and so does :meth:`CommandNotifier.cancel` when the daemon stops, so no program
outlives the daemon that started it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from pydantic import Field

from .. import delivery_errors as said
from ..childenv import child_environ
from ..delivery_errors import english
from ..i18n import _
from ..models import Message
from .base import DELIVERY_FAILURE, Clock, DeliveryResult, Notifier, NotifierContext, NotifierOptions
from .catalogue import COMMAND_SUMMARY
from .messages import message_fields

__all__ = ["CommandNotifier", "CommandOptions", "command_env"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


class CommandOptions(NotifierOptions):
    """``[notifiers.command]``."""

    argv: list[str] = Field(min_length=1)
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: Path | None = None


def command_env(message: Message, label: str) -> dict[str, str]:
    """The ``REMINDER_*`` variables describing ``message``."""
    return {
        "REMINDER_KEY": message.key,
        "REMINDER_CASE_ID": message.case_id,
        "REMINDER_KIND": message.kind,
        "REMINDER_SUBJECT": message.subject,
        "REMINDER_URGENCY": message.urgency,
        "REMINDER_TEXT": message.text,
        "REMINDER_NOTIFIER": label,
    }


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class CommandNotifier(Notifier):
    """Runs a program per reminder."""

    name = "command"
    Options = CommandOptions
    summary = COMMAND_SUMMARY

    def __init__(
        self,
        options: NotifierOptions,
        *,
        label: str | None = None,
        clock: Clock | None = None,
        context: NotifierContext | None = None,
    ) -> None:
        super().__init__(options, label=label, clock=clock, context=context)
        # The programs running now, so that cancel() (another thread) can kill them.
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._cancelled = False

    @property
    def opts(self) -> CommandOptions:
        assert isinstance(self.options, CommandOptions)
        return self.options

    def _program(self) -> str | None:
        program = self.opts.argv[0]
        if os.sep in program:
            path = self.context.resolve(Path(program))
            return str(path) if path.is_file() and os.access(path, os.X_OK) else None
        return shutil.which(program)

    def availability(self) -> tuple[bool, str]:
        if self._program() is None:
            return False, _(
                "%(program)s is not an executable program (or not on PATH)", program=repr(self.opts.argv[0])
            )
        return True, ""

    def send(self, message: Message) -> DeliveryResult:
        opts = self.opts
        program = self._program()
        if program is None:
            return DeliveryResult.failure(
                english(said.COMMAND_NOT_FOUND, program=repr(opts.argv[0])),
                problem="config",
                retryable=False,
            )
        argv = [program, *opts.argv[1:]]
        # Our environment without any notifier's secret (childenv.py), then what the program is for.
        env = child_environ({**command_env(message, self.label), **opts.env})
        payload = json.dumps(message_fields(message), ensure_ascii=False, default=str).encode()
        cwd = self.context.resolve(opts.cwd) if opts.cwd else None
        # Started under the lock cancel() takes, so that none starts after it has killed the rest.
        with self._lock:
            if self._cancelled:
                return _STOPPED
            try:
                # A session of its own, so a timeout kills the program's children too.
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                    cwd=cwd,
                    start_new_session=True,
                )
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or variable
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                return DeliveryResult.failure(
                    english(said.CANNOT_RUN, program=repr(opts.argv[0]), why=why),
                    problem="config",
                    retryable=False,
                )
            self._running.add(proc)
        # The timeout is a timer that kills the program's group, not communicate(timeout=):
        # Popen.wait(timeout) polls with time.sleep, whose clock_nanosleep libfaketime (the
        # daemon tests' clock) fails with EINVAL, and a send then "failed" with OSError.
        timed_out = threading.Event()

        def time_out() -> None:
            timed_out.set()
            _signal_group(proc, signal.SIGKILL)

        timer = threading.Timer(opts.timeout, time_out)
        timer.daemon = True
        timer.start()
        try:
            _out, err = proc.communicate(payload)
        finally:
            timer.cancel()
            with self._lock:
                self._running.discard(proc)
        if timed_out.is_set():
            log.warning(
                "command %s: %s timed out after %ss",
                self.label,
                opts.argv[0],
                opts.timeout,
                extra=DELIVERY_FAILURE,
            )
            return DeliveryResult.failure(
                english(said.COMMAND_TIMEOUT, program=opts.argv[0], seconds=f"{opts.timeout:g}"),
                problem="timeout",
            )
        if self._cancelled and proc.returncode != 0:
            return _STOPPED
        if proc.returncode != 0:
            why = _last_line(err) or english(said.NO_STDERR)
            if proc.returncode < 0:
                status = english(said.KILLED_BY_SIGNAL, n=-proc.returncode)
            else:
                status = english(said.EXIT_STATUS, n=proc.returncode)
            log.warning(
                "command %s: %s %s: %s", self.label, opts.argv[0], status, why, extra=DELIVERY_FAILURE
            )
            return DeliveryResult.failure(
                english(said.COMMAND_FAILED, program=opts.argv[0], status=status, why=why),
                problem="error",
            )
        return DeliveryResult.success(_("%(program)s exit 0", program=opts.argv[0]))

    def cancel(self) -> None:
        """Kill the programs running now (and their children), and run no more."""
        with self._lock:
            self._cancelled = True
            for proc in self._running:
                log.warning(
                    "command %s: killing %s (pid %d): the daemon is stopping",
                    self.label,
                    self.opts.argv[0],
                    proc.pid,
                )
                _signal_group(proc, signal.SIGKILL)


# What a send cut short by cancel() returns: not the program's fault, so retryable.
_STOPPED = DeliveryResult.failure("stopped: the daemon is shutting down", problem="error")


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        # The group is gone (or was never ours): the program itself, if it is still there.
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
