"""Serve the API with uvicorn inside the gateway's running event loop.

Same process and same loop as the pipeline and the FIX acceptor, so a REST
order and a FIX order see the same risk state with no locking. uvicorn's own
signal handling is switched off: the gateway owns SIGINT/SIGTERM and closes
the API through the closer returned here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from gateway.api.access import record_suppressed
from gateway.api.app import create_app
from gateway.api.context import ApiContext
from gateway.app import Gateway

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the gateway's own handlers stay in place


SWEEP_SECONDS = 1.0
"""How often the counts of quiet floods of refused requests are written (see denials.py)."""


class RestServer:
    """A running API server: ``port`` is the bound port; ``close()`` stops it gracefully."""

    def __init__(
        self, server: uvicorn.Server, task: asyncio.Task[None], sock: socket.socket, app: FastAPI
    ) -> None:
        self._server = server
        self._task = task
        self.port: int = sock.getsockname()[1]
        self._context: ApiContext | None = getattr(app.state, "api", None)
        self._sweeper = asyncio.create_task(self._sweep()) if self._context is not None else None

    async def _sweep(self) -> None:
        assert self._context is not None
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            await record_suppressed(self._context)

    async def close(self) -> None:
        if self._sweeper is not None and self._context is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            await record_suppressed(self._context, everything=True)
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
        except TimeoutError:
            self._server.force_exit = True
            await self._task


def uvicorn_config(app: FastAPI, *, access_log: bool = False) -> uvicorn.Config:
    """The server settings the gateway and the benchmark share: httptools, no access log."""
    return uvicorn.Config(
        app,
        http="httptools",
        lifespan="off",
        access_log=access_log,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A TCP listening socket whose ``proto`` is IPPROTO_TCP.

    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections from
    sockets whose proto is IPPROTO_TCP; ``socket.create_server`` leaves it 0,
    and every keep-alive response then waits ~40 ms for a delayed ACK.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_app(app: FastAPI, host: str, port: int, *, access_log: bool = False) -> RestServer:
    """Bind first (so a port in use fails here, loudly), then serve in a task on this loop."""
    sock = listening_socket(host, port)
    server = _EmbeddedServer(uvicorn_config(app, access_log=access_log))
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"rest-api:{port}")
    while not server.started:
        if task.done():
            task.result()  # surfaces a start-up failure
            raise RuntimeError("the REST server stopped during start-up")
        await asyncio.sleep(0.01)
    return RestServer(server, task, sock, app)


async def start_rest(gateway: Gateway, host: str, port: int) -> RestServer:
    """Called by ``gateway serve``: the API on ``host:port`` over ``gateway``."""
    app = create_app(gateway)
    rest = await serve_app(app, host, port, access_log=app.state.api.config.access_log)
    log.info("REST API on http://%s:%d/v1 (OpenAPI at /openapi.json)", host, rest.port)
    print(f"REST API on http://{host}:{rest.port}/docs", flush=True)
    return rest
