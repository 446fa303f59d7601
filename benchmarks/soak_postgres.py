"""The soak on a shared PostgreSQL store: several daemons, each killed -9 now and then, and CLI writers.

``benchmarks/soak.py --store postgres`` runs it. The workload and the sink are the SQLite soak's
(``tests/soak_harness.py``): CLI processes adding, editing and closing cases and adding evidence
with an attachment, reminders falling due during the run (cases weeks overdue, cases whose
``opened`` reminder is set a minute or two ahead), sent by e-mail to aiosmtpd on loopback. Here the
store is one PostgreSQL database — on a private throw-away cluster started as the tests start
theirs (``tests/pg_cluster.py``: initdb in a temporary directory, fsync off), or a fresh database
on the server of ``url`` — and ``daemons`` daemon processes share it, each with a data directory
of its own, as on a machine of its own, each killed with SIGKILL every ``kill_every`` seconds and
started again. Leases are short (``lease``: 15 s) so that a dead daemon's rows are taken over
within the run. The sink answers at once, as the SQLite soak's does; ``sink_delay`` makes it wait
that long before each answer (a remote relay: ``tests/shared_daemons.py``'s sink), so that more
kills land mid-send and more rows are taken over.

Right after each kill the rows the dead daemon still holds ``sending`` are read: it claimed them
and recorded no outcome, so they are the only ones that kill may send twice — at most one per
SMTP connection (README, "Several daemons on one database").

Judged at the end, with every daemon stopped by SIGTERM:

- no case lost: every ``add`` the CLI acknowledged (exit 0, an id) is in the database, and every
  case a ``close`` acknowledged is closed (the soak reopens none);
- every reminder due before the end recorded sent (or cancelled: its case closed, or folded into
  a later one) and received, and every message received one of those;
- repeats: a message received twice must be of a row a kill left ``sending``, no more than
  ``CONNECTIONS`` per kill; any other repeat is a problem (a lease that ran out under a live
  daemon, a row claimed twice), and so is one catch-up sent under two keys (two rows of a case
  and notifier due before the case was added, beyond the fold's grace, both sent);
- the database: amcheck's ``bt_index_parent_check`` (with ``heapallindexed``) on every index of
  reminder's tables and ``verify_heapam`` on every table, when the role may create the extension;
  the row invariants the schema implies (:data:`INVARIANTS`); and every evidence log verifies
  (``evidence verify``'s check: hashes, links, heads, attachments);
- every daemon ran until it was killed or stopped (none exited on its own), exited 0 on SIGTERM,
  and logged no error or traceback.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from shared_daemons import Sink
from soak_harness import CONNECTIONS, SoakReport, _free_port, _Workload, soak_env

from reminder.backends.postgres import MIGRATIONS
from reminder.outbox import FOLD_MARGIN

MAX_SLEEP = 5.0  # the soak's [daemon] max_sleep_seconds (soak_env)
FOLD_GRACE = MAX_SLEEP + FOLD_MARGIN.total_seconds()  # older than this at a pass: folded, not sent


@dataclass
class Kill:
    """One kill -9: which daemon, when (seconds into the run), and the keys it held ``sending``."""

    daemon: int
    pid: int
    at: float
    in_flight: list[str]  # the Message-IDs of the rows it held sending


@dataclass
class PgSoakReport(SoakReport):
    daemons: int = 1
    closes_undone: list[str] = field(default_factory=list)  # closed (exit 0), found open
    lease: float = 0.0
    sink_delay: float = 0.0
    server: str = ""
    kill_log: list[Kill] = field(default_factory=list)
    own_exits: list[str] = field(default_factory=list)  # daemons that ended during the run, unasked
    daemon_exits: dict[str, int | None] = field(default_factory=dict)  # each one's status on SIGTERM
    repeats_after_kill: int = 0
    repeats_unexplained: list[str] = field(default_factory=list)
    kills_over_bound: list[str] = field(default_factory=list)
    double_catchups: list[str] = field(default_factory=list)
    amcheck: str = ""
    invariants: list[str] = field(default_factory=list)
    evidence_logs: int = 0
    evidence_bad: list[str] = field(default_factory=list)
    log_warnings: Counter[str] = field(default_factory=Counter)
    log_errors: list[str] = field(default_factory=list)
    sent_by: Counter[str] = field(default_factory=Counter)  # rows recorded sent, per machine

    @property
    def in_flight_at_kills(self) -> int:
        return sum(len(k.in_flight) for k in self.kill_log)

    def problems(self) -> list[str]:
        out = [f"CLI error: {e}" for e in self.errors[:10]]
        if self.cases_missing:
            out.append(f"{len(self.cases_missing)} case(s) lost: {self.cases_missing[:5]}")
        if self.closes_undone:
            out.append(
                f"{len(self.closes_undone)} case(s) closed (exit 0) found open: {self.closes_undone[:5]}"
            )
        if self.due_not_done:
            out.append(f"{len(self.due_not_done)} due reminder(s) never sent: {self.due_not_done[:5]}")
        if self.not_received:
            out.append(f"{len(self.not_received)} recorded sent but never received: {self.not_received[:5]}")
        if self.unexpected:
            out.append(f"received but never recorded: {self.unexpected[:5]}")
        if self.repeats_unexplained:
            out.append(f"repeats not of a row a kill left sending: {self.repeats_unexplained[:5]}")
        out += self.kills_over_bound
        if self.double_catchups:
            out.append(f"a catch-up sent under two keys: {self.double_catchups[:5]}")
        if not self.amcheck.startswith(("ok", "skipped")):
            out.append(f"amcheck: {self.amcheck}")
        out += [f"invariant broken: {line}" for line in self.invariants]
        if self.evidence_bad:
            out.append(f"{len(self.evidence_bad)} evidence log(s) do not verify: {self.evidence_bad[:3]}")
        out += [f"a daemon ended on its own: {line}" for line in self.own_exits[:5]]
        bad_exits = {k: v for k, v in self.daemon_exits.items() if v != 0}
        if bad_exits:
            out.append(f"daemons that did not exit 0 on SIGTERM (None: killed after 30 s): {bad_exits}")
        out += [f"daemon log: {line}" for line in self.log_errors[:5]]
        return out

    def summary(self) -> str:
        ops = sum(self.operations.values())
        warnings = "; ".join(f"{n} x {gist}" for gist, n in self.log_warnings.most_common(6)) or "none"
        return (
            f"{self.seconds:.0f} s on {self.server}, {self.daemons} daemons (lease {self.lease:g} s, "
            f"sink delay {self.sink_delay:g} s), "
            f"{ops} CLI operations ({ops / max(self.seconds, 1e-9):.2f}/s: {dict(self.operations)}), "
            f"{len(self.errors)} errors, {self.kills} kill -9 ({self.in_flight_at_kills} reminders in "
            f"flight at them), {len(self.own_exits)} daemon exits unasked, {self.cases_added} cases, "
            f"{self.due_rows} reminders due, {self.sent_rows} sent, {self.received} received "
            f"({self.repeats} repeats: {self.repeats_after_kill} of a row a kill left sending, "
            f"{len(self.repeats_unexplained)} otherwise), database {self.integrity!r}\n"
            f"  amcheck: {self.amcheck}\n"
            f"  invariants: {len(INVARIANTS) - len(self.invariants)} of {len(INVARIANTS)} hold; "
            f"evidence: {self.evidence_logs} logs verified, {len(self.evidence_bad)} do not\n"
            f"  sent per daemon: {dict(sorted(self.sent_by.items()))}\n"
            f"  daemon log warnings: {warnings}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "store": "postgres",
            "server": self.server,
            "daemons": self.daemons,
            "lease_seconds": self.lease,
            "sink_delay_seconds": self.sink_delay,
            "kills_per_daemon": dict(Counter(str(k.daemon) for k in self.kill_log)),
            "in_flight_at_kills": self.in_flight_at_kills,
            "daemon_exits_unasked": self.own_exits,
            "daemon_exits_on_sigterm": self.daemon_exits,
            "repeats_after_kill": self.repeats_after_kill,
            "repeats_unexplained": self.repeats_unexplained,
            "double_catchups": self.double_catchups,
            "closes_undone": self.closes_undone,
            "amcheck": self.amcheck,
            "invariants_broken": self.invariants,
            "evidence_logs_verified": self.evidence_logs,
            "evidence_logs_bad": self.evidence_bad,
            "daemon_log_warnings": dict(self.log_warnings),
            "daemon_log_errors": self.log_errors,
            "sent_per_daemon": dict(self.sent_by),
        }


# --- the server ------------------------------------------------------------------------------------


@contextlib.contextmanager
def soak_database(url: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database: on ``url``'s server (its user may create databases; dropped after), or on
    a private throw-away cluster (removed after). Yields its URL and what the server is."""
    from pg_cluster import start_cluster

    if url is None:
        cluster = start_cluster()
        try:
            with psycopg.connect(cluster.url(), autocommit=True) as conn:
                version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            yield cluster.url(cluster.create_database()), f"a private PostgreSQL {version} (fsync off)"
        finally:
            cluster.destroy()
        return
    name = f"reminder_soak_{int(time.time())}"
    with psycopg.connect(url, autocommit=True) as conn:
        version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name, f"PostgreSQL {version} at --url"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the daemons ------------------------------------------------------------------------------------


