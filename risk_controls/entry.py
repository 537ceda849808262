"""The one door for orders: what every entry adapter (FIX, REST, strategy) calls.

The gateway's pipeline implements :class:`OrderEntry`. An adapter may only
acknowledge an order to its client after ``submit`` returned an accepted
result: by then the acceptance is durable in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Protocol

from risk_controls.domain import (
    CancelRequest,
    Denial,
    ExecutionReport,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    ReplaceRequest,
)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """Outcome of a new order. ``order_id`` is set even for a denial (it is audited)."""

    order_id: str
    accepted: bool
    denial: Denial | None = None
    audit_seq: int | None = None

    def __init__(
        self, order_id: str, accepted: bool, denial: Denial | None = None, audit_seq: int | None = None
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted (tests/test_initialisers.py)
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "accepted", accepted)
        object.__setattr__(self, "denial", denial)
        object.__setattr__(self, "audit_seq", audit_seq)


@dataclass(frozen=True, slots=True)
class AmendResult:
    """Outcome of a cancel or replace request."""

    order_id: str | None
    accepted: bool
    denial: Denial | None = None


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A change to a working order, pushed to the adapter that entered it.

    Sent after the execution report behind it is durable in the audit log.
    """

    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str | None
    account: str
    origin: OrderOrigin
    status: OrderStatus
    order: NewOrder
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal
    report: ExecutionReport | None
    text: str | None = None

    def __init__(
        self,
        order_id: str,
        cl_ord_id: str,
        orig_cl_ord_id: str | None,
        account: str,
        origin: OrderOrigin,
        status: OrderStatus,
        order: NewOrder,
        cum_qty: Decimal,
        leaves_qty: Decimal,
        avg_px: Decimal,
        report: ExecutionReport | None,
        text: str | None = None,
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted even where this module is
        # compiled, and every report to a client makes one (tests/test_initialisers.py)
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "cl_ord_id", cl_ord_id)
        object.__setattr__(self, "orig_cl_ord_id", orig_cl_ord_id)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "cum_qty", cum_qty)
        object.__setattr__(self, "leaves_qty", leaves_qty)
        object.__setattr__(self, "avg_px", avg_px)
        object.__setattr__(self, "report", report)
        object.__setattr__(self, "text", text)


OrderListener = Callable[[OrderUpdate], None]


class Request(Enum):
    """What a client asked for: the ``request`` column of the denials report."""

    NEW = "NEW"
    CANCEL = "CANCEL"
    REPLACE = "REPLACE"


@dataclass(frozen=True, slots=True)
class EntryRefusal:
    """A request its entry adapter refused before the control chain could see it.

    A FIX desk naming an account its session may not trade, or a value the gateway
    does not support, never becomes a domain order; the refusal still goes on record
    as denied, with what was sent, so the denials report shows every refused request.
    """

    request: Request
    cl_ord_id: str
    account: str | None
    origin: OrderOrigin
    denial: Denial
    as_sent: tuple[tuple[str, str], ...] = ()
    """The order's fields as the client sent them (``symbol``, ``side``, ``quantity``, ...)."""
    order_id: str | None = None
    """The order a refused cancel or replace named, when the adapter knows it."""


class OrderEntry(Protocol):
    """The pipeline as seen from an entry adapter."""

    async def submit(self, order: NewOrder) -> SubmitResult: ...

    async def cancel(self, request: CancelRequest) -> AmendResult: ...

    async def replace(self, request: ReplaceRequest) -> AmendResult: ...

    async def refuse(self, refusal: EntryRefusal) -> str | None:
        """Record a refusal (``order.denied``, ``cancel.denied`` or ``replace.denied``).

        Returns the order id a refused new order is recorded under (None for a cancel
        or replace). Waits until the record is durable, or the store has failed.
        """
        ...

    def subscribe(self, listener: OrderListener) -> None:
        """Receive every order update (adapters filter by ``origin``)."""
        ...
