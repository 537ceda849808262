"""The two hot paths per dialect, on the raw driver connection SQLAlchemy pools.

Writing a batch: SQLite ``BEGIN IMMEDIATE`` + ``executemany`` + ``COMMIT``
(fsynced by ``synchronous=FULL``); PostgreSQL binary ``COPY`` in one
transaction. Streaming rows: SQLite cursor ``fetchmany``; PostgreSQL a
server-side (named) cursor, so memory stays flat whatever the range.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

LogRow = tuple[int, str, str, str | None, bytes, bytes, bytes]
"""seq, ts, event_type, retention, body (canonical bytes), prev_hash, record_hash."""
NodeRow = tuple[int, int, bytes]
"""level, index, hash of a complete Merkle subtree."""

_INSERT_LOG = (
    "INSERT INTO audit_log (seq, ts, event_type, retention, body, prev_hash, record_hash) "
    "VALUES (?,?,?,?,?,?,?)"
)
_FETCH = 5000
_cursor_names = itertools.count()


class Backend(Protocol):
    def write(self, raw: Any, rows: Sequence[LogRow], nodes: Sequence[NodeRow]) -> None:
        """Insert the rows and nodes in one durable transaction."""
        ...

    def stream(self, raw: Any, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Yield the rows of a SELECT without holding them all in memory."""
        ...

    def sql(self, query: str) -> str:
        """``query`` written with ``?`` placeholders, in this driver's paramstyle."""
        ...


class SqliteBackend:
    def write(self, raw: Any, rows: Sequence[LogRow], nodes: Sequence[NodeRow]) -> None:
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.executemany(_INSERT_LOG, rows)
            if nodes:
                raw.executemany("INSERT INTO audit_merkle_node (level, idx, hash) VALUES (?,?,?)", nodes)
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise

    def stream(self, raw: Any, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        cursor = raw.execute(sql, tuple(params))
        try:
            while True:
                chunk = cursor.fetchmany(_FETCH)
                if not chunk:
                    return
                yield from chunk
        finally:
            cursor.close()

    def sql(self, query: str) -> str:
        return query


class PostgresBackend:
    _COPY = (
        "COPY audit_log (seq, ts, event_type, retention, body, prev_hash, record_hash) "
        "FROM STDIN (FORMAT BINARY)"
    )
    _TYPES = ("int8", "text", "text", "text", "bytea", "bytea", "bytea")

    def write(self, raw: Any, rows: Sequence[LogRow], nodes: Sequence[NodeRow]) -> None:
        try:
            with raw.cursor() as cursor:
                with cursor.copy(self._COPY) as copy:
                    copy.set_types(self._TYPES)
                    for row in rows:
                        copy.write_row(row)
                if nodes:
                    cursor.executemany(
                        "INSERT INTO audit_merkle_node (level, idx, hash) VALUES (%s,%s,%s)",
                        nodes,
                    )
            raw.commit()
        except BaseException:
            if not raw.closed:
                raw.rollback()
            raise

    def stream(self, raw: Any, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        with raw.cursor(name=f"audit_stream_{next(_cursor_names)}", binary=True) as cursor:
            cursor.itersize = _FETCH
            cursor.execute(sql, tuple(params))
            while True:
                chunk = cursor.fetchmany(_FETCH)
                if not chunk:
                    break
                yield from chunk
        raw.rollback()  # end the read-only transaction the named cursor needed

    def sql(self, query: str) -> str:
        return query.replace("%", "%%").replace("?", "%s")


def backend_for(dialect: str) -> Backend:
    if dialect == "sqlite":
        return SqliteBackend()
    if dialect == "postgresql":
        return PostgresBackend()
    raise ValueError(f"unsupported dialect {dialect}")
