"""Several daemons on one PostgreSQL database: real processes, a real server, SMTP on loopback.

2,000 reminders fall due at once (a catch-up message per case). Three daemons share them: each
goes out once, counted by Message-ID at the sink. Then one daemon is killed with SIGKILL in the
middle of sending: the others take its rows over once its lease expires, every repeat carries
the same Message-ID, and nothing is lost. Then the server itself restarts mid-run: the daemons
connect again and nothing is lost. The lease is short here (15 s) to keep the test short.
"""

from __future__ import annotations

import time
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


def start_daemons(root: Path, url: str, port: int) -> list[DaemonProcess]:
    """Start the daemons on an empty database, then plan the reminders: the plan's NOTIFY wakes
    them all at once (each would also look within its 5 s cap), so none starts late."""
    daemons = [
        DaemonProcess(root / f"machine-{n}", url, port, lease=LEASE, connections=CONNECTIONS)
        for n in range(DAEMONS)
    ]
    for daemon in daemons:
        daemon.start()
    for daemon in daemons:
        assert daemon.wait_ready(), daemon.log_text()
    seed(url, daemons[0].config, REMINDERS, now=utc_now())
    return daemons


def stop_all(daemons: list[DaemonProcess]) -> dict[int, int | None]:
    return {d.pid: d.stop() for d in daemons if d.proc is not None}


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
    daemons = start_daemons(tmp_path, pg_url, port)
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
    daemons = start_daemons(tmp_path, pg_url, port)
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
    daemons = start_daemons(tmp_path, pg_url, port)
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
