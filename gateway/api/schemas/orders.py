"""Order entry bodies and the order resource."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import (
    Amount,
    DecimalText,
    Identifier,
    Strict,
    Timestamp,
    UtcDatetime,
)
from risk_controls.domain import Capacity, Channel, OrderStatus, OrdType, Side, TimeInForce

OrderState = Literal[
    "PENDING_NEW",
    "NEW",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELED",
    "REPLACED",
    "REJECTED",
    "EXPIRED",
    "DENIED",
]
DENIED = "DENIED"
assert set(OrderState.__args__) == {s.value for s in OrderStatus} | {DENIED}  # type: ignore[attr-defined]


class MifidIn(Strict):
    """MiFID II attributes an order may carry; policy decides whether they may override its defaults."""

    client_id: Identifier | None = None
    investment_decision: Identifier | None = None
    execution_decision: Identifier | None = None
    capacity: Capacity | None = None
    waiver: Identifier | None = None
    commodity_derivative: bool | None = None
    sft: bool | None = None


class OrderIn(Strict):
    """A new order. ``cl_ord_id`` is unique per account: re-sending it is a safe retry."""

    cl_ord_id: Identifier = Field(description="Client order id, unique per account")
    account: Identifier
    symbol: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9./\-]{0,31}$")
    side: Side
    quantity: DecimalText
    ord_type: OrdType
    tif: TimeInForce
    limit_price: DecimalText | None = None
    stop_price: DecimalText | None = None
    expire_at: UtcDatetime | None = Field(None, description="For GTD orders")
    locate_id: Identifier | None = Field(None, description="Short-sale locate (Reg SHO 203(b)(1))")
    venue: Identifier | None = None
    strategy: Identifier | None = Field(None, description="The algorithm the order belongs to, if any")
    mifid: MifidIn | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cl_ord_id": "desk1-000123",
                    "account": "ACC-APPLE-TSY",
                    "symbol": "AAPL",
                    "side": "BUY",
                    "quantity": "100",
                    "ord_type": "LIMIT",
                    "tif": "DAY",
                    "limit_price": "228.50",
                }
            ]
        },
    )


class CancelIn(Strict):
    cl_ord_id: Identifier | None = Field(None, description="Id of the cancel request; generated if absent")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"cl_ord_id": "desk1-000123-c"}]}
    )


class ReplaceIn(Strict):
    """The order as it should become; absent prices and TIF keep their current values."""

    cl_ord_id: Identifier = Field(description="New client order id for the amended order")
    quantity: DecimalText = Field(description="New total quantity (must exceed what is already filled)")
    limit_price: DecimalText | None = None
    stop_price: DecimalText | None = None
    tif: TimeInForce | None = None
    expire_at: UtcDatetime | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"cl_ord_id": "desk1-000123-r1", "quantity": "150", "limit_price": "228.40"}]
        },
    )


class OriginOut(BaseModel):
    channel: Channel
    session: str
    user: str
    strategy: str | None


class DenialOut(BaseModel):
    code: str = Field(examples=["NOTIONAL_EXCEEDS_MAX_PER_ORDER"])
    control: str = Field(examples=["max_order_notional"])
    text: str = Field(examples=["NOTIONAL_EXCEEDS_MAX_PER_ORDER max=5000000 notional=6855000"])
    context: dict[str, str]


class OrderOut(BaseModel):
    """An order as the gateway knows it: accepted (and its state at the venue) or denied."""

    order_id: str
    cl_ord_id: str
    account: str
    symbol: str
    side: Side
    quantity: Amount
    ord_type: OrdType
    tif: TimeInForce
    limit_price: Amount | None
    stop_price: Amount | None
    expire_at: Timestamp | None
    status: OrderState
    cum_qty: Amount
    leaves_qty: Amount
    avg_px: Amount
    venue: str | None
    received_at: Timestamp
    origin: OriginOut
    denial: DenialOut | None
    audit_seq: int | None = Field(description="Sequence number of the acceptance or denial record")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "20261123-00000001",
                    "cl_ord_id": "desk1-000123",
                    "account": "ACC-APPLE-TSY",
                    "symbol": "AAPL",
                    "side": "BUY",
                    "quantity": "100",
                    "ord_type": "LIMIT",
                    "tif": "DAY",
                    "limit_price": "228.50",
                    "stop_price": None,
                    "expire_at": None,
                    "status": "NEW",
                    "cum_qty": "0",
                    "leaves_qty": "100",
                    "avg_px": "0",
                    "venue": "SIM",
                    "received_at": "2026-11-23T14:30:00.123456Z",
                    "origin": {"channel": "REST", "session": "rest", "user": "jsmith", "strategy": None},
                    "denial": None,
                    "audit_seq": 42,
                }
            ]
        }
    )


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last")
