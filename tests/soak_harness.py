"""The soak: the real daemon on the real clock while CLI processes write, killed -9 now and then.

This is how a new user corrupted the database in two minutes (issue 15): ``reminder daemon``
running, cases added, edited and closed from other shells. Everything here is real: the
daemon is ``python -m reminder daemon`` (no libfaketime: the wall clock is the machine's),
the CLI runs as separate processes, the database is a file, and the reminders go by e-mail
to an aiosmtpd server on loopback that keeps every Message-ID it accepts.

Reminders fall due during the run in two ways: cases submitted weeks ago are overdue at
once (a catch-up message each), and cases submitted yesterday on a calendar-day window whose
``opened`` reminder is set (``--remind hour=H --remind minute=M``, UTC) a minute or two
ahead, so the daemon is woken by the clock, not only by the CLI's poke.

:func:`run_soak` returns a :class:`SoakReport`; ``tests/test_soak.py`` judges a short run and
``benchmarks/soak.py`` prints a long one. A report is judged on what must hold whatever the
timing: the integrity check, every case added present, every reminder due before the end
recorded sent (or cancelled, its case closed) and received, repeats only of a Message-ID
already sent and no more than the kills allow, and never a deleted ``-wal``/``-shm`` held open.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONNECTIONS = 2  # e-mail connections: a kill can repeat at most one message on each


@dataclass
class SoakReport:
    seconds: float = 0.0
    operations: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    kills: int = 0
    daemon_exit: int | None = None
    daemon_stderr: str = ""
    integrity: str = ""
    # What the outbox's kept counts per status (m010's triggers) say, where it is not the rows'.
    counts_mismatch: str = ""
    cases_added: int = 0
    cases_missing: list[str] = field(default_factory=list)
    due_rows: int = 0
    due_not_done: list[str] = field(default_factory=list)  # "key notifier status" due before the end
    sent_rows: int = 0
    received: int = 0
    distinct_received: int = 0
    not_received: list[str] = field(default_factory=list)  # rows recorded sent the sink never saw
    unexpected: list[str] = field(default_factory=list)  # Message-IDs of no row sent or cancelled
    deleted_fds: set[str] = field(default_factory=set)

    @property
    def repeats(self) -> int:
        return self.received - self.distinct_received

    def problems(self) -> list[str]:
        """What went wrong, one line each; empty when the soak passed."""
        out = [f"CLI error: {e}" for e in self.errors[:10]]
        if self.integrity != "ok":
            out.append(f"integrity_check: {self.integrity}")
        if self.counts_mismatch:
            out.append(f"the kept counts per status are not the rows': {self.counts_mismatch}")
        if self.cases_missing:
            out.append(f"{len(self.cases_missing)} case(s) lost: {self.cases_missing[:5]}")
        if self.due_not_done:
            out.append(f"{len(self.due_not_done)} due reminder(s) never sent: {self.due_not_done[:5]}")
        if self.not_received:
            out.append(f"{len(self.not_received)} recorded sent but never received: {self.not_received[:5]}")
        if self.unexpected:
            out.append(f"received but never recorded: {self.unexpected[:5]}")
        if self.repeats > CONNECTIONS * self.kills:
            out.append(f"{self.repeats} repeats in {self.kills} kills over {CONNECTIONS} connections")
        if self.deleted_fds:
            out.append(f"the daemon held deleted database files open: {sorted(self.deleted_fds)}")
        if self.daemon_exit != 0:
            out.append(f"the daemon exited {self.daemon_exit} on SIGTERM: {self.daemon_stderr[-500:]}")
        return out

    def summary(self) -> str:
        ops = sum(self.operations.values())
        return (
            f"{self.seconds:.0f} s, {ops} CLI operations ({ops / max(self.seconds, 1e-9):.2f}/s: "
            f"{dict(self.operations)}), {len(self.errors)} errors, {self.kills} kill -9, "
            f"{self.cases_added} cases, {self.due_rows} reminders due, {self.sent_rows} sent, "
            f"{self.received} received ({self.repeats} repeats), integrity {self.integrity!r}"
        )


class _Sink:
    """An aiosmtpd handler keeping the Message-ID of every message it accepts."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = re.search(rb"^Message-ID: (<[^>]+>)", envelope.content, re.MULTILINE | re.IGNORECASE)
        self.ids.append(found.group(1).decode() if found else "")
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def soak_env(root: Path, port: int, *, url: str | None = None, lease: float | None = None) -> dict[str, str]:
    """An isolated environment (config, data and state under ``root``) for every process; ``url``:
    a shared PostgreSQL store instead of the SQLite file, its daemons' leases ``lease`` seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMINDER_")}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(root / name.lower())
    config = root / "reminder.toml"
    store = f'[store]\nurl = "{url}"\n' if url else ""
    leases = f"lease_seconds = {lease}\n" if lease else ""
    config.write_text(
        f"{store}[daemon]\nmax_sleep_seconds = 5\n{leases}"
        "[notifiers.email]\n"
        f'security = "none"\nhost = "127.0.0.1"\nport = {port}\nconnections = {CONNECTIONS}\n'
        'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n',
        encoding="utf-8",
    )
    env["REMINDER_CONFIG"] = str(config)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env["TZ"] = "UTC"
    return env


class _Daemon:
    """The daemon process, restarted after each kill; a watcher looks at its open files."""

    def __init__(self, env: dict[str, str], db: Path, report: SoakReport) -> None:
        self.env, self.db, self.report = env, db, report
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr = db.parent.parent / "daemon.stderr"
        self._watching = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self.db.parent.mkdir(parents=True, exist_ok=True)
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "reminder", "daemon"], env=self.env, stdout=err, stderr=err
            )
        if not self._watcher.is_alive():
            self._watcher.start()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.report.kills += 1

    def terminate(self) -> tuple[int | None, str]:
        from reminder.daemon import running_pid

        assert self.proc is not None
        self._watching.set()
        # A daemon restarted a moment ago may still be starting Python, before it blocks the
        # signals it reads: SIGTERM would then kill it (-15) instead of stopping it. It holds
        # the lock, with our pid in it, only after that.
        until = time.monotonic() + 60
        while running_pid(self.db.parent) != self.proc.pid and time.monotonic() < until:
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        return code, self.stderr.read_text(errors="replace")

    def _watch(self) -> None:
        # The symptom behind the corruption: the daemon writing to a -wal (or reading a -shm)
        # that another process already deleted. Linux names such a descriptor "... (deleted)".
        while not self._watching.wait(0.1):
            proc = self.proc
            if proc is None or proc.poll() is not None:
                continue
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{proc.pid}/fd"):
                    with contextlib.suppress(OSError):
                        target = os.readlink(f"/proc/{proc.pid}/fd/{fd}")
                        if self.db.name in target and target.endswith("(deleted)"):
                            self.report.deleted_fds.add(target)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args], env=env, capture_output=True, text=True, timeout=120
    )


class _Workload:
    """CLI processes adding, editing and closing cases and adding evidence, as users do."""

    def __init__(self, env: dict[str, str], root: Path, report: SoakReport, seed: int) -> None:
        self.env, self.root, self.report = env, root, report
        self.rng = random.Random(seed)
        self.ids: list[str] = []
        self.closed: set[str] = set()
        self.closed_ok: set[str] = set()  # closed by a `close` that exited 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.attachment = root / "receipt.txt"
        self.attachment.write_text("the carrier's confirmation, as received\n" * 50)

    def _record(self, op: str, result: subprocess.CompletedProcess[str]) -> bool:
        with self.lock:
            if result.returncode == 0:
                self.report.operations[op] += 1
                return True
            self.report.errors.append(f"{op} exited {result.returncode}: {result.stderr.strip()[-300:]}")
            return False

    def _add(self, n: int) -> None:
        now = datetime.now(UTC)
        args = ["add", "--title", f"soak {n}", "--org", "Batelco", "--json"]
        if n % 2:
            # Overdue at once: every reminder of this case fell due weeks ago (one catch-up message).
            args += ["--submitted", (now - timedelta(days=40)).date().isoformat()]
        else:
            # Opens today; its `opened` reminder falls due a minute or two from now (UTC).
            due = now + timedelta(minutes=self.rng.choice((1, 2)))
            submitted = (due - timedelta(days=1)).date().isoformat()
            args += ["--submitted", submitted, "--unit", "calendar", "--min-days", "1", "--max-days", "10"]
            args += ["--timezone", "UTC", "--remind", f"hour={due.hour}", "--remind", f"minute={due.minute}"]
        result = _cli(self.env, *args)
        if self._record("add", result):
            with self.lock:
                self.ids.append(json.loads(result.stdout)["id"])

    def _pick(self) -> str | None:
        with self.lock:
            return self.rng.choice(self.ids) if self.ids else None

    def worker(self, number: int) -> None:
        n = number
        while not self.stop.is_set():
            n += 100
            choice = self.rng.random()
            case_id = self._pick()
            if case_id is None or choice < 0.45:
                self._add(n)
            elif choice < 0.65:
                self._record("edit", _cli(self.env, "edit", case_id, "--notes", f"called again ({n})"))
            elif choice < 0.75:
                with self.lock:  # closing a closed case is the user's mistake, not the soak's
                    if case_id in self.closed:
                        continue
                    self.closed.add(case_id)
                if self._record("close", _cli(self.env, "close", case_id, "--resolution", "soak")):
                    with self.lock:
                        self.closed_ok.add(case_id)
            else:
                self._record(
                    "evidence",
                    _cli(
                        self.env, "evidence", "add", case_id, "--kind", "note",
                        "--summary", f"call {n}", "--file", str(self.attachment),
                    ),
                )  # fmt: skip


def _wait_until_nothing_due(db: Path, until: float) -> None:
    """Until the outbox holds no row due by now that is not sent (or ``until`` passes)."""
    while time.monotonic() < until:
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
            left = conn.execute(
                "SELECT count(*) FROM deliveries WHERE status IN ('planned', 'sending') AND wake_ts <= ?",
                (time.time(),),
            ).fetchone()[0]
        if not left:
            return
        time.sleep(0.5)


def _judge(report: SoakReport, db: Path, sink: _Sink, ids: list[str], end: float) -> None:
    from reminder.notifiers.email_render import message_id

    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        report.integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
        present = {r[0] for r in conn.execute("SELECT id FROM cases")}
        kept = dict(conn.execute("SELECT status, n FROM delivery_counts WHERE n != 0"))
        counted = dict(conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
        report.counts_mismatch = "" if kept == counted else f"kept {kept}, counted {counted}"
        rows = conn.execute("SELECT key, notifier, status, due_ts, last_error FROM deliveries").fetchall()
    report.cases_added = len(ids)
    report.cases_missing = sorted(set(ids) - present)
    received = Counter(sink.ids)
    report.received, report.distinct_received = len(sink.ids), len(received)
    sent = {message_id(key, n) for key, n, status, _d, _e in rows if status == "sent"}
    recorded = sent | {message_id(key, n) for key, n, status, _d, _e in rows if status == "cancelled"}
    report.sent_rows = len(sent)
    due = [r for r in rows if r[3] <= end]
    report.due_rows = len(due)
    # Due before the end: sent, or cancelled (its case closed, or folded into a later one that went).
    report.due_not_done = [f"{k} {n} {s}" for k, n, s, _d, _e in due if s not in ("sent", "cancelled")]
    report.not_received = sorted(sent - set(received))
    report.unexpected = sorted(set(received) - recorded)


def run_soak(
    root: Path,
    *,
    seconds: float,
    workers: int = 3,
    kill_every: tuple[float, float] = (4.0, 12.0),
    seed: int = 20261201,
    progress: Any = None,
) -> SoakReport:
    """Soak for ``seconds``; ``progress(report)`` is called every few seconds if given."""
    from aiosmtpd.controller import Controller

    report = SoakReport()
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = soak_env(root, port)
    db = root / "xdg_data_home" / "reminder" / "reminder.db"
    daemon = _Daemon(env, db, report)
    load = _Workload(env, root, report, seed)
    rng = random.Random(seed + 1)
    started = time.monotonic()
    try:
        load._add(0)  # the store exists before the daemon starts, as in the report
        daemon.start()
        threads = [threading.Thread(target=load.worker, args=(i,), daemon=True) for i in range(workers)]
        for t in threads:
            t.start()
        next_kill = started + rng.uniform(*kill_every)
        next_progress = started + 10
        while (now := time.monotonic()) < started + seconds:
            if now >= next_kill:
                daemon.kill()
                daemon.start()
                next_kill = now + rng.uniform(*kill_every)
            if progress is not None and now >= next_progress:
                report.seconds = now - started
                progress(report)
                next_progress = now + 10
            time.sleep(0.05)
        load.stop.set()
        for t in threads:
            t.join(timeout=180)
        end = time.time()
        # The reminders that fell due before the end go out within a pass or two.
        _wait_until_nothing_due(db, time.monotonic() + 60)
        report.daemon_exit, report.daemon_stderr = daemon.terminate()
        report.seconds = time.monotonic() - started
        _judge(report, db, sink, load.ids, end)
    finally:
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
        controller.stop()
    return report
