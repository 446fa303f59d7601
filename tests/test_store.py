"""The store on real files and a real PostgreSQL server: modes, pragmas, transactions,
migrations, concurrency. Tests taking ``store`` run on both backends (see conftest's
``db_store``); the SQLite file's own behaviour is tested on SQLite alone."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import sleep

import pytest
from conftest import REPO, RunCli, TmpEnv
from sample_cases import make_case

import reminder.store as store_mod
from reminder import case_rows
from reminder.case_ids import CASE_ID_ALPHABET, CASE_ID_LENGTH
from reminder.case_lines import list_cases_json, listed_lines, stored_cases_json, write_cases_json
from reminder.errors import InputError, NotFound, StoreError
from reminder.models import Case, ChecklistItem, Closure, ReviewWindow, TentativeDay
from reminder.record import replace
from reminder.store import MIGRATIONS, Store

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def store(db_store: Store) -> Store:
    """Every test here that takes ``store`` runs on SQLite and on PostgreSQL."""
    return db_store


def sqlite_only(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("about the SQLite file itself")


def make_window(case: Case, opens: date, deadline: date, **kw: object) -> ReviewWindow:
    return ReviewWindow(
        country=case.country,
        subdivision=case.subdivision,
        submitted=case.submitted,
        opens=opens,
        deadline=deadline,
        min_days=case.min_days,
        max_days=case.max_days,
        **kw,  # type: ignore[arg-type]
    )


def test_file_is_private_and_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "reminder.db"
    with Store(path) as s:
        s.add_case(make_case())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sidecar.exists():
            assert stat.S_IMODE(sidecar.stat().st_mode) & 0o077 == 0


def test_existing_file_gets_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pragmas(store: Store) -> None:
    sqlite_only(store)
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == len(MIGRATIONS)


def test_round_trip_keeps_every_field(store: Store) -> None:
    case = make_case(
        kind="cancellation",
        filed="cancel roaming eSIM",
        reference="REF-123",
        channels=("hotline", "e-mail"),
        subdivision=None,
        submitted_time=time(14, 30),
        min_days=5,
        max_days=10,
        notes="asked for the balance refund",
        preset="telecom",
        remind={"before_deadline": 3},
        closures=(Closure(date(2026, 3, 5), date(2026, 3, 6), "office move", "case"),),
        checklist=(ChecklistItem(1, "Back up contacts"), ChecklistItem(2, "Keep the letter")),
    )
    because = (TentativeDay(date(2026, 3, 20), "Eid al-Fitr (estimated)"),)
    window = make_window(
        case,
        date(2026, 3, 8),
        date(2026, 3, 15),
        tentative=True,
        tentative_because=because,
        holidays_version="0.109",
        warnings=("w",),
    )
    stored = store.add_case(case, window)
    assert len(stored.id) == CASE_ID_LENGTH and set(stored.id) <= set(CASE_ID_ALPHABET)
    assert store.get_case(stored.id) == stored
    assert store.get_case(stored.id.upper() + " ") == stored  # ids are forgiving
    assert store.get_window(stored.id) == window


def test_unknown_id_is_not_found_with_a_hint(store: Store) -> None:
    with pytest.raises(NotFound, match=r"no case with id 'zzzzzz'.*reminder list"):
        store.get_case("zzzzzz")
    with pytest.raises(NotFound):
        store.delete_case("zzzzzz")
    with pytest.raises(NotFound):
        store.update_case(make_case(id="zzzzzz"))


def test_duplicate_explicit_id_is_refused(store: Store) -> None:
    store.add_case(make_case(id="abc234"))
    with pytest.raises(InputError, match="already exists"):
        store.add_case(make_case(id="abc234"))
    assert store.count_cases() == 1


def test_list_sorted_by_deadline_with_filters(store: Store) -> None:
    ids = {}
    for n, deadline in [("late", 25), ("early", 10), ("mid", 17)]:
        c = make_case(title=n)
        ids[n] = store.add_case(c, make_window(c, date(2026, 3, 5), date(2026, 3, deadline))).id
    undated = store.add_case(make_case(title="no window"))
    closed = make_case(title="closed", status="closed", resolution="done", closed_at=NOW)
    store.add_case(closed, make_window(closed, date(2026, 3, 2), date(2026, 3, 3)))

    assert [c.title for c in store.list_cases()] == ["early", "mid", "late", "no window"]
    assert [c.title for c in store.list_cases("closed")] == ["closed"]
    assert store.list_cases("all")[0].title == "closed"
    assert [c.title for c in store.list_cases(due_before=date(2026, 3, 17))] == ["early", "mid"]
    pairs = store.list_cases_with_windows()
    assert pairs[-1] == (store.get_case(undated.id), None)
    assert pairs[0][1] is not None and pairs[0][1].deadline == date(2026, 3, 10)
    with pytest.raises(InputError):
        store.list_cases("pending")  # type: ignore[arg-type]


def test_update_and_delete(store: Store) -> None:
    case = store.add_case(make_case(checklist=(ChecklistItem(1, "x"),)))
    w = make_window(case, date(2026, 3, 10), date(2026, 3, 20))
    later = NOW + timedelta(days=1)
    store.update_case(replace(case, title="new", status="closed", closed_at=later, updated_at=later), w)
    got = store.get_case(case.id)
    assert (got.title, got.status, got.closed_at, got.updated_at) == ("new", "closed", later, later)
    assert got.checklist == case.checklist
    assert store.get_window(case.id) == w
    store.update_case(replace(got, title="again"))  # no window given: the stored one stays
    assert store.get_window(case.id) == w
    store.delete_case(case.id)
    assert store.count_cases() == 0
    assert store.conn.execute("SELECT count(*) FROM checklist_items").fetchone()[0] == 0  # cascaded


def test_checklist_tick_and_untick(store: Store) -> None:
    case = store.add_case(make_case())
    items = store.add_checklist_items(case.id, ["one", "two"])
    assert [(i.position, i.text) for i in items] == [(1, "one"), (2, "two")]
    item = store.set_item_done(case.id, 2, done=True, at=NOW)
    assert item.done and item.done_at == NOW
    assert not store.set_item_done(case.id, 2, done=False, at=NOW).done_at
    with pytest.raises(NotFound, match="no checklist item 3"):
        store.set_item_done(case.id, 3, done=True, at=NOW)


def test_atomic_nests_with_savepoints(store: Store) -> None:
    with store.atomic():
        store.add_case(make_case(title="kept"))
        with pytest.raises(RuntimeError), store.atomic():
            store.add_case(make_case(title="rolled back"))
            raise RuntimeError
    assert [c.title for c in store.list_cases()] == ["kept"]
    with pytest.raises(RuntimeError), store.atomic():
        store.add_case(make_case(title="outer rolled back"))
        raise RuntimeError
    assert [c.title for c in store.list_cases()] == ["kept"]
    assert not store.conn.in_transaction


def test_migrations_apply_to_an_existing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.db"
    with Store(path) as s:
        kept = s.add_case(make_case())
        assert s.schema_version == len(MIGRATIONS)

    def m999_extra(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE extra (case_id TEXT REFERENCES cases (id))")

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*MIGRATIONS, m999_extra])
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS) + 1
        assert s.get_case(kept.id) == kept
        s.conn.execute("SELECT * FROM extra").fetchall()


def test_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.db"
    Store(path).close()

    def m999_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        conn.execute("THIS IS NOT SQL")

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*MIGRATIONS, m999_broken])
    with pytest.raises(StoreError):
        Store(path)
    monkeypatch.setattr(store_mod, "MIGRATIONS", MIGRATIONS)
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create"):
        Store(blocker / "sub" / "r.db")


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, date, datetime
    from reminder.models import Case
    from reminder.store import Store

    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with Store(path) as s:
        for i in range(n):
            s.add_case(Case(id="", title=f"{tag}-{i}", organisation="o", submitted=date(2026, 3, 1),
                            country="BH", timezone="Asia/Bahrain", created_at=now, updated_at=now))
    """
)