class _Machine:
    """One daemon, ``python -m reminder daemon -v``, with XDG directories of its own under
    ``root/machine-N`` (as on a machine of its own) and one log across its restarts."""

    def __init__(self, number: int, env: dict[str, str], root: Path) -> None:
        self.number = number
        self.root = root / f"machine-{number}"
        self.env = dict(env)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            self.env[name] = str(self.root / name.lower())
        self.log = self.root / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []  # every process it ran
        self._offset = 0  # where this start's lines begin in the log

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "reminder", "daemon", "-v"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        self.pids.append(self.proc.pid)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def since_start(self) -> str:
        with open(self.log, "rb") as f:
            f.seek(self._offset)
            return f.read().decode("utf-8", "replace")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def ask_to_stop(self) -> None:
        """SIGTERM, once it runs: a daemon started a moment ago may still be starting Python,
        before it blocks the signals it reads, and would be killed (-15) instead of stopped."""
        assert self.proc is not None
        until = time.monotonic() + 60
        while self.proc.poll() is None and time.monotonic() < until:
            if "reminder daemon running" in self.since_start():
                break
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def _held_by(conn: psycopg.Connection[Any], pid: int) -> list[str]:
    """The Message-IDs of the rows the daemon with this pid holds ``sending`` (its lease owner is
    host:pid:tag): what the sink would receive again if one of them went out before the kill."""
    from reminder.notifiers.email_render import message_id

    rows = conn.execute(
        "SELECT key, notifier FROM deliveries WHERE status = 'sending' AND lease_owner LIKE %s",
        (f"%:{pid}:%",),
    ).fetchall()
    return sorted(message_id(str(key), str(notifier)) for key, notifier in rows)


