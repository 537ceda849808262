"""Rebuild risk state from the audit log: the log is the source of truth.

Replaying every record in order gives back working orders, positions, credit
used, exposure, daily counts, the kill switch and disabled accounts, exactly
as they were. Message-rate windows (a second long) are not worth restoring.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from audit.api import AuditRecord
from risk_controls import events as ev
from risk_controls.domain import ExecType, NewOrder, OrderStatus
from risk_controls.domain.clock import parse_iso_utc
from risk_controls.kill_switch import KillEntry, KillMode, KillScope, KillSwitch
from risk_controls.state import RiskState


@dataclass(slots=True)
class Replayed:
    state: RiskState = field(default_factory=RiskState)
    kill_switch: KillSwitch = field(default_factory=KillSwitch)
    policy_hash: str | None = None
    policy_content: str | None = None  # the text of the last policy loaded, to fall back on
    policy_source: str | None = None
    records: int = 0
    last_seq: int = 0


def replay(records: Iterable[AuditRecord]) -> Replayed:
    out = Replayed()
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
    elif kind == ev.ORDER_DENIED:
        pending.pop(payload["order_id"], None)
    elif kind == ev.REPLACE_ACCEPTED:
        order_id = payload["order_id"]
        new_order = ev.order_from(payload["order"])
        reservation = payload["reservation"]
        if order_id in state.orders and state.orders[order_id].status.is_working:
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
    elif kind == ev.EXECUTION:
        _apply_execution(state, payload, when)
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
    elif kind == ev.POLICY_LOADED:
        out.policy_hash = payload["policy_hash"]
        out.policy_content, out.policy_source = payload["content"], payload["source"]


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
    """A comparable picture of everything a restart must restore."""
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
                },
            }
            for name, book in sorted(state.accounts.items())
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
