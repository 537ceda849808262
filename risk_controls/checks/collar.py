"""7. Price collar around the reference price (15c3-5(c)(1)(ii), RTS 6 15(1)(a)).

The band is the wider of ``percent`` of the reference and ``ticks`` ticks.
Market orders are collared at the reference itself, which only requires that
one exists: with no reference price, every order is denied.
"""

from __future__ import annotations

from decimal import Decimal

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

CONTROL = "price_collar"
_HUNDRED = Decimal(100)


def check(ctx: CheckContext) -> Denial | None:
    reference = ctx.reference_price
    if reference is None or reference <= 0:
        return deny(DenyCode.NO_REFERENCE_PRICE, CONTROL, symbol=ctx.order.symbol)
    collar = ctx.policy.firm.collar
    if ctx.instrument_policy is not None and ctx.instrument_policy.collar is not None:
        collar = ctx.instrument_policy.collar
    band = Decimal(0)
    if collar.percent is not None:
        band = reference * collar.percent / _HUNDRED
    if collar.ticks is not None and ctx.instrument is not None:
        band = max(band, ctx.instrument.tick_size * collar.ticks)
    low, high = reference - band, reference + band
    for label, price in (("limit_price", ctx.order.limit_price), ("stop_price", ctx.order.stop_price)):
        if price is not None and not (low <= price <= high):
            return deny(
                DenyCode.PRICE_OUTSIDE_COLLAR,
                CONTROL,
                field=label,
                price=price,
                reference=reference,
                low=low,
                high=high,
            )
    return None
