"""The one path: chain, tags, abuse, durable audit, router, venue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from audit.memory import MemoryAuditLog
from gateway.app import Gateway
from risk_controls import events as ev
from risk_controls.domain import (
    CancelRequest,
    DenyCode,
    ExecType,
    ExecutionReport,
    OrderStatus,
    ReplaceRequest,
    Side,
)
from risk_controls.domain.clock import ManualClock
from risk_controls.entry import OrderUpdate
from risk_controls.kill_switch import KillMode, KillScope
from tests.gateway.conftest import DESK, LaggingAuditLog, SpyVenue, fill, make_gateway, order


def events_of(gateway: Gateway, kind: str) -> list[dict[str, Any]]:
    return [dict(r.payload) for r in gateway.audit.read() if r.event_type == kind]


def test_accepted_order_is_routed_after_its_acceptance_is_durable(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, spy = memory_gateway

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("a-1", price="228.00"))
        assert result.accepted and result.denial is None
        assert [r.order_id for r in spy.received] == [result.order_id]
        accepted = events_of(gateway, ev.ORDER_ACCEPTED)[0]
        assert accepted["order_id"] == result.order_id
        assert {c["control"] for c in accepted["checks"]} >= {"kill_switch", "credit_limit", "price_collar"}
        assert accepted["tags"]["client_id"] == "HWUPKR0MPOU8FGXBT394"
        assert accepted["tags"]["capacity"] == "AOTC"
        received = events_of(gateway, ev.ORDER_RECEIVED)[0]
        assert (received["isin"], received["currency"]) == ("US0378331005", "USD")  # AAPL's, for RTS 22
        kinds = [r.event_type for r in gateway.audit.read() if r.payload.get("order_id") == result.order_id]
        assert kinds[:3] == [ev.ORDER_RECEIVED, ev.ORDER_ACCEPTED, ev.ORDER_ROUTED]

    asyncio.run(scenario())


def test_denied_order_never_reaches_the_venue_and_records_its_checks(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, spy = memory_gateway

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("d-1", qty="5000", price="228.50"))  # 1.14M > 5M? no
        big = await gateway.pipeline.submit(order("d-2", qty="30000", price="228.50"))
        assert result.accepted
        assert not big.accepted and big.denial is not None
        assert big.denial.code is DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER
        assert big.denial.text() == "NOTIONAL_EXCEEDS_MAX_PER_ORDER max=5000000 notional=6855000"
        assert big.order_id not in [r.order_id for r in spy.received]
        denied = events_of(gateway, ev.ORDER_DENIED)[0]
        assert denied["denial"]["code"] == "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
        assert denied["checks"][-1] == {
            "control": "max_order_notional",
            "outcome": "DENY",
            "code": "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
            "context": {"max": "5000000", "notional": "6855000"},
        }

    asyncio.run(scenario())


def test_audit_outage_denies_with_audit_unavailable_and_routes_nothing(
    tmp_path: Path, clock: ManualClock
) -> None:
    audit = MemoryAuditLog()
    gateway, spy = make_gateway(tmp_path, audit, clock)

    async def scenario() -> None:
        audit.available = False
        result = await gateway.pipeline.submit(order("o-1", price="228.00"))
        assert not result.accepted
        assert result.denial is not None and result.denial.code is DenyCode.AUDIT_UNAVAILABLE
        assert spy.received == []
        assert gateway.pipeline.state.working_orders() == []  # the reservation was rolled back
        assert gateway.pipeline.state.book("ACC-APPLE-TSY").open_notional == 0
        audit.available = True
        again = await gateway.pipeline.submit(order("o-1", price="228.00"))
        assert again.accepted  # recovers by itself; the retry is neither a duplicate id nor a duplicate order
        assert gateway.pipeline.state.book("ACC-APPLE-TSY").orders_today == 1

    asyncio.run(scenario())


def test_no_policy_fails_closed(tmp_path: Path, clock: ManualClock) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("version = 'x'\n[firm]\nid = 1\n")
    gateway, spy = make_gateway(tmp_path, MemoryAuditLog(), clock, policy=broken)

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("p-1"))
        assert result.denial is not None and result.denial.code is DenyCode.POLICY_UNAVAILABLE
        assert spy.received == []
        rejected = events_of(gateway, ev.POLICY_REJECTED)
        assert rejected and rejected[0]["errors"][0]["file"] == str(broken)

    asyncio.run(scenario())


def test_fills_update_position_and_reach_listeners_only_after_durability(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, _ = memory_gateway
    updates: list[OrderUpdate] = []
    gateway.pipeline.subscribe(updates.append)

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("f-1", symbol="MSFT", qty="500", price=None))
        assert result.accepted
        await asyncio.sleep(0.01)
        fills = [u for u in updates if u.report is not None and u.report.last_qty]
        assert sum(u.report.last_qty for u in fills if u.report and u.report.last_qty) == Decimal(500)
        assert fills[-1].status is OrderStatus.FILLED
        exposure = gateway.pipeline.state.exposure("ACC-APPLE-TSY", "MSFT")
        assert exposure.position == Decimal(500) and exposure.open_buy == 0
        recorded = events_of(gateway, ev.EXECUTION)
        assert {r["exec_type"] for r in recorded} >= {"NEW", "FILL"} or {"PARTIAL_FILL"} <= {
            r["exec_type"] for r in recorded
        }

    asyncio.run(scenario())


def test_kill_switch_cancels_working_orders_and_blocks_new_ones(
    memory_gateway: tuple[Gateway, SpyVenue], clock: ManualClock
) -> None:
    gateway, spy = memory_gateway

    async def scenario() -> None:
        for i, price in enumerate(["62.00", "61.90", "61.80"]):
            assert (await gateway.pipeline.submit(order(f"k-{i}", symbol="KO", price=price))).accepted
        other = await gateway.pipeline.submit(
            order("k-x", symbol="KO", price="62.00", account="ACC-MSFT-TSY")
        )
        assert other.accepted
        outcome = await gateway.kill.engage(KillScope.ACCOUNT, "ACC-APPLE-TSY", "test", "ro1")
        assert outcome.cancelled == 3
        assert gateway.pipeline.working_orders(account="ACC-APPLE-TSY") == []
        assert len(gateway.pipeline.working_orders(account="ACC-MSFT-TSY")) == 1  # out of scope
        blocked = await gateway.pipeline.submit(order("k-9", symbol="KO", price="62.00"))
        assert blocked.denial is not None and blocked.denial.code is DenyCode.KILL_SWITCH_ENGAGED
        assert blocked.order_id not in [r.order_id for r in spy.received]
        engaged = events_of(gateway, ev.KILL_ENGAGED)[0]
        assert engaged["cancelled_count"] == 3 and engaged["actor"] == "ro1"
        await gateway.kill.release(KillScope.ACCOUNT, "ACC-APPLE-TSY", "clear", "ro1")
        clock.advance(2)  # outside the duplicate-order window of k-0
        assert (await gateway.pipeline.submit(order("k-10", symbol="KO", price="62.00"))).accepted

    asyncio.run(scenario())


def test_reducing_mode_lets_only_risk_reducing_orders_through(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, _ = memory_gateway

    async def scenario() -> None:
        assert (await gateway.pipeline.submit(order("r-1", symbol="MSFT", qty="300", price=None))).accepted
        await gateway.kill.engage(KillScope.FIRM, "*", "test", "ro1", KillMode.REDUCING)
        buy_more = await gateway.pipeline.submit(order("r-2", symbol="MSFT", qty="10", price=None))
        assert buy_more.denial is not None and buy_more.denial.code is DenyCode.KILL_SWITCH_ENGAGED
        close = await gateway.pipeline.submit(
            order("r-3", symbol="MSFT", side=Side.SELL, qty="300", price=None)
        )
        assert close.accepted

    asyncio.run(scenario())


def test_replace_is_checked_as_the_order_it_would_become(memory_gateway: tuple[Gateway, SpyVenue]) -> None:
    gateway, _ = memory_gateway

    async def scenario() -> None:
        first = await gateway.pipeline.submit(order("x-1", symbol="JPM", qty="100", price="240.00"))
        assert first.accepted
        too_big = await gateway.pipeline.replace(
            ReplaceRequest(
                "x-2", "x-1", "ACC-APPLE-TSY", DESK, quantity=Decimal(60000), limit_price=Decimal("240.00")
            )
        )
        assert too_big.denial is not None and too_big.denial.code is DenyCode.QUANTITY_EXCEEDS_MAX_PER_ORDER
        ok = await gateway.pipeline.replace(
            ReplaceRequest(
                "x-3", "x-1", "ACC-APPLE-TSY", DESK, quantity=Decimal(200), limit_price=Decimal("239.00")
            )
        )
        assert ok.accepted
        working = gateway.pipeline.state.orders[first.order_id]
        assert working.order.quantity == 200 and working.order.limit_price == Decimal("239.00")
        assert gateway.pipeline.state.exposure("ACC-APPLE-TSY", "JPM").open_buy == 200
        cancel = await gateway.pipeline.cancel(CancelRequest("x-4", "x-3", "ACC-APPLE-TSY", DESK))
        assert cancel.accepted
        assert gateway.pipeline.state.exposure("ACC-APPLE-TSY", "JPM").open_buy == 0

    asyncio.run(scenario())


def test_duplicate_client_order_id_is_denied(memory_gateway: tuple[Gateway, SpyVenue]) -> None:
    gateway, _ = memory_gateway

    async def scenario() -> None:
        assert (await gateway.pipeline.submit(order("dup", price="228.00"))).accepted
        again = await gateway.pipeline.submit(order("dup", price="227.00"))
        assert again.denial is not None and again.denial.code is DenyCode.DUPLICATE_CL_ORD_ID

    asyncio.run(scenario())


def test_block_mode_account_stays_blocked_while_an_abuse_alert_is_live(
    memory_gateway: tuple[Gateway, SpyVenue], clock: ManualClock
) -> None:
    """ACC-MSFT-TSY is in block mode: after a momentum-ignition burst, its next orders in that
    symbol are denied until the alert's window has passed."""
    gateway, spy = memory_gateway
    burst = gateway.policies.current.policy.abuse.momentum.max_aggressive_orders  # type: ignore[union-attr]

    async def scenario() -> None:
        outcomes = []
        for i in range(burst + 1):
            clock.advance(0.01)
            outcomes.append(
                await gateway.pipeline.submit(
                    order(f"m-{i}", symbol="KO", qty=str(i + 1), price=None, account="ACC-MSFT-TSY")
                )
            )
        assert all(o.accepted for o in outcomes[:burst])
        blocked = outcomes[burst].denial
        assert blocked is not None and blocked.code is DenyCode.MARKET_ABUSE_BLOCKED
        clock.advance(0.05)
        calm = await gateway.pipeline.submit(
            order("m-calm", symbol="KO", qty="1", price="62.00", account="ACC-MSFT-TSY")
        )
        assert calm.denial is not None and calm.denial.code is DenyCode.MARKET_ABUSE_BLOCKED
        assert calm.order_id not in [r.order_id for r in spy.received]
        alerts = events_of(gateway, ev.ABUSE_ALERT)
        assert alerts and alerts[0]["monitor"] == "momentum_ignition" and alerts[0]["action"] == "BLOCK"
        clock.advance(gateway.policies.current.policy.abuse.momentum.window_ms / 1000 + 1)  # type: ignore[union-attr]
        later = await gateway.pipeline.submit(
            order("m-later", symbol="KO", qty="1", price="62.00", account="ACC-MSFT-TSY")
        )
        assert later.accepted

    asyncio.run(scenario())


