"""``gateway bench``: chain-only and full in-process path, pinned to one core.

Chain only: build the check context and run every check for an order that
passes them all. Full path: pipeline.submit with MiFID tagging, abuse
monitors, the simulated venue and a durable SQLite audit log (WAL,
synchronous=FULL, group commit), many orders in flight.

Each round runs in a fresh interpreter, one after another, and the figures
printed are medians across rounds with their range. One process is not a
fair sample: on these machines the same code runs in about 15 µs per chain
evaluation in most processes and about 26 µs in some (memory layout, a
neighbour on the core), so a single process can be 70% off for its whole
life. pyperf spawns worker processes for the same reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

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


def bench_chain(n: int) -> dict[str, Any]:
    """Orders per second and latency percentiles (µs) of the chain alone."""
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
    return {
        "checks": len(chain.names),
        "rate": n / elapsed,
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
    }


async def _bench_full(n: int, in_flight: int) -> dict[str, Any]:
    """Orders per second, latency (µs), audit records and CPU per order (µs) of the full path."""
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
    return {
        "orders": n,
        "in_flight": in_flight,
        "rate": n / elapsed,
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "accepted": accepted,
        "records": records,
        "cpu": cpu_all / n * 1e6,
        "cpu_loop": cpu_loop / n * 1e6,
    }


def machine_yardstick() -> float:
    """Seconds for five million additions in a plain loop: shared machines differ by 2x
    and more, so this puts figures from different runs on one scale."""
    start = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def one_round(n: int, pin: bool) -> dict[str, Any]:
    """Every figure once, in this process."""
    placement = _pin_one_core() if pin else "not pinned (all cores)"
    return {
        "placement": placement,
        "yardstick": machine_yardstick(),
        "chain": bench_chain(n),
        "full": asyncio.run(_bench_full(n, 64)),
        "single": asyncio.run(_bench_full(max(n // 10, 1000), 1)),
    }


def _fresh_round(n: int, pin: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "gateway.bench", str(n)] + ([] if pin else ["--no-pin"])
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 our own module
    if done.returncode != 0:
        raise RuntimeError(f"bench round failed: {done.stderr.strip()}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def _spread(values: list[float], fmt: str) -> str:
    """The median, then the range across rounds when there is more than one."""
    median = format(statistics.median(values), fmt)
    if len(values) == 1:
        return median
    return f"{median} ({format(min(values), fmt)} to {format(max(values), fmt)})"


def _print_full(rounds: list[dict[str, Any]], key: str, out: TextIO) -> None:
    runs = [r[key] for r in rounds]
    first = runs[0]
    records = statistics.median(r["records"] for r in runs)
    print(
        f"full path (chain+tags+abuse+sim venue+durable SQLite audit, {first['in_flight']} in flight): "
        f"{_spread([r['rate'] for r in runs], ',.0f')} orders/s  "
        f"p50 {_spread([r['p50'] for r in runs], '.0f')} µs  "
        f"p99 {_spread([r['p99'] for r in runs], '.0f')} µs  "
        f"accepted {min(r['accepted'] for r in runs)}/{first['orders']}  "
        f"audit records {records:.0f} ({records / first['orders']:.1f}/order)\n"
        f"  cpu per order {_spread([r['cpu'] for r in runs], '.0f')} µs: "
        f"event loop {statistics.median(r['cpu_loop'] for r in runs):.0f}, "
        f"audit writer and others {statistics.median(r['cpu'] - r['cpu_loop'] for r in runs):.0f}",
        file=out,
    )


def main(n: int, out: TextIO, pin: bool = True, processes: int = 5) -> int:
    """Run ``processes`` rounds in fresh interpreters, one after another; print medians."""
    rounds = []
    for _ in range(processes):
        rounds.append(_fresh_round(n, pin))
    from gateway.native import status

    build = {"native": "native order path (mypyc)", "python": "order path as Python"}.get(status(), status())
    print(
        f"gateway bench: {processes} fresh processes in turn, each {rounds[0]['placement']}; "
        f"{n} orders; {build}; medians across processes (min to max)",
        file=out,
    )
    yardsticks = [r["yardstick"] for r in rounds]
    print(f"machine yardstick: a 5M-addition loop takes {_spread(yardsticks, '.2f')} s", file=out)
    chains = [r["chain"] for r in rounds]
    print(
        f"chain only ({chains[0]['checks']} checks, order passes all): "
        f"{_spread([c['rate'] for c in chains], ',.0f')} orders/s  "
        f"p50 {_spread([c['p50'] for c in chains], '.1f')} µs  "
        f"p99 {_spread([c['p99'] for c in chains], '.1f')} µs",
        file=out,
    )
    _print_full(rounds, "full", out)
    _print_full(rounds, "single", out)
    print("(a shared machine: compare ratios and medians rather than single figures)", file=out)
    return 0


if __name__ == "__main__":  # one round in this process, as JSON: what ``main`` runs in each child
    args = sys.argv[1:]
    print(json.dumps(one_round(int(args[0]), pin="--no-pin" not in args)))
