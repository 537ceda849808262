"""Application messages <-> the domain model, as pure functions.

Inbound: NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest
(G), OrderStatusRequest (H), OrderMassCancelRequest (q) become domain requests.
A missing or ill-typed field raises a :class:`~fix.errors.FieldError` (the
session answers with a Reject); a well-formed order the gateway will not take
raises :class:`OrderRefused`, answered with ExecutionReport Rejected.

Outbound: ExecutionReport (8), OrderCancelReject (9), OrderMassCancelReport
(r) as field lists. Quantities and prices are Decimal end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Final, TypeVar

from fix import tags as t
from fix.errors import MissingTag
from fix.message import Field, FixMessage
from fix.parties import Party, overrides_from, read_parties
from fix.values import format_utc_timestamp, parse_local_date, to_bytes
from risk_controls.domain import (
    NO_OVERRIDES,
    CancelRequest,
    Capacity,
    Channel,
    DenyCode,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    OrdType,
    ReplaceRequest,
    Side,
    TimeInForce,
)
from risk_controls.domain.decisions import deny

E = TypeVar("E")

SIDES = {b"1": Side.BUY, b"2": Side.SELL, b"5": Side.SELL_SHORT, b"6": Side.SELL_SHORT_EXEMPT}
SIDE_CODES = {v: k for k, v in SIDES.items()}
ORD_TYPES = {b"1": OrdType.MARKET, b"2": OrdType.LIMIT, b"3": OrdType.STOP, b"4": OrdType.STOP_LIMIT}
ORD_TYPE_CODES = {v: k for k, v in ORD_TYPES.items()}
TIFS = {
    b"0": TimeInForce.DAY,
    b"1": TimeInForce.GTC,
    b"3": TimeInForce.IOC,
    b"4": TimeInForce.FOK,
    b"6": TimeInForce.GTD,
}
TIF_CODES = {v: k for k, v in TIFS.items()}
ORD_STATUS_CODES = {
    OrderStatus.PENDING_NEW: b"A",
    OrderStatus.NEW: b"0",
    OrderStatus.PARTIALLY_FILLED: b"1",
    OrderStatus.FILLED: b"2",
    OrderStatus.PENDING_CANCEL: b"6",
    OrderStatus.CANCELED: b"4",
    OrderStatus.REPLACED: b"0",
    OrderStatus.REJECTED: b"8",
    OrderStatus.EXPIRED: b"C",
}


class ExecType:
    """ExecType (150) values; fills differ between 4.2 (1, 2) and 4.4 (F)."""

    NEW: Final = b"0"
    PARTIAL_FILL_42: Final = b"1"
    FILL_42: Final = b"2"
    TRADE: Final = b"F"
    CANCELED: Final = b"4"
    REPLACED: Final = b"5"
    PENDING_CANCEL: Final = b"6"
    REJECTED: Final = b"8"
    EXPIRED: Final = b"C"
    PENDING_REPLACE: Final = b"E"
    ORDER_STATUS: Final = b"I"
    TRADE_CORRECT: Final = b"G"  # 4.4; 4.2 says ExecTransType 2 instead
    TRADE_CANCEL: Final = b"H"  # 4.4; 4.2 says ExecTransType 1 instead


_TRANS_TYPE_42 = {ExecType.TRADE_CANCEL: b"1", ExecType.TRADE_CORRECT: b"2", ExecType.ORDER_STATUS: b"3"}


_LIMIT_CODES = frozenset(
    {
        DenyCode.QUANTITY_EXCEEDS_MAX_PER_ORDER,
        DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER,
        DenyCode.CREDIT_LIMIT_EXCEEDED,
        DenyCode.FIRM_CREDIT_LIMIT_EXCEEDED,
        DenyCode.POSITION_LIMIT_EXCEEDED,
        DenyCode.GROSS_EXPOSURE_EXCEEDED,
        DenyCode.FIRM_GROSS_EXPOSURE_EXCEEDED,
        DenyCode.DAILY_ORDER_COUNT_EXCEEDED,
    }
)
_REJ_REASON_44 = {
    DenyCode.UNKNOWN_INSTRUMENT: 1,
    DenyCode.OUTSIDE_TRADING_HOURS: 2,
    DenyCode.UNKNOWN_ORDER: 5,
    DenyCode.DUPLICATE_ORDER: 6,
    DenyCode.DUPLICATE_CL_ORD_ID: 6,
    DenyCode.UNSUPPORTED_ORDER_TYPE: 11,
    DenyCode.UNSUPPORTED_TIME_IN_FORCE: 11,
    DenyCode.QUANTITY_NOT_POSITIVE: 13,
    DenyCode.QUANTITY_NOT_LOT_MULTIPLE: 13,
    DenyCode.ACCOUNT_UNKNOWN: 15,
}


def ord_rej_reason(code: DenyCode, begin_string: str) -> int:
    """OrdRejReason (103) for a denial; FIX 4.2 only knows 0-8, so the rest is 0 there."""
    reason = 3 if code in _LIMIT_CODES else _REJ_REASON_44.get(code, 99)
    if begin_string == "FIX.4.2" and reason > 8:
        return 0
    return reason


def cxl_rej_reason(code: DenyCode | None, begin_string: str) -> int:
    """CxlRejReason (102): unknown order 1, too late 0, otherwise broker option 2."""
    if code is DenyCode.UNKNOWN_ORDER:
        return 1
    if code is DenyCode.ORDER_NOT_WORKING:
        return 0
    return 2


ENTRY_CONTROL = "fix_entry"
"""The control a refusal by the FIX adapter itself names (the chain never saw the order)."""


class OrderRefused(Exception):
    """A well-formed order the adapter refuses itself (answered by ExecutionReport Rejected)."""

    def __init__(self, code: DenyCode, **context: object) -> None:
        self.denial = deny(code, ENTRY_CONTROL, **context)
        super().__init__(self.denial.text())

    @property
    def code(self) -> DenyCode:
        return self.denial.code

    @property
    def text(self) -> str:
        return self.denial.text()


@dataclass(frozen=True, slots=True)
class EntryContext:
    """What the mapping needs to know about the session an order came in on."""

    session: str
    begin_string: str
    allowed_accounts: frozenset[str]
    default_account: str | None = None
    mifid_defaults: MifidOverrides = field(default_factory=MifidOverrides)
    capacity_map: dict[str, Capacity] = field(default_factory=dict)
    default_user: str = "fix"

    def origin(self, message: FixMessage) -> OrderOrigin:
        user = message.get_str(t.SENDER_SUB_ID) or self.default_user
        return _origin(self.session, user)

    def account(self, message: FixMessage) -> str:
        account = message.get_str(t.ACCOUNT) or self.default_account
        if account is None:
            raise OrderRefused(DenyCode.ACCOUNT_UNKNOWN, missing="Account(1)")
        if account not in self.allowed_accounts:
            raise OrderRefused(DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT, account=account, session=self.session)
        return account


@lru_cache(maxsize=1024)
def _origin(session: str, user: str) -> OrderOrigin:
    return OrderOrigin(Channel.FIX, session, user)


@dataclass(frozen=True, slots=True)
class ParsedOrder:
    """A NewOrderSingle as the domain sees it plus the Parties to echo back."""

    order: NewOrder
    parties: list[Party]

    def __init__(self, order: NewOrder, parties: list[Party]) -> None:
        # written out: the dataclass-made __init__ is interpreted (tests/test_initialisers.py)
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "parties", parties)


def _enum(
    message: FixMessage,
    tag: int,
    table: Mapping[bytes, E],
    code: DenyCode,
    name: str,
    default: bytes | None = None,
) -> E:
    raw = message.get(tag) or default
    if raw is None:
        raise MissingTag(tag)
    value = table.get(raw)
    if value is None:
        raise OrderRefused(code, **{name: raw.decode(errors="replace")})
    return value


def _side(message: FixMessage) -> Side:
    return _enum(message, t.SIDE, SIDES, DenyCode.UNSUPPORTED_ORDER_TYPE, "side")


def _tif(message: FixMessage) -> TimeInForce:
    return _enum(message, t.TIME_IN_FORCE, TIFS, DenyCode.UNSUPPORTED_TIME_IN_FORCE, "time_in_force", b"0")


def _expire_at(message: FixMessage) -> datetime | None:
    expire = message.get_time(t.EXPIRE_TIME)
    if expire is not None:
        return expire
    raw = message.get(t.EXPIRE_DATE)
    if raw is None:
        return None
    day = parse_local_date(t.EXPIRE_DATE, raw)
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=UTC)


def _capacity(message: FixMessage, ctx: EntryContext) -> Capacity | None:
    raw = message.get_str(t.ORDER_CAPACITY)
    if raw is None:
        return ctx.mifid_defaults.capacity
    capacity = ctx.capacity_map.get(raw)
    if capacity is None:
        raise OrderRefused(DenyCode.MIFID_FIELD_MISSING, field="capacity", order_capacity=raw)
    return capacity


def _commodity_flag(message: FixMessage) -> bool | None:
    attributes = message.groups(
        t.NO_ORDER_ATTRIBUTES,
        t.ORDER_ATTRIBUTE_TYPE,
        frozenset({t.ORDER_ATTRIBUTE_VALUE}),
    )
    for entry in attributes:
        values = dict(entry)
        if values.get(t.ORDER_ATTRIBUTE_TYPE) == b"3":
            return values.get(t.ORDER_ATTRIBUTE_VALUE) == b"Y"
    return None


def _mifid(message: FixMessage, ctx: EntryContext, parties: list[Party]) -> MifidOverrides:
    """Identifiers the order names, the session's defaults filling the gaps."""
    given = overrides_from(message, parties)
    defaults = ctx.mifid_defaults
    capacity = _capacity(message, ctx)
    commodity = _commodity_flag(message) if t.NO_ORDER_ATTRIBUTES in message else None
    if given is NO_OVERRIDES and capacity == defaults.capacity and commodity is None:
        return defaults
    return MifidOverrides(
        client_id=given.client_id or defaults.client_id,
        investment_decision=given.investment_decision or defaults.investment_decision,
        execution_decision=given.execution_decision or defaults.execution_decision,
        capacity=capacity,
        commodity_derivative=commodity,
    )


