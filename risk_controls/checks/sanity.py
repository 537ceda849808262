"""3. Order sanity: known instrument, lot-multiple quantity, prices present and on tick,
supported type and time in force, GTD in the future."""

from __future__ import annotations

from risk_controls.checks.context import CheckContext
from risk_controls.domain import Denial, DenyCode, OrdType, TimeInForce
from risk_controls.domain.decisions import deny
from risk_controls.domain.money import is_multiple

CONTROL = "order_sanity"


def check(ctx: CheckContext) -> Denial | None:
    order = ctx.order
    instrument = ctx.instrument
    if instrument is None:
        return deny(DenyCode.UNKNOWN_INSTRUMENT, CONTROL, symbol=order.symbol)
    firm = ctx.policy.firm
    if order.ord_type not in firm.allowed_order_types:
        return deny(DenyCode.UNSUPPORTED_ORDER_TYPE, CONTROL, ord_type=order.ord_type.value)
    if order.tif not in firm.allowed_time_in_force:
        return deny(DenyCode.UNSUPPORTED_TIME_IN_FORCE, CONTROL, tif=order.tif.value)
    if order.quantity <= 0:
        return deny(DenyCode.QUANTITY_NOT_POSITIVE, CONTROL, quantity=order.quantity)
    if not is_multiple(order.quantity, instrument.lot_size):
        return deny(
            DenyCode.QUANTITY_NOT_LOT_MULTIPLE, CONTROL, quantity=order.quantity, lot=instrument.lot_size
        )
    kind = order.ord_type
    for label, price, needed in (
        ("limit_price", order.limit_price, kind is OrdType.LIMIT or kind is OrdType.STOP_LIMIT),
        ("stop_price", order.stop_price, kind is OrdType.STOP or kind is OrdType.STOP_LIMIT),
    ):
        if price is None:
            if needed:
                return deny(DenyCode.PRICE_MISSING, CONTROL, field=label)
            continue
        if price <= 0:
            return deny(DenyCode.PRICE_NOT_POSITIVE, CONTROL, field=label, price=price)
        if not is_multiple(price, instrument.tick_size):
            return deny(
                DenyCode.PRICE_NOT_ON_TICK, CONTROL, field=label, price=price, tick=instrument.tick_size
            )
    if order.tif is TimeInForce.GTD and (order.expire_at is None or order.expire_at <= ctx.now):
        return deny(
            DenyCode.GTD_NOT_IN_FUTURE,
            CONTROL,
            expire_at=order.expire_at.isoformat() if order.expire_at else "missing",
        )
    return None
