"""Evidence log, dossier and calendar export: how long the user waits.

Run: ``.venv/bin/python benchmarks/evidence.py [--entries N] [--cases N] [--file-kib K]``.
Measures, in a temporary directory with a real SQLite file:

- ``add``: appending N entries (every 10th with a K KiB attachment) through the API;
- ``verify``: re-hashing the chain and every attachment of a case with N entries;
- ``dossier``: building and rendering the Markdown, HTML and zip dossier of that case;
- ``ics``: rendering the calendar of C open cases, and the no-change rewrite check.

Prints one line per measurement. Exit status 1 if ``verify`` of 1,000 entries takes
over 1 s or the calendar of 1,000 cases over 3 s (the daemon rebuilds it after changes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

VERIFY_S_PER_1000 = 1.0
ICS_S_PER_1000 = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--file-kib", type=int, default=256)
    args = parser.parse_args()

    from reminder import api, ics_api
    from reminder.config import Settings
    from reminder.ics import write_ics_if_changed
    from reminder.store import Store

    now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # The evidence key and heads file go in the temporary directory too, not the user's state directory.
        os.environ["XDG_STATE_HOME"] = str(root / "state")
        settings = Settings(store={"path": root / "data" / "reminder.db"})
        with Store(settings.store.path) as store:
            case = api.add_case(
                store, settings, now=now, title="Cancel eSIM", organisation="Batelco",
                submitted=date(2026, 3, 1), preset="telecom",
            )  # fmt: skip
            blob = root / "scan.pdf"
            t0 = time.perf_counter()
            for i in range(args.entries):
                files = []
                if i % 10 == 0:
                    blob.write_bytes(os.urandom(args.file_kib * 1024))
                    files = [blob]
                api.log_evidence(store, case.id, kind="note", summary=f"entry {i}", now=now, files=files)
            dt = time.perf_counter() - t0
            n_files = (args.entries + 9) // 10
            print(f"add: {args.entries} entries ({n_files} x {args.file_kib} KiB files) in {dt:.2f} s "
                  f"= {dt / args.entries * 1000:.2f} ms/entry")  # fmt: skip

            t0 = time.perf_counter()
            report = api.verify_evidence(store, case.id)
            dt = time.perf_counter() - t0
            assert report.ok
            print(f"verify: {report.entries} entries, {report.attachments} files in {dt * 1000:.0f} ms")
            ok &= dt <= VERIFY_S_PER_1000 * args.entries / 1000

            for fmt in ("md", "html", "zip"):
                t0 = time.perf_counter()
                data = api.export_dossier(store, settings, case.id, now=now, fmt=fmt)
                dt = time.perf_counter() - t0
                print(f"dossier {fmt}: {len(data) / 1024:.0f} KiB in {dt * 1000:.0f} ms")

            for i in range(args.cases - 1):
                api.add_case(
                    store, settings, now=now, title=f"Case {i}", organisation="Org",
                    submitted=date(2026, 1, 1) + timedelta(days=i % 400),
                )  # fmt: skip
            path = root / "reminder.ics"
            t0 = time.perf_counter()
            write_ics_if_changed(path, ics_api._ics_entries(store, settings, None), now=now)
            dt = time.perf_counter() - t0
            print(f"ics: {args.cases} cases, {path.stat().st_size / 1024:.0f} KiB in {dt * 1000:.0f} ms")
            ok &= dt <= ICS_S_PER_1000 * args.cases / 1000
            t0 = time.perf_counter()
            changed = write_ics_if_changed(path, ics_api._ics_entries(store, settings, None), now=now)
            dt = time.perf_counter() - t0
            print(f"ics unchanged check: rewritten={changed} in {dt * 1000:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
