"""13. Self-trade prevention against resting orders of the same beneficial owner.

Modes (as CME's): cancel-resting, cancel-incoming, cancel-both, decrement
(the smaller side is cancelled and the larger reduced by it). Actions on
resting orders go into ``ctx.self_trade_actions`` for the pipeline to carry out.
"""

from __future__ import annotations

from decimal import Decimal

from risk_controls.checks.context import CheckContext, SelfTradeAction
from risk_controls.domain import Denial, DenyCode, NewOrder, OrdType, Side, WorkingOrder
from risk_controls.domain.decisions import deny

CONTROL = "self_trade"


def crosses(incoming: NewOrder, resting: WorkingOrder) -> bool:
    """Would ``incoming`` trade against ``resting`` (opposite sides, prices overlapping)?"""
    other = resting.order
    if (incoming.side is Side.BUY) == (other.side is Side.BUY) or other.symbol != incoming.symbol:
        return False
    if other.ord_type is not OrdType.LIMIT or other.limit_price is None:
        return False  # only resting limit orders sit in the book
    if incoming.limit_price is None:
        return incoming.ord_type is OrdType.MARKET
    if incoming.side is Side.BUY:
        return incoming.limit_price >= other.limit_price
    return incoming.limit_price <= other.limit_price


def check(ctx: CheckContext) -> Denial | None:
    if ctx.account is None:
        return deny(DenyCode.ACCOUNT_UNKNOWN, CONTROL, account=ctx.order.account)
    owner_accounts = ctx.policy.accounts_of_owner(ctx.account)
    replacing_id = ctx.replacing.order_id if ctx.replacing else None
    incoming = ctx.order
    limit = None if incoming.ord_type is OrdType.MARKET else incoming.limit_price
    if limit is None and incoming.ord_type is not OrdType.MARKET:
        return None  # a stop order is not in the book until triggered
    resting = [  # in matching priority: decrement works through them in that order
        w
        for w in ctx.state.resting_crossing(owner_accounts, incoming.symbol, incoming.side is Side.BUY, limit)
        if w.order_id != replacing_id
    ]
    if not resting:
        return None
    mode = ctx.account.self_trade_mode
    if mode == "cancel-resting":
        ctx.self_trade_actions.extend(SelfTradeAction(w.order_id, None) for w in resting)
        return None
    if mode == "cancel-both":
        ctx.self_trade_actions.extend(SelfTradeAction(w.order_id, None) for w in resting)
    if mode in ("cancel-incoming", "cancel-both"):
        return deny(
            DenyCode.SELF_TRADE_PREVENTED,
            CONTROL,
            mode=mode,
            resting=",".join(w.order_id for w in resting),
        )
    return _decrement(ctx, resting)


def _decrement(ctx: CheckContext, resting: list[WorkingOrder]) -> Denial | None:
    incoming = ctx.open_quantity
    for order in resting:
        if incoming <= 0:
            break
        leaves = order.leaves_qty
        if leaves <= incoming:
            ctx.self_trade_actions.append(SelfTradeAction(order.order_id, None))
            incoming -= leaves
        else:
            ctx.self_trade_actions.append(SelfTradeAction(order.order_id, order.cum_qty + leaves - incoming))
            incoming = Decimal(0)
    if incoming <= 0:
        return deny(DenyCode.SELF_TRADE_PREVENTED, CONTROL, mode="decrement", remaining=0)
    ctx.incoming_quantity_override = incoming
    return None
