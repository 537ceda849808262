"""The pure matching engine: price-time priority, partial fills, removal, reduction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.venues.book import BookOrder, OrderBook

D = Decimal


def rest(book: OrderBook, order_id: str, is_buy: bool, price: str, qty: str) -> BookOrder:
    order = BookOrder(order_id, is_buy, D(price), D(qty))
    book.add(order)
    return order


def test_match_when_incoming_equals_resting_quantity_then_both_complete_and_level_goes() -> None:
    book = OrderBook("X")
    resting = rest(book, "s1", False, "10.00", "5")
    incoming = BookOrder("b1", True, D("10.00"), D(5))

    fills = book.match(incoming, D("10.00"))

    assert [(f.resting.order_id, f.quantity, f.price) for f in fills] == [("s1", D(5), D("10.00"))]
    assert incoming.leaves == 0 and resting.leaves == 0
    assert book.best_ask() is None and "s1" not in book
    assert book.last_price == D("10.00")


def test_match_fills_best_price_first_then_oldest_first_at_the_resting_price() -> None:
    book = OrderBook("X")
    rest(book, "far", False, "10.02", "5")
    rest(book, "first", False, "10.01", "3")
    rest(book, "second", False, "10.01", "3")
    incoming = BookOrder("b", True, D("10.05"), D(10))

    fills = book.match(incoming, D("10.05"))

    assert [(f.resting.order_id, f.quantity, f.price) for f in fills] == [
        ("first", D(3), D("10.01")),
        ("second", D(3), D("10.01")),
        ("far", D(4), D("10.02")),
    ]
    assert book.get("far") is not None and book.get("far").leaves == 1  # type: ignore[union-attr]
    assert book.last_price == D("10.02")


def test_match_stops_at_the_limit_price() -> None:
    book = OrderBook("X")
    rest(book, "in", True, "9.99", "2")
    rest(book, "out", True, "9.98", "2")
    incoming = BookOrder("s", False, D("9.99"), D(5))

    fills = book.match(incoming, D("9.99"))

    assert [f.resting.order_id for f in fills] == ["in"]
    assert incoming.leaves == 3
    assert book.best_bid() == D("9.98")


def test_market_match_walks_all_levels_until_the_side_is_empty() -> None:
    book = OrderBook("X")
    rest(book, "a", True, "9.99", "2")
    rest(book, "b", True, "9.50", "2")
    incoming = BookOrder("s", False, None, D(10))

    fills = book.match(incoming, None)

    assert sum(f.quantity for f in fills) == 4
    assert incoming.leaves == 6
    assert book.best_bid() is None and len(book) == 0


def test_available_counts_only_prices_within_the_limit() -> None:
    book = OrderBook("X")
    rest(book, "a", False, "10.00", "2")
    rest(book, "b", False, "10.01", "3")
    rest(book, "c", False, "10.02", "4")

    assert book.available(True, D("10.01"), D(100)) == 5
    assert book.available(True, None, D(100)) == 9
    assert book.available(True, D("9.99"), D(1)) == 0


def test_add_refuses_an_order_that_would_cross() -> None:
    book = OrderBook("X")
    rest(book, "ask", False, "10.00", "1")
    with pytest.raises(ValueError, match="cross"):
        rest(book, "bid", True, "10.00", "1")
    rest(book, "bid", True, "9.99", "1")
    assert not book.is_crossed()


def test_remove_from_the_middle_keeps_the_others_in_order_and_drops_empty_levels() -> None:
    book = OrderBook("X")
    for oid in ("a", "b", "c"):
        rest(book, oid, True, "9.00", "1")
    rest(book, "lone", True, "8.00", "1")

    assert book.remove("b") is not None
    assert book.remove("b") is None
    assert book.queue_at(True, D("9")) == ["a", "c"]
    assert book.remove("lone") is not None
    assert [lvl.price for lvl in book.depth(True, 5)] == [D("9.00")]


def test_reduce_keeps_priority_and_reducing_to_filled_takes_the_order_out() -> None:
    book = OrderBook("X")
    first = rest(book, "first", False, "10.00", "5")
    rest(book, "second", False, "10.00", "5")
    book.match(BookOrder("b", True, D("10.00"), D(2)), D("10.00"))  # first has 2 filled

    book.reduce("first", D(4))
    assert book.queue_at(False, D("10.00")) == ["first", "second"]
    assert first.leaves == 2
    with pytest.raises(ValueError, match="below the filled"):
        book.reduce("first", D(1))
    book.reduce("first", D(2))
    assert "first" not in book and book.queue_at(False, D("10.00")) == ["second"]


def test_depth_aggregates_quantity_and_order_count_best_first() -> None:
    book = OrderBook("X")
    rest(book, "a", False, "10.01", "2")
    rest(book, "b", False, "10.00", "3")
    rest(book, "c", False, "10.00", "4")

    levels = book.depth(False, 5)
    assert [(lv.price, lv.quantity, lv.orders) for lv in levels] == [
        (D("10.00"), D(7), 2),
        (D("10.01"), D(2), 1),
    ]
    assert len(book.depth(False, 1)) == 1


def test_prices_with_different_exponents_share_one_level() -> None:
    book = OrderBook("X")
    rest(book, "a", True, "9.5", "1")
    rest(book, "b", True, "9.50", "1")
    assert book.queue_at(True, D("9.500")) == ["a", "b"]
    assert len(book.depth(True, 5)) == 1