def parse_new_order(message: FixMessage, ctx: EntryContext) -> ParsedOrder:
    """NewOrderSingle (D) -> NewOrder, session MiFID defaults filling the gaps."""
    cl_ord_id = message.require_str(t.CL_ORD_ID)
    symbol = message.require_str(t.SYMBOL)
    side = _side(message)
    quantity = message.require_decimal(t.ORDER_QTY)
    ord_type_value = _enum(message, t.ORD_TYPE, ORD_TYPES, DenyCode.UNSUPPORTED_ORDER_TYPE, "ord_type")
    tif = _tif(message)
    account = ctx.account(message)
    parties = read_parties(message) if t.NO_PARTY_IDS in message else []
    mifid = _mifid(message, ctx, parties)
    order = NewOrder(
        cl_ord_id=cl_ord_id,
        account=account,
        symbol=symbol,
        side=side,
        quantity=quantity,
        ord_type=ord_type_value,
        tif=tif,
        origin=ctx.origin(message),
        limit_price=message.get_decimal(t.PRICE),
        stop_price=message.get_decimal(t.STOP_PX),
        expire_at=_expire_at(message),
        locate_id=message.get_str(t.LOCATE_BROKER),
        venue=message.get_str(t.EX_DESTINATION),
        mifid=mifid,
    )
    return ParsedOrder(order, parties)


