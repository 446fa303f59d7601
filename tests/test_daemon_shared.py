"""Several daemons on one PostgreSQL database: real processes, a real server, SMTP on loopback.

2,000 reminders fall due at once (a catch-up message per case). Three daemons share them: each
goes out once, counted by Message-ID at the sink. Then one daemon is killed with SIGKILL in the
middle of sending: the others take its rows over once its lease expires, every repeat carries
the same Message-ID, and nothing is lost. Then the server itself restarts mid-run: the daemons
connect again and nothing is lost. The lease is short here (15 s) to keep the test short.
Last, a few reminders and two daemons, each with its relay: one is paused (SIGSTOP) past its
lease while the other sends its rows, and says so when it resumes.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_cluster import PgCluster
from shared_daemons import (
    DaemonProcess,
    Outcome,
    Sink,
    outcome,
    running_sink,
    seed,
    sending_of,
    utc_now,
    wait_until_sent,
)

pytestmark = pytest.mark.timeout(600)

REMINDERS = 2000
DAEMONS = 3
# Short, to keep the test short, yet several times what a chunk of 200 claimed rows takes here.
LEASE = 15.0
CONNECTIONS = 2
# Each SMTP answer waits this long, so the sends take seconds and a kill lands in the middle.
SINK_DELAY = 0.004
DONE_WITHIN = 300.0  # seconds: a bound for a hung run, not a measure of speed


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    with running_sink(SINK_DELAY) as found:
        yield found


def start_daemons(
    root: Path, url: str, ports: list[int], *, lease: float = LEASE, reminders: int = REMINDERS
) -> list[DaemonProcess]:
    """Start a daemon per SMTP port on an empty database, then plan the reminders: the plan's
    NOTIFY wakes them all at once (each would also look within its 5 s cap), so none starts late."""
    daemons = [
        DaemonProcess(root / f"machine-{n}", url, port, lease=lease, connections=CONNECTIONS)
        for n, port in enumerate(ports)
    ]
    for daemon in daemons:
        daemon.start()
    for daemon in daemons:
        assert daemon.wait_ready(), daemon.log_text()
    seed(url, daemons[0].config, reminders, now=utc_now())
    return daemons


def stop_all(daemons: list[DaemonProcess]) -> dict[int, int | None]:
    # SIGTERM to all first, then wait for each: stopped one after the other, each took its own second.
    running = [d for d in daemons if d.proc is not None]
    for d in running:
        d.ask_to_stop()
    return {d.pid: d.wait_stopped() for d in running}


def logs(daemons: list[DaemonProcess]) -> str:
    return "\n".join(f"--- {d.root.name} (pid {d.pid}):\n{d.log_text()[-3000:]}" for d in daemons)


def check_nothing_lost(result: Outcome) -> None:
    assert result.statuses["sent"] == REMINDERS, result.statuses
    # Planned rows left are reminders still to come (later escalations), none due: wait_until_sent.
    assert result.statuses["sending"] == result.statuses["failed"] == 0
    assert result.missing == set()  # every row recorded sent reached the sink
    assert result.unexpected == set()  # and whatever reached it is one of those: a repeat has its row's ID


def test_three_daemons_send_each_reminder_once(tmp_path: Path, pg_url: str, sink: tuple[Sink, int]) -> None:
    server, port = sink
    daemons = start_daemons(tmp_path, pg_url, [port] * DAEMONS)
    try:
        done = wait_until_sent(pg_url, utc_now(), DONE_WITHIN)
    finally:
        exits = stop_all(daemons)
    assert done, logs(daemons)
    assert set(exits.values()) == {0}, logs(daemons)
    result = outcome(pg_url, server)
    check_nothing_lost(result)
    assert result.repeats == 0, result.received.most_common(3)
    assert len(result.received) == REMINDERS
    # They shared the work: each daemon recorded some of the rows.
    assert set(result.owners()) == {str(d.pid) for d in daemons}, result.owners()


def test_a_daemon_killed_mid_send_is_taken_over_after_its_lease(
    tmp_path: Path, pg_url: str, sink: tuple[Sink, int]
) -> None:
    server, port = sink
    daemons = start_daemons(tmp_path, pg_url, [port] * DAEMONS)
    victim = daemons[0]
    try:
        # Kill it while it holds rows `sending` (claimed, in flight or queued for its connections).
        held: set[str] = set()
        until = time.monotonic() + DONE_WITHIN
        while not held and time.monotonic() < until:
            held = sending_of(pg_url, victim.pid)
            if held and server.count() >= 100:
                victim.kill()
                break
            held = set()
            time.sleep(0.01)
        assert held, "the daemon never held a row " + logs(daemons)
        # The rows it held then, less any it recorded sent just before dying, stay until its lease ends.
        orphaned = sending_of(pg_url, victim.pid)
        done = wait_until_sent(pg_url, utc_now(), DONE_WITHIN)
    finally:
        exits = stop_all(daemons[1:])
    assert done, logs(daemons)
    assert set(exits.values()) == {0}, logs(daemons)
    result = outcome(pg_url, server)
    check_nothing_lost(result)
    assert orphaned, "killed with nothing in flight: the test did not test a takeover"
    survivors = {str(d.pid) for d in daemons[1:]}
    # Each of the dead daemon's rows went out, recorded by a survivor: taken over.
    assert {result.sent_keys[key].split(":")[-2] for key in orphaned} <= survivors
    # A repeat is only what the dead daemon had handed to the server and not recorded: at most one
    # message per SMTP connection, each under its row's own Message-ID (check_nothing_lost).
    assert result.repeats <= CONNECTIONS, result.received.most_common(5)


def test_the_daemons_reconnect_after_the_server_restarts(
    tmp_path: Path, pg_cluster: PgCluster, pg_url: str, sink: tuple[Sink, int]
) -> None:
    server, port = sink
    daemons = start_daemons(tmp_path, pg_url, [port] * DAEMONS)
    try:
        until = time.monotonic() + DONE_WITHIN
        while server.count() < 300 and time.monotonic() < until:
            time.sleep(0.01)
        assert server.count() >= 300, logs(daemons)
        pg_cluster.restart(down_for=1.0)  # every connection drops, mid-send
        done = wait_until_sent(pg_url, utc_now(), DONE_WITHIN)
        alive = [d.running() for d in daemons]
    finally:
        exits = stop_all(daemons)
    assert done, logs(daemons)
    assert all(alive), logs(daemons)
    assert set(exits.values()) == {0}, logs(daemons)
    result = outcome(pg_url, server)
    check_nothing_lost(result)
    assert "connection" in logs(daemons)  # they did notice


def test_a_daemon_paused_past_its_lease_reports_only_what_is_still_its_own(
    tmp_path: Path, pg_url: str
) -> None:
    """A daemon stopped (SIGSTOP) mid-send past its lease while its relay went away, and the other
    daemon took its rows over and sent them all. Resumed, it reported "N to retry" for the messages
    it had in flight and "put back for any daemon" every row it had claimed: rows the other had
    sent. Now it counts none as its own to retry, and says they were taken over."""
    relays = [contextlib.ExitStack() for _ in range(2)]
    sinks = [relay.enter_context(running_sink(SINK_DELAY)) for relay in relays]  # a relay each
    paused: DaemonProcess | None = None
    daemons: list[DaemonProcess] = []
    try:
        daemons = start_daemons(tmp_path, pg_url, [port for _, port in sinks], lease=2.0, reminders=20)
        until = time.monotonic() + DONE_WITHIN
        while paused is None and time.monotonic() < until:
            for daemon, (server, _) in zip(daemons, sinks, strict=True):
                if server.count() and sending_of(pg_url, daemon.pid):  # sending, with rows in hand
                    os.kill(daemon.pid, signal.SIGSTOP)
                    paused = daemon
                    relays[daemons.index(daemon)].close()
                    break
            time.sleep(0.005)
        assert paused is not None, logs(daemons)
        done = wait_until_sent(pg_url, utc_now(), DONE_WITHIN)  # the other one sends them all
        os.kill(paused.pid, signal.SIGCONT)
        while "pass: " not in paused.log_text() and time.monotonic() < until:
            time.sleep(0.05)
    finally:
        if paused is not None:
            os.kill(paused.pid, signal.SIGCONT)
        exits = stop_all(daemons)
        for relay in relays:
            relay.close()
    assert done and set(exits.values()) == {0}, logs(daemons)
    text = paused.log_text()
    counts = re.search(r"pass: \d+ sent, (\d+) to retry, (\d+) failed", text)
    assert counts is not None and counts.groups() == ("0", "0"), logs(daemons)
    ran_out = [line for line in text.splitlines() if "ran out before they were sent" in line]
    for line in ran_out:
        found = re.search(r"the lease on (\d+) claimed .*; 0 put back for any daemon, (\d+) taken over", line)
        assert found is not None and found[1] == found[2], line
    # It had claimed rows it never handed over, or a message in flight failed when it resumed.
    assert ran_out or "a failed attempt not recorded" in text, logs(daemons)


# A notifier program that records each delivery (its key, and the daemon that ran it) and takes its
# time: `slow` seconds each, or `stuck` seconds for the first message any daemon sends.
SLOW_PROGRAM = """#!/bin/sh
cat > /dev/null
if [ -n "$STUCK" ] && mkdir "$SINK.first" 2>/dev/null; then sleep "$STUCK"; else sleep "$SLOW"; fi
printf '%s %s\\n' "$REMINDER_KEY" "$PPID" >> "$SINK"
"""


def command_daemons(
    root: Path, url: str, *, lease: float, slow: float, stuck: float = 0
) -> tuple[list[DaemonProcess], Path]:
    """Two daemons whose notifier is a slow program, on an empty database; the sink file it appends to."""
    program, sink = root / "deliver", root / "delivered"
    program.write_text(SLOW_PROGRAM, encoding="utf-8")
    program.chmod(0o755)
    daemons = []
    for n in range(2):
        daemon = DaemonProcess(root / f"machine-{n}", url, 0, lease=lease)
        daemon.config.write_text(
            f'[store]\nurl = "{url}"\npath = "{daemon.root / "data" / "reminder.db"}"\n\n'
            f"[daemon]\nmax_sleep_seconds = 5\nlease_seconds = {lease}\n\n"
            f'[notifiers.command]\nargv = ["{program}"]\ntimeout = {max(30.0, stuck * 2)}\n',
            encoding="utf-8",
        )
        daemon.env.update(SINK=str(sink), SLOW=str(slow), STUCK=str(stuck or ""))
        daemons.append(daemon)
    for daemon in daemons:
        daemon.start()
    for daemon in daemons:
        assert daemon.wait_ready(), daemon.log_text()
    return daemons, sink


def delivered(sink: Path) -> Counter[str]:
    return Counter(line.split()[0] for line in sink.read_text().splitlines() if line.strip())


def test_a_daemon_sending_longer_than_its_lease_keeps_its_rows(tmp_path: Path, pg_url: str) -> None:
    """24 reminders to a program that takes 0.5 s each: 12 s of sending under a 3 s lease. The
    daemon that claimed them renews its lease as it sends, so the other never takes them over:
    each goes out once. (Before, the program was handed 25 messages at a time, the lease was
    checked only when a batch was taken, and the other daemon sent most of them again.)"""
    daemons, sink = command_daemons(tmp_path, pg_url, lease=3.0, slow=0.5)
    try:
        seed(pg_url, daemons[0].config, 24, now=utc_now())
        done = wait_until_sent(pg_url, utc_now(), DONE_WITHIN)
    finally:
        exits = stop_all(daemons)
    assert done and set(exits.values()) == {0}, logs(daemons)
    got = delivered(sink)
    assert len(got) == 24, logs(daemons)
    assert got.most_common(1)[0][1] == 1, (got.most_common(3), logs(daemons))
    assert "not recorded" not in logs(daemons)


def test_a_daemon_stuck_past_its_lease_sends_no_more_of_what_it_had_taken(
    tmp_path: Path, pg_url: str
) -> None:
    """The first message's program hangs for 4 leases: the other daemon takes every row over and
    sends it. When the hung one returns, its daemon hands its program none of the messages it had
    taken with it: the only repeat is the one that hung."""
    daemons, sink = command_daemons(tmp_path, pg_url, lease=2.0, slow=0.05, stuck=8.0)
    try:
        seed(pg_url, daemons[0].config, 20, now=utc_now())
        done = wait_until_sent(pg_url, utc_now(), DONE_WITHIN)
        # The hung program's daemon records nothing of it (taken over); wait until it has returned.
        until = time.monotonic() + DONE_WITHIN
        while sum(delivered(sink).values()) < 21 and time.monotonic() < until:
            time.sleep(0.1)
        time.sleep(2)  # what it would send after the hung one, if it did
    finally:
        exits = stop_all(daemons)
    assert done and set(exits.values()) == {0}, logs(daemons)
    got = delivered(sink)
    assert len(got) == 20, logs(daemons)
    assert sum(got.values()) - len(got) == 1, (got.most_common(3), logs(daemons))
