from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reminder.errors import InputError, NotFound, StoreError
from reminder.evidence import (
    add_entry,
    attachment_path,
    canonical_json,
    corrections_of,
    entry_hash,
    entry_to_dict,
    get_entry,
    list_entries,
    verify,
)
from reminder.models import Case
from reminder.store import Store

NOW = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data" / "reminder.db") as s:
        s.add_case(
            Case(
                id="abc234",
                title="Cancel roaming eSIM",
                organisation="Batelco",
                submitted=date(2026, 3, 1),
                country="BH",
                timezone="Asia/Bahrain",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        yield s


@pytest.fixture
def data_dir(store: Store) -> Path:
    return store.path.parent


def make_file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_entries_chain_and_hash(store: Store, data_dir: Path) -> None:
    first = add_entry(store, data_dir, "abc234", kind="call", summary="Called 196, ref 77", now=NOW)
    second = add_entry(
        store, data_dir, "ABC234 ", kind="email", summary="Wrote to care@", now=NOW + timedelta(hours=1)
    )
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == ""
    assert second.prev_hash == first.hash
    assert second.hash == entry_hash(second)
    stored = list_entries(store, "abc234")
    assert stored == [first, second]
    assert get_entry(store, "abc234", 2) == second


def test_canonical_json_is_sorted_and_compact(store: Store, data_dir: Path) -> None:
    entry = add_entry(store, data_dir, "abc234", kind="note", summary="café", now=NOW)
    raw = canonical_json(entry)
    doc = json.loads(raw)
    assert list(doc) == sorted(doc)
    assert b" " not in raw.replace(b"caf\xc3\xa9", b"")
    assert set(doc) == {
        "case_id", "seq", "kind", "summary", "at", "recorded_at", "attachments", "corrects", "prev_hash",
    }  # fmt: skip


def test_attachments_are_content_addressed_0600_and_keep_their_name(
    store: Store, data_dir: Path, tmp_path: Path
) -> None:
    shot = make_file(tmp_path, "Screenshot 2026-03-05.png", b"\x89PNG fake image")
    entry = add_entry(
        store, data_dir, "abc234", kind="screenshot", summary="status page", now=NOW, files=[shot]
    )
    (att,) = entry.attachments
    assert att["name"] == "Screenshot 2026-03-05.png"
    assert att["size"] == str(len(b"\x89PNG fake image"))
    blob = attachment_path(data_dir, att["sha256"])
    assert blob.read_bytes() == shot.read_bytes()
    assert blob.parent.name == att["sha256"][:2]
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    assert shot.exists()  # copied, not moved
    assert not [p for p in blob.parent.iterdir() if p.name.startswith(".incoming")]

    # The same content again: one blob, never rewritten.
    mtime = blob.stat().st_mtime_ns
    again = add_entry(store, data_dir, "abc234", kind="note", summary="same file", now=NOW, files=[shot])
    assert again.attachments[0]["sha256"] == att["sha256"]
    assert blob.stat().st_mtime_ns == mtime


def test_verify_intact(store: Store, data_dir: Path, tmp_path: Path) -> None:
    f = make_file(tmp_path, "letter.pdf", b"%PDF-1.4 letter")
    add_entry(store, data_dir, "abc234", kind="letter", summary="Letter sent", now=NOW, files=[f])
    last = add_entry(store, data_dir, "abc234", kind="call", summary="Called", now=NOW)
    report = verify(store, data_dir, "abc234")
    assert report.ok
    assert (report.entries, report.attachments, report.head_hash) == (2, 1, last.hash)


def test_verify_names_a_changed_attachment_byte(store: Store, data_dir: Path, tmp_path: Path) -> None:
    add_entry(store, data_dir, "abc234", kind="call", summary="Called", now=NOW)
    f = make_file(tmp_path, "mail.eml", b"Subject: your request\n\nWe received it.")
    entry = add_entry(store, data_dir, "abc234", kind="email", summary="Receipt", now=NOW, files=[f])
    blob = attachment_path(data_dir, entry.attachments[0]["sha256"])
    os.chmod(blob, 0o600)
    data = bytearray(blob.read_bytes())
    data[9] ^= 0x01
    blob.write_bytes(bytes(data))
    report = verify(store, data_dir, "abc234")
    assert not report.ok
    assert str(report.first).startswith("attachment mail.eml of entry 2: changed")


def test_verify_names_a_missing_attachment(store: Store, data_dir: Path, tmp_path: Path) -> None:
    f = make_file(tmp_path, "a.txt", b"A")
    entry = add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[f])
    attachment_path(data_dir, entry.attachments[0]["sha256"]).unlink()
    assert str(verify(store, data_dir, "abc234").first).startswith("attachment a.txt of entry 1: missing")


def _tamper(store: Store, sql: str, params: tuple[object, ...]) -> None:
    # What someone editing the file behind reminder's back would do, triggers and all.
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("DROP TRIGGER evidence_append_only_update")
    conn.execute("DROP TRIGGER evidence_append_only_delete")
    conn.execute(sql, params)
    conn.close()


def test_verify_names_an_edited_row(store: Store, data_dir: Path) -> None:
    for i in range(3):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    _tamper(store, "UPDATE evidence SET summary = 'nothing happened' WHERE seq = 2", ())
    report = verify(store, data_dir, "abc234")
    assert [str(p) for p in report.problems] == [
        "entry 2: hash mismatch (the entry was changed after it was recorded)"
    ]


def test_verify_names_a_deleted_row(store: Store, data_dir: Path) -> None:
    for i in range(3):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    _tamper(store, "DELETE FROM evidence WHERE seq = 2", ())
    report = verify(store, data_dir, "abc234")
    assert str(report.first).startswith("entry 2: missing")


def test_rewritten_hash_still_breaks_the_chain(store: Store, data_dir: Path) -> None:
    for i in range(2):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    first = get_entry(store, "abc234", 1)
    forged = replace(first, summary="forged")
    _tamper(store, "UPDATE evidence SET summary = ?, hash = ? WHERE seq = 1", ("forged", entry_hash(forged)))
    report = verify(store, data_dir, "abc234")
    assert str(report.first) == "entry 2: does not follow the previous entry (the chain is broken)"


def test_the_log_refuses_updates_and_deletes(store: Store, data_dir: Path) -> None:
    add_entry(store, data_dir, "abc234", kind="call", summary="Called", now=NOW)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE evidence SET summary = 'x'")
    with pytest.raises(InputError, match="close the case instead"):
        store.delete_case("abc234")  # a case with evidence can be closed, not deleted


def test_corrections_are_new_entries(store: Store, data_dir: Path) -> None:
    add_entry(store, data_dir, "abc234", kind="call", summary="Called on Monday", now=NOW)
    fix = add_entry(store, data_dir, "abc234", kind="note", summary="It was Tuesday", now=NOW, corrects=1)
    assert fix.corrects == 1
    assert get_entry(store, "abc234", 1).summary == "Called on Monday"
    assert corrections_of(list_entries(store, "abc234")) == {1: [2]}
    with pytest.raises(NotFound, match="no evidence entry 5"):
        add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, corrects=5)
    with pytest.raises(InputError):
        add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, corrects=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "fax"}, "unknown evidence kind 'fax'"),
        ({"summary": "   "}, "summary is empty"),
        ({"at": NOW + timedelta(days=1)}, "in the future"),
        ({"at": datetime(2026, 3, 1, 9, 0)}, "time zone"),
    ],
)
def test_bad_input_writes_nothing(
    store: Store, data_dir: Path, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"kind": "call", "summary": "ok", "now": NOW, **kwargs}
    with pytest.raises(InputError, match=message):
        add_entry(store, data_dir, "abc234", **args)  # type: ignore[arg-type]
    assert list_entries(store, "abc234") == []


