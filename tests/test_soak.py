"""The soak test (issue 15): daemon and CLI together on a real clock, kill -9 now and then.

See ``tests/soak_harness.py`` for what runs and how a run is judged; ``benchmarks/soak.py`` runs the
same soak for longer and prints its figures. No part is faked: the daemon and the CLI are
real processes on the machine's clock, the store a real file, the sink a real SMTP server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from soak_harness import run_soak  # tests/ is on sys.path (pytest prepends it)

SOAK_SECONDS = float(os.environ.get("REMINDER_SOAK_SECONDS", "60"))

pytestmark = pytest.mark.timeout(int(SOAK_SECONDS) + 240)


def test_daemon_and_cli_together_never_corrupt_lose_or_go_blind(tmp_path: Path) -> None:
    report = run_soak(tmp_path, seconds=SOAK_SECONDS)
    print(report.summary())
    assert report.problems() == [], report.summary()
    # The run did what it is for: the CLI wrote while the daemon ran, was killed and sent.
    # Low bars: how many commands a minute holds depends on the machine's load (a loaded
    # 2-core VM got through a sixth of an idle one's), and every one is judged above.
    assert report.operations["add"] >= 5
    assert report.kills >= 2
    assert report.due_rows >= 3 and report.received >= 3
