"""The incremental monitors agree with a brute-force reading of their documented rules.

The oracle rescans the whole history on every event; the monitors keep sliding
windows. Random sequences of orders, cancels and fills (with ties in time,
idle gaps longer than the windows, unknown ids) must give the same alerts at
the same events with the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk_controls.abuse import LAYERING, MOMENTUM_IGNITION, AbuseMonitors, is_aggressive
from risk_controls.domain import NewOrder, Side
from tests.risk_controls.abuse.conftest import REFERENCE, START, abuse_policy, order

POLICY = abuse_policy(
    layering={
        "window_seconds": "2",
        "min_orders": 4,
        "min_levels": 2,
        "max_order_to_trade_ratio": "3",
        "max_cancel_ratio": "0.5",
    },
    momentum={"window_ms": 500, "max_aggressive_orders": 3},
)
LAYER_WINDOW = timedelta(seconds=2)
MOMENTUM_WINDOW = timedelta(milliseconds=500)


@dataclass
class Event:
    at: datetime
    kind: str  # order | cancel | fill
    pair: tuple[str, str]
    buy: bool
    price: Decimal | None = None
    aggressive: bool = False


class Oracle:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.live: dict[str, list[object]] = {}
        self.last_layering: dict[tuple[str, str], datetime] = {}
        self.last_momentum: dict[tuple[str, str, bool], datetime] = {}

    def on_order(self, order_id: str, placed: NewOrder, now: datetime) -> list[tuple[str, str]]:
        pair = (placed.account, placed.symbol)
        buy = placed.side is Side.BUY
        self.live[order_id] = [pair, buy, placed.quantity]
        event = Event(now, "order", pair, buy, placed.limit_price, is_aggressive(placed, REFERENCE))
        self.events.append(event)
        out = self._layering(pair, now)
        if event.aggressive:
            out += self._momentum(pair, buy, now)
        return out

    def on_cancel(self, order_id: str, now: datetime) -> list[tuple[str, str]]:
        known = self.live.pop(order_id, None)
        if known is None:
            return []
        pair, buy, _ = known
        self.events.append(Event(now, "cancel", pair, buy))  # type: ignore[arg-type]
        return self._layering(pair, now)  # type: ignore[arg-type]

    def on_fill(self, order_id: str, quantity: Decimal, now: datetime) -> list[tuple[str, str]]:
        known = self.live.get(order_id)
        if known is None:
            return []
        known[2] -= quantity  # type: ignore[operator]
        if known[2] <= 0:  # type: ignore[operator]
            del self.live[order_id]
        pair, buy = known[0], known[1]
        self.events.append(Event(now, "fill", pair, buy))  # type: ignore[arg-type]
        return self._layering(pair, now)  # type: ignore[arg-type]

    def _layering(self, pair: tuple[str, str], now: datetime) -> list[tuple[str, str]]:
        window = [e for e in self.events if e.pair == pair and now - LAYER_WINDOW < e.at <= now]
        orders = [e for e in window if e.kind == "order"]
        cancels = sum(e.kind == "cancel" for e in window)
        fills = {side: sum(e.kind == "fill" and e.buy is side for e in window) for side in (True, False)}
        levels = {
            side: {e.price for e in orders if e.buy is side and e.price is not None} for side in (True, False)
        }
        if len(orders) < 4:
            return []
        last = self.last_layering.get(pair)
        if last is not None and now - last < LAYER_WINDOW:
            return []
        total_fills = fills[True] + fills[False]
        if not (len(orders) > 3 * max(total_fills, 1) or cancels > Decimal("0.5") * len(orders)):
            return []
        for side in (True, False):
            if len(levels[side]) >= 2 and len(levels[not side]) < 2 and fills[not side] > 0:
                self.last_layering[pair] = now
                return [(LAYERING, f"{len(orders)}/{cancels}/{total_fills}")]
        return []

    def _momentum(self, pair: tuple[str, str], buy: bool, now: datetime) -> list[tuple[str, str]]:
        count = sum(
            1
            for e in self.events
            if e.kind == "order"
            and e.aggressive
            and e.pair == pair
            and e.buy is buy
            and now - MOMENTUM_WINDOW < e.at <= now
        )
        key = (*pair, buy)
        last = self.last_momentum.get(key)
        if count <= 3 or (last is not None and now - last < MOMENTUM_WINDOW):
            return []
        self.last_momentum[key] = now
        return [(MOMENTUM_IGNITION, str(count))]


def _summary(alert_monitor: str, metrics: dict[str, str]) -> tuple[str, str]:
    if alert_monitor == LAYERING:
        return (LAYERING, f"{metrics['orders']}/{metrics['cancels']}/{metrics['fills']}")
    return (MOMENTUM_IGNITION, metrics["aggressive_orders"])


step = st.one_of(
    st.tuples(
        st.just("order"),
        st.sampled_from(["A", "B"]),
        st.sampled_from([Side.BUY, Side.SELL, Side.SELL_SHORT]),
        st.sampled_from([None, "99.98", "99.99", "100.00", "100.01", "100.02"]),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("fill"), st.integers(0, 40), st.sampled_from(["50", "100"])),
)
gaps = st.sampled_from([0, 0, 1, 10, 50, 120, 400, 900, 2500])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(gaps, step), min_size=1, max_size=70))
def test_monitors_match_the_brute_force_rules(steps: list[tuple[int, tuple[object, ...]]]) -> None:
    monitors = AbuseMonitors(POLICY)
    oracle = Oracle()
    now = START
    placed = 0
    for gap, action in steps:
        now += timedelta(milliseconds=gap)
        if action[0] == "order":
            _, account, side, price = action
            new = order(side, price, account=account)  # type: ignore[arg-type]
            order_id = f"o{placed}"
            placed += 1
            got = monitors.on_order(order_id, new, now, REFERENCE)
            want = oracle.on_order(order_id, new, now)
        elif action[0] == "cancel":
            order_id = f"o{action[1]}"
            got = monitors.on_cancel(order_id, now)
            want = oracle.on_cancel(order_id, now)
        else:
            order_id, quantity = f"o{action[1]}", Decimal(str(action[2]))
            got = monitors.on_fill(order_id, quantity, now)
            want = oracle.on_fill(order_id, quantity, now)
        assert [_summary(a.monitor, dict(a.metrics)) for a in got] == want
