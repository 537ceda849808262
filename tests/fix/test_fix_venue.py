"""The FIX venue initiator against QuickFIX playing the exchange."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audit.api import AppendTicket
from audit.memory import MemoryAuditLog
from fix.config import ConnectionType, SessionSettings, Throttle
from fix.ids import SessionID
from fix.venue import FixVenue, _Routed
from gateway.app import Gateway, build_gateway
from gateway.fix_entry import FixOrderEntry
from gateway.settings import Settings
from risk_controls import events as ev
from risk_controls.domain import (
    CancelRequest,
    Channel,
    ExecType,
    ExecutionReport,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    OrdType,
    ReplaceRequest,
    Side,
    TimeInForce,
)
from risk_controls.entry import OrderUpdate
from risk_controls.venue import RoutedOrder
from tests.fix.fakes import RecordingSender, desk_message
from tests.fix.qf import LoopThread, QfVenue, drain, fields, wait_for

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = OrderOrigin(Channel.FIX, "DESK1", "jsmith")


def venue_settings(port: int, version: str = "FIX.4.4", throttle: Throttle | None = None) -> SessionSettings:
    return SessionSettings(
        SessionID(version, "GW", "XVENUE"),
        ConnectionType.INITIATOR,
        heartbeat_interval=5,
        connect_host="127.0.0.1",
        connect_port=port,
        reconnect_interval=0.2,
        reset_on_logon=True,
        throttle=throttle,
    )


LEI = "5493001KJTIIGC8Y1R12"


def order(symbol: str, qty: str = "100", price: str = "10.50") -> NewOrder:
    return NewOrder(
        "C1",
        "ACC1",
        symbol,
        Side.SELL_SHORT,
        Decimal(qty),
        OrdType.LIMIT,
        TimeInForce.DAY,
        ORIGIN,
        limit_price=Decimal(price),
        mifid=MifidOverrides(client_id=LEI, investment_decision="TRADER7"),
    )


@pytest.fixture(params=["FIX.4.4", "FIX.4.2"])
def connected(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]]]:
    version = request.param
    exchange = QfVenue(tmp_path / "venue", version=version)
    exchange.start()
    loop = LoopThread()
    venue = FixVenue("XFIX", venue_settings(exchange.port, version))
    reports: queue.Queue[ExecutionReport] = queue.Queue()
    venue.connect(reports.put)
    loop.run(venue.start())
    loop.run(venue.initiator.wait_logged_on(venue.session_id))
    yield venue, exchange, loop, reports
    loop.run(venue.stop())
    loop.close()
    exchange.stop()


def test_order_lifecycle_over_fix(
    connected: tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]],
) -> None:
    venue, exchange, loop, reports = connected
    loop.call(venue.submit, RoutedOrder("G-1", order("AAPL")))
    new = reports.get(timeout=10)
    assert (new.order_id, new.exec_type, new.venue, new.venue_order_id) == (
        "G-1",
        ExecType.NEW,
        "XFIX",
        "V-G-1",
    )
    sent = fields(wait_for(exchange.app.app))
    assert (sent[11], sent[54], sent[38], sent[44], sent[1]) == ("G-1", "5", "100", "10.50", "ACC1")
    if venue.session_id.begin_string == "FIX.4.4":  # MiFID II identifiers travel with the order
        assert (sent[453], sent[448], sent[447], sent[452]) == ("2", LEI, "N", "3")
    else:
        assert sent[20122] == "TRADER7"

    loop.call(venue.replace, RoutedOrder("G-1", order("AAPL", qty="150", price="10.40")))
    replaced = reports.get(timeout=10)
    assert (replaced.order_id, replaced.exec_type) == ("G-1", ExecType.REPLACED)
    amend = fields(wait_for(exchange.app.app))
    assert (amend[35], amend[11], amend[41], amend[38], amend[44]) == ("G", "G-1.1", "G-1", "150", "10.40")

    loop.call(venue.cancel, "G-1")
    canceled = reports.get(timeout=10)
    assert (canceled.order_id, canceled.exec_type) == ("G-1", ExecType.CANCELED)
    cancel = fields(wait_for(exchange.app.app))
    assert (cancel[35], cancel[11], cancel[41]) == ("F", "G-1.2", "G-1.1")


def test_fills_and_rejects_over_fix(
    connected: tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]],
) -> None:
    venue, _, loop, reports = connected
    loop.call(venue.submit, RoutedOrder("G-2", order("FILL", qty="7", price="99.125")))
    assert reports.get(timeout=10).exec_type is ExecType.NEW
    fill = reports.get(timeout=10)
    assert (fill.exec_type, fill.last_qty, fill.last_px) == (ExecType.FILL, Decimal(7), Decimal("99.125"))
    loop.call(venue.submit, RoutedOrder("G-3", order("REJECT")))
    rejected = reports.get(timeout=10)
    assert (rejected.order_id, rejected.exec_type, rejected.text) == (
        "G-3",
        ExecType.REJECTED,
        "no such instrument here",
    )


def test_a_cancel_or_replace_the_venue_refuses_reaches_the_pipeline(
    connected: tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]],
) -> None:
    """OrderCancelReject becomes CANCEL_REJECTED / REPLACE_REJECTED, so the pipeline puts the
    order back to working (and, for a replace, back to its old version)."""
    venue, exchange, loop, reports = connected
    loop.call(venue.submit, RoutedOrder("G-5", order("STUCK", qty="100")))
    assert reports.get(timeout=10).exec_type is ExecType.NEW
    loop.call(venue.replace, RoutedOrder("G-5", order("STUCK", qty="150", price="10.40")))
    refused_replace = reports.get(timeout=10)
    assert (refused_replace.order_id, refused_replace.exec_type, refused_replace.text) == (
        "G-5",
        ExecType.REPLACE_REJECTED,
        "too late to amend",
    )
    loop.call(venue.cancel, "G-5")
    refused_cancel = reports.get(timeout=10)
    assert (refused_cancel.order_id, refused_cancel.exec_type) == ("G-5", ExecType.CANCEL_REJECTED)
    cancel = fields(wait_for(exchange.app.app, lambda raw: fields(raw)[35] == "F"))
    assert (cancel[41], cancel[38]) == ("G-5", "100")  # the version the venue kept, not the refused one


def test_a_venue_correcting_and_busting_a_fill_of_a_done_order_reaches_the_pipeline(
    connected: tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]],
) -> None:
    """ExecType G / H (4.4) or ExecTransType 2 / 1 (4.2), with ExecRefID, become TRADE_CORRECT
    and TRADE_CANCEL naming the fill they amend, although the filled order is done here."""
    venue, _, loop, reports = connected
    loop.call(venue.submit, RoutedOrder("G-7", order("BUST", qty="100", price="10.50")))
    new, filled, corrected, busted = (reports.get(timeout=10) for _ in range(4))
    assert (new.exec_type, filled.exec_type) == (ExecType.NEW, ExecType.FILL)
    assert "G-7" not in venue._orders  # done: no longer tracked
    assert (corrected.order_id, corrected.exec_type, corrected.ref_exec_id) == (
        "G-7",
        ExecType.TRADE_CORRECT,
        filled.exec_id,
    )
    assert (corrected.last_qty, corrected.last_px) == (Decimal(100), Decimal("10.45"))
    assert (busted.order_id, busted.exec_type, busted.ref_exec_id) == (
        "G-7",
        ExecType.TRADE_CANCEL,
        corrected.exec_id,
    )


def test_order_for_a_venue_that_is_not_logged_on_is_rejected_at_once() -> None:
    loop = LoopThread()
    try:
        venue = FixVenue("XFIX", venue_settings(1))  # never connects
        reports: list[ExecutionReport] = []
        venue.connect(reports.append)
        loop.call(venue.submit, RoutedOrder("G-9", order("AAPL")))
        assert [(r.order_id, r.exec_type, r.text) for r in reports] == [
            ("G-9", ExecType.REJECTED, "VENUE_UNAVAILABLE venue=XFIX")
        ]
        venue._orders["G-8"] = _Routed("G-8", order("AAPL"), "G-8")  # as if routed before a drop
        loop.call(venue.cancel, "G-8")
        loop.call(venue.replace, RoutedOrder("G-8", order("AAPL", qty="150")))
        assert [(r.order_id, r.exec_type) for r in reports[1:]] == [
            ("G-8", ExecType.CANCEL_REJECTED),  # refused: the order works on as last reported
            ("G-8", ExecType.REPLACE_REJECTED),
        ]
    finally:
        loop.close()


def test_the_pipeline_routes_through_the_fix_venue(tmp_path: Path) -> None:
    exchange = QfVenue(tmp_path / "venue")
    exchange.start()
    loop = LoopThread()
    venue = FixVenue("XFIX", venue_settings(exchange.port))
    settings = Settings(
        data_dir=tmp_path, policy_path=ROOT / "policies" / "default.toml", fix_config=None, watch_policy=False
    )
    gateway = build_gateway(settings, audit=MemoryAuditLog(), venues={"XFIX": venue})
    updates: queue.Queue[OrderUpdate] = queue.Queue()
    gateway.pipeline.subscribe(updates.put)
    try:
        loop.run(venue.start())
        loop.run(venue.initiator.wait_logged_on(venue.session_id))
        desk = NewOrder(
            "E2E-1",
            "ACC-APPLE-TSY",
            "AAPL",
            Side.BUY,
            Decimal(10),
            OrdType.LIMIT,
            TimeInForce.DAY,
            ORIGIN,
            limit_price=Decimal("228.00"),
        )
        result = loop.run(gateway.pipeline.submit(desk))
        assert result.accepted, result.denial
        update = updates.get(timeout=10)
        assert (update.order_id, update.status, update.report.venue) == (  # type: ignore[union-attr]
            result.order_id,
            OrderStatus.NEW,
            "XFIX",
        )
        sent = fields(wait_for(exchange.app.app))
        assert (sent[11], sent[55], sent[38]) == (result.order_id, "AAPL", "10")
    finally:
        loop.run(venue.stop())
        loop.close()
        exchange.stop()
        gateway.close()


class Restarts:
    """A QuickFIX exchange that outlives gateway processes: each :meth:`start` is a new
    process (a new FixVenue, state replayed from the same log), logged on."""

    def __init__(self, tmp_path: Path, version: str) -> None:
        self.version = version
        self.exchange = QfVenue(tmp_path / "venue", version=version)
        self.exchange.start()
        self.loop = LoopThread()
        self.audit = MemoryAuditLog()
        policy = ROOT / "policies" / "default.toml"
        self.settings = Settings(data_dir=tmp_path, policy_path=policy, fix_config=None, watch_policy=False)
        self._running: FixVenue | None = None
        self._gateways: list[Gateway] = []
        self.throttle: Throttle | None = None  # the venue's limit on what the gateway sends

    def start(self) -> Gateway:
        self.stop()
        venue = FixVenue("XFIX", venue_settings(self.exchange.port, self.version, self.throttle))
        gateway = build_gateway(self.settings, audit=self.audit, venues={"XFIX": venue})
        self.loop.run(venue.start())
        self.loop.run(venue.initiator.wait_logged_on(venue.session_id))
        self._running = venue
        self._gateways.append(gateway)
        return gateway

    def stop(self) -> None:
        if self._running is not None:
            self.loop.run(self._running.stop())
            self._running = None

    def close(self) -> None:
        self.stop()
        self.loop.close()
        self.exchange.stop()
        for gateway in self._gateways:
            gateway.close()


@pytest.fixture
def restarts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Restarts]:
    rig = Restarts(tmp_path, getattr(request, "param", "FIX.4.4"))
    yield rig
    rig.close()


def desk_buy(cl: str, qty: int) -> NewOrder:
    return NewOrder(
        cl, "ACC-APPLE-TSY", "AAPL", Side.BUY, Decimal(qty), OrdType.LIMIT, TimeInForce.DAY,
        ORIGIN, limit_price=Decimal("228.00"),
    )  # fmt: skip


def eventually(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_an_order_working_at_the_fix_venue_is_amended_and_reported_after_a_gateway_restart(
    restarts: Restarts,
) -> None:
    """A new process (new FixVenue, state replayed from the log) cancels a replaced order
    under the ClOrdID the venue last confirmed, and the venue's answer reaches the order."""
    gateway, loop = restarts.start(), restarts.loop
    order_id = loop.run(gateway.pipeline.submit(desk_buy("RS-1", 10))).order_id
    amend = ReplaceRequest("RS-2", "RS-1", "ACC-APPLE-TSY", ORIGIN, Decimal(20), Decimal("228.10"))
    assert loop.run(gateway.pipeline.replace(amend)).accepted
    wait_for(restarts.exchange.app.app, lambda raw: fields(raw)[35] == "G")
    working = gateway.pipeline.state.orders[order_id]
    eventually(lambda: working.venue_cl_ord_id == f"{order_id}.1", "the venue never confirmed the replace")

    again = restarts.start()
    cancel = CancelRequest("RS-3", "RS-2", "ACC-APPLE-TSY", ORIGIN)
    assert loop.run(again.pipeline.cancel(cancel)).accepted
    sent = fields(wait_for(restarts.exchange.app.app, lambda raw: fields(raw)[35] == "F"))
    assert sent[41] == f"{order_id}.1" and sent[11] not in (order_id, f"{order_id}.1", f"{order_id}.2")
    restored = again.pipeline.state.orders[order_id]
    eventually(lambda: restored.status is OrderStatus.CANCELED, "the venue's cancel never reached the order")


