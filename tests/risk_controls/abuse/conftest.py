"""Helpers for driving the abuse monitors with a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from risk_controls.domain import Channel, NewOrder, OrderOrigin, OrdType, Side, TimeInForce
from risk_controls.domain.clock import ManualClock
from risk_controls.policy.schema import AbusePolicy, LayeringMonitor, MomentumMonitor

START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)
REFERENCE = Decimal("100.00")
ORIGIN = OrderOrigin(Channel.FIX, "DESK1", "trader")


def abuse_policy(
    layering: dict[str, Any] | None = None, momentum: dict[str, Any] | None = None
) -> AbusePolicy:
    """The sample policy's calibration unless a test says otherwise."""
    base_layering: dict[str, Any] = {
        "window_seconds": "10",
        "min_orders": 8,
        "min_levels": 3,
        "max_order_to_trade_ratio": "8",
        "max_cancel_ratio": "0.8",
    }
    base_momentum: dict[str, Any] = {"window_ms": 1000, "max_aggressive_orders": 15}
    return AbusePolicy(
        layering=LayeringMonitor.model_validate({**base_layering, **(layering or {})}),
        momentum=MomentumMonitor.model_validate({**base_momentum, **(momentum or {})}),
    )


def order(
    side: Side = Side.BUY,
    price: str | None = "100.00",
    *,
    account: str = "ACC-1",
    symbol: str = "AAPL",
    ord_type: OrdType | None = None,
    quantity: str = "100",
) -> NewOrder:
    if ord_type is None:
        ord_type = OrdType.MARKET if price is None else OrdType.LIMIT
    return NewOrder(
        cl_ord_id="c",
        account=account,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        ord_type=ord_type,
        tif=TimeInForce.DAY,
        origin=ORIGIN,
        limit_price=None if price is None else Decimal(price),
        stop_price=Decimal(price) if ord_type in (OrdType.STOP, OrdType.STOP_LIMIT) and price else None,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)
