"""``gateway bench``: chain-only and full in-process path, pinned to one core.

Chain only: build the check context and run every check for an order that
passes them all. Full path: pipeline.submit with MiFID tagging, abuse
monitors, the simulated venue and a durable SQLite audit log (WAL,
synchronous=FULL, group commit), many orders in flight.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from gateway.heap import settle_heap
from gateway.settings import PACKAGE_DATA, Settings
from risk_controls.chain import default_chain
from risk_controls.checks.context import CheckContext
from risk_controls.domain import Channel, InstrumentBook, NewOrder, OrderOrigin, OrdType, Side, TimeInForce
from risk_controls.domain.clock import SystemClock
from risk_controls.kill_switch import KillSwitch
from risk_controls.policy import parse_policy
from risk_controls.state import RiskState

BENCH_POLICY = """
version = "bench"
restricted = ["TSLA"]
[fx_rates]
USD = "1"
EUR = "1.08"
GBP = "1.27"
CHF = "1.13"
[firm]
id = "BENCH"
name = "Bench"
lei = "FOR8UP27PHTHYVLBNG30"
max_daily_notional = "1000000000000"
max_gross_exposure = "1000000000000"
[firm.trading_hours]
weekdays = [0, 1, 2, 3, 4, 5, 6]
[firm.session_throttle]
max_messages = 10000000
[firm.duplicate]
window_ms = 1
max_count = 1000000
[[accounts]]
id = "B1"
authorized_users = ["bench"]
authorized_sessions = ["bench"]
max_order_quantity = "1000000"
max_order_notional = "1000000000"
max_daily_notional = "1000000000000"
max_gross_exposure = "1000000000000"
max_position = "1000000000"
max_daily_orders = 100000000
throttle = { max_messages = 10000000 }
[accounts.mifid]
client_id = "HWUPKR0MPOU8FGXBT394"
capacity = "AOTC"
[[accounts]]
id = "B2"
beneficial_owner = "OTHER-OWNER"
authorized_users = ["bench"]
authorized_sessions = ["bench"]
max_order_quantity = "1000000"
max_order_notional = "1000000000"
max_daily_notional = "1000000000000"
max_gross_exposure = "1000000000000"
max_position = "1000000000"
max_daily_orders = 100000000
throttle = { max_messages = 10000000 }
[accounts.mifid]
client_id = "INR2EJN1ERAN0W5ZP974"
capacity = "AOTC"
[[traders]]
id = "bench"
[traders.mifid]
investment_decision = "BENCH1"
investment_decision_type = "PERSON"
execution_decision = "BENCH1"
execution_decision_type = "PERSON"
[abuse.layering]
min_orders = 1000000
[abuse.momentum]
max_aggressive_orders = 1000000
"""

ORIGIN = OrderOrigin(Channel.REST, "bench", "bench")
# buys from B1 and sells from B2 (another beneficial owner), so self-trade prevention stays out of it
MIX = ((Side.BUY, "228.60"), (Side.SELL_SHORT_EXEMPT, "228.40"), (Side.BUY, "228.00"))


def _pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return f"pinned to CPU {min(os.sched_getaffinity(0))}"
    except (AttributeError, OSError):
        return "not pinned"


def _freeze_like_serve() -> None:
    """``gateway serve`` settles its start-up heap and collector thresholds; measure the same."""
    settle_heap()


def _percentile(samples: list[int], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))] / 1000.0


def _order(i: int, side: Side, price: str) -> NewOrder:
    account = "B1" if side is Side.BUY else "B2"
    return NewOrder(
        f"b-{i}",
        account,
        "AAPL",
        side,
        Decimal(10),
        OrdType.LIMIT,
        TimeInForce.DAY,
        ORIGIN,
        limit_price=Decimal(price),
    )


def bench_chain(n: int, out: TextIO) -> None:
    loaded = parse_policy(BENCH_POLICY.encode(), "bench")
    policy = loaded.policy
    instruments = InstrumentBook.from_csv(PACKAGE_DATA / "instruments.csv")
    state, kill, chain, clock = RiskState(), KillSwitch(), default_chain(), SystemClock()
    instrument = instruments.get("AAPL")
    order = _order(0, Side.BUY, "228.50")
    account = policy.account("B1")
    latencies: list[int] = []
    _freeze_like_serve()
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter_ns()
        ctx = CheckContext(
            order,
            clock.now(),
            policy,
            state,
            kill,
            "XNAS",
            account,
            instrument,
            policy.instrument("AAPL"),
            instruments.reference_price("AAPL"),
            Decimal(1),
        )
        denial, _results = chain.evaluate(ctx)
        latencies.append(time.perf_counter_ns() - t0)
        assert denial is None, denial
    elapsed = time.perf_counter() - start
    print(
        f"chain only ({len(chain.names)} checks, order passes all): {n / elapsed:,.0f} orders/s  "
        f"p50 {_percentile(latencies, 0.50):.1f} µs  p99 {_percentile(latencies, 0.99):.1f} µs",
        file=out,
    )


async def _bench_full(n: int, in_flight: int, out: TextIO) -> None:
    from gateway.app import build_gateway

    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        policy_path = Path(tmp) / "bench.toml"
        policy_path.write_text(BENCH_POLICY)
        gw = build_gateway(Settings(data_dir=Path(tmp), policy_path=policy_path, fix_config=None))
        pipeline = gw.pipeline
        _freeze_like_serve()
        latencies: list[int] = []
        accepted = 0

        async def one(i: int) -> None:
            nonlocal accepted
            # a third each: buys that cross, short-exempt sells that cross, passive buys that rest
            side, price = MIX[i % 3]
            t0 = time.perf_counter_ns()
            result = await pipeline.submit(_order(i, side, price))
            latencies.append(time.perf_counter_ns() - t0)
            accepted += result.accepted

        start = time.perf_counter()
        cpu_all, cpu_loop = time.process_time(), time.thread_time()
        queue = iter(range(n))

        async def worker() -> None:
            for i in queue:
                await one(i)

        await asyncio.gather(*(worker() for _ in range(in_flight)))
        elapsed = time.perf_counter() - start
        gw.audit.flush(timeout=30)
        cpu_loop = time.thread_time() - cpu_loop
        cpu_all = time.process_time() - cpu_all
        records = gw.audit.head()[0]
        gw.close()
    print(
        f"full path (chain+tags+abuse+sim venue+durable SQLite audit, {in_flight} in flight): "
        f"{n / elapsed:,.0f} orders/s  p50 {_percentile(latencies, 0.50):.0f} µs  "
        f"p99 {_percentile(latencies, 0.99):.0f} µs  accepted {accepted}/{n}  "
        f"audit records {records} ({records / n:.1f}/order)\n"
        f"  cpu per order {cpu_all / n * 1e6:.0f} µs: event loop {cpu_loop / n * 1e6:.0f}, "
        f"audit writer and others {(cpu_all - cpu_loop) / n * 1e6:.0f}",
        file=out,
    )


def machine_yardstick() -> float:
    """Seconds for five million additions in a plain loop: shared machines differ by 2x
    and more, so this puts figures from different runs on one scale."""
    start = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def main(n: int, out: TextIO, pin: bool = True) -> int:
    print(f"gateway bench: {_pin_one_core() if pin else 'not pinned (all cores)'}; {n} orders", file=out)
    print(f"machine yardstick: a 5M-addition loop takes {machine_yardstick():.2f} s", file=out)
    bench_chain(n, out)
    asyncio.run(_bench_full(n, 64, out))
    asyncio.run(_bench_full(max(n // 4, 1000), 1, out))
    print("(one run on a shared machine: compare ratios rather than absolutes)", file=out)
    return 0
