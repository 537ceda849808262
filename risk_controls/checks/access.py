"""2. Market access (15c3-5(c)(2)(iii)): enabled account, authorized enterer, permitted
instrument and venue."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Channel, Denial, DenyCode
from risk_controls.domain.decisions import deny

ACCOUNT_CONTROL = "account_enabled"
AUTHORIZED_CONTROL = "authorized_for_account"
INSTRUMENT_CONTROL = "instrument_permitted"
VENUE_CONTROL = "venue_permitted"


def account_enabled(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, ACCOUNT_CONTROL, account=ctx.order.account)
    if not ctx.account.enabled:
        return deny(DenyCode.ACCOUNT_DISABLED, ACCOUNT_CONTROL, account=ctx.account.id)
    return None


def authorized(ctx: CheckContext) -> Denial | None:
    """The person, the session and (for algorithms) the strategy must all be allowed."""
    account = ctx.account
    if account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, AUTHORIZED_CONTROL, account=ctx.order.account)
    origin = ctx.order.origin
    if origin.channel is Channel.STRATEGY:
        if origin.strategy not in account.authorized_strategies:
            return deny(
                DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT,
                AUTHORIZED_CONTROL,
                strategy=origin.strategy,
                account=account.id,
            )
    elif origin.user not in account.authorized_users:
        return deny(
            DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT, AUTHORIZED_CONTROL, user=origin.user, account=account.id
        )
    if origin.session not in account.authorized_sessions:
        return deny(
            DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT,
            AUTHORIZED_CONTROL,
            session=origin.session,
            account=account.id,
        )
    return None


def instrument_permitted(ctx: CheckContext) -> Denial | None:
    if ctx.account is None or not ctx.account.permits_instrument(ctx.order.symbol):
        return deny(DenyCode.INSTRUMENT_NOT_PERMITTED, INSTRUMENT_CONTROL, symbol=ctx.order.symbol)
    return None


def venue_permitted(ctx: CheckContext) -> Denial | None:
    if ctx.account is None or not ctx.account.permits_venue(ctx.venue):
        return deny(DenyCode.VENUE_NOT_PERMITTED, VENUE_CONTROL, venue=ctx.venue)
    return None
