"""2. Trading hours: the firm's daily UTC window (it may cross midnight) and trading weekdays."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

CONTROL = "trading_hours"


def check(ctx: CheckContext) -> Denial | None:
    hours = ctx.policy.firm.trading_hours
    now = ctx.now
    if not hours.is_open(now):
        return deny(
            DenyCode.OUTSIDE_TRADING_HOURS,
            CONTROL,
            now=now.strftime("%a %H:%M:%S"),
            start=hours.start.isoformat(),
            end=hours.end.isoformat(),
        )
    return None