def test_a_desks_mass_cancel_after_a_gateway_restart_reaches_its_orders_at_the_venue(
    restarts: Restarts,
) -> None:
    """The desk's OrderMassCancelRequest to a restarted gateway cancels the orders it entered
    before the restart, which work on at the FIX venue, and reports how many."""
    gateway, loop = restarts.start(), restarts.loop
    ids = [loop.run(gateway.pipeline.submit(desk_buy(f"MC-{i}", 10 + i))).order_id for i in range(3)]
    wait_for(restarts.exchange.app.app, lambda raw: fields(raw).get(11) == ids[-1])

    again = restarts.start()
    desk = SessionID("FIX.4.4", "GW", "DESK1")
    session = SessionSettings(desk, origin_session="DESK1", allowed_accounts=frozenset({"ACC-APPLE-TSY"}))
    adapter = FixOrderEntry(again.pipeline, [session], working_orders=again.pipeline)
    sender = RecordingSender()
    adapter.attach(sender)
    request = desk_message("q", "11=MC-ALL|530=7|60=20261123-10:00:00", desk, b"DESK1")

    async def mass_cancel() -> None:
        adapter.from_app(desk, request)
        await adapter.drain()

    loop.run(mass_cancel())
    [report] = [m for m in sender.take(desk) if m.msg_type == b"r"]
    assert (report.get(531), report.get(533)) == ("7", "3")
    orders = again.pipeline.state.orders
    eventually(
        lambda: all(orders[i].status is OrderStatus.CANCELED for i in ids),
        "the venue never cancelled the orders entered before the restart",
    )


