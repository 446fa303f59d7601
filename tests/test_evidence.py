from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reminder.errors import ConfigError, InputError, NotFound, StoreError
from reminder.evidence import add_entry as _add_entry
from reminder.evidence import (
    attachment_path,
    canonical_json,
    corrections_of,
    current_versions,
    entry_hash,
    entry_to_dict,
    get_entry,
    list_entries,
)
from reminder.evidence_key import KeyDir
from reminder.evidence_verify import VerifyReport
from reminder.evidence_verify import verify as _verify
from reminder.models import Case, EvidenceEntry
from reminder.record import replace
from reminder.store import Store


def add_entry(store: Store, data_dir: Path, case_id: str, **kwargs: Any) -> EvidenceEntry:
    """``evidence.add_entry`` with the key in this test's state directory (see conftest)."""
    return _add_entry(store, data_dir, case_id, keys=KeyDir.default(), **kwargs)


def verify(store: Store, data_dir: Path, case_id: str, head: str | None = None) -> VerifyReport:
    return _verify(store, data_dir, case_id, keys=KeyDir.default(), head=head)


NOW = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, db_url: str | None) -> Iterator[Store]:
    """The store on each backend: SQLite (attachments as files) and PostgreSQL (in the database)."""
    with Store(tmp_path / "data" / "reminder.db", url=db_url) as s:
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