def _wait_until_nothing_due(conn: psycopg.Connection[Any], until: float) -> None:
    """Until the outbox holds no row due by now that is not sent (or ``until`` passes); a dead
    daemon's rows count until another takes them over, once their lease has run out."""
    while time.monotonic() < until:
        row = conn.execute(
            "SELECT count(*) FROM deliveries WHERE status IN ('planned', 'sending') AND wake_ts <= %s",
            (time.time(),),
        ).fetchone()
        if row is not None and not row[0]:
            return
        time.sleep(0.5)


# --- judging --------------------------------------------------------------------------------------

# What the schema and the outbox's states imply of every row once all daemons have stopped:
# (what is wrong, the query listing the rows where it is). No parameters: a literal % stays one.
INVARIANTS: list[tuple[str, str]] = [
    (
        "a reminder sending without a lease",
        "SELECT key FROM deliveries WHERE status = 'sending'"
        " AND (lease_owner IS NULL OR lease_until IS NULL)",
    ),
    (
        "a reminder still sending after every daemon stopped",
        "SELECT key || ' held by ' || coalesce(lease_owner, '?') FROM deliveries WHERE status = 'sending'",
    ),
    (
        "a reminder sent without its time or an attempt, or with a lease or an error",
        "SELECT key FROM deliveries WHERE status = 'sent' AND (sent_at IS NULL OR attempts < 1"
        " OR lease_until IS NOT NULL OR last_error IS NOT NULL)",
    ),
    (
        "a reminder cancelled without its reason",
        "SELECT key FROM deliveries WHERE status = 'cancelled' AND NOT (last_error IN"
        " ('case closed', 'no longer planned') OR last_error LIKE 'superseded by %')",
    ),
    (
        "a reminder superseded by one its case and notifier do not have",
        "SELECT d.key FROM deliveries d WHERE d.status = 'cancelled' AND d.last_error LIKE 'superseded by %'"
        " AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.case_id = d.case_id"
        " AND o.notifier = d.notifier AND o.key = substr(d.last_error, 15))",
    ),
    ("a reminder keyed for another case", "SELECT key FROM deliveries WHERE key NOT LIKE case_id || ':%'"),
    (
        "a planned reminder of a closed case",
        "SELECT d.key FROM deliveries d JOIN cases c ON c.id = d.case_id"
        " WHERE c.status = 'closed' AND d.status = 'planned'",
    ),
    (
        "a case closed without its time, or open with one",
        "SELECT id FROM cases WHERE (status = 'closed') <> (closed_at IS NOT NULL)",
    ),
    (
        "a row of a case that is not there",
        "SELECT t || ' ' || case_id FROM (SELECT 'deliveries' AS t, case_id FROM deliveries"
        " UNION ALL SELECT 'evidence', case_id FROM evidence"
        " UNION ALL SELECT 'evidence_heads', case_id FROM evidence_heads"
        " UNION ALL SELECT 'checklist_items', case_id FROM checklist_items) r"
        " WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = r.case_id)",
    ),
    (
        "an evidence log not numbered 1..n",
        "SELECT case_id FROM evidence GROUP BY case_id HAVING count(*) <> max(seq) OR min(seq) <> 1",
    ),
    (
        "an evidence entry not linked to the one before it",
        "SELECT e.case_id || '/' || e.seq FROM evidence e JOIN evidence p"
        " ON p.case_id = e.case_id AND p.seq = e.seq - 1 WHERE e.prev_hash <> p.hash",
    ),
    (
        "an evidence log whose head is not its last entry",
        "SELECT e.case_id FROM (SELECT case_id, max(seq) AS n FROM evidence GROUP BY case_id) e"
        " LEFT JOIN evidence_heads h ON h.case_id = e.case_id"
        " LEFT JOIN evidence l ON l.case_id = e.case_id AND l.seq = e.n"
        " WHERE h.case_id IS NULL OR h.entries <> e.n OR h.head <> l.hash",
    ),
    (
        "an evidence head of no entry",
        "SELECT case_id FROM evidence_heads h"
        " WHERE NOT EXISTS (SELECT 1 FROM evidence e WHERE e.case_id = h.case_id)",
    ),
    (
        "an attachment not whole (chunks, size or SHA-256)",
        "SELECT a.sha256 FROM attachments a LEFT JOIN (SELECT sha256, count(*) AS n,"
        " sum(octet_length(data)) AS size,"
        " encode(sha256(string_agg(data, ''::bytea ORDER BY n)), 'hex') AS digest"
        " FROM attachment_chunks GROUP BY sha256) c ON c.sha256 = a.sha256"
        " WHERE coalesce(c.n, 0) <> a.chunks OR coalesce(c.size, 0) <> a.size"
        " OR coalesce(c.digest, encode(sha256(''::bytea), 'hex')) <> a.sha256",
    ),
    (
        "attachment chunks of no attachment",
        "SELECT DISTINCT sha256 FROM attachment_chunks c"
        " WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = c.sha256)",
    ),
    (
        "an evidence entry naming an attachment not stored",
        "SELECT e.case_id || '/' || e.seq FROM evidence e, jsonb_array_elements(e.attachments::jsonb) f"
        " WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = f ->> 'sha256')",
    ),
    (
        f"the schema version is not one row saying {len(MIGRATIONS)}",
        f"SELECT 'version ' || version FROM reminder_schema WHERE version <> {len(MIGRATIONS)}"
        " UNION ALL SELECT count(*) || ' rows' FROM reminder_schema HAVING count(*) <> 1",
    ),
]


