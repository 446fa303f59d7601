"""E-mail throughput: 1,000 reminders to a loopback aiosmtpd, with and without connection reuse, in one run.

    .venv/bin/python benchmarks/email_delivery.py [--n 1000] [--security none|starttls] [--json]

* reuse: ``EmailNotifier.send_batch`` — one SMTP connection (EHLO, STARTTLS, …) for the batch;
* no reuse: ``EmailNotifier.send`` per message — a new connection for each.

Each message is a realistic reminder (plain text with an HTML alternative, ~2 KB).
The server counts what it received; the run fails (exit 1) if any message is
missing. With ``--security starttls`` a self-signed certificate is made with
openssl and trusted through ``ca_file``. Figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from reminder.models import Message
from reminder.notifiers.email import EmailNotifier, EmailOptions

NOW = datetime(2026, 3, 22, 9, 0, tzinfo=UTC)


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.sessions: set[Any] = set()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)
            # The session objects themselves (kept alive): client ports may repeat over 1,000 connections.
            self.sessions.add(session)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message(i: int) -> Message:
    text = (
        f"Cancel roaming eSIM #{i} — today (Sun 2026-03-22) is the deadline.\n\n"
        "Organisation: Batelco\nSubmitted: Sun 2026-03-01\nWindow opens: Tue 2026-03-10\n"
        f"Deadline: Sun 2026-03-22\nReference: R-{i:06d}\nContact: hotline 196, e-mail\n\n"
        "Next step:\nIf no decision has come, contact the organisation today quoting your reference, "
        "ask for a written answer, and log the call or e-mail as evidence.\n\n"
        "Evidence so far: 3 entries\n  - 2026-03-01 submitted: online form\n"
        "  - 2026-03-02 code: verification code by SMS\n  - 2026-03-10 call: status checked\n"
    ) * 2
    return Message(
        key=f"case-{i}:deadline:0",
        case_id=f"case-{i}",
        kind="deadline",
        subject=f"Cancel roaming eSIM #{i}: today is the deadline",
        text=text,
        urgency="critical",
    )


def make_cert(directory: Path) -> tuple[Path, Path]:
    key, crt = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def run(n: int, security: str) -> dict[str, Any]:
    counter = Counter()
    kwargs: dict[str, Any] = {}
    options: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if security == "starttls":
            crt, key = make_cert(Path(tmp))
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(crt), str(key))
            kwargs = {"tls_context": ctx, "require_starttls": True}
            options = {"ca_file": crt}
        controller = Controller(counter, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        try:
            notifier = EmailNotifier(
                EmailOptions(
                    host="127.0.0.1", port=controller.port, security=security,  # type: ignore[arg-type]
                    sender="reminder@example.org", recipients=["me@example.org"], timeout=10, **options,
                ),
                clock=lambda: NOW,
            )  # fmt: skip
            messages = [message(i) for i in range(n)]
            results: dict[str, Any] = {"n": n, "security": security}
            for mode in ("reuse", "no_reuse"):
                counter.count, counter.sessions = 0, set()
                started = time.perf_counter()
                if mode == "reuse":
                    outcomes = notifier.send_batch(messages)
                else:
                    outcomes = [notifier.send(m) for m in messages]
                elapsed = time.perf_counter() - started
                failed = [o.detail for o in outcomes if not o.ok]
                results[mode] = {
                    "seconds": round(elapsed, 3),
                    "messages_per_second": round(n / elapsed, 1),
                    "connections": len(counter.sessions),
                    "received": counter.count,
                    "failed": len(failed),
                    "first_failure": failed[0] if failed else None,
                }
        finally:
            controller.stop()
    results["speedup"] = round(
        results["reuse"]["messages_per_second"] / results["no_reuse"]["messages_per_second"], 2
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="messages per mode (default 1000)")
    parser.add_argument("--security", choices=["none", "starttls"], default="none")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = run(args.n, args.security)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{args.n} reminders by e-mail to a loopback aiosmtpd (security = {args.security!r})")
        print(f"{'mode':<28}{'msg/s':>10}{'seconds':>10}{'connections':>13}{'received':>10}")
        for mode, label in (("reuse", "one connection (send_batch)"), ("no_reuse", "connection per message")):
            r = results[mode]
            print(
                f"{label:<28}{r['messages_per_second']:>10}{r['seconds']:>10}{r['connections']:>13}{r['received']:>10}"
            )
        print(f"connection reuse is {results['speedup']}x faster")
    ok = all(results[m]["received"] == args.n and results[m]["failed"] == 0 for m in ("reuse", "no_reuse"))
    if not ok:
        print("some messages were not delivered", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
