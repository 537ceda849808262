"""/v1/orders: submit, list, get, cancel, replace.

Acceptance is answered only after the pipeline returned it, i.e. after the
acceptance record is durable in the audit log. Answers:

- 201 Created: the order was accepted (body: the order; ``Location`` header);
- 422 ``order-denied``: a pre-trade control refused it (body: denial code,
  control, values, and the order id under which the denial was recorded);
- 409: the client order id was already used on the account for other content;
- 429 / 503: throttled / failing closed: retry the same request later.

A retry with the same ``cl_ord_id`` and the same content returns the original
answer (201 or 422, header ``Idempotent-Replayed: true``), never a second order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from gateway.api import bodies, problems, views
from gateway.api.access import Caller, authenticate_header, ensure_may_trade, ensure_may_view
from gateway.api.context import ApiContext, context
from gateway.api.idempotency import Amendment, Key, Submission, amendment_fingerprint
from gateway.api.outcomes import denial_problem
from gateway.api.problems import ApiProblem
from gateway.api.responses import OrderResponse
from gateway.api.routes import DeniedProblem, problem_responses
from gateway.api.schemas.common import ID_PATTERN
from gateway.api.schemas.orders import DENIED, CancelIn, OrderIn, OrderOut, OrderPage, OrderState, ReplaceIn
from gateway.api.tokens import Principal, Role
from risk_controls.domain import (
    NO_OVERRIDES,
    CancelRequest,
    Channel,
    DenyCode,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    ReplaceRequest,
    Side,
    TimeInForce,
    WorkingOrder,
)

REST_SESSION = "rest"
REPLAYED = {"Idempotent-Replayed": "true"}

router = APIRouter(prefix="/v1/orders", tags=["orders"])
OrderId = Annotated[str, Path(pattern=r"^[0-9]{8}-[0-9]{1,12}$", examples=["20261123-00000001"])]


_ORIGINS: dict[tuple[str, str | None], OrderOrigin] = {}


def origin_of(principal: Principal, strategy: str | None = None) -> OrderOrigin:
    key = (principal.subject, strategy)
    origin = _ORIGINS.get(key)
    if origin is None:
        if len(_ORIGINS) > 10_000:
            _ORIGINS.clear()
        origin = _ORIGINS[key] = OrderOrigin(Channel.REST, REST_SESSION, principal.subject, strategy)
    return origin


def to_new_order(body: OrderIn, principal: Principal) -> NewOrder:
    m = body.mifid
    return NewOrder(
        cl_ord_id=body.cl_ord_id,
        account=body.account,
        symbol=body.symbol,
        side=body.side,
        quantity=Decimal(body.quantity),
        ord_type=body.ord_type,
        tif=body.tif,
        origin=origin_of(principal, body.strategy),
        limit_price=_dec(body.limit_price),
        stop_price=_dec(body.stop_price),
        expire_at=body.expire_at,
        locate_id=body.locate_id,
        venue=body.venue,
        mifid=NO_OVERRIDES
        if m is None
        else MifidOverrides(
            client_id=m.client_id,
            investment_decision=m.investment_decision,
            execution_decision=m.execution_decision,
            capacity=m.capacity,
            waiver=m.waiver,
            commodity_derivative=m.commodity_derivative,
            sft=m.sft,
        ),
    )


def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    summary="Submit an order",
    operation_id="submitOrder",
    responses={
        201: {
            "description": "Accepted: durable in the audit log and sent to the venue",
            "links": {
                name: {"operationId": op, "parameters": {"order_id": "$response.body#/order_id"}}
                for name, op in (
                    ("GetOrder", "getOrder"),
                    ("CancelOrder", "cancelOrder"),
                    ("ReplaceOrder", "replaceOrder"),
                )
            },
        },
        **problem_responses(
            401,
            403,
            409,
            413,
            429,
            503,
            overrides={422: (DeniedProblem, "Denied by a pre-trade control, or an invalid body")},
        ),
    },
    openapi_extra=bodies.json_body(OrderIn),
)
async def submit_order(request: Request) -> OrderResponse:
    # Token and body are read by hand rather than through FastAPI's dependency solver.
    return await submit(context(request), request.headers.get("authorization"), await request.body())


async def submit(ctx: ApiContext, authorization: str | None, raw_body: bytes) -> OrderResponse:
    """Submit the order in ``raw_body`` for the caller ``authorization`` names.

    ``GatewayApi`` calls this directly for every ``POST /v1/orders``; the route above
    declares the operation to FastAPI.
    """
    principal = authenticate_header(ctx, authorization)
    body = bodies.parse(OrderIn, raw_body)
    ensure_may_trade(principal, body.account)
    order = to_new_order(body, principal)
    key = (order.account, order.cl_ord_id)
    await _wait_for_same_id(ctx, key)
    existing = ctx.orders.get(*key)
    if existing is not None:
        return _replay(ctx, existing, order)
    _refuse_id_in_use(ctx, key)
    ctx.orders.begin(key)
    try:
        result = await ctx.gateway.pipeline.submit(order)
    finally:
        ctx.orders.end(key)
    if not result.accepted:
        assert result.denial is not None
        raise denial_problem(
            result.denial, order_id=result.order_id, cl_ord_id=order.cl_ord_id, audit_seq=result.audit_seq
        )
    working = ctx.gateway.pipeline.state.orders[result.order_id]
    return OrderResponse(
        views.working_order(working, result.audit_seq), 201, location=f"/v1/orders/{result.order_id}"
    )


async def _wait_for_same_id(ctx: ApiContext, key: Key) -> None:
    """A concurrent request with the same id waits for the first one's outcome."""
    while (pending := ctx.orders.in_flight(key)) is not None:
        await asyncio.shield(pending)


