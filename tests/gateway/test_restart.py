"""Risk state rebuilt from the audit log equals the state before the restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audit.api import AuditLog, AuditRecord
from audit.clock import ChainClock
from audit.factory import open_audit_log
from audit.memory import MemoryAuditLog
from fix.config import SessionSettings
from fix.ids import SessionID
from gateway.app import build_gateway
from gateway.carry import first_seq_since
from gateway.fix_entry import FixOrderEntry, fix_orders_decided
from gateway.pipeline import OrderPipeline
from gateway.replay import replay, snapshot
from gateway.settings import Settings
from risk_controls import events as ev
from risk_controls.domain import (
    CancelRequest,
    DenyCode,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrderStatus,
    ReplaceRequest,
    Side,
)
from risk_controls.domain.clock import ManualClock
from risk_controls.kill_switch import KillScope
from tests.fix.fakes import RecordingSender, desk_message
from tests.gateway.conftest import DESK, POLICY, make_gateway, order

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_state_rebuilt_from_the_sqlite_log_equals_the_state_before(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, _ = make_gateway(tmp_path, open_audit_log(url), clock)
    pipeline = gateway.pipeline

    async def trade() -> None:
        assert (await pipeline.submit(order("s-1", symbol="MSFT", qty="400", price=None))).accepted
        assert (await pipeline.submit(order("s-2", symbol="JPM", qty="100", price="240.00"))).accepted
        assert (await pipeline.submit(order("s-3", symbol="KO", qty="100", price="62.00"))).accepted
        assert (
            await pipeline.submit(order("s-4", symbol="MSFT", side=Side.SELL, qty="150", price="414.00"))
        ).accepted
        await pipeline.replace(
            ReplaceRequest("s-5", "s-2", "ACC-APPLE-TSY", DESK, Decimal(150), Decimal("239.50"))
        )
        await pipeline.cancel(CancelRequest("s-6", "s-3", "ACC-APPLE-TSY", DESK))
        denied = await pipeline.submit(order("s-7", symbol="TSLA", price="338.90"))
        assert denied.denial is not None and denied.denial.code is DenyCode.RESTRICTED_INSTRUMENT
        await gateway.kill.engage(KillScope.INSTRUMENT, "NVDA", "test", "ro1")
        pipeline.state.execution_disabled.add("ACC-HOUSE")  # as if the execution throttle had tripped...
        pipeline.audit.append("throttle.execution_tripped", {"account": "ACC-HOUSE"})  # ...and been recorded
        await asyncio.sleep(0.05)

    asyncio.run(trade())
    gateway.audit.flush(timeout=10)
    before = snapshot(pipeline.state, pipeline.kill_switch)
    assert before["orders"], "the scenario must leave orders behind"
    gateway.close()

    reopened = open_audit_log(url)
    try:
        rebuilt = replay(reopened.read())
        assert snapshot(rebuilt.state, rebuilt.kill_switch) == before
        assert rebuilt.policy_hash == gateway.policies.current.content_hash  # type: ignore[union-attr]
    finally:
        reopened.close()


def test_busts_and_corrections_are_rebuilt_from_the_log_as_they_were_applied(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, _ = make_gateway(tmp_path, open_audit_log(url), clock)
    pipeline = gateway.pipeline

    def report(
        oid: str, exec_id: str, kind: ExecType, qty: str | None, px: str | None, ref: str | None
    ) -> None:
        pipeline.on_venue_report(
            ExecutionReport(
                oid,
                exec_id,
                kind,
                "SIM",
                clock.now(),
                last_qty=Decimal(qty) if qty else None,
                last_px=Decimal(px) if px else None,
                ref_exec_id=ref,
            )
        )

    async def trade() -> None:
        first = (await pipeline.submit(order("b-1", symbol="JPM", qty="100", price="240.00"))).order_id
        second = (await pipeline.submit(order("b-2", symbol="KO", qty="300", price="62.00"))).order_id
        report(first, "e1", ExecType.PARTIAL_FILL, "30", "239.90", None)
        report(first, "e2", ExecType.PARTIAL_FILL, "20", "239.95", None)
        report(first, "e1x", ExecType.TRADE_CANCEL, None, None, "e1")
        report(second, "k1", ExecType.FILL, "300", "61.95", None)
        report(second, "k1c", ExecType.TRADE_CORRECT, "250", "61.90", "k1")
        await asyncio.sleep(0.05)

    asyncio.run(trade())
    gateway.audit.flush(timeout=10)
    before = snapshot(pipeline.state, pipeline.kill_switch)
    gateway.close()
    reopened = open_audit_log(url)
    try:
        assert snapshot(replay(reopened.read()).state, pipeline.kill_switch) == before
    finally:
        reopened.close()
    orders = before["orders"]
    assert [o[1] for o in orders.values()] == ["20", "250"]  # cum_qty after the bust and the correction


def test_restarted_gateway_keeps_limits_and_kill_switch(tmp_path: Path, clock: ManualClock) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, _ = make_gateway(tmp_path, open_audit_log(url), clock)

    async def before_restart() -> None:
        assert (await gateway.pipeline.submit(order("t-1", symbol="MSFT", qty="400", price=None))).accepted
        await gateway.kill.engage(KillScope.INSTRUMENT, "KO", "test", "ro1")

    asyncio.run(before_restart())
    position = gateway.pipeline.state.exposure("ACC-APPLE-TSY", "MSFT").position
    gateway.close()

    clock.advance(5)
    again, _ = make_gateway(tmp_path, open_audit_log(url), clock)

    async def after_restart() -> None:
        assert again.pipeline.state.exposure("ACC-APPLE-TSY", "MSFT").position == position
        blocked = await again.pipeline.submit(order("t-2", symbol="KO", price="62.00"))
        assert blocked.denial is not None and blocked.denial.code is DenyCode.KILL_SWITCH_ENGAGED
        dup = await again.pipeline.submit(order("t-1", symbol="AAPL", price="228.00"))
        assert dup.denial is not None and dup.denial.code is DenyCode.DUPLICATE_CL_ORD_ID
        fresh = await again.pipeline.submit(order("t-3", symbol="AAPL", price="228.00"))
        assert fresh.accepted and fresh.order_id.endswith(
            "00000004"
        )  # ids continue after the two denials, never reused

    asyncio.run(after_restart())
    again.close()


def test_an_invalid_policy_file_at_start_keeps_the_last_policy_recorded_in_the_log(
    tmp_path: Path, clock: ManualClock
) -> None:
    import shutil

    from tests.gateway.conftest import POLICY

    policy = tmp_path / "policy.toml"
    shutil.copy(POLICY, policy)
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    first, _ = make_gateway(tmp_path, open_audit_log(url), clock, policy=policy)
    in_force = first.policies.current.content_hash  # type: ignore[union-attr]
    first.close()

    policy.write_text(
        policy.read_text().replace('max_order_quantity = "50000"', 'max_order_quantity = "oops"')
    )
    clock.advance(5)
    again, _ = make_gateway(tmp_path, open_audit_log(url), clock, policy=policy)
    try:
        assert again.policies.current is not None
        assert again.policies.current.content_hash == in_force
        assert again.policies.current.source.endswith("(from audit log)")

        async def trade() -> None:
            assert (await again.pipeline.submit(order("pk-1", symbol="KO", price="62.00"))).accepted

        asyncio.run(trade())
    finally:
        again.close()


async def momentum_burst(gateway: Any, clock: ManualClock, prefix: str) -> int:
    """Aggressive KO orders of ACC-MSFT-TSY (which blocks on abuse alerts), 10 ms apart, up
    to the momentum monitor's limit; returns how many."""
    burst: int = gateway.policies.current.policy.abuse.momentum.max_aggressive_orders
    for i in range(burst):
        clock.advance(0.01)
        aggressive = order(f"{prefix}-{i}", symbol="KO", qty=str(i + 1), price=None, account="ACC-MSFT-TSY")
        assert (await gateway.pipeline.submit(aggressive)).accepted
    return burst


