"""12. Short sales (Reg SHO 203(b)(1), 200(g)): a locate for every short sale, and
marking consistent with the position.

A plain SELL must be covered by the long position net of open sells; a sale
that is not covered has to be marked short. A SELL_SHORT while long enough
to cover is mis-marked too.
"""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode, Side
from risk_controls.domain.decisions import deny

CONTROL = "short_sale"


def check(ctx: CheckContext) -> Denial | None:
    order = ctx.order
    if order.side is Side.BUY:
        return None
    exposure = ctx.state.exposure(order.account, order.symbol)
    available = exposure.position - exposure.open_sell + ctx.released_quantity
    quantity = ctx.open_quantity
    if order.side is Side.SELL:
        if quantity > available:
            return deny(
                DenyCode.SHORT_MARKING_INCONSISTENT,
                CONTROL,
                side=order.side.value,
                quantity=quantity,
                long_available=max(available, 0),
            )
        return None
    if order.side is Side.SELL_SHORT:
        if ctx.account is not None and ctx.account.short_locate_required and not order.locate_id:
            return deny(DenyCode.LOCATE_REQUIRED, CONTROL, symbol=order.symbol)
        if quantity <= available:
            return deny(
                DenyCode.SHORT_MARKING_INCONSISTENT,
                CONTROL,
                side=order.side.value,
                quantity=quantity,
                long_available=available,
            )
    return None  # SELL_SHORT_EXEMPT: exempt from locate, still marked as short
