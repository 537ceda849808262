"""10. Credit: today's gross notional (traded + reserved by open orders) per account
and firm-wide (15c3-5(c)(1)(i))."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny

CONTROL = "credit_limit"


def check(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, CONTROL, account=ctx.order.account)
    added = ctx.notional_base
    if added is None:
        return deny(DenyCode.NO_REFERENCE_PRICE, CONTROL, symbol=ctx.order.symbol)
    added -= ctx.released_notional
    book = ctx.state.book(ctx.account.id)
    used = book.credit_used + added
    if used > ctx.account.max_daily_notional:
        return deny(
            DenyCode.CREDIT_LIMIT_EXCEEDED,
            CONTROL,
            limit=ctx.account.max_daily_notional,
            used=book.credit_used,
            order=added,
        )
    firm_used = ctx.state.firm_credit_used + added
    if firm_used > ctx.policy.firm.max_daily_notional:
        return deny(
            DenyCode.FIRM_CREDIT_LIMIT_EXCEEDED,
            CONTROL,
            limit=ctx.policy.firm.max_daily_notional,
            used=ctx.state.firm_credit_used,
            order=added,
        )
    return None
