"""The FIX initiator: connects out, logs on, reconnects after ReconnectInterval."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Iterable
from typing import cast

from fix.application import Application
from fix.config import SessionSettings
from fix.engine import Engine
from fix.ids import SessionID
from fix.journal import Journal, null_journal
from fix.session import Session
from fix.store import StoreFile
from fix.tls import client_context
from risk_controls.domain.clock import Clock

log = logging.getLogger(__name__)


class FixInitiator(Engine):
    """One outbound connection per configured initiator session."""

    def __init__(
        self,
        sessions: Iterable[SessionSettings],
        application: Application,
        *,
        store: StoreFile | None = None,
        journal: Journal = null_journal,
        clock: Clock | None = None,
        passwords: dict[SessionID, str] | None = None,
    ) -> None:
        super().__init__(
            sessions, application, store=store, journal=journal, clock=clock, passwords=passwords
        )
        for session in self._sessions.values():
            if not session.settings.connect_host or not session.settings.connect_port:
                raise ValueError(f"{session.id_text}: SocketConnectHost/Port are required")
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False

    async def start(self) -> None:
        self._running = True
        self._start_ticker()
        loop = asyncio.get_running_loop()
        for session in self._sessions.values():
            self._tasks.append(loop.create_task(self._run(session)))

    async def stop(self, timeout: float = 2.0) -> None:
        self._running = False
        await self._logout_all("initiator stopping", timeout)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._stop_ticker()
        self.store.flush()

    async def wait_logged_on(self, session_id: SessionID, timeout: float = 10.0) -> None:
        """Wait until the session is logged on (raises TimeoutError)."""
        async with asyncio.timeout(timeout):
            while not self.is_logged_on(session_id):
                await asyncio.sleep(0.01)

    async def _run(self, session: Session) -> None:
        settings = session.settings
        host, port = settings.connect_host or "", settings.connect_port or 0
        tls = client_context(settings.tls) if settings.tls else None
        loop = asyncio.get_running_loop()
        while self._running:
            if settings.schedule.is_active(self.clock.now()):
                closed: asyncio.Future[None] = loop.create_future()
                try:
                    await loop.create_connection(
                        functools.partial(_Outbound, self, session, closed),
                        host,
                        port,
                        ssl=tls,
                        server_hostname=host if tls else None,
                    )
                    await closed
                except OSError as exc:  # ssl.SSLError too: a server that fails verification
                    log.warning("%s: connect failed: %s", session.id_text, exc)
            if self._running:
                await asyncio.sleep(settings.reconnect_interval)


class _Outbound(asyncio.Protocol):
    def __init__(self, engine: FixInitiator, session: Session, closed: asyncio.Future[None]) -> None:
        self.engine = engine
        self.session = session
        self.closed = closed
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport; duck-typed, as uvloop's are not asyncio.Transport subclasses
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.engine._attach(self.session, transport, peer[0] if peer else None)

    def data_received(self, data: bytes) -> None:
        self.session.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.engine._detach(self.session, self.transport)
        if not self.closed.done():
            self.closed.set_result(None)
