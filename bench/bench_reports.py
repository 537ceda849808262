"""Report generation on a synthetic 1,000,000-event day: time and peak memory.

Writes the day into a SQLite audit store (audit.factory.open_audit_log, group
commit, a signed checkpoint every 10,000 records) with the events.py payload
builders, then measures in fresh child processes (so each peak RSS is that of
one generation alone):

  1. the order-blotter CSV                (target <= 30 s)
  2. the full PDF pack ("all", pdf)       (target <= 60 s)

and, to show that memory does not grow with the number of records, the same
two runs on a day a tenth of the size.

    .venv/bin/python bench/bench_reports.py [--events 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer
from audit.clock import ChainClock
from audit.factory import open_sql_audit_log
from audit.sql_store import CheckpointPolicy
from risk_controls import events as ev
from risk_controls.domain import (
    Channel,
    CheckOutcome,
    CheckResult,
    DenyCode,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.domain.decisions import deny

DAY = date(2026, 11, 20)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CONTROLS = (
    "kill_switch", "account_enabled", "authorized_for_account", "trading_hours", "order_sanity",
    "restricted_list", "max_order_quantity", "max_order_notional", "price_collar",
    "duplicate_order", "session_throttle", "credit_limit", "position_limit", "short_sale",
    "market_abuse", "mifid_tagging",
)  # fmt: skip
PASSES = [CheckResult(c, CheckOutcome.PASS) for c in CONTROLS]
SYMBOLS = {"AAPL": ("US0378331005", "228.50"), "MSFT": ("US5949181045", "415.20"),
           "NVDA": ("US67066G1040", "140.35"), "AMZN": ("US0231351067", "201.10")}
ACCOUNTS = ("ACC-APPLE-TSY", "ACC-MSFT-TSY", "ACC-HOUSE")
DENIALS = (
    (DenyCode.CREDIT_LIMIT_EXCEEDED, "credit_limit"),
    (DenyCode.PRICE_OUTSIDE_COLLAR, "price_collar"),
    (DenyCode.DUPLICATE_ORDER, "duplicate_order"),
    (DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER, "max_order_notional"),
)
POLICY = 'version = "bench"\n[firm]\nlei = "FOR8UP27PHTHYVLBNG30"\n'
TAGS = {"client_id": "FOR8UP27PHTHYVLBNG30", "client_id_type": "LEI",
        "investment_decision": "US1980JSMITH", "investment_decision_type": "PERSON",
        "execution_decision": "US1980JSMITH", "execution_decision_type": "PERSON",
        "algo_indicator": False, "algo_id": None, "capacity": "AOTC",
        "short_selling_indicator": None, "waiver": None, "commodity_derivative": False,
        "sft": False}


class Day:
    """Writes one synthetic order lifecycle at a time until ``events`` records exist."""

    def __init__(self, log: Any, events: int) -> None:
        self.log, self.target, self.count, self.n = log, events, 0, 0
        self.rng = random.Random(7)
        self.ticket: Any = None
        self.policy_hash = "0" * 64

    def add(self, event_type: str, payload: dict[str, Any]) -> None:
        self.ticket = self.log.append(event_type, payload)
        self.count += 1
        if self.count % 5000 == 0:
            self.ticket.result(30)  # bound the store's queue

    def order(self) -> None:
        self.n += 1
        rng = self.rng
        symbol = rng.choice(list(SYMBOLS))
        isin, price = SYMBOLS[symbol]
        order = NewOrder(
            f"C{self.n:08d}", rng.choice(ACCOUNTS), symbol, rng.choice((Side.BUY, Side.SELL)),
            Decimal(rng.choice((100, 200, 500))), OrdType.LIMIT, TimeInForce.DAY,
            OrderOrigin(Channel.FIX, "DESK1", "jsmith"), limit_price=Decimal(price),
        )  # fmt: skip
        oid = f"O{self.n:08d}"
        self.add(ev.ORDER_RECEIVED, ev.received_payload(oid, order, isin))
        roll = rng.random()
        if roll < 0.10:
            code, control = DENIALS[self.n % len(DENIALS)]
            denial = deny(code, control, limit="5000000")
            checks = [*PASSES[: CONTROLS.index(control)], CheckResult(control, CheckOutcome.DENY, denial)]
            self.add(ev.ORDER_DENIED, ev.denied_payload(oid, order, denial, checks, self.policy_hash))
            return
        self.add(ev.ORDER_ACCEPTED, ev.accepted_payload(oid, order, PASSES, TAGS, [], self.policy_hash))
        self.add(ev.ORDER_ROUTED, ev.routed_payload(oid, "SIM", "XNAS"))
        self.exec(oid, ExecType.NEW)
        if roll < 0.25:
            self.add(ev.CANCEL_REQUESTED, {"order_id": oid, "cl_ord_id": f"X{self.n}",
                                           "orig_cl_ord_id": order.cl_ord_id,
                                           "account": order.account,
                                           "origin": ev.origin_payload(order.origin)})
            self.exec(oid, ExecType.CANCELED)
            return
        if roll < 0.40:
            half = order.quantity / 2
            self.exec(oid, ExecType.PARTIAL_FILL, half, price)
            self.exec(oid, ExecType.FILL, half, price)
        else:
            self.exec(oid, ExecType.FILL, order.quantity, price)
        if roll > 0.9995:
            self.add(ev.ABUSE_ALERT, ev.abuse_alert_payload(
                "layering", order.account, symbol, "ALERT", oid, "layering pattern",
                {"orders": "9"}))

    def exec(self, oid: str, kind: ExecType, qty: Decimal | None = None, px: str | None = None
             ) -> None:
        report = ExecutionReport(
            oid, f"E{self.count}", kind, "SIM", datetime(2026, 11, 20, tzinfo=UTC),
            qty, Decimal(px) if px else None, f"V{oid}", f"T{self.count}" if qty else None,
        )  # fmt: skip
        self.add(ev.EXECUTION, ev.execution_payload(report))

    def write(self, clock: SpreadClock) -> None:
        self.add(ev.POLICY_LOADED, ev.policy_loaded_payload(
            "a" * 64, None, "policies/firm.toml", "ops", "start of day", POLICY))
        self.policy_hash = "a" * 64
        while self.count < self.target - 2:
            self.order()
            if self.n == 50_000:
                self.add(ev.KILL_ENGAGED, ev.kill_engaged_payload(
                    "account", "ACC-HOUSE", "HALT", "bench", "risk.officer", []))
                self.add(ev.KILL_RELEASED, ev.kill_released_payload(
                    "account", "ACC-HOUSE", "bench", "risk.officer", "cro"))
        self.log.flush(120)
        clock.next_day = True  # the next morning: a record and the checkpoint covering the day
        self.add(ev.GATEWAY_STARTED, {"version": "bench"})
        self.log.checkpoint_now().result(30)
        self.log.flush(120)


class SpreadClock:
    """Timestamps spread evenly over the day, one step per call of the store's writer;
    after ``next_day`` is set, times in the first minutes of the next day."""

    def __init__(self, events: int) -> None:
        self.start = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp()) * 10**9
        self.step = (86_400 * 10**9 - 10**9) // (events + events // 10_000 + 10)
        self.calls = 0
        self.next_day = False

    def __call__(self) -> int:
        self.calls += 1
        if self.next_day:
            return self.start + 86_400 * 10**9 + self.calls * 1000
        return self.start + self.calls * self.step


def make_day(path: Path, events: int) -> float:
    began = time.perf_counter()
    clock = SpreadClock(events)
    log = open_sql_audit_log(
        f"sqlite:///{path}", clock=ChainClock(source=clock),
        checkpoints=CheckpointPolicy(Ed25519Signer(KEY), every=10_000, interval=None),
    )  # fmt: skip
    try:
        Day(log, events).write(clock)
    finally:
        log.close()
    return time.perf_counter() - began


def measure(db: Path, name: str, fmt: str) -> dict[str, Any]:
    """Run in a child: generate the report and print elapsed seconds and peak RSS."""
    from reporting import generate_report

    log = open_sql_audit_log(f"sqlite:///{db}")
    try:
        began, cpu = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory() as out:
            paths = generate_report(name, log, DAY, DAY, fmt, Path(out), KEY)
            sizes = {p.name: p.stat().st_size for p in paths if p.suffix in (".csv", ".pdf")}
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        log.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2),
            "peak_rss_mb": round(peak, 1), "files": sizes}


def child(db: Path, name: str, fmt: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(db), name, fmt],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def baseline_rss() -> float:
    code = "import resource, reporting; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    return int(out.stdout) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="directory for the SQLite days (reused)")
    parser.add_argument("--measure", nargs=3, metavar=("DB", "NAME", "FMT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        db, name, fmt = args.measure
        print(json.dumps(measure(Path(db), name, fmt)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"interpreter + reporting imported: {baseline_rss():.0f} MB RSS; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for events in (args.events // 10, args.events):
        db = work / f"day-{events}.db"
        if not db.exists():
            seconds = make_day(db, events)
            print(f"\n{events:,} events written to {db} in {seconds:.1f} s "
                  f"({events / seconds:,.0f} records/s, SQLite store, group commit)")
        else:
            print(f"\n{events:,} events: reusing {db}")
        for label, name, fmt, target in (
            ("order-blotter CSV", "order-blotter", "csv", 30),
            ("full PDF pack   ", "all", "pdf", 60),
        ):
            r = child(db, name, fmt)
            size = sum(r["files"].values()) / 1e6
            print(f"  {label}: {r['seconds']:6.1f} s wall, {r['cpu_seconds']:6.1f} s CPU "
                  f"(target {target} s at 1M)  "
                  f"peak RSS {r['peak_rss_mb']:6.0f} MB  output {size:.1f} MB "
                  f"in {len(r['files'])} files")


if __name__ == "__main__":
    main()
