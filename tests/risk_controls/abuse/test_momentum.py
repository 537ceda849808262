"""Momentum ignition: bursts of aggressive orders on one side, per account and symbol."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from risk_controls.abuse import MOMENTUM_IGNITION, AbuseAlert, AbuseMonitors, is_aggressive
from risk_controls.domain import NewOrder, OrdType, Side
from tests.risk_controls.abuse.conftest import REFERENCE, START, abuse_policy, order

MAX = 15  # the sample policy's max_aggressive_orders
WINDOW_MS = 1000


def at(ms: float) -> datetime:
    return START + timedelta(milliseconds=ms)


def feed(monitors: AbuseMonitors, orders: list[tuple[datetime, NewOrder]]) -> list[tuple[int, AbuseAlert]]:
    """Feed orders; return (index of the triggering order, alert) pairs."""
    out: list[tuple[int, AbuseAlert]] = []
    for i, (when, placed) in enumerate(orders):
        out.extend((i, a) for a in monitors.on_order(f"o{i}", placed, when, REFERENCE))
    return out


def burst(
    count: int,
    *,
    every_ms: float = 10,
    side: Side = Side.BUY,
    start_ms: float = 0,
    account: str = "ACC-1",
    symbol: str = "AAPL",
) -> list[tuple[datetime, NewOrder]]:
    return [
        (at(start_ms + i * every_ms), order(side, None, account=account, symbol=symbol)) for i in range(count)
    ]


def test_burst_of_exactly_max_aggressive_orders_raises_nothing() -> None:
    assert feed(AbuseMonitors(abuse_policy()), burst(MAX)) == []


def test_the_order_after_max_raises_one_alert_with_its_metrics() -> None:
    alerts = feed(AbuseMonitors(abuse_policy()), burst(MAX + 5))
    assert len(alerts) == 1
    index, alert = alerts[0]
    assert index == MAX  # the (max+1)-th order, counted from 0
    assert (alert.monitor, alert.account, alert.symbol) == (MOMENTUM_IGNITION, "ACC-1", "AAPL")
    assert dict(alert.metrics) == {
        "aggressive_orders": str(MAX + 1),
        "span_ms": str(MAX * 10),
        "window_ms": str(WINDOW_MS),
        "max_aggressive_orders": str(MAX),
        "reference_price": "100.00",
    }
    assert "16 aggressive BUY orders in 150 ms" in alert.message


def test_orders_paced_just_under_the_limit_never_alert() -> None:
    # one order every 70 ms: any 1000 ms window (now - 1000, now] holds at most 15 of them
    assert feed(AbuseMonitors(abuse_policy()), burst(MAX * 4, every_ms=70)) == []


def test_window_boundary_an_order_exactly_window_ms_old_has_left() -> None:
    def run(last: datetime) -> list[tuple[int, AbuseAlert]]:
        orders = [(at(0), order(Side.BUY, None))]
        orders += burst(MAX - 1, start_ms=900, every_ms=5)
        orders.append((last, order(Side.BUY, None)))
        return feed(AbuseMonitors(abuse_policy()), orders)

    assert run(at(WINDOW_MS)) == []  # the order at 0 is out: 15 in the window
    assert len(run(at(WINDOW_MS) - timedelta(microseconds=1))) == 1  # still in: 16


def test_sides_accounts_and_symbols_are_counted_separately() -> None:
    mixed = burst(MAX, side=Side.BUY) + burst(MAX, side=Side.SELL, start_ms=1)
    mixed += burst(MAX, account="ACC-2", start_ms=2) + burst(MAX, symbol="MSFT", start_ms=3)
    mixed.sort(key=lambda pair: pair[0])
    assert feed(AbuseMonitors(abuse_policy()), mixed) == []


def test_all_sell_markings_count_as_one_side() -> None:
    sells = [
        (at(i), order([Side.SELL, Side.SELL_SHORT, Side.SELL_SHORT_EXEMPT][i % 3], None))
        for i in range(MAX + 1)
    ]
    assert len(feed(AbuseMonitors(abuse_policy()), sells)) == 1


def test_persisting_burst_alerts_again_only_after_the_window() -> None:
    monitors = AbuseMonitors(abuse_policy())
    alerts = feed(monitors, burst(300, every_ms=10))  # 3 s of 100 aggressive orders per second
    times = [START + timedelta(milliseconds=10 * i) for i, _ in alerts]
    assert times == [at(150), at(1150), at(2150)]


def test_passive_orders_do_not_count() -> None:
    passive = [(at(i), order(Side.BUY, "99.99")) for i in range(MAX * 3)]
    passive += [(at(100 + i), order(Side.SELL, "100.01")) for i in range(MAX * 3)]
    assert feed(AbuseMonitors(abuse_policy()), passive) == []


@pytest.mark.parametrize(
    ("side", "price", "ord_type", "reference", "aggressive"),
    [
        (Side.BUY, None, OrdType.MARKET, REFERENCE, True),
        (Side.SELL, None, OrdType.MARKET, None, True),  # a market order takes liquidity regardless
        (Side.BUY, "100.00", OrdType.LIMIT, REFERENCE, True),  # at the reference: marketable
        (Side.BUY, "99.99", OrdType.LIMIT, REFERENCE, False),
        (Side.SELL, "100.00", OrdType.LIMIT, REFERENCE, True),
        (Side.SELL_SHORT, "99.50", OrdType.LIMIT, REFERENCE, True),
        (Side.SELL, "100.01", OrdType.LIMIT, REFERENCE, False),
        (Side.BUY, "101.00", OrdType.LIMIT, None, False),  # no reference: cannot judge
        (Side.BUY, "101.00", OrdType.STOP, REFERENCE, False),  # waits for its trigger
        (Side.BUY, "101.00", OrdType.STOP_LIMIT, REFERENCE, False),
    ],
)
def test_what_counts_as_aggressive(
    side: Side, price: str | None, ord_type: OrdType, reference: object, aggressive: bool
) -> None:
    assert is_aggressive(order(side, price, ord_type=ord_type), reference) is aggressive  # type: ignore[arg-type]


def test_marketable_limits_make_a_burst_like_market_orders() -> None:
    limits = [(at(i), order(Side.BUY, "100.05")) for i in range(MAX + 1)]
    assert len(feed(AbuseMonitors(abuse_policy()), limits)) == 1


def test_replace_into_a_marketable_price_counts() -> None:
    monitors = AbuseMonitors(abuse_policy())
    for i in range(MAX):
        assert monitors.on_order(f"o{i}", order(Side.BUY, None), at(i), REFERENCE) == []
    monitors.on_order("p", order(Side.BUY, "99.00"), at(20), REFERENCE)
    alerts = monitors.on_replace("p", order(Side.BUY, "100.10"), at(30), REFERENCE)
    assert [a.monitor for a in alerts] == [MOMENTUM_IGNITION]


def test_lower_threshold_applies_after_update_policy() -> None:
    monitors = AbuseMonitors(abuse_policy())
    assert feed(monitors, burst(5)) == []
    monitors.update_policy(abuse_policy(momentum={"max_aggressive_orders": 5}))
    alerts = monitors.on_order("late", order(Side.BUY, None), at(60), REFERENCE)
    assert [a.metrics["aggressive_orders"] for a in alerts] == ["6"]
