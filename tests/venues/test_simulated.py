"""The simulated venue behind the Venue seam: reports, TIFs, cancels, replaces, stops."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from gateway.venues import SimulatedVenue
from risk_controls.domain import ExecType, ExecutionReport, OrdType, TimeInForce
from risk_controls.domain.clock import ManualClock
from risk_controls.venue import RoutedOrder, Venue
from tests.venues.conftest import START, Reports, VenueFactory, order

D = Decimal
E = ExecType
Pair = tuple[SimulatedVenue, Reports]


def test_simulated_venue_satisfies_the_venue_protocol(venue: Pair) -> None:
    sim, _ = venue
    as_venue: Venue = sim
    assert as_venue.name == "SIM"


def test_submit_before_connect_is_a_programming_error(clock: ManualClock) -> None:
    from tests.venues.conftest import make_instruments

    sim = SimulatedVenue(make_instruments(), clock=clock, liquidity=None)
    with pytest.raises(RuntimeError, match="connect"):
        sim.submit(order("o1", "BUY", 1, "100"))


def test_resting_limit_gets_new_with_ids_time_and_venue(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o1", "BUY", 10, "99.50"))

    [new] = reports.all
    assert new.exec_type is E.NEW and new.order_id == "o1" and new.venue == "SIM"
    assert new.transact_time == START
    assert new.venue_order_id is not None and new.exec_id
    assert sim.top_of_book("AAPL").bid == D("99.50")
    assert sim.is_working("o1")


def test_exact_quantity_cross_fills_both_orders_with_one_trade_id(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 10, "100.00", account="A"))
    sim.submit(order("b", "BUY", 10, "100.00", account="B"))

    assert reports.kinds() == [E.NEW, E.NEW, E.FILL, E.FILL]
    buy_fill, sell_fill = reports.all[2], reports.all[3]
    assert buy_fill.order_id == "b" and sell_fill.order_id == "s"  # aggressor reported first
    assert buy_fill.trade_id == sell_fill.trade_id is not None
    assert (buy_fill.last_qty, buy_fill.last_px) == (D(10), D("100.00"))
    assert (sell_fill.last_qty, sell_fill.last_px) == (D(10), D("100.00"))
    assert sim.last_price("AAPL") == D("100.00")
    assert not sim.is_working("b") and not sim.is_working("s")
    assert sim.top_of_book("AAPL").ask is None


def test_aggressor_gets_the_resting_price_not_its_limit(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 5, "100.00"))
    sim.submit(order("b", "BUY", 5, "101.00"))
    assert reports.fills("b") == [(D(5), D("100.00"))]


def test_partial_fill_across_levels_then_rest_of_incoming_rests(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s1", "SELL", 3, "100.00"))
    sim.submit(order("s2", "SELL", 4, "100.01"))
    sim.submit(order("s3", "SELL", 5, "100.03"))
    reports.clear()

    sim.submit(order("b", "BUY", 10, "100.02"))

    assert reports.kinds("b") == [E.NEW, E.PARTIAL_FILL, E.PARTIAL_FILL]
    assert reports.fills("b") == [(D(3), D("100.00")), (D(4), D("100.01"))]
    assert reports.kinds("s1") == [E.FILL] and reports.kinds("s2") == [E.FILL]
    top = sim.top_of_book("AAPL")
    assert (top.bid, top.bid_qty, top.ask, top.ask_qty) == (D("100.02"), D(3), D("100.03"), D(5))


def test_resting_order_partially_filled_reports_partial_then_fill(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 10, "100.00"))
    sim.submit(order("b1", "BUY", 4, "100.00"))
    sim.submit(order("b2", "BUY", 6, "100.00"))
    assert reports.kinds("s") == [E.NEW, E.PARTIAL_FILL, E.FILL]
    assert reports.filled("s") == 10


def test_price_time_priority_older_order_at_same_price_fills_first(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("late_better", "SELL", 5, "100.01"))
    sim.submit(order("first", "SELL", 5, "100.00"))
    sim.submit(order("second", "SELL", 5, "100.00"))

    sim.submit(order("b", "BUY", 7, "100.01"))

    assert reports.kinds("first")[-1] is E.FILL
    assert reports.fills("second") == [(D(2), D("100.00"))]
    assert reports.fills("late_better") == []
    assert sim.queue_at("AAPL", False, D("100.00")) == ["second"]


def test_two_of_our_accounts_crossing_trade_like_any_orders(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("a", "BUY", 5, "100.00", account="ACC_A"))
    sim.submit(order("b", "SELL", 5, "100.00", account="ACC_B"))
    assert reports.filled("a") == 5 and reports.filled("b") == 5


def test_ioc_fills_what_it_can_and_cancels_the_rest(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 3, "100.00"))
    sim.submit(order("ioc", "BUY", 5, "100.00", tif=TimeInForce.IOC))

    assert reports.kinds("ioc") == [E.NEW, E.PARTIAL_FILL, E.CANCELED]
    assert reports.filled("ioc") == 3
    assert sim.top_of_book("AAPL").bid is None  # the remainder did not rest
    assert not sim.is_working("ioc")


def test_ioc_with_nothing_to_fill_is_cancelled_whole(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("ioc", "BUY", 5, "100.00", tif=TimeInForce.IOC))
    assert reports.kinds("ioc") == [E.NEW, E.CANCELED]


def test_fok_that_cannot_fill_fully_leaves_the_book_unchanged(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s1", "SELL", 3, "100.00"))
    sim.submit(order("s2", "SELL", 3, "100.02"))
    before = sim.depth("AAPL")
    reports.clear()

    sim.submit(order("fok", "BUY", 5, "100.01", tif=TimeInForce.FOK))  # only 3 within limit

    assert reports.kinds() == [E.NEW, E.CANCELED]
    assert "FOK_NOT_FILLABLE" in (reports.all[-1].text or "")
    assert sim.depth("AAPL") == before
    assert sim.last_price("AAPL") is None


def test_fok_that_can_fill_fully_fills_across_levels(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s1", "SELL", 3, "100.00"))
    sim.submit(order("s2", "SELL", 3, "100.02"))
    sim.submit(order("fok", "BUY", 6, "100.02", tif=TimeInForce.FOK))
    assert reports.kinds("fok") == [E.NEW, E.PARTIAL_FILL, E.FILL]
    assert sim.top_of_book("AAPL").ask is None


def test_market_order_on_an_empty_side_is_cancelled(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("bid", "BUY", 5, "99.00"))  # our own bid does not help a market buy
    sim.submit(order("mkt", "BUY", 5))
    assert reports.kinds("mkt") == [E.NEW, E.CANCELED]
    assert reports.for_order("mkt")[-1].text == "MARKET_REMAINDER_NO_LIQUIDITY"


def test_market_order_walks_the_book_and_cancels_the_unfilled_rest(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("b1", "BUY", 2, "99.00"))
    sim.submit(order("b2", "BUY", 2, "95.00"))
    sim.submit(order("mkt", "SELL", 5))
    assert reports.fills("mkt") == [(D(2), D("99.00")), (D(2), D("95.00"))]
    assert reports.kinds("mkt")[-1] is E.CANCELED
    assert sim.top_of_book("AAPL").bid is None


def test_cancel_resting_order_removes_it(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o", "BUY", 5, "99.00"))
    sim.cancel("o")
    assert reports.kinds("o") == [E.NEW, E.CANCELED]
    assert sim.top_of_book("AAPL").bid is None


def test_cancel_partially_filled_order_cancels_only_the_rest(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o", "BUY", 5, "99.00"))
    sim.submit(order("s", "SELL", 2, "99.00"))
    sim.cancel("o")
    assert reports.kinds("o") == [E.NEW, E.PARTIAL_FILL, E.CANCELED]


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ([], "UNKNOWN_ORDER"),
        ([order("o", "BUY", 5, "99.00"), order("s", "SELL", 5, "99.00")], "ORDER_NOT_WORKING"),
    ],
    ids=["unknown", "already-filled"],
)
def test_cancel_of_unknown_or_filled_order_is_rejected(
    venue: Pair, setup: list[RoutedOrder], code: str
) -> None:
    sim, reports = venue
    for routed in setup:
        sim.submit(routed)
    reports.clear()

    sim.cancel("o")

    [reject] = reports.all
    assert reject.exec_type is E.CANCEL_REJECTED and reject.order_id == "o"
    assert reject.text is not None and reject.text.split()[0] == code


def test_cancel_twice_second_is_rejected_as_not_working(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o", "BUY", 5, "99.00"))
    sim.cancel("o")
    sim.cancel("o")
    assert reports.kinds("o") == [E.NEW, E.CANCELED, E.CANCEL_REJECTED]


# ------------------------------------------------------------------ rejections
@pytest.mark.parametrize(
    ("routed", "code"),
    [
        (order("x", "BUY", 5, "1.00", symbol="ZZZ"), "UNKNOWN_INSTRUMENT"),
        (order("x", "BUY", 0, "100.00"), "QUANTITY_NOT_POSITIVE"),
        (order("x", "BUY", 15, "5.00", symbol="LOTS"), "QUANTITY_NOT_LOT_MULTIPLE"),
        (order("x", "BUY", 5, "100.005"), "PRICE_NOT_ON_TICK"),
        (order("x", "BUY", 20, "5.03", symbol="LOTS"), "PRICE_NOT_ON_TICK"),
        (order("x", "BUY", 5, "-1.00"), "PRICE_NOT_POSITIVE"),
        (order("x", "BUY", 5, None, ord_type=OrdType.LIMIT), "PRICE_MISSING"),
        (order("x", "BUY", 5, None, ord_type=OrdType.STOP), "PRICE_MISSING"),
        (order("x", "BUY", 5, "100.00", tif=TimeInForce.GTD), "GTD_NOT_IN_FUTURE"),
        (order("x", "BUY", 5, "100", tif=TimeInForce.GTD, expire_at=START), "GTD_NOT_IN_FUTURE"),
    ],
)
def test_invalid_order_is_rejected_with_its_code_and_never_reaches_the_book(
    venue: Pair, routed: RoutedOrder, code: str
) -> None:
    sim, reports = venue
    sim.submit(routed)
    [reject] = reports.all
    assert reject.exec_type is E.REJECTED
    assert reject.text is not None and reject.text.split()[0] == code
    assert not sim.is_working("x")
    assert sim.top_of_book(routed.order.symbol).bid is None


def test_lot_and_tick_boundaries_accept_exact_multiples(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("x", "BUY", 20, "5.05", symbol="LOTS"))
    assert reports.kinds("x") == [E.NEW]


def test_duplicate_order_id_is_rejected_and_the_first_order_is_untouched(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o", "BUY", 5, "99.00"))
    sim.submit(order("o", "BUY", 7, "98.00"))
    assert reports.kinds("o") == [E.NEW, E.REJECTED]
    assert sim.depth("AAPL").bids[0].quantity == 5


# --------------------------------------------------------------------- replace
def test_replace_quantity_decrease_keeps_time_priority(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("first", "SELL", 10, "100.00"))
    sim.submit(order("second", "SELL", 10, "100.00"))
    sim.replace(order("first", "SELL", 4, "100.00"))

    assert reports.kinds("first")[-1] is E.REPLACED
    assert sim.queue_at("AAPL", False, D("100.00")) == ["first", "second"]
    sim.submit(order("b", "BUY", 5, "100.00"))
    assert reports.fills("first") == [(D(4), D("100.00"))]
    assert reports.fills("second") == [(D(1), D("100.00"))]


def test_replace_quantity_increase_loses_time_priority(venue: Pair) -> None:
    sim, _reports = venue
    sim.submit(order("first", "SELL", 5, "100.00"))
    sim.submit(order("second", "SELL", 5, "100.00"))
    sim.replace(order("first", "SELL", 6, "100.00"))
    assert sim.queue_at("AAPL", False, D("100.00")) == ["second", "first"]


def test_replace_price_change_loses_priority_even_when_moved_back(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("first", "BUY", 5, "99.00"))
    sim.submit(order("second", "BUY", 5, "99.00"))
    sim.replace(order("first", "BUY", 5, "98.99"))
    sim.replace(order("first", "BUY", 5, "99.00"))
    assert sim.queue_at("AAPL", True, D("99.00")) == ["second", "first"]
    assert reports.kinds("first") == [E.NEW, E.REPLACED, E.REPLACED]


def test_replace_to_a_crossing_price_trades_immediately(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 5, "100.00"))
    sim.submit(order("b", "BUY", 5, "99.00"))
    sim.replace(order("b", "BUY", 5, "100.00"))
    assert reports.kinds("b") == [E.NEW, E.REPLACED, E.FILL]
    assert reports.fills("b") == [(D(5), D("100.00"))]


def test_replace_below_filled_quantity_is_rejected_and_order_keeps_working(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o", "SELL", 10, "100.00"))
    sim.submit(order("b", "BUY", 6, "100.00"))

    sim.replace(order("o", "SELL", 5, "100.00"))

    last = reports.for_order("o")[-1]
    assert last.exec_type is E.REPLACE_REJECTED
    assert last.text is not None and last.text.startswith("REPLACE_BELOW_FILLED")
    assert sim.is_working("o") and sim.depth("AAPL").asks[0].quantity == 4


def test_replace_down_to_exactly_filled_completes_the_order(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("o", "SELL", 10, "100.00"))
    sim.submit(order("b", "BUY", 6, "100.00"))
    sim.replace(order("o", "SELL", 6, "100.00"))
    assert reports.kinds("o")[-1] is E.REPLACED
    assert not sim.is_working("o") and sim.top_of_book("AAPL").ask is None


@pytest.mark.parametrize(
    "new",
    [
        order("o", "SELL", 5, "99.00"),
        order("o", "BUY", 5, "99.00", symbol="LOTS"),
        order("o", "BUY", 5, "99.005"),
    ],
    ids=["side", "symbol", "off-tick"],
)
def test_replace_that_changes_what_the_order_is_is_rejected(venue: Pair, new: RoutedOrder) -> None:
    sim, reports = venue
    sim.submit(order("o", "BUY", 5, "99.00"))
    sim.replace(new)
    assert reports.kinds("o") == [E.NEW, E.REPLACE_REJECTED]
    assert sim.is_working("o")
    assert sim.depth("AAPL").bids[0].price == D("99.00")


def test_replace_of_unknown_order_is_rejected(venue: Pair) -> None:
    sim, reports = venue
    sim.replace(order("ghost", "BUY", 5, "99.00"))
    [reject] = reports.all
    assert reject.exec_type is E.REPLACE_REJECTED
    assert reject.text is not None and reject.text.startswith("UNKNOWN_ORDER")


def test_replace_to_ioc_trades_what_it_can_then_cancels_the_rest(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 2, "99.50"))
    sim.submit(order("o", "BUY", 5, "99.00"))
    sim.replace(order("o", "BUY", 5, "99.50", tif=TimeInForce.IOC))
    assert reports.kinds("o") == [E.NEW, E.REPLACED, E.PARTIAL_FILL, E.CANCELED]
    assert not sim.is_working("o") and sim.top_of_book("AAPL").bid is None


def test_replace_to_fok_that_cannot_fill_cancels_without_trading(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s", "SELL", 2, "99.00"))
    sim.submit(order("o", "BUY", 5, "98.00"))
    sim.replace(order("o", "BUY", 5, "98.00", tif=TimeInForce.FOK))
    assert reports.kinds("o") == [E.NEW, E.REPLACED, E.CANCELED]
    assert sim.depth("AAPL").asks[0].quantity == 2


# ----------------------------------------------------------------------- stops
def _trade_at(sim: SimulatedVenue, price: str, tag: str) -> None:
    sim.submit(order(f"{tag}-s", "SELL", 1, price, account="MM"))
    sim.submit(order(f"{tag}-b", "BUY", 1, price, account="MM"))


def test_buy_stop_triggers_when_last_trade_reaches_the_stop_and_walks_as_market(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("stop", "BUY", 3, None, ord_type=OrdType.STOP, stop="100.05"))
    sim.submit(order("ask", "SELL", 10, "100.10"))
    _trade_at(sim, "100.04", "t1")
    assert reports.kinds("stop") == [E.NEW]  # 100.04 < stop

    _trade_at(sim, "100.05", "t2")

    assert reports.kinds("stop") == [E.NEW, E.FILL]
    assert reports.fills("stop") == [(D(3), D("100.10"))]
    assert sim.last_price("AAPL") == D("100.10")


def test_sell_stop_limit_triggers_below_and_rests_at_its_limit(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(
        order("sl", "SELL", 5, "99.50", ord_type=OrdType.STOP_LIMIT, stop="99.80")
    )
    assert sim.top_of_book("AAPL").ask is None  # parked, not in the book
    _trade_at(sim, "99.80", "t")
    assert reports.kinds("sl") == [E.NEW]  # triggered, nothing to trade with yet
    assert sim.top_of_book("AAPL").ask == D("99.50")


def test_stop_already_crossed_by_last_trade_fires_on_arrival(venue: Pair) -> None:
    sim, reports = venue
    _trade_at(sim, "100.00", "t")
    sim.submit(order("bid", "BUY", 5, "99.90"))
    sim.submit(order("stop", "SELL", 2, None, ord_type=OrdType.STOP, stop="100.00"))
    assert reports.fills("stop") == [(D(2), D("99.90"))]


def test_triggered_stop_can_trigger_the_next_stop(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("s1", "SELL", 1, None, ord_type=OrdType.STOP, stop="99.90"))
    sim.submit(order("s2", "SELL", 1, None, ord_type=OrdType.STOP, stop="99.80"))
    sim.submit(order("bid1", "BUY", 1, "99.80"))
    sim.submit(order("bid2", "BUY", 1, "99.70"))
    _trade_at(sim, "99.90", "t")  # fires s1, which trades at 99.80, which fires s2
    assert reports.fills("s1") == [(D(1), D("99.80"))]
    assert reports.fills("s2") == [(D(1), D("99.70"))]


def test_cancel_of_a_parked_stop_means_it_never_fires(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("stop", "BUY", 1, None, ord_type=OrdType.STOP, stop="100.00"))
    sim.cancel("stop")
    sim.submit(order("ask", "SELL", 5, "100.50"))
    _trade_at(sim, "100.00", "t")
    assert reports.kinds("stop") == [E.NEW, E.CANCELED]
    assert sim.depth("AAPL").asks[0].quantity == 5


def test_replace_of_a_parked_stop_moves_its_trigger(venue: Pair) -> None:
    sim, reports = venue
    sim.submit(order("stop", "BUY", 1, None, ord_type=OrdType.STOP, stop="100.00"))
    sim.replace(order("stop", "BUY", 1, None, ord_type=OrdType.STOP, stop="100.20"))
    sim.submit(order("ask", "SELL", 5, "100.50"))
    _trade_at(sim, "100.10", "t")
    assert reports.kinds("stop") == [E.NEW, E.REPLACED]
    _trade_at(sim, "100.20", "t2")
    assert reports.kinds("stop")[-1] is E.FILL


# ---------------------------------------------------------------------- expiry
def test_gtd_expires_at_its_time_and_day_orders_at_end_of_day(
    venue: Pair, clock: ManualClock
) -> None:
    sim, reports = venue
    expire = START + timedelta(minutes=5)
    sim.submit(order("gtd", "BUY", 1, "99.00", tif=TimeInForce.GTD, expire_at=expire))
    sim.submit(order("day", "BUY", 1, "98.00"))
    sim.submit(order("gtc", "BUY", 1, "97.00", tif=TimeInForce.GTC))

    clock.set(expire - timedelta(microseconds=1))
    sim.expire_orders()
    assert reports.kinds("gtd") == [E.NEW]
    clock.set(expire)
    sim.expire_orders()
    assert reports.kinds("gtd") == [E.NEW, E.EXPIRED]
    assert reports.for_order("gtd")[-1].transact_time == expire

    sim.end_of_day()
    assert reports.kinds("day") == [E.NEW, E.EXPIRED]
    assert reports.kinds("gtc") == [E.NEW]
    assert [lv.price for lv in sim.depth("AAPL").bids] == [D("97.00")]


def test_day_orders_left_from_an_earlier_day_expire_at_the_next_days_first_operation(
    venue: Pair, clock: ManualClock
) -> None:
    """A venue ends DAY orders at its close; one that ran on would hold the desk's credit
    in the gateway for ever."""
    sim, reports = venue
    sim.submit(order("day", "BUY", 1, "98.00"))
    sim.submit(order("gtc", "BUY", 1, "97.00", tif=TimeInForce.GTC))
    clock.advance(3600)
    sim.submit(order("later", "BUY", 1, "96.00"))  # the same day: nothing ends
    assert reports.kinds("day") == [E.NEW]

    clock.set(START.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1))
    sim.submit(order("next", "BUY", 1, "95.00"))
    assert reports.kinds("day") == [E.NEW, E.EXPIRED] and reports.kinds("later") == [E.NEW, E.EXPIRED]
    assert reports.for_order("day")[-1].transact_time == clock.now()
    assert reports.kinds("gtc") == [E.NEW] and reports.kinds("next") == [E.NEW]
    assert [lv.price for lv in sim.depth("AAPL").bids] == [D("97.00"), D("95.00")]
    reports.clear()
    sim.cancel("day")  # yesterday's orders are forgotten, as a venue's are after its close
    [reject] = reports.all
    assert reject.text is not None and reject.text.startswith("UNKNOWN_ORDER")


def test_gtd_due_is_expired_before_the_next_order_can_trade_with_it(
    venue: Pair, clock: ManualClock
) -> None:
    sim, reports = venue
    expire = START + timedelta(seconds=1)
    sim.submit(order("gtd", "SELL", 1, "100.00", tif=TimeInForce.GTD, expire_at=expire))
    clock.advance(2)
    sim.submit(order("b", "BUY", 1, "100.00"))
    assert reports.kinds() == [E.NEW, E.EXPIRED, E.NEW]


# --------------------------------------------------------------- ids and order
def test_exec_and_trade_ids_are_unique_and_the_same_on_every_run(make_venue: VenueFactory) -> None:
    def run() -> list[ExecutionReport]:
        sim, reports = make_venue()
        for i in range(5):
            sim.submit(order(f"s{i}", "SELL", 2, "100.00"))
        sim.submit(order("b", "BUY", 7, "100.00"))
        sim.cancel("s4")
        return reports.all

    first, second = run(), run()
    assert [r.exec_id for r in first] == [r.exec_id for r in second]
    assert len({r.exec_id for r in first}) == len(first)
    trade_ids = [r.trade_id for r in first if r.order_id == "b" and r.trade_id]
    assert len(set(trade_ids)) == len(trade_ids) == 4


def test_callback_that_calls_back_into_the_venue_sees_reports_in_order(make_venue: VenueFactory) -> None:
    sim, _reports = make_venue()
    seen: list[tuple[str, ExecType]] = []

    def on_report(report: ExecutionReport) -> None:
        seen.append((report.order_id, report.exec_type))
        if report.order_id == "b" and report.exec_type is E.PARTIAL_FILL:
            sim.cancel("b")  # e.g. a kill switch reacting to a fill

    sim.connect(on_report)
    sim.submit(order("s", "SELL", 2, "100.00"))
    sim.submit(order("b", "BUY", 5, "100.00"))
    assert seen == [
        ("s", E.NEW),
        ("b", E.NEW),
        ("b", E.PARTIAL_FILL),
        ("s", E.FILL),
        ("b", E.CANCELED),
    ]


def test_stop_fires_on_any_print_of_a_sweep_not_only_the_last_one(venue: Pair) -> None:
    sim, reports = venue
    _trade_at(sim, "100.00", "t")
    sim.submit(order("stop", "SELL", 1, None, ord_type=OrdType.STOP, stop="99.97"))
    sim.submit(order("bid", "BUY", 5, "99.90"))
    sim.submit(order("a1", "SELL", 1, "99.97"))
    sim.submit(order("a2", "SELL", 1, "100.05"))

    sim.submit(order("sweep", "BUY", 2))  # prints 99.97 then 100.05: last is above the stop

    assert sim.trades()[-1].sell_order_id == "stop"
    assert reports.fills("stop") == [(D(1), D("99.90"))]


def test_id_prefix_keeps_ids_apart_between_runs(make_venue: VenueFactory, clock: ManualClock) -> None:
    from tests.venues.conftest import make_instruments

    ids = []
    for prefix in ("SIM-run1", "SIM-run2"):
        sim = SimulatedVenue(make_instruments(), clock=clock, liquidity=None, id_prefix=prefix)
        reports = Reports()
        sim.connect(reports)
        sim.submit(order("s", "SELL", 1, "100.00"))
        sim.submit(order("b", "BUY", 1, "100.00"))
        ids += [r.exec_id for r in reports.all] + sorted({r.trade_id for r in reports.all if r.trade_id})
        assert all(r.venue == "SIM" for r in reports.all)
    assert len(set(ids)) == len(ids)