def test_two_processes_adding_500_cases_each_lose_nothing(tmp_env: TmpEnv) -> None:
    # A fresh file: both processes also race to create and migrate it.
    path = tmp_env.root / "shared.db"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, "500"], env=tmp_env.env, cwd=REPO)
        for tag in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Store(path) as s:
        titles = {c.title for c in s.list_cases("all")}
        assert s.count_cases() == 1000
    assert titles == {f"{t}-{i}" for t in "ab" for i in range(500)}


def _expected_json(store: Store, today: dict[str, date], status: str = "open") -> list[dict[str, object]]:
    from reminder.export import case_to_dict

    return [
        case_to_dict(c, w, today=today[c.timezone])
        for c, w in store.list_cases_with_windows(status)  # type: ignore[arg-type]
    ]


def test_list_json_equals_case_to_dict(store: Store) -> None:
    import json

    tricky = make_case(
        title='Quote "days_left":null and ünïcödé \\ backslash',
        timezone="Europe/Berlin",
        country="DE",
        subdivision="BY",
        channels=("e-mail",),
        remind={"before_deadline": 3},
        closures=(Closure(date(2026, 3, 5), date(2026, 3, 6), "move"),),
        checklist=(ChecklistItem(1, "a"), ChecklistItem(2, "b")),
        submitted_time=time(9, 5),
    )
    because = (TentativeDay(date(2026, 3, 20), "Eid"),)
    store.add_case(
        tricky,
        make_window(tricky, date(2026, 3, 8), date(2026, 3, 15), tentative=True, tentative_because=because),
    )
    plain = make_case()
    store.add_case(plain, make_window(plain, date(2026, 3, 10), date(2026, 3, 25), holidays_version="0.109"))
    store.add_case(make_case(title="no window"))
    done = store.add_case(make_case(title="ticked", checklist=(ChecklistItem(1, "x"),)))
    store.set_item_done(done.id, 1, done=True, at=NOW)
    today = {"Europe/Berlin": date(2026, 3, 2), "Asia/Bahrain": date(2026, 3, 1)}

    got = json.loads(stored_cases_json(store, "open", today=today))
    assert got == _expected_json(store, today)
    assert [c["window"]["days_left"] if c["window"] else None for c in got] == [13, 24, None, None]
    assert got[0]["title"] == tricky.title
    assert json.loads(stored_cases_json(store, "closed", today=today)) == []
    assert (
        json.loads(stored_cases_json(store, "open", date(2026, 3, 16), today=today))[0]["id"] == got[0]["id"]
    )


