"""What the simulated venue itself refuses, as stable denial codes.

The gateway's chain checks all of this first; the venue checks again because
a real exchange does, and a router bug must show up as a REJECTED report with
a reason rather than as a corrupted book.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from risk_controls.domain import Denial, DenyCode, Instrument, NewOrder, OrdType, TimeInForce
from risk_controls.domain.decisions import deny
from risk_controls.domain.money import is_multiple

CONTROL = "venue"
# Membership in frozensets is several times cheaper than the enum properties on the hot path.
LIMIT_PRICED = frozenset({OrdType.LIMIT, OrdType.STOP_LIMIT})
STOP_TRIGGERED = frozenset({OrdType.STOP, OrdType.STOP_LIMIT})
MARKET_LIKE = frozenset({OrdType.MARKET, OrdType.STOP})  # take any price once in the book
CLOSING_TIFS = frozenset({TimeInForce.IOC, TimeInForce.FOK})
GTD = TimeInForce.GTD


def check_order(order: NewOrder, instrument: Instrument | None, now: datetime) -> Denial | None:
    """Why the venue cannot accept ``order`` as it stands, or None."""
    if instrument is None:
        return deny(DenyCode.UNKNOWN_INSTRUMENT, CONTROL, symbol=order.symbol)
    if order.quantity <= 0:
        return deny(DenyCode.QUANTITY_NOT_POSITIVE, CONTROL, quantity=order.quantity)
    if not is_multiple(order.quantity, instrument.lot_size):
        return deny(
            DenyCode.QUANTITY_NOT_LOT_MULTIPLE,
            CONTROL,
            quantity=order.quantity,
            lot=instrument.lot_size,
        )
    if order.ord_type in LIMIT_PRICED:
        problem = _check_price("limit_price", order.limit_price, instrument.tick_size)
        if problem is not None:
            return problem
    if order.ord_type in STOP_TRIGGERED:
        problem = _check_price("stop_price", order.stop_price, instrument.tick_size)
        if problem is not None:
            return problem
    if order.tif is GTD:
        if order.expire_at is None:
            return deny(DenyCode.GTD_NOT_IN_FUTURE, CONTROL, expire_at="missing")
        if order.expire_at <= now:
            return deny(DenyCode.GTD_NOT_IN_FUTURE, CONTROL, expire_at=order.expire_at.isoformat())
    return None


def check_replace(old: NewOrder, new: NewOrder, filled: Decimal) -> Denial | None:
    """Why a working order cannot become ``new`` (beyond :func:`check_order`), or None."""
    if (new.symbol, new.side, new.ord_type, new.account) != (
        old.symbol,
        old.side,
        old.ord_type,
        old.account,
    ):
        return deny(
            DenyCode.VENUE_REJECTED,
            CONTROL,
            reason="replace may change only quantity, prices, tif and expiry",
        )
    if new.quantity < filled:
        return deny(DenyCode.REPLACE_BELOW_FILLED, CONTROL, quantity=new.quantity, filled=filled)
    return None


def _check_price(field: str, price: Decimal | None, tick: Decimal) -> Denial | None:
    if price is None:
        return deny(DenyCode.PRICE_MISSING, CONTROL, field=field)
    if price <= 0:
        return deny(DenyCode.PRICE_NOT_POSITIVE, CONTROL, field=field, price=price)
    if not is_multiple(price, tick):
        return deny(DenyCode.PRICE_NOT_ON_TICK, CONTROL, field=field, price=price, tick=tick)
    return None
