"""Sequence numbers and sent application messages, per session, that survive a restart.

QuickFIX's file store calls fflush but never fsync, so a crash can reuse a
sequence number the counterparty has already seen. :class:`SqliteStoreFile`
keeps every session of a gateway in one SQLite file (WAL, synchronous=FULL)
and commits in groups: the I/O layer calls :meth:`SqliteStoreFile.flush`
once per event-loop turn, *before* the bytes produced in that turn are
written to the sockets, so nothing is ever sent under a sequence number that
is not durable. :class:`MemoryStore` is the same contract without a disk.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from risk_controls.domain.clock import iso_utc, parse_iso_utc


class SessionStore(Protocol):
    """What a session persists: next sequence numbers and its sent app messages."""

    @property
    def next_sender_seq(self) -> int: ...

    @property
    def next_target_seq(self) -> int: ...

    @property
    def creation_time(self) -> datetime: ...

    def set_next_sender_seq(self, seq: int) -> None: ...

    def set_next_target_seq(self, seq: int) -> None: ...

    def save_outbound(self, seq: int, raw: bytes) -> None:
        """Remember a sent application message for ResendRequest."""
        ...

    def outbound_range(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """Stored messages with ``begin <= seq <= end``, in order."""
        ...

    def reset(self, now: datetime) -> None:
        """Both sequence numbers back to 1, stored messages dropped, new creation time."""
        ...


class MemoryStore:
    """A store that forgets on restart: for tests and for throw-away sessions."""

    def __init__(self, now: datetime | None = None) -> None:
        self._sender = 1
        self._target = 1
        self._created = now or datetime.now(UTC)
        self._messages: dict[int, bytes] = {}

    @property
    def next_sender_seq(self) -> int:
        return self._sender

    @property
    def next_target_seq(self) -> int:
        return self._target

    @property
    def creation_time(self) -> datetime:
        return self._created

    def set_next_sender_seq(self, seq: int) -> None:
        self._sender = seq

    def set_next_target_seq(self, seq: int) -> None:
        self._target = seq

    def save_outbound(self, seq: int, raw: bytes) -> None:
        self._messages[seq] = raw

    def outbound_range(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        return [(s, self._messages[s]) for s in sorted(self._messages) if begin <= s <= end]

    def reset(self, now: datetime) -> None:
        self._sender = 1
        self._target = 1
        self._created = now
        self._messages.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS fix_session (
    session_id TEXT PRIMARY KEY,
    next_sender INTEGER NOT NULL,
    next_target INTEGER NOT NULL,
    creation_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fix_outbound (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""


_PRUNE_EVERY = 500


class SqliteStoreFile:
    """One SQLite file holding the stores of every session of a gateway.

    Writes are buffered and made durable together by :meth:`flush` (one
    transaction, one fsync), which the acceptor calls before it writes to any
    socket. Reads of stored messages flush first, so they see every write.
    """

    def __init__(self, path: str | Path, keep_messages: int = 500_000) -> None:
        """``keep_messages``: sent messages kept per session for resends (older ones are
        pruned every few hundred commits; a resend request for them gets a gap fill)."""
        self.path = Path(path)
        self.keep_messages = keep_messages
        self._lock = threading.RLock()  # the buffers
        self._commit_lock = threading.RLock()  # the connection: one transaction at a time
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._dirty: dict[str, SqliteSessionStore] = {}
        self._outbound: list[tuple[str, int, bytes]] = []
        self._deletes: list[str] = []
        self._stores: dict[str, SqliteSessionStore] = {}
        self.flushes = 0

    def session(self, session_id: str, now: datetime | None = None) -> SqliteSessionStore:
        """The store of one session, created at sequence 1 the first time."""
        with self._lock:
            store = self._stores.get(session_id)
            if store is not None:
                return store
            with self._commit_lock:
                row = self._db.execute(
                    "SELECT next_sender, next_target, creation_time FROM fix_session WHERE session_id=?",
                    (session_id,),
                ).fetchone()
            if row is None:
                created = now or datetime.now(UTC)
                store = SqliteSessionStore(self, session_id, 1, 1, created)
                self._dirty[session_id] = store
                self.flush()
            else:
                store = SqliteSessionStore(self, session_id, row[0], row[1], parse_iso_utc(row[2]))
            self._stores[session_id] = store
            return store

    @property
    def pending(self) -> bool:
        return bool(self._dirty or self._outbound or self._deletes)

    def flush(self) -> None:
        """Make every buffered write durable in one transaction, now."""
        commit = self.prepare_flush()
        if commit is not None:
            commit()

    def prepare_flush(self) -> Callable[[], None] | None:
        """Snapshot the buffered writes; the returned callable commits them (any thread).

        The snapshot is taken on the caller's thread, so it holds exactly the
        sequence numbers and messages produced so far; writes made while the
        commit runs go into the next snapshot. Commits run one at a time.
        """
        with self._lock:
            if not (self._dirty or self._outbound or self._deletes):
                return None
            rows = [
                (st.session_id, st.next_sender_seq, st.next_target_seq, iso_utc(st.creation_time))
                for st in self._dirty.values()
            ]
            self._dirty = {}
            outbound, self._outbound = self._outbound, []
            deletes, self._deletes = self._deletes, []

        def commit() -> None:
            self._commit(deletes, outbound, rows)

        return commit

    def _commit(
        self,
        deletes: list[str],
        outbound: list[tuple[str, int, bytes]],
        rows: list[tuple[str, int, int, str]],
    ) -> None:
        with self._commit_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                for session_id in deletes:
                    db.execute("DELETE FROM fix_outbound WHERE session_id=?", (session_id,))
                if outbound:
                    db.executemany(
                        "INSERT OR REPLACE INTO fix_outbound (session_id, seq, raw) VALUES (?,?,?)",
                        outbound,
                    )
                db.executemany(
                    "INSERT INTO fix_session (session_id, next_sender, next_target, creation_time) "
                    "VALUES (?,?,?,?) ON CONFLICT(session_id) DO UPDATE SET "
                    "next_sender=excluded.next_sender, next_target=excluded.next_target, "
                    "creation_time=excluded.creation_time",
                    rows,
                )
                if self.flushes % _PRUNE_EVERY == 0:
                    for session_id, next_sender, _, _ in rows:
                        db.execute(
                            "DELETE FROM fix_outbound WHERE session_id=? AND seq < ?",
                            (session_id, next_sender - self.keep_messages),
                        )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self.flushes += 1

    def close(self) -> None:
        self.flush()
        with self._commit_lock:
            self._db.close()

    # --- used by SqliteSessionStore ---

    def _mark(self, store: SqliteSessionStore) -> None:
        self._dirty[store.session_id] = store

    def _add_outbound(self, session_id: str, seq: int, raw: bytes) -> None:
        self._outbound.append((session_id, seq, raw))

    def _delete_outbound(self, session_id: str) -> None:
        self._outbound = [o for o in self._outbound if o[0] != session_id]
        self._deletes.append(session_id)

    def _read(self, session_id: str, begin: int, end: int) -> list[tuple[int, bytes]]:
        self.flush()
        with self._commit_lock:
            rows = self._db.execute(
                "SELECT seq, raw FROM fix_outbound WHERE session_id=? AND seq BETWEEN ? AND ? ORDER BY seq",
                (session_id, begin, end),
            ).fetchall()
            return [(int(seq), bytes(raw)) for seq, raw in rows]


class SqliteSessionStore:
    """One session's view of a :class:`SqliteStoreFile`; state is cached in memory."""

    def __init__(
        self,
        owner: SqliteStoreFile,
        session_id: str,
        next_sender: int,
        next_target: int,
        created: datetime,
    ) -> None:
        self._owner = owner
        self.session_id = session_id
        self._sender = next_sender
        self._target = next_target
        self._created = created

    @property
    def next_sender_seq(self) -> int:
        return self._sender

    @property
    def next_target_seq(self) -> int:
        return self._target

    @property
    def creation_time(self) -> datetime:
        return self._created

    def set_next_sender_seq(self, seq: int) -> None:
        self._sender = seq
        self._owner._mark(self)

    def set_next_target_seq(self, seq: int) -> None:
        self._target = seq
        self._owner._mark(self)

    def save_outbound(self, seq: int, raw: bytes) -> None:
        self._owner._add_outbound(self.session_id, seq, raw)

    def outbound_range(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        return self._owner._read(self.session_id, begin, end)

    def reset(self, now: datetime) -> None:
        self._sender = 1
        self._target = 1
        self._created = now
        self._owner._delete_outbound(self.session_id)
        self._owner._mark(self)


class StoreFile(Protocol):
    """Where the sessions of one engine keep their stores; ``flush`` makes writes durable."""

    def session(self, session_id: str, now: datetime | None = None) -> SessionStore: ...

    def flush(self) -> None: ...

    def prepare_flush(self) -> Callable[[], None] | None:
        """Snapshot pending writes; the callable makes them durable (None: nothing to do)."""
        ...

    def close(self) -> None: ...


class MemoryStoreFile:
    """:class:`StoreFile` of :class:`MemoryStore` objects (nothing survives a restart)."""

    def __init__(self) -> None:
        self._stores: dict[str, MemoryStore] = {}

    def session(self, session_id: str, now: datetime | None = None) -> MemoryStore:
        store = self._stores.get(session_id)
        if store is None:
            store = self._stores[session_id] = MemoryStore(now)
        return store

    def flush(self) -> None:
        return None

    def prepare_flush(self) -> Callable[[], None] | None:
        return None

    def close(self) -> None:
        return None
