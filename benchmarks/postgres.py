"""Several daemons on one PostgreSQL database: plan time at scale, and catch-up throughput by daemon count.

    .venv/bin/python benchmarks/postgres.py [--cases 1000000] [--due 100000] [--daemons 1,2,4]
                                            [--delay 0.02] [--connections 4] [--url postgresql://…] [--json]

1. plan: ``--cases`` open cases submitted over the last 60 days go into an empty database
   (``Store.add_case``, 5,000 a transaction), then ``api.replan_all`` plans them into the outbox;
   then again with nothing changed (reads only, what a daemon's start-up costs when plans are
   current but the fingerprint is not).
2. catch-up: a second database holds ``--due`` cases whose reminders all fell due weeks ago (one
   catch-up message each). For each daemon count in ``--daemons``, the outbox is put back to
   that state and that many ``reminder daemon`` processes (each its own data directory, as on
   machines of their own) send to one aiosmtpd sink that waits ``--delay`` (20 ms) before each
   answer, as a remote relay does. Measured: wall time from start to the last row recorded sent,
   messages per second (first to last message at the sink), the scaling ratio against one daemon
   (linear would be N), each daemon's share of the rows, repeats (none expected: nothing is
   killed), and each daemon's peak RSS.

Without ``--url`` a throw-away cluster is started as the tests do (tests/pg_cluster.py: initdb in
a temporary directory, fsync off); figures with fsync on would show more commit cost. The sink runs
in this process (asyncio), which costs CPU on the same machine; with 20 ms per answer the sink's
waits, not its CPU, should be the bottleneck until the machine's cores run out.

Smaller runs: ``--cases 100000 --due 10000`` takes ~10 minutes on a 2-core VM. The run exits 1 if a
catch-up loses or repeats a message.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import psycopg
from pg_cluster import PgCluster, start_cluster
from shared_daemons import (
    DaemonProcess,
    daemon_config,
    insert_cases,
    outcome,
    running_sink,
    seed,
    wait_until_sent,
)

from reminder import api
from reminder.config import load_settings
from reminder.store import Store

BATCH = 5000


class Server:
    """A fresh database per part: on ``--url``'s server, or on a throw-away cluster."""

    def __init__(self, url: str | None, stack: ExitStack) -> None:
        self.admin = url
        self.cluster: PgCluster | None = None
        if url is None:
            self.cluster = start_cluster()
            stack.callback(self.cluster.destroy)
            self.admin = self.cluster.url()
        self._n = 0

    def database(self, name: str) -> str:
        assert self.admin is not None
        self._n += 1
        db = f"bench_{name}_{self._n}_{int(time.time())}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        return self.admin.rsplit("/", 1)[0] + "/" + db


def bench_plan(url: str, root: Path, n: int, now: datetime) -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "plan.toml"
    # The log notifier only (no [notifiers] table): one outbox row per reminder.
    config.write_text(f'[store]\nurl = "{url}"\npath = "{root / "data" / "reminder.db"}"\n', encoding="utf-8")
    settings = load_settings(config)
    started = time.perf_counter()
    with Store(settings.store.path, url=url) as store:
        insert_cases(store, n, now=now, days_ago=lambda i: i % 60, prefix="p", batch=BATCH)
        insert_s = time.perf_counter() - started
        started = time.perf_counter()
        api.replan_all(store, settings, now=now)
        plan_s = time.perf_counter() - started
        started = time.perf_counter()
        api.replan_all(store, settings, now=now)
        replan_s = time.perf_counter() - started
        rows = store.conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    return {
        "cases": n,
        "insert_seconds": round(insert_s, 1),
        "plan_seconds": round(plan_s, 1),
        "plan_cases_per_second": round(n / plan_s),
        "replan_unchanged_seconds": round(replan_s, 1),
        "outbox_rows": int(rows),
    }