def check_invariants(conn: psycopg.Connection[Any]) -> list[str]:
    """One line per invariant broken: what, how many rows, the first few."""
    out = []
    for what, sql in INVARIANTS:
        rows = [str(r[0]) for r in conn.execute(sql).fetchall()]  # no parameters: no % processing
        if rows:
            out.append(f"{what}: {len(rows)} ({', '.join(rows[:5])})")
    return out


def run_amcheck(conn: psycopg.Connection[Any]) -> str:
    """amcheck on every btree index (with its table's rows: heapallindexed, rootdescend) and every
    table (verify_heapam, TOAST included) in the public schema: "ok: …", "skipped: why", or what
    it found. Run with every daemon stopped (bt_index_parent_check takes a ShareLock)."""
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
    except psycopg.Error as exc:
        return f"skipped: cannot create the amcheck extension ({str(exc).strip()})"
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND am.amname = 'btree' ORDER BY 1"
    ).fetchall()
    tables = conn.execute(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
    ).fetchall()
    found: list[str] = []
    for (index,) in indexes:
        try:
            conn.execute("SELECT bt_index_parent_check(%s::regclass, true, true)", (index,))
        except psycopg.Error as exc:
            found.append(f"{index}: {str(exc).strip()}")
    for (table,) in tables:
        for blkno, offnum, _attnum, msg in conn.execute(
            "SELECT * FROM verify_heapam(%s::regclass, check_toast => true)", (table,)
        ).fetchall():
            found.append(f"{table} block {blkno} item {offnum}: {msg}")
    if found:
        return "; ".join(found[:10])
    return (
        f"ok: {len(indexes)} indexes (bt_index_parent_check, heapallindexed), "
        f"{len(tables)} tables (verify_heapam)"
    )


