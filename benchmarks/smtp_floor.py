"""The floor under the catch-up figure: how fast a bare client can hand messages to an SMTP server.

    .venv/bin/python benchmarks/smtp_floor.py HOST PORT [--n 10000] [--connections 4]

Run as its own process by ``benchmarks/daemon.py`` against the same loopback aiosmtpd the
daemon catches up to. It renders ``n`` reminders like the daemon's beforehand (not timed),
then sends them over ``connections`` threads with plain ``smtplib.sendmail``: no database,
no outbox, no commit per message. The seconds it prints (JSON) are what this machine and
this server allow any Python client; the daemon's catch-up is compared with them.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import threading
import time
from datetime import UTC, datetime

from email_delivery import message  # beside this file: a realistic ~2 KB reminder

from reminder.notifiers.email_render import render_bytes

SENDER = "reminder@example.org"
RECIPIENTS = ["me@example.org"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    now = datetime.now(UTC)
    data = [
        render_bytes(message(i), sender=SENDER, recipients=RECIPIENTS, now=now, notifier="email")
        for i in range(args.n)
    ]
    shares = [data[k :: args.connections] for k in range(args.connections)]
    errors: list[BaseException] = []

    sent = [0] * args.connections

    def lane(k: int, share: list[bytes]) -> None:
        try:
            with smtplib.SMTP(args.host, args.port) as smtp:
                for item in share:
                    smtp.sendmail(SENDER, RECIPIENTS, item)
                    sent[k] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lane, args=(k, share)) for k, share in enumerate(shares)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 2), "sent": sum(sent), "errors": [repr(e) for e in errors]}))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
