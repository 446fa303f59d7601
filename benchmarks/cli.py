"""CLI start-up and listing speed: ``reminder --help`` and ``reminder list --json`` over 10,000 cases.

Run: ``.venv/bin/python benchmarks/cli.py [--runs N] [--cases N]``. Prints the median
wall time of N runs of each command beside a bare ``python -c pass`` and checks the
targets of issue #7: ``--help`` at most 2.5x the bare interpreter, ``list --json``
over 10,000 cases at most 150 ms. Exit status 1 if a target is missed.

Everything runs in a temporary directory (its own config, data and database).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HELP_FACTOR = 2.5
LIST_MS = 150.0


def populate(db: Path, n: int) -> float:
    """Add ``n`` cases through the library API (windows computed as ``reminder add`` does)."""
    from reminder import api
    from reminder.config import load_settings
    from reminder.store import Store

    settings = load_settings()
    now = datetime(2026, 3, 1, 6, tzinfo=UTC)
    kinds = ["sim-cancellation", "refund", "permit", "visa", "other"]
    started = time.perf_counter()
    with Store(db) as store, store.atomic():
        for i in range(n):
            api.add_case(
                store,
                settings,
                now=now,
                title=f"Case {i}",
                organisation=f"Org {i % 97}",
                submitted=date(2026, 1, 1) + timedelta(days=i % 300),
                kind=kinds[i % len(kinds)],
                reference=f"REF-{i}",
                channels=("hotline",),
            )
    return time.perf_counter() - started


def medians_ms(cmds: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median wall time of each command; runs are interleaved so a busy machine slows all alike."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():
        subprocess.run(cmd, env=env, capture_output=True, check=True)  # warm the page cache and .pyc files
    for _ in range(runs):
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True)
            times[name].append((time.perf_counter() - t0) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (median reported)")
    parser.add_argument("--cases", type=int, default=10_000, help="cases in the database for `list`")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reminder-bench-") as tmp:
        root = Path(tmp)
        # An installed package has its .pyc files; without them every run would measure
        # compiling reminder's sources, so let the warm-up run write them.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("REMINDER_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(
            XDG_CACHE_HOME=str(root / "cache"),  # starts empty: the first --help renders and caches
            XDG_CONFIG_HOME=str(root / "config"),  # no config file there: the embedded defaults
            XDG_DATA_HOME=str(root / "data"),
        )
        os.environ.update(env)
        db = root / "data" / "reminder" / "reminder.db"
        fill = populate(db, args.cases)

        py = sys.executable
        listing = [py, "-m", "reminder", "list", "--json"]
        # The same commands through click alone, without entry.py's fast paths: what they save.
        via_click = [py, "-c", "import sys; from reminder.cli import main; sys.argv[0] = 'reminder'; main()"]
        t0 = time.perf_counter()
        help_cmd = [py, "-m", "reminder", "--help"]
        first_help = subprocess.run(help_cmd, env=env, capture_output=True, check=True)
        first_help_ms = (time.perf_counter() - t0) * 1000
        medians = medians_ms(
            {
                "bare": [py, "-c", "pass"],
                "help": help_cmd,
                "list": listing,
                "help_click": [*via_click, "--help"],
                "list_click": [*via_click, "list", "--json"],
            },
            env,
            args.runs,
        )
        bare, help_ms, list_ms = medians["bare"], medians["help"], medians["list"]
        out = subprocess.run(listing, env=env, capture_output=True, check=True).stdout
        size, listed = len(out), json.loads(out)
        same_help = (
            first_help.stdout
            == subprocess.run([*via_click, "--help"], env=env, capture_output=True, check=True).stdout
        )
        same_list = out == subprocess.run([*via_click, "list", "--json"], env=env, capture_output=True).stdout

    help_ok = help_ms <= HELP_FACTOR * bare and same_help
    list_ok = list_ms <= LIST_MS and len(listed) == args.cases and same_list
    print(f"reminder CLI benchmark — median of {args.runs} runs, Python {sys.version.split()[0]}")
    print(f"  setup: {args.cases} cases added through api.add_case in {fill:.1f} s")
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"  python -c pass                 {bare:7.1f} ms")
    print(
        f"  reminder --help                {help_ms:7.1f} ms  = {help_ms / bare:.2f}x bare "
        f"(target <= {HELP_FACTOR}x)  {'OK' if help_ok else 'MISSED'}"
    )
    print(
        f"  reminder list --json ({len(listed)} cases) {list_ms:7.1f} ms  "
        f"({size / 1e6:.1f} MB; target <= {LIST_MS:.0f} ms)  {'OK' if list_ok else 'MISSED'}"
    )
    print("  for comparison (no target):")
    print(f"    first --help, rendered by click and cached  {first_help_ms:7.1f} ms")
    print(f"    --help through click alone                  {medians['help_click']:7.1f} ms")
    print(f"    list --json through click alone             {medians['list_click']:7.1f} ms")
    print(f"    fast paths print what click prints: help {same_help}, list {same_list}")
    return 0 if help_ok and list_ok else 1


if __name__ == "__main__":
    sys.exit(main())
