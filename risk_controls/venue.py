"""The venue seam. Only the gateway's router holds venues and calls them.

A venue accepts orders that the pipeline has already approved and audited,
and reports back asynchronously through the ``on_report`` callback it was
given. Implementations: the simulated order book (gateway.venues) and the
FIX initiator (fix.venue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from risk_controls.domain import ExecutionReport, NewOrder

ReportSink = Callable[[ExecutionReport], None]


@dataclass(frozen=True, slots=True)
class RoutedOrder:
    """An approved order as handed to a venue: the gateway's id plus the order."""

    order_id: str
    order: NewOrder

    def __init__(self, order_id: str, order: NewOrder) -> None:
        # written out: the dataclass-made __init__ is interpreted (tests/test_initialisers.py)
        object.__setattr__(self, "order_id", order_id)
        object.__setattr__(self, "order", order)


@dataclass(frozen=True, slots=True)
class RestoredOrder:
    """A working order handed back to its venue after a gateway restart: how the venue knows
    its current version (None: as submitted) and what the gateway has seen filled."""

    routed: RoutedOrder
    venue_cl_ord_id: str | None
    cum_qty: Decimal
    cum_notional: Decimal


class Venue(Protocol):
    """A market the router can send approved orders to."""

    name: str

    def connect(self, on_report: ReportSink) -> None:
        """Start delivering execution reports to ``on_report``."""
        ...

    def submit(self, routed: RoutedOrder) -> None: ...

    def cancel(self, order_id: str) -> None: ...

    def replace(self, routed: RoutedOrder) -> None:
        """Amend the working order ``routed.order_id`` to ``routed.order``."""
        ...

    def restore(self, restored: RestoredOrder) -> None:
        """After a gateway restart: this order still works here."""
        ...
