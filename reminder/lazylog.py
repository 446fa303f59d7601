"""``log = get_logger(__name__)``: a module's logger, with ``logging`` imported when it first logs.

Importing ``logging`` (and the traceback, string and textwrap modules it imports) takes about
4 ms, a twentieth of an everyday command, and most commands log nothing. The object returned
stands for ``logging.getLogger(name)`` and hands every attribute to that logger, fetched once
on first use: the same logger, level, handlers and records as if the module had called
``logging.getLogger(__name__)`` itself (tests' ``caplog`` sees them as well).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: this module is on every command's path
if TYPE_CHECKING:
    from collections.abc import Callable
    from logging import Logger
    from typing import Any

__all__ = ["get_logger"]


def _dropped(*args: object, **kwargs: object) -> None:
    """A debug or info record before logging is configured: the root logger would drop it."""


class _LazyLogger:
    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Logger | None = None

    def _get(self) -> Logger:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self._name)
        return self._logger

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._get(), attr)

    # Until something imports logging nothing can have configured it, and an unconfigured
    # root logger's level (WARNING) drops debug and info records: such a call does exactly
    # nothing, so it need not import logging to do it (`evidence add` logs an info line).
    # Otherwise the logger's own method, called from the caller's frame (its file and line).
    @property
    def debug(self) -> Callable[..., None]:
        return _dropped if self._logger is None and "logging" not in sys.modules else self._get().debug

    @property
    def info(self) -> Callable[..., None]:
        return _dropped if self._logger is None and "logging" not in sys.modules else self._get().info

    def __repr__(self) -> str:
        return f"<logger {self._name} (not yet used)>" if self._logger is None else repr(self._logger)


if TYPE_CHECKING:

    def get_logger(name: str) -> Logger:
        """``logging.getLogger(name)``, imported when first used."""

else:

    def get_logger(name: str) -> _LazyLogger:
        """``logging.getLogger(name)``, imported when first used."""
        return _LazyLogger(name)
