"""The embedded server: Nagle off on every connection, a port in use fails loudly, clean close."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from audit.memory import MemoryAuditLog
from gateway.api.server import listening_socket, serve_app, start_rest
from gateway.app import build_gateway
from gateway.settings import Settings
from tests.api.conftest import POLICY


def test_accepted_connections_have_nagle_disabled() -> None:
    """Without TCP_NODELAY every keep-alive response waits ~40 ms for a delayed ACK."""

    async def scenario() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listening_socket("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        flag = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        return flag

    assert asyncio.run(scenario()) != 0


def test_a_port_in_use_fails_at_start() -> None:
    async def scenario() -> None:
        from fastapi import FastAPI

        first = await serve_app(FastAPI(), "127.0.0.1", 0)
        try:
            with pytest.raises(OSError):
                await serve_app(FastAPI(), "127.0.0.1", first.port)
        finally:
            await first.close()

    asyncio.run(scenario())


def test_start_rest_serves_the_gateway_and_closes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, policy_path=POLICY, fix_config=None, watch_policy=False)
    gateway = build_gateway(settings, audit=MemoryAuditLog())

    async def scenario() -> tuple[int, int]:
        rest = await start_rest(gateway, "127.0.0.1", 0)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{rest.port}") as client:
            ready = (await client.get("/readyz")).status_code
        await rest.close()
        with socket.socket() as probe:
            refused = probe.connect_ex(("127.0.0.1", rest.port))
        return ready, refused

    ready, refused = asyncio.run(scenario())
    gateway.close()
    assert ready == 200
    assert refused != 0  # nothing listens after close
