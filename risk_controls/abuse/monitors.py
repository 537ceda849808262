"""The one object the pipeline feeds: orders, cancels and fills in, alerts out.

Pure and in-memory: it reads no clock (every call carries ``now``) and does
no I/O, so alerts are raised synchronously on the triggering event — far
inside RTS 6 16(5)'s five seconds — and replaying the audit log through it
rebuilds the same windows after a restart.

Cancels and fills arrive with the gateway's order id only, so the monitor
remembers each live order's account, symbol and side. That index forgets an
order once it is cancelled or fully filled, and is capped at
``max_tracked_orders`` (the oldest is dropped first); a cancel or fill of an
order it does not know is ignored rather than guessed at.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

from risk_controls.abuse.alerts import AbuseAlert
from risk_controls.abuse.layering import LayeringDetector
from risk_controls.abuse.momentum import MomentumDetector, is_aggressive
from risk_controls.domain import NewOrder, Side
from risk_controls.policy.schema import AbusePolicy

_SWEEP_EVERY = 8192  # events between sweeps of idle (account, symbol) windows


# A live order as the index keeps it: [account, symbol, buy, remaining quantity]
# (a list rather than a dataclass: it is built on every order and must be cheap).
_ACCOUNT, _SYMBOL, _BUY, _REMAINING = 0, 1, 2, 3


class AbuseMonitors:
    """Layering/spoofing and momentum-ignition monitors behind one small interface."""

    def __init__(self, policy: AbusePolicy, *, max_tracked_orders: int = 200_000) -> None:
        if max_tracked_orders < 1:
            raise ValueError("max_tracked_orders must be positive")
        self._layering = LayeringDetector(policy.layering)
        self._momentum = MomentumDetector(policy.momentum)
        self._live: OrderedDict[str, list[Any]] = OrderedDict()
        self._max_live = max_tracked_orders
        self._events = 0
        self.policy = policy

    def update_policy(self, policy: AbusePolicy) -> None:
        """New thresholds apply from the next event; the windows gathered so far are kept."""
        self.policy = policy
        self._layering.update_policy(policy.layering)
        self._momentum.update_policy(policy.momentum)

    def on_order(
        self, order_id: str, order: NewOrder, now: datetime, reference_price: Decimal | None
    ) -> list[AbuseAlert]:
        """An order the gateway is about to accept (or has accepted)."""
        self._events += 1
        if not self._events % _SWEEP_EVERY:
            self._sweep(now)
        buy = order.side is Side.BUY
        live = self._live
        live[order_id] = [order.account, order.symbol, buy, order.quantity]
        if len(live) > self._max_live:
            live.popitem(last=False)
        return self._order_alerts(order, buy, now, reference_price)

    def on_replace(
        self,
        order_id: str,
        order: NewOrder,
        now: datetime,
        reference_price: Decimal | None,
        *,
        filled: Decimal = Decimal(0),
    ) -> list[AbuseAlert]:
        """A replace is a new order message at its new price (it can move a layer or turn aggressive).

        ``order`` is the order as it becomes; ``filled`` what was executed before.
        """
        self._tick(now)
        buy = order.side is Side.BUY
        self._live[order_id] = [order.account, order.symbol, buy, order.quantity - filled]
        self._live.move_to_end(order_id)
        return self._order_alerts(order, buy, now, reference_price)

    def on_cancel(self, order_id: str, now: datetime) -> list[AbuseAlert]:
        """A cancel the venue confirmed; it counts towards the cancel ratio of the order's pair.

        Feeding every venue cancel (client, kill switch, self-trade prevention,
        IOC/FOK remainder) is the safe choice: a spoofer can get layers pulled
        by self-trade prevention, and the extra cancels of honest IOC flow do not
        make an alert alone (one-sided layers and a trade on the other side are
        also needed). An order the caller wants dropped without counting a
        cancel goes to :meth:`forget`.
        """
        self._tick(now)
        known = self._live.pop(order_id, None)
        if known is None:
            return []
        alert = self._layering.cancel(known[_ACCOUNT], known[_SYMBOL], now)
        return [] if alert is None else [alert]

    def on_fill(self, order_id: str, quantity: Decimal, now: datetime) -> list[AbuseAlert]:
        """A (partial) execution of one of our orders."""
        self._tick(now)
        known = self._live.get(order_id)
        if known is None:
            return []
        known[_REMAINING] -= quantity
        if known[_REMAINING] <= 0:
            del self._live[order_id]
        alert = self._layering.fill(known[_ACCOUNT], known[_SYMBOL], known[_BUY], now)
        return [] if alert is None else [alert]

    def forget(self, order_id: str) -> None:
        """Stop tracking an order without counting a cancel (e.g. it was denied after ``on_order``)."""
        self._live.pop(order_id, None)

    def active_alerts(self, account: str, symbol: str, now: datetime) -> list[AbuseAlert]:
        """Alerts raised for this account and symbol whose window has not yet passed.

        For a blocking account the pipeline denies new orders in the symbol while
        this is non-empty: the block lasts one window after the alert.
        """
        found = self._momentum.active(account, symbol, now)
        layering = self._layering.active(account, symbol, now)
        if layering is not None:
            found.append(layering)
        return found

    @property
    def tracked_orders(self) -> int:
        """Live orders remembered for attributing cancels and fills."""
        return len(self._live)

    @property
    def tracked_windows(self) -> int:
        """(account, symbol) layering windows plus (account, symbol, side) momentum windows held."""
        return len(self._layering) + len(self._momentum)

    def _order_alerts(
        self, order: NewOrder, buy: bool, now: datetime, reference_price: Decimal | None
    ) -> list[AbuseAlert]:
        alerts: list[AbuseAlert] = []
        layering = self._layering.order(order.account, order.symbol, buy, order.limit_price, now)
        if layering is not None:
            alerts.append(layering)
        if is_aggressive(order, reference_price):
            momentum = self._momentum.aggressive_order(order.account, order.symbol, buy, now, reference_price)
            if momentum is not None:
                alerts.append(momentum)
        return alerts

    def _tick(self, now: datetime) -> None:
        self._events += 1
        if not self._events % _SWEEP_EVERY:
            self._sweep(now)

    def _sweep(self, now: datetime) -> None:
        self._layering.sweep(now)
        self._momentum.sweep(now)