def test_a_cancel_the_venue_refuses_leaves_the_order_working(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, _ = memory_gateway

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("cr-1", symbol="JPM", price="240.00"))
        working = gateway.pipeline.state.orders[result.order_id]
        working.status = OrderStatus.PENDING_CANCEL  # as after a cancel request
        gateway.pipeline.on_venue_report(
            ExecutionReport(
                result.order_id,
                "x-1",
                ExecType.CANCEL_REJECTED,
                "SIM",
                gateway.pipeline.clock.now(),
                text="too late to cancel",
            )
        )
        assert working.status is OrderStatus.NEW
        assert working in gateway.pipeline.working_orders(account="ACC-APPLE-TSY")
        assert events_of(gateway, ev.EXECUTION)[-1]["exec_type"] == "CANCEL_REJECTED"

    asyncio.run(scenario())


def test_a_replace_the_venue_refuses_restores_the_old_version_and_its_reservation(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    gateway, spy = memory_gateway
    state = gateway.pipeline.state

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("rr-1", symbol="JPM", qty="100", price="240.00"))
        before = state.book("ACC-APPLE-TSY").open_notional
        spy.forward_amendments = False  # the venue answers below
        amended = await gateway.pipeline.replace(
            ReplaceRequest(
                "rr-2", "rr-1", "ACC-APPLE-TSY", DESK, quantity=Decimal(300), limit_price=Decimal("240.00")
            )
        )
        assert amended.accepted and state.orders[result.order_id].order.quantity == 300
        gateway.pipeline.on_venue_report(
            ExecutionReport(
                result.order_id,
                "x-2",
                ExecType.REPLACE_REJECTED,
                "SIM",
                gateway.pipeline.clock.now(),
                text="venue refused",
            )
        )
        assert state.orders[result.order_id].order.quantity == 100
        assert state.book("ACC-APPLE-TSY").open_notional == before
        assert state.exposure("ACC-APPLE-TSY", "JPM").open_buy == 100

    asyncio.run(scenario())


