"""/v1/accounts/{account}: positions, open orders, limit utilisation, re-enabling executions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from gateway.api import problems, views
from gateway.api.access import Caller, ensure_may_view, require
from gateway.api.context import ApiContext, context
from gateway.api.problems import ApiProblem
from gateway.api.routes import problem_responses
from gateway.api.schemas.common import ID_PATTERN
from gateway.api.schemas.orders import OrderOut
from gateway.api.schemas.risk import LimitsOut, PositionsOut, ReenableIn, ReenableOut
from gateway.api.tokens import Principal, Role
from risk_controls.domain.money import fmt
from risk_controls.policy.schema import AccountPolicy

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
Account = Annotated[str, Path(pattern=ID_PATTERN, examples=["ACC-APPLE-TSY"])]
RiskOfficer = Annotated[Principal, Depends(require(Role.RISK_OFFICER))]


def _known(ctx: ApiContext, account: str) -> AccountPolicy | None:
    """The account's policy; 404 when neither the policy nor the risk state knows it."""
    loaded = ctx.gateway.policies.current
    policy = loaded.policy.account(account) if loaded else None
    if policy is None and account not in ctx.gateway.pipeline.state.accounts:
        raise ApiProblem(problems.NOT_FOUND, f"no account {account}")
    return policy


@router.get(
    "/{account}/positions",
    response_model=PositionsOut,
    summary="Positions and open quantities per instrument",
    responses=problem_responses(401, 403, 404, 422),
)
async def positions(account: Account, principal: Caller, request: Request) -> dict[str, Any]:
    ctx = context(request)
    ensure_may_view(principal, account)
    policy = _known(ctx, account)
    book = ctx.gateway.pipeline.state.accounts.get(account)
    lines = []
    for symbol, line in sorted(book.symbols.items()) if book else []:
        if not (line.position or line.open_buy or line.open_sell):
            continue
        lines.append(
            {
                "symbol": symbol,
                "position": fmt(line.position),
                "open_buy": fmt(line.open_buy),
                "open_sell": fmt(line.open_sell),
                "worst_case": fmt(line.worst_case()),
                "position_limit": fmt(policy.position_limit(symbol)) if policy else None,
                "valuation_price": fmt(line.value_price),
                "gross_value": fmt(line.gross_value),
            }
        )
    return {"account": account, "positions": lines}


@router.get(
    "/{account}/open-orders",
    response_model=list[OrderOut],
    summary="Working orders of the account, oldest first",
    responses=problem_responses(401, 403, 404, 422),
)
async def open_orders(account: Account, principal: Caller, request: Request) -> list[dict[str, Any]]:
    ctx = context(request)
    ensure_may_view(principal, account)
    _known(ctx, account)
    return [views.working_order(w) for w in ctx.gateway.pipeline.working_orders(account=account)]


@router.get(
    "/{account}/limits",
    response_model=LimitsOut,
    summary="Credit, exposure, order-count and throttle utilisation against the policy's limits",
    responses=problem_responses(401, 403, 404, 422),
)
async def limits(account: Account, principal: Caller, request: Request) -> dict[str, Any]:
    ctx = context(request)
    ensure_may_view(principal, account)
    policy = _known(ctx, account)
    state = ctx.gateway.pipeline.state
    book = state.book(account) if account in state.accounts else None
    loaded = ctx.gateway.policies.current
    credit_used = book.credit_used if book else Decimal(0)
    exposure = book.gross_exposure if book else Decimal(0)
    messages = 0
    if book is not None and policy is not None:
        span = timedelta(seconds=float(policy.throttle.per_seconds))
        messages = state.count_recent(book.messages, ctx.gateway.pipeline.clock.now(), span)
    return {
        "account": account,
        "enabled": bool(policy and policy.enabled),
        "base_currency": loaded.policy.firm.base_currency if loaded else None,
        "credit": _utilisation(credit_used, policy.max_daily_notional if policy else None),
        "gross_exposure": _utilisation(exposure, policy.max_gross_exposure if policy else None),
        "daily_orders": {
            "used": book.orders_today if book else 0,
            "limit": policy.max_daily_orders if policy else None,
        },
        "throttle": {
            "messages_in_window": messages,
            "max_messages": policy.throttle.max_messages if policy else None,
            "per_seconds": fmt(policy.throttle.per_seconds) if policy else None,
            "execution_disabled": account in state.execution_disabled,
        },
        "working_orders": len(ctx.gateway.pipeline.working_orders(account=account)),
    }


def _utilisation(used: Decimal, limit: Decimal | None) -> dict[str, Any]:
    pct = None
    if limit is not None and limit > 0:
        pct = fmt((used * 100 / limit).quantize(Decimal("0.01")))
    return {"used": fmt(used), "limit": fmt(limit) if limit is not None else None, "utilisation_pct": pct}


@router.post(
    "/{account}/reenable-executions",
    response_model=ReenableOut,
    summary="Re-enable an account after the repeated-execution throttle tripped (RTS 6 15(3))",
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def reenable(
    account: Account, body: ReenableIn, principal: RiskOfficer, request: Request
) -> dict[str, Any]:
    ctx = context(request)
    _known(ctx, account)
    pipeline = ctx.gateway.pipeline
    if account not in pipeline.state.execution_disabled:
        return {"account": account, "reenabled": False}
    if not await pipeline.reenable_executions(account, principal.subject, body.reason):
        raise ApiProblem(
            problems.UNAVAILABLE, "the re-enabling could not be recorded: audit store unavailable"
        )
    return {"account": account, "reenabled": True}
