"""POST /v1/orders is served by GatewayApi itself, off FastAPI's middleware and routing.

These tests pin what a client relies on from that path over real HTTP: the
answers and audit records are those of every other route (problem details,
``access.denied`` records), bodies arrive whole however they are framed, an
oversized body is refused unread, and an unexpected error is a 500 problem
that leaves the server serving.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from audit.memory import MemoryAuditLog
from gateway.api import bodies
from gateway.api.hot_path import MAX_ORDER_BODY
from risk_controls import events as ev
from tests.api.conftest import LiveApi, live_api, order_body

APPLE = ("ACC-APPLE-TSY",)


def trader(live: LiveApi) -> httpx.Client:
    return live.client("jsmith", "trader", accounts=APPLE)


def test_order_without_a_token_is_a_401_problem_recorded_with_method_and_path(live: LiveApi) -> None:
    with live.client() as anonymous:
        response = anonymous.post("/v1/orders", json=order_body("anon-1"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["instance"] == "/v1/orders"
    [denied] = live.records("access.denied")
    assert (denied["method"], denied["path"], denied["status"]) == ("POST", "/v1/orders", 401)
    assert live.records(ev.ORDER_RECEIVED) == []


def test_a_body_sent_in_chunks_is_read_whole(live: LiveApi) -> None:
    raw = json.dumps(order_body("chunked-1")).encode()

    def pieces() -> Iterator[bytes]:
        for at in range(0, len(raw), 7):
            yield raw[at : at + 7]

    with trader(live) as client:
        response = client.post("/v1/orders", content=pieces(), headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["cl_ord_id"] == "chunked-1"
    assert len(live.records(ev.ORDER_ACCEPTED)) == 1


def test_an_oversized_body_is_a_413_problem_and_never_reaches_the_pipeline(live: LiveApi) -> None:
    padded = {**order_body("huge-1"), "text": "x" * MAX_ORDER_BODY}
    with trader(live) as client:
        response = client.post("/v1/orders", json=padded)
        after = client.post("/v1/orders", json=order_body("after-huge"))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/body-too-large")
    assert after.status_code == 201  # the connection and server carry on
    assert [r["order"]["cl_ord_id"] for r in live.records(ev.ORDER_RECEIVED)] == ["after-huge"]


def test_a_body_that_is_not_json_is_a_422_problem(live: LiveApi) -> None:
    with trader(live) as client:
        response = client.post("/v1/orders", content=b"{not", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
    assert response.json()["errors"][0]["field"].startswith("body")


def test_an_unexpected_error_is_a_500_problem_and_the_server_keeps_serving(
    live: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    parse = bodies.parse

    def broken(model: type, raw: bytes) -> object:
        if b"boom" in raw:
            raise RuntimeError("a bug")
        return parse(model, raw)

    monkeypatch.setattr(bodies, "parse", broken)
    with trader(live) as client:
        failed = client.post("/v1/orders", json=order_body("boom-1"))
        after = client.post("/v1/orders", json=order_body("fine-1"))
    assert failed.status_code == 500
    assert failed.json()["type"].endswith("/internal-error")
    assert "a bug" not in failed.text  # internals stay in the server log
    assert after.status_code == 201


def test_the_openapi_operation_documents_every_answer_of_the_path(live: LiveApi) -> None:
    with httpx.Client(base_url=live.base_url) as client:
        schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/v1/orders"]["post"]["responses"]
    assert {"201", "401", "403", "409", "413", "422", "429", "503"} <= set(responses)


def test_middleware_added_to_the_app_sees_order_submissions_too(tmp_path: Path) -> None:
    seen: list[str] = []

    class Spy:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(f"{scope['method']} {scope['path']}")
            await self.app(scope, receive, send)

    with live_api(tmp_path, audit=MemoryAuditLog(), middleware=[Spy]) as live, trader(live) as client:
        response = client.post("/v1/orders", json=order_body("mw-1"))
    assert response.status_code == 201
    assert seen == ["POST /v1/orders"]
