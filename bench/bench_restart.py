"""Start-up after several days of trading: replaying the whole log vs. from the day's opening.

Trades ``--days`` days of ``--orders`` orders each through the real pipeline into a
SQLite audit log (a manual clock moves a day at a time; at each day's end the desk
cancels what still works, as a venue expires day orders), then times, in this process:

  1. replay of the whole log           (what every start did before risk.day_opened)
  2. restart from the last day opening (what build_gateway does now)

and prints the records each read, the orders the live state holds at the end, and the
ratio of the two start-up times.

    .venv/bin/python bench/bench_restart.py [--days 5] [--orders 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.clock import ChainClock
from audit.factory import open_audit_log
from gateway.app import build_gateway
from gateway.bench import BENCH_POLICY, MIX, _order
from gateway.carry import restart
from gateway.pipeline import OrderPipeline
from gateway.replay import Replayed, replay
from gateway.settings import Settings
from risk_controls.domain import CancelRequest
from risk_controls.domain.clock import ManualClock

START = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def enter(pipeline: OrderPipeline, day: int, numbers: Iterator[int]) -> None:
    for i in numbers:
        side, price = MIX[i % 3]
        await pipeline.submit(replace(_order(i, side, price), cl_ord_id=f"d{day}-{i}"))


async def trade(days: int, orders: int, work: Path, clock: ManualClock) -> tuple[int, int]:
    """Returns (orders the live state holds at the end, records in the log)."""
    policy = work / "bench.toml"
    policy.write_text(BENCH_POLICY)
    # records stamped by the manual clock, as by the wall clock in production: a restart reads
    # the minutes before the last opening by their timestamps
    stamps = ChainClock(source=lambda: (clock.now() - EPOCH) // timedelta(microseconds=1) * 1000)
    audit = open_audit_log(f"sqlite:///{work / 'audit.db'}", clock=stamps)
    settings = Settings(data_dir=work, policy_path=policy, fix_config=None)
    gateway = build_gateway(settings, clock=clock, audit=audit)
    pipeline = gateway.pipeline
    for day in range(days):
        clock.set(START + timedelta(days=day))
        numbers = iter(range(orders))
        await asyncio.gather(*(enter(pipeline, day, numbers) for _ in range(64)))
        clock.advance(6 * 3600)  # the close: what still works is cancelled
        for working in pipeline.working_orders():
            order = working.order
            request = CancelRequest(f"eod-{working.order_id}", order.cl_ord_id, order.account, order.origin)
            await pipeline.cancel(request)
        await asyncio.sleep(0.05)
    gateway.audit.flush(timeout=60)
    held, records = len(pipeline.state.orders), gateway.audit.head()[0]
    gateway.close()
    return held, records


def timed(start: Callable[[], Replayed], rounds: int) -> tuple[float, int]:
    """Median seconds of ``rounds`` starts, and the records one start read."""
    seconds, read = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        replayed = start()
        seconds.append(time.perf_counter() - started)
        read = replayed.records + replayed.read_before_opening
    return statistics.median(seconds), read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--orders", type=int, default=20000, help="orders per day")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        held, records = asyncio.run(trade(args.days, args.orders, work, ManualClock(START)))
        took = time.perf_counter() - started
        print(f"{args.days} days x {args.orders:,} orders: {records:,} records in {took:.1f} s;")
        print(f"the live state holds {held:,} orders at the end")
        log = open_audit_log(f"sqlite:///{work / 'audit.db'}")
        try:
            full, full_read = timed(lambda: replay(log.read()), args.rounds)
            fast, fast_read = timed(lambda: restart(log), args.rounds)
        finally:
            log.close()
    print(f"replay of the whole log:          {full:7.2f} s  ({full_read:,} records)")
    print(f"restart from the last day opening: {fast:7.2f} s  ({fast_read:,} records)")
    print(f"ratio: {full / fast:.1f}x (medians of {args.rounds})")


if __name__ == "__main__":
    main()