def parse_cancel(message: FixMessage, ctx: EntryContext) -> CancelRequest:
    """OrderCancelRequest (F)."""
    return CancelRequest(
        cl_ord_id=message.require_str(t.CL_ORD_ID),
        orig_cl_ord_id=message.require_str(t.ORIG_CL_ORD_ID),
        account=ctx.account(message),
        origin=ctx.origin(message),
    )


def parse_replace(message: FixMessage, ctx: EntryContext) -> ReplaceRequest:
    """OrderCancelReplaceRequest (G): new quantity, prices, time in force."""
    tif = _tif(message) if t.TIME_IN_FORCE in message else None
    return ReplaceRequest(
        cl_ord_id=message.require_str(t.CL_ORD_ID),
        orig_cl_ord_id=message.require_str(t.ORIG_CL_ORD_ID),
        account=ctx.account(message),
        origin=ctx.origin(message),
        quantity=message.require_decimal(t.ORDER_QTY),
        limit_price=message.get_decimal(t.PRICE),
        stop_price=message.get_decimal(t.STOP_PX),
        tif=tif,
        expire_at=_expire_at(message),
    )


# ------------------------------------------------------------------ outbound


@dataclass(frozen=True, slots=True)
class OrderView:
    """The state of one order as a report describes it."""

    order_id: str
    cl_ord_id: str
    order: NewOrder
    status: OrderStatus
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal
    orig_cl_ord_id: str | None = None
    parties: tuple[Party, ...] = ()

    def __init__(
        self,
        order_id: str,
        cl_ord_id: str,
        order: NewOrder,
        status: OrderStatus,
        cum_qty: Decimal,
        leaves_qty: Decimal,
        avg_px: Decimal,
        orig_cl_ord_id: str | None = None,
        parties: tuple[Party, ...] = (),
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted even where this module is
        # compiled, and every report makes one (tests/test_initialisers.py)
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "cl_ord_id", cl_ord_id)
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "cum_qty", cum_qty)
        object.__setattr__(self, "leaves_qty", leaves_qty)
        object.__setattr__(self, "avg_px", avg_px)
        object.__setattr__(self, "orig_cl_ord_id", orig_cl_ord_id)
        object.__setattr__(self, "parties", parties)