def test_a_momentum_burst_under_way_is_not_forgotten_by_a_restart(tmp_path: Path) -> None:
    """ACC-MSFT-TSY blocks on abuse alerts. Its burst of aggressive orders reaches the limit just
    before a restart; the first aggressive order after it must still raise the alert and be
    denied, as it would have been without the restart."""
    # the replay times the monitors' events by their records, stamped with the wall clock:
    # the pipeline's clock runs from now, as in production
    clock = ManualClock(datetime.now(UTC))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, _ = make_gateway(tmp_path, open_audit_log(url), clock)
    burst = asyncio.run(momentum_burst(gateway, clock, "m"))
    gateway.audit.flush(timeout=10)
    gateway.close()

    clock.advance(0.05)  # still inside the one-second window
    restarted, _ = make_gateway(tmp_path, open_audit_log(url), clock)
    try:
        one_more = order("m-after", symbol="KO", qty=str(burst + 1), price=None, account="ACC-MSFT-TSY")
        result = asyncio.run(restarted.pipeline.submit(one_more))
        assert result.denial is not None and result.denial.code is DenyCode.MARKET_ABUSE_BLOCKED
        restarted.audit.flush(timeout=10)
        alerts = [r.payload for r in restarted.audit.read() if r.event_type == "abuse.alert"]
        assert [a["monitor"] for a in alerts] == ["momentum_ignition"]  # raised once, after the restart
    finally:
        restarted.close()


