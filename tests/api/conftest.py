"""A real gateway served over real HTTP on 127.0.0.1, for the REST API tests.

The server (uvicorn, httptools) runs in its own event loop on a background
thread, exactly as ``gateway serve`` runs it; tests talk to it with httpx
over loopback and reach into the gateway only through that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from audit.api import AuditLog
from audit.memory import MemoryAuditLog
from gateway.api.app import create_app
from gateway.api.config import ApiConfig
from gateway.api.keys import TokenKeys, load_keys
from gateway.api.server import RestServer, serve_app
from gateway.api.tokens import Role, issue_token
from gateway.app import Gateway, build_gateway
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "default.toml"
T = TypeVar("T")


@dataclass
class LiveApi:
    gateway: Gateway
    base_url: str
    loop: asyncio.AbstractEventLoop
    keys: TokenKeys
    config: ApiConfig
    app: Any

    def token(self, subject: str, *roles: Role | str, accounts: tuple[str, ...] = (), ttl: int = 600) -> str:
        assert self.keys.private is not None
        return issue_token(
            self.keys.private,
            subject=subject,
            roles=roles,
            accounts=accounts,
            issuer=self.config.issuer,
            audience=self.config.audience,
            ttl_seconds=ttl,
        )

    def client(
        self, subject: str | None = None, *roles: Role | str, accounts: tuple[str, ...] = ()
    ) -> httpx.Client:
        headers = {}
        if subject is not None:
            headers["Authorization"] = f"Bearer {self.token(subject, *roles, accounts=accounts)}"
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (the only thread that may touch the gateway)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def call(self, fn: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def records(self, event_type: str) -> list[dict[str, Any]]:
        self.gateway.audit.flush(5)
        return [dict(r.payload) for r in self.gateway.audit.read() if r.event_type == event_type]


@contextmanager
def live_api(
    data_dir: Path,
    *,
    audit: AuditLog | None = None,
    policy: Path = POLICY,
    keys: TokenKeys | None = None,
    middleware: Sequence[Any] = (),
) -> Iterator[LiveApi]:
    settings = Settings(data_dir=data_dir, policy_path=policy, fix_config=None, watch_policy=False)
    gateway = build_gateway(settings, audit=audit)
    config = ApiConfig.for_data_dir(data_dir)
    keys = keys or load_keys(config)
    loop = asyncio.new_event_loop()
    started: Future[RestServer] = Future()
    thread = threading.Thread(target=loop.run_forever, name="api-test-loop", daemon=True)
    thread.start()
    app = create_app(gateway, config=config, keys=keys)
    for layer in middleware:
        app.add_middleware(layer)

    async def start() -> RestServer:
        return await serve_app(app, "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    started.set_result(server)
    try:
        yield LiveApi(gateway, f"http://127.0.0.1:{server.port}", loop, keys, config, app)
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
        gateway.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApi]:
    with live_api(tmp_path, audit=MemoryAuditLog()) as api:
        yield api


def policy_variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """The sample policy with exact text replacements (each must apply), written under tmp_path."""
    text = POLICY.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def order_body(cl_ord_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cl_ord_id": cl_ord_id,
        "account": "ACC-APPLE-TSY",
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": "100",
        "ord_type": "LIMIT",
        "tif": "DAY",
        "limit_price": "228.00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