@dataclass(frozen=True, slots=True)
class Fill:
    last_qty: Decimal
    last_px: Decimal
    venue_mic: str | None = None
    trade_id: str | None = None


def _exec_type_42(exec_type: bytes, status_code: bytes, status: OrderStatus) -> bytes:
    """FIX 4.2 says status reports, busts and corrections in ExecTransType (20); its ExecType
    (150) then repeats the order's status, or the fill type for a bust or correction."""
    if exec_type == ExecType.ORDER_STATUS:
        return status_code
    if exec_type in (ExecType.TRADE_CANCEL, ExecType.TRADE_CORRECT):
        return ExecType.FILL_42 if status is OrderStatus.FILLED else ExecType.PARTIAL_FILL_42
    return exec_type


NOT_APPLICABLE = b"[N/A]"
"""Symbol (55) where the request named none: the FIX convention for "no symbol" (an empty
value is a malformed field the counterparty would reject)."""


def execution_report(
    view: OrderView,
    exec_type: bytes,
    exec_id: str,
    begin_string: str,
    transact_time: datetime,
    *,
    text: str | None = None,
    ord_rej_reason: int | None = None,
    fill: Fill | None = None,
    ord_status: bytes | None = None,
    status_req_id: str | None = None,
    exec_ref_id: str | None = None,
) -> list[Field]:
    """ExecutionReport (8) body for FIX 4.2 or 4.4."""
    from fix.parties import write_parties

    order = view.order
    is_42 = begin_string == "FIX.4.2"
    body: list[Field] = [
        (t.ORDER_ID, view.order_id.encode()),
        (t.CL_ORD_ID, view.cl_ord_id.encode()),
    ]
    if view.orig_cl_ord_id:
        body.append((t.ORIG_CL_ORD_ID, view.orig_cl_ord_id.encode()))
    if status_req_id and not is_42:
        body.append((t.ORD_STATUS_REQ_ID, status_req_id.encode()))
    body.extend(write_parties(list(view.parties), begin_string))
    body.append((t.EXEC_ID, exec_id.encode()))
    if exec_ref_id is not None:
        body.append((t.EXEC_REF_ID, exec_ref_id.encode()))
    status_code = ord_status or ORD_STATUS_CODES[view.status]
    if is_42:
        body.append((t.EXEC_TRANS_TYPE, _TRANS_TYPE_42.get(exec_type, b"0")))
        exec_type = _exec_type_42(exec_type, status_code, view.status)
    body.append((t.EXEC_TYPE, exec_type))
    body.append((t.ORD_STATUS, status_code))
    if ord_rej_reason is not None:
        body.append((t.ORD_REJ_REASON, b"%d" % ord_rej_reason))
    body.extend(_order_fields(order))
    if fill is not None:
        body.append((t.LAST_QTY, to_bytes(fill.last_qty)))
        body.append((t.LAST_PX, to_bytes(fill.last_px)))
        if fill.venue_mic:
            body.append((t.LAST_MKT, fill.venue_mic.encode()))
        if fill.trade_id and not is_42:  # TrdMatchID (880) is not an ExecutionReport field in 4.4
            body.append((t.SECONDARY_EXEC_ID, fill.trade_id.encode()))
    body.append((t.LEAVES_QTY, to_bytes(view.leaves_qty)))
    body.append((t.CUM_QTY, to_bytes(view.cum_qty)))
    body.append((t.AVG_PX, to_bytes(view.avg_px)))
    body.append((t.TRANSACT_TIME, format_utc_timestamp(transact_time, 6 if not is_42 else 3)))
    if text:
        body.append((t.TEXT, text.encode()))
    return body


def _order_fields(order: NewOrder) -> list[Field]:
    """The order as an ExecutionReport restates it, Account (1) through TimeInForce (59)."""
    body: list[Field] = []
    if order.account:  # optional; a request refused for lacking one has none to echo
        body.append((t.ACCOUNT, order.account.encode()))
    body.append((t.SYMBOL, order.symbol.encode() if order.symbol else NOT_APPLICABLE))
    body.append((t.SIDE, SIDE_CODES[order.side]))
    body.append((t.ORDER_QTY, to_bytes(order.quantity)))
    body.append((t.ORD_TYPE, ORD_TYPE_CODES[order.ord_type]))
    if order.limit_price is not None:
        body.append((t.PRICE, to_bytes(order.limit_price)))
    if order.stop_price is not None:
        body.append((t.STOP_PX, to_bytes(order.stop_price)))
    body.append((t.TIME_IN_FORCE, TIF_CODES[order.tif]))
    return body