def test_a_momentum_burst_under_way_at_midnight_is_not_forgotten_by_a_restart(tmp_path: Path) -> None:
    """The same burst, reaching its limit in the last second of a day; the next day opens,
    the gateway restarts, and the first aggressive order after it, still inside the
    burst's one-second window, must raise the alert. A restart replays from the day's
    opening, so the minutes before it are read for the monitors' events."""
    clock = ManualClock(datetime(2026, 11, 23, 23, 59, 59, 500_000, tzinfo=UTC))

    def stamped_by_clock() -> ChainClock:  # records stamped with the pipeline's clock
        return ChainClock(source=lambda: (clock.now() - EPOCH) // timedelta(microseconds=1) * 1000)

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, _ = make_gateway(tmp_path, open_audit_log(url, clock=stamped_by_clock()), clock)

    async def before() -> int:
        burst = await momentum_burst(gateway, clock, "mm")
        clock.set(datetime(2026, 11, 24, 0, 0, 0, 100_000, tzinfo=UTC))
        assert (await gateway.pipeline.submit(order("open-1", symbol="AAPL"))).accepted  # opens the day
        return burst

    burst = asyncio.run(before())
    gateway.audit.flush(timeout=10)
    gateway.close()

    clock.advance(0.05)  # still inside the burst's one-second window
    restarted, _ = make_gateway(tmp_path, open_audit_log(url, clock=stamped_by_clock()), clock)
    try:
        assert restarted.replayed.first_seq > 1  # it started from the day's opening
        one_more = order("mm-after", symbol="KO", qty=str(burst + 1), price=None, account="ACC-MSFT-TSY")
        result = asyncio.run(restarted.pipeline.submit(one_more))
        assert result.denial is not None and result.denial.code is DenyCode.MARKET_ABUSE_BLOCKED
    finally:
        restarted.close()


def test_the_records_of_the_horizon_before_an_opening_are_found_by_bisection(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 23, 50, tzinfo=UTC))
    source = ChainClock(source=lambda: (clock.now() - EPOCH) // timedelta(microseconds=1) * 1000)
    audit = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}", clock=source)
    for minute in range(12):  # one record a minute, 23:50 to 00:01
        audit.append("test.tick", {"minute": minute}).result(timeout=10)
        clock.advance(60)
    try:
        assert first_seq_since(audit, datetime(2026, 11, 23, 23, 52, 30, tzinfo=UTC), 12) == 4
        assert first_seq_since(audit, datetime(2026, 11, 23, 23, 53, tzinfo=UTC), 12) == 4
        assert first_seq_since(audit, datetime(2026, 11, 23, 23, 0, tzinfo=UTC), 12) == 1
        assert first_seq_since(audit, datetime(2026, 11, 24, 1, 0, tzinfo=UTC), 12) == 12
        archived = ArchivedBefore(audit, 6)  # records 1..5 have left primary storage
        assert first_seq_since(archived, datetime(2026, 11, 23, 23, 0, tzinfo=UTC), 12) == 6
        assert first_seq_since(archived, datetime(2026, 11, 23, 23, 57, tzinfo=UTC), 12) == 8
    finally:
        audit.close()