def _refuse_id_in_use(ctx: ApiContext, key: Key) -> None:
    """An id taken by something other than a new order (a replace, from any entry point)."""
    if key in ctx.gateway.pipeline.state.cl_ord_ids or ctx.orders.amendment(*key) is not None:
        raise _id_in_use(key)


def _id_in_use(key: Key) -> ApiProblem:
    return ApiProblem(
        problems.CLIENT_ORDER_ID_REUSED,
        f"cl_ord_id {key[1]} is already in use on account {key[0]}",
        code=DenyCode.DUPLICATE_CL_ORD_ID.value,
        cl_ord_id=key[1],
    )


def _replay(ctx: ApiContext, existing: Submission, retry: NewOrder) -> OrderResponse:
    order = existing.order
    if not existing.same_content(retry):
        raise ApiProblem(
            problems.CLIENT_ORDER_ID_REUSED,
            f"cl_ord_id {order.cl_ord_id} was already used on account {order.account} "
            f"for different content (order {existing.order_id})",
            code=DenyCode.DUPLICATE_CL_ORD_ID.value,
            order_id=existing.order_id,
            cl_ord_id=order.cl_ord_id,
        )
    if not existing.accepted:
        assert existing.denial is not None
        problem = denial_problem(
            existing.denial,
            order_id=existing.order_id,
            cl_ord_id=order.cl_ord_id,
            audit_seq=existing.audit_seq,
        )
        problem.headers.update(REPLAYED)
        raise problem
    working = ctx.gateway.pipeline.state.orders[existing.order_id]
    return OrderResponse(
        views.working_order(working, existing.audit_seq),
        201,
        location=f"/v1/orders/{existing.order_id}",
        replayed=True,
    )


