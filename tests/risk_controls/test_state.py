"""Risk state: reservations, fills, positions, exposure valuation and the day roll."""

from __future__ import annotations

from datetime import timedelta

from risk_controls.domain import ExecType, ExecutionReport, OrderStatus, Side
from tests.risk_controls.builders import D, Harness, minimal_policy, order, replace_request
from tests.risk_controls.builders import accept as accepted

WIDE = minimal_policy(
    firm={"trading_hours": {"start": "00:00:00", "end": "23:59:59.999999", "weekdays": list(range(7))}},
    accounts={"A1": {"max_daily_orders": 100, "throttle": {"max_messages": 100, "per_seconds": "1"}}},
)


def harness() -> Harness:
    h = Harness(policy=WIDE)
    h.book.set_reference_price("AAPL", D("200.00"))
    return h


def test_acceptance_reserves_quantity_times_price_base() -> None:
    h = harness()
    accepted(h, "AAPL", Side.BUY, 100, "201.00")
    accepted(h, "SAP", Side.BUY, 10, "232.40")  # EUR at 1.08
    book = h.state.book("A1")
    assert book.open_notional == D("20100.00") + D("2324.0") * D("1.08")
    assert book.credit_used == book.open_notional
    assert h.state.firm_open_notional == book.open_notional
    assert h.state.exposure("A1", "AAPL").open_buy == 100
    assert book.orders_today == 2


def test_cancel_releases_exactly_the_reservation() -> None:
    h = harness()
    first = accepted(h, "AAPL", Side.BUY, 100, "201.00")
    second = accepted(h, "AAPL", Side.BUY, 30, "199.99")
    h.cancel(first)
    book = h.state.book("A1")
    assert book.open_notional == D("30") * D("199.99")
    assert h.state.exposure("A1", "AAPL").open_buy == 30
    h.cancel(second)
    assert book.open_notional == 0
    assert h.state.firm_open_notional == 0
    assert book.gross_exposure == 0 and h.state.firm_gross_exposure == 0
    assert h.state.orders[first].status is OrderStatus.CANCELED
    assert h.state.working_orders() == []


def test_partial_fills_move_reservation_into_position_and_traded_notional() -> None:
    h = harness()
    oid = accepted(h, "AAPL", Side.BUY, 100, "201.00")
    h.fill(oid, 40, "200.50")  # price improvement: traded at 200.50
    book = h.state.book("A1")
    line = h.state.exposure("A1", "AAPL")
    assert (line.position, line.open_buy) == (D(40), D(60))
    assert book.executed_notional == D("40") * D("200.50")
    assert book.open_notional == D("60") * D("201.00")
    assert h.state.orders[oid].status is OrderStatus.PARTIALLY_FILLED
    assert h.state.orders[oid].leaves_qty == 60
    h.fill(oid, 60, "201.00")
    assert (line.position, line.open_buy) == (D(100), D(0))
    assert book.executed_notional == D("40") * D("200.50") + D("60") * D("201.00")
    assert book.open_notional == 0
    assert h.state.orders[oid].status is OrderStatus.FILLED
    assert h.state.orders[oid].avg_px == (D("40") * D("200.50") + D("60") * D("201.00")) / 100


def test_cancel_after_partial_fill_releases_only_the_leaves() -> None:
    h = harness()
    oid = accepted(h, "AAPL", Side.BUY, 100, "201.00")
    h.fill(oid, 25)
    h.cancel(oid)
    book = h.state.book("A1")
    assert book.open_notional == 0
    assert book.executed_notional == D("25") * D("201.00")
    assert h.state.exposure("A1", "AAPL").position == 25
    # gross exposure is now the position alone, at the reference price
    assert book.gross_exposure == 25 * D("200.00")


def test_fill_in_foreign_currency_counts_in_base_currency() -> None:
    h = harness()
    oid = accepted(h, "SAP", Side.BUY, 10, "232.40")
    h.fill(oid, 10)
    book = h.state.book("A1")
    assert book.executed_notional == D("2324.0") * D("1.08")
    assert book.open_notional == 0


def test_sell_fills_reduce_position_and_short_sale_goes_negative() -> None:
    h = harness()
    buy = accepted(h, "AAPL", Side.BUY, 100, "200.00")
    h.fill(buy, 100)
    sell = accepted(h, "AAPL", Side.SELL, 60, "200.00")
    h.fill(sell, 60)
    short = accepted(h, "AAPL", Side.SELL_SHORT, 100, "200.00", locate="LOC-1")
    h.fill(short, 100)
    line = h.state.exposure("A1", "AAPL")
    assert line.position == -60
    assert line.worst_case() == 60
    # gross traded notional counts every fill, whatever its side
    assert h.state.book("A1").executed_notional == 260 * D("200.00")


def test_replace_swaps_the_old_reservation_for_the_new_one() -> None:
    h = harness()
    oid = accepted(h, "AAPL", Side.BUY, 100, "201.00")
    h.fill(oid, 30)
    working = h.state.orders[oid]
    outcome = h.replace_order(oid, replace_request(working, 150, limit_price=D("202.00")))
    assert outcome.denial is None
    book = h.state.book("A1")
    assert working.leaves_qty == 120
    assert book.open_notional == 120 * D("202.00")
    assert h.state.exposure("A1", "AAPL").open_buy == 120
    assert h.state.reservations[oid].price_base == D("202.00")


