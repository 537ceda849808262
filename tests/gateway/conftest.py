"""Fixtures for the composed gateway: real pipeline, real simulated venue, chosen audit log."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audit.api import AppendTicket, AuditLog, AuditRecord, AuditUnavailable
from audit.memory import MemoryAuditLog
from gateway.app import Gateway, build_gateway
from gateway.settings import PACKAGE_DATA, Settings
from gateway.venues.simulated import SimulatedVenue
from risk_controls import events as ev
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
from risk_controls.venue import ReportSink, RestoredOrder, RoutedOrder

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "default.toml"
XVENUE_SESSION = """
[SESSION]
ConnectionType=initiator
TargetCompID=XVENUE
SocketConnectHost=127.0.0.1
SocketConnectPort=1
Username=gw
CredentialRef=xvenue-fix
"""
"""A FIX venue session for the sample config: nothing listens on port 1, so it never logs
on; its password is GATEWAY_SECRET_XVENUE_FIX."""
DESK = OrderOrigin(Channel.FIX, "DESK1", "jsmith")


@dataclass
class SpyVenue:
    """A real simulated venue that also checks, at the moment an order arrives,
    that the audit log already holds a durable acceptance with every check passed."""

    inner: SimulatedVenue
    audit: AuditLog
    name: str = "SIM"
    received: list[RoutedOrder] = field(default_factory=list)
    restored: list[RoutedOrder] = field(default_factory=list)
    cancels: list[str] = field(default_factory=list)
    forward_amendments: bool = True  # False: take cancels and replaces, answer nothing (the test will)
    violations: list[str] = field(default_factory=list)

    def connect(self, on_report: ReportSink) -> None:
        self.inner.connect(on_report)

    def submit(self, routed: RoutedOrder) -> None:
        accepted = [
            r
            for r in self.audit.read()
            if r.event_type == ev.ORDER_ACCEPTED and r.payload["order_id"] == routed.order_id
        ]
        if not accepted:
            self.violations.append(f"{routed.order_id} reached the venue without a durable acceptance")
        elif any(c["outcome"] != "PASS" for c in accepted[0].payload["checks"]):
            self.violations.append(f"{routed.order_id} reached the venue with a failed check")
        self.received.append(routed)
        self.inner.submit(routed)

    def cancel(self, order_id: str) -> None:
        self._explained(order_id, "cancel")
        self.cancels.append(order_id)
        if self.forward_amendments:
            self.inner.cancel(order_id)

    def replace(self, routed: RoutedOrder) -> None:
        self._explained(routed.order_id, "amendment")
        if self.forward_amendments:
            self.inner.replace(routed)

    def restore(self, restored: RestoredOrder) -> None:
        self.restored.append(restored.routed)

    def _explained(self, order_id: str, what: str) -> None:
        """A cancel or amendment reaches the venue only once a durable record asks for it."""
        for record in self.audit.read():
            payload = record.payload
            if record.event_type == ev.KILL_ENGAGED and order_id in payload["cancelled_order_ids"]:
                return
            if record.event_type in (ev.CANCEL_REQUESTED, ev.REPLACE_ACCEPTED) and (
                payload["order_id"] == order_id
            ):
                return
        self.violations.append(f"{what} of {order_id} reached the venue before a durable record asked for it")


class LaggingAuditLog(MemoryAuditLog):
    """Records become durable (readable, tickets complete) ``lag`` seconds after they are
    appended, all pending ones at once, as with a group commit; before there is an event
    loop (start-up) at once."""

    def __init__(self, lag: float = 0.003) -> None:
        super().__init__()
        self.lag = lag
        self._durable = 0
        self._waiting: list[tuple[AppendTicket, AppendTicket]] = []
        self._commit_scheduled = False
        self.fail_next_commit = False

    def append(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        retention: str | None = None,
        lazy: bool = False,
    ) -> AppendTicket:
        appended = super().append(event_type, payload, retention=retention)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._durable = self.head()[0]
            return appended
        ticket = AppendTicket()
        self._waiting.append((ticket, appended))
        if not self._commit_scheduled:
            self._commit_scheduled = True
            loop.call_later(self.lag, self._commit)
        return ticket

    def _commit(self) -> None:
        self._commit_scheduled = False
        waiting, self._waiting = self._waiting, []
        if self.fail_next_commit:  # the whole batch is lost, as when a COMMIT fails
            self.fail_next_commit = False
            del self._records[self._durable :]
            for ticket, _ in waiting:
                ticket.set_error(AuditUnavailable("commit failed"))
            return
        self._durable = self.head()[0]
        for ticket, appended in waiting:
            ticket.set_result(appended.result(0))

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]:
        end = self._durable if end_seq is None else min(end_seq, self._durable)
        return super().read(start_seq, end)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 14, 30, 0, 123456, tzinfo=UTC))


@pytest.fixture
def instruments() -> InstrumentBook:
    return InstrumentBook.from_csv(PACKAGE_DATA / "instruments.csv")


def make_gateway(
    tmp_path: Path, audit: AuditLog, clock: ManualClock, policy: Path = POLICY
) -> tuple[Gateway, SpyVenue]:
    instruments = InstrumentBook.from_csv(PACKAGE_DATA / "instruments.csv")
    spy = SpyVenue(SimulatedVenue(instruments, clock=clock, id_prefix=f"S{clock.now():%H%M%S%f}"), audit)
    settings = Settings(data_dir=tmp_path, policy_path=policy, fix_config=None)
    gateway = build_gateway(settings, audit=audit, clock=clock, venues={"SIM": spy})
    return gateway, spy


@pytest.fixture
def memory_gateway(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[Gateway, SpyVenue]]:
    gateway, spy = make_gateway(tmp_path, MemoryAuditLog(), clock)
    yield gateway, spy
    assert spy.violations == []


def order(
    cl: str,
    symbol: str = "AAPL",
    side: Side = Side.BUY,
    qty: str = "100",
    price: str | None = "228.50",
    account: str = "ACC-APPLE-TSY",
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


def fill(order_id: str, exec_id: str, qty: str, price: str, when: datetime, trade_id: str) -> ExecutionReport:
    """A venue's full fill of ``qty`` at ``price`` on one of our orders (at the simulated venue)."""
    return ExecutionReport(
        order_id,
        exec_id,
        ExecType.FILL,
        "SIM",
        when,
        last_qty=Decimal(qty),
        last_px=Decimal(price),
        trade_id=trade_id,
    )
