"""Layering/spoofing monitor: one-sided layers while the other side trades, ratios, windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from risk_controls.abuse import LAYERING, AbuseAlert, AbuseMonitors
from risk_controls.domain import Side
from risk_controls.domain.clock import ManualClock
from tests.risk_controls.abuse.conftest import REFERENCE, START, abuse_policy, order

SELL_LAYERS = ["100.05", "100.06", "100.07", "100.08", "100.09", "100.10", "100.11", "100.12", "100.13"]


def at(ms: int) -> datetime:
    return START + timedelta(milliseconds=ms)


class Spoofer:
    """Drives one account: a small genuine buy, sell layers above the market, cancels."""

    def __init__(self, monitors: AbuseMonitors, account: str = "ACC-1") -> None:
        self.monitors = monitors
        self.account = account
        self.alerts: list[tuple[datetime, AbuseAlert]] = []
        self.n = 0

    def _record(self, when: datetime, alerts: list[AbuseAlert]) -> None:
        self.alerts.extend((when, a) for a in alerts)

    def place(self, when: datetime, side: Side, price: str, quantity: str = "100") -> str:
        self.n += 1
        order_id = f"{self.account}-{self.n}"
        placed = order(side, price, account=self.account, quantity=quantity)
        self._record(when, self.monitors.on_order(order_id, placed, when, REFERENCE))
        return order_id

    def fill(self, when: datetime, order_id: str, quantity: str = "100") -> None:
        self._record(when, self.monitors.on_fill(order_id, Decimal(quantity), when))

    def cancel(self, when: datetime, order_id: str) -> None:
        self._record(when, self.monitors.on_cancel(order_id, when))

    def spoof_round(self, base_ms: int, layers: int = 7, prices: list[str] | None = None) -> None:
        """Buy 100 at 99.95, lay ``layers`` sells above, get the buy filled, pull the sells."""
        prices = prices or SELL_LAYERS
        buy = self.place(at(base_ms), Side.BUY, "99.95")
        sells = [
            self.place(at(base_ms + 10 * (i + 1)), Side.SELL, prices[i % len(prices)], "5000")
            for i in range(layers)
        ]
        self.fill(at(base_ms + 100), buy)
        for i, sell in enumerate(sells):
            self.cancel(at(base_ms + 110 + 10 * i), sell)


# --- the pattern ------------------------------------------------------------------


def test_realistic_layering_raises_exactly_one_alert_with_its_metrics() -> None:
    monitors = AbuseMonitors(abuse_policy(layering={"max_order_to_trade_ratio": "20"}))
    spoofer = Spoofer(monitors)
    spoofer.spoof_round(0)
    spoofer.spoof_round(2000)  # repeated within the same window: no second alert
    assert len(spoofer.alerts) == 1
    when, alert = spoofer.alerts[0]
    assert when == at(110 + 60)  # the 7th cancel: 7/8 = 0.875 > 0.8
    assert (alert.monitor, alert.account, alert.symbol) == (LAYERING, "ACC-1", "AAPL")
    assert dict(alert.metrics) == {
        "orders": "8",
        "cancels": "7",
        "fills": "1",
        "order_to_trade_ratio": "8",
        "cancel_ratio": "0.875",
        "layered_levels": "7",
        "layered_side_fills": "0",
        "opposite_levels": "1",
        "opposite_fills": "1",
        "window_seconds": "10",
        "min_orders": "8",
        "min_levels": "3",
        "max_order_to_trade_ratio": "20",
        "max_cancel_ratio": "0.8",
    }
    assert "7 SELL price levels" in alert.message and "BUY side traded 1" in alert.message


def test_order_to_trade_breach_fires_on_the_fill_that_completes_the_pattern() -> None:
    monitors = AbuseMonitors(abuse_policy())
    spoofer = Spoofer(monitors)
    buy = spoofer.place(at(0), Side.BUY, "99.95")
    for i, price in enumerate(SELL_LAYERS):
        spoofer.place(at(10 * (i + 1)), Side.SELL, price, "5000")
    assert spoofer.alerts == []  # layers alone, no trade on the other side yet
    spoofer.fill(at(200), buy)
    assert len(spoofer.alerts) == 1
    when, alert = spoofer.alerts[0]
    assert when == at(200)
    assert (alert.metrics["orders"], alert.metrics["fills"], alert.metrics["order_to_trade_ratio"]) == (
        "10",
        "1",
        "10",
    )


def test_buy_side_layering_is_caught_too() -> None:
    monitors = AbuseMonitors(abuse_policy())
    spoofer = Spoofer(monitors)
    sell = spoofer.place(at(0), Side.SELL, "100.05")
    for i in range(9):
        spoofer.place(at(10 * (i + 1)), Side.BUY, f"99.{90 - i}", "5000")
    spoofer.fill(at(200), sell)
    assert [a.metrics["layered_levels"] for _, a in spoofer.alerts] == ["9"]
    assert "9 BUY price levels" in spoofer.alerts[0][1].message


# --- boundaries ----------------------------------------------------------------------


def test_below_min_orders_no_alert_at_min_orders_alert() -> None:
    policy = abuse_policy(layering={"max_order_to_trade_ratio": "20"})
    short = Spoofer(AbuseMonitors(policy))
    short.spoof_round(0, layers=6)  # 7 orders, 6 cancelled: ratio 0.857 but sample too small
    assert short.alerts == []
    full = Spoofer(AbuseMonitors(policy))
    full.spoof_round(0, layers=7)  # 8 orders
    assert len(full.alerts) == 1


def test_fewer_distinct_levels_than_min_levels_is_not_layering() -> None:
    policy = abuse_policy(layering={"max_order_to_trade_ratio": "20"})
    two = Spoofer(AbuseMonitors(policy))
    two.spoof_round(0, prices=["100.05", "100.06"])  # 7 sells at only 2 prices
    assert two.alerts == []
    three = Spoofer(AbuseMonitors(policy))
    three.spoof_round(0, prices=["100.05", "100.06", "100.07"])
    assert [a.metrics["layered_levels"] for _, a in three.alerts] == ["3"]


def test_cancel_ratio_at_the_maximum_does_not_fire_just_above_does() -> None:
    spoofer = Spoofer(AbuseMonitors(abuse_policy(layering={"max_order_to_trade_ratio": "20"})))
    buy = spoofer.place(at(0), Side.BUY, "99.95")
    sells = [spoofer.place(at(10 * (i + 1)), Side.SELL, p, "5000") for i, p in enumerate(SELL_LAYERS)]
    spoofer.fill(at(100), buy)
    for i, sell in enumerate(sells[:8]):
        spoofer.cancel(at(200 + i), sell)
    assert spoofer.alerts == []  # 8 / 10 = 0.8, not above
    spoofer.cancel(at(300), sells[8])
    assert [a.metrics["cancel_ratio"] for _, a in spoofer.alerts] == ["0.9"]


def test_order_to_trade_ratio_at_the_maximum_does_not_fire_just_above_does() -> None:
    spoofer = Spoofer(AbuseMonitors(abuse_policy()))
    buy = spoofer.place(at(0), Side.BUY, "99.95")
    for i in range(7):
        spoofer.place(at(10 * (i + 1)), Side.SELL, SELL_LAYERS[i], "5000")
    spoofer.fill(at(100), buy)
    assert spoofer.alerts == []  # 8 orders / 1 fill = 8, not above
    spoofer.place(at(110), Side.SELL, SELL_LAYERS[7], "5000")
    assert [(w, a.metrics["order_to_trade_ratio"]) for w, a in spoofer.alerts] == [(at(110), "9")]


# --- normal trading -----------------------------------------------------------------


def test_two_sided_market_making_raises_nothing() -> None:
    monitors = AbuseMonitors(abuse_policy())
    mm = Spoofer(monitors, "ACC-MM")
    bids, asks = ["99.97", "99.98", "99.99"], ["100.01", "100.02", "100.03"]
    for second in range(30):
        base = second * 1000
        quotes = [mm.place(at(base + i), Side.BUY, p) for i, p in enumerate(bids)]
        quotes += [mm.place(at(base + 3 + i), Side.SELL, p) for i, p in enumerate(asks)]
        mm.fill(at(base + 500), quotes[2 + 3 * (second % 2)])  # best bid or best ask trades
        for i, quote in enumerate(quotes):
            mm.cancel(at(base + 900 + i), quote)
    assert mm.alerts == []


def test_directional_trader_whose_orders_fill_raises_nothing() -> None:
    trader = Spoofer(AbuseMonitors(abuse_policy()))
    for i in range(40):
        placed = trader.place(at(i * 200), Side.BUY, f"100.0{i % 5}")
        trader.fill(at(i * 200 + 50), placed)
    assert trader.alerts == []


def test_layers_pulled_without_any_trade_are_not_layering() -> None:
    trader = Spoofer(AbuseMonitors(abuse_policy()))
    sells = [trader.place(at(10 * i), Side.SELL, p) for i, p in enumerate(SELL_LAYERS)]
    for i, sell in enumerate(sells):
        trader.cancel(at(500 + i), sell)
    assert trader.alerts == []


# --- windows ---------------------------------------------------------------------------


def test_layers_older_than_the_window_no_longer_count() -> None:
    def run(fill_at: datetime) -> list[tuple[datetime, AbuseAlert]]:
        spoofer = Spoofer(AbuseMonitors(abuse_policy()))
        for price in SELL_LAYERS:
            spoofer.place(at(0), Side.SELL, price, "5000")
        buy = spoofer.place(at(9_900), Side.BUY, "99.95")
        spoofer.fill(fill_at, buy)
        return spoofer.alerts

    just_inside = at(10_000) - timedelta(microseconds=1)
    assert len(run(just_inside)) == 1
    assert run(at(10_000)) == []  # the window is (now - 10 s, now]: layers at t=0 have left it


def test_a_persisting_pattern_alerts_once_per_window() -> None:
    spoofer = Spoofer(AbuseMonitors(abuse_policy()))
    for second in range(25):
        spoofer.spoof_round(second * 1000)
    assert [when for when, _ in spoofer.alerts] == [at(170), at(10_170), at(20_170)]


def test_accounts_and_symbols_have_separate_windows() -> None:
    monitors = AbuseMonitors(abuse_policy(layering={"max_order_to_trade_ratio": "20"}))
    first, second = Spoofer(monitors, "ACC-1"), Spoofer(monitors, "ACC-2")
    first.spoof_round(0)
    second.spoof_round(0)
    assert len(first.alerts) == 1 and len(second.alerts) == 1
    # half the pattern in each of two symbols is no pattern
    split = Spoofer(AbuseMonitors(abuse_policy(layering={"max_order_to_trade_ratio": "20"})), "ACC-3")
    buy = split.monitors.on_order("b", order(Side.BUY, "99.95", account="ACC-3"), at(0), REFERENCE)
    assert buy == []
    for i, price in enumerate(SELL_LAYERS[:4]):
        for symbol in ("AAPL", "MSFT"):
            sid = f"{symbol}-{i}"
            split.monitors.on_order(
                sid, order(Side.SELL, price, account="ACC-3", symbol=symbol), at(i), REFERENCE
            )
    assert split.monitors.on_fill("b", Decimal(100), at(50)) == []


# --- feeding rules -------------------------------------------------------------------


def test_unknown_or_finished_orders_are_ignored() -> None:
    monitors = AbuseMonitors(abuse_policy())
    assert monitors.on_cancel("never-seen", at(0)) == []
    assert monitors.on_fill("never-seen", Decimal(1), at(0)) == []
    monitors.on_order("o1", order(), at(0), REFERENCE)
    monitors.on_fill("o1", Decimal(40), at(1))
    assert monitors.tracked_orders == 1
    monitors.on_fill("o1", Decimal(60), at(2))
    assert monitors.tracked_orders == 0  # fully filled: forgotten
    monitors.on_order("o2", order(), at(3), REFERENCE)
    monitors.forget("o2")  # e.g. an IOC remainder: not the trader's cancel
    assert monitors.tracked_orders == 0


def test_tracked_orders_are_capped_oldest_first() -> None:
    monitors = AbuseMonitors(abuse_policy(), max_tracked_orders=3)
    for i in range(4):
        monitors.on_order(f"o{i}", order(), at(i), REFERENCE)
    assert monitors.tracked_orders == 3
    spoofer = Spoofer(monitors)
    spoofer.cancel(at(10), "o0")  # evicted: ignored, so it cannot count as a cancel
    assert monitors.tracked_orders == 3


def test_new_thresholds_apply_from_the_next_event() -> None:
    monitors = AbuseMonitors(abuse_policy(layering={"max_order_to_trade_ratio": "20"}))
    spoofer = Spoofer(monitors)
    buy = spoofer.place(at(0), Side.BUY, "99.95")
    for i in range(7):
        spoofer.place(at(10 * (i + 1)), Side.SELL, SELL_LAYERS[i], "5000")
    spoofer.fill(at(100), buy)
    assert spoofer.alerts == []  # 8 / 1 under a max of 20
    monitors.update_policy(abuse_policy(layering={"max_order_to_trade_ratio": "5"}))
    spoofer.place(at(110), Side.SELL, SELL_LAYERS[7], "5000")
    assert [a.metrics["max_order_to_trade_ratio"] for _, a in spoofer.alerts] == ["5"]


def test_times_that_go_backwards_do_not_corrupt_the_window(clock: ManualClock) -> None:
    monitors = AbuseMonitors(abuse_policy())
    spoofer = Spoofer(monitors)
    for price in SELL_LAYERS:
        spoofer.place(clock.now(), Side.SELL, price, "5000")
    buy = spoofer.place(clock.now(), Side.BUY, "99.95")
    clock.advance(-5)  # a late fill stamped earlier than the last order
    spoofer.fill(clock.now(), buy)
    assert len(spoofer.alerts) == 1