def test_stored_docs_follow_every_change(store: Store) -> None:
    import json

    case = store.add_case(make_case(checklist=(ChecklistItem(1, "x"),)))
    today = {"Asia/Bahrain": date(2026, 3, 1)}
    store.update_case(replace(case, title="renamed"), make_window(case, date(2026, 3, 9), date(2026, 3, 19)))
    store.set_item_done(case.id, 1, done=True, at=NOW)
    store.add_checklist_items(case.id, ["y"])
    store.touch(case.id, NOW + timedelta(hours=1))
    assert json.loads(stored_cases_json(store, today=today)) == _expected_json(store, today)


def test_docs_are_rerendered_when_missing_or_stale(tmp_path: Path) -> None:
    import json

    path = tmp_path / "r.db"
    today = {"Asia/Bahrain": date(2026, 3, 1)}
    with Store(path) as s:
        a = s.add_case(make_case(title="a"))
        s.add_case(make_case(title="b"))
        s.conn.execute("UPDATE cases SET doc_head = NULL, doc_tail = NULL WHERE id = ?", (a.id,))
        # A missing doc (a row written before m004) is rendered on the fly.
        assert json.loads(stored_cases_json(s, today=today)) == _expected_json(s, today)
        # Other code (its stamp: the rendering files' sizes and times) that renders cases
        # differently: the old docs are redone on open. (With this code's stamp the documents
        # are trusted as they are, as list --json's fast path trusts them.)
        s.conn.execute("UPDATE cases SET doc_head = '{}', doc_tail = NULL")
        s.conn.execute("UPDATE meta SET value = 'old shape' WHERE key = 'case_doc_shape'")
        s.conn.execute("UPDATE meta SET value = 'old code' WHERE key = 'case_doc_code'")
    with Store(path) as s:
        assert json.loads(stored_cases_json(s, today=today)) == _expected_json(s, today)


