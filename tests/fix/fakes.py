"""A small fake OrderEntry and a recording Sender for adapter tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from fix.codec import encode, parse
from fix.ids import SessionID
from fix.message import Field, FixMessage
from fix.spec import dictionary
from risk_controls.domain import (
    CancelRequest,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrderStatus,
    ReplaceRequest,
    WorkingOrder,
)
from risk_controls.domain.decisions import Denial, deny
from risk_controls.entry import (
    AmendResult,
    EntryRefusal,
    OrderListener,
    OrderUpdate,
    Request,
    SubmitResult,
)

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


@dataclass
class FakeEntry:
    """Accepts orders unless ``deny_next`` is set; the test pushes venue updates by hand."""

    listeners: list[OrderListener] = field(default_factory=list)
    orders: dict[str, WorkingOrder] = field(default_factory=dict)
    submitted: list[NewOrder] = field(default_factory=list)
    cancels: list[CancelRequest] = field(default_factory=list)
    replaces: list[ReplaceRequest] = field(default_factory=list)
    refusals: list[EntryRefusal] = field(default_factory=list)
    deny_next: Denial | None = None
    gate: asyncio.Event | None = None  # submit waits on it when set
    counter: int = 0

    def subscribe(self, listener: OrderListener) -> None:
        self.listeners.append(listener)

    async def submit(self, order: NewOrder) -> SubmitResult:
        self.submitted.append(order)
        self.counter += 1
        order_id = f"O{self.counter}"
        taken = self._find(order.account, order.cl_ord_id) is not None  # the pipeline refuses reuse
        if self.gate is not None:
            await self.gate.wait()
        if self.deny_next is not None:
            denial, self.deny_next = self.deny_next, None
            return SubmitResult(order_id, False, denial, self.counter)
        if taken:
            duplicate = deny(_code("DUPLICATE_CL_ORD_ID"), "order_entry", cl_ord_id=order.cl_ord_id)
            return SubmitResult(order_id, False, duplicate, self.counter)
        self.orders[order_id] = WorkingOrder(order_id, order, OrderStatus.NEW, NOW, "SIM")
        return SubmitResult(order_id, True, None, self.counter)

    async def refuse(self, refusal: EntryRefusal) -> str | None:
        self.refusals.append(refusal)
        if refusal.request is not Request.NEW:
            return None
        self.counter += 1
        return f"O{self.counter}"

    def _find(self, account: str, cl_ord_id: str) -> WorkingOrder | None:
        for working in self.orders.values():
            if working.order.account == account and working.order.cl_ord_id == cl_ord_id:
                return working
        return None

    async def cancel(self, request: CancelRequest) -> AmendResult:
        self.cancels.append(request)
        working = self._find(request.account, request.orig_cl_ord_id)
        if working is None:
            return AmendResult(
                None,
                False,
                deny(_code("UNKNOWN_ORDER"), "order_entry", orig_cl_ord_id=request.orig_cl_ord_id),
            )
        if not working.status.is_working:
            return AmendResult(working.order_id, False, deny(_code("ORDER_NOT_WORKING"), "order_entry"))
        working.status = OrderStatus.PENDING_CANCEL
        return AmendResult(working.order_id, True)

    async def replace(self, request: ReplaceRequest) -> AmendResult:
        self.replaces.append(request)
        working = self._find(request.account, request.orig_cl_ord_id)
        if working is None:
            return AmendResult(
                None,
                False,
                deny(_code("UNKNOWN_ORDER"), "order_entry", orig_cl_ord_id=request.orig_cl_ord_id),
            )
        if request.quantity <= working.cum_qty:
            return AmendResult(working.order_id, False, deny(_code("REPLACE_BELOW_FILLED"), "order_entry"))
        working.order = working.replaced_by(request)
        return AmendResult(working.order_id, True)

    def working_orders(self, *, account: str | None = None, session: str | None = None) -> list[WorkingOrder]:
        return [
            w
            for w in self.orders.values()
            if w.status.is_working and (session is None or w.order.origin.session == session)
        ]

    # --- venue side, driven by the test ---

    def report(
        self,
        order_id: str,
        exec_type: ExecType,
        last_qty: str | None = None,
        last_px: str | None = None,
        ref_exec_id: str | None = None,
    ) -> None:
        working = self.orders[order_id]
        qty = Decimal(last_qty) if last_qty else None
        px = Decimal(last_px) if last_px else None
        if exec_type in (ExecType.PARTIAL_FILL, ExecType.FILL):
            assert qty is not None and px is not None
            working.cum_notional += qty * px
            working.cum_qty += qty
            working.status = (
                OrderStatus.FILLED
                if working.cum_qty >= working.order.quantity
                else OrderStatus.PARTIALLY_FILLED
            )
        elif exec_type is ExecType.TRADE_CANCEL:  # tests bust an order's only fill
            working.cum_qty = working.cum_notional = Decimal(0)
        elif exec_type is ExecType.CANCEL_REJECTED:
            working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW
        elif exec_type is ExecType.CANCELED:
            working.status = OrderStatus.CANCELED
        elif exec_type is ExecType.REPLACED:
            working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW
        elif exec_type is ExecType.REJECTED:
            working.status = OrderStatus.REJECTED
        elif exec_type is ExecType.EXPIRED:
            working.status = OrderStatus.EXPIRED
        report = ExecutionReport(
            order_id,
            f"V-{order_id}-{exec_type.value}-{working.cum_qty}",
            exec_type,
            "SIM",
            NOW,
            qty,
            px,
            trade_id="T1" if qty else None,
            text="too late" if exec_type is ExecType.CANCEL_REJECTED else None,
            ref_exec_id=ref_exec_id,
        )
        update = OrderUpdate(
            order_id=order_id,
            cl_ord_id=working.order.cl_ord_id,
            orig_cl_ord_id=None,
            account=working.order.account,
            origin=working.order.origin,
            status=working.status,
            order=working.order,
            cum_qty=working.cum_qty,
            leaves_qty=working.leaves_qty,
            avg_px=working.avg_px,
            report=report,
            text=report.text,
        )
        for listener in self.listeners:
            listener(update)


def _code(name: str):  # type: ignore[no-untyped-def]
    from risk_controls.domain import DenyCode

    return DenyCode(name)


@dataclass
class Sent:
    session: SessionID
    msg_type: bytes
    body: list[Field]

    def get(self, tag: int) -> str | None:
        for t, v in self.body:
            if t == tag:
                return v.decode()
        return None

    def all(self, tag: int) -> list[str]:
        return [v.decode() for t, v in self.body if t == tag]


@dataclass
class RecordingSender:
    sent: list[Sent] = field(default_factory=list)

    def send(self, session_id: SessionID, msg_type: bytes, body: object) -> bool:
        fields = list(body)  # type: ignore[call-overload]
        self.sent.append(Sent(session_id, msg_type, fields))
        # every message the adapter sends must pass the FIX dictionary of its version
        header = [(35, msg_type), (49, b"GW"), (56, b"X"), (34, b"1"), (52, b"20261123-10:00:00")]
        raw = encode(session_id.begin_string.encode(), header + fields)
        dictionary(session_id.begin_string).validate(parse(raw))
        return True

    def is_logged_on(self, session_id: SessionID) -> bool:
        return True

    def take(self, session: SessionID | None = None) -> list[Sent]:
        out = [s for s in self.sent if session is None or s.session == session]
        self.sent = [s for s in self.sent if s not in out]
        return out


def desk_message(msg_type: str, fields: str, sid: SessionID, sender: bytes = b"DESK") -> FixMessage:
    """An inbound application message as the session layer hands it on: ``fields`` is
    ``tag=value`` pairs separated by ``|``, after a fixed header from ``sender``."""
    body: list[Field] = [
        (35, msg_type.encode()),
        (49, sender),
        (56, b"GW"),
        (34, b"2"),
        (52, b"20261123-10:00:00.000"),
    ]
    for part in fields.split("|"):
        if part:
            tag, value = part.split("=", 1)
            body.append((int(tag), value.encode()))
    return parse(encode(sid.begin_string.encode(), body))