def sqlite_only(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("about SQLite's files and triggers")


def damage_blob(store: Store, data_dir: Path, sha256: str, *, delete: bool = False) -> None:
    """Change one byte of a stored attachment (or delete it), behind reminder's back."""
    if store.dialect == "sqlite":
        blob = attachment_path(data_dir, sha256)
        if delete:
            blob.unlink()
            return
        os.chmod(blob, 0o600)
        data = bytearray(blob.read_bytes())
        data[9] ^= 0x01
        blob.write_bytes(bytes(data))
    elif delete:
        _tamper(store, "DELETE FROM attachments WHERE sha256 = ?", (sha256,))
    else:
        _tamper(
            store,
            "UPDATE attachment_chunks SET data = overlay(data placing"
            " set_byte(substring(data from 10 for 1), 0, get_byte(data, 9) # 1) from 10 for 1)"
            " WHERE sha256 = ? AND n = 0",
            (sha256,),
        )


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
    key = KeyDir.default().load()
    assert key is not None and (second.scheme, second.key_id) == (2, key.key_id)
    assert second.hash == key.mac(canonical_json(second)) != entry_hash(second)
    stored = list_entries(store, "abc234")
    assert stored == [first, second]
    assert get_entry(store, "abc234", 2) == second


def test_canonical_json_is_sorted_and_compact(store: Store, data_dir: Path) -> None:
    entry = add_entry(store, data_dir, "abc234", kind="note", summary="café", now=NOW)
    raw = canonical_json(entry)
    doc = json.loads(raw)
    assert list(doc) == sorted(doc)
    assert b" " not in raw.replace(b"caf\xc3\xa9", b"")
    legacy = {
        "case_id",
        "seq",
        "kind",
        "summary",
        "at",
        "recorded_at",
        "attachments",
        "corrects",
        "prev_hash",
    }
    assert set(doc) == legacy | {"scheme", "key_id"}
    # Rows hashed before the key keep exactly the document they were hashed over.
    assert set(json.loads(canonical_json(replace(entry, scheme=1, key_id=None)))) == legacy


def test_attachments_are_content_addressed_0600_and_keep_their_name(
    store: Store, data_dir: Path, tmp_path: Path
) -> None:
    sqlite_only(store)
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
    damage_blob(store, data_dir, entry.attachments[0]["sha256"])
    report = verify(store, data_dir, "abc234")
    assert not report.ok
    assert str(report.first).startswith("attachment mail.eml of entry 2: changed")


def test_verify_names_a_missing_attachment(store: Store, data_dir: Path, tmp_path: Path) -> None:
    f = make_file(tmp_path, "a.txt", b"A")
    entry = add_entry(store, data_dir, "abc234", kind="note", summary="x", now=NOW, files=[f])
    damage_blob(store, data_dir, entry.attachments[0]["sha256"], delete=True)
    assert str(verify(store, data_dir, "abc234").first).startswith("attachment a.txt of entry 1: missing")


def _tamper(store: Store, sql: str, params: tuple[object, ...]) -> None:
    # What someone editing the database behind reminder's back would do, triggers and all.
    if store.dialect != "sqlite":
        with store.reopen() as other:  # a superuser's session that fires no triggers
            other.conn.execute("SET session_replication_role = replica")
            other.conn.execute(sql, params)
        return
    conn = sqlite3.connect(store.path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
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


def test_a_hash_recomputed_without_the_key_names_the_forged_entry_only(store: Store, data_dir: Path) -> None:
    for i in range(2):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    first = get_entry(store, "abc234", 1)
    forged = replace(first, summary="forged")
    _tamper(store, "UPDATE evidence SET summary = ?, hash = ? WHERE seq = 1", ("forged", entry_hash(forged)))
    report = verify(store, data_dir, "abc234")
    # Entry 2's link to the old entry 1 is the consequence, not a second problem.
    assert [str(p) for p in report.problems] == [
        "entry 1: hash mismatch (the entry was changed after it was recorded)"
    ]


def test_an_unkeyed_chain_names_the_break_where_it_is(store: Store, data_dir: Path) -> None:
    # Rows as reminder wrote them before the key (scheme 1), then one rewritten with its hash recomputed.
    for i in range(2):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    prev = ""
    for e in list_entries(store, "abc234"):
        old = replace(e, scheme=1, key_id=None, prev_hash=prev)
        prev = entry_hash(old)
        _tamper(store, "UPDATE evidence SET scheme = 1, key_id = NULL, prev_hash = ?, hash = ? WHERE seq = ?",
                (old.prev_hash, prev, e.seq))  # fmt: skip
    _tamper(store, "DELETE FROM evidence_heads", ())
    _tamper(store, "INSERT INTO evidence_heads VALUES ('abc234', 2, ?)", (prev,))
    KeyDir.default().heads_path.unlink()  # as if written before the heads file existed
    assert verify(store, data_dir, "abc234").ok
    first = replace(get_entry(store, "abc234", 1), summary="forged")
    _tamper(store, "UPDATE evidence SET summary = 'forged', hash = ? WHERE seq = 1", (entry_hash(first),))
    report = verify(store, data_dir, "abc234")
    assert [str(p) for p in report.problems] == [
        "entry 2: does not follow the previous entry (the chain is broken)"
    ]


def test_the_head_only_moves_forward_and_is_never_deleted(store: Store, data_dir: Path) -> None:
    add_entry(store, data_dir, "abc234", kind="call", summary="one", now=NOW)
    second = add_entry(store, data_dir, "abc234", kind="call", summary="two", now=NOW)
    assert store.conn.execute("SELECT entries, head FROM evidence_heads").fetchall() == [(2, second.hash)]
    first = get_entry(store, "abc234", 1)
    for sql, params in [
        ("DELETE FROM evidence_heads", ()),
        ("UPDATE evidence_heads SET entries = 1, head = ?", (first.hash,)),  # backwards
        ("UPDATE evidence_heads SET entries = 3, head = ?", (second.hash,)),  # past the newest
        ("INSERT INTO evidence_heads VALUES ('zzzzzz', 1, 'x')", ()),  # names no entry
    ]:
        with pytest.raises((sqlite3.IntegrityError, StoreError)):
            store.conn.execute(sql, params)


def test_an_entry_added_after_a_cut_keeps_the_gap_visible(store: Store, data_dir: Path) -> None:
    for i in range(3):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    cut = get_entry(store, "abc234", 3)
    _tamper(store, "DELETE FROM evidence WHERE seq = 3", ())
    fourth = add_entry(store, data_dir, "abc234", kind="note", summary="after the cut", now=NOW)
    # Not a new entry 3 filling the hole: the chain goes on from the deleted entry's MAC.
    assert (fourth.seq, fourth.prev_hash) == (4, cut.hash)
    assert [str(p) for p in verify(store, data_dir, "abc234").problems] == [
        "entry 3: missing (deleted from the database)"
    ]


def test_the_log_refuses_updates_and_deletes(store: Store, data_dir: Path) -> None:
    add_entry(store, data_dir, "abc234", kind="call", summary="Called", now=NOW)
    with pytest.raises((sqlite3.IntegrityError, StoreError), match="append-only"):
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


def test_each_fact_of_the_log_has_one_last_version(store: Store, data_dir: Path) -> None:
    # 1 ← 3 ← 4: a chain ends at its last link; 2 ← 5, 2 ← 6: two corrections of one entry, the
    # later stands; 7 stands alone. The version the letters state, as the dossier names it.
    for seq, corrects in ((1, None), (2, None), (3, 1), (4, 3), (5, 2), (6, 2), (7, None)):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"entry {seq}", now=NOW, corrects=corrects)
    assert current_versions(list_entries(store, "abc234")) == {1: 4, 2: 6, 3: 4, 4: 4, 5: 6, 6: 6, 7: 7}
    assert current_versions([]) == {}


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
    sqlite_only(store)
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
    d = entry_to_dict(entry, store.attachments)
    assert d["kind"] == "code"
    assert d["attachments"][0]["size"] == 1
    if store.dialect == "sqlite":
        assert Path(d["attachments"][0]["path"]).read_bytes() == b"A"
    else:  # where it is, for a person: in the database
        assert d["attachments"][0]["path"].startswith("attachment 559aead08264d579")
    assert d["at"] == NOW.isoformat()


def test_without_the_key_keyed_entries_are_named_as_unchecked(store: Store, data_dir: Path) -> None:
    for i in range(2):
        add_entry(store, data_dir, "abc234", kind="call", summary=f"call {i + 1}", now=NOW)
    keys = KeyDir.default()
    keys.key_path.unlink()
    (problem,) = verify(store, data_dir, "abc234").problems
    assert str(problem).startswith(
        f"cannot check entries 1 to 2: keyed, and the evidence key {keys.key_path}"
    )
    assert not keys.key_path.exists()  # verifying never creates a key


def test_entries_of_another_key_are_told_apart(store: Store, data_dir: Path) -> None:
    add_entry(store, data_dir, "abc234", kind="call", summary="on the old laptop", now=NOW)
    keys = KeyDir.default()
    old = keys.load()
    keys.key_path.unlink()
    keys.heads_path.unlink()  # a new machine: a fresh state directory
    with pytest.raises(ConfigError, match="this machine has no evidence key"):  # not silently
        add_entry(store, data_dir, "abc234", kind="call", summary="on the new one", now=NOW)
    assert keys.load() is None
    add_entry(store, data_dir, "abc234", kind="call", summary="on the new one", now=NOW, own_key=True)
    new = keys.load()
    assert old is not None and new is not None and old.key_id != new.key_id
    (problem,) = verify(store, data_dir, "abc234").problems
    assert str(problem).startswith(
        f"entry 1: hash mismatch, recorded with evidence key {old.key_id}, not this machine's"
    )


def test_the_key_is_made_private_and_a_bad_key_file_is_refused(tmp_path: Path) -> None:
    keys = KeyDir(tmp_path / "state")
    key = keys.load_or_create()
    assert stat.S_IMODE(keys.key_path.stat().st_mode) == 0o600
    assert keys.key_path.read_text().strip() not in repr(key)
    keys.key_path.chmod(0o644)
    assert keys.load() is not None and keys.load().key_id == key.key_id  # type: ignore[union-attr]
    assert stat.S_IMODE(keys.key_path.stat().st_mode) == 0o600
    keys.key_path.write_text("not a key\n")
    with pytest.raises(StoreError, match="not an evidence key"):
        keys.load()


# --- the record of a letter sent, as a person reads it ------------------------------------------------


def _sent(to: str, subject: str = "Follow-up: Cancel roaming eSIM (ref. BT-48213)") -> EvidenceEntry:
    from reminder.evidence import SENT_LETTER_PREFIX

    recipient, message_id = "Batelco <c@batelco.example>", "<a.1@x.example>"
    summary = f"{SENT_LETTER_PREFIX.format(to=to)}{recipient}: {subject} (Message-ID {message_id})"
    return EvidenceEntry(case_id="abc234", seq=2, kind="email", summary=summary, at=NOW, recorded_at=NOW)


def test_the_record_of_a_letter_sent_reads_in_the_readers_language() -> None:
    """What `letter --send` records is English (hashed into the chain, and read back by the
    letters); a Chinese reader got it in English in every view (the test failed before)."""
    from reminder import i18n
    from reminder.evidence import summary_for_people

    follow_up, complaint = _sent("organisation"), _sent("regulator", "شكوى: إلغاء (BT-48213)")
    with i18n.using_language("zh_CN"):
        assert summary_for_people(follow_up) == (
            "给机构的跟进信已通过电子邮件发送给 Batelco <c@batelco.example>："
            "Follow-up: Cancel roaming eSIM (ref. BT-48213)（Message-ID <a.1@x.example>）"
        )
        assert summary_for_people(complaint) == (
            "给监管机构的投诉信已通过电子邮件发送给 Batelco <c@batelco.example>："
            "شكوى: إلغاء (BT-48213)（Message-ID <a.1@x.example>）"
        )
        # The user's own words, and what only looks like the record, as written.
        typed = replace(follow_up, kind="letter")
        cut = replace(follow_up, summary=follow_up.summary.split(" (Message-ID")[0])
        for e in (typed, cut, replace(follow_up, kind="call", summary="Called 196")):
            assert summary_for_people(e) == e.summary
    # English reads the stored text itself, byte for byte.
    with i18n.using_language("en"):
        assert [summary_for_people(e) for e in (follow_up, complaint)] == [
            follow_up.summary,
            complaint.summary,
        ]