def snapshot(url: str) -> None:
    """Keep the seeded outbox aside, so each catch-up starts from the same state."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE deliveries_seed AS SELECT * FROM deliveries")


def restore(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE deliveries")
        conn.execute("INSERT INTO deliveries SELECT * FROM deliveries_seed")
        conn.execute("VACUUM ANALYZE deliveries")


def bench_catch_up(
    url: str, root: Path, due: int, daemons: int, *, delay: float, connections: int, lease: float
) -> dict[str, Any]:
    restore(url)
    with running_sink(delay) as (sink, port):
        procs = [
            DaemonProcess(
                root / f"d{daemons}" / f"machine-{k}", url, port, lease=lease, connections=connections
            )
            for k in range(daemons)
        ]
        peak = [0.0] * daemons
        done = threading.Event()

        def watch_rss() -> None:
            while not done.wait(0.5):
                for k, proc in enumerate(procs):
                    peak[k] = max(peak[k], proc.rss_mb())

        watcher = threading.Thread(target=watch_rss, daemon=True)
        before = datetime.now(UTC)
        started = time.monotonic()
        for proc in procs:
            proc.start()
        watcher.start()
        try:
            finished = wait_until_sent(url, before, timeout=max(600.0, due * 0.5))
            wall = time.monotonic() - started
        finally:
            done.set()
            exits = [proc.stop() for proc in procs]
        result = outcome(url, sink)
        first, last = sink.first_at, sink.last_at
    span = (last - first) if first is not None and last is not None and last > first else wall
    received = sum(result.received.values())
    return {
        "daemons": daemons,
        "finished": finished,
        "wall_seconds": round(wall, 1),
        "messages": received,
        "distinct": len(result.received),
        "repeats": result.repeats,
        "lost": len(result.missing),
        "messages_per_second": round(received / span, 1),
        "share": sorted(result.owners().values(), reverse=True),
        "peak_rss_mb": [round(mb, 1) for mb in peak],
        "exits": exits,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases to plan (0: skip)")
    parser.add_argument("--due", type=int, default=100_000, help="due reminders for the catch-up (0: skip)")
    parser.add_argument("--daemons", default="1,2,4", help="daemon counts to run the catch-up with")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the sink waits before each answer")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections per daemon")
    parser.add_argument("--lease", type=float, default=300.0, help="[daemon] lease_seconds")
    parser.add_argument(
        "--url", help="a server to use (its user may create databases); default: a throw-away one"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts = [int(x) for x in args.daemons.split(",") if x.strip()]
    now = datetime.now(UTC)
    out: dict[str, Any] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="reminder-bench-pg-") as tmp:
        root = Path(tmp)
        server = Server(args.url, stack)
        if args.cases:
            out["plan"] = bench_plan(server.database("plan"), root / "plan", args.cases, now)
            if not args.json:
                print("plan:", json.dumps(out["plan"]), flush=True)
        if args.due and counts:
            url = server.database("catchup")
            seeder = root / "seed.toml"
            seeder.write_text(daemon_config(url, root / "seed", 25, lease=args.lease), encoding="utf-8")
            seeded = seed(url, seeder, args.due, now=now)
            snapshot(url)
            out["catch_up_seed"] = {k: round(v, 1) for k, v in seeded.items()}
            runs = []
            for n in counts:
                run = bench_catch_up(
                    url, root, args.due, n, delay=args.delay, connections=args.connections, lease=args.lease
                )
                runs.append(run)
                if not args.json:
                    print("catch-up:", json.dumps(run), flush=True)
            base = next((r["messages_per_second"] for r in runs if r["daemons"] == 1), None)
            for run in runs:
                run["scaling"] = round(run["messages_per_second"] / base, 2) if base else None
            out["catch_up"] = runs
    ok = all(r["finished"] and r["repeats"] == 0 and r["lost"] == 0 for r in out.get("catch_up", []))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for run in out.get("catch_up", []):
            print(
                f"{run['daemons']} daemon(s): {run['messages_per_second']} msg/s, scaling {run['scaling']}x, "
                f"wall {run['wall_seconds']} s, share {run['share']}, peak RSS {run['peak_rss_mb']} MB, "
                f"repeats {run['repeats']}, lost {run['lost']}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