@router.get(
    "",
    response_model=OrderPage,
    summary="List orders (accepted and denied), oldest first",
    operation_id="listOrders",
    responses=problem_responses(401, 403, 422),
)
async def list_orders(
    principal: Caller,
    request: Request,
    account: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    status: OrderState | None = None,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    side: Side | None = None,
    cl_ord_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{8}-[0-9]{1,12}$", description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    ctx = context(request)
    if account is not None:
        ensure_may_view(principal, account)
    visible = _visible_accounts(principal) if account is None else {account}
    state_orders = ctx.gateway.pipeline.state.orders
    items: list[dict[str, Any]] = []
    next_cursor: str | None = None
    for order_id in _candidates(ctx, status, cursor, visible):
        item: WorkingOrder | Submission | None = state_orders.get(order_id) or ctx.orders.denied(order_id)
        if item is None:
            continue  # an acceptance withdrawn after an in-doubt commit: never an order
        if status is not None and _status(item) != status:
            continue
        order = item.order
        if (symbol and order.symbol != symbol) or (side and order.side is not side):
            continue
        if cl_ord_id and order.cl_ord_id != cl_ord_id:
            continue
        if len(items) == limit:
            next_cursor = items[-1]["order_id"]
            break
        items.append(_view(item))
    return {"items": items, "next_cursor": next_cursor}


_WORKING_STATES = frozenset(s.value for s in OrderStatus if s.is_working)


def _candidates(
    ctx: ApiContext, status: OrderState | None, cursor: str | None, visible: set[str] | None
) -> Iterable[str]:
    """Order ids to consider, ascending after ``cursor``. Asking for a working status reads
    only the working orders (thousands), not every order of the day (a million)."""
    if status is None or status not in _WORKING_STATES:
        return ctx.orders.order_ids_after(cursor, visible)
    decided = ctx.orders.decided
    return sorted(
        w.order_id
        for w in ctx.gateway.pipeline.state.working.values()
        if (visible is None or w.order.account in visible)
        and (cursor is None or w.order_id > cursor)
        and decided(w.order_id)  # an acceptance still being made durable is not listed yet
    )


def _visible_accounts(principal: Principal) -> set[str] | None:
    """None: every account (risk, compliance, admin, or a trader for '*')."""
    if principal.has(Role.RISK_OFFICER, Role.COMPLIANCE) or "*" in principal.accounts:
        return None
    return set(principal.accounts)


def _status(item: WorkingOrder | Submission) -> str:
    return item.status.value if isinstance(item, WorkingOrder) else DENIED


def _view(item: WorkingOrder | Submission) -> dict[str, Any]:
    return views.working_order(item) if isinstance(item, WorkingOrder) else views.denied_order(item)


@router.get(
    "/{order_id}",
    response_model=OrderOut,
    summary="One order, accepted or denied",
    operation_id="getOrder",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_order(order_id: OrderId, principal: Caller, request: Request) -> dict[str, Any]:
    ctx = context(request)
    item: WorkingOrder | Submission | None = ctx.gateway.pipeline.state.orders.get(order_id)
    if item is None:
        item = ctx.orders.denied(order_id)
    if item is None:
        raise ApiProblem(problems.NOT_FOUND, f"no order {order_id}")
    ensure_may_view(principal, item.order.account)
    return _view(item)


def _working(ctx: ApiContext, order_id: str) -> WorkingOrder:
    working = ctx.gateway.pipeline.state.orders.get(order_id)
    if working is None:
        if ctx.orders.denied(order_id) is not None:
            raise ApiProblem(
                problems.CONFLICT,
                f"order {order_id} was denied: there is nothing to amend",
                code=DenyCode.ORDER_NOT_WORKING.value,
                order_id=order_id,
            )
        raise ApiProblem(problems.NOT_FOUND, f"no order {order_id}", code=DenyCode.UNKNOWN_ORDER.value)
    return working


@router.post(
    "/{order_id}/cancel",
    status_code=202,
    response_model=OrderOut,
    summary="Cancel a working order",
    operation_id="cancelOrder",
    responses={
        202: {"description": "Cancel recorded and sent to the venue; the body shows the order's state"},
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
)
async def cancel_order(
    order_id: OrderId, principal: Caller, request: Request, body: CancelIn | None = None
) -> JSONResponse:
    ctx = context(request)
    working = _working(ctx, order_id)
    account = working.order.account
    if not principal.has(Role.RISK_OFFICER):
        ensure_may_trade(principal, account)
    cancel = CancelRequest(
        cl_ord_id=(body.cl_ord_id if body and body.cl_ord_id else None) or ctx.cancel_id(order_id),
        orig_cl_ord_id=working.order.cl_ord_id,
        account=account,
        origin=origin_of(principal),
    )
    result = await ctx.gateway.pipeline.cancel(cancel)
    if not result.accepted:
        assert result.denial is not None
        raise denial_problem(result.denial, order_id=order_id, cl_ord_id=cancel.cl_ord_id, amend=True)
    return JSONResponse(views.working_order(working), status_code=202)


@router.post(
    "/{order_id}/replace",
    response_model=OrderOut,
    summary="Amend quantity, prices or time in force of a working order",
    operation_id="replaceOrder",
    responses={
        200: {
            "description": "Replace accepted (checked as the order it becomes, durable, sent to the venue)"
        },
        **problem_responses(
            401,
            403,
            404,
            409,
            429,
            503,
            overrides={422: (DeniedProblem, "Denied by a pre-trade control, or an invalid body")},
        ),
    },
)
async def replace_order(
    order_id: OrderId, body: ReplaceIn, principal: Caller, request: Request
) -> JSONResponse:
    ctx = context(request)
    working = _working(ctx, order_id)
    account = working.order.account
    ensure_may_trade(principal, account)
    replace = ReplaceRequest(
        cl_ord_id=body.cl_ord_id,
        orig_cl_ord_id=working.order.cl_ord_id,
        account=account,
        origin=origin_of(principal, working.order.origin.strategy),
        quantity=Decimal(body.quantity),
        limit_price=_dec(body.limit_price),
        stop_price=_dec(body.stop_price),
        tif=TimeInForce(body.tif) if body.tif else None,
        expire_at=body.expire_at,
    )
    key = (account, body.cl_ord_id)
    fp = amendment_fingerprint(order_id, working.replaced_by(replace))
    await _wait_for_same_id(ctx, key)
    previous = ctx.orders.amendment(*key)
    if previous is not None:
        return _replay_amendment(ctx, previous, fp, body.cl_ord_id)
    if ctx.orders.get(*key) is not None or key in ctx.gateway.pipeline.state.cl_ord_ids:
        raise _id_in_use(key)
    ctx.orders.begin(key)
    try:
        result = await ctx.gateway.pipeline.replace(replace)
    finally:
        ctx.orders.end(key)
    ctx.orders.record_amendment(
        account, body.cl_ord_id, Amendment(fp, order_id, result.accepted, result.denial)
    )
    if not result.accepted:
        assert result.denial is not None
        raise denial_problem(result.denial, order_id=order_id, cl_ord_id=body.cl_ord_id, amend=True)
    return JSONResponse(views.working_order(working))


def _replay_amendment(ctx: ApiContext, previous: Amendment, fp: str, cl_ord_id: str) -> JSONResponse:
    if previous.fingerprint != fp:
        raise ApiProblem(
            problems.CLIENT_ORDER_ID_REUSED,
            f"cl_ord_id {cl_ord_id} was already used for a different replace (order {previous.order_id})",
            code=DenyCode.DUPLICATE_CL_ORD_ID.value,
            order_id=previous.order_id,
            cl_ord_id=cl_ord_id,
        )
    if not previous.accepted:
        assert previous.denial is not None
        problem = denial_problem(previous.denial, order_id=previous.order_id, cl_ord_id=cl_ord_id, amend=True)
        problem.headers.update(REPLAYED)
        raise problem
    working = ctx.gateway.pipeline.state.orders[previous.order_id]
    return JSONResponse(views.working_order(working), headers=REPLAYED)