def test_list_json_written_as_stored_bytes_is_the_same_text(tmp_path: Path) -> None:
    # `list --json` writes each stored document as SQLite reads it, never decoded (issue #20);
    # the bytes must be the UTF-8 of what the text path builds, a row without a document included.
    import io

    now = datetime(2026, 3, 1, 6, tzinfo=UTC)
    with Store(tmp_path / "r.db") as s:
        a = s.add_case(make_case(title='取消漫游 "eSIM" — ü'))
        s.add_case(make_case(title="b\tc"))
        s.conn.execute("UPDATE cases SET doc_head = NULL, doc_tail = NULL WHERE id = ?", (a.id,))
        for status in ("open", "closed", "all"):
            out = io.BytesIO()
            write_cases_json(s, out.write, now=now, status=status)  # type: ignore[arg-type]
            assert out.getvalue() == (list_cases_json(s, now=now, status=status) + "\n").encode()  # type: ignore[arg-type]
        assert s.conn.text_factory is str  # the connection reads text again afterwards
        assert len(json.loads(out.getvalue())) == 2


@pytest.mark.parametrize("way", ["list_cases_json", "write_cases_json"])
def test_list_json_reads_today_and_the_cases_in_one_snapshot(
    store: Store, tmp_env: TmpEnv, db_url: str | None, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """Another connection adds a case, in a zone no case had, between the listing's read of each
    zone's today and its read of the cases. The listing must not show it with "days_left": null.
    On PostgreSQL each statement under READ COMMITTED saw a snapshot of its own, so it did."""
    import io

    import reminder.case_lines as case_lines
    from reminder.listing import todays as real

    store.add_case(make_case(title="first"))
    added: list[str] = []

    def todays_then_an_add(conn: object, now: datetime) -> dict[str, date]:
        today = real(conn, now)  # type: ignore[arg-type]
        if not added:
            with Store(tmp_env.db_path, url=db_url) as other:  # another connection, committed
                lima = make_case(title="Lima", timezone="America/Lima", country="PE")
                added.append(other.add_case(lima, make_window(lima, date(2026, 3, 5), date(2026, 3, 20))).id)
        return today

    monkeypatch.setattr(case_lines, "todays", todays_then_an_add)
    if way == "list_cases_json":
        text = list_cases_json(store, now=NOW, status="all")
    else:
        out = io.BytesIO()
        write_cases_json(store, out.write, now=NOW, status="all")
        text = out.getvalue().decode()
    assert added, "the add ran between the two reads"
    listed = {c["id"]: c for c in json.loads(text)}
    assert "first" in {c["title"] for c in listed.values()}
    new = listed.get(added[0])
    # Not in this listing (added after its snapshot), or listed whole.
    assert new is None or new["window"]["days_left"] is not None, new
    assert not store.conn.in_transaction  # the snapshot ended with the listing
    later = {c["id"]: c for c in json.loads(list_cases_json(store, now=NOW, status="all"))}
    assert later[added[0]]["window"]["days_left"] == 19  # the next listing has it, whole


def test_a_version_6_database_gains_the_letter_fields_and_its_docs_are_redone(tmp_path: Path) -> None:
    """m007: the cases keep everything, gain account/org_email/letter_language, and the stored
    ``list --json`` documents — which the fast path serves as they are — show the new keys."""
    import json

    from reminder import listing

    path = tmp_path / "v6.db"
    with Store(path) as s:
        case = s.add_case(
            make_case(id="abc234"), make_window(make_case(), date(2026, 3, 10), date(2026, 3, 25))
        )
    conn = sqlite3.connect(path, isolation_level=None)
    # Back to what version 6 had: no letter columns, documents without their keys, its stamp.
    for column in ("account", "org_email", "letter_language"):
        conn.execute(f"ALTER TABLE cases DROP COLUMN {column}")
    for column in ("lease_owner", "lease_until"):  # m008's, later than version 6
        conn.execute(f"ALTER TABLE deliveries DROP COLUMN {column}")
    (head,) = conn.execute("SELECT doc_head FROM cases").fetchone()
    old_head = head.replace('"account":null,"org_email":null,"letter_language":null,', "")
    assert old_head != head
    conn.execute("UPDATE cases SET doc_head = ?", (old_head,))
    conn.execute("PRAGMA user_version = 6")
    conn.close()
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS) == listing.SCHEMA_VERSION == 14
        assert s.get_case("abc234") == case and case.account is None
        assert listing.docs_current(s.conn)  # the fast path may serve them again
        today = {"Asia/Bahrain": date(2026, 3, 1)}
        listed = json.loads(stored_cases_json(s, today=today))
        assert listed == _expected_json(s, today)
        assert {"account", "org_email", "letter_language"} <= set(listed[0])
        s.update_case(replace(case, account="3900 4242", org_email="c@b.example", letter_language="ar"))
        assert json.loads(stored_cases_json(s, today=today))[0]["account"] == "3900 4242"
        assert s.get_case("abc234").letter_language == "ar"


