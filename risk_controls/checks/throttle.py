"""9. Throttles: messages per session and per account (RTS 6 15(1)(d)), the
repeated-execution throttle (RTS 6 15(3)) and the daily order-count cap."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

SESSION_CONTROL = "session_throttle"
ACCOUNT_CONTROL = "account_throttle"
EXECUTION_CONTROL = "execution_throttle"
DAILY_CONTROL = "daily_order_cap"


def session_throttle(ctx: CheckContext) -> Denial | None:
    """The pipeline notes each message before the chain runs, so the count includes this one.

    Counted per :attr:`OrderOrigin.throttle_key` (each REST client apart), limited by the
    session's policy (``rest`` for every REST client) or else the firm's.
    """
    origin = ctx.order.origin
    session_policy = ctx.policy.session(origin.session)
    throttle = (session_policy.throttle if session_policy else None) or ctx.policy.firm.session_throttle
    key = origin.throttle_key
    window = ctx.state.session_messages.get(key)
    count = 0 if window is None else ctx.state.count_recent(window, ctx.now, throttle.span)
    if count > throttle.max_messages:
        return deny(
            DenyCode.SESSION_THROTTLE_EXCEEDED,
            SESSION_CONTROL,
            session=key,
            max=throttle.max_messages,
            per_seconds=throttle.per_seconds,
        )
    return None


def account_throttle(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, ACCOUNT_CONTROL, account=ctx.order.account)
    throttle = ctx.account.throttle
    window = ctx.state.book(ctx.account.id).messages
    count = ctx.state.count_recent(window, ctx.now, throttle.span)
    if count > throttle.max_messages:
        return deny(
            DenyCode.ACCOUNT_THROTTLE_EXCEEDED,
            ACCOUNT_CONTROL,
            account=ctx.account.id,
            max=throttle.max_messages,
            per_seconds=throttle.per_seconds,
        )
    return None


def execution_throttle(ctx: CheckContext) -> Denial | None:
    """Once tripped, the account stays disabled until a person re-enables it."""
    if ctx.order.account in ctx.state.execution_disabled:
        return deny(DenyCode.EXECUTION_THROTTLE_TRIPPED, EXECUTION_CONTROL, account=ctx.order.account)
    return None


def daily_order_cap(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, DAILY_CONTROL, account=ctx.order.account)
    if ctx.replacing is not None:
        return None
    count = ctx.state.book(ctx.account.id).orders_today
    if count >= ctx.account.max_daily_orders:
        return deny(
            DenyCode.DAILY_ORDER_COUNT_EXCEEDED, DAILY_CONTROL, max=ctx.account.max_daily_orders, count=count
        )
    return None
