"""A new UTC day: done orders are forgotten, and a restart starts from the day's opening.

Without this the risk state would hold every order since the log began, and every
start would replay six years of records. The property: over random days of trading,
the state a restart rebuilds from the last ``risk.day_opened`` record equals the state
a replay of the whole log gives, and both equal the live pipeline's.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace as dc_replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.factory import open_audit_log
from audit.memory import MemoryAuditLog
from gateway.carry import day_opened_payload, restart
from gateway.metrics import GatewayMetrics
from gateway.replay import replay
from risk_controls import events as ev
from risk_controls.domain import (
    AppliedFill,
    Capacity,
    Channel,
    ExecType,
    ExecutionReport,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.domain.clock import ManualClock
from risk_controls.kill_switch import KillEntry, KillMode, KillScope, KillSwitch
from risk_controls.state import RiskState
from tests.gateway.conftest import make_gateway, order
from tests.gateway.random_day import START, Step, play, steps, ticking


def comparable(state: RiskState, kill_switch: KillSwitch) -> dict[str, Any]:
    """Everything a restart must give back, as the day's opening would carry it; times the
    log stamps itself (when an order was received, a switch engaged) and books that hold
    nothing (the controls create them on first look) left out."""
    carried = day_opened_payload(state, kill_switch, None, [], 0)
    for item in carried["orders"]:
        del item["received_at"]
    for entry in carried["kill_switch"]:
        del entry["engaged_at"]
    carried["orders"].sort(key=lambda item: item["order_id"])
    carried["cl_ord_ids"].sort()
    carried["resting"].sort()
    carried["kill_switch"].sort(key=lambda entry: (entry["scope"], entry["target"]))
    carried["accounts"] = {
        name: {
            **book,
            "symbols": {s: v for s, v in book["symbols"].items() if any(Decimal(x) for x in v[:3])},
        }
        for name, book in sorted(carried["accounts"].items())
        if any(Decimal(x) for s in book["symbols"].values() for x in s[:3])
        or Decimal(book["open_notional"])
        or book["orders_today"]
    }
    return carried


def good_till_cancelled(new: NewOrder) -> NewOrder:
    return dc_replace(new, tif=TimeInForce.GTC)


def _holds(line: list[str]) -> bool:
    """A position line with a position or open orders (not one a check merely looked at)."""
    return any(Decimal(x) for x in line[:3])


LATE = START.replace(hour=23, minute=58)
"""Trading starts two minutes before midnight, so a day may open minutes after orders were
entered (those stay, done or not) or a whole day later (the done ones go)."""
GAP = st.sampled_from([timedelta(minutes=3), timedelta(hours=24)])
DAYS = st.lists(
    st.tuples(GAP, st.lists(steps(max_quantity=3000, new_weight=4), min_size=4, max_size=16)),
    min_size=2,
    max_size=3,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DAYS)
def test_a_restart_from_the_days_opening_rebuilds_what_a_full_replay_does(
    days: list[tuple[timedelta, list[Step]]],
) -> None:
    clock = ManualClock(LATE)
    audit = MemoryAuditLog(now=ticking(clock))
    with tempfile.TemporaryDirectory() as tmp:
        gateway, _ = make_gateway(Path(tmp), audit, clock)
        pipeline = gateway.pipeline

        async def trade() -> None:
            start = LATE
            for number, (gap, day) in enumerate(days):
                start = start + gap if number else start
                clock.set(start)
                await play(gateway, clock, day)
                await asyncio.sleep(0.01)

        asyncio.run(trade())
        live = comparable(pipeline.state, pipeline.kill_switch)
        full = replay(audit.read())
        fast = restart(audit)
        opened = audit.last_seq_of(ev.DAY_OPENED)  # none when no day saw an order
        assert fast.first_seq == (opened or 1)
        assert comparable(full.state, full.kill_switch) == live
        assert comparable(fast.state, fast.kill_switch) == live
        assert fast.policy_hash == full.policy_hash and fast.policy_content == full.policy_content
        assert fast.state.order_sequence == full.state.order_sequence == pipeline.state.order_sequence
        if opened is not None:  # the day's orders, and what the opening carried (working or recent)
            carried = {item["order_id"] for item in next(audit.read(opened, opened)).payload["orders"]}
            today = f"{pipeline.state.trading_day:%Y%m%d}-"
            held = pipeline.state.orders.items()
            assert all(w.status.is_working or oid.startswith(today) or oid in carried for oid, w in held)
        gateway.close()


def test_done_orders_are_forgotten_at_the_days_close_and_a_restart_reads_one_day(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Over SQLite: a filled order's ClOrdID is free the next day (FIX scopes it to a day),
    a resting GTC order carries over with its reservation and still answers to its ClOrdID,
    a late bust of the forgotten fill is on record, and a restart replays only from the
    day's opening yet keeps the position."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, spy = make_gateway(tmp_path, open_audit_log(url), clock)
    pipeline = gateway.pipeline

    def report(order_id: str, exec_id: str, kind: ExecType, **fields: Any) -> None:
        pipeline.on_venue_report(ExecutionReport(order_id, exec_id, kind, "SIM", clock.now(), **fields))

    async def two_days() -> tuple[str, str]:
        filled = await pipeline.submit(order("d-1", qty="10", price="228.50"))
        resting = await pipeline.submit(good_till_cancelled(order("d-2", qty="5", price="220.00")))
        assert filled.accepted and resting.accepted
        report(filled.order_id, "F1", ExecType.FILL, last_qty=Decimal(10), last_px=Decimal("228.50"))
        await asyncio.sleep(0.05)
        assert pipeline.state.order_by_cl_ord_id("ACC-APPLE-TSY", "d-2") is not None
        clock.advance(24 * 3600)
        again = await pipeline.submit(order("d-1", qty="10", price="228.50"))  # the next day
        assert again.accepted, again.denial
        duplicate = await pipeline.submit(good_till_cancelled(order("d-2", qty="5", price="220.00")))
        assert duplicate.denial is not None and duplicate.denial.code.value == "DUPLICATE_CL_ORD_ID"
        report(filled.order_id, "F1X", ExecType.TRADE_CANCEL, ref_exec_id="F1")
        await asyncio.sleep(0.05)
        return filled.order_id, resting.order_id

    filled_id, resting_id = asyncio.run(two_days())
    gateway.audit.flush(timeout=10)
    assert filled_id not in pipeline.state.orders
    assert pipeline.state.reservations[resting_id].price_base == Decimal("220.00")
    position = pipeline.state.exposure("ACC-APPLE-TSY", "AAPL").position
    unmatched = [r.payload for r in gateway.audit.read() if r.event_type == ev.EXEC_UNMATCHED]
    busts = [(u["order_id"], u["ref_exec_id"]) for u in unmatched if u["exec_type"] == "TRADE_CANCEL"]
    assert busts == [(filled_id, "F1")]
    # the simulated venue never saw the manual fill: it expires the order the next day too
    scrape = GatewayMetrics(gateway).render().decode()
    assert 'gateway_venue_unmatched_reports_total{venue="SIM"} 2.0' in scrape, scrape
    # the GTC order carried over and the day's new one (a refused duplicate never is an order)
    assert f"gateway_risk_state_orders {len(pipeline.state.orders)}.0" in scrape
    assert len(pipeline.state.orders) == 2
    opened = gateway.audit.last_seq_of(ev.DAY_OPENED)
    assert opened is not None
    gateway.close()

    reopened = open_audit_log(url)
    head = reopened.head()[0]
    again, _ = make_gateway(tmp_path, reopened, clock)
    try:
        assert again.replayed.first_seq == opened > 1
        assert again.replayed.records == head - opened  # the day's records, not the log's
        assert again.pipeline.state.exposure("ACC-APPLE-TSY", "AAPL").position == position
        assert again.pipeline.state.order_by_cl_ord_id("ACC-APPLE-TSY", "d-2") is not None
        assert filled_id not in again.pipeline.state.orders
        assert (
            comparable(again.pipeline.state, again.pipeline.kill_switch)["orders"]
            == comparable(replay(again.audit.read()).state, again.pipeline.kill_switch)["orders"]
        )
    finally:
        again.close()
    assert spy.received  # the orders did reach the venue


def test_a_day_opening_the_store_missed_is_recorded_once_it_is_back(clock: ManualClock) -> None:
    """The store is down as the day opens: the opening is written again once it is back,
    as a snapshot of the state then, and a restart starts from it (not from the day
    before, which would keep yesterday's done orders and their ClOrdIDs)."""
    audit = MemoryAuditLog(now=ticking(clock))
    with tempfile.TemporaryDirectory() as tmp:
        gateway, _ = make_gateway(Path(tmp), audit, clock)
        pipeline = gateway.pipeline

        async def store_down_at_the_opening() -> None:
            first = await pipeline.submit(order("y-1", qty="10", price="228.50"))
            assert first.accepted
            pipeline.on_venue_report(
                ExecutionReport(first.order_id, "Y1", ExecType.FILL, "SIM", clock.now(),
                                last_qty=Decimal(10), last_px=Decimal("228.50"))
            )  # fmt: skip
            await asyncio.sleep(0.01)
            yesterdays = audit.last_seq_of(ev.DAY_OPENED)  # the first day opened too
            clock.advance(24 * 3600)
            audit.available = False
            down = await pipeline.submit(order("t-1", qty="10", price="228.50"))
            assert down.denial is not None and down.denial.code.value == "AUDIT_UNAVAILABLE"
            clock.advance(0.5)
            await pipeline.submit(order("t-1b", qty="10", price="228.50"))  # a retry, failed too
            audit.available = True
            clock.advance(0.1)  # within a second of that retry: not yet
            assert (await pipeline.submit(order("t-2", qty="5", price="228.50"))).accepted
            assert audit.last_seq_of(ev.DAY_OPENED) == yesterdays
            clock.advance(1)
            assert (await pipeline.submit(order("t-3", qty="5", price="228.50"))).accepted
            clock.advance(5)
            assert (await pipeline.submit(order("y-1", qty="5", price="228.50"))).accepted
            await asyncio.sleep(0.01)

        asyncio.run(store_down_at_the_opening())
        openings = [r for r in audit.read() if r.event_type == ev.DAY_OPENED]
        assert len(openings) == 2 and openings[1].payload["late"] is True
        carried = {item["order"]["cl_ord_id"] for item in openings[1].payload["orders"]}
        assert "y-1" not in carried and {"t-2"} <= carried  # yesterday's fill is gone
        live = comparable(pipeline.state, pipeline.kill_switch)
        fast = restart(audit)
        full = replay(audit.read())
        assert fast.first_seq == openings[1].seq
        assert comparable(fast.state, fast.kill_switch) == live
        assert comparable(full.state, full.kill_switch) == live
        gateway.close()


def test_a_day_opening_this_gateway_cannot_read_means_replaying_the_whole_log(
    tmp_path: Path, clock: ManualClock
) -> None:
    """One written by a newer version, say: the start is slower, never wrong."""
    audit = MemoryAuditLog()
    gateway, _ = make_gateway(tmp_path, audit, clock)
    assert asyncio.run(gateway.pipeline.submit(order("u-1", qty="10", price="228.50"))).accepted
    audit.append(ev.DAY_OPENED, {"format": 99, "orders": "in some new shape"})
    replayed = restart(audit)
    assert replayed.first_seq == 1 and replayed.records == audit.head()[0]
    assert replayed.state.order_by_cl_ord_id("ACC-APPLE-TSY", "u-1") is not None
    gateway.close()


def test_the_day_opening_carries_every_field_of_a_working_order_through_the_store(tmp_path: Path) -> None:
    """Through canonical JSON and back: a partly filled short-sale stop-limit GTD order at a
    FIX venue, with its venue ids, fill (with its FX rate) and reservation, a resting
    ladder, a REDUCING kill switch and a disabled account."""
    state = RiskState()
    state.roll_day(START)
    new = NewOrder(
        cl_ord_id="g-1",
        account="ACC-APPLE-TSY",
        symbol="AAPL",
        side=Side.SELL_SHORT,
        quantity=Decimal("300"),
        ord_type=OrdType.STOP_LIMIT,
        tif=TimeInForce.GTD,
        origin=OrderOrigin(Channel.FIX, "DESK1", "jsmith", "strat-7"),
        limit_price=Decimal("228.50"),
        stop_price=Decimal("228.40"),
        expire_at=START + timedelta(days=3),
        locate_id="LOC9",
        venue="XVENUE",
        mifid=MifidOverrides("CLIENT1", "ID1", "EX1", Capacity.DEAL, "RFPT", False, True),
    )
    order_id = "20261123-00000007"
    resting = dc_replace(new, cl_ord_id="g-2", ord_type=OrdType.LIMIT)
    for oid, version in ((order_id, new), ("20261123-00000008", resting)):
        state.on_accepted(oid, version, START, "XVENUE", Decimal("228.50"), Decimal("228.45"))
    acked = ExecutionReport(
        order_id, "E1", ExecType.NEW, "XVENUE", START, venue_order_id="V1", venue_cl_ord_id="g-1.2"
    )
    fill = ExecutionReport(
        order_id, "E2", ExecType.PARTIAL_FILL, "XVENUE", START, Decimal("100"), Decimal("228.55")
    )
    state.on_execution(acked, Decimal(1))
    state.on_execution(fill, Decimal("1.0850"))
    state.orders[order_id].accepted_seq = 41  # the other never became durable
    state.execution_disabled.add("ACC-MSFT-TSY")
    kill = KillSwitch()
    kill.engage(KillEntry(KillScope.INSTRUMENT, "KO", KillMode.REDUCING, "halt KO", "ro1", START))
    store = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        payload = day_opened_payload(state, kill, None, ["20261123-00000008"], 0)
        store.append(ev.DAY_OPENED, payload).result(timeout=5)
        back = restart(store)
    finally:
        store.close()

    assert back.state.orders == state.orders and back.state.working == state.working
    assert back.state.orders[order_id].fills == {
        "E2": AppliedFill(Decimal("100"), Decimal("228.55"), Decimal("1.0850"))
    }
    assert back.state.reservations == state.reservations
    assert back.state.cl_ord_ids == state.cl_ord_ids
    assert back.state.carry_resting() == state.carry_resting() and back.state.resting_sequence == 1
    assert back.kill_switch.entries == kill.entries
    assert back.state.execution_disabled == {"ACC-MSFT-TSY"}
    assert back.unrouted == {"20261123-00000008"}
    assert comparable(back.state, back.kill_switch) == comparable(state, kill)
    assert back.state.trading_day == START.date() and back.state.order_sequence == state.order_sequence