def test_self_trade_prevention_asks_each_resting_order_to_cancel_once(
    memory_gateway: tuple[Gateway, SpyVenue],
) -> None:
    """Several incoming orders crossing the same resting order produce one cancel request, not one each."""
    gateway, spy = memory_gateway
    spy.forward_amendments = False  # the resting order stays at the venue, pending cancel
    cancels = spy.cancels

    async def scenario() -> None:
        resting = await gateway.pipeline.submit(
            order("st-1", symbol="JPM", side=Side.BUY, qty="100", price="240.00")
        )
        await gateway.pipeline.submit(
            order("st-0", symbol="JPM", side=Side.BUY, qty="100", price=None)
        )  # position
        for i in range(3):
            await gateway.pipeline.submit(
                order(f"st-s{i}", symbol="JPM", side=Side.SELL, qty=str(10 + i), price="239.00")
            )
        assert cancels.count(resting.order_id) == 1
        requested = [r for r in events_of(gateway, ev.CANCEL_REQUESTED) if r["order_id"] == resting.order_id]
        assert len(requested) == 1 and requested[0]["reason"].startswith("self-trade prevention")

    asyncio.run(scenario())


def test_a_fill_the_store_could_not_record_is_recorded_whole_once_it_returns_and_only_then_published(
    tmp_path: Path, clock: ManualClock
) -> None:
    audit = MemoryAuditLog()
    gateway, _ = make_gateway(tmp_path, audit, clock)
    updates: list[OrderUpdate] = []
    gateway.pipeline.subscribe(updates.append)

    async def scenario() -> None:
        result = await gateway.pipeline.submit(order("rt-1", symbol="JPM", price="240.00"))
        await asyncio.sleep(0.01)
        before = len(updates)
        audit.available = False
        gateway.pipeline.on_venue_report(fill(result.order_id, "x-9", "100", "240.00", clock.now(), "T-9"))
        await asyncio.sleep(0.05)
        assert len(updates) == before  # not published while not durable
        audit.available = True
        await asyncio.sleep(0.7)  # the retry runs after 0.5 s
        recorded = [r for r in events_of(gateway, ev.EXECUTION) if r["exec_id"] == "x-9"]
        assert len(recorded) == 1 and recorded[0]["retried"] is True
        assert recorded[0]["cl_ord_id"] == "rt-1" and recorded[0]["cum_qty"] == "100"
        assert recorded[0]["status"] == "FILLED" and recorded[0]["fx_rate"] == "1"
        assert updates[-1].report is not None and updates[-1].report.exec_id == "x-9"

    asyncio.run(scenario())


