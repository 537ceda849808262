"""5-6. Erroneous orders: maximum quantity and notional per order (15c3-5(c)(1)(ii)).

Limits at every level apply: an instrument's limit (a firm-wide cap for that
instrument) and the account's; the tighter one wins. A limit can only be
raised where it is set, never by a limit at another level (fail closed).
"""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

QUANTITY_CONTROL = "max_order_quantity"
NOTIONAL_CONTROL = "max_order_notional"


def max_quantity(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, QUANTITY_CONTROL, account=ctx.order.account)
    limit = ctx.account.max_order_quantity
    if ctx.instrument_policy is not None and ctx.instrument_policy.max_order_quantity is not None:
        limit = min(limit, ctx.instrument_policy.max_order_quantity)
    if ctx.order.quantity > limit:
        return deny(
            DenyCode.QUANTITY_EXCEEDS_MAX_PER_ORDER,
            QUANTITY_CONTROL,
            max=limit,
            quantity=ctx.order.quantity,
        )
    return None


def max_notional(ctx: CheckContext) -> Denial | None:
    """Notional = quantity x (limit, else reference price) x FX, in the base currency."""
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, NOTIONAL_CONTROL, account=ctx.order.account)
    if ctx.pricing_price is None:
        return deny(DenyCode.NO_REFERENCE_PRICE, NOTIONAL_CONTROL, symbol=ctx.order.symbol)
    if ctx.fx_rate is None:
        currency = ctx.instrument.currency if ctx.instrument else "?"
        return deny(DenyCode.POLICY_UNAVAILABLE, NOTIONAL_CONTROL, missing_fx_rate=currency)
    notional = ctx.order.quantity * ctx.pricing_price * ctx.fx_rate
    limit = ctx.account.max_order_notional
    if ctx.instrument_policy is not None and ctx.instrument_policy.max_order_notional is not None:
        limit = min(limit, ctx.instrument_policy.max_order_notional)
    if notional > limit:
        return deny(DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER, NOTIONAL_CONTROL, max=limit, notional=notional)
    return None
