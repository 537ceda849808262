"""What the acceptor and the initiator share: sessions, timers and group-committed writes.

Every byte a session produces waits until the engine's flush, scheduled once
per event-loop turn: it snapshots the store's pending writes (sequence
numbers and sent messages of every session) together with the bytes they
cover, commits the snapshot in a worker thread (one SQLite transaction, one
fsync), and only then writes the bytes and closes the transports whose
session asked to disconnect. Nothing is sent under a sequence number a crash
could hand out again; the event loop keeps reading and processing while the
disk works, and whatever accumulates meanwhile shares the next fsync.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fix.application import Application
from fix.config import SessionSettings
from fix.ids import SessionID
from fix.journal import Journal, null_journal
from fix.message import Field
from fix.session import Authenticator, Session, deny_all
from fix.store import MemoryStoreFile, StoreFile
from fix.tls import peer_common_name
from risk_controls.domain.clock import Clock, SystemClock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """One configured session as an operator watches it: is it up, should it be (inside its
    schedule), and where are its sequence numbers (a counterparty's support desk asks)."""

    session: str
    role: str
    logged_on: bool
    next_sender_seq: int
    next_target_seq: int
    in_schedule: bool


class Engine:
    """Owns the sessions of one acceptor or initiator and drives their I/O."""

    def __init__(
        self,
        sessions: Iterable[SessionSettings],
        application: Application,
        *,
        store: StoreFile | None = None,
        authenticator: Authenticator = deny_all,
        journal: Journal = null_journal,
        clock: Clock | None = None,
        passwords: dict[SessionID, str] | None = None,
    ) -> None:
        self.application = application
        self.store = store or MemoryStoreFile()
        self.clock = clock or SystemClock()
        self._sessions: dict[SessionID, Session] = {}
        self._transports: dict[SessionID, asyncio.Transport] = {}
        self._dirty: set[Session] = set()
        self._flush_handle: asyncio.Handle | None = None
        self._committing = False
        self._closed = False
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fix-store")
        self._ticker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        now = self.clock.now()
        for settings in sessions:
            sid = settings.session_id
            if sid in self._sessions:
                raise ValueError(f"session {sid} configured twice")
            session = Session(
                settings,
                self.store.session(str(sid), now),
                application,
                clock=self.clock,
                authenticator=authenticator,
                journal=journal,
                password=(passwords or {}).get(sid),
            )
            session.on_output = self._marker(session)
            self._sessions[sid] = session

    # ------------------------------------------------------------------ Sender

    def send(self, session_id: SessionID, msg_type: bytes, body: Iterable[Field]) -> bool:
        """Send an application message (stored and numbered even while disconnected)."""
        session = self._sessions.get(session_id)
        if session is None:
            return False
        session.send(msg_type, body)
        return True

    def is_logged_on(self, session_id: SessionID) -> bool:
        session = self._sessions.get(session_id)
        return session is not None and session.logged_on

    def session(self, session_id: SessionID) -> Session | None:
        return self._sessions.get(session_id)

    @property
    def sessions(self) -> dict[SessionID, Session]:
        return dict(self._sessions)

    def status(self) -> list[SessionStatus]:
        """Every configured session, logged on or not (read at scrape time, off the order path)."""
        now = self.clock.now()
        return [
            SessionStatus(
                session.id_text,
                session.settings.connection_type.value,
                session.logged_on,
                session.store.next_sender_seq,
                session.store.next_target_seq,
                session.settings.schedule.is_active(now),
            )
            for session in self._sessions.values()
        ]

    def logout(self, session_id: SessionID, text: str | None = None) -> None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.logout(text)

    # ------------------------------------------------------------------ plumbing

    def _marker(self, session: Session) -> _Mark:
        return _Mark(self, session)

    def _mark(self, session: Session) -> None:
        self._dirty.add(session)
        if self._flush_handle is None and not self._committing and self._loop is not None:
            self._flush_handle = self._loop.call_soon(self._flush_async)

    def _snapshot(self) -> list[_Output]:
        dirty, self._dirty = self._dirty, set()
        outputs = []
        for session in dirty:
            transport = self._transports.get(session.session_id)
            outputs.append(_Output(session, transport, session.take_output(), session.disconnect_reason))
        return outputs

    def _flush_async(self) -> None:
        """Snapshot now, commit in the worker thread, write when durable."""
        self._flush_handle = None
        if self._committing or not self._dirty:
            return
        if self._closed:  # stopped: keep what sessions produce durable, there is no one to send to
            self.flush()
            return
        outputs = self._snapshot()
        try:
            commit = self.store.prepare_flush()
        except Exception:
            log.exception("FIX store snapshot failed")
            self._store_failed(outputs)
            return
        if commit is None:
            self._deliver(outputs)
            return
        assert self._loop is not None
        self._committing = True
        future = self._loop.run_in_executor(self._committer, commit)
        future.add_done_callback(lambda done: self._committed(done, outputs))

    def _committed(self, done: asyncio.Future[None], outputs: list[_Output]) -> None:
        self._committing = False
        if done.cancelled() or done.exception() is not None:
            log.error(
                "FIX store commit failed: %s", done.exception() if not done.cancelled() else "cancelled"
            )
            self._store_failed(outputs)
        else:
            self._deliver(outputs)
        if self._dirty and self._flush_handle is None and self._loop is not None:
            self._flush_handle = self._loop.call_soon(self._flush_async)

    def flush(self) -> None:
        """Synchronous flush (start-up and shutdown): durable store, then the bytes."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        outputs = self._snapshot()
        try:
            self.store.flush()
        except Exception:
            log.exception("FIX store flush failed")
            self._store_failed(outputs)
            return
        self._deliver(outputs)

    def _deliver(self, outputs: list[_Output]) -> None:
        for out in outputs:
            transport = out.transport
            if transport is None or transport.is_closing():
                continue
            if out.data:
                transport.write(out.data)
            if out.disconnect_reason is not None:
                self._close(out.session, out.disconnect_reason, transport)

    def _store_failed(self, outputs: list[_Output]) -> None:
        """Fail closed: nothing is sent under numbers that are not durable; sessions drop."""
        for out in outputs:
            if out.transport is not None:
                self._close(out.session, "sequence store unavailable", out.transport)

    def _attach(self, session: Session, transport: asyncio.Transport, peer: str | None) -> None:
        self._transports[session.session_id] = transport
        session.connection_made(peer, peer_common_name(transport.get_extra_info("ssl_object")))
        self._mark(session)

    def _detach(self, session: Session, transport: asyncio.Transport) -> None:
        if self._transports.get(session.session_id) is transport:
            del self._transports[session.session_id]
            self._dirty.discard(session)
            session.connection_lost()

    def _close(self, session: Session, reason: str, transport: asyncio.Transport | None = None) -> None:
        transport = transport or self._transports.get(session.session_id)
        if transport is not None:
            log.info("%s: closing connection: %s", session.id_text, reason)
            transport.close()
            self._detach(session, transport)

    def _start_ticker(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._ticker is None:
            self._ticker = self._loop.create_task(self._tick_forever())

    async def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    def _tick_interval(self) -> float:
        intervals = [s.heartbeat_interval for s in self._sessions.values() if s.connected]
        return max(0.05, min([1.0, *(i / 4 for i in intervals)]))

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._tick_interval())
            self.tick()

    def tick(self) -> None:
        """Run every connected session's timers once."""
        for session in self._sessions.values():
            if session.connected:
                try:
                    session.tick()
                except Exception:
                    log.exception("%s: timer failed", session.id_text)
        self._tick_extra()

    def _tick_extra(self) -> None:
        """Hook for subclasses (the acceptor times out unidentified connections)."""
        return None

    async def _logout_all(self, text: str, timeout: float) -> None:
        while self._committing:
            await asyncio.sleep(0.005)
        for session in self._sessions.values():
            if session.logged_on:
                session.logout(text)
        self.flush()
        deadline = asyncio.get_running_loop().time() + timeout
        while self._transports and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        for session in list(self._sessions.values()):
            self._close(session, text)
        while self._committing:
            await asyncio.sleep(0.005)
        self._closed = True
        self.flush()
        self._committer.shutdown(wait=True)


class _Output:
    """Bytes one session produced, bound to the transport they were produced for."""

    __slots__ = ("data", "disconnect_reason", "session", "transport")

    def __init__(
        self,
        session: Session,
        transport: asyncio.Transport | None,
        data: bytes,
        disconnect_reason: str | None,
    ) -> None:
        self.session = session
        self.transport = transport
        self.data = data
        self.disconnect_reason = disconnect_reason


class _Mark:
    """``session.on_output`` for one session (a callable object keeps mypy exact)."""

    __slots__ = ("_engine", "_session")

    def __init__(self, engine: Engine, session: Session) -> None:
        self._engine = engine
        self._session = session

    def __call__(self) -> None:
        self._engine._mark(self._session)
