"""Chain-only throughput and latency of ``default_chain().evaluate`` for an order that passes
every check, against the sample policy and a risk state with working orders in it.

Complements ``gateway bench`` (which runs an empty state and a permissive policy): here the
self-trade ladder, the exposure lines and the message windows are populated as in a
trading day, and the cost of each check is printed so a regression points at its check.

    .venv/bin/python bench/bench_chain.py [N]      # default N = 50000, one core
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from risk_controls.chain import default_chain
from risk_controls.checks.context import CheckContext
from risk_controls.domain import (
    Channel,
    ExecType,
    ExecutionReport,
    InstrumentBook,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.domain.clock import ManualClock
from risk_controls.kill_switch import KillSwitch
from risk_controls.policy import load_policy_file
from risk_controls.state import RiskState

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "ACC-APPLE-TSY"
ORIGIN = OrderOrigin(Channel.FIX, "DESK1", "jsmith")


def pin_one_core() -> str:
    """One core, as the target is stated; BENCH_CPU picks which (default: the lowest)."""
    try:
        cpu = int(os.environ.get("BENCH_CPU", min(os.sched_getaffinity(0))))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned"


def new_order(i: int, symbol: str, side: Side, qty: int, price: str) -> NewOrder:
    return NewOrder(
        f"bench-{i}",
        ACCOUNT,
        symbol,
        side,
        Decimal(qty),
        OrdType.LIMIT,
        TimeInForce.DAY,
        ORIGIN,
        limit_price=Decimal(price),
    )


def populated_state(book: InstrumentBook, clock: ManualClock) -> RiskState:
    """A day in progress: resting buys in five names, some fills, a message history."""
    state = RiskState()
    now = clock.now()
    state.roll_day(now)
    symbols = ["AAPL", "MSFT", "NVDA", "KO", "JPM"]
    for i in range(200):
        symbol = symbols[i % len(symbols)]
        reference = book.reference_price(symbol)
        assert reference is not None
        price = reference - Decimal("0.50") - Decimal(i // len(symbols)) * Decimal("0.01")
        order = new_order(i, symbol, Side.BUY, 10, str(price))
        working = state.on_accepted(state.next_order_id(now), order, now, "XNAS", price, reference)
        if i % 4 == 0:
            state.on_execution(
                ExecutionReport(
                    working.order_id, f"e{i}", ExecType.PARTIAL_FILL, "XNAS", now, Decimal(5), price
                ),
                Decimal(1),
            )
    for k in range(150):  # messages within the last second
        state.note_message("DESK1", ACCOUNT, now - timedelta(milliseconds=k * 5))
    return state


def main(n: int) -> None:
    pinned = pin_one_core()
    policy = load_policy_file(ROOT / "policies" / "default.toml").policy
    book = InstrumentBook.from_csv(ROOT / "gateway" / "data" / "instruments.csv")
    clock = ManualClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    state = populated_state(book, clock)
    kill = KillSwitch()
    chain = default_chain()
    account = policy.account(ACCOUNT)
    instrument = book.get("AAPL")
    assert instrument is not None
    fx = policy.fx_rate(instrument.currency)
    # a buy at the reference: crosses none of the account's resting buys, passes everything
    order = new_order(10_000, "AAPL", Side.BUY, 100, "228.50")

    def context() -> CheckContext:
        return CheckContext(
            order,
            clock.now(),
            policy,
            state,
            kill,
            instrument.mic,
            account,
            instrument,
            policy.instrument("AAPL"),
            book.reference_price("AAPL"),
            fx,
        )

    denial, _results = chain.evaluate(context())
    assert denial is None, denial

    for _ in range(2000):  # warm up
        chain.evaluate(context())
    latencies: list[int] = []
    perf = time.perf_counter_ns
    start = time.perf_counter()
    for _ in range(n):
        t0 = perf()
        chain.evaluate(context())
        latencies.append(perf() - t0)
    elapsed = time.perf_counter() - start
    latencies.sort()
    p50 = latencies[len(latencies) // 2] / 1000
    p99 = latencies[int(len(latencies) * 0.99)] / 1000
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {pinned}, load {load}, {len(state.working)} working orders")
    print(
        f"chain only ({len(chain.names)} checks incl. building the context), {n} orders that pass: "
        f"{n / elapsed:,.0f} orders/s  p50 {p50:.1f} µs  p99 {p99:.1f} µs  "
        f"mean {statistics.fmean(latencies) / 1000:.1f} µs"
    )
    # per-check cost: each check alone, on a fresh context per call (as the chain sees it)
    rounds = max(1000, n // 10)
    ctxs = [context() for _ in range(rounds)]
    t0 = perf()
    for _ in range(rounds):
        context()
    build = (perf() - t0) / rounds / 1000
    costs = []
    for name, check in chain._checks:
        t0 = perf()
        for ctx in ctxs:
            check(ctx)
        costs.append(((perf() - t0) / rounds / 1000, name))
    print(f"  {'building CheckContext':<24} {build:6.2f} µs")
    for cost, name in sorted(costs, reverse=True):
        print(f"  {name:<24} {cost:6.2f} µs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