def test_day_roll_resets_daily_counters_but_not_open_orders_or_positions() -> None:
    h = harness()
    filled = accepted(h, "AAPL", Side.BUY, 50, "200.00")
    h.fill(filled, 50)
    resting = accepted(h, "AAPL", Side.BUY, 10, "199.00")
    book = h.state.book("A1")
    assert (book.orders_today, book.executed_notional) == (2, 50 * D("200.00"))
    h.clock.advance(24 * 3600)
    h.state.roll_day(h.clock.now())
    assert book.orders_today == 0
    assert book.executed_notional == 0 and h.state.firm_executed_notional == 0
    assert book.open_notional == 10 * D("199.00")
    assert h.state.firm_open_notional == 10 * D("199.00")
    assert h.state.exposure("A1", "AAPL").position == 50
    assert h.state.orders[resting].status.is_working
    # rolling twice on the same day changes nothing
    accepted(h, "AAPL", Side.BUY, 1, "200.00")
    h.state.roll_day(h.clock.now())
    assert book.orders_today == 1


def test_unknown_order_report_is_ignored() -> None:
    h = harness()
    report = ExecutionReport("nope", "E1", ExecType.FILL, "XNAS", h.clock.now(), D(1), D(1))
    assert h.state.on_execution(report, D(1)) is None
    assert h.state.accounts == {}


def test_venue_ack_moves_pending_new_to_new() -> None:
    h = harness()
    oid = accepted(h, "AAPL", Side.BUY, 10, "200.00")
    assert h.state.orders[oid].status is OrderStatus.PENDING_NEW
    h.report(oid, ExecType.NEW)
    assert h.state.orders[oid].status is OrderStatus.NEW


def test_execution_throttle_window_trips_on_the_nth_fill_in_the_window() -> None:
    h = harness()
    span = timedelta(seconds=10)
    now = h.clock.now()
    assert not h.state.on_fill_window("A1", now, span, 3)
    assert not h.state.on_fill_window("A1", now + timedelta(seconds=5), span, 3)
    # the first fill is exactly 10 s old at the third: it has left the window
    assert not h.state.on_fill_window("A1", now + timedelta(seconds=10), span, 3)
    assert h.state.on_fill_window("A1", now + timedelta(seconds=11), span, 3)
    assert "A1" in h.state.execution_disabled


def test_a_fill_does_not_revalue_the_line_at_an_older_orders_mark() -> None:
    """Exposure lines are marked at the reference price of the latest checked order.

    A fill of an order accepted at an older (higher) mark must not re-mark the whole
    line at that older price: it would raise gross exposure without any check, past
    the limit the check had just enforced.
    """
    h = Harness(policy=minimal_policy(accounts={"A1": {"max_gross_exposure": "60000"}}))
    h.book.set_reference_price("AAPL", D("228.50"))
    old = accepted(h, "AAPL", Side.SELL_SHORT, 100, "228.50", locate="LOC-1")
    h.book.set_reference_price("AAPL", D("200.00"))
    accepted(h, "AAPL", Side.SELL_SHORT, 190, "200.00", locate="LOC-1")
    book = h.state.book("A1")
    assert book.gross_exposure == 290 * D("200.00")  # what the check projected: 58000 <= 60000
    h.fill(old, 1)
    assert book.gross_exposure == 290 * D("200.00")
    assert book.gross_exposure <= D("60000")
    h.cancel(old)
    assert book.gross_exposure == 191 * D("200.00")


def test_a_self_trade_decrement_does_not_re_mark_the_line_at_an_older_price() -> None:
    """A decrement (the venue shrinking a resting order) reuses the order's old reservation;
    it must not re-mark the line at that order's old reference and so raise exposure unchecked."""
    h = Harness(policy=minimal_policy(accounts={"A1": {"self_trade_mode": "decrement"}}))
    h.book.set_reference_price("AAPL", D("228.50"))
    accepted(h, "AAPL", Side.SELL_SHORT, 400, "228.50", account="A2", locate="L")
    h.clock.advance(1)
    h.book.set_reference_price("AAPL", D("200.00"))
    accepted(h, "AAPL", Side.SELL_SHORT, 10, "209.00", account="A2", locate="L")
    line = h.state.exposure("A2", "AAPL")
    assert line.gross_value == 410 * D("200.00")
    # A1 (same beneficial owner, decrement mode) buys 15 at market: the 10 are cancelled and
    # the 400 decremented to 395
    outcome = h.submit(order("AAPL", Side.BUY, 15, None, account="A1"))
    assert outcome.denial is not None and outcome.denial.code.value == "SELF_TRADE_PREVENTED"
    assert [q for _, q in h.venue_actions] == [None, D(395)]
    assert line.worst_case() == 395
    assert line.gross_value == 395 * D("200.00")
    assert h.state.book("A2").gross_exposure == 395 * D("200.00")
