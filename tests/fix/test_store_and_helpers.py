"""Durable sequence store, credentials, throttle and the wire journal."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.memory import MemoryAuditLog
from fix.auth import PasswordFile, hash_password, verify_password
from fix.journal import FIX_INBOUND, AuditJournal, Direction, WireRecord
from fix.store import MemoryStore, SqliteStoreFile
from fix.throttle import SlidingWindowThrottle

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_sqlite_store_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "seq.sqlite"
    file = SqliteStoreFile(path)
    store = file.session("FIX.4.4:GW->DESK", NOW)
    store.set_next_sender_seq(42)
    store.set_next_target_seq(17)
    store.save_outbound(40, b"forty")
    store.save_outbound(41, b"forty-one")
    other = file.session("FIX.4.4:GW->OTHER", NOW)
    other.set_next_sender_seq(5)
    file.flush()
    file.close()

    again = SqliteStoreFile(path)
    store = again.session("FIX.4.4:GW->DESK")
    assert (store.next_sender_seq, store.next_target_seq) == (42, 17)
    assert store.creation_time == NOW
    assert store.outbound_range(41, 100) == [(41, b"forty-one")]
    assert again.session("FIX.4.4:GW->OTHER").next_sender_seq == 5


def test_one_flush_keeps_every_message_of_a_busy_turn(tmp_path: Path) -> None:
    """A flush carries however many messages the turn produced; a
    message saved twice under one sequence number keeps its last bytes."""
    path = tmp_path / "seq.sqlite"
    file = SqliteStoreFile(path, keep_messages=10_000)
    store = file.session("S", NOW)
    for seq in range(1, 700):
        store.save_outbound(seq, b"m%d" % seq)
    store.save_outbound(5, b"m5 again")
    file.flush()
    file.close()

    sent = SqliteStoreFile(path).session("S").outbound_range(1, 10_000)
    assert [seq for seq, _ in sent] == list(range(1, 700))
    assert dict(sent)[5] == b"m5 again"
    assert dict(sent)[699] == b"m699"


def test_sqlite_writes_are_not_durable_before_flush(tmp_path: Path) -> None:
    path = tmp_path / "seq.sqlite"
    file = SqliteStoreFile(path)
    store = file.session("S", NOW)
    store.set_next_sender_seq(9)
    reader = sqlite3.connect(str(path))
    assert reader.execute("SELECT next_sender FROM fix_session").fetchone() == (1,)
    assert file.pending
    file.flush()
    assert reader.execute("SELECT next_sender FROM fix_session").fetchone() == (9,)
    assert not file.pending
    file.close()


def test_sqlite_reads_see_unflushed_messages_and_reset_drops_them(tmp_path: Path) -> None:
    file = SqliteStoreFile(tmp_path / "seq.sqlite")
    store = file.session("S", NOW)
    store.save_outbound(1, b"one")
    assert store.outbound_range(1, 1) == [(1, b"one")]
    store.save_outbound(2, b"two")
    later = NOW + timedelta(days=1)
    store.reset(later)
    assert store.outbound_range(1, 10) == []
    assert (store.next_sender_seq, store.next_target_seq, store.creation_time) == (1, 1, later)
    file.close()
    assert SqliteStoreFile(tmp_path / "seq.sqlite").session("S").creation_time == later


def test_memory_store_contract() -> None:
    store = MemoryStore(NOW)
    store.save_outbound(3, b"c")
    store.save_outbound(1, b"a")
    assert store.outbound_range(1, 2) == [(1, b"a")]
    store.reset(NOW)
    assert store.outbound_range(1, 9) == [] and store.next_sender_seq == 1


def test_password_file(tmp_path: Path) -> None:
    path = tmp_path / "fix-users"
    auth = PasswordFile(path)
    assert not auth("FIX.4.4:GW->DESK", "jsmith", "pw", None)  # no file: nobody
    path.write_text(f"# desk one\nFIX.4.4:GW->DESK jsmith {hash_password('pw')}\nbroken line\n")
    assert auth("FIX.4.4:GW->DESK", "jsmith", "pw", "127.0.0.1")
    assert not auth("FIX.4.4:GW->DESK", "jsmith", "PW", None)
    assert not auth("FIX.4.4:GW->OTHER", "jsmith", "pw", None)
    assert not auth("FIX.4.4:GW->DESK", None, "pw", None)
    assert not verify_password("pw", "md5$abc")


def test_throttle_window_slides() -> None:
    throttle = SlidingWindowThrottle(2, 1.0)
    assert throttle.allow(0.0) and throttle.allow(0.5)
    assert not throttle.allow(0.9)
    assert throttle.allow(1.01)  # the first one left the window
    assert not throttle.allow(1.2)
    with pytest.raises(ValueError):
        SlidingWindowThrottle(0, 1.0)


def test_audit_journal_records_raw_bytes() -> None:
    log = MemoryAuditLog()
    journal = AuditJournal(log)
    raw = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01"
    journal(WireRecord("FIX.4.4:GW->DESK", Direction.IN, raw, "0", 1))
    [record] = list(log.read())
    assert record.event_type == FIX_INBOUND
    assert record.payload["raw"].encode("latin-1") == raw
    assert record.payload["session"] == "FIX.4.4:GW->DESK"
    log.available = False
    journal(WireRecord("S", Direction.OUT, b"x"))
    assert len(list(log.read())) == 1


def test_old_sent_messages_are_pruned(tmp_path: Path) -> None:
    file = SqliteStoreFile(tmp_path / "seq.sqlite", keep_messages=3)
    store = file.session("S", NOW)
    for seq in range(1, 11):
        store.save_outbound(seq, b"m%d" % seq)
    store.set_next_sender_seq(11)
    file.flushes = 0  # the next commit prunes
    file.flush()
    assert [seq for seq, _ in store.outbound_range(1, 10)] == [8, 9, 10]
    file.close()