def test_deleting_a_case_with_evidence_says_close_it(store: Store) -> None:
    case = store.add_case(make_case())
    store.conn.execute(
        "INSERT INTO evidence (case_id, seq, kind, summary, at, recorded_at, prev_hash, hash) "
        "VALUES (?, 1, 'note', 's', 'x', 'x', '', 'h')",
        (case.id,),
    )
    with pytest.raises(InputError, match="close the case instead"):
        store.delete_case(case.id)
    assert store.get_case(case.id) == case


def test_a_version_4_database_is_upgraded_with_its_cases(tmp_path: Path) -> None:
    import json

    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:4]:
        migration(conn)
    case = make_case(id="abc234", checklist=(ChecklistItem(1, "x"),))
    window = make_window(case, date(2026, 3, 10), date(2026, 3, 25))
    values = case_rows.case_values(case) + case_rows.window_values(window)
    # The columns a version 4 database has: the case's and its window's (m007 added the letters').
    v4_columns = ", ".join(case_rows.CASE_COLUMNS.split(", ")[:28])
    conn.execute(f"INSERT INTO cases ({v4_columns}) VALUES ({', '.join('?' * 28)})", values)
    conn.execute("INSERT INTO checklist_items (case_id, position, text) VALUES ('abc234', 1, 'x')")
    conn.execute("UPDATE cases SET doc = '{\"stale\": true}'")
    conn.execute("INSERT INTO meta VALUES ('case_doc_shape', 'old')")
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.get_case("abc234") == case and s.get_window("abc234") == window
        today = {"Asia/Bahrain": date(2026, 3, 1)}
        listed = json.loads(stored_cases_json(s, today=today))
        assert listed == _expected_json(s, today) and listed[0]["window"]["days_left"] == 24


def test_checkpoints_aside_keep_the_log_small_while_commits_run_and_truncate_it(tmp_path: Path) -> None:
    # 2,000 one-row commits about a millisecond apart, as a catch-up makes them: with the
    # automatic checkpoint off and none aside, the log would hold every one of them (~11 MB).
    # On tmpfs where there is one: what is tested is the checkpointing, and on a shared VM a
    # disk's fsync can stall for seconds, while the commits (fsync-free in WAL) keep coming.
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    try:
        _commits_with_checkpoints_aside(folder / "r.db")
    finally:
        if folder != tmp_path:
            shutil.rmtree(folder)


def _commits_with_checkpoints_aside(path: Path) -> None:
    wal = Path(f"{path}-wal")
    with Store(path) as store:
        store.conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
        largest = 0
        with store.checkpoints_aside(every=0.005, restart_frames=100):
            assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
            for n in range(2000):
                store.conn.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 3000))
                largest = max(largest, wal.stat().st_size)
                sleep(0.0005)  # the mail server's reply
        assert largest < 3_000_000, f"the log reached {largest:,} bytes"
        assert wal.stat().st_size == 0  # truncated at the end
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (store_mod.WAL_AUTOCHECKPOINT,)
        assert store.conn.execute("SELECT COUNT(*) FROM t").fetchone() == (2000,)


