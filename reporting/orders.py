"""Order lifecycles rebuilt from the audit records, one version at a time.

The tracker keeps only the orders that are still working. When a version of an
order reaches a terminal state (denied, filled, cancelled, rejected, expired,
or replaced by a new version) it is handed to the listeners and forgotten, so
memory follows the number of working orders, not the number of records. The
ones still working when the range ends are handed over last, in arrival order.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from reporting.csvout import decimal_text
from reporting.record import Record
from reporting.scan import Scan
from risk_controls import events as ev

ZERO = Decimal(0)
_PX_STEP = Decimal("0.000001")
TERMINAL = frozenset({"DENIED", "FILLED", "CANCELED", "REPLACED", "REJECTED", "EXPIRED"})
_RECENTLY_CLOSED = 20_000  # ids of closed orders kept to spot late reports (bounded)
_RECENTLY_FILLED = 5_000  # filled orders kept (without their checks) for a later bust or correction
_EXEC_ORDER_FIELDS = ("cl_ord_id", "account", "symbol", "side")
_TRADE_AMENDMENTS = frozenset({"TRADE_CANCEL", "TRADE_CORRECT"})


@dataclass(slots=True)
class OrderState:
    """One version of an order as the records describe it so far."""

    order_id: str
    received_seq: int
    order: dict[str, Any] | None  # order_payload(); partial or None when received before
    carried_over: bool = False  # received before the range began
    isin: str | None = None
    currency: str | None = None  # the instrument's price currency, when the record carries it
    version: int = 1
    versions_used: int = 1  # a replace the venue refused still used up a version number
    prior_cl_ord_id: str | None = None
    replaced_by: str | None = None
    status: str = "RECEIVED"
    received_at: str | None = None
    accepted_at: str | None = None
    routed_at: str | None = None
    acknowledged_at: str | None = None
    first_executed_at: str | None = None
    last_executed_at: str | None = None
    cancel_requested_at: str | None = None
    closed_at: str | None = None
    venue: str | None = None
    mic: str | None = None
    venue_order_id: str | None = None
    cum_qty: Decimal = ZERO
    cum_notional: Decimal = ZERO
    fills: int = 0
    checks: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)
    alerts: int = 0
    policy_hash: str | None = None
    denial: dict[str, Any] | None = None
    reason: str | None = None
    kill_note: str | None = None
    open_at_end: bool = False

    def field(self, name: str) -> Any:
        return None if self.order is None else self.order.get(name)

    @property
    def cl_ord_id(self) -> str | None:
        cl: str | None = self.field("cl_ord_id")
        return cl

    @property
    def quantity(self) -> Decimal | None:
        qty = self.field("quantity")
        return None if qty is None else Decimal(qty)

    @property
    def leaves_qty(self) -> Decimal:
        qty = self.quantity
        if self.status in TERMINAL or qty is None:
            return ZERO
        return max(qty - self.cum_qty, ZERO)

    @property
    def avg_px(self) -> str | None:
        if not self.cum_qty:
            return None
        return decimal_text((self.cum_notional / self.cum_qty).quantize(_PX_STEP, ROUND_HALF_EVEN))


FillListener = Callable[[OrderState, Record], None]
AmendmentListener = Callable[[OrderState, Record], None]
"""A venue's bust or correction of a fill; the state is the order (open, or one of the last
5,000 filled ones closed), else a stand-in holding what the record itself names."""
CloseListener = Callable[[OrderState], None]
DenialListener = Callable[[OrderState | None, Record], None]


class OrderTracker:
    """Folds order records into versions; tells listeners about fills, denials and closes."""

    def __init__(self, scan: Scan) -> None:
        self._open: dict[str, OrderState] = {}
        self._pending_replace: dict[str, Record] = {}
        self._awaiting_venue: dict[str, tuple[Record, Record]] = {}
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._filled: OrderedDict[str, OrderState] = OrderedDict()
        self.late_events = 0
        self.peak_open = 0
        self._on_fill: list[FillListener] = []
        self._on_amendment: list[AmendmentListener] = []
        self._on_close: list[CloseListener] = []
        self._on_denial: list[DenialListener] = []
        for event_type, handler in (
            (ev.ORDER_RECEIVED, self._received),
            (ev.ORDER_ACCEPTED, self._accepted),
            (ev.ORDER_DENIED, self._denied),
            (ev.ORDER_ROUTED, self._routed),
            (ev.EXECUTION, self._execution),
            (ev.CANCEL_REQUESTED, self._cancel_requested),
            (ev.CANCEL_DENIED, self._amend_denied),
            (ev.REPLACE_REQUESTED, self._replace_requested),
            (ev.REPLACE_ACCEPTED, self._replace_accepted),
            (ev.REPLACE_DENIED, self._replace_denied),
            (ev.KILL_ENGAGED, self._kill_engaged),
            (ev.DECISION_WITHDRAWN, self._withdrawn),
        ):
            scan.on(event_type, handler)
        scan.at_end(self._finish)

    def on_fill(self, listener: FillListener) -> None:
        self._on_fill.append(listener)

    def on_trade_amendment(self, listener: AmendmentListener) -> None:
        self._on_amendment.append(listener)

    def on_close(self, listener: CloseListener) -> None:
        self._on_close.append(listener)

    def on_denial(self, listener: DenialListener) -> None:
        self._on_denial.append(listener)

    # --- lookups -------------------------------------------------------------

    def _get(self, order_id: str | None, record: Record, create: bool) -> OrderState | None:
        if not order_id:
            return None
        state = self._open.get(order_id)
        if state is not None:
            return state
        if order_id in self._closed:
            self.late_events += 1
            return None
        if not create:
            return None
        # an order received before the range: execution reports name its ticket fields
        known = {k: record.payload[k] for k in _EXEC_ORDER_FIELDS if record.payload.get(k)}
        state = OrderState(order_id, record.seq, known or None, carried_over=True)
        state.status = "NEW"
        self._add(state)
        return state

    def _add(self, state: OrderState) -> None:
        self._open[state.order_id] = state
        self.peak_open = max(self.peak_open, len(self._open))

    def _close(self, state: OrderState, status: str, record: Record) -> None:
        state.status, state.closed_at = status, record.ts
        del self._open[state.order_id]
        self._pending_replace.pop(state.order_id, None)
        self._awaiting_venue.pop(state.order_id, None)
        self._remember_closed(state.order_id)
        for listener in self._on_close:
            listener(state)
        if state.cum_qty:  # a venue may still bust or correct its fills: keep what a report row needs
            state.checks = []
            self._filled[state.order_id] = state
            if len(self._filled) > _RECENTLY_FILLED:
                self._filled.popitem(last=False)

    def _remember_closed(self, order_id: str) -> None:
        self._closed[order_id] = None
        if len(self._closed) > _RECENTLY_CLOSED:
            self._closed.popitem(last=False)

    # --- handlers ------------------------------------------------------------

    def _received(self, record: Record) -> None:
        p = record.payload
        state = OrderState(
            p["order_id"], record.seq, p["order"], isin=p.get("isin"), currency=p.get("currency")
        )
        state.received_at = record.ts
        self._add(state)

    def _accepted(self, record: Record) -> None:
        p = record.payload
        state = self._get(p["order_id"], record, create=False)
        if state is None:
            return
        state.status, state.accepted_at = "PENDING_NEW", record.ts
        state.checks = p.get("checks") or []
        state.tags = p.get("tags") or {}
        state.alerts = len(p.get("alerts") or [])
        state.policy_hash = p.get("policy_hash")

    def _denied(self, record: Record) -> None:
        p = record.payload
        state = self._get(p["order_id"], record, create=False)
        if state is None:
            for listener in self._on_denial:
                listener(None, record)
            return
        state.checks = p.get("checks") or []
        state.denial = dict(p["denial"])
        state.policy_hash = p.get("policy_hash")
        state.reason = state.denial.get("text")
        for listener in self._on_denial:
            listener(state, record)
        self._close(state, "DENIED", record)

    def _withdrawn(self, record: Record) -> None:
        """A decision whose commit failed in doubt: the client was refused (AUDIT_UNAVAILABLE),
        so the report says so, whether or not the withdrawn record made it into the log."""
        p = record.payload
        withdrawn = p.get("withdrawn")
        state = self._get(p.get("order_id"), record, create=False)
        if withdrawn == ev.ORDER_ACCEPTED:
            if state is None:
                return  # nothing of the order was recorded, so there is nothing to correct
            state.denial = dict(p["denial"])
            state.reason = f"acceptance withdrawn: {state.denial.get('text')}"
        elif state is not None and withdrawn == ev.CANCEL_REQUESTED:
            state.cancel_requested_at, state.reason = None, None
        elif state is not None and withdrawn == ev.REPLACE_ACCEPTED:
            self._awaiting_venue.pop(state.order_id, None)
        for listener in self._on_denial:
            listener(state, record)
        if state is not None and withdrawn == ev.ORDER_ACCEPTED:
            self._close(state, "DENIED", record)

    def _routed(self, record: Record) -> None:
        p = record.payload
        state = self._get(p["order_id"], record, create=True)
        if state is not None:
            state.routed_at, state.venue, state.mic = record.ts, p.get("venue"), p.get("mic")

    def _execution(self, record: Record) -> None:
        p = record.payload
        if p["exec_type"] in _TRADE_AMENDMENTS:
            self._trade_amended(record)
            return
        state = self._get(p["order_id"], record, create=True)
        if state is None:
            return
        exec_type = p["exec_type"]
        state.venue = state.venue or p.get("venue")
        state.venue_order_id = p.get("venue_order_id") or state.venue_order_id
        if exec_type == "REPLACED":
            pending = self._awaiting_venue.pop(state.order_id, None)
            if pending is not None:
                state = self._next_version(state, *pending, confirmed=record)
        if exec_type in ("NEW", "REPLACED"):
            state.acknowledged_at = state.acknowledged_at or record.ts
            if state.status in ("RECEIVED", "PENDING_NEW"):
                state.status = "NEW"
        elif exec_type in ("PARTIAL_FILL", "FILL"):
            self._fill(state, record, final=exec_type == "FILL")
        elif exec_type in ("CANCELED", "REJECTED", "EXPIRED"):
            state.reason = state.kill_note or p.get("text") or state.reason or exec_type.lower()
            self._close(state, exec_type, record)
        elif exec_type == "CANCEL_REJECTED":  # the order works on
            state.reason = f"venue refused the cancel: {p.get('text') or 'no reason given'}"
        elif exec_type == "REPLACE_REJECTED":
            self._replace_refused(state, record)
        elif exec_type == "ORDER_STATUS":  # the venue disagrees with the booking: flag it
            state.reason = f"venue status differs from the booking: {p.get('text') or 'no detail'}"

    def _fill(self, state: OrderState, record: Record, final: bool) -> None:
        p = record.payload
        qty, px = Decimal(p["last_qty"]), Decimal(p["last_px"])
        state.cum_qty += qty
        state.cum_notional += qty * px
        state.fills += 1
        state.first_executed_at = state.first_executed_at or record.ts
        state.last_executed_at = record.ts
        state.status = "PARTIALLY_FILLED"
        for listener in self._on_fill:
            listener(state, record)
        if final:
            state.reason = None
            self._close(state, "FILLED", record)

    def _trade_amended(self, record: Record) -> None:
        """A bust or correction: the record carries the order's quantities after it."""
        p = record.payload
        state = self._open.get(p["order_id"]) or self._filled.get(p["order_id"])
        if state is None:  # closed long ago (or received before the range): a stand-in from the record
            known = {k: p[k] for k in _EXEC_ORDER_FIELDS if p.get(k)}
            before = p["order_id"] not in self._closed
            state = OrderState(p["order_id"], record.seq, known or None, carried_over=before)
            state.status = p.get("status") or "FILLED"
            state.venue = p.get("venue")
        if p.get("cum_qty") is not None:
            state.cum_qty = Decimal(p["cum_qty"])
            state.cum_notional = state.cum_qty * Decimal(p.get("avg_px") or 0)
        if state.status not in TERMINAL and p.get("status") in ("NEW", "PARTIALLY_FILLED"):
            state.status = p["status"]  # a working order whose fill was busted may be NEW again
        for listener in self._on_amendment:
            listener(state, record)

    def _cancel_requested(self, record: Record) -> None:
        p = record.payload
        state = self._get(p.get("order_id"), record, create=False)
        if state is None:
            return
        state.cancel_requested_at = state.cancel_requested_at or record.ts
        who = p.get("requested_by") or (p.get("origin") or {}).get("user")
        why = p.get("reason") or "cancel requested"
        state.reason = f"{why} ({who})" if who else why

    def _amend_denied(self, record: Record) -> None:
        state = self._get(record.payload.get("order_id"), record, create=False)
        for listener in self._on_denial:
            listener(state, record)

    def _replace_requested(self, record: Record) -> None:
        order_id = record.payload.get("order_id")
        if order_id and order_id in self._open:
            self._pending_replace[order_id] = record

    def _replace_denied(self, record: Record) -> None:
        order_id = record.payload.get("order_id")
        if order_id:
            self._pending_replace.pop(order_id, None)
        self._amend_denied(record)

    def _replace_accepted(self, record: Record) -> None:
        """The gateway approved the new version; it is in force once the venue confirms."""
        order_id = record.payload["order_id"]
        request = self._pending_replace.pop(order_id, None)
        if order_id in self._open and request is not None:
            self._awaiting_venue[order_id] = (request, record)

    def _successor(self, state: OrderState, request: Record, accepted: Record) -> OrderState:
        new_order = accepted.payload.get("order") or request.payload["order"]
        state.versions_used += 1
        return replace(
            state,
            order=new_order,
            received_seq=request.seq,
            version=state.versions_used,
            prior_cl_ord_id=state.cl_ord_id,
            received_at=request.ts,
            accepted_at=accepted.ts,
            acknowledged_at=None,
            cancel_requested_at=None,
            checks=accepted.payload.get("checks") or [],
            status=_working(state),
            reason=None,
        )

    def _next_version(
        self, state: OrderState, request: Record, accepted: Record,
        confirmed: Record,
    ) -> OrderState:  # fmt: skip
        """The venue confirmed the replace: the old version closes as REPLACED."""
        successor = self._successor(state, request, accepted)
        state.replaced_by = successor.cl_ord_id
        state.reason = f"replaced by {state.replaced_by}"
        self._close(state, "REPLACED", confirmed)
        del self._closed[state.order_id]  # the order lives on as its next version
        self._add(successor)
        return successor

    def _replace_refused(self, state: OrderState, record: Record) -> None:
        """The venue kept the old version: the refused one is a closed row of its own."""
        pending = self._awaiting_venue.pop(state.order_id, None)
        text = record.payload.get("text") or "no reason given"
        if pending is None:
            state.reason = f"venue refused a replace: {text}"
            return
        refused = self._successor(state, *pending)
        refused.status, refused.closed_at = "REJECTED", record.ts
        refused.cum_qty = refused.cum_notional = ZERO  # it never traded
        refused.fills, refused.first_executed_at, refused.last_executed_at = 0, None, None
        refused.reason = f"venue refused the replace: {text}"
        for listener in self._on_close:
            listener(refused)
        state.reason = f"replace to {refused.cl_ord_id} refused by the venue: {text}"

    def _kill_engaged(self, record: Record) -> None:
        p = record.payload
        note = f"kill switch {p.get('scope')}:{p.get('target')} by {p.get('actor')}: {p.get('reason')}"
        for order_id in p.get("cancelled_order_ids", []):
            state = self._open.get(order_id)
            if state is not None:
                state.kill_note = note

    def _finish(self) -> None:
        for state in sorted(self._open.values(), key=lambda s: s.received_seq):
            state.open_at_end = True
            for listener in self._on_close:
                listener(state)
        self._open.clear()


def _working(state: OrderState) -> str:
    return "PARTIALLY_FILLED" if state.cum_qty else "NEW"
