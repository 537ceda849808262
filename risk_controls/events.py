"""The audit event vocabulary: event types and their JSON payloads.

The pipeline writes these, the replay rebuilds risk state from them, and the
reports are projections of them. Decimals travel as strings and times as ISO
8601 UTC with microseconds, so a payload means the same thing years later.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from risk_controls.domain import (
    Capacity,
    Channel,
    CheckOutcome,
    CheckResult,
    Denial,
    DenyCode,
    ExecType,
    ExecutionReport,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.domain.clock import iso_utc, parse_iso_utc
from risk_controls.domain.money import fmt
from risk_controls.kill_switch import KillEntry

# Order lifecycle
ORDER_RECEIVED = "order.received"  # an entry adapter handed us a new order
ORDER_ACCEPTED = "order.accepted"  # passed the chain, tagged, abuse-checked
ORDER_DENIED = "order.denied"  # refused, with the denial and every evaluated check
ORDER_ROUTED = "order.routed"  # handed to a venue by the router
CANCEL_REQUESTED = "order.cancel_requested"
CANCEL_DENIED = "order.cancel_denied"
REPLACE_REQUESTED = "order.replace_requested"
REPLACE_ACCEPTED = "order.replace_accepted"
REPLACE_DENIED = "order.replace_denied"
EXECUTION = "exec.report"  # venue ack, fill, cancel, replace, reject, expiry
EXEC_UNMATCHED = "exec.unmatched"  # a venue report for no order the gateway holds
DECISION_WITHDRAWN = "order.decision_withdrawn"
"""A decision record (order.accepted, order.replace_accepted, order.cancel_requested) whose
commit failed in doubt: the client was told AUDIT_UNAVAILABLE and nothing went to the venue,
but the record may have landed all the same. This one says to disregard it."""
# Controls
KILL_ENGAGED = "kill.engaged"
KILL_RELEASED = "kill.released"
EXEC_THROTTLE_TRIPPED = "throttle.execution_tripped"
EXEC_THROTTLE_RESET = "throttle.execution_reset"
ABUSE_ALERT = "abuse.alert"
POLICY_LOADED = "policy.loaded"
POLICY_REJECTED = "policy.rejected"
GATEWAY_STARTED = "gateway.started"
DAY_OPENED = "risk.day_opened"
"""A new UTC day began: the orders that were done are forgotten, and the record carries the
risk state that goes on (working orders, positions, kill switch, policy), so a restart
replays from the last one instead of from the log's first record (gateway/carry.py)."""
DAY_OPENED_FORMAT = 1


