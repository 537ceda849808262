"""8. Duplicative orders: identical account/instrument/side/quantity/price within a window."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

CONTROL = "duplicate_order"


def check(ctx: CheckContext) -> Denial | None:
    if ctx.replacing is not None:
        return None  # a replace amends an order already counted; it adds no duplicate
    rule = ctx.policy.firm.duplicate
    window = ctx.state.recent_orders.get(ctx.state.duplicate_key(ctx.order))
    if window is None:
        return None
    seen = ctx.state.count_recent(window, ctx.now, rule.span)
    if seen >= rule.max_count:
        return deny(
            DenyCode.DUPLICATE_ORDER, CONTROL, seen=seen, max=rule.max_count, window_ms=rule.window_ms
        )
    return None