@pytest.mark.parametrize("restarts", ["FIX.4.4", "FIX.4.2"], indirect=True)
def test_fills_and_cancels_missed_while_the_gateway_was_down_are_reconciled_at_logon(
    restarts: Restarts,
) -> None:
    """The venue session resets its sequence numbers at logon, so nothing is resent: the
    restarted gateway asks each order's status and books what it missed."""
    gateway, loop, exchange = restarts.start(), restarts.loop, restarts.exchange
    filled = loop.run(gateway.pipeline.submit(desk_buy("MW-1", 10))).order_id
    ended = loop.run(gateway.pipeline.submit(desk_buy("MW-2", 5))).order_id
    wait_for(exchange.app.app, lambda raw: fields(raw).get(11) == ended)
    restarts.stop()
    exchange.app.while_away(filled, cum="6", avg="227.95", status="1", leaves="4")
    exchange.app.while_away(ended, status="4", leaves="0")

    again = restarts.start()
    orders = again.pipeline.state.orders
    eventually(
        lambda: orders[filled].cum_qty == 6 and orders[ended].status is OrderStatus.CANCELED,
        "the missed fill and cancel were never reconciled",
    )
    assert orders[filled].status is OrderStatus.PARTIALLY_FILLED
    assert orders[filled].avg_px == Decimal("227.95")
    assert again.pipeline.state.exposure("ACC-APPLE-TSY", "AAPL").position == 6
    booked = [dict(r.payload) for r in restarts.audit.read() if r.event_type == ev.EXECUTION]
    fill = next(p for p in booked if p["order_id"] == filled and p["exec_type"] == "PARTIAL_FILL")
    assert fill["last_qty"] == "6" and "reconciled" in fill["text"]


