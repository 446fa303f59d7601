"""lazylog.get_logger: the module's logger, with logging imported only when a record can show."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest


def test_records_are_the_loggers_own_from_the_callers_line(caplog: pytest.LogCaptureFixture) -> None:
    from reminder.lazylog import get_logger

    log = get_logger("reminder.test_lazylog")
    caplog.set_level(logging.DEBUG, logger="reminder.test_lazylog")
    log.debug("one %s", "debug")
    log.info("one info")
    log.warning("one warning")
    assert [(r.levelname, r.getMessage(), r.name) for r in caplog.records] == [
        ("DEBUG", "one debug", "reminder.test_lazylog"),
        ("INFO", "one info", "reminder.test_lazylog"),
        ("WARNING", "one warning", "reminder.test_lazylog"),
    ]
    # Where the record says it was logged: here, not in lazylog.py.
    assert {r.filename for r in caplog.records} == {"test_lazylog.py"}
    assert log.getEffectiveLevel() == logging.DEBUG  # every other attribute is the logger's
    assert logging.getLogger("reminder.test_lazylog").isEnabledFor(logging.DEBUG)


def test_logging_is_imported_only_for_a_record_that_can_show() -> None:
    code = (
        "import sys\n"
        "from reminder.lazylog import get_logger\n"
        "log = get_logger('reminder.x')\n"
        "log.debug('quiet %s', 1)\n"
        "log.info('quiet too')\n"
        "print('logging' in sys.modules)\n"
        "log.warning('shown %s', 'once')\n"
        "print('logging' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    # Unconfigured, logging prints a warning (not debug or info) on stderr, as it always did.
    assert result.stderr == "shown once\n"