def test_the_listing_reads_one_index_and_no_case_row(tmp_path: Path) -> None:
    # m009: `reminder list` (and --status closed) takes its columns from cases_listing, in its
    # order, without visiting the rows that hold each case's JSON document. (--status all walks
    # cases_by_deadline and reads the rows: less asked for, and a second wide index costs writes.)
    # Whether all cases share one time zone is read from cases_by_timezone, without a row either.
    with Store(tmp_path / "r.db") as s:
        s.add_case(make_case())
        seen = []
        real = s.conn

        class Spy:
            def execute(self, sql: str, params: object = ()) -> sqlite3.Cursor:
                seen.append(real.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
                return real.execute(sql, params)

        s.conn = Spy()  # type: ignore[assignment]
        for status in ("open", "closed"):
            assert sum(map(len, listed_lines(s, status).chunks)) == (1 if status == "open" else 0)
        s.conn = real
    plans = [" ".join(str(step[3]) for step in plan) for plan in seen]
    zones = "SCAN cases USING COVERING INDEX cases_by_timezone"
    assert plans.count(zones) == 2, plans
    plans = [p for p in plans if p != zones]
    assert plans and all("COVERING INDEX cases_listing" in p and "TEMP B-TREE" not in p for p in plans), plans


def test_the_open_case_a_new_one_looks_like_is_one_lookup_in_an_index(store: Store) -> None:
    """What `add` says of a second record of one request: the oldest open case with the same
    organisation and reference, else the same organisation, title and day where one of the two
    has no reference; the texts compared without case, width or spacing ("ＢＡＴＥＬＣＯ",
    "bt-1"). One statement, answered from the indexes of the open cases however many there are;
    on PostgreSQL they key long texts by their MD5, so a text past a btree entry's 2,700 bytes is
    still taken."""
    window = make_window(make_case(), date(2026, 3, 10), date(2026, 3, 25))
    for n in range(40):  # others, alike in part
        store.add_case(make_case(organisation=f"Org {n}", reference="BT-1", title="Cancel"), window)
        store.add_case(make_case(reference=f"BT-{n + 100}", title=f"Cancel {n}"), window)
    long = "长" * 3000  # 9,000 bytes in UTF-8
    first = store.add_case(make_case(reference="BT-1", title=long), window)
    second = store.add_case(
        make_case(reference="BT-1", created_at=first.created_at + timedelta(seconds=1)), window
    )
    plain = store.add_case(make_case(organisation=long, title=long), window)
    closed = store.add_case(make_case(organisation="Closed Co", reference="X"), window)
    store.update_case(replace(closed, status="closed"))
    unreferenced = store.add_case(make_case(organisation="Zain", title="Refund  for Roaming"), window)
    referenced = store.add_case(make_case(organisation="Viva", title="Port out", reference="V-1"), window)

    statements: list[tuple[str, tuple[object, ...]]] = []
    execute = store.conn.execute

    class Recording:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def execute(self, sql: str, params: tuple[object, ...] = ()) -> object:
            statements.append((sql, tuple(params)))
            return execute(sql, params)

    real = store.conn
    store.conn = Recording()  # type: ignore[assignment]
    try:
        assert store.open_lookalike(replace(second, id="new")) == (first.id, "reference")  # the oldest
        assert store.open_lookalike(second) == (first.id, "reference")  # never itself
        assert store.open_lookalike(first) == (second.id, "reference")
        assert store.open_lookalike(replace(plain, id="new")) == (plain.id, "title")
        assert store.open_lookalike(replace(plain, id="new", submitted=date(2026, 3, 2))) is None
        assert store.open_lookalike(make_case(id="new", organisation="Closed Co", reference="X")) is None
        assert store.open_lookalike(make_case(id="new", reference="BT-2")) is None
        # Folded: case, width (a Chinese input method's full-width letters), spaces.
        alike = make_case(id="new", organisation=" ＢＡＴＥＬＣＯ", reference="bt－１")
        assert store.open_lookalike(alike) == (first.id, "reference")
        # With a reference, alike by title a case added without one, not one with another.
        later = make_case(id="new", organisation="zain", title="refund for roaming", reference="Z-9")
        assert store.open_lookalike(later) == (unreferenced.id, "title")
        other = make_case(id="new", organisation="Viva", title="port out", reference="V-2")
        assert store.open_lookalike(other) is None
        assert store.open_lookalike(replace(other, reference=None)) == (referenced.id, "title")
    finally:
        store.conn = real  # type: ignore[assignment]
    assert len(statements) == 11  # one statement each
    both, by_title = statements[0], statements[3]
    if store.dialect == "sqlite":
        for (sql, params), indexes in (
            (both, ("cases_open_by_reference", "cases_open_by_title")),
            (by_title, ("cases_open_by_title",)),
        ):
            plan = " ".join(str(r[-1]) for r in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            assert all(f"USING INDEX {i}" in plan for i in indexes) and "SCAN" not in plan, plan
    else:
        with store.atomic():
            store.conn.execute("SET LOCAL enable_seqscan = off")  # a table this small would be read whole
            for (sql, params), indexes in (
                (both, ("cases_open_by_reference", "cases_open_by_title")),
                (by_title, ("cases_open_by_title",)),
            ):
                plan = " ".join(str(r[0]) for r in store.conn.execute(f"EXPLAIN {sql}", params))
                for index in indexes:
                    assert f"Index Scan using {index}" in plan or f"Bitmap Index Scan on {index}" in plan, (
                        plan
                    )


def test_a_version_13_database_with_cases_gains_their_folded_texts(
    tmp_env: TmpEnv, db_url: str | None, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    """m014 on either backend, over a database m001-m013 made and cases written as they were
    then (no folded columns): each case, closed too, gets its folded texts, the open cases'
    indexes are over them, and `add` finds a case typed again in another case."""
    from reminder.backends import postgres

    monkeypatch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:13])
    monkeypatch.setattr(postgres.PostgresBackend, "migrations", postgres.MIGRATIONS[:13])
    window = make_window(make_case(), date(2026, 3, 10), date(2026, 3, 25))
    cases = {
        "bat001": make_case(id="bat001", reference="R-1"),
        "zai001": make_case(id="zai001", organisation="Zain", title="Refund  for Roaming"),
        "clo001": make_case(id="clo001", organisation="Closed Co", reference="X-1", status="closed"),
    }
    columns = case_rows.CASE_COLUMNS
    with Store(tmp_env.db_path, url=db_url) as old:
        assert old.schema_version == 13
        with old.atomic():
            for case in cases.values():
                values = case_rows.case_values(case) + case_rows.window_values(window)
                values += case_rows.letter_values(case)
                old.conn.execute(f"INSERT INTO cases ({columns}) VALUES ({', '.join('?' * 31)})", values)
    monkeypatch.undo()

    with Store(tmp_env.db_path, url=db_url) as again:
        assert again.schema_version == len(MIGRATIONS) == 14
        rows = again.conn.execute(
            "SELECT id, organisation_folded, reference_folded, title_folded FROM cases ORDER BY id"
        ).fetchall()
        assert [tuple(r) for r in rows] == [
            ("bat001", "batelco", "r-1", "cancel roaming esim"),
            ("clo001", "closed co", "x-1", "cancel roaming esim"),
            ("zai001", "zain", None, "refund for roaming"),
        ]
        assert again.open_lookalike(make_case(id="new", organisation="BATELCO", reference="r-1")) == (
            "bat001",
            "reference",
        )
        assert again.open_lookalike(make_case(id="new", organisation="zain", title="refund for roaming")) == (
            "zai001",
            "title",
        )
        assert again.open_lookalike(make_case(id="new", organisation="closed co", reference="x-1")) is None
        again.update_case(replace(cases["clo001"], status="open"))  # reopened: compared again
        assert again.open_lookalike(make_case(id="new", organisation="closed co", reference="x-1")) == (
            "clo001",
            "reference",
        )

    env = {"REMINDER_STORE__URL": db_url} if db_url else {}
    added = run_cli(
        "add",
        "--title",
        "eSIM",
        "--org",
        "batelco",
        "--reference",
        "Ｒ－１",
        "--submitted",
        "2026-03-01",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert added.stderr.startswith(
        "note: this looks like case bat001, open with the same organisation and reference;"
    )
    if db_url is None:
        with sqlite3.connect(tmp_env.db_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_version_12_database_gains_the_open_case_indexes(
    store: Store, tmp_env: TmpEnv, db_url: str | None
) -> None:
    """m013 on either backend: a database from before it has its open cases indexed for add's
    lookup when it is next opened, with the cases it holds."""
    window = make_window(make_case(), date(2026, 3, 10), date(2026, 3, 25))
    old = store.add_case(make_case(reference="BT-1"), window)
    with store.atomic():
        for index in ("cases_open_by_reference", "cases_open_by_title"):
            store.conn.execute(f"DROP INDEX {index}")
        store.backend.set_schema_version(store.conn, 12)
    store.close()
    with Store(tmp_env.db_path, url=db_url) as again:
        assert again.schema_version == len(MIGRATIONS) == 14
        if again.dialect == "sqlite":
            names = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            names = "SELECT indexname FROM pg_indexes WHERE tablename = 'cases'"
        assert {"cases_open_by_reference", "cases_open_by_title"} <= {r[0] for r in again.conn.execute(names)}
        assert again.open_lookalike(make_case(id="new", reference="BT-1")) == (old.id, "reference")
        if again.dialect == "sqlite":
            assert again.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