def test_a_bust_missed_while_away_is_reported_not_guessed(
    restarts: Restarts, caplog: pytest.LogCaptureFixture
) -> None:
    """The venue's status shows less filled than was booked: a bust happened while the gateway
    was away, and the status cannot say of which fill. The operator is told, with the order and
    both quantities, and so is the audit log (compliance reads that, not log files); the booking
    stands (no fill is taken back on a guess), also once rebuilt from the log."""
    gateway, loop, exchange = restarts.start(), restarts.loop, restarts.exchange
    order_id = loop.run(gateway.pipeline.submit(desk_buy("MB-1", 10))).order_id
    restarts.stop()
    exchange.app.while_away(order_id, cum="6", avg="227.95", status="1", leaves="4")
    again = restarts.start()
    eventually(lambda: again.pipeline.state.orders[order_id].cum_qty == 6, "the fill was never reconciled")
    assert (_fix_venue(again).reconciled_fills, _fix_venue(again).status_discrepancies) == (1, 0)
    restarts.stop()
    exchange.app.while_away(order_id, cum="2", avg="227.95", status="1", leaves="8")

    with caplog.at_level(logging.ERROR, logger="fix.venue"):
        third = restarts.start()
        eventually(lambda: any(order_id in r.getMessage() for r in caplog.records), "no one was told")
    told = next(r.getMessage() for r in caplog.records if order_id in r.getMessage())
    assert "reports 2 filled, 6 is booked" in told
    assert third.pipeline.state.orders[order_id].cum_qty == 6
    eventually(
        lambda: any(
            r.event_type == ev.EXECUTION and r.payload["exec_type"] == "ORDER_STATUS"
            for r in restarts.audit.read()
        ),
        "the discrepancy never reached the audit log",
    )
    status = next(
        dict(r.payload)
        for r in restarts.audit.read()
        if r.event_type == ev.EXECUTION and r.payload["exec_type"] == "ORDER_STATUS"
    )
    assert status["order_id"] == order_id and status["cum_qty"] == "6"
    assert "reports 2 filled, 6 is booked" in status["text"]
    assert (_fix_venue(third).reconciled_fills, _fix_venue(third).status_discrepancies) == (0, 1)
    restarts.stop()
    exchange.app.while_away(order_id, cum="6", avg="227.95", status="1", leaves="4")  # settled
    fourth = restarts.start()
    assert fourth.pipeline.state.orders[order_id].cum_qty == 6


