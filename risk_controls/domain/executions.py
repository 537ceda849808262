"""Execution reports coming back from a venue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class ExecType(StrEnum):
    NEW = "NEW"
    PARTIAL_FILL = "PARTIAL_FILL"
    FILL = "FILL"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    # A venue refused a cancel / replace *request*: the order itself is unchanged
    # (FIX OrderCancelReject, 35=9). Never a reason to close the order.
    CANCEL_REJECTED = "CANCEL_REJECTED"
    REPLACE_REJECTED = "REPLACE_REJECTED"
    # The venue busted (cancelled) or corrected an earlier fill, named by ``ref_exec_id``
    # (FIX 4.4 ExecType H / G, FIX 4.2 ExecTransType 1 / 2, with ExecRefID 19). A
    # correction carries the fill's corrected quantity and price.
    TRADE_CANCEL = "TRADE_CANCEL"
    TRADE_CORRECT = "TRADE_CORRECT"
    # The venue's status of an order disagrees with what is booked in a way no fill can
    # explain (FIX ExecType I, Order Status): recorded as the venue reported it, for someone
    # to reconcile; it changes nothing booked and no client is sent anything.
    ORDER_STATUS = "ORDER_STATUS"


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """A venue's report on one of our orders, keyed by the gateway's order id."""

    order_id: str
    exec_id: str
    exec_type: ExecType
    venue: str
    transact_time: datetime
    last_qty: Decimal | None = None
    last_px: Decimal | None = None
    venue_order_id: str | None = None
    trade_id: str | None = None
    text: str | None = None
    ref_exec_id: str | None = None
    venue_cl_ord_id: str | None = None
    """How the venue knows the order's current version (FIX ClOrdID), on its acks and
    replace confirmations: what a restarted gateway must name to amend it."""

    def __init__(
        self,
        order_id: str,
        exec_id: str,
        exec_type: ExecType,
        venue: str,
        transact_time: datetime,
        last_qty: Decimal | None = None,
        last_px: Decimal | None = None,
        venue_order_id: str | None = None,
        trade_id: str | None = None,
        text: str | None = None,
        ref_exec_id: str | None = None,
        venue_cl_ord_id: str | None = None,
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted even where this module is
        # compiled, and each order has several reports (tests/test_initialisers.py)
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "exec_id", exec_id)
        object.__setattr__(self, "exec_type", exec_type)
        object.__setattr__(self, "venue", venue)
        object.__setattr__(self, "transact_time", transact_time)
        object.__setattr__(self, "last_qty", last_qty)
        object.__setattr__(self, "last_px", last_px)
        object.__setattr__(self, "venue_order_id", venue_order_id)
        object.__setattr__(self, "trade_id", trade_id)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "ref_exec_id", ref_exec_id)
        object.__setattr__(self, "venue_cl_ord_id", venue_cl_ord_id)
