"""What a FIX session knows about its orders, and which report each pipeline update earns.

The pipeline speaks of orders by ``order_id`` and always names the order's
*current* ClOrdID; a FIX client expects its cancel's ClOrdID on the Canceled
report, the previous ClOrdID as OrigClOrdID on Replaced, and exactly one New.
:class:`OrderTracker` keeps that per-session memory; :func:`report_for` turns
an :class:`~risk_controls.entry.OrderUpdate` into the report to send (or none).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from fix.ids import SessionID
from fix.messages import ExecType, Fill, OrderView
from fix.parties import Party
from risk_controls.domain import ExecType as DomainExecType
from risk_controls.domain import ExecutionReport, NewOrder, OrderStatus
from risk_controls.entry import OrderUpdate

ZERO = Decimal(0)


@dataclass(slots=True)
class TrackedOrder:
    """One order entered on a session, as that session's client sees it."""

    session_id: SessionID
    order_id: str
    cl_ord_id: str
    order: NewOrder
    status: OrderStatus
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal
    parties: tuple[Party, ...] = ()
    acknowledged: bool = False
    pending_cancel_cl: str | None = None
    pending_replace: tuple[str, str] | None = None  # (new ClOrdID, ClOrdID it replaces)

    def __init__(
        self,
        session_id: SessionID,
        order_id: str,
        cl_ord_id: str,
        order: NewOrder,
        status: OrderStatus,
        cum_qty: Decimal,
        leaves_qty: Decimal,
        avg_px: Decimal,
        parties: tuple[Party, ...] = (),
        acknowledged: bool = False,
        pending_cancel_cl: str | None = None,
        pending_replace: tuple[str, str] | None = None,
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted even where this module is
        # compiled, and every order entered makes one (tests/test_initialisers.py)
        self.session_id = session_id
        self.order_id = order_id
        self.cl_ord_id = cl_ord_id
        self.order = order
        self.status = status
        self.cum_qty = cum_qty
        self.leaves_qty = leaves_qty
        self.avg_px = avg_px
        self.parties = parties
        self.acknowledged = acknowledged
        self.pending_cancel_cl = pending_cancel_cl
        self.pending_replace = pending_replace

    def view(self, cl_ord_id: str | None = None, orig: str | None = None) -> OrderView:
        return OrderView(
            self.order_id,
            cl_ord_id or self.cl_ord_id,
            self.order,
            self.status,
            self.cum_qty,
            self.leaves_qty,
            self.avg_px,
            orig,
            self.parties,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """An ExecutionReport to send: what happened and under which ClOrdIDs."""

    view: OrderView
    exec_type: bytes
    ord_status: bytes | None = None
    fill: Fill | None = None
    text: str | None = None
    ord_rej_reason: int | None = None
    exec_ref_id: str | None = None
    """The fill a bust or correction amends (ExecRefID 19)."""

    def __init__(
        self,
        view: OrderView,
        exec_type: bytes,
        ord_status: bytes | None = None,
        fill: Fill | None = None,
        text: str | None = None,
        ord_rej_reason: int | None = None,
        exec_ref_id: str | None = None,
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted (tests/test_initialisers.py)
        object.__setattr__(self, "view", view)
        object.__setattr__(self, "exec_type", exec_type)
        object.__setattr__(self, "ord_status", ord_status)
        object.__setattr__(self, "fill", fill)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "ord_rej_reason", ord_rej_reason)
        object.__setattr__(self, "exec_ref_id", exec_ref_id)


class OrderTracker:
    """Orders by session and ClOrdID (current and previous) and by order id."""

    def __init__(self, max_done: int = 100_000) -> None:
        self._by_cl: dict[tuple[SessionID, str], TrackedOrder] = {}
        self._by_id: dict[str, TrackedOrder] = {}
        self._done: OrderedDict[str, list[tuple[SessionID, str]]] = OrderedDict()
        self._keys: dict[str, list[tuple[SessionID, str]]] = {}
        self._max_done = max_done
        self._rejected: OrderedDict[tuple[SessionID, str], None] = OrderedDict()

    def add(self, order: TrackedOrder) -> TrackedOrder:
        self._by_id[order.order_id] = order
        self._index(order, order.cl_ord_id)
        return order

    def _index(self, order: TrackedOrder, cl_ord_id: str) -> None:
        key = (order.session_id, cl_ord_id)
        self._by_cl[key] = order
        self._keys.setdefault(order.order_id, []).append(key)

    def by_cl(self, session_id: SessionID, cl_ord_id: str) -> TrackedOrder | None:
        return self._by_cl.get((session_id, cl_ord_id))

    def by_id(self, order_id: str) -> TrackedOrder | None:
        return self._by_id.get(order_id)

    def working(self, session_id: SessionID) -> list[TrackedOrder]:
        return [
            o
            for o in self._by_id.values()
            if o.session_id == session_id and o.status.is_working and o.order_id not in self._done
        ]

    def rename(self, order: TrackedOrder, cl_ord_id: str) -> None:
        """After a replace the order answers to its new ClOrdID (the old one still finds it)."""
        order.cl_ord_id = cl_ord_id
        self._index(order, cl_ord_id)

    def finished(self, order: TrackedOrder) -> None:
        """A done order stays findable (status requests) until ``max_done`` newer ones finish."""
        if order.order_id in self._done:
            return
        self._done[order.order_id] = self._keys.get(order.order_id, [])
        while len(self._done) > self._max_done:
            order_id, keys = self._done.popitem(last=False)
            self._by_id.pop(order_id, None)
            self._keys.pop(order_id, None)
            for key in keys:
                if self._by_cl.get(key) is not None and self._by_cl[key].order_id == order_id:
                    del self._by_cl[key]

    def rejected(self, session_id: SessionID, cl_ord_id: str) -> None:
        """A new order answered Rejected: remembered (the last ``max_done``) so that the same
        order resent with PossDupFlag or PossResend is not decided, and recorded, twice."""
        self._rejected[(session_id, cl_ord_id)] = None
        if len(self._rejected) > self._max_done:
            self._rejected.popitem(last=False)

    def was_rejected(self, session_id: SessionID, cl_ord_id: str) -> bool:
        return (session_id, cl_ord_id) in self._rejected

    def __len__(self) -> int:
        return len(self._by_id)


def _fill_type(begin_string: str, status: OrderStatus) -> bytes:
    if begin_string != "FIX.4.2":
        return ExecType.TRADE
    return ExecType.FILL_42 if status is OrderStatus.FILLED else ExecType.PARTIAL_FILL_42


def report_for(order: TrackedOrder, update: OrderUpdate, begin_string: str) -> Report | None:
    """Apply ``update`` to ``order`` and say which report the client is owed (None: none)."""
    previous_cl = order.cl_ord_id
    order.order = update.order
    order.status = update.status
    order.cum_qty = update.cum_qty
    order.leaves_qty = update.leaves_qty
    order.avg_px = update.avg_px
    report = update.report
    kind = report.exec_type if report is not None else _kind_from_status(update.status)
    if kind is None:
        return None
    text = update.text or (report.text if report is not None else None)
    if kind is DomainExecType.NEW:
        if order.acknowledged:
            return None  # the venue's ack of an order we already acknowledged
        order.acknowledged = True
        return Report(order.view(), ExecType.NEW)
    if kind in (DomainExecType.PARTIAL_FILL, DomainExecType.FILL):
        fill = None
        if report is not None and report.last_qty is not None and report.last_px is not None:
            fill = Fill(report.last_qty, report.last_px, None, report.trade_id)
        return Report(order.view(), _fill_type(begin_string, update.status), fill=fill, text=text)
    if kind in (DomainExecType.TRADE_CANCEL, DomainExecType.TRADE_CORRECT) and report is not None:
        return _trade_amendment(order, report, text)
    if kind is DomainExecType.CANCELED:
        cancel_cl, order.pending_cancel_cl = order.pending_cancel_cl, None
        if cancel_cl is not None:
            return Report(order.view(cancel_cl, previous_cl), ExecType.CANCELED, text=text)
        return Report(order.view(), ExecType.CANCELED, text=text)
    if kind is DomainExecType.REPLACED:
        replaced_from = order.pending_replace[1] if order.pending_replace else previous_cl
        order.pending_replace = None
        status = b"5" if begin_string == "FIX.4.2" else None
        return Report(order.view(update.cl_ord_id, replaced_from), ExecType.REPLACED, status, text=text)
    if kind is DomainExecType.REJECTED:
        return Report(order.view(), ExecType.REJECTED, text=text, ord_rej_reason=0)
    if kind is DomainExecType.EXPIRED:
        return Report(order.view(), ExecType.EXPIRED, text=text)
    return None  # a venue refused a cancel or replace: not an ExecutionReport (see FixOrderEntry)


def _trade_amendment(order: TrackedOrder, report: ExecutionReport, text: str | None) -> Report:
    """A bust (no fill) or correction (the corrected fill), naming the fill it amends."""
    fill = None
    correct = report.exec_type is DomainExecType.TRADE_CORRECT
    if correct and report.last_qty is not None and report.last_px is not None:
        fill = Fill(report.last_qty, report.last_px, None, report.trade_id)
    code = ExecType.TRADE_CORRECT if correct else ExecType.TRADE_CANCEL
    return Report(order.view(), code, fill=fill, text=text, exec_ref_id=report.ref_exec_id)


def _kind_from_status(status: OrderStatus) -> DomainExecType | None:
    """Updates without a venue report: a status change the gateway made itself."""
    return {
        OrderStatus.CANCELED: DomainExecType.CANCELED,
        OrderStatus.REJECTED: DomainExecType.REJECTED,
        OrderStatus.EXPIRED: DomainExecType.EXPIRED,
        OrderStatus.REPLACED: DomainExecType.REPLACED,
    }.get(status)