def _fix_venue(gateway: Gateway) -> FixVenue:
    venue = gateway.venues["XFIX"]
    assert isinstance(venue, FixVenue)
    return venue


def test_status_requests_at_logon_are_paced_to_half_the_venues_throttle(restarts: Restarts) -> None:
    """60 orders work at a venue that takes 20 messages per 0.2 s: the restarted gateway asks
    their status at most 10 per 0.2 s rather than all at once, and still reconciles each."""
    restarts.throttle = Throttle(20, 0.2)
    gateway, loop, exchange = restarts.start(), restarts.loop, restarts.exchange
    ids = [loop.run(gateway.pipeline.submit(desk_buy(f"PC-{i}", 10 + i))).order_id for i in range(60)]
    wait_for(exchange.app.app, lambda raw: fields(raw).get(11) == ids[-1])
    restarts.stop()
    for order_id in ids:
        exchange.app.while_away(order_id, cum="1", avg="227.95", status="1")

    again = restarts.start()
    orders = again.pipeline.state.orders
    eventually(lambda: all(orders[i].cum_qty == 1 for i in ids), "not every order was reconciled")
    asked = [fields(raw) for raw in drain(exchange.app.app) if fields(raw)[35] == "H"]
    assert sorted(f[11] for f in asked) == sorted(ids)
    sent = sorted(datetime.strptime(f[52], "%Y%m%d-%H:%M:%S.%f") for f in asked)
    busiest = max(sum(1 for other in sent if 0 <= (other - t).total_seconds() < 0.19) for t in sent)
    assert busiest <= 10, f"{busiest} status requests within 0.19 s"
    assert (sent[-1] - sent[0]).total_seconds() >= 0.95  # six batches, five intervals of 0.2 s