def test_kill_switch_cancels_reach_the_venue_only_after_the_engagement_is_durable(
    tmp_path: Path, clock: ManualClock
) -> None:
    """With a store that commits a few ms late, the venue sees each cancel only once the
    ``kill.engaged`` record naming that order is durable (the spy checks every cancel)."""
    gateway, spy = make_gateway(tmp_path, LaggingAuditLog(), clock)

    async def scenario() -> None:
        for i, price in enumerate(["62.00", "61.90", "61.80"]):
            assert (await gateway.pipeline.submit(order(f"kd-{i}", symbol="KO", price=price))).accepted
        outcome = await gateway.kill.engage(KillScope.ACCOUNT, "ACC-APPLE-TSY", "test", "ro1")
        assert outcome.cancelled == 3 and outcome.audit_seq is not None
        blocked = await gateway.pipeline.submit(order("kd-9", symbol="KO", price="62.00"))
        assert blocked.denial is not None and blocked.denial.code is DenyCode.KILL_SWITCH_ENGAGED
        assert gateway.pipeline.working_orders(account="ACC-APPLE-TSY") == []

    asyncio.run(scenario())
    assert spy.violations == []


def test_self_trade_cancel_reaches_the_venue_after_its_record_and_before_the_incoming_order(
    tmp_path: Path, clock: ManualClock
) -> None:
    gateway, spy = make_gateway(tmp_path, LaggingAuditLog(), clock)

    async def scenario() -> None:
        await gateway.pipeline.submit(order("sd-0", symbol="JPM", side=Side.BUY, qty="100", price=None))
        resting = await gateway.pipeline.submit(
            order("sd-1", symbol="JPM", side=Side.BUY, qty="100", price="240.00")
        )
        incoming = await gateway.pipeline.submit(
            order("sd-2", symbol="JPM", side=Side.SELL, qty="50", price="239.00")
        )
        assert resting.accepted and incoming.accepted
        state = gateway.pipeline.state
        assert state.orders[resting.order_id].status is OrderStatus.CANCELED
        assert state.orders[resting.order_id].cum_qty == 0  # never traded against our own sell
        assert [r.order_id for r in spy.received][-1] == incoming.order_id

    asyncio.run(scenario())
    assert spy.violations == []