class ArchivedBefore:
    """An audit log whose records below ``first`` are no longer in primary storage."""

    def __init__(self, log: AuditLog, first: int) -> None:
        self._log, self._first = log, first

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]:
        return self._log.read(max(start_seq, self._first), end_seq)


def test_only_the_abuse_horizon_of_events_is_kept_for_the_monitors() -> None:
    from gateway.replay import ABUSE_HORIZON, AbuseEvent, Replayed

    replayed = Replayed()
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    replayed.note_abuse_event(AbuseEvent("cancel", start, "old"))
    replayed.note_abuse_event(AbuseEvent("cancel", start + ABUSE_HORIZON, "edge"))
    assert [e.order_id for e in replayed.abuse_events] == ["old", "edge"]  # exactly the horizon apart
    replayed.note_abuse_event(AbuseEvent("cancel", start + ABUSE_HORIZON + timedelta(microseconds=1), "new"))
    assert [e.order_id for e in replayed.abuse_events] == ["edge", "new"]


class _Stopped(Exception):
    """The process stops here."""


def _stop_before_routing(audit: MemoryAuditLog, pipeline: OrderPipeline, new: NewOrder) -> str:
    """Submit ``new`` in a process that stops as it appends the routing record, after the
    acceptance is durable; returns the order id."""
    real_append = audit.append

    def stop_before_routing(event_type: str, payload: Any, **kw: Any) -> Any:
        if event_type == ev.ORDER_ROUTED:
            raise _Stopped
        return real_append(event_type, payload, **kw)

    audit.append = stop_before_routing  # type: ignore[method-assign]
    try:
        with pytest.raises(_Stopped):
            asyncio.run(pipeline.submit(new))
    finally:
        audit.append = real_append  # type: ignore[method-assign]
    order_id: str = [r.payload["order_id"] for r in audit.read() if r.event_type == ev.ORDER_ACCEPTED][-1]
    return order_id


