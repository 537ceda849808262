"""1. Kill switch: HALT blocks everything in scope; REDUCING lets risk-reducing orders through."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode, Side
from risk_controls.domain.decisions import deny
from risk_controls.kill_switch import KillMode

CONTROL = "kill_switch"


def check(ctx: CheckContext) -> Denial | None:
    entry = ctx.kill_switch.applicable(ctx.order)
    if entry is None:
        return None
    if entry.mode is KillMode.REDUCING and reduces_position(ctx):
        return None
    return deny(
        DenyCode.KILL_SWITCH_ENGAGED,
        CONTROL,
        scope=entry.scope.value,
        target=entry.target,
        mode=entry.mode.value,
    )


def reduces_position(ctx: CheckContext) -> bool:
    """True when the order, with every open order on its side filled, only shrinks the position."""
    order = ctx.order
    exposure = ctx.state.exposure(order.account, order.symbol)
    quantity = ctx.open_quantity
    released = ctx.released_quantity
    if order.side is Side.BUY:
        short = -exposure.position
        return short > 0 and exposure.open_buy - released + quantity <= short
    if order.side is Side.SELL:
        long = exposure.position
        return long > 0 and exposure.open_sell - released + quantity <= long
    return False  # a short sale never reduces risk