def test_a_self_trade_cancel_the_store_could_not_record_is_never_sent_and_the_order_works_on(
    tmp_path: Path, clock: ManualClock
) -> None:
    audit = LaggingAuditLog()
    gateway, spy = make_gateway(tmp_path, audit, clock)
    cancels = spy.cancels

    async def scenario() -> None:
        await gateway.pipeline.submit(order("sf-0", symbol="JPM", side=Side.BUY, qty="100", price=None))
        resting = await gateway.pipeline.submit(
            order("sf-1", symbol="JPM", side=Side.BUY, qty="100", price="240.00")
        )
        audit.fail_next_commit = True
        incoming = await gateway.pipeline.submit(
            order("sf-2", symbol="JPM", side=Side.SELL, qty="50", price="239.00")
        )
        assert incoming.denial is not None and incoming.denial.code is DenyCode.AUDIT_UNAVAILABLE
        assert cancels == []
        working = gateway.pipeline.state.orders[resting.order_id]
        assert working.status is OrderStatus.NEW and working.status.is_working

    asyncio.run(scenario())
    assert spy.violations == []


def _trade_amendment(
    order_id: str, exec_id: str, kind: ExecType, ref: str, qty: str | None = None, price: str | None = None
) -> ExecutionReport:
    """A venue's bust (TRADE_CANCEL) or correction (TRADE_CORRECT) of fill ``ref``."""
    return ExecutionReport(
        order_id,
        exec_id,
        kind,
        "SIM",
        datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
        last_qty=Decimal(qty) if qty else None,
        last_px=Decimal(price) if price else None,
        ref_exec_id=ref,
    )


