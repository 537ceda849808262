"""``create_app(gateway)``: the REST API over the one order pipeline.

The app holds no state of its own that the audit log does not: the client
order-id index and the pending four-eyes release requests are rebuilt from the
log when the app is created, and kept current by listening to the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from audit.api import AuditLog
from gateway.api import bodies, problems
from gateway.api.access import AccessDenied, record_denial
from gateway.api.config import ApiConfig
from gateway.api.context import ApiContext
from gateway.api.hot_path import GatewayApi
from gateway.api.idempotency import ClientOrderIndex, IndexReplay
from gateway.api.keys import TokenKeys, load_keys
from gateway.api.problems import ApiProblem, problem_body, problem_response
from gateway.api.releases import RELEASES_CARRIED, ReleaseBook
from gateway.api.routes import accounts, audit, health, kill_switch, orders, policies, reports
from gateway.api.tokens import TokenVerifier
from gateway.app import VERSION, Gateway
from gateway.metrics import GatewayMetrics
from gateway.secrets import SecretsUnavailable
from risk_controls.domain import Channel, NewOrder
from risk_controls.domain.clock import Clock
from risk_controls.entry import AmendResult, SubmitResult

log = logging.getLogger(__name__)

DESCRIPTION = """
Order entry, risk views, kill switch, policies and audit for the compliance gateway.
Every order goes through the same pipeline as FIX and strategy orders.

**Authentication**: `Authorization: Bearer <JWT>` (EdDSA; issuer, audience and expiry checked).
Roles: `trader` (orders and views for the accounts in its token), `risk_officer` (kill switch,
policy reload, re-enabling executions), `compliance` (audit, reports), `admin` (everything).
Every 401/403 is recorded in the audit log (`access.denied`).

**Submitting an order** answers `201` once it is accepted *and durable in the audit log*.
A pre-trade control's refusal is `422` with `type` `.../problems/order-denied` and the stable
denial `code` (e.g. `NOTIONAL_EXCEEDS_MAX_PER_ORDER`), its `control`, `context` values and the
`order_id` under which the denial was recorded: a client that only looks at the status code
never mistakes a denied order for a live one. `429` means throttled and `503` that the gateway
fails closed (audit store or policy unavailable): retry the *same* request later.
`409`: the `cl_ord_id` was already used on that account for a different order.

**Idempotency**: `cl_ord_id` is unique per account within a UTC day, and for as long as its
order works. Re-sending the same body with the same `cl_ord_id` that day returns the original
answer (`201` or `422`, header `Idempotent-Replayed: true`), never a second order, also after a
restart. Listing orders shows the day's; an account's open orders include earlier days' orders
that still work.

