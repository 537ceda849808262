"""Layering / spoofing: orders stacked at several prices on one side while the other side trades.

State per (account, symbol) over the trailing window ``(now - window_seconds, now]``:
orders placed (with side and limit price), cancels, fills (with side).

An alert fires on the first event (new order, cancel or fill) at which all hold:

1. **sample**: at least ``min_orders`` orders in the window;
2. **one-sided layers while the other side trades**: one side S has orders at
   ``min_levels`` or more distinct limit prices, the other side has fewer than
   ``min_levels`` distinct prices and traded at least once. (Two-sided ladders —
   market making — are not one-sided, and layers alone without a trade on the
   other side are not yet the pattern.)
3. **the orders are not meant to trade**: the order-to-trade ratio
   ``orders / max(fills, 1)`` is above ``max_order_to_trade_ratio``, or the
   cancel ratio ``cancels / orders`` is above ``max_cancel_ratio``.

It is raised once per window per (account, symbol): after an alert at time t
no layering alert for that pair is raised before ``t + window_seconds``; if the
pattern still holds at the first event after that, it fires again. Cancels
counted are those made in the window, whatever the order's age.

Cost: each event appends to, and evicts from, a few deques of its own pair;
distinct price levels are kept as counters, so nothing scans history.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from risk_controls.abuse.alerts import LAYERING, AbuseAlert, ratio
from risk_controls.domain.money import fmt
from risk_controls.policy.schema import LayeringMonitor

_SIDE_NAME = ("SELL", "BUY")  # index 1 is the buy side


@dataclass(slots=True)
class _Pair:
    """Window state of one account in one symbol."""

    last: datetime
    orders: deque[tuple[datetime, int, Decimal | None]] = field(default_factory=deque)
    cancels: deque[datetime] = field(default_factory=deque)
    fills: deque[tuple[datetime, int]] = field(default_factory=deque)
    levels: tuple[dict[Decimal, int], dict[Decimal, int]] = field(default_factory=lambda: ({}, {}))
    side_fills: list[int] = field(default_factory=lambda: [0, 0])
    alert: AbuseAlert | None = None
    alert_at: datetime | None = None


class LayeringDetector:
    """Per (account, symbol) windows; feed it orders, cancels and fills in time order."""

    def __init__(self, policy: LayeringMonitor) -> None:
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self.update_policy(policy)

    def update_policy(self, policy: LayeringMonitor) -> None:
        """New thresholds apply from the next event; state already gathered is kept."""
        self._policy = policy
        self._window = timedelta(seconds=float(policy.window_seconds))
        self._min_orders = policy.min_orders
        self._min_levels = policy.min_levels
        # ratios as exact integer fractions: the per-event comparison stays in ints
        self._otr = policy.max_order_to_trade_ratio.as_integer_ratio()
        self._cancel = policy.max_cancel_ratio.as_integer_ratio()

    def order(
        self, account: str, symbol: str, buy: bool, price: Decimal | None, now: datetime
    ) -> AbuseAlert | None:
        pair, now = self._pair(account, symbol, now)
        side = 1 if buy else 0
        pair.orders.append((now, side, price))
        if price is not None:
            levels = pair.levels[side]
            levels[price] = levels.get(price, 0) + 1
        return self._evaluate(account, symbol, pair, now)

    def cancel(self, account: str, symbol: str, now: datetime) -> AbuseAlert | None:
        pair, now = self._pair(account, symbol, now)
        pair.cancels.append(now)
        return self._evaluate(account, symbol, pair, now)

    def fill(self, account: str, symbol: str, buy: bool, now: datetime) -> AbuseAlert | None:
        pair, now = self._pair(account, symbol, now)
        side = 1 if buy else 0
        pair.fills.append((now, side))
        pair.side_fills[side] += 1
        return self._evaluate(account, symbol, pair, now)

    def active(self, account: str, symbol: str, now: datetime) -> AbuseAlert | None:
        """The alert raised for this pair within the last window, if any."""
        pair = self._pairs.get((account, symbol))
        if pair is None or pair.alert_at is None or now - pair.alert_at >= self._window:
            return None
        return pair.alert

    def sweep(self, now: datetime) -> None:
        """Forget pairs with no event and no alert in the last window (bounds memory)."""
        cutoff = now - self._window
        stale = [
            key
            for key, pair in self._pairs.items()
            if pair.last <= cutoff and (pair.alert_at is None or pair.alert_at <= cutoff)
        ]
        for key in stale:
            del self._pairs[key]

    def __len__(self) -> int:
        return len(self._pairs)

    def _pair(self, account: str, symbol: str, now: datetime) -> tuple[_Pair, datetime]:
        """The pair's state with everything at or before ``now - window`` evicted."""
        key = (account, symbol)
        pair = self._pairs.get(key)
        if pair is None:
            pair = self._pairs[key] = _Pair(now)
        elif now < pair.last:
            now = pair.last  # keep each pair's deques in time order
        pair.last = now
        cutoff = now - self._window
        orders = pair.orders
        while orders and orders[0][0] <= cutoff:
            _, side, price = orders.popleft()
            if price is not None:
                levels = pair.levels[side]
                left = levels[price] - 1
                if left:
                    levels[price] = left
                else:
                    del levels[price]
        cancels = pair.cancels
        while cancels and cancels[0] <= cutoff:
            cancels.popleft()
        fills = pair.fills
        while fills and fills[0][0] <= cutoff:
            pair.side_fills[fills.popleft()[1]] -= 1
        return pair, now

    def _evaluate(self, account: str, symbol: str, pair: _Pair, now: datetime) -> AbuseAlert | None:
        orders = len(pair.orders)
        if orders < self._min_orders:
            return None
        if pair.alert_at is not None and now - pair.alert_at < self._window:
            return None
        otr_num, otr_den = self._otr
        cancel_num, cancel_den = self._cancel
        if not (
            orders * otr_den > otr_num * max(len(pair.fills), 1)
            or len(pair.cancels) * cancel_den > cancel_num * orders
        ):
            return None
        min_levels = self._min_levels
        sells, buys = pair.levels
        if len(sells) >= min_levels and len(buys) < min_levels and pair.side_fills[1]:
            layered = 0
        elif len(buys) >= min_levels and len(sells) < min_levels and pair.side_fills[0]:
            layered = 1
        else:
            return None
        alert = self._alert(account, symbol, pair, layered)
        pair.alert, pair.alert_at = alert, now
        return alert

    def _alert(self, account: str, symbol: str, pair: _Pair, layered: int) -> AbuseAlert:
        policy = self._policy
        orders, cancels, fills = len(pair.orders), len(pair.cancels), len(pair.fills)
        other = 1 - layered
        otr = ratio(orders, max(fills, 1))
        cancel_ratio = ratio(cancels, orders)
        levels = len(pair.levels[layered])
        window = fmt(policy.window_seconds)
        message = (
            f"{account} {symbol}: {levels} {_SIDE_NAME[layered]} price levels among {orders} orders "
            f"in {window} s while the {_SIDE_NAME[other]} side traded {pair.side_fills[other]} time(s); "
            f"order-to-trade {otr} (max {fmt(policy.max_order_to_trade_ratio)}), "
            f"cancel ratio {cancel_ratio} (max {fmt(policy.max_cancel_ratio)})"
        )
        metrics = {
            "orders": str(orders),
            "cancels": str(cancels),
            "fills": str(fills),
            "order_to_trade_ratio": otr,
            "cancel_ratio": cancel_ratio,
            "layered_levels": str(levels),
            "layered_side_fills": str(pair.side_fills[layered]),
            "opposite_levels": str(len(pair.levels[other])),
            "opposite_fills": str(pair.side_fills[other]),
            "window_seconds": window,
            "min_orders": str(policy.min_orders),
            "min_levels": str(policy.min_levels),
            "max_order_to_trade_ratio": fmt(policy.max_order_to_trade_ratio),
            "max_cancel_ratio": fmt(policy.max_cancel_ratio),
        }
        return AbuseAlert(LAYERING, account, symbol, message, metrics)
