"""A short scripted session on the embedded default, printed for a person to read.

Runs in a fresh temporary directory: accepted orders and fills, denials with
their reason codes, a market-abuse alert, a kill switch that cancels working
orders, a TWAP strategy going through the same pipeline, and a verified chain.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from gateway.app import Gateway, build_gateway
from gateway.settings import Settings
from risk_controls.domain import (
    CancelRequest,
    Channel,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.entry import OrderUpdate, SubmitResult
from risk_controls.kill_switch import KillScope
from strategies.twap import TwapExecutor, TwapPlan

DESK = OrderOrigin(Channel.FIX, "DESK1", "jsmith")


def _order(
    cl: str,
    account: str,
    symbol: str,
    side: Side,
    qty: str,
    price: str | None = None,
    origin: OrderOrigin = DESK,
    **extra: object,
) -> NewOrder:
    return NewOrder(
        cl_ord_id=cl,
        account=account,
        symbol=symbol,
        side=side,
        quantity=Decimal(qty),
        ord_type=OrdType.LIMIT if price else OrdType.MARKET,
        tif=TimeInForce.DAY if price else TimeInForce.IOC,
        origin=origin,
        limit_price=Decimal(price) if price else None,
        **extra,  # type: ignore[arg-type]
    )


class Narrator:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.fills: list[OrderUpdate] = []

    def section(self, title: str) -> None:
        print(f"\n== {title} ==", file=self.out)

    def result(self, label: str, result: SubmitResult) -> None:
        verdict = (
            "ACCEPTED" if result.accepted else f"DENIED   {result.denial.text() if result.denial else ''}"
        )
        print(f"  {label:<44} {result.order_id}  {verdict}", file=self.out)

    def on_update(self, update: OrderUpdate) -> None:
        if update.report is not None and update.report.last_qty:
            self.fills.append(update)


async def run_demo(out: TextIO, workdir: Path) -> int:
    settings = Settings(
        data_dir=workdir,
        policy_path=Path(__file__).resolve().parent.parent / "policies" / "default.toml",
        fix_config=None,
    )
    if not settings.policy_path.exists():
        from gateway.settings import PACKAGE_DATA

        settings = Settings(
            data_dir=workdir, policy_path=PACKAGE_DATA / "default-policy.toml", fix_config=None
        )
    gateway = build_gateway(settings)
    try:
        return await _script(gateway, Narrator(out))
    finally:
        gateway.close()


async def _script(gw: Gateway, say: Narrator) -> int:
    p = gw.pipeline
    p.subscribe(say.on_update)
    loaded = gw.policies.current
    print(f"Audit store : {gw.settings.resolved_audit_url}", file=say.out)
    print(
        f"Policy      : {gw.settings.policy_path} sha256={loaded.content_hash[:16] if loaded else '-'}…",
        file=say.out,
    )

    say.section("1. Orders accepted and filled against the simulated book")
    say.result(
        "buy 500 MSFT @ market (fills)",
        await p.submit(_order("d-1", "ACC-APPLE-TSY", "MSFT", Side.BUY, "500")),
    )
    say.result(
        "buy 300 AAPL limit 229.00 (crosses)",
        await p.submit(_order("d-2", "ACC-APPLE-TSY", "AAPL", Side.BUY, "300", "229.00")),
    )
    say.result(
        "buy 100 JPM limit 240.00 (rests)",
        await p.submit(_order("d-3", "ACC-APPLE-TSY", "JPM", Side.BUY, "100", "240.00")),
    )
    say.result(
        "sell 200 MSFT limit 414.00 (closes part)",
        await p.submit(_order("d-4", "ACC-APPLE-TSY", "MSFT", Side.SELL, "200", "414.00")),
    )
    await asyncio.sleep(0.05)
    for fill in say.fills:
        r = fill.report
        assert r is not None
        print(
            f"  fill {fill.order_id} {fill.order.side.value:<4} {r.last_qty} {fill.order.symbol}"
            f" @ {r.last_px}"
            f"  status={fill.status.value}",
            file=say.out,
        )

    say.section("2. Denied by the 15c3-5 control chain (each with its stable code)")
    cases = [
        (
            "notional over the account's per-order max",
            _order("d-5", "ACC-MSFT-TSY", "SPY", Side.BUY, "5000", "595.80"),
        ),
        ("price outside the collar", _order("d-6", "ACC-APPLE-TSY", "AAPL", Side.BUY, "10", "260.00")),
        ("restricted instrument", _order("d-7", "ACC-APPLE-TSY", "TSLA", Side.BUY, "10", "338.90")),
        ("user not authorized for the account", _order("d-8", "ACC-HOUSE", "IBM", Side.BUY, "10", "222.40")),
        ("closed account", _order("d-9", "ACC-DORMANT", "KO", Side.BUY, "1", "63.15")),
        (
            "short sale without a locate",
            _order("d-10", "ACC-APPLE-TSY", "KO", Side.SELL_SHORT, "100", "63.15"),
        ),
        ("price not on tick", _order("d-11", "ACC-APPLE-TSY", "AAPL", Side.BUY, "10", "228.505")),
        ("same client order id again", _order("d-1", "ACC-APPLE-TSY", "MSFT", Side.BUY, "1")),
        (
            "duplicate of an order just sent",
            _order("d-12", "ACC-APPLE-TSY", "JPM", Side.BUY, "100", "240.00"),
        ),
    ]
    for label, order in cases:
        say.result(label, await p.submit(order))

    say.section("3. Market abuse: bids layered at nine prices, a sale on the other side, bids cancelled")
    alerts_before = len([r for r in gw.audit.read() if r.event_type == "abuse.alert"])
    await p.submit(_order("lay-long", "ACC-APPLE-TSY", "IBM", Side.BUY, "100"))
    prices = ["221.90", "221.80", "221.70", "221.60", "221.50", "221.40", "221.30", "221.20", "221.10"]
    for i, price in enumerate(prices):
        await p.submit(_order(f"lay-{i}", "ACC-APPLE-TSY", "IBM", Side.BUY, "100", price))
    # the sale hits the provider's best bid; the layered bids below are never meant to trade
    await p.submit(_order("lay-sell", "ACC-APPLE-TSY", "IBM", Side.SELL, "100", "222.39"))
    for i in range(len(prices)):
        await p.cancel(CancelRequest(f"lay-c{i}", f"lay-{i}", "ACC-APPLE-TSY", DESK))
    await asyncio.sleep(0.05)
    alerts = [r for r in gw.audit.read() if r.event_type == "abuse.alert"][alerts_before:]
    for record in alerts:
        print(
            f"  ALERT {record.payload['monitor']}: {record.payload['message']} (seq {record.seq})",
            file=say.out,
        )
    if not alerts:
        print("  (no alert raised)", file=say.out)

    say.section("4. A TWAP strategy sends its slices through the same pipeline")
    twap = TwapExecutor(
        p,
        # slices 1.05 s apart: identical child orders closer than the policy's one-second
        # duplicate window would (rightly) be denied as duplicative
        TwapPlan("twap-1", "ACC-HOUSE", "NVDA", Side.BUY, Decimal(900), slices=3, interval_seconds=1.05),
        gw.instruments.reference_price,
    )
    report = await twap.run(cl_ord_prefix="demo-")
    await asyncio.sleep(0.05)
    print(
        f"  {len(report.submitted)} slices, {sum(r.accepted for r in report.submitted)} accepted, "
        f"filled {report.filled_quantity} NVDA",
        file=say.out,
    )

    say.section("5. Kill switch on account ACC-APPLE-TSY")
    for i, price in enumerate(["62.00", "61.90", "61.80"]):
        await p.submit(_order(f"k-{i}", "ACC-APPLE-TSY", "KO", Side.BUY, "50", price))
    working = len(p.working_orders(account="ACC-APPLE-TSY"))
    outcome = await gw.kill.engage(
        KillScope.ACCOUNT, "ACC-APPLE-TSY", "demo: runaway algo suspected", "risk.officer"
    )
    await asyncio.sleep(0.05)
    print(
        f"  engaged: {working} working orders, {outcome.cancelled} cancelled at the venue, "
        f"{len(p.working_orders(account='ACC-APPLE-TSY'))} left working",
        file=say.out,
    )
    say.result(
        "new order while halted", await p.submit(_order("k-9", "ACC-APPLE-TSY", "KO", Side.BUY, "5", "63.00"))
    )
    await gw.kill.release(KillScope.ACCOUNT, "ACC-APPLE-TSY", "demo: all clear", "risk.officer")
    say.result(
        "new order after release",
        await p.submit(_order("k-10", "ACC-APPLE-TSY", "KO", Side.BUY, "5", "63.00")),
    )

    say.section("6. Audit log")
    gw.audit.flush(timeout=10)
    counts = Counter(r.event_type for r in gw.audit.read())
    for kind, count in sorted(counts.items()):
        print(f"  {kind:<28} {count}", file=say.out)
    verdict = _verify(gw)
    print(f"  chain verification: {verdict}", file=say.out)
    return 0 if verdict.startswith("OK") else 1


def _verify(gw: Gateway) -> str:
    from audit.sql_store import SqlAuditLog
    from audit.verify_store import verify_store

    assert isinstance(gw.audit, SqlAuditLog)
    gw.audit.checkpoint_now().result(timeout=10)  # sign the head so the whole session is covered
    result = verify_store(gw.audit, keys=gw.checkpoint_keys(), merkle="recompute")
    if not result.ok:
        return f"FAULT {result.fault}"
    return (
        f"OK: {result.records} records, seq {result.first_seq}..{result.last_seq}, "
        f"head {result.head_hash[:16]}…, Merkle roots recomputed, "
        f"{result.checkpoints} signed checkpoint(s) verified"
    )


def main(out: TextIO) -> int:
    with tempfile.TemporaryDirectory(prefix="gateway-demo-") as tmp:
        return asyncio.run(run_demo(out, Path(tmp)))
