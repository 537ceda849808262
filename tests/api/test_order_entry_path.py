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
from gateway.api.body_limits import MAX_ORDER_BODY, MAX_REQUEST_BODY
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


def test_the_first_of_two_authorization_headers_is_the_one_checked(live: LiveApi) -> None:
    good = f"Bearer {live.token('jsmith', 'trader', accounts=APPLE)}"
    with httpx.Client(base_url=live.base_url) as client:
        first_good = client.post(
            "/v1/orders",
            json=order_body("two-1"),
            headers=[("authorization", good), ("authorization", "Bearer forged")],
        )
        first_forged = client.post(
            "/v1/orders",
            json=order_body("two-2"),
            headers=[("authorization", "Bearer forged"), ("authorization", good)],
        )
    assert first_good.status_code == 201, first_good.text
    assert first_forged.status_code == 401


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


def test_an_oversized_order_sent_in_chunks_is_refused_once_it_passes_the_limit(live: LiveApi) -> None:
    def pieces() -> Iterator[bytes]:  # no Content-Length: the size shows only as it arrives
        yield b'{"cl_ord_id":"huge-2","text":"'
        for _ in range(MAX_ORDER_BODY // 4096 + 1):
            yield b"x" * 4096
        yield b'"}'

    with trader(live) as client:
        response = client.post("/v1/orders", content=pieces(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"].endswith("/body-too-large")
    assert live.records(ev.ORDER_RECEIVED) == []


def test_any_other_request_with_a_body_past_the_general_limit_is_a_413(live: LiveApi) -> None:
    """Declared or chunked, unauthenticated or not: the body is refused, not buffered."""
    declared = {"content": "x" * (MAX_REQUEST_BODY + 1), "filename": "big.toml"}

    def chunked() -> Iterator[bytes]:
        yield b'{"content":"'
        for _ in range(MAX_REQUEST_BODY // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    with live.client("ro", "risk_officer") as officer, live.client() as anonymous:
        by_length = officer.post("/v1/policies/dry-run", json=declared)
        by_chunks = officer.post(
            "/v1/policies/dry-run", content=chunked(), headers={"content-type": "application/json"}
        )
        anonymous_upload = anonymous.post("/v1/kill-switch/engage", json=declared)
        fine = officer.post("/v1/policies/dry-run", json={"content": 'version = "x"\n'})
    for response in (by_length, by_chunks, anonymous_upload):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/body-too-large")
    assert fine.status_code == 200, fine.text


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


def test_the_openapi_documents_every_answer_of_the_path_and_a_413_wherever_a_body_goes(
    live: LiveApi,
) -> None:
    with httpx.Client(base_url=live.base_url) as client:
        schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/v1/orders"]["post"]["responses"]
    assert {"201", "401", "403", "409", "413", "422", "429", "503"} <= set(responses)
    with_bodies = [op for path in schema["paths"].values() for op in path.values() if "requestBody" in op]
    assert len(with_bodies) >= 5
    assert all("application/problem+json" in op["responses"]["413"]["content"] for op in with_bodies)


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