def test_unknown_case(store: Store, data_dir: Path) -> None:
    with pytest.raises(NotFound):
        add_entry(store, data_dir, "zzzzzz", kind="call", summary="x", now=NOW)
    with pytest.raises(NotFound):
        list_entries(store, "zzzzzz")
    with pytest.raises(NotFound):
        get_entry(store, "abc234", 1)


def test_missing_or_unreadable_file_writes_nothing(store: Store, data_dir: Path, tmp_path: Path) -> None:
    good = make_file(tmp_path, "good.txt", b"good")
    with pytest.raises(InputError, match="no such file"):
        add_entry(
            store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[good, tmp_path / "nope.pdf"]
        )
    with pytest.raises(InputError, match="not a regular file"):
        add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[tmp_path])
    if os.geteuid() != 0:  # root reads anything
        locked = make_file(tmp_path, "locked.txt", b"secret")
        locked.chmod(0)
        with pytest.raises(InputError, match="cannot read"):
            add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[locked])
    assert list_entries(store, "abc234") == []
    assert not (data_dir / "attachments").exists()  # validated before any copy


def test_failed_transaction_leaves_no_entry(store: Store, data_dir: Path, tmp_path: Path) -> None:
    f = make_file(tmp_path, "orphan.txt", b"orphan")
    store.conn.execute(
        "CREATE TRIGGER fail_insert BEFORE INSERT ON evidence BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(StoreError, match="disk full"):
        add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[f])
    assert list_entries(store, "abc234") == []
    # The blob was copied first and stays: an orphan, harmless, reused by the next attempt.
    store.conn.execute("DROP TRIGGER fail_insert")
    entry = add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[f])
    assert entry.seq == 1
    assert verify(store, data_dir, "abc234").ok


def test_entry_to_dict(store: Store, data_dir: Path, tmp_path: Path) -> None:
    f = make_file(tmp_path, "a.txt", b"A")
    entry = add_entry(store, data_dir, "abc234", kind="code", summary="SMS code checked", now=NOW, files=[f])
    d = entry_to_dict(entry, data_dir)
    assert d["kind"] == "code"
    assert d["attachments"][0]["size"] == 1
    assert Path(d["attachments"][0]["path"]).read_bytes() == b"A"
    assert d["at"] == NOW.isoformat()