VERIFY_EVIDENCE = """
import json
from reminder import api
from reminder.config import load_settings
from reminder.store import open_store

with open_store(load_settings()) as store:
    ids = [r[0] for r in store.conn.execute("SELECT DISTINCT case_id FROM evidence ORDER BY 1").fetchall()]
    bad = {}
    for case_id in ids:
        problems = api.verify_evidence(store, case_id).problems
        if problems:
            bad[case_id] = [str(p) for p in problems]
print(json.dumps({"checked": len(ids), "bad": bad}))
"""


def verify_evidence(env: dict[str, str]) -> tuple[int, list[str]]:
    """``evidence verify`` of every case with evidence, in one process of the CLI's machine (its
    evidence key): how many logs, and a line for each that does not verify."""
    done = subprocess.run(
        [sys.executable, "-c", VERIFY_EVIDENCE], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        return 0, [f"the check itself failed ({done.returncode}): {done.stderr.strip()[-500:]}"]
    found = json.loads(done.stdout)
    return int(found["checked"]), [f"{k}: {v[:3]}" for k, v in sorted(found["bad"].items())]


_LEVEL = re.compile(r" (WARNING|ERROR|CRITICAL) (\S+): (.*)")


def read_logs(report: PgSoakReport, machines: list[_Machine]) -> None:
    """Warnings counted by their gist (numbers as N); errors and tracebacks listed."""
    for machine in machines:
        text = machine.log.read_text(errors="replace") if machine.log.exists() else ""
        for line in text.splitlines():
            found = _LEVEL.search(line)
            if found is None:
                if line.startswith("Traceback"):
                    report.log_errors.append(f"machine-{machine.number}: a traceback")
                continue
            gist = re.sub(r"\d+", "N", f"{found[2]}: {found[3]}")[:140]
            if found[1] == "WARNING":
                report.log_warnings[gist] += 1
            else:
                report.log_errors.append(f"machine-{machine.number}: {found[3][:300]}")


def judge(
    report: PgSoakReport, conn: psycopg.Connection[Any], sink: Sink, load: _Workload, end: float
) -> None:
    from reminder.notifiers.email_render import message_id

    present = {str(r[0]) for r in conn.execute("SELECT id FROM cases")}
    closed = {str(r[0]) for r in conn.execute("SELECT id FROM cases WHERE status = 'closed'")}
    ids = load.ids
    created = {
        str(i): float(t)
        for i, t in conn.execute("SELECT id, extract(epoch FROM created_at::timestamptz) FROM cases")
    }
    rows = conn.execute("SELECT key, notifier, status, due_ts, case_id FROM deliveries").fetchall()
    report.cases_added = len(ids)
    report.cases_missing = sorted(set(ids) - present)
    report.closes_undone = sorted(load.closed_ok & present - closed)
    received = Counter(sink.ids)
    report.received, report.distinct_received = len(sink.ids), len(received)
    sent = {message_id(k, n) for k, n, s, _d, _c in rows if s == "sent"}
    recorded = sent | {message_id(k, n) for k, n, s, _d, _c in rows if s == "cancelled"}
    report.sent_rows = len(sent)
    due = [r for r in rows if r[3] <= end]
    report.due_rows = len(due)
    report.due_not_done = [f"{k} {n} {s}" for k, n, s, _d, _c in due if s not in ("sent", "cancelled")]
    report.not_received = sorted(sent - set(received))
    report.unexpected = sorted(set(received) - recorded)
    # Repeats: each must be of a row a kill left sending, at most CONNECTIONS per kill.
    kills_of: dict[str, list[Kill]] = {}
    for kill in report.kill_log:
        for mid in kill.in_flight:
            kills_of.setdefault(mid, []).append(kill)
    for mid, n in received.items():
        if n < 2:
            continue
        if n - 1 <= len(kills_of.get(mid, [])):
            report.repeats_after_kill += n - 1
        else:
            report.repeats_unexplained.append(f"{mid} x{n}")
    for kill in report.kill_log:
        repeated = [mid for mid in kill.in_flight if received[mid] > 1]
        if len(repeated) > CONNECTIONS:
            report.kills_over_bound.append(
                f"the kill of daemon {kill.daemon} (pid {kill.pid}) at {kill.at:.0f} s repeated "
                f"{len(repeated)} messages, more than {CONNECTIONS} connections: {repeated[:5]}"
            )
    # A catch-up is one message: of the rows of a case and notifier due before the case was added
    # (beyond the fold's grace), at most one goes out; the others are superseded by it.
    early: Counter[tuple[str, str]] = Counter()
    for _key, notifier, status, due_ts, case_id in rows:
        if status == "sent" and due_ts < created.get(case_id, 0.0) - FOLD_GRACE:
            early[(case_id, notifier)] += 1
    report.double_catchups = [f"{c} {n}: {k} messages" for (c, n), k in sorted(early.items()) if k > 1]


# --- the run --------------------------------------------------------------------------------------


def run_pg_soak(
    root: Path,
    *,
    seconds: float,
    workers: int = 3,
    daemons: int = 2,
    kill_every: tuple[float, float] = (4.0, 12.0),
    lease: float = 15.0,
    sink_delay: float = 0.0,
    url: str | None = None,
    seed: int = 20261201,
    progress: Callable[[SoakReport], None] | None = None,
) -> PgSoakReport:
    """Soak for ``seconds`` with ``daemons`` daemons on one PostgreSQL database (see the module)."""
    from aiosmtpd.controller import Controller

    report = PgSoakReport(daemons=daemons, lease=lease, sink_delay=sink_delay)
    sink = Sink(sink_delay)
    with contextlib.ExitStack() as stack:
        db_url, report.server = stack.enter_context(soak_database(url))
        port = _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        stack.callback(controller.stop)
        env = soak_env(root, port, url=db_url, lease=lease)
        machines = [_Machine(n, env, root) for n in range(daemons)]
        stack.callback(_kill_left, machines)
        watch = stack.enter_context(psycopg.connect(db_url, autocommit=True))
        load = _Workload(env, root, report, seed)
        rng = random.Random(seed + 1)
        started = time.monotonic()
        load._add(0)  # the database is migrated before the daemons start
        for machine in machines:
            machine.start()
        threads = [threading.Thread(target=load.worker, args=(i,), daemon=True) for i in range(workers)]
        for t in threads:
            t.start()
        next_kill = [started + rng.uniform(*kill_every) for _ in machines]
        next_progress = started + 10
        while (now := time.monotonic()) < started + seconds:
            for n, machine in enumerate(machines):
                assert machine.proc is not None
                code = machine.proc.poll()
                if code is not None:
                    tail = " | ".join(machine.since_start().strip().splitlines()[-3:])
                    report.own_exits.append(f"machine-{n} pid {machine.pid} exited {code}: {tail[-400:]}")
                    machine.start()
                elif now >= next_kill[n]:
                    pid = machine.pid
                    machine.kill()
                    report.kill_log.append(Kill(n, pid, now - started, _held_by(watch, pid)))
                    report.kills += 1
                    machine.start()
                    next_kill[n] = now + rng.uniform(*kill_every)
            if progress is not None and now >= next_progress:
                report.seconds = now - started
                progress(report)
                next_progress = now + 10
            time.sleep(0.05)
        load.stop.set()
        for t in threads:
            t.join(timeout=180)
        end = time.time()
        # What fell due before the end goes out within a pass or two; a dead daemon's rows once
        # their lease has run out.
        _wait_until_nothing_due(watch, time.monotonic() + 2 * lease + 90)
        for machine in machines:
            machine.ask_to_stop()
        report.daemon_exits = {f"machine-{m.number}": m.wait_stopped() for m in machines}
        report.seconds = time.monotonic() - started
        judge(report, watch, sink, load, end)
        machine_of = {str(pid): f"machine-{m.number}" for m in machines for pid in m.pids}
        for (owner,) in watch.execute("SELECT lease_owner FROM deliveries WHERE status = 'sent'"):
            parts = str(owner or "").split(":")  # host:pid:tag
            report.sent_by[machine_of.get(parts[-2] if len(parts) >= 3 else "", "?")] += 1
        report.amcheck = run_amcheck(watch)
        report.invariants = check_invariants(watch)
        report.evidence_logs, report.evidence_bad = verify_evidence(env)
        read_logs(report, machines)
        broken = report.invariants + report.evidence_bad
        if not report.amcheck.startswith(("ok", "skipped")):
            broken.insert(0, report.amcheck)
        report.integrity = "ok" if not broken else "; ".join(broken)[:1000]
    return report


def _kill_left(machines: list[_Machine]) -> None:
    for machine in machines:
        if machine.proc is not None and machine.proc.poll() is None:
            machine.proc.kill()
            machine.proc.wait()