def test_after_a_stop_the_venue_decides_whether_an_order_without_a_routing_record_arrived(
    restarts: Restarts,
) -> None:
    """One order the gateway stopped before routing, one whose routing record the stop lost
    after the venue had it: the venue's status answers at the next logon tell them apart."""
    audit, loop = restarts.audit, restarts.loop
    real_append = audit.append

    class Stopped(Exception):
        pass

    def losing(stop: bool) -> Any:
        def append(event_type: str, payload: Any, **kw: Any) -> Any:
            if event_type != ev.ORDER_ROUTED:
                return real_append(event_type, payload, **kw)
            if stop:
                raise Stopped  # before the venue hears of it
            return AppendTicket()  # routed, but the record never lands

        return append

    gateway = restarts.start()
    audit.append = losing(stop=True)  # type: ignore[method-assign]
    with pytest.raises(Stopped):
        loop.run(gateway.pipeline.submit(desk_buy("NR-1", 10)))
    audit.append = losing(stop=False)  # type: ignore[method-assign]
    assert loop.run(gateway.pipeline.submit(desk_buy("NR-2", 20))).accepted
    wait_for(restarts.exchange.app.app, lambda raw: fields(raw).get(35) == "D")
    audit.append = real_append  # type: ignore[method-assign]
    never, arrived = [r.payload["order_id"] for r in audit.read() if r.event_type == ev.ORDER_ACCEPTED]

    again = restarts.start()
    orders = again.pipeline.state.orders
    eventually(
        lambda: orders[never].status is OrderStatus.REJECTED,
        "the venue's answer never closed the order it did not have",
    )
    assert orders[arrived].status is OrderStatus.NEW  # the venue has it: it works on
    assert again.pipeline.router.is_placed(arrived)


def test_a_fill_already_booked_is_not_booked_twice(
    connected: tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]],
) -> None:
    """CumQty decides: a fill resent after a status answer reconciled it (or a duplicate)
    carries a CumQty the gateway has booked already."""
    venue, exchange, loop, reports = connected
    import quickfix as qf

    loop.call(venue.submit, RoutedOrder("G-11", order("AAPL", qty="100")))
    assert reports.get(timeout=10).exec_type is ExecType.NEW
    session = qf.SessionID(venue.session_id.begin_string, "XVENUE", "GW")
    base = [(37, "V-G-11"), (11, "G-11"), (55, "AAPL"), (54, "5"), (38, "100"), (60, "20261123-10:00:00")]

    trade = "1" if venue.session_id.begin_string == "FIX.4.2" else "F"  # 4.2: ExecType partial fill

    def partial(cum: str, last: str) -> None:
        leaves = str(100 - int(cum))
        exchange.app._report(
            session,
            [
                *base,
                (150, trade),
                (39, "1"),
                (32, last),
                (31, "10.50"),
                (14, cum),
                (151, leaves),
                (6, "10.50"),
            ],
        )

    partial("40", "40")
    partial("40", "40")  # the same fill again
    partial("70", "30")
    booked = [reports.get(timeout=10), reports.get(timeout=10)]
    assert [(r.exec_type, r.last_qty) for r in booked] == [
        (ExecType.PARTIAL_FILL, Decimal(40)),
        (ExecType.PARTIAL_FILL, Decimal(30)),
    ]
    assert reports.empty()


def test_reports_for_orders_we_never_sent_are_ignored(
    connected: tuple[FixVenue, QfVenue, LoopThread, queue.Queue[ExecutionReport]],
) -> None:
    venue, exchange, loop, reports = connected
    import quickfix as qf

    session = qf.SessionID(venue.session_id.begin_string, "XVENUE", "GW")
    exchange.app._report(
        session,
        [
            (37, "X"),
            (11, "NOT-OURS"),
            (55, "AAPL"),
            (54, "1"),
            (150, "0"),
            (39, "0"),
            (151, "1"),
            (14, "0"),
            (6, "0"),
            (60, datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S")),
        ],
    )
    loop.call(venue.submit, RoutedOrder("G-4", order("AAPL")))
    assert reports.get(timeout=10).order_id == "G-4"  # the stray report produced nothing


def test_venues_from_config() -> None:
    from fix.config import parse_config
    from fix.venue import venues_from_config

    config = parse_config("""
[DEFAULT]
BeginString=FIX.4.4
SenderCompID=GW
NonStopSession=Y
[SESSION]
ConnectionType=initiator
TargetCompID=XVENUE
SocketConnectHost=127.0.0.1
SocketConnectPort=9100
Username=gw
CredentialRef=xvenue-fix
""")
    venues = venues_from_config(config, passwords={"xvenue-fix": "pw"})
    assert list(venues) == ["XVENUE"]
    venue = venues["XVENUE"]
    assert venue.name == "XVENUE" and venue.session_id == SessionID("FIX.4.4", "GW", "XVENUE")
    assert venue.initiator.session(venue.session_id)._password == "pw"  # type: ignore[union-attr]
