"""Orders as they enter the gateway, and working orders as the gateway tracks them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from risk_controls.domain.money import ZERO


class Side(StrEnum):
    """Order side with Reg SHO 200(g) short marking."""

    BUY = "BUY"
    SELL = "SELL"
    SELL_SHORT = "SELL_SHORT"
    SELL_SHORT_EXEMPT = "SELL_SHORT_EXEMPT"

    @property
    def is_buy(self) -> bool:
        return self is Side.BUY

    @property
    def is_short(self) -> bool:
        return self in (Side.SELL_SHORT, Side.SELL_SHORT_EXEMPT)

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for any sell: the direction of the position change."""
        return 1 if self is Side.BUY else -1


class OrdType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def needs_limit_price(self) -> bool:
        return self in (OrdType.LIMIT, OrdType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        return self in (OrdType.STOP, OrdType.STOP_LIMIT)


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"


class OrderStatus(StrEnum):
    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_working(self) -> bool:
        return self in (
            OrderStatus.PENDING_NEW,
            OrderStatus.NEW,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.PENDING_CANCEL,
        )


class Capacity(StrEnum):
    """MiFID II RTS 22 field 29 trading capacity."""

    DEAL = "DEAL"
    MTCH = "MTCH"
    AOTC = "AOTC"


class Channel(StrEnum):
    """The entry adapter an order came through."""

    FIX = "FIX"
    REST = "REST"
    STRATEGY = "STRATEGY"
    CLI = "CLI"


@dataclass(frozen=True, slots=True)
class OrderOrigin:
    """Who entered an order and through which door.

    ``session`` is the FIX session id, ``rest`` for the REST door, or the
    strategies' session; ``user`` is the person or algorithm that entered it
    (for REST, the token subject).
    """

    channel: Channel
    session: str
    user: str
    strategy: str | None = None

    def __init__(self, channel: Channel, session: str, user: str, strategy: str | None = None) -> None:
        # written out: the dataclass-made __init__ is interpreted even where this module is
        # compiled (see tests/test_initialisers.py, which keeps it in step with the fields)
        object.__setattr__(self, "channel", channel)
        object.__setattr__(self, "session", session)
        object.__setattr__(self, "user", user)
        object.__setattr__(self, "strategy", strategy)

    @property
    def throttle_key(self) -> str:
        """What the message throttle counts per: a FIX session, the strategies' session, and
        for REST, where every client enters through one door, each client on its own."""
        return f"{self.session}:{self.user}" if self.channel is Channel.REST else self.session


@dataclass(frozen=True, slots=True)
class MifidOverrides:
    """MiFID II attributes an order may carry itself; policy decides if they win."""

    client_id: str | None = None
    investment_decision: str | None = None
    execution_decision: str | None = None
    capacity: Capacity | None = None
    waiver: str | None = None
    commodity_derivative: bool | None = None
    sft: bool | None = None


NO_OVERRIDES = MifidOverrides()
"""An order that carries none of its own MiFID attributes (immutable, so shared)."""


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A request for a new order, as normalised by an entry adapter."""

    cl_ord_id: str
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    ord_type: OrdType
    tif: TimeInForce
    origin: OrderOrigin
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    expire_at: datetime | None = None
    locate_id: str | None = None
    venue: str | None = None
    mifid: MifidOverrides = NO_OVERRIDES

    def __init__(
        self,
        cl_ord_id: str,
        account: str,
        symbol: str,
        side: Side,
        quantity: Decimal,
        ord_type: OrdType,
        tif: TimeInForce,
        origin: OrderOrigin,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        expire_at: datetime | None = None,
        locate_id: str | None = None,
        venue: str | None = None,
        mifid: MifidOverrides = NO_OVERRIDES,
    ) -> None:
        # written out, as OrderOrigin's (mypyc makes each object.__setattr__ a plain store):
        # one is built for every order that comes in
        object.__setattr__(self, "cl_ord_id", cl_ord_id)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "ord_type", ord_type)
        object.__setattr__(self, "tif", tif)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "limit_price", limit_price)
        object.__setattr__(self, "stop_price", stop_price)
        object.__setattr__(self, "expire_at", expire_at)
        object.__setattr__(self, "locate_id", locate_id)
        object.__setattr__(self, "venue", venue)
        object.__setattr__(self, "mifid", mifid)


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """A request to cancel a working order, identified by its original client id."""

    cl_ord_id: str
    orig_cl_ord_id: str
    account: str
    origin: OrderOrigin


@dataclass(frozen=True, slots=True)
class ReplaceRequest:
    """A request to change quantity / prices / TIF of a working order."""

    cl_ord_id: str
    orig_cl_ord_id: str
    account: str
    origin: OrderOrigin
    quantity: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce | None = None
    expire_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AppliedFill:
    """One execution as applied to our state: what a bust must take back exactly."""

    quantity: Decimal
    price: Decimal
    fx_rate: Decimal


@dataclass(slots=True)
class WorkingOrder:
    """An accepted order as the gateway tracks it until it is done.

    ``order`` is the order as currently in force (after any replace); the
    quantities here are what the venue has reported.
    """

    order_id: str
    order: NewOrder
    status: OrderStatus
    received_at: datetime
    venue: str
    cum_qty: Decimal = ZERO
    cum_notional: Decimal = ZERO
    venue_order_id: str | None = None
    venue_cl_ord_id: str | None = None
    fills: dict[str, AppliedFill] | None = None
    """Each fill by the venue's exec id, for a later bust or correction (None until the first)."""
    accepted_seq: int | None = None
    """The audit sequence number of its acceptance, once durable (an answer quotes it)."""

    def __init__(
        self,
        order_id: str,
        order: NewOrder,
        status: OrderStatus,
        received_at: datetime,
        venue: str,
        cum_qty: Decimal = ZERO,
        cum_notional: Decimal = ZERO,
        venue_order_id: str | None = None,
        venue_cl_ord_id: str | None = None,
        fills: dict[str, AppliedFill] | None = None,
        accepted_seq: int | None = None,
    ) -> None:
        # written out, as OrderOrigin's: one per accepted order
        self.order_id = order_id
        self.order = order
        self.status = status
        self.received_at = received_at
        self.venue = venue
        self.cum_qty = cum_qty
        self.cum_notional = cum_notional
        self.venue_order_id = venue_order_id
        self.venue_cl_ord_id = venue_cl_ord_id
        self.fills = fills
        self.accepted_seq = accepted_seq

    @property
    def leaves_qty(self) -> Decimal:
        if not self.status.is_working:
            return ZERO
        return max(self.order.quantity - self.cum_qty, ZERO)

    @property
    def avg_px(self) -> Decimal:
        return self.cum_notional / self.cum_qty if self.cum_qty else ZERO

    def replaced_by(self, request: ReplaceRequest) -> NewOrder:
        """The order this one would become if ``request`` were applied."""
        base = self.order
        return replace(
            base,
            cl_ord_id=request.cl_ord_id,
            quantity=request.quantity,
            limit_price=request.limit_price if request.limit_price is not None else base.limit_price,
            stop_price=request.stop_price if request.stop_price is not None else base.stop_price,
            tif=request.tif or base.tif,
            expire_at=request.expire_at or base.expire_at,
            origin=request.origin,
        )