**Errors** are RFC 9457 problem details (`application/problem+json`).
Money and quantities are decimal strings, never JSON numbers.
"""


class _ApiObserver:
    """Keeps the client-order index current for orders from every entry point, and puts
    the pending release requests on record again when a day opens (a restart reads the
    log from there)."""

    def __init__(self, index: ClientOrderIndex, releases: ReleaseBook, audit: AuditLog, clock: Clock) -> None:
        self._index = index
        self._releases = releases
        self._audit = audit
        self._clock = clock

    def order_decided(self, order: NewOrder, result: SubmitResult, chain_seconds: float) -> None:
        self._index.record(order, result, self._clock.now())

    def amend_decided(self, kind: str, channel: Channel, result: AmendResult) -> None:
        return None  # the index keys orders by their first client order id only

    def order_refused(self, channel: Channel, result: SubmitResult) -> None:
        return None  # only FIX refuses at entry; REST answers a bad request with a problem

    def day_opened(self, held: Collection[str]) -> None:
        self._index.close_day(held)
        carried = self._releases.carried()
        if carried is not None:  # not waited on: should it not land, officers ask again
            self._audit.append(RELEASES_CARRIED, carried)


def create_app(
    gateway: Gateway, *, config: ApiConfig | None = None, keys: TokenKeys | None = None
) -> FastAPI:
    config = config or ApiConfig.for_data_dir(gateway.settings.data_dir)
    keys = keys or load_keys(config)
    verifier = TokenVerifier(
        keys.public, issuer=config.issuer, audience=config.audience, cache_size=config.token_cache_size
    )
    index, releases = _rebuild(gateway)
    metrics = GatewayMetrics(gateway)
    gateway.pipeline.observers.append(metrics)
    gateway.pipeline.observers.append(_ApiObserver(index, releases, gateway.audit, gateway.pipeline.clock))
    app = GatewayApi(
        title="Compliance gateway API",
        version=f"1 (gateway {VERSION})",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
    )
    app.state.api = ctx = ApiContext(gateway, config, verifier, index, releases, metrics)
    for module in (orders, accounts, kill_switch, policies, audit, reports, health):
        app.include_router(module.router)
    _install_handlers(app)
    app.serve_submissions(orders.submit, ctx)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _rebuild(gateway: Gateway) -> tuple[ClientOrderIndex, ReleaseBook]:
    """One pass over the log for both the client-order index and the pending releases,
    from where the pipeline's replay started (the current day's opening)."""
    replay = IndexReplay()
    releases = ReleaseBook()
    for record in gateway.audit.read(gateway.replayed.first_seq):
        replay.apply(record)
        releases.apply(record)
    state = gateway.pipeline.state
    replay.index.adopt_carried(state.orders, state.cl_ord_ids)
    return replay.index, releases


def _install_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        if isinstance(exc, AccessDenied):
            await record_denial(request.app.state.api, request, exc)
        return problem_response(exc.body(request.url.path), exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "field": ".".join(str(part) for part in error.get("loc", ())),
                "message": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
            for error in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "invalid request"
        return problem_response(
            problem_body(problems.VALIDATION, detail, instance=request.url.path, errors=errors)
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 400:  # a body that is not JSON at all: a validation error like any other
            body = problem_body(
                problems.VALIDATION,
                f"body: {exc.detail}",
                instance=request.url.path,
                errors=[{"field": "body", "message": str(exc.detail), "type": "json_invalid"}],
            )
            return problem_response(body)
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
        kind = {404: problems.NOT_FOUND, 405: problems.METHOD_NOT_ALLOWED, 413: problems.BODY_TOO_LARGE}.get(
            exc.status_code, (f"http-{exc.status_code}", exc.status_code, "HTTP error")
        )
        body = problem_body(kind, str(exc.detail), status=exc.status_code, instance=request.url.path)
        return problem_response(body, headers)

    async def on_secrets_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("secrets provider unavailable on %s %s: %s", request.method, request.url.path, exc)
        body = problem_body(problems.UNAVAILABLE, str(exc), instance=request.url.path)
        return problem_response(body, {"Retry-After": "5"})

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(problem_body(problems.INTERNAL, "internal error", instance=request.url.path))

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(SecretsUnavailable, on_secrets_down)
    app.add_exception_handler(Exception, on_error)


def _allowed_methods(request: Request) -> set[str]:
    """Every method any route offers on this path (Starlette names only the first route's)."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed |= set(getattr(route, "methods", None) or ())
    return allowed


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with every error answer documented as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in bodies.MODELS.items():  # bodies the hot-path routes parse themselves
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(def_name, definition)
        components.setdefault(name, model_schema)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if "requestBody" in operation:  # every body is limited (gateway/api/body_limits.py)
                operation.setdefault("responses", {}).setdefault(
                    "413", {"description": "The request body is larger than the API accepts"}
                )
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                content = response.setdefault("content", {})
                body = content.pop("application/json", None) or {
                    "schema": {"$ref": "#/components/schemas/Problem"}
                }
                ref = body.get("schema", {}).get("$ref", "")
                if ref.endswith("/HTTPValidationError"):
                    body["schema"] = {"$ref": "#/components/schemas/ValidationProblem"}
                content[problems.MEDIA_TYPE] = body
    app.openapi_schema = schema
    return schema
