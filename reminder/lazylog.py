"""``log = get_logger(__name__)``: a module's logger, with ``logging`` imported when it first logs.

Importing ``logging`` (and the traceback, string and textwrap modules it imports) takes about
4 ms, a twentieth of an everyday command, and most commands log nothing. The object returned
stands for ``logging.getLogger(name)`` and hands every attribute to that logger, fetched once
on first use: the same logger, level, handlers and records as if the module had called
``logging.getLogger(__name__)`` itself (tests' ``caplog`` sees them as well).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: this module is on every command's path
if TYPE_CHECKING:
    from logging import Logger

__all__ = ["get_logger"]


class _LazyLogger:
    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Logger | None = None

    def __getattr__(self, attr: str) -> object:
        logger = self._logger
        if logger is None:
            import logging

            logger = self._logger = logging.getLogger(self._name)
        return getattr(logger, attr)

    def __repr__(self) -> str:
        return f"<logger {self._name} (not yet used)>" if self._logger is None else repr(self._logger)


if TYPE_CHECKING:

    def get_logger(name: str) -> Logger:
        """``logging.getLogger(name)``, imported when first used."""

else:

    def get_logger(name: str) -> _LazyLogger:
        """``logging.getLogger(name)``, imported when first used."""
        return _LazyLogger(name)
