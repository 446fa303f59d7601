"""Daemons sharing a PostgreSQL store: the chores lock one of them holds at a time, and the
LISTEN/NOTIFY wake-ups that outbox changes send (a real server: the pg_url fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sample_cases import add_one_case

from reminder import outbox, wakeups
from reminder.models import Reminder
from reminder.store import Store

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def shared(tmp_path: Path, pg_url: str) -> Iterator[Store]:
    with Store(tmp_path / "reminder.db", url=pg_url) as store:
        yield store


def test_one_holder_of_the_chores_lock_at_a_time(shared: Store) -> None:
    other = shared.reopen()
    try:
        with wakeups.chores_lock(shared) as first, wakeups.chores_lock(other) as second:
            assert (first, second) == (True, False)
        with wakeups.chores_lock(other) as again:  # released with the block
            assert again
    finally:
        other.close()


def test_sqlite_has_the_chores_to_itself(tmp_path: Path) -> None:
    with Store(tmp_path / "reminder.db") as store, wakeups.chores_lock(store) as ours:
        assert ours


def test_planning_a_reminder_wakes_a_listening_daemon(shared: Store, pg_url: str) -> None:
    import psycopg

    woken = threading.Event()
    listener = wakeups.Listener(lambda: psycopg.connect(pg_url, autocommit=True), woken.set)
    listener.start()
    try:
        add_one_case(shared)
        reminder = Reminder(case_id="abc123", kind="deadline", due=NOW, key="abc123:deadline:1", sequence=1)
        # The listener may still be connecting: plan again until it hears one (each plan notifies).
        for n in range(50):
            with shared.atomic():
                outbox.sync_plan(shared, "abc123", [(reminder, f"log{n}")], NOW)
            if woken.wait(0.2):
                break
        assert woken.is_set()
    finally:
        listener.stop()


def test_the_listener_reconnects_after_a_server_restart(pg_cluster, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    woken = threading.Event()
    listener = wakeups.Listener(lambda: psycopg.connect(pg_url, autocommit=True), woken.set)
    listener.start()
    try:
        pg_cluster.restart()
        # After reconnecting it wakes the daemon once (whatever changed while it was deaf),
        # then hears notifications again.
        assert woken.wait(30)
        woken.clear()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for _ in range(50):
                conn.execute(f"NOTIFY {wakeups.CHANNEL}")
                if woken.wait(0.2):
                    break
        assert woken.is_set()
    finally:
        listener.stop()
