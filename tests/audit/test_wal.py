"""SQLite's log is checkpointed off the commit path, and stays bounded either way."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from audit import sql_store
from audit.factory import open_sql_audit_log
from audit.sql_store import SqlAuditLog
from audit.verify import verify_log
from audit.wal import WalCheckpointer

PAYLOAD = {"order_id": "O-1", "note": "x" * 400}
RECORDS = 10_000  # ~7 MB of log pages: more than twice every bound below


def _append_in_batches(log: SqlAuditLog, n: int) -> None:
    for start in range(0, n, 200):
        tickets = [log.append("order.accepted", PAYLOAD) for _ in range(min(200, n - start))]
        tickets[-1].result(10)
        time.sleep(0.005)  # as orders come: the other threads get the interpreter between batches


def _wal_bytes(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_the_checkpointer_keeps_the_log_small_while_the_writer_never_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store, "BACKSTOP_PAGES", 1_000_000)  # the writer never checkpoints
    db = tmp_path / "audit.db"
    log = open_sql_audit_log(f"sqlite:///{db}")
    assert log.wal is not None
    log.wal.interval = 0.005
    time.sleep(0.15)  # the first wait, begun with the default interval, is over

    _append_in_batches(log, RECORDS)
    wal_bytes = _wal_bytes(db)  # before closing: the last connection to close deletes the file
    log.close()

    assert log.wal.passes > 0
    assert wal_bytes < 3_000_000  # without the thread: every page the writer wrote, ~7 MB
    reopened = open_sql_audit_log(f"sqlite:///{db}", read_only=True)
    try:
        assert reopened.head()[0] == RECORDS
        assert verify_log(reopened).ok
    finally:
        reopened.close()


def test_without_the_checkpointer_the_writers_backstop_bounds_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store, "BACKSTOP_PAGES", 64)
    db = tmp_path / "audit.db"
    log = open_sql_audit_log(f"sqlite:///{db}")
    assert log.wal is not None
    log.wal.close()  # as if the thread had died

    _append_in_batches(log, RECORDS)
    wal_bytes = _wal_bytes(db)
    log.close()

    assert log.wal.passes == 0
    assert wal_bytes < 3_000_000


def test_a_checkpoint_copies_what_no_reader_still_needs(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x BLOB)")
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # holds a snapshot: the table, empty
    for _ in range(20):
        writer.execute("INSERT INTO t VALUES (?)", (os.urandom(4000),))
    checkpointer = WalCheckpointer(str(db))
    conn = sqlite3.connect(db, isolation_level=None)

    held_back = checkpointer.checkpoint(conn)
    writer.execute("INSERT INTO t VALUES (?)", (os.urandom(4000),))  # the writer is never held
    reader.execute("COMMIT")
    complete = checkpointer.checkpoint(conn)

    assert held_back.copied_pages < held_back.log_pages
    assert complete.copied_pages == complete.log_pages > held_back.log_pages
    for c in (writer, reader, conn):
        c.close()
