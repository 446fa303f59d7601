"""Several real ``reminder daemon`` processes on one PostgreSQL database, sending to one SMTP sink.

Used by ``tests/test_daemon_shared.py`` (2,000 reminders; a daemon killed with SIGKILL mid-send;
the server restarted mid-run) and ``benchmarks/postgres.py`` (100,000 reminders to a sink that
takes 20 ms to answer each command, with 1, 2 and 4 daemons).

- :class:`Sink` is an aiosmtpd handler that keeps every Message-ID it accepts and can wait
  ``delay`` seconds before each answer (a remote relay's round trip), without holding up its
  other connections (it is asyncio).
- :func:`seed` puts ``n`` open cases into the database, submitted long ago, and plans them: each
  has reminders long overdue, which a daemon folds into one catch-up message per case (so ``n``
  messages), keyed by the case's latest due reminder.
- :class:`DaemonProcess` is one daemon, a process of its own with its own data directory, as on
  a machine of its own; each has the same config but for its paths.
- :func:`outcome` reads back what the database says and compares it with what the sink got.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reminder.models import ReviewWindow
    from reminder.store import Store

REPO = Path(__file__).resolve().parent.parent

__all__ = [
    "DaemonProcess",
    "Outcome",
    "Sink",
    "daemon_config",
    "insert_cases",
    "outcome",
    "running_sink",
    "seed",
]


class Sink:
    """An aiosmtpd handler keeping the Message-ID of every message it accepts, in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def _wait(self) -> None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: Any
    ) -> Any:
        await self._wait()
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        await self._wait()
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        await self._wait()
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        await self._wait()
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await self._wait()
        found = re.search(rb"^Message-ID: (<[^>]+>)", envelope.content, re.MULTILINE | re.IGNORECASE)
        with self.lock:
            self.ids.append(found.group(1).decode() if found else "")
            now = time.monotonic()
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_sink(delay: float = 0.0) -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink(delay)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def daemon_config(
    url: str, data_dir: Path, port: int, *, lease: float, connections: int = 2, max_sleep: float = 5
) -> str:
    return (
        f'[store]\nurl = "{url}"\npath = "{data_dir / "reminder.db"}"\n\n'
        f"[daemon]\nmax_sleep_seconds = {max_sleep}\nlease_seconds = {lease}\n\n"
        "[notifiers.email]\n"
        f'security = "none"\nhost = "127.0.0.1"\nport = {port}\nconnections = {connections}\n'
        'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n'
    )


def environment(root: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "PG"))}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(root / name.lower())
    env["REMINDER_CONFIG"] = str(config)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env["TZ"] = "UTC"
    return env


def insert_cases(
    store: Store, n: int, *, now: datetime, days_ago: Callable[[int], int], prefix: str, batch: int
) -> None:
    """``n`` open Bahrain cases with their windows, case ``i`` submitted ``days_ago(i)`` days
    before ``now``, ``batch`` to a transaction (windows computed once per submission day)."""
    from reminder.models import Case
    from reminder.window import compute_window

    windows: dict[date, ReviewWindow] = {}
    for start in range(0, n, batch):
        with store.atomic():
            for i in range(start, min(n, start + batch)):
                submitted = (now - timedelta(days=days_ago(i))).date()
                if submitted not in windows:
                    windows[submitted] = compute_window(submitted, country="BH")
                case = Case(
                    id=f"{prefix}{i:07d}",
                    title=f"Cancel roaming eSIM #{i}",
                    organisation="Batelco",
                    submitted=submitted,
                    country="BH",
                    timezone="Asia/Bahrain",
                    reference=f"R-{i:07d}",
                    created_at=now,
                    updated_at=now,
                )
                store.add_case(case, windows[submitted])