def dec(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def ts(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def origin_payload(origin: OrderOrigin) -> dict[str, Any]:
    return {
        "channel": origin.channel._value_,
        "session": origin.session,
        "user": origin.user,
        "strategy": origin.strategy,
    }


def origin_from(payload: dict[str, Any]) -> OrderOrigin:
    return OrderOrigin(
        Channel(payload["channel"]), payload["session"], payload["user"], payload.get("strategy")
    )


def order_payload(order: NewOrder) -> dict[str, Any]:
    """Every field of a new order, as JSON."""
    m = order.mifid
    return {
        "cl_ord_id": order.cl_ord_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side._value_,
        "quantity": fmt(order.quantity),
        "ord_type": order.ord_type._value_,
        "tif": order.tif._value_,
        "limit_price": dec(order.limit_price),
        "stop_price": dec(order.stop_price),
        "expire_at": ts(order.expire_at),
        "locate_id": order.locate_id,
        "venue": order.venue,
        "origin": origin_payload(order.origin),
        "mifid_overrides": {
            "client_id": m.client_id,
            "investment_decision": m.investment_decision,
            "execution_decision": m.execution_decision,
            "capacity": m.capacity._value_ if m.capacity else None,
            "waiver": m.waiver,
            "commodity_derivative": m.commodity_derivative,
            "sft": m.sft,
        },
    }


def order_from(payload: dict[str, Any]) -> NewOrder:
    m = payload.get("mifid_overrides") or {}
    expire = payload.get("expire_at")
    return NewOrder(
        cl_ord_id=payload["cl_ord_id"],
        account=payload["account"],
        symbol=payload["symbol"],
        side=Side(payload["side"]),
        quantity=Decimal(payload["quantity"]),
        ord_type=OrdType(payload["ord_type"]),
        tif=TimeInForce(payload["tif"]),
        origin=origin_from(payload["origin"]),
        limit_price=undec(payload.get("limit_price")),
        stop_price=undec(payload.get("stop_price")),
        expire_at=parse_iso_utc(expire) if expire else None,
        locate_id=payload.get("locate_id"),
        venue=payload.get("venue"),
        mifid=MifidOverrides(
            client_id=m.get("client_id"),
            investment_decision=m.get("investment_decision"),
            execution_decision=m.get("execution_decision"),
            capacity=Capacity(m["capacity"]) if m.get("capacity") else None,
            waiver=m.get("waiver"),
            commodity_derivative=m.get("commodity_derivative"),
            sft=m.get("sft"),
        ),
    )


def denial_payload(denial: Denial) -> dict[str, Any]:
    return {
        "code": denial.code._value_,
        "control": denial.control,
        "context": denial.context_dict(),
        "text": denial.text(),
    }


def denial_from(payload: dict[str, Any]) -> Denial:
    return Denial(DenyCode(payload["code"]), payload["control"], tuple(payload.get("context", {}).items()))


_PASSED: dict[str, dict[str, Any]] = {}
"""The payload item of each control's pass result, built once: an accepted order carries
one per check, and payloads are never mutated once built."""


def checks_payload(results: list[CheckResult]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    append = out.append
    for result in results:
        denial = result.denial
        if denial is None and result.outcome is CheckOutcome.PASS:
            item = _PASSED.get(result.control)
            if item is None:
                item = _PASSED[result.control] = {"control": result.control, "outcome": "PASS"}
            append(item)
            continue
        item = {"control": result.control, "outcome": result.outcome._value_}
        if denial is not None:
            item["code"] = denial.code._value_
            item["context"] = denial.context_dict()
        append(item)
    return out


def execution_payload(report: ExecutionReport) -> dict[str, Any]:
    return {
        "order_id": report.order_id,
        "exec_id": report.exec_id,
        "exec_type": report.exec_type._value_,
        "venue": report.venue,
        "transact_time": iso_utc(report.transact_time),
        "last_qty": dec(report.last_qty),
        "last_px": dec(report.last_px),
        "venue_order_id": report.venue_order_id,
        "trade_id": report.trade_id,
        "text": report.text,
    }


def unmatched_payload(report: ExecutionReport) -> dict[str, Any]:
    """``exec.unmatched``: a venue's report on an order the gateway does not hold (one done
    before the day's close, whose late bust or correction someone must reconcile by hand),
    or a fill it has booked already (the pipeline adds ``reason``)."""
    return {**execution_payload(report), "ref_exec_id": report.ref_exec_id}


def kill_entry_payload(entry: KillEntry) -> dict[str, Any]:
    """An engaged kill switch as the day's opening carries it (and the REST API shows it)."""
    return {
        "scope": entry.scope.value,
        "target": entry.target,
        "mode": entry.mode.value,
        "reason": entry.reason,
        "actor": entry.actor,
        "engaged_at": iso_utc(entry.engaged_at),
    }


def execution_record_payload(
    report: ExecutionReport,
    order: NewOrder,
    status: str,
    cum_qty: Decimal,
    leaves_qty: Decimal,
    avg_px: Decimal,
    fx_rate: Decimal,
) -> dict[str, Any]:
    """``exec.report``: the venue's report plus the order's state after it (one dict, built once)."""
    last_qty, last_px = report.last_qty, report.last_px
    payload = {
        "order_id": report.order_id,
        "exec_id": report.exec_id,
        "exec_type": report.exec_type._value_,
        "venue": report.venue,
        "transact_time": iso_utc(report.transact_time),
        "last_qty": None if last_qty is None else fmt(last_qty),
        "last_px": None if last_px is None else fmt(last_px),
        "venue_order_id": report.venue_order_id,
        "trade_id": report.trade_id,
        "text": report.text,
        "cl_ord_id": order.cl_ord_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side._value_,
        "cum_qty": fmt(cum_qty),
        "leaves_qty": fmt(leaves_qty),
        "avg_px": fmt(avg_px),
        "status": status,
        "fx_rate": fmt(fx_rate),
    }
    if report.ref_exec_id is not None:  # a bust or correction names the fill it amends
        payload["ref_exec_id"] = report.ref_exec_id
    if report.venue_cl_ord_id is not None:  # a venue that names versions (FIX ClOrdID)
        payload["venue_cl_ord_id"] = report.venue_cl_ord_id
    return payload


def execution_from(payload: dict[str, Any]) -> ExecutionReport:
    return ExecutionReport(
        order_id=payload["order_id"],
        exec_id=payload["exec_id"],
        exec_type=ExecType(payload["exec_type"]),
        venue=payload["venue"],
        transact_time=parse_iso_utc(payload["transact_time"]),
        last_qty=undec(payload.get("last_qty")),
        last_px=undec(payload.get("last_px")),
        venue_order_id=payload.get("venue_order_id"),
        trade_id=payload.get("trade_id"),
        text=payload.get("text"),
        ref_exec_id=payload.get("ref_exec_id"),
        venue_cl_ord_id=payload.get("venue_cl_ord_id"),
    )


# --- payload builders: the exact shape of each record the pipeline writes ---


def received_payload(
    order_id: str, order: NewOrder, isin: str | None, currency: str | None = None
) -> dict[str, Any]:
    """``order.received``: the order as the adapter handed it in, with the instrument's ISIN
    and price currency as the gateway knew them (the transaction report needs both)."""
    return {"order_id": order_id, "isin": isin, "currency": currency, "order": order_payload(order)}


def accepted_payload(
    order_id: str,
    order: NewOrder,
    checks: list[CheckResult],
    tags: dict[str, Any],
    alerts: list[dict[str, Any]],
    policy_hash: str,
) -> dict[str, Any]:
    """``order.accepted``: every check result, the MiFID II tags and abuse alerts."""
    return {
        "order_id": order_id,
        "cl_ord_id": order.cl_ord_id,
        "account": order.account,
        "checks": checks_payload(checks),
        "tags": tags,
        "alerts": alerts,
        "policy_hash": policy_hash,
    }


def denied_payload(
    order_id: str,
    order: NewOrder,
    denial: Denial,
    checks: list[CheckResult],
    policy_hash: str | None,
) -> dict[str, Any]:
    """``order.denied``: the denial and every check that was evaluated."""
    return {
        "order_id": order_id,
        "cl_ord_id": order.cl_ord_id,
        "account": order.account,
        "denial": denial_payload(denial),
        "checks": checks_payload(checks),
        "policy_hash": policy_hash,
    }


def refused_payload(
    order_id: str | None,
    cl_ord_id: str,
    account: str | None,
    origin: OrderOrigin,
    denial: Denial,
    as_sent: tuple[tuple[str, str], ...],
    policy_hash: str | None,
) -> dict[str, Any]:
    """A request refused at entry, before any check ran: who sent what, and why not.

    ``order.denied`` (with an order id) or a cancel / replace denial (without). No
    ``order.received`` precedes it: the request never became an order, so ``as_sent``
    keeps the client's fields as sent.
    """
    return {
        "order_id": order_id,
        "cl_ord_id": cl_ord_id,
        "account": account,
        "origin": origin_payload(origin),
        "as_sent": dict(as_sent),
        "denial": denial_payload(denial),
        "checks": [],
        "policy_hash": policy_hash,
    }


def withdrawn_payload(
    withdrawn: str,
    order_id: str,
    cl_ord_id: str,
    account: str,
    denial: Denial,
    in_force: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``order.decision_withdrawn``: which record is void and the refusal the client got.

    For a withdrawn replace, ``in_force`` is the version that stayed in force (``order``
    and ``reservation``), so a replay can put it back.
    """
    payload: dict[str, Any] = {
        "withdrawn": withdrawn,
        "order_id": order_id,
        "cl_ord_id": cl_ord_id,
        "account": account,
        "denial": denial_payload(denial),
    }
    if in_force is not None:
        payload["in_force"] = in_force
    return payload


def routed_payload(order_id: str, venue: str, mic: str | None) -> dict[str, Any]:
    """``order.routed``: handed to a venue (CAT's MEOR)."""
    return {"order_id": order_id, "venue": venue, "mic": mic}


def kill_engaged_payload(
    scope: str,
    target: str,
    mode: str,
    reason: str,
    actor: str,
    cancelled_order_ids: list[str],
) -> dict[str, Any]:
    """``kill.engaged``: scope is firm/account/trader/strategy/instrument/session;
    mode is HALT or REDUCING; the working orders it cancelled are listed."""
    return {
        "scope": scope,
        "target": target,
        "mode": mode,
        "reason": reason,
        "actor": actor,
        "cancelled_order_ids": cancelled_order_ids,
        "cancelled_count": len(cancelled_order_ids),
    }


def kill_released_payload(
    scope: str, target: str, reason: str, actor: str, approved_by: str | None
) -> dict[str, Any]:
    """``kill.released``: ``approved_by`` is the second risk officer under four eyes."""
    return {
        "scope": scope,
        "target": target,
        "reason": reason,
        "actor": actor,
        "approved_by": approved_by,
    }


def policy_loaded_payload(
    policy_hash: str,
    previous_hash: str | None,
    source: str,
    triggered_by: str,
    reason: str,
    content: str,
) -> dict[str, Any]:
    """``policy.loaded``: the full policy text so any two versions can be diffed later."""
    return {
        "policy_hash": policy_hash,
        "previous_hash": previous_hash,
        "source": source,
        "triggered_by": triggered_by,
        "reason": reason,
        "content": content,
    }


def policy_rejected_payload(
    source: str, triggered_by: str, errors: list[dict[str, Any]], policy_in_force: str | None
) -> dict[str, Any]:
    """``policy.rejected``: errors are ``{file, line, field, message}``."""
    return {
        "source": source,
        "triggered_by": triggered_by,
        "errors": errors,
        "policy_in_force": policy_in_force,
    }


def abuse_alert_payload(
    monitor: str,
    account: str,
    symbol: str,
    action: str,
    order_id: str | None,
    message: str,
    metrics: dict[str, str],
) -> dict[str, Any]:
    """``abuse.alert``: monitor is layering/momentum_ignition/self_trade; action ALERT|BLOCK."""
    return {
        "monitor": monitor,
        "account": account,
        "symbol": symbol,
        "action": action,
        "order_id": order_id,
        "message": message,
        "metrics": metrics,
    }


# MiFID II tags written in ``order.accepted`` under "tags" (RTS 22 field names).
MIFID_TAG_FIELDS = (
    "client_id",  # F7/F16: LEI or short code
    "client_id_type",  # LEI | SHORT_CODE
    "investment_decision",  # F57
    "investment_decision_type",  # PERSON | ALGO
    "execution_decision",  # F59 (NORE when the client decided)
    "execution_decision_type",  # PERSON | ALGO | NORE
    "algo_indicator",  # bool
    "algo_id",
    "capacity",  # DEAL | MTCH | AOTC
    "short_selling_indicator",  # SESH | SSEX | SELL | UNDI | None for buys
    "waiver",
    "commodity_derivative",  # bool
    "sft",  # bool
)
