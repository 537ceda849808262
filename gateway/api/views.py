"""Domain objects to JSON-ready dicts in the shape of the response schemas.

Routes return these dicts in a JSONResponse directly, skipping a second
validation pass through the response model (which only documents the shape);
the schemathesis suite checks that every response conforms to the schema.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from audit.api import AuditRecord
from gateway.api.idempotency import Submission
from gateway.api.releases import ReleaseRequest
from gateway.api.schemas.orders import DENIED
from risk_controls import events as ev
from risk_controls.domain import Denial, NewOrder, WorkingOrder
from risk_controls.domain.clock import iso_utc
from risk_controls.domain.money import fmt
from risk_controls.kill_switch import KillEntry


def working_order(working: WorkingOrder, audit_seq: int | None = None) -> dict[str, Any]:
    body = _order_fields(working.order_id, working.order, working.received_at)
    body.update(
        status=working.status.value,
        cum_qty=fmt(working.cum_qty),
        leaves_qty=fmt(working.leaves_qty),
        avg_px=_amount(working.avg_px),
        venue=working.venue,
        denial=None,
        audit_seq=audit_seq,
    )
    return body


def denied_order(submission: Submission) -> dict[str, Any]:
    body = _order_fields(submission.order_id, submission.order, submission.received_at)
    body.update(
        status=DENIED,
        cum_qty="0",
        leaves_qty="0",
        avg_px="0",
        venue=None,
        denial=denial(submission.denial) if submission.denial else None,
        audit_seq=submission.audit_seq,
    )
    return body


def _order_fields(order_id: str, order: NewOrder, received_at: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "cl_ord_id": order.cl_ord_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side.value,
        "quantity": fmt(order.quantity),
        "ord_type": order.ord_type.value,
        "tif": order.tif.value,
        "limit_price": ev.dec(order.limit_price),
        "stop_price": ev.dec(order.stop_price),
        "expire_at": ev.ts(order.expire_at),
        "received_at": _iso(received_at),
        "origin": ev.origin_payload(order.origin),
    }


def denial(value: Denial) -> dict[str, Any]:
    return {
        "code": value.code.value,
        "control": value.control,
        "text": value.text(),
        "context": value.context_dict(),
    }


def kill_entry(entry: KillEntry) -> dict[str, Any]:
    return ev.kill_entry_payload(entry)


def release_request(request: ReleaseRequest) -> dict[str, Any]:
    body = request.payload()
    body["status"] = "PENDING_APPROVAL"
    return body


def audit_record(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "ts": record.ts,
        "event_type": record.event_type,
        "payload": dict(record.payload),
        "prev_hash": record.prev_hash,
        "record_hash": record.record_hash,
        "retention": record.retention,
    }


def _iso(when: datetime) -> str:
    """``iso_utc`` without strftime (a few µs per order): gateway times are already UTC."""
    if when.utcoffset() == _ZERO:
        return when.isoformat(timespec="microseconds")[:26] + "Z"
    return iso_utc(when)


_ZERO = timedelta(0)


def _amount(value: Decimal) -> str:
    """A derived amount (average price) at a readable scale, exact to 1e-9."""
    return fmt(value.quantize(Decimal("1e-9")).normalize()) if value else "0"
