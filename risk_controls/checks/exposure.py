"""11. Position limit per instrument, gross exposure per account and firm-wide,
all counting open orders as if they filled (RTS 6 15(4))."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode, Side
from risk_controls.domain.decisions import deny
from risk_controls.state import SymbolExposure

POSITION_CONTROL = "position_limit"
EXPOSURE_CONTROL = "gross_exposure"


def _projected(ctx: CheckContext, exposure: SymbolExposure) -> SymbolExposure:
    """The exposure line with the replaced version's open quantity taken out."""
    released = ctx.released_quantity
    if not released:
        return exposure
    buy = ctx.replacing is not None and ctx.replacing.order.side is Side.BUY
    return SymbolExposure(
        position=exposure.position,
        open_buy=exposure.open_buy - (released if buy else 0),
        open_sell=exposure.open_sell - (0 if buy else released),
        value_price=exposure.value_price,
        gross_value=exposure.gross_value,
    )


def position_limit(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, POSITION_CONTROL, account=ctx.order.account)
    order = ctx.order
    current = ctx.state.exposure(order.account, order.symbol)
    exposure = _projected(ctx, current)
    worst = exposure.worst_case_with(order.side, ctx.open_quantity)
    limit = ctx.account.position_limit(order.symbol)
    # Compared with the line as it stands (the replaced version still in it), so that a
    # replace which shrinks an order over the limit counts as reducing, as a cancel would.
    if worst > limit and worst > current.worst_case():
        return deny(
            DenyCode.POSITION_LIMIT_EXCEEDED,
            POSITION_CONTROL,
            limit=limit,
            position=exposure.position,
            projected=worst,
        )
    return None


def gross_exposure(ctx: CheckContext) -> Denial | None:
    """Exposure lines are valued at the reference price (base currency), the same price the
    state uses, so the projected delta is exactly what accepting the order adds."""
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, EXPOSURE_CONTROL, account=ctx.order.account)
    price = ctx.reference_base
    if price is None:
        return deny(DenyCode.NO_REFERENCE_PRICE, EXPOSURE_CONTROL, symbol=ctx.order.symbol)
    order = ctx.order
    current = ctx.state.exposure(order.account, order.symbol)
    line_after = _projected(ctx, current).worst_case_with(order.side, ctx.open_quantity) * price
    delta = line_after - current.gross_value
    if delta <= 0:
        return None  # the order does not increase exposure
    account_after = ctx.state.book(order.account).gross_exposure + delta
    if account_after > ctx.account.max_gross_exposure:
        return deny(
            DenyCode.GROSS_EXPOSURE_EXCEEDED,
            EXPOSURE_CONTROL,
            limit=ctx.account.max_gross_exposure,
            projected=account_after,
        )
    firm_after = ctx.state.firm_gross_exposure + delta
    if firm_after > ctx.policy.firm.max_gross_exposure:
        return deny(
            DenyCode.FIRM_GROSS_EXPOSURE_EXCEEDED,
            EXPOSURE_CONTROL,
            limit=ctx.policy.firm.max_gross_exposure,
            projected=firm_after,
        )
    return None
