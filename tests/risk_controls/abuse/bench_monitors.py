"""Cost per event of the abuse monitors (not a test: prints figures from one run).

    .venv/bin/python -m tests.risk_controls.abuse.bench_monitors

A realistic mix: 20 accounts x 10 symbols, both sides, 7 price levels around
the reference, a fifth of the orders marketable, an order every 100 us of
simulated time (so the 10 s layering window holds ~100k events), then cancels
and fills of half of them. Reports p50/p99 per call and the mean.
"""

from __future__ import annotations

import gc
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from risk_controls.abuse import AbuseMonitors
from risk_controls.domain import Channel, NewOrder, OrderOrigin, OrdType, Side, TimeInForce
from risk_controls.policy.schema import AbusePolicy

N = 100_000
REFERENCE = Decimal("100.00")
START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def _orders() -> list[NewOrder]:
    origin = OrderOrigin(Channel.FIX, "bench", "bench")
    out = []
    for i in range(1000):
        buy = i % 2 == 0
        offset = Decimal(i % 7 + (0 if i % 5 else -8)) / 100  # every fifth crosses the reference
        price = REFERENCE - offset if buy else REFERENCE + offset
        out.append(
            NewOrder(
                f"c{i}",
                f"ACC-{i % 20}",
                f"SYM{i % 10}",
                Side.BUY if buy else Side.SELL,
                Decimal(100),
                OrdType.LIMIT,
                TimeInForce.DAY,
                origin,
                limit_price=price,
            )
        )
    return out


def _percentiles(samples: list[int]) -> str:
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    mean = statistics.fmean(samples) / 1000
    return f"p50 {p50:.2f} us  p99 {p99:.2f} us  mean {mean:.2f} us"


def main() -> None:
    monitors = AbuseMonitors(AbusePolicy())
    orders = _orders()
    ids = [f"o{i}" for i in range(N)]
    times = [START + timedelta(microseconds=100 * i) for i in range(N)]
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    on_order: list[int] = []
    alerts = 0
    for i in range(N):
        t0 = clock()
        alerts += len(monitors.on_order(ids[i], orders[i % 1000], times[i], REFERENCE))
        on_order.append(clock() - t0)
    on_cancel: list[int] = []
    on_fill: list[int] = []
    end = times[-1]
    for i in range(0, N, 2):
        t0 = clock()
        alerts += len(monitors.on_cancel(ids[i], end))
        on_cancel.append(clock() - t0)
        t0 = clock()
        alerts += len(monitors.on_fill(ids[i + 1], Decimal(50), end))
        on_fill.append(clock() - t0)
    gc.enable()
    print(f"on_order  ({N:,} calls): {_percentiles(on_order)}")
    print(f"on_cancel ({len(on_cancel):,} calls): {_percentiles(on_cancel)}")
    print(f"on_fill   ({len(on_fill):,} calls): {_percentiles(on_fill)}")
    print(f"alerts raised: {alerts}; orders still tracked: {monitors.tracked_orders:,}")


if __name__ == "__main__":
    main()
