"""Rebuild risk state from the audit log: the log is the source of truth.

Replaying every record in order gives back working orders, positions, credit
used, exposure, daily counts, the kill switch and disabled accounts, exactly
as they were. Message-rate windows (a second long) are not worth restoring.
The market-abuse monitors' windows are: the orders, replaces, fills and
cancels of the last ten minutes are kept and fed to the monitors again
(:func:`rebuild_abuse_windows`), so a pattern under way is not forgotten by
a restart.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from audit.api import AuditRecord
from risk_controls import events as ev
from risk_controls.abuse import AbuseMonitors
from risk_controls.domain import ExecType, NewOrder, OrderStatus
from risk_controls.domain.clock import parse_iso_utc
from risk_controls.kill_switch import KillEntry, KillMode, KillScope, KillSwitch
from risk_controls.state import RiskState

ABUSE_HORIZON = timedelta(minutes=10)
"""How far back the abuse monitors' events are kept for a restart (their windows are
seconds long; a policy with a longer window is only partly rebuilt)."""
ABUSE_EVENTS_MAX = 500_000
DECIDED_REMEMBERED = 100_000
"""How many of the latest decided orders a restart remembers for resends (as many as a FIX
adapter remembers of its own)."""


class AbuseEvent(NamedTuple):
    """What the pipeline fed the abuse monitors: an order, a replace, a fill or a cancel."""

    kind: str  # "order" | "replace" | "fill" | "cancel"
    when: datetime
    order_id: str
    order: NewOrder | None = None
    quantity: Decimal | None = None  # the fill's quantity, or what was filled before a replace


@dataclass(slots=True)
class Replayed:
    state: RiskState = field(default_factory=RiskState)
    kill_switch: KillSwitch = field(default_factory=KillSwitch)
    policy_hash: str | None = None
    policy_content: str | None = None  # the text of the last policy loaded, to fall back on
    policy_source: str | None = None
    records: int = 0
    read_before_opening: int = 0
    """Records of the minutes before the day's opening read for what they leave besides the
    state (see :func:`read_before_opening`), not counted in ``records``."""
    first_seq: int = 1
    """Where the replay started: 1, or the ``risk.day_opened`` record it started from."""
    last_seq: int = 0
    abuse_events: deque[AbuseEvent] = field(default_factory=lambda: deque(maxlen=ABUSE_EVENTS_MAX))
    decided: deque[tuple[str, str, str]] = field(default_factory=lambda: deque(maxlen=DECIDED_REMEMBERED))
    """(channel, origin session, client order id) of the new orders decided, accepted or
    denied, since the replay started, the latest last, after those of the orders the day's
    opening carried and of the ``ABUSE_HORIZON`` before it: an entry adapter of a new
    process knows which orders it already answered when a client resends one (FIX
    PossDupFlag). A resend of an order denied earlier than that is decided again."""
    unrouted: set[str] = field(default_factory=set)
    """Orders whose acceptance is on record but no routing and no venue report: the gateway
    stopped between the two (or before a withdrawal queued for them landed)."""

    def note_abuse_event(self, event: AbuseEvent) -> None:
        events = self.abuse_events
        events.append(event)
        horizon = event.when - ABUSE_HORIZON
        while events[0].when < horizon:
            events.popleft()


def read_before_opening(records: Iterable[AuditRecord], into: Replayed) -> None:
    """Note in ``into`` the monitors' events and the decided orders of ``records``, a
    stretch of the log read without the state before it: the minutes before the day's
    opening a restart starts from.

    Only orders accepted within the stretch are followed: their fills before a replace
    are then known exactly. Fills and cancels of older orders are left out, as a replay
    from the opening leaves them out for the orders it does not know.
    """
    received: dict[str, NewOrder] = {}
    filled: dict[str, Decimal] = {}  # the orders followed, with what they have filled
    for record in records:
        into.read_before_opening += 1
        kind, payload = record.event_type, record.payload
        if kind == ev.ORDER_RECEIVED:
            received[payload["order_id"]] = ev.order_from(payload["order"])
        elif kind == ev.ORDER_ACCEPTED:
            order = received.pop(payload["order_id"], None)
            if order is not None:
                filled[payload["order_id"]] = Decimal(0)
                into.decided.append((order.origin.channel.value, order.origin.session, order.cl_ord_id))
                into.note_abuse_event(
                    AbuseEvent("order", parse_iso_utc(record.ts), payload["order_id"], order)
                )
        elif kind == ev.ORDER_DENIED:
            denied = received.pop(payload["order_id"], None)
            if denied is not None:
                into.decided.append((denied.origin.channel.value, denied.origin.session, denied.cl_ord_id))
            elif "origin" in payload:  # refused at entry
                sent_by = payload["origin"]
                into.decided.append((sent_by["channel"], sent_by["session"], payload["cl_ord_id"]))
        elif kind == ev.REPLACE_ACCEPTED and payload["order_id"] in filled:
            order_id, new_order = payload["order_id"], ev.order_from(payload["order"])
            when = parse_iso_utc(record.ts)
            into.note_abuse_event(AbuseEvent("replace", when, order_id, new_order, filled[order_id]))
        elif kind == ev.EXECUTION and payload["order_id"] in filled:
            order_id, exec_type = payload["order_id"], payload["exec_type"]
            filled[order_id] = Decimal(payload["cum_qty"])
            when = parse_iso_utc(record.ts)
            if exec_type in _FILLS:
                into.note_abuse_event(
                    AbuseEvent("fill", when, order_id, quantity=Decimal(payload["last_qty"] or 0))
                )
            elif exec_type == ExecType.CANCELED._value_:
                into.note_abuse_event(AbuseEvent("cancel", when, order_id))


def replay(records: Iterable[AuditRecord], start: Replayed | None = None) -> Replayed:
    """Apply ``records`` in order to ``start`` (a carried day's state) or to an empty state."""
    out = start or Replayed()
    pending: dict[str, NewOrder] = {}
    for record in records:
        out.records += 1
        out.last_seq = record.seq
        _apply(out, record, pending)
    return out


def _apply(  # noqa: C901 - one flat dispatch over the event vocabulary reads best
    out: Replayed, record: AuditRecord, pending: dict[str, NewOrder]
) -> None:
    state = out.state
    payload: dict[str, Any] = dict(record.payload)
    kind = record.event_type
    when = parse_iso_utc(record.ts)
    if kind == ev.ORDER_RECEIVED:
        state.roll_day(when)
        pending[payload["order_id"]] = ev.order_from(payload["order"])
        _bump_sequence(state, payload["order_id"])
    elif kind == ev.ORDER_ACCEPTED:
        order = pending.pop(payload["order_id"])
        reservation = payload["reservation"]
        state.roll_day(when)
        working = state.on_accepted(
            payload["order_id"],
            order,
            when,
            reservation["venue"],
            Decimal(reservation["price_base"]),
            Decimal(reservation["valuation_price"]),
        )
        working.received_at = when
        working.accepted_seq = record.seq
        out.decided.append((order.origin.channel.value, order.origin.session, order.cl_ord_id))
        out.unrouted.add(payload["order_id"])
        out.note_abuse_event(AbuseEvent("order", when, payload["order_id"], order))
    elif kind == ev.ORDER_DENIED:
        denied = pending.pop(payload["order_id"], None)
        if denied is not None:
            origin = denied.origin
            out.decided.append((origin.channel.value, origin.session, denied.cl_ord_id))
        elif "origin" in payload:  # refused at entry: the request as sent is all there is
            sent_by = payload["origin"]
            out.decided.append((sent_by["channel"], sent_by["session"], payload["cl_ord_id"]))
        _bump_sequence(state, payload["order_id"])  # one refused at entry was never received
    elif kind == ev.REPLACE_ACCEPTED:
        order_id = payload["order_id"]
        new_order = ev.order_from(payload["order"])
        reservation = payload["reservation"]
        if order_id in state.orders and state.orders[order_id].status.is_working:
            filled = state.orders[order_id].cum_qty
            out.note_abuse_event(AbuseEvent("replace", when, order_id, new_order, filled))
            state.on_replaced(
                order_id,
                new_order,
                Decimal(reservation["price_base"]),
                Decimal(reservation["valuation_price"]),
            )
    elif kind == ev.CANCEL_REQUESTED:
        cancelling = state.orders.get(payload.get("order_id") or "")
        if cancelling is not None and cancelling.status.is_working:
            cancelling.status = OrderStatus.PENDING_CANCEL
    elif kind == ev.ORDER_ROUTED:
        out.unrouted.discard(payload["order_id"])
    elif kind == ev.EXECUTION:
        out.unrouted.discard(payload["order_id"])
        _apply_execution(state, payload, when)
        exec_type = payload["exec_type"]
        if exec_type in _FILLS:
            fill = AbuseEvent("fill", when, payload["order_id"], quantity=Decimal(payload["last_qty"] or 0))
            out.note_abuse_event(fill)
        elif exec_type == ExecType.CANCELED._value_:
            out.note_abuse_event(AbuseEvent("cancel", when, payload["order_id"]))
    elif kind == ev.KILL_ENGAGED:
        out.kill_switch.engage(
            KillEntry(
                KillScope(payload["scope"]),
                payload["target"],
                KillMode(payload["mode"]),
                payload["reason"],
                payload["actor"],
                when,
            )
        )
    elif kind == ev.KILL_RELEASED:
        out.kill_switch.release(KillScope(payload["scope"]), payload["target"])
    elif kind == ev.EXEC_THROTTLE_TRIPPED:
        state.execution_disabled.add(payload["account"])
    elif kind == ev.EXEC_THROTTLE_RESET:
        state.execution_disabled.discard(payload["account"])
    elif kind == ev.DECISION_WITHDRAWN:
        _withdraw(state, payload)
    elif kind == ev.DAY_OPENED and payload.get("format") == ev.DAY_OPENED_FORMAT:
        # the day opens here, as it did live, whatever the time stamps around it say; a late
        # one (written again after the store was down at the opening) snapshots a day that
        # records before it may already have opened
        day = date.fromisoformat(payload["trading_day"])
        if not payload.get("late") or state.trading_day != day:
            state.open_day(day)
        state.close_day(keep={item["order_id"] for item in payload["orders"]})
        # time priority as the opening carried it: numbers that orders which then failed to be
        # recorded took live are numbers this replay never saw (a restart from here agrees)
        state.resting.clear()
        state.restore_resting(
            ((a, s, oid, buy, Decimal(px), seq) for a, s, oid, buy, px, seq in payload["resting"]),
            payload["resting_sequence"],
        )
    elif kind == ev.POLICY_LOADED:
        out.policy_hash = payload["policy_hash"]
        out.policy_content, out.policy_source = payload["content"], payload["source"]


_FILLS = (ExecType.PARTIAL_FILL._value_, ExecType.FILL._value_)


def _withdraw(state: RiskState, payload: dict[str, Any]) -> None:
    """Undo a decision record whose commit failed in doubt, as the live pipeline did.

    Nothing happens when the withdrawn record never landed (the order is unknown, or
    the version or status it would have set is not the current one).
    """
    order_id = payload["order_id"]
    working = state.orders.get(order_id)
    if working is None:
        return
    withdrawn = payload["withdrawn"]
    if withdrawn == ev.ORDER_ACCEPTED:
        if working.cum_qty == 0:  # never routed, so nothing can have filled
            state.forget(order_id)
    elif withdrawn == ev.CANCEL_REQUESTED and working.status is OrderStatus.PENDING_CANCEL:
        working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW
    elif (
        withdrawn == ev.REPLACE_ACCEPTED
        and working.status.is_working
        and working.order.cl_ord_id == payload["cl_ord_id"]
        and payload.get("in_force") is not None
    ):
        kept = payload["in_force"]
        reservation = kept["reservation"]
        state.on_replace_withdrawn(
            order_id,
            ev.order_from(kept["order"]),
            Decimal(reservation["price_base"]),
            Decimal(reservation["valuation_price"]),
        )
        state.forget_cl_ord_id(payload["account"], payload["cl_ord_id"], order_id)


def rebuild_abuse_windows(
    abuse: AbuseMonitors,
    events: Iterable[AbuseEvent],
    reference_price: Callable[[str], Decimal | None],
) -> int:
    """Feed the monitors what they saw before the restart, in order, as the pipeline did.

    The alerts this raises again were recorded when first raised, so they are dropped
    here; the monitors keep them as live (a blocking account stays blocked for the rest
    of the window). Returns the number of events fed.
    """
    fed = 0
    for event in events:
        fed += 1
        if event.kind == "order" and event.order is not None:
            abuse.on_order(event.order_id, event.order, event.when, reference_price(event.order.symbol))
        elif event.kind == "replace" and event.order is not None:
            abuse.on_replace(
                event.order_id,
                event.order,
                event.when,
                reference_price(event.order.symbol),
                filled=event.quantity or Decimal(0),
            )
        elif event.kind == "fill":
            abuse.on_fill(event.order_id, event.quantity or Decimal(0), event.when)
        elif event.kind == "cancel":
            abuse.on_cancel(event.order_id, event.when)
    return fed


def _apply_execution(state: RiskState, payload: dict[str, Any], when: Any) -> None:
    report = ev.execution_from(payload)
    if report.order_id not in state.orders:
        return
    state.roll_day(when)
    working = state.on_execution(report, Decimal(payload.get("fx_rate") or "1"))
    if working is not None and report.exec_type is ExecType.REPLACED:
        working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW


def _bump_sequence(state: RiskState, order_id: str) -> None:
    try:
        number = int(order_id.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return
    state.order_sequence = max(state.order_sequence, number)


def snapshot(state: RiskState, kill_switch: KillSwitch) -> dict[str, Any]:
    """A comparable picture of everything a restart must restore. Books and position lines
    that hold nothing are left out: the controls create them on first look, so a restart
    need not (a zero position is no position)."""
    return {
        "orders": {
            oid: (
                w.status.value,
                str(w.cum_qty),
                str(w.cum_notional),
                str(w.order.quantity),
                str(w.order.limit_price),
                w.order.cl_ord_id,
                w.venue,
                tuple(
                    sorted((exec_id, str(f.quantity), str(f.price)) for exec_id, f in (w.fills or {}).items())
                ),
            )
            for oid, w in sorted(state.orders.items())
        },
        "accounts": {
            name: {
                "executed": str(book.executed_notional),
                "open": str(book.open_notional),
                "gross": str(book.gross_exposure),
                "orders_today": book.orders_today,
                "positions": {
                    s: (str(e.position), str(e.open_buy), str(e.open_sell))
                    for s, e in sorted(book.symbols.items())
                    if e.position or e.open_buy or e.open_sell
                },
            }
            for name, book in sorted(state.accounts.items())
            if book.executed_notional
            or book.open_notional
            or book.gross_exposure
            or book.orders_today
            or any(e.position or e.open_buy or e.open_sell for e in book.symbols.values())
        },
        "firm": (
            str(state.firm_executed_notional),
            str(state.firm_open_notional),
            str(state.firm_gross_exposure),
        ),
        "disabled": sorted(state.execution_disabled),
        "kill": sorted((s.value, t, e.mode.value) for (s, t), e in kill_switch.entries.items()),
        "order_sequence": state.order_sequence,
    }
