"""7. Price collar around the reference price (15c3-5(c)(1)(ii), RTS 6 15(1)(a)).

The band is the wider of ``percent`` of the reference and ``ticks`` ticks.
Market orders are collared at the reference itself, which only requires that
one exists: with no reference price, every order is denied.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

CONTROL = "price_collar"
_HUNDRED = Decimal(100)


@lru_cache(maxsize=4096)
def _band(
    reference: Decimal, percent: Decimal | None, ticks: int | None, tick: Decimal | None
) -> tuple[Decimal, Decimal]:
    """(low, high) around the reference; cached because references change rarely."""
    band = Decimal(0)
    if percent is not None:
        band = reference * percent / _HUNDRED
    if ticks is not None and tick is not None:
        band = max(band, tick * ticks)
    return reference - band, reference + band


def check(ctx: CheckContext) -> Denial | None:
    reference = ctx.reference_price
    if reference is None or reference <= 0:
        return deny(DenyCode.NO_REFERENCE_PRICE, CONTROL, symbol=ctx.order.symbol)
    collar = ctx.policy.firm.collar
    if ctx.instrument_policy is not None and ctx.instrument_policy.collar is not None:
        collar = ctx.instrument_policy.collar
    tick = ctx.instrument.tick_size if ctx.instrument is not None else None
    low, high = _band(reference, collar.percent, collar.ticks, tick)
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