def seed(url: str, config: Path, n: int, *, now: datetime, batch: int = 5000) -> dict[str, float]:
    """``n`` open cases submitted 40-60 days before ``now``, planned for ``config``'s notifiers;
    returns the seconds each step took. The plans' fingerprint is recorded, so a daemon starting
    on them finds them current and goes straight to sending."""
    from reminder import api
    from reminder.config import load_settings
    from reminder.store import Store

    settings = load_settings(config)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with Store(Path(settings.store.path), url=url) as store:
        insert_cases(store, n, now=now, days_ago=lambda i: 40 + i % 20, prefix="c", batch=batch)
        timings["insert_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        api.replan_all(store, settings, now=now)
        timings["plan_seconds"] = time.perf_counter() - started
        api.replan_if_changed(store, settings, now=now)  # records the fingerprint
    return timings


class DaemonProcess:
    """``python -m reminder daemon -v`` with a config and data directory of its own under ``root``."""

    def __init__(self, root: Path, url: str, port: int, *, lease: float, connections: int = 2) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "reminder.toml"
        self.config.write_text(
            daemon_config(url, root / "data", port, lease=lease, connections=connections), encoding="utf-8"
        )
        self.env = environment(root, self.config)
        self.log = root / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._asked = False  # SIGTERM sent to the current process

    def start(self) -> None:
        self._asked = False
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "reminder", "daemon", "-v"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 60) -> bool:
        """Until its log says it runs (its signals are blocked then: SIGTERM stops, not kills)."""
        until = time.monotonic() + timeout
        while time.monotonic() < until and self.running():
            if "reminder daemon running" in self.log.read_text(errors="replace"):
                return True
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait; the exit status (None: it had to be killed)."""
        self.ask_to_stop()
        return self.wait_stopped(timeout)

    def ask_to_stop(self) -> None:
        """SIGTERM, once, if it still runs (a second one is not sent by :meth:`wait_stopped`)."""
        if self.proc is not None and self.proc.poll() is None and not self._asked:
            self.proc.send_signal(signal.SIGTERM)
            self._asked = True

    def wait_stopped(self, timeout: float = 30) -> int | None:
        """Wait for it to end after :meth:`ask_to_stop`; the exit status (None: it had to be killed)."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def left_to_send(url: str, before: datetime) -> int:
    """Rows due by ``before`` not sent yet (planned, or sending); -1 when the server is unreachable."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT count(*) FROM deliveries WHERE status IN ('planned', 'sending') AND due_ts <= %s",
                (before.timestamp(),),
            ).fetchone()
    except psycopg.OperationalError:
        return -1
    return int(row[0]) if row else 0


def wait_until_sent(url: str, before: datetime, timeout: float) -> bool:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if left_to_send(url, before) == 0:
            return True
        time.sleep(0.2)
    return False


def sending_of(url: str, pid: int) -> set[str]:
    """Keys of the rows the daemon with this pid holds ``sending`` now."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT key FROM deliveries WHERE status = 'sending' AND lease_owner LIKE %s", (f"%:{pid}:%",)
        ).fetchall()
    return {str(r[0]) for r in rows}


@dataclass
class Outcome:
    statuses: Counter[str] = field(default_factory=Counter)
    sent_keys: dict[str, str] = field(default_factory=dict)  # key -> lease_owner that recorded it
    received: Counter[str] = field(default_factory=Counter)  # Message-ID -> times the sink took it
    expected: set[str] = field(default_factory=set)  # Message-IDs of the rows recorded sent

    @property
    def missing(self) -> set[str]:
        """Recorded sent, never received."""
        return self.expected - set(self.received)

    @property
    def unexpected(self) -> set[str]:
        """Received, of no row recorded sent (a repeat under a new Message-ID would show here)."""
        return set(self.received) - self.expected

    @property
    def repeats(self) -> int:
        return sum(n - 1 for n in self.received.values())

    def owners(self) -> Counter[str]:
        """Rows recorded sent per daemon (by pid)."""
        return Counter(owner.split(":")[-2] if owner else "?" for owner in self.sent_keys.values())


def outcome(url: str, sink: Sink) -> Outcome:
    import psycopg

    from reminder.notifiers.email_render import message_id

    out = Outcome()
    with psycopg.connect(url) as conn:
        for status, n in conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status"):
            out.statuses[str(status)] = int(n)
        for key, owner in conn.execute("SELECT key, lease_owner FROM deliveries WHERE status = 'sent'"):
            out.sent_keys[str(key)] = str(owner or "")
    with sink.lock:
        out.received = Counter(sink.ids)
    out.expected = {message_id(key, "email") for key in out.sent_keys}
    return out


def utc_now() -> datetime:
    return datetime.now(UTC)