def test_an_order_whose_routing_is_not_on_record_is_expired_at_the_simulated_venue(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The acceptance is on record but the gateway stopped before routing it (or before a
    withdrawal queued for it landed). The simulated venue keeps nothing across a restart,
    so the order is expired, saying why; it must not stay working and reserving credit."""
    audit = MemoryAuditLog()
    settings = Settings(data_dir=tmp_path, policy_path=POLICY, fix_config=None)
    first = build_gateway(settings, audit=audit, clock=clock)
    stranded = _stop_before_routing(audit, first.pipeline, order("u-2", symbol="KO", price="61.90"))

    again = build_gateway(settings, audit=audit, clock=clock)
    assert again.pipeline.state.orders[stranded].status is OrderStatus.EXPIRED
    assert again.pipeline.state.book("ACC-APPLE-TSY").open_notional == 0
    reports = [r.payload for r in audit.read() if r.event_type == ev.EXECUTION]
    assert [p["text"] for p in reports if p["order_id"] == stranded] == [
        "never routed: the gateway stopped before routing it"
    ]


def test_an_order_whose_routing_is_not_on_record_is_handed_back_to_an_external_venue(
    tmp_path: Path, clock: ManualClock
) -> None:
    """At an external venue only the venue knows whether the order arrived (the routing
    record may be what the stop lost): it is restored, and the venue's status answer decides
    (tested against QuickFIX in tests/fix/test_fix_venue.py)."""
    audit = MemoryAuditLog()
    first, _ = make_gateway(tmp_path, audit, clock)
    stranded = _stop_before_routing(audit, first.pipeline, order("u-3", symbol="KO", price="61.90"))

    again, spy = make_gateway(tmp_path, audit, clock)
    assert [r.order_id for r in spy.restored] == [stranded]
    assert again.pipeline.router.is_placed(stranded)
    assert again.pipeline.state.orders[stranded].status.is_working


def test_a_fix_desk_cannot_reuse_a_client_order_id_after_a_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A ClOrdID stays taken on its account once its order was accepted, done or not, and a
    restart does not free it: a desk resending a filled order's ClOrdID (its own state lost)
    gets DUPLICATE_CL_ORD_ID, on the record, instead of a second execution."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    gateway, _ = make_gateway(tmp_path, open_audit_log(url), clock)

    async def before() -> None:
        accepted = await gateway.pipeline.submit(order("f-1", qty="10", price="228.50"))
        assert accepted.accepted
        fill = ExecutionReport(
            accepted.order_id, "F1", ExecType.FILL, "SIM", clock.now(), Decimal(10), Decimal("228.50")
        )
        gateway.pipeline.on_venue_report(fill)
        await asyncio.sleep(0.05)

    asyncio.run(before())
    gateway.close()
    clock.advance(3600)
    restarted, spy = make_gateway(tmp_path, open_audit_log(url), clock)
    sid = SessionID("FIX.4.4", "GW", "DESK1")
    session = SessionSettings(
        session_id=sid, origin_session="DESK1", allowed_accounts=frozenset({"ACC-APPLE-TSY"})
    )
    adapter = FixOrderEntry(restarted.pipeline, [session], working_orders=restarted.pipeline, clock=clock)
    sender = RecordingSender()
    adapter.attach(sender)

    async def answer(cl_ord_id: str, qty: int = 10) -> tuple[str | None, str | None]:
        order = f"1=ACC-APPLE-TSY|55=AAPL|54=1|38={qty}|40=2|44=228.50|59=0|60=20261123-15:30:00"
        adapter.from_app(sid, desk_message("D", f"50=jsmith|11={cl_ord_id}|{order}", sid, b"DESK1"))
        await adapter.drain()
        reply = sender.take(sid)[0]
        return reply.get(150), reply.get(58)

    async def after() -> None:
        status, text = await answer("f-1")
        assert status == "8" and text is not None and text.startswith("DUPLICATE_CL_ORD_ID"), text
        assert await answer("f-2", qty=20) == ("0", None)  # another order (the duplicate check aside)

    asyncio.run(after())
    denied = [r.payload for r in restarted.audit.read() if r.event_type == ev.ORDER_DENIED]
    assert [(d["cl_ord_id"], d["denial"]["code"]) for d in denied] == [("f-1", "DUPLICATE_CL_ORD_ID")]
    assert [r.order.cl_ord_id for r in spy.received] == ["f-2"]
    restarted.close()


DESK1 = SessionID("FIX.4.4", "GW", "DESK1")
DESK1_SESSION = SessionSettings(
    session_id=DESK1, origin_session="DESK1", allowed_accounts=frozenset({"ACC-APPLE-TSY"})
)


def desk1_order(cl_ord_id: str, terms: str, extra: str = "") -> Any:
    fields = f"50=jsmith|11={cl_ord_id}|1=ACC-APPLE-TSY|55=AAPL|54=1|59=0|60=20261123-15:30:00"
    return desk_message("D", f"{fields}|{terms}{extra}", DESK1, b"DESK1")


def desk1_adapter(gateway: Any, clock: ManualClock, **kw: Any) -> tuple[FixOrderEntry, RecordingSender]:
    pipeline = gateway.pipeline
    adapter = FixOrderEntry(pipeline, [DESK1_SESSION], working_orders=pipeline, clock=clock, **kw)
    sender = RecordingSender()
    adapter.attach(sender)
    return adapter, sender


async def desk1_sends(adapter: FixOrderEntry, orders: dict[str, str], extra: str = "") -> None:
    """DESK1 sends ``orders`` (ClOrdID: terms), each with ``extra`` fields, and waits for them."""
    for cl_ord_id, terms in orders.items():
        adapter.from_app(DESK1, desk1_order(cl_ord_id, terms, extra))
    await adapter.drain()


def resend_after_restart(data: Path, clock: ManualClock, orders: dict[str, str]) -> RecordingSender:
    """Restart on the log in ``data`` and resend ``orders`` with PossDupFlag."""
    restarted, spy = make_gateway(data, open_audit_log(f"sqlite:///{data / 'audit.db'}"), clock)
    records_before = restarted.audit.head()[0]
    decided = fix_orders_decided(restarted.replayed.decided)
    adapter, sender = desk1_adapter(restarted, clock, decided_before=decided)

    asyncio.run(desk1_sends(adapter, orders, "|43=Y|122=20261123-15:30:00"))
    assert spy.received == []
    assert restarted.audit.head()[0] == records_before  # nothing decided, nothing recorded
    restarted.close()
    return sender


def test_orders_a_fix_desk_resends_after_a_restart_are_not_answered_twice(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A desk's engine resends (PossDupFlag) orders the gateway already answered before it
    restarted: accepted, denied by a control, refused at entry. The new process knows them
    from the log, so none is decided, recorded or answered again: a duplicate ER Rejected
    would tell the desk that its live order was refused."""
    orders = {
        "ok-1": "40=2|44=228.50|38=10",
        "big-1": "40=2|44=228.50|38=30000",  # notional over the per-order limit
        "odd-1": "40=P|38=10",  # an order type the adapter refuses at entry
    }
    gateway, _ = make_gateway(tmp_path, open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}"), clock)
    adapter, sender = desk1_adapter(gateway, clock)

    async def before() -> None:
        await desk1_sends(adapter, orders)
        await asyncio.sleep(0.05)

    asyncio.run(before())
    assert [r.get(150) for r in sender.take(DESK1)] == ["0", "8", "8"]
    gateway.close()
    clock.advance(60)
    assert resend_after_restart(tmp_path, clock, orders).take(DESK1) == []


def test_an_order_resent_after_midnight_and_a_restart_is_not_answered_twice(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The same across a new day: the log is replayed from the day's opening, which
    carries the order still working but not its decision, and not the order denied just
    before it; both are known all the same."""
    orders = {"gtc-1": "40=2|44=228.50|38=10", "big-2": "40=2|44=228.50|38=30000"}
    gateway, _ = make_gateway(tmp_path, open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}"), clock)
    adapter, sender = desk1_adapter(gateway, clock)

    async def before() -> None:
        await desk1_sends(adapter, orders)
        clock.advance(10 * 3600)  # past midnight: the next order opens the day on record
        await desk1_sends(adapter, {"next-1": "40=2|44=228.40|38=5"})
        await asyncio.sleep(0.05)

    asyncio.run(before())
    assert [r.get(150) for r in sender.take(DESK1)][:2] == ["0", "8"]
    assert gateway.audit.last_seq_of(ev.DAY_OPENED) is not None
    gateway.close()
    clock.advance(60)
    assert resend_after_restart(tmp_path, clock, orders).take(DESK1) == []
