"""The FIX acceptor: an asyncio TCP server routing each connection to its session.

A connection is anonymous until its first complete message: a Logon whose
CompIDs name a configured session. Anything else is closed without a reply.
A second connection for a session that is already connected is closed
without a word and without touching the live session's sequence numbers
("duplicate logon refused"). Everything after that is the session's job.
With TLS, the connection runs its own handshake first; a refused handshake
(no or revoked certificate, not TLS at all) is journalled with its reason,
as every refused connection is.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable
from typing import Any, cast

from fix.application import Application
from fix.codec import FixParser
from fix.config import FixConfig, SessionSettings
from fix.engine import Engine
from fix.errors import GarbledMessage
from fix.ids import SessionID
from fix.journal import Direction, Journal, WireRecord, null_journal
from fix.session import Authenticator, Session
from fix.store import StoreFile
from fix.tags import BEGIN_STRING, SENDER_COMP_ID, TARGET_COMP_ID
from fix.tls import RevocationList, peer_subject, server_context
from risk_controls.domain.clock import Clock

log = logging.getLogger(__name__)

UNIDENTIFIED_TIMEOUT = 10.0


class FixAcceptor(Engine):
    """Listens on one address for every acceptor session of a gateway."""

    def __init__(
        self,
        sessions: Iterable[SessionSettings],
        application: Application,
        *,
        authenticator: Authenticator,
        host: str = "127.0.0.1",
        port: int = 0,
        store: StoreFile | None = None,
        journal: Journal = null_journal,
        clock: Clock | None = None,
        tls: ssl.SSLContext | None = None,
        revocation: RevocationList | None = None,
    ) -> None:
        """``revocation``: the CRL loaded into ``tls``, re-read when it changes."""
        super().__init__(
            sessions,
            application,
            store=store,
            authenticator=authenticator,
            journal=journal,
            clock=clock,
        )
        self.host = host
        self.port = port
        self._journal = journal
        self._tls = tls
        self._revocation = revocation
        self._server: asyncio.Server | None = None
        self._pending: dict[_Connection, float] = {}
        self.refused_connections = 0

    @classmethod
    def from_config(
        cls,
        config: FixConfig,
        application: Application,
        *,
        authenticator: Authenticator,
        store: StoreFile | None = None,
        journal: Journal = null_journal,
        clock: Clock | None = None,
    ) -> FixAcceptor:
        """Every acceptor session of ``config`` on its SocketAcceptHost/Port (TLS when it says so)."""
        tls = server_context(config.accept_tls) if config.accept_tls else None
        crl = config.accept_tls.revocation_list if config.accept_tls else None
        return cls(
            config.acceptor_sessions(),
            application,
            authenticator=authenticator,
            host=config.accept_host or "127.0.0.1",
            port=config.accept_port or 0,
            store=store,
            journal=journal,
            clock=clock,
            tls=tls,
            revocation=RevocationList(tls, crl) if tls is not None and crl is not None else None,
        )

    async def start(self) -> None:
        """Bind and listen; ``self.port`` is the bound port afterwards."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._connection, self.host, self.port)
        # untyped on purpose: asyncio's server returns its sockets as a tuple, uvloop's as a
        # list, and the compiled module would check for the tuple
        listening: Any = self._server
        self.port = listening.sockets[0].getsockname()[1]
        self._start_ticker()
        log.info("FIX acceptor listening on %s:%d%s", self.host, self.port, " (TLS)" if self._tls else "")

    async def stop(self, timeout: float = 2.0) -> None:
        """Log every session out (waiting up to ``timeout``), then close everything."""
        if self._server is not None:
            self._server.close()
        await self._logout_all("gateway shutting down", timeout)
        for connection in list(self._pending):
            connection.close()
        await self._stop_ticker()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self.store.flush()

    # ------------------------------------------------------------------ connections

    def _connection(self) -> _Connection:
        """A new TCP connection, before its TLS handshake: bring the revocation list up to date.

        The connection does its own handshake (``start_tls``) so that a refused one is
        journalled like any other refused connection."""
        if self._revocation is not None:
            self._revocation.refresh()
        return _Connection(self)

    def _identify(self, connection: _Connection, first: bytes) -> Session | None:
        parser = FixParser()
        parser.feed(first)
        try:
            message = parser.next_message()
        except GarbledMessage as exc:
            self._refuse(connection, f"garbled first message: {exc}", exc.raw)
            return None
        if message is None:
            return None
        sid = SessionID(
            (message.get(BEGIN_STRING) or b"").decode("ascii", "replace"),
            (message.get(TARGET_COMP_ID) or b"").decode("ascii", "replace"),
            (message.get(SENDER_COMP_ID) or b"").decode("ascii", "replace"),
        )
        session = self._sessions.get(sid)
        if session is None:
            self._refuse(connection, f"no session {sid}", message.raw or b"")
            return None
        if session.connected:
            self._refuse(connection, f"duplicate logon for {sid}: already connected", message.raw or b"")
            return None
        return session

    def _refuse(self, connection: _Connection, reason: str, raw: bytes) -> None:
        self.refused_connections += 1
        log.warning("FIX connection from %s refused: %s", connection.peer, reason)
        self._journal(WireRecord(f"unidentified:{connection.peer}", Direction.GARBLED, raw, note=reason))
        connection.close()

    def _tick_extra(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for connection, since in list(self._pending.items()):
            if now - since > UNIDENTIFIED_TIMEOUT:
                self._refuse(connection, "no Logon received", b"")


class _Connection(asyncio.Protocol):
    """One TCP connection: anonymous until a Logon binds it to a session."""

    def __init__(self, acceptor: FixAcceptor) -> None:
        self.acceptor = acceptor
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self.peer: str | None = None
        self._buffer = bytearray()
        self._handshake: asyncio.Task[None] | None = None
        self._raw: asyncio.Transport | None = None
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport; duck-typed, as uvloop's are not asyncio.Transport subclasses
        transport = cast(asyncio.Transport, transport)
        self.transport = self._raw = transport
        peername = transport.get_extra_info("peername")
        self.peer = peername[0] if peername else None
        loop = asyncio.get_running_loop()
        self.acceptor._pending[self] = loop.time()
        context = self.acceptor._tls
        if context is not None:
            transport.pause_reading()  # not a byte is read as FIX before the handshake
            self._handshake = loop.create_task(self._secure(transport, context))

    async def _secure(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        """The TLS handshake, done here rather than by the server so that a refused
        one (no certificate, revoked, another CA, not TLS at all) is journalled."""
        loop = asyncio.get_running_loop()
        try:
            secured = await loop.start_tls(
                raw, self, context, server_side=True, ssl_handshake_timeout=UNIDENTIFIED_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            if not self._closed:  # not already refused (no Logon in time) or stopped
                self.acceptor._refuse(self, f"TLS handshake failed: {_handshake_reason(exc)}", b"")
            return
        if secured is None or self._closed:
            return  # refused or stopped while the handshake ran
        self.transport = secured
        subject = peer_subject(secured.get_extra_info("ssl_object"))
        if subject is not None:
            log.info("FIX connection from %s with client certificate %s", self.peer, subject)
        if self._buffer:
            self._identify_buffered()

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.data_received(data)
            return
        if self.transport is None or self.transport.is_closing():
            return
        self._buffer += data
        if self._handshake is not None and self.transport is self._raw:
            return  # bytes that came with the handshake's last flight: kept until it completes
        self._identify_buffered()

    def _identify_buffered(self) -> None:
        assert self.transport is not None
        session = self.acceptor._identify(self, bytes(self._buffer))
        if session is None:
            if len(self._buffer) > 65536:
                self.acceptor._refuse(self, "no complete Logon in 64 KiB", b"")
            return
        self.acceptor._pending.pop(self, None)
        self.session = session
        self.acceptor._attach(session, self.transport, self.peer)
        buffered, self._buffer = bytes(self._buffer), bytearray()
        session.data_received(buffered)

    def connection_lost(self, exc: Exception | None) -> None:
        self.acceptor._pending.pop(self, None)
        if self.session is not None and self.transport is not None:
            self.acceptor._detach(self.session, self.transport)
            self.acceptor._mark(self.session)

    def close(self) -> None:
        self._closed = True
        self.acceptor._pending.pop(self, None)
        if self.transport is not None:
            self.transport.close()


def _handshake_reason(exc: BaseException) -> str:
    """What went wrong, in the words a support desk can act on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or "client certificate not verified"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, TimeoutError):
        return "no handshake in time"
    return str(exc) or type(exc).__name__
