"""The soak of issue 15 for as long as you like: the daemon and the CLI together, kill -9 now and then.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--workers 3] [--kill-every 4,12] [--json]
    .venv/bin/python benchmarks/soak.py --store postgres [--daemons 2] [--lease 15] [--sink-delay 0]
                                        [--url postgresql://…]

The same run as ``tests/test_soak.py`` (see ``tests/soak_harness.py``: the real daemon on the real clock,
CLI processes adding, editing and closing cases and adding evidence, reminders by e-mail to an
aiosmtpd server on loopback), for ``--minutes`` instead of one. Every ten seconds it prints the
operations so far; at the end, operations per second, errors, kills, reminders due and sent,
messages received and repeats, and the integrity check, then every problem found. Exit status 1
if there is one. Needs the test extra (``pip install -e '.[test]'``) for aiosmtpd.

``--store postgres`` soaks a shared PostgreSQL store instead (``benchmarks/soak_postgres.py`` says
what runs and how it is judged): ``--daemons`` daemons on one database, each on a data directory
of its own and each killed -9 every ``--kill-every`` seconds and restarted, with ``--lease``-second
leases; ``--sink-delay`` makes the sink wait that long before each SMTP answer, so that kills land
mid-send more often. The database is a fresh one on a private throw-away server started as the
tests start theirs (``tests/pg_cluster.py``; needs PostgreSQL's server binaries and psycopg), or
on the server of ``--url`` (default ``$REMINDER_TEST_PG_URL``), whose user may create databases;
it is dropped at the end. Repeats are told apart: of a row a kill left ``sending`` (at most one per
SMTP connection per kill, as the README says), or otherwise (a problem); the integrity check is
amcheck on every index and table, the row invariants of the schema, and every evidence log's.
"""

from __future__ import annotations

import argparse
import json
import os
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
    parser.add_argument(
        "--store", choices=("sqlite", "postgres"), default="sqlite", help="the store (sqlite)"
    )
    parser.add_argument("--daemons", type=int, help="daemons on the store (1; postgres: 2)")
    parser.add_argument(
        "--lease", type=float, default=15.0, help="postgres: the daemons' lease, seconds (15)"
    )
    parser.add_argument(
        "--sink-delay",
        type=float,
        default=0.0,
        help="postgres: seconds the sink waits before each answer (0)",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("REMINDER_TEST_PG_URL"),
        help="postgres: a server to use, whose user may create databases ($REMINDER_TEST_PG_URL;"
        " default: a private throw-away one)",
    )
    args = parser.parse_args()
    low, high = (float(x) for x in args.kill_every.split(","))
    if args.store == "sqlite" and args.daemons not in (None, 1):
        parser.error("--daemons: one daemon per SQLite database (its pid lock); use --store postgres")
    if args.store == "sqlite" and args.sink_delay:
        parser.error("--sink-delay: with --store postgres only")
    if args.daemons is not None and args.daemons < 1:
        parser.error("--daemons: at least 1")
    with tempfile.TemporaryDirectory(prefix="reminder-soak-") as root:
        print(f"soaking for {args.minutes:g} min in {root}", flush=True)
        if args.store == "postgres":
            from soak_postgres import run_pg_soak

            report: SoakReport = run_pg_soak(
                Path(root),
                seconds=args.minutes * 60,
                workers=args.workers,
                daemons=args.daemons or 2,
                kill_every=(low, high),
                lease=args.lease,
                sink_delay=args.sink_delay,
                url=args.url,
                progress=None if args.json else _progress,
            )
        else:
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
        if args.store == "postgres":
            data.update(report.to_json())  # type: ignore[attr-defined]
        print(json.dumps(data, indent=2))
    else:
        print(report.summary())
        for problem in problems:
            print(f"PROBLEM: {problem}")
        print("PASS" if not problems else "FAIL")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
