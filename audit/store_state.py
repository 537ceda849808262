"""The writer's view of the chain, (re)built from the database on every connect.

Reading it back from the database (never trusting what was in memory) is what
makes a reconnect after a failed or ambiguous commit continue the chain
exactly where the durable records end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from audit.api import AuditUnavailable
from audit.backends import Backend
from audit.checkpoint import CHECKPOINT_EVENT
from audit.merkle import Frontier, leaf_hash
from audit.migrations import LATEST
from audit.record import GENESIS_HASH

NODE_LEVEL = 8
"""Complete Merkle subtrees of 2**8 leaves and up are saved, so proofs read O(log n) rows."""


@dataclass(frozen=True, slots=True)
class StoreState:
    seq: int
    head: bytes
    frontier: Frontier
    log_id: str
    last_ts: str
    checkpoint_seq: int
    checkpoint_time: float

    def with_checkpoint_time(self, when: float) -> StoreState:
        return replace(self, checkpoint_time=when)


def fetch_all(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run a small query on a raw DB-API connection."""
    cursor = conn.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


class Reader:
    """Small read-only queries with ``?`` placeholders on one raw connection."""

    def __init__(self, conn: Any, backend: Backend) -> None:
        self.conn = conn
        self.backend = backend

    def all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        try:
            return fetch_all(self.conn, self.backend.sql(sql), params)
        finally:
            self.conn.rollback()

    def one(self, sql: str, *params: Any) -> tuple[Any, ...] | None:
        rows = self.all(sql, *params)
        return rows[0] if rows else None


LAST_CONTROL_RECORD = (
    "SELECT seq FROM audit_log WHERE event_type >= 'audit.' AND event_type < 'audit/' "
    "AND event_type = ? ORDER BY seq DESC LIMIT 1"
)
"""The latest record of an ``audit.*`` type; the range terms let the partial index serve it."""


def load_state(conn: Any, backend: Backend, previous: StoreState) -> StoreState:
    """Read head, Merkle frontier and last checkpoint from the database."""
    sql = backend.sql
    try:
        try:
            version = fetch_all(conn, "SELECT MAX(version) FROM audit_schema_version")[0][0]
        except Exception as exc:  # sqlite3 / psycopg "no such table": the driver's own types
            raise AuditUnavailable(f"audit schema unreadable (not migrated?): {exc}") from exc
        if version != LATEST:
            raise AuditUnavailable(
                f"audit schema is at version {version}, this code needs {LATEST}: migrate first"
            )
        log_id = str(fetch_all(conn, "SELECT value FROM audit_meta WHERE key = 'log_id'")[0][0])
        last = fetch_all(conn, "SELECT seq, ts, record_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq, last_ts, head = (
            (int(last[0][0]), str(last[0][1]), bytes(last[0][2]))
            if last
            else (0, "", bytes.fromhex(GENESIS_HASH))
        )
        frontier = _frontier(conn, sql, seq)
        checkpoints = fetch_all(
            conn,
            sql(LAST_CONTROL_RECORD),
            (CHECKPOINT_EVENT,),
        )
    finally:
        conn.rollback()
    checkpoint_seq = int(checkpoints[0][0]) if checkpoints else 0
    return StoreState(seq, head, frontier, log_id, last_ts, checkpoint_seq, time.monotonic())


def _frontier(conn: Any, sql: Callable[[str], str], size: int) -> Frontier:
    """Saved subtree nodes for the high bits of ``size``, rehashed leaves for the tail."""
    chunk = 1 << NODE_LEVEL
    saved_size = size - size % chunk
    hashes: list[bytes] = []
    start = 0
    for level in range(saved_size.bit_length() - 1, NODE_LEVEL - 1, -1):
        if saved_size & (1 << level):
            rows = fetch_all(
                conn,
                sql("SELECT hash FROM audit_merkle_node WHERE level = ? AND idx = ?"),
                (level, start >> level),
            )
            if not rows:
                raise AuditUnavailable(f"Merkle node level {level} index {start >> level} missing")
            hashes.append(bytes(rows[0][0]))
            start += 1 << level
    frontier = Frontier(saved_size, hashes, NODE_LEVEL)
    tail = fetch_all(
        conn,
        sql("SELECT body FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq"),
        (saved_size, size),
    )
    if len(tail) != size - saved_size:
        raise AuditUnavailable("the audit log has a gap at its tail")
    for (body,) in tail:
        frontier.append(leaf_hash(bytes(body)))
    return frontier
