"""The soak of issue 15 for as long as you like: the daemon and the CLI together, kill -9 now and then.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--workers 3] [--kill-every 4,12] [--json]

The same run as ``tests/test_soak.py`` (see ``tests/soak_harness.py``: the real daemon on the real clock,
CLI processes adding, editing and closing cases and adding evidence, reminders by e-mail to an
aiosmtpd server on loopback), for ``--minutes`` instead of one. Every ten seconds it prints the
operations so far; at the end, operations per second, errors, kills, reminders due and sent,
messages received and repeats, and the integrity check, then every problem found. Exit status 1
if there is one. Needs the test extra (``pip install -e '.[test]'``) for aiosmtpd.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from soak_harness import SoakReport, run_soak


def _progress(report: SoakReport) -> None:
    ops = sum(report.operations.values())
    print(
        f"  {report.seconds:6.0f} s  {ops} operations, {len(report.errors)} errors, {report.kills} kills",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (30)")
    parser.add_argument("--workers", type=int, default=3, help="CLI processes at once (3)")
    parser.add_argument("--kill-every", default="4,12", help="seconds between kill -9, low,high (4,12)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    low, high = (float(x) for x in args.kill_every.split(","))
    with tempfile.TemporaryDirectory(prefix="reminder-soak-") as root:
        print(f"soaking for {args.minutes:g} min in {root}", flush=True)
        report = run_soak(
            Path(root),
            seconds=args.minutes * 60,
            workers=args.workers,
            kill_every=(low, high),
            progress=None if args.json else _progress,
        )
    problems = report.problems()
    if args.json:
        data = {
            "seconds": round(report.seconds, 1),
            "operations": dict(report.operations),
            "operations_per_second": round(sum(report.operations.values()) / report.seconds, 3),
            "errors": report.errors,
            "kills": report.kills,
            "cases": report.cases_added,
            "reminders_due": report.due_rows,
            "reminders_sent": report.sent_rows,
            "messages_received": report.received,
            "repeats": report.repeats,
            "integrity": report.integrity,
            "problems": problems,
        }
        print(json.dumps(data, indent=2))
    else:
        print(report.summary())
        for problem in problems:
            print(f"PROBLEM: {problem}")
        print("PASS" if not problems else "FAIL")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
