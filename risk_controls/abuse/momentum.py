"""Momentum ignition: a burst of aggressive orders on one side by one account in one symbol.

An order is aggressive when it would take liquidity on arrival: a market
order, a limit buy at or above the reference price, a limit sell at or below
it. Stop and stop-limit orders are not (they wait for a trigger), nor is a
limit order when there is no reference price to judge it by.

Per (account, symbol, side), over the trailing window ``(now - window_ms, now]``:
the alert fires on the aggressive order that makes the count exceed
``max_aggressive_orders`` (so exactly ``max`` is allowed), and not again for
that triple before ``window_ms`` has passed since the alert.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from risk_controls.abuse.alerts import MOMENTUM_IGNITION, AbuseAlert, plain
from risk_controls.domain import NewOrder, OrdType
from risk_controls.domain.money import fmt
from risk_controls.policy.schema import MomentumMonitor

_MS = Decimal(1000)


def is_aggressive(order: NewOrder, reference_price: Decimal | None) -> bool:
    """Would this order take liquidity on arrival (judged against the reference price)?"""
    if order.ord_type is OrdType.MARKET:
        return True
    if order.ord_type is not OrdType.LIMIT or order.limit_price is None or reference_price is None:
        return False
    if order.side.is_buy:
        return order.limit_price >= reference_price
    return order.limit_price <= reference_price


@dataclass(slots=True)
class _Burst:
    times: deque[datetime] = field(default_factory=deque)
    alert: AbuseAlert | None = None
    alert_at: datetime | None = None


class MomentumDetector:
    """Per (account, symbol, side) counts of aggressive orders in a sliding window."""

    def __init__(self, policy: MomentumMonitor) -> None:
        self._bursts: dict[tuple[str, str, bool], _Burst] = {}
        self.update_policy(policy)

    def update_policy(self, policy: MomentumMonitor) -> None:
        self._policy = policy
        self._window = timedelta(milliseconds=policy.window_ms)

    def aggressive_order(
        self, account: str, symbol: str, buy: bool, now: datetime, reference_price: Decimal | None
    ) -> AbuseAlert | None:
        """Record one aggressive order; return an alert when this one makes a burst."""
        key = (account, symbol, buy)
        burst = self._bursts.get(key)
        if burst is None:
            burst = self._bursts[key] = _Burst()
        times = burst.times
        if times and now < times[-1]:
            now = times[-1]  # keep the deque in time order
        cutoff = now - self._window
        while times and times[0] <= cutoff:
            times.popleft()
        times.append(now)
        policy = self._policy
        if len(times) <= policy.max_aggressive_orders:
            return None
        if burst.alert_at is not None and now - burst.alert_at < self._window:
            return None
        alert = self._alert(account, symbol, buy, burst, now, reference_price)
        burst.alert, burst.alert_at = alert, now
        return alert

    def active(self, account: str, symbol: str, now: datetime) -> list[AbuseAlert]:
        """Alerts raised for this account and symbol (either side) within the last window."""
        found = []
        for buy in (True, False):
            burst = self._bursts.get((account, symbol, buy))
            if burst is None or burst.alert is None or burst.alert_at is None:
                continue
            if now - burst.alert_at < self._window:
                found.append(burst.alert)
        return found

    def sweep(self, now: datetime) -> None:
        """Forget triples with nothing in the window and no live alert (bounds memory)."""
        cutoff = now - self._window
        stale = [
            key
            for key, burst in self._bursts.items()
            if (not burst.times or burst.times[-1] <= cutoff)
            and (burst.alert_at is None or burst.alert_at <= cutoff)
        ]
        for key in stale:
            del self._bursts[key]

    def __len__(self) -> int:
        return len(self._bursts)

    def _alert(
        self,
        account: str,
        symbol: str,
        buy: bool,
        burst: _Burst,
        now: datetime,
        reference_price: Decimal | None,
    ) -> AbuseAlert:
        policy = self._policy
        count = len(burst.times)
        span = now - burst.times[0]
        span_ms = Decimal(span.days * 86_400_000_000 + span.seconds * 1_000_000 + span.microseconds) / _MS
        side = "BUY" if buy else "SELL"
        message = (
            f"{account} {symbol}: {count} aggressive {side} orders in {plain(span_ms)} ms "
            f"(max {policy.max_aggressive_orders} per {policy.window_ms} ms)"
        )
        metrics = {
            "aggressive_orders": str(count),
            "span_ms": plain(span_ms),
            "window_ms": str(policy.window_ms),
            "max_aggressive_orders": str(policy.max_aggressive_orders),
        }
        if reference_price is not None:
            metrics["reference_price"] = fmt(reference_price)
        return AbuseAlert(MOMENTUM_IGNITION, account, symbol, message, metrics)
