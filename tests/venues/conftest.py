"""Fixtures for the simulated venue: instruments, a manual clock, a recording sink."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import pytest

from gateway.venues import LiquidityConfig, SimulatedVenue
from risk_controls.domain import (
    Channel,
    ExecType,
    ExecutionReport,
    Instrument,
    InstrumentBook,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.domain.clock import ManualClock
from risk_controls.venue import RoutedOrder

SHARED_CSV = Path("/work/shared/data/instruments.csv")
START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)
ORIGIN = OrderOrigin(Channel.CLI, "test-session", "tester")


def D(text: Decimal | str | int) -> Decimal:
    return Decimal(str(text))


def make_instruments() -> InstrumentBook:
    """Two instruments with different tick and lot sizes, so rounding bugs show."""
    return InstrumentBook(
        [
            Instrument("AAPL", "US0378331005", "XNAS", "USD", D("0.01"), D(1), D("100.00"), "A"),
            Instrument("LOTS", "GB0000000000", "XLON", "GBP", D("0.05"), D(10), D("5.00"), "L"),
            Instrument("NOREF", "US0000000000", "XNAS", "USD", D("0.01"), D(1), None, "N"),
        ]
    )


def order(
    order_id: str,
    side: Side | str,
    qty: Decimal | int | str,
    price: Decimal | int | str | None = None,
    *,
    ord_type: OrdType | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    stop: Decimal | int | str | None = None,
    symbol: str = "AAPL",
    account: str = "ACC1",
    expire_at: datetime | None = None,
) -> RoutedOrder:
    """A routed order; the type defaults to LIMIT with a price, MARKET without."""
    if ord_type is None:
        ord_type = OrdType.LIMIT if price is not None else OrdType.MARKET
    return RoutedOrder(
        order_id,
        NewOrder(
            cl_ord_id=f"cl-{order_id}",
            account=account,
            symbol=symbol,
            side=Side(side),
            quantity=D(qty),
            ord_type=ord_type,
            tif=tif,
            origin=ORIGIN,
            limit_price=None if price is None else D(price),
            stop_price=None if stop is None else D(stop),
            expire_at=expire_at,
        ),
    )


class Reports:
    """The report sink: keeps every report in delivery order."""

    def __init__(self) -> None:
        self.all: list[ExecutionReport] = []

    def __call__(self, report: ExecutionReport) -> None:
        self.all.append(report)

    def clear(self) -> None:
        self.all.clear()

    def for_order(self, order_id: str) -> list[ExecutionReport]:
        return [r for r in self.all if r.order_id == order_id]

    def kinds(self, order_id: str | None = None) -> list[ExecType]:
        reports = self.all if order_id is None else self.for_order(order_id)
        return [r.exec_type for r in reports]

    def filled(self, order_id: str) -> Decimal:
        return sum(
            (r.last_qty or Decimal(0) for r in self.for_order(order_id) if r.last_qty),
            Decimal(0),
        )

    def fills(self, order_id: str) -> list[tuple[Decimal | None, Decimal | None]]:
        return [(r.last_qty, r.last_px) for r in self.for_order(order_id) if r.trade_id]


class VenueFactory(Protocol):
    """The ``make_venue`` fixture: a connected venue and its report sink."""

    def __call__(
        self, liquidity: LiquidityConfig | None = None, instruments: InstrumentBook | None = None
    ) -> tuple[SimulatedVenue, Reports]: ...


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def make_venue(clock: ManualClock) -> VenueFactory:
    """Build a connected venue; empty books unless a LiquidityConfig is given."""

    def build(
        liquidity: LiquidityConfig | None = None, instruments: InstrumentBook | None = None
    ) -> tuple[SimulatedVenue, Reports]:
        venue = SimulatedVenue(
            instruments or make_instruments(), clock=clock, liquidity=liquidity
        )
        reports = Reports()
        venue.connect(reports)
        return venue, reports

    return build


@pytest.fixture
def venue(make_venue: VenueFactory) -> tuple[SimulatedVenue, Reports]:
    return make_venue()
