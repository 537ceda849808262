"""The router: the only component that holds venues and calls them.

It picks a venue for an approved order (the order's explicit venue, else the
venue serving the instrument's MIC, else the default) and forwards cancels and
replaces to wherever the order went. Nothing else in the gateway has a venue.
"""

from __future__ import annotations

from collections.abc import Mapping

from risk_controls.domain import NewOrder, WorkingOrder
from risk_controls.venue import ReportSink, RestoredOrder, RoutedOrder, Venue


class UnknownVenue(LookupError):
    """An order names a venue the router does not have."""


class Router:
    def __init__(self, venues: Mapping[str, Venue], default: str, by_mic: Mapping[str, str] | None = None):
        if default not in venues:
            raise UnknownVenue(f"default venue {default!r} is not configured")
        self._venues = dict(venues)
        self._default = default
        self._by_mic = dict(by_mic or {})
        self._placed: dict[str, str] = {}

    def connect(self, on_report: ReportSink) -> None:
        for venue in self._venues.values():
            venue.connect(on_report)

    def venue_for(self, order: NewOrder, mic: str | None) -> str:
        """The venue name an order would go to; raises UnknownVenue for a bad explicit venue."""
        if order.venue:
            if order.venue in self._venues:
                return order.venue
            if order.venue in self._by_mic:
                return self._by_mic[order.venue]
            raise UnknownVenue(order.venue)
        if mic is not None and mic in self._by_mic:
            return self._by_mic[mic]
        return self._default

    def submit(self, venue: str, routed: RoutedOrder) -> None:
        self._placed[routed.order_id] = venue
        self._venues[venue].submit(routed)

    def is_placed(self, order_id: str) -> bool:
        return order_id in self._placed

    def cancel(self, order_id: str) -> None:
        self._venues[self._placed[order_id]].cancel(order_id)

    def replace(self, routed: RoutedOrder) -> None:
        self._venues[self._placed[routed.order_id]].replace(routed)

    def forget(self, order_id: str) -> None:
        """Drop the placement of a finished order."""
        self._placed.pop(order_id, None)

    def restore(self, working: WorkingOrder) -> None:
        """Re-learn where a working order lives (after a restart), and tell that venue."""
        venue = self._venues.get(working.venue)
        if venue is not None:
            self._placed[working.order_id] = working.venue
            routed = RoutedOrder(working.order_id, working.order)
            venue.restore(
                RestoredOrder(routed, working.venue_cl_ord_id, working.cum_qty, working.cum_notional)
            )
