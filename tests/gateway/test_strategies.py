"""Strategies use the same door as everyone else, and the controls apply to them."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from gateway.app import Gateway
from risk_controls import events as ev
from risk_controls.domain import DenyCode, ExecType, ExecutionReport, Side
from risk_controls.kill_switch import KillScope
from strategies.twap import TwapExecutor, TwapPlan, slice_quantities
from tests.gateway.conftest import SpyVenue


def test_slices_are_lot_multiples_that_add_up() -> None:
    assert slice_quantities(Decimal(1000), 3, Decimal(1)) == [Decimal(333), Decimal(333), Decimal(334)]
    assert sum(slice_quantities(Decimal(1250), 4, Decimal(100))) == Decimal(1250)
    assert slice_quantities(Decimal(0), 3, Decimal(1)) == []


def test_twap_children_go_through_the_chain_and_are_tagged_as_algo(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, spy = memory_gateway
    plan = TwapPlan("twap-1", "ACC-HOUSE", "NVDA", Side.BUY, Decimal(600), slices=3, interval_seconds=0)

    async def scenario() -> None:
        twap = TwapExecutor(gateway.pipeline, plan, gateway.instruments.reference_price)
        # identical child orders in the same instant are duplicative: the chain stops the second
        report = await twap.run()
        assert len(report.submitted) == 2 and report.submitted[0].accepted
        assert report.submitted[1].denial is not None
        assert report.submitted[1].denial.code is DenyCode.DUPLICATE_ORDER
        assert report.stopped_reason is not None and report.stopped_reason.startswith("DUPLICATE_ORDER")
        accepted = [dict(r.payload) for r in gateway.audit.read() if r.event_type == ev.ORDER_ACCEPTED]
        tags = accepted[0]["tags"]
        assert tags["algo_indicator"] is True and tags["algo_id"] == "ALGO-TWAP-1"
        assert [r.order.origin.strategy for r in spy.received] == ["twap-1"]

    asyncio.run(scenario())


def test_a_strategy_kill_switch_stops_the_strategy(memory_gateway: tuple[Gateway, SpyVenue]) -> None:
    gateway, spy = memory_gateway
    plan = TwapPlan("twap-1", "ACC-HOUSE", "NVDA", Side.BUY, Decimal(600), slices=3, interval_seconds=0)

    async def scenario() -> None:
        await gateway.kill.engage(KillScope.STRATEGY, "twap-1", "algo misbehaving", "ro1")
        report = await TwapExecutor(gateway.pipeline, plan, gateway.instruments.reference_price).run()
        assert report.submitted[0].denial is not None
        assert report.submitted[0].denial.code is DenyCode.KILL_SWITCH_ENGAGED
        assert spy.received == []

    asyncio.run(scenario())


def test_twap_filled_quantity_follows_a_venue_correcting_and_busting_a_child_fill(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    """The strategy counts each child's cumulative quantity, so a correction is not counted
    as another fill and a bust takes the quantity back."""
    gateway, _ = memory_gateway
    plan = TwapPlan("twap-1", "ACC-HOUSE", "NVDA", Side.BUY, Decimal(100), slices=1, interval_seconds=0)

    async def scenario() -> None:
        twap = TwapExecutor(gateway.pipeline, plan, gateway.instruments.reference_price)
        report = await twap.run()
        await asyncio.sleep(0.01)
        fills = [
            dict(r.payload) for r in gateway.audit.read()
            if r.event_type == ev.EXECUTION and r.payload["exec_type"] in ("PARTIAL_FILL", "FILL")
        ]  # fmt: skip
        assert fills and report.filled_quantity == sum(Decimal(f["last_qty"]) for f in fills)
        first = fills[0]
        when = gateway.pipeline.clock.now()

        def amend(exec_id: str, kind: ExecType, ref: str, qty: str | None) -> None:
            price = Decimal(first["last_px"]) if qty else None
            gateway.pipeline.on_venue_report(
                ExecutionReport(first["order_id"], exec_id, kind, "SIM", when,
                                last_qty=Decimal(qty) if qty else None, last_px=price, ref_exec_id=ref)
            )  # fmt: skip

        before = report.filled_quantity
        amend("c-1", ExecType.TRADE_CORRECT, first["exec_id"], "1")
        await asyncio.sleep(0.01)
        assert report.filled_quantity == before - Decimal(first["last_qty"]) + 1
        amend("c-1x", ExecType.TRADE_CANCEL, "c-1", None)
        await asyncio.sleep(0.01)
        assert report.filled_quantity == before - Decimal(first["last_qty"])

    asyncio.run(scenario())