def rejected_order_view(order_id: str, order: NewOrder, parties: list[Party]) -> OrderView:
    """The view of an order refused on entry: nothing done, nothing left."""
    zero = Decimal(0)
    return OrderView(
        order_id, order.cl_ord_id, order, OrderStatus.REJECTED, zero, zero, zero, parties=tuple(parties)
    )


_RESTATED_AS_SENT: Final = frozenset((t.SIDE, t.ORD_TYPE, t.TIME_IN_FORCE))


def restated_as_sent(body: list[Field], sent: FixMessage) -> list[Field]:
    """A Rejected report with side, order type and time in force as the desk sent them: an
    order refused for a value the gateway does not support has no value of ours to show,
    and a desk reconciling its rejects needs its own back, not a stand-in."""
    restated: list[Field] = []
    for tag, value in body:
        if tag in _RESTATED_AS_SENT:
            value = sent.get(tag) or value
        restated.append((tag, value))
    return restated


def cancel_reject(
    *,
    order_id: str | None,
    cl_ord_id: str,
    orig_cl_ord_id: str,
    ord_status: bytes,
    response_to_replace: bool,
    reason: int,
    text: str,
    account: str | None = None,
) -> list[Field]:
    """OrderCancelReject (9): 434=1 for a cancel, 2 for a replace."""
    body: list[Field] = [
        (t.ORDER_ID, (order_id or "NONE").encode()),
        (t.CL_ORD_ID, cl_ord_id.encode()),
        (t.ORIG_CL_ORD_ID, orig_cl_ord_id.encode()),
        (t.ORD_STATUS, ord_status),
    ]
    if account:
        body.append((t.ACCOUNT, account.encode()))
    body.append((t.CXL_REJ_RESPONSE_TO, b"2" if response_to_replace else b"1"))
    body.append((t.CXL_REJ_REASON, b"%d" % reason))
    body.append((t.TEXT, text.encode()))
    return body


def mass_cancel_report(
    *,
    cl_ord_id: str,
    report_id: str,
    request_type: bytes,
    accepted: bool,
    affected: int,
    text: str | None = None,
    symbol: str | None = None,
    reject_reason: int | None = None,
) -> list[Field]:
    """OrderMassCancelReport (r); MassCancelResponse 0 means the request was refused."""
    body: list[Field] = [
        (t.CL_ORD_ID, cl_ord_id.encode()),
        (t.ORDER_ID, report_id.encode()),
        (t.MASS_CANCEL_REQUEST_TYPE, request_type),
        (t.MASS_CANCEL_RESPONSE, request_type if accepted else b"0"),
    ]
    if not accepted and reject_reason is not None:
        body.append((t.MASS_CANCEL_REJECT_REASON, b"%d" % reject_reason))
    body.append((t.TOTAL_AFFECTED_ORDERS, b"%d" % affected))
    if symbol:
        body.append((t.SYMBOL, symbol.encode()))
    if text:
        body.append((t.TEXT, text.encode()))
    return body


def unknown_order_status(
    *,
    cl_ord_id: str,
    symbol: str,
    side: bytes,
    exec_id: str,
    begin_string: str,
    transact_time: datetime,
    status_req_id: str | None = None,
) -> list[Field]:
    """ExecutionReport answering an OrderStatusRequest for an order we do not know."""
    is_42 = begin_string == "FIX.4.2"
    body: list[Field] = [(t.ORDER_ID, b"NONE"), (t.CL_ORD_ID, cl_ord_id.encode())]
    if status_req_id and not is_42:
        body.append((t.ORD_STATUS_REQ_ID, status_req_id.encode()))
    body.append((t.EXEC_ID, exec_id.encode()))
    if is_42:
        body.append((t.EXEC_TRANS_TYPE, b"3"))
    body += [
        (t.EXEC_TYPE, b"8" if is_42 else ExecType.ORDER_STATUS),
        (t.ORD_STATUS, b"8"),
        (t.ORD_REJ_REASON, b"5"),
        (t.SYMBOL, symbol.encode() if symbol else NOT_APPLICABLE),
        (t.SIDE, side),
        (t.LEAVES_QTY, b"0"),
        (t.CUM_QTY, b"0"),
        (t.AVG_PX, b"0"),
        (t.TRANSACT_TIME, format_utc_timestamp(transact_time, 3 if is_42 else 6)),
        (t.TEXT, f"UNKNOWN_ORDER cl_ord_id={cl_ord_id}".encode()),
    ]
    return body