def test_a_busted_fill_is_taken_back_from_the_order_position_and_credit_used(
    memory_gateway: tuple[Gateway, SpyVenue], clock: ManualClock
) -> None:
    gateway, _ = memory_gateway
    pipeline, state = gateway.pipeline, gateway.pipeline.state

    async def scenario() -> None:
        result = await pipeline.submit(order("tb-1", symbol="JPM", qty="100", price="240.00"))
        oid = result.order_id
        book = state.book("ACC-APPLE-TSY")
        executed, open_before = book.executed_notional, book.open_notional
        pipeline.on_venue_report(
            ExecutionReport(
                oid,
                "f-1",
                ExecType.PARTIAL_FILL,
                "SIM",
                clock.now(),
                last_qty=Decimal(40),
                last_px=Decimal("239.90"),
            )
        )
        assert state.exposure("ACC-APPLE-TSY", "JPM").position == 40
        assert book.executed_notional == executed + Decimal("9596.00")
        assert book.open_notional == open_before - 40 * Decimal("240.00")

        pipeline.on_venue_report(_trade_amendment(oid, "f-1x", ExecType.TRADE_CANCEL, "f-1"))
        working = state.orders[oid]
        assert (working.cum_qty, working.status) == (Decimal(0), OrderStatus.NEW)
        assert state.exposure("ACC-APPLE-TSY", "JPM").position == 0
        assert book.executed_notional == executed
        assert book.open_notional == open_before  # the open quantity is reserved again
        bust = [r for r in events_of(gateway, ev.EXECUTION) if r["exec_type"] == "TRADE_CANCEL"]
        assert bust[0]["ref_exec_id"] == "f-1" and bust[0]["cum_qty"] == "0"

        pipeline.on_venue_report(fill(oid, "f-2", "100", "239.95", clock.now(), "T2"))
        assert working.status is OrderStatus.FILLED and oid not in state.working
        pipeline.on_venue_report(
            _trade_amendment(oid, "f-2c", ExecType.TRADE_CORRECT, "f-2", qty="100", price="239.80")
        )
        assert working.avg_px == Decimal("239.80") and working.status is OrderStatus.FILLED
        assert book.executed_notional == executed + Decimal("23980.00")
        assert state.exposure("ACC-APPLE-TSY", "JPM").position == 100

        pipeline.on_venue_report(_trade_amendment(oid, "f-2cx", ExecType.TRADE_CANCEL, "f-2c"))
        assert working.cum_qty == 0 and working.status is OrderStatus.FILLED  # done stays done
        assert oid not in state.working and book.open_notional == open_before - 100 * Decimal("240.00")
        assert state.exposure("ACC-APPLE-TSY", "JPM").position == 0
        assert book.executed_notional == executed

        pipeline.on_venue_report(_trade_amendment(oid, "f-9x", ExecType.TRADE_CANCEL, "no-such-fill"))
        assert book.executed_notional == executed  # unknown fill: recorded, nothing taken back
        assert events_of(gateway, ev.EXECUTION)[-1]["ref_exec_id"] == "no-such-fill"

    asyncio.run(scenario())


def test_a_fill_a_venue_reports_twice_is_booked_once_and_the_repeat_put_on_record(
    memory_gateway: tuple[Gateway, SpyVenue], clock: ManualClock
) -> None:
    """Venue adapters drop their own duplicates (a FIX venue's PossDup resends); the
    pipeline does not rely on it. A fill whose exec id is already booked on the order
    changes nothing and is recorded as unmatched, for reconciliation."""
    gateway, _ = memory_gateway
    pipeline, state = gateway.pipeline, gateway.pipeline.state

    async def scenario() -> None:
        oid = (await pipeline.submit(order("dup-f", symbol="JPM", qty="100", price="240.00"))).order_id
        book = state.book("ACC-APPLE-TSY")
        executed = book.executed_notional
        partial = fill(oid, "f-1", "40", "239.90", clock.now(), "T1")
        pipeline.on_venue_report(partial)
        pipeline.on_venue_report(partial)
        working = state.orders[oid]
        assert (working.cum_qty, working.status) == (Decimal(40), OrderStatus.PARTIALLY_FILLED)
        assert state.exposure("ACC-APPLE-TSY", "JPM").position == 40
        assert book.executed_notional == executed + Decimal("9596.00")
        await asyncio.sleep(0)

    asyncio.run(scenario())
    fills = [r for r in events_of(gateway, ev.EXECUTION) if r["exec_id"] == "f-1"]
    repeats = events_of(gateway, ev.EXEC_UNMATCHED)
    assert len(fills) == 1
    assert [(r["exec_id"], r["reason"]) for r in repeats] == [("f-1", "fill already booked")]
    assert pipeline.unmatched_reports == {"SIM": 1}
