"""Where the daemon's log lines go and what they look like.

Always to stderr; also to ``[daemon] log_file`` when it is set (created 0600 in a 0700
directory; reopened if logrotate moves it). Each line starts with the time, to the
millisecond with its UTC offset (``2026-03-05T09:00:00.125+03:00``), except on a stderr
that systemd connected to the journal, which stamps lines itself: there the bare format
keeps ``journalctl --user -u reminder`` readable. Control characters in a message (a
case title goes into the log) are escaped as in every human output (``terminal.py``),
so ``tail -f`` on the file cannot be made to rewrite the terminal.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from .errors import ConfigError
from .files import open_private, private_dir
from .terminal import escape_controls

__all__ = ["LogFileHandler", "add_log_file", "setup_daemon_logging", "under_journald"]

BARE_FORMAT = "%(levelname)s %(name)s: %(message)s"
STAMPED_FORMAT = "%(asctime)s " + BARE_FORMAT


class _Formatter(logging.Formatter):
    """ISO 8601 local times with the offset, and control characters escaped."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        # Newlines stay: a traceback is several lines, each a line of the log.
        return escape_controls(super().format(record), multiline=True)


class LogFileHandler(logging.handlers.WatchedFileHandler):
    """Appends to a file created 0600 in 0700 directories (``files.py``), reopened after a rotation."""

    def _open(self) -> io.TextIOWrapper:
        private_dir(os.path.dirname(os.path.abspath(self.baseFilename)))
        fd = open_private(self.baseFilename, os.O_WRONLY | os.O_APPEND)
        return open(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)


def under_journald(stream: TextIO) -> bool:
    """Whether ``stream`` is the journal stream systemd connected (``$JOURNAL_STREAM`` is its dev:inode)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{st.st_dev}:{st.st_ino}"


def setup_daemon_logging(level: int, *, apscheduler_level: int = logging.WARNING) -> None:
    """Log at ``level`` to stderr, stamped unless the journal stamps it."""
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: called twice in one process, log once
        stream = sys.stderr
        handler = logging.StreamHandler(stream)
        handler.setFormatter(_Formatter(BARE_FORMAT if under_journald(stream) else STAMPED_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    # APScheduler narrates every job run at INFO: four lines a minute of noise in the journal.
    logging.getLogger("apscheduler").setLevel(apscheduler_level)


def add_log_file(path: Path, *, key: str = "daemon.log_file") -> None:
    """Send every log line to ``path`` as well, stamped; ConfigError if it cannot be opened."""
    try:
        handler = LogFileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{key}: cannot open {path}: {exc.strerror or exc}") from None
    handler.setFormatter(_Formatter(STAMPED_FORMAT))
    logging.getLogger().addHandler(handler)
