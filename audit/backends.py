"""The two hot paths per dialect, on the raw driver connection SQLAlchemy pools.

Writing a batch: SQLite ``BEGIN IMMEDIATE`` + multi-row ``INSERT`` statements + ``COMMIT``
(fsynced by ``synchronous=FULL``); PostgreSQL binary ``COPY`` in one
transaction. Streaming rows: SQLite cursor ``fetchmany``; PostgreSQL a
server-side (named) cursor, so memory stays flat whatever the range.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

LogRow = tuple[int, str, str, str | None, bytes, bytes, bytes]
"""seq, ts, event_type, retention, body (canonical bytes), prev_hash, record_hash."""
LinkRow = tuple[int, bytes | None, bytes]
"""seq, prev_hash || body (what record_hash is the SHA-256 of; None unless the stored
prev_hash is 32 bytes long), record_hash: a record as verifying the chain reads it."""
NodeRow = tuple[int, int, bytes]
"""level, index, hash of a complete Merkle subtree."""

_INSERT_LOG = (
    "INSERT INTO audit_log (seq, ts, event_type, retention, body, prev_hash, record_hash) "
    "VALUES (?,?,?,?,?,?,?)"
)
_FETCH = 5000
_STREAM_CHUNK = 2000
"""Rows per chunk when PostgreSQL streams a result (see PostgresBackend.link_rows)."""
_STATEMENT_TIMEOUT_MS = 10_000
_MIN_ROWS_PER_MS = 50
"""A streamed read may take its rows at no less than 50,000 per second before the
server cancels it (the engine's own statement timeout is meant for writes)."""
_cursor_names = itertools.count()


class NotCommitted(Exception):
    """The batch failed before COMMIT was sent: it certainly did not land, so a retry is safe."""


class Backend(Protocol):
    def write(self, raw: Any, rows: Sequence[LogRow], nodes: Sequence[NodeRow]) -> None:
        """Insert the rows and nodes in one durable transaction.

        Raises :class:`NotCommitted` when the failure came before COMMIT; any
        other exception leaves the outcome unknown.
        """
        ...

    def probe(self, raw: Any) -> None:
        """Raise unless this connection can write right now."""
        ...

    def abort(self, raw: Any) -> None:
        """From another thread: make a hung call on this connection return with an error."""
        ...

    def stream(self, raw: Any, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Yield the rows of a SELECT without holding them all in memory."""
        ...

    def sql(self, query: str) -> str:
        """``query`` written with ``?`` placeholders, in this driver's paramstyle."""
        ...

    def link_rows(self, raw: Any, start_seq: int, end_seq: int) -> Iterator[LinkRow]:
        """Yield the :data:`LinkRow` of seqs ``start..end`` in order, with flat memory.

        The verifier's hot path: one column fewer than (seq, body, prev, hash)
        to build per row, and the concatenation it hashes made by the database.
        """
        ...


_INSERT_NODE = "INSERT INTO audit_merkle_node (level, idx, hash) VALUES (?,?,?)"
_LOG_ROW = "(?,?,?,?,?,?,?)"
_NODE_ROW = "(?,?,?)"
_MAX_CHUNK = 256


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """Split ``count`` rows into power-of-two chunks of at most _MAX_CHUNK (few distinct SQLs)."""
    start = 0
    while start < count:
        size = min(_MAX_CHUNK, 1 << ((count - start).bit_length() - 1))
        yield start, start + size
        start += size


def _null(_: None) -> None:
    return None


def _bind_bytes_and_null_directly() -> None:
    """Spare sqlite3 its adaptation protocol for bytes and None (~0.2 µs per value).

    The module binds only exact int, float, str and bytearray without trying
    ``__adapt__`` and ``__conform__`` first; a registered adapter is found by one
    dict lookup instead. These two return their argument unchanged, so nothing
    bound changes for anyone sharing the (process-wide) registry, and an adapter
    someone else registered for the same type is left alone.
    """
    if (bytes, sqlite3.PrepareProtocol) not in sqlite3.adapters:
        sqlite3.register_adapter(bytes, bytes)
    if (type(None), sqlite3.PrepareProtocol) not in sqlite3.adapters:
        sqlite3.register_adapter(type(None), _null)


class SqliteBackend:
    """Multi-row INSERT statements: executemany re-takes the GIL for every row, and under
    load each re-take can wait a whole switch interval; one statement per chunk does not."""

    def __init__(self) -> None:
        _bind_bytes_and_null_directly()

    @staticmethod
    def _insert_many(raw: Any, insert: str, row: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """``insert`` (written for one ``row`` of placeholders) for every row, a chunk per statement."""
        for start, end in _chunks(len(rows)):
            values = ",".join((row,) * (end - start))
            raw.execute(insert.replace(row, values), list(itertools.chain.from_iterable(rows[start:end])))

    def write(self, raw: Any, rows: Sequence[LogRow], nodes: Sequence[NodeRow]) -> None:
        try:
            raw.execute("BEGIN IMMEDIATE")
            self._insert_many(raw, _INSERT_LOG, _LOG_ROW, rows)
            if nodes:
                self._insert_many(raw, _INSERT_NODE, _NODE_ROW, nodes)
        except Exception as exc:
            _rollback_quietly(raw)
            raise NotCommitted(repr(exc)) from exc
        try:
            raw.execute("COMMIT")
        except BaseException:
            _rollback_quietly(raw)
            raise

    def probe(self, raw: Any) -> None:
        raw.execute("BEGIN IMMEDIATE")  # can we take the write lock?
        raw.execute("ROLLBACK")

    def abort(self, raw: Any) -> None:
        raw.interrupt()

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

    _LINKS = (
        "SELECT seq, CASE WHEN length(prev_hash) = 32 THEN CAST(prev_hash || body AS BLOB) END, "
        "record_hash FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq"
    )
    """``||`` joins the stored bytes as they are in a UTF-8 database (ours always are);
    CAST keeps sqlite3 from decoding the result as text."""

    def link_rows(self, raw: Any, start_seq: int, end_seq: int) -> Iterator[LinkRow]:
        cursor = raw.execute(self._LINKS, (start_seq, end_seq))
        try:
            yield from cursor  # iterating the cursor itself: no fetchmany list per chunk
        finally:
            cursor.close()


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
        except Exception as exc:
            _rollback_quietly(raw)
            raise NotCommitted(repr(exc)) from exc
        try:
            raw.commit()
        except BaseException:
            _rollback_quietly(raw)
            raise

    def probe(self, raw: Any) -> None:
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            row = cursor.fetchone()
        raw.rollback()
        if row is None or row[0]:
            raise RuntimeError("the audit database is a read-only standby")

    def abort(self, raw: Any) -> None:
        """Shut the socket down under libpq: a server that stopped answering cannot cancel."""
        fd = raw.pgconn.socket
        with contextlib.closing(socket.socket(fileno=os.dup(fd))) as sock:
            sock.shutdown(socket.SHUT_RDWR)

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

    _LINKS = (
        "SELECT seq, CASE WHEN octet_length(prev_hash) = 32 THEN prev_hash || body END, "
        "record_hash FROM audit_log WHERE seq >= %s AND seq <= %s ORDER BY seq"
    )
    _LINK_PLAN = (
        "SET LOCAL enable_seqscan = off",  # a whole-log range would otherwise be read by a
        "SET LOCAL enable_bitmapscan = off",  # sequential or bitmap scan and sorted on disk;
        "SET LOCAL enable_sort = off",  # the primary key already holds the order
        "SET LOCAL jit = off",
    )

    def link_rows(self, raw: Any, start_seq: int, end_seq: int) -> Iterator[LinkRow]:
        """One statement whose rows the server streams in chunks (libpq 17 chunked mode,
        else row by row) while we hash the rows before them: unlike a named cursor's
        FETCH round trips, the server's work overlaps ours."""
        rows = max(0, end_seq - start_seq + 1)
        timeout_ms = _STATEMENT_TIMEOUT_MS + rows // _MIN_ROWS_PER_MS  # one statement for them all
        try:
            with raw.cursor(binary=True) as cursor:
                for setting in self._LINK_PLAN:
                    cursor.execute(setting)
                cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                size = _STREAM_CHUNK if _chunked_rows_supported() else 1
                yield from cursor.stream(self._LINKS, (start_seq, end_seq), size=size)
        finally:
            _rollback_quietly(raw)  # end the read-only transaction and its settings


def _chunked_rows_supported() -> bool:
    import psycopg

    return psycopg.pq.version() >= 170000


def _rollback_quietly(raw: Any) -> None:
    try:
        raw.rollback()
    except Exception:  # the connection is already broken; the transaction died with it
        return


def backend_for(dialect: str) -> Backend:
    if dialect == "sqlite":
        return SqliteBackend()
    if dialect == "postgresql":
        return PostgresBackend()
    raise ValueError(f"unsupported dialect {dialect}")
