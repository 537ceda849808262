"""4. Restricted list (15c3-5(c)(2)(ii))."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

CONTROL = "restricted_list"


def check(ctx: CheckContext) -> Denial | None:
    if ctx.policy.is_restricted(ctx.order.symbol):
        return deny(DenyCode.RESTRICTED_INSTRUMENT, CONTROL, symbol=ctx.order.symbol)
    return None
