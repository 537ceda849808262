"""Cost of the simulated venue alone, so the full-path budget can be split sensibly.

``python -m gateway.venues.bench [N]`` prints throughput and p50/p99 per
operation for: a limit order that rests, a limit order that crosses one
level (and fills against the liquidity provider), and a cancel. One run,
one core, wall-clock timer; figures are indicative, not assertions.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

from gateway.venues.liquidity import LiquidityConfig
from gateway.venues.simulated import SimulatedVenue
from risk_controls.domain import (
    Channel,
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

_ORIGIN = OrderOrigin(Channel.CLI, "bench", "bench")


def _instruments() -> InstrumentBook:
    csv = Path(__file__).resolve().parent.parent / "data" / "instruments.csv"
    if csv.exists():
        return InstrumentBook.from_csv(csv)
    return InstrumentBook(
        [
            Instrument(
                "AAPL",
                "US0378331005",
                "XNAS",
                "USD",
                Decimal("0.01"),
                Decimal(1),
                Decimal("228.50"),
                "Apple Inc",
            )
        ]
    )


def _order(oid: str, side: Side, qty: int, price: Decimal) -> RoutedOrder:
    return RoutedOrder(
        oid,
        NewOrder(
            oid,
            "BENCH",
            "AAPL",
            side,
            Decimal(qty),
            OrdType.LIMIT,
            TimeInForce.DAY,
            _ORIGIN,
            limit_price=price,
        ),
    )


def _time(label: str, calls: list[Callable[[], None]]) -> str:
    samples = []
    clock = time.perf_counter_ns
    start = clock()
    for call in calls:
        t0 = clock()
        call()
        samples.append(clock() - t0)
    total = (clock() - start) / 1e9
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    rate = len(calls) / total
    mean = total / len(calls) * 1e6
    return f"{label:<26} {rate:>9,.0f} ops/s  mean {mean:6.1f} us  p50 {p50:6.1f} us  p99 {p99:6.1f} us"


def run(n: int = 20_000) -> list[str]:
    """Time ``n`` of each operation; returns one printable line per operation."""
    venue = SimulatedVenue(
        _instruments(),
        clock=ManualClock(datetime(2025, 1, 2, 15, tzinfo=UTC)),
        liquidity=LiquidityConfig(levels=5, lots_per_level=1_000_000, replenish=True),
    )
    reports: list[ExecutionReport] = []
    venue.connect(reports.append)
    ref = venue.top_of_book("AAPL").bid or Decimal("228.49")
    # Resting bids spread over 50 levels below the provider's ladder.
    rest = [_order(f"r{i}", Side.BUY, 10, ref - Decimal("0.05") - Decimal(i % 50) / 100) for i in range(n)]
    lines = [_time("submit, rests", [partial(venue.submit, o) for o in rest])]
    ask = venue.top_of_book("AAPL").ask
    assert ask is not None
    cross = [_order(f"x{i}", Side.BUY, 10, ask) for i in range(n)]
    lines.append(_time("submit, crosses one level", [partial(venue.submit, o) for o in cross]))
    cancels = [o.order_id for o in rest]
    lines.append(_time("cancel resting", [partial(venue.cancel, c) for c in cancels]))
    lines.append(f"reports delivered: {len(reports):,}")
    return lines


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    for line in run(n):
        print(line)


if __name__ == "__main__":
    main()
