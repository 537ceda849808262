"""Checks 12-13: short-sale locate and marking; self-trade prevention in all four modes,
across accounts of one beneficial owner, with the actions it asks the pipeline to take."""

from __future__ import annotations

from typing import Any

import pytest

from risk_controls.checks import self_trade, short_sale
from risk_controls.checks.context import SelfTradeAction
from risk_controls.domain import DenyCode, OrderStatus, OrdType, Side
from tests.risk_controls.builders import D, Harness, accept, minimal_policy, order, replace_request

QUIET: dict[str, Any] = {"throttle": {"max_messages": 1000, "per_seconds": "1"}, "max_daily_orders": 1000}


def harness(**accounts: dict[str, Any]) -> Harness:
    h = Harness(
        policy=minimal_policy(
            firm={
                "session_throttle": {"max_messages": 1000, "per_seconds": "1"},
                "duplicate": {"window_ms": 1, "max_count": 1},
            },
            accounts={name: {**QUIET, **accounts.get(name, {})} for name in ("A1", "A2", "B1")},
        )
    )
    h.book.set_reference_price("AAPL", D("200.00"))
    return h


def long(h: Harness, quantity: int, account: str = "A1") -> None:
    oid = accept(h, "AAPL", Side.BUY, quantity, "200.00", account=account)
    h.fill(oid, quantity)


# ---- 12. short sales --------------------------------------------------------------


def test_a_short_sale_needs_a_locate() -> None:
    h = harness()
    denial = short_sale.check(h.ctx(order(side=Side.SELL_SHORT, price="200.00")))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.LOCATE_REQUIRED, {"symbol": "AAPL"})
    assert short_sale.check(h.ctx(order(side=Side.SELL_SHORT, price="200.00", locate="LOC-7"))) is None


def test_an_account_may_be_exempt_from_the_locate_requirement() -> None:
    h = harness(A1={"short_locate_required": False})
    assert short_sale.check(h.ctx(order(side=Side.SELL_SHORT, price="200.00"))) is None


def test_an_exempt_short_sale_needs_no_locate() -> None:
    h = harness()
    assert short_sale.check(h.ctx(order(side=Side.SELL_SHORT_EXEMPT, price="200.00"))) is None


@pytest.mark.parametrize(("quantity", "passes"), [(99, True), (100, True), (101, False)])
def test_a_long_sale_must_be_covered_by_the_long_position(quantity: int, passes: bool) -> None:
    h = harness()
    long(h, 100)
    denial = short_sale.check(h.ctx(order(side=Side.SELL, quantity=quantity, price="200.00")))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.SHORT_MARKING_INCONSISTENT
        assert denial.context_dict() == {"side": "SELL", "quantity": "101", "long_available": "100"}


def test_a_long_sale_counts_sales_already_working() -> None:
    h = harness()
    long(h, 100)
    accept(h, "AAPL", Side.SELL, 60, "201.00")
    assert short_sale.check(h.ctx(order(side=Side.SELL, quantity=40, price="200.00"))) is None
    denial = short_sale.check(h.ctx(order(side=Side.SELL, quantity=41, price="200.00")))
    assert denial is not None and denial.context_dict()["long_available"] == "40"


def test_a_sale_with_no_position_is_mis_marked_as_long() -> None:
    denial = short_sale.check(harness().ctx(order(side=Side.SELL, quantity=1, price="200.00")))
    assert denial is not None and denial.context_dict()["long_available"] == "0"


def test_a_short_sale_while_long_enough_to_cover_is_mis_marked() -> None:
    h = harness()
    long(h, 100)
    denial = short_sale.check(h.ctx(order(side=Side.SELL_SHORT, quantity=100, price="200.00", locate="L")))
    assert denial is not None and denial.code is DenyCode.SHORT_MARKING_INCONSISTENT
    assert denial.context_dict() == {"side": "SELL_SHORT", "quantity": "100", "long_available": "100"}
    # a sale larger than the long position is (at least partly) short: correctly marked
    assert (
        short_sale.check(h.ctx(order(side=Side.SELL_SHORT, quantity=101, price="200.00", locate="L"))) is None
    )


def test_a_replace_of_a_sale_counts_its_own_quantity_as_available() -> None:
    h = harness()
    long(h, 100)
    oid = accept(h, "AAPL", Side.SELL, 60, "201.00")
    working = h.state.orders[oid]
    assert (
        short_sale.check(h.ctx(working.replaced_by(replace_request(working, 100)), replacing=working)) is None
    )
    assert (
        short_sale.check(h.ctx(working.replaced_by(replace_request(working, 101)), replacing=working))
        is not None
    )


def test_buys_are_never_short_sales() -> None:
    assert short_sale.check(harness().ctx(order(side=Side.BUY, price="200.00"))) is None


# ---- 13. self-trade prevention ------------------------------------------------------
# A1 and A2 share beneficial owner OWNER-1; B1 is another owner.


def resting_sell(h: Harness, account: str = "A1", quantity: int = 100, price: str = "200.00") -> str:
    return accept(h, "AAPL", Side.SELL_SHORT, quantity, price, account=account, locate="L")


def test_no_cross_no_action() -> None:
    h = harness()
    resting_sell(h, price="200.10")
    ctx = h.ctx(order(side=Side.BUY, price="200.09"))
    assert self_trade.check(ctx) is None
    assert ctx.self_trade_actions == []
    # same side never crosses
    ctx = h.ctx(order(side=Side.SELL_SHORT, price="199.00", locate="L"))
    assert self_trade.check(ctx) is None and ctx.self_trade_actions == []


def test_cancel_resting_cancels_the_resting_order_and_lets_the_incoming_through() -> None:
    h = harness(A1={"self_trade_mode": "cancel-resting"})
    rid = resting_sell(h)
    ctx = h.ctx(order(side=Side.BUY, price="200.00"))  # touching price crosses
    assert self_trade.check(ctx) is None
    assert ctx.self_trade_actions == [SelfTradeAction(rid, None)]


def test_a_market_order_crosses_every_resting_order_on_the_other_side() -> None:
    h = harness(A1={"self_trade_mode": "cancel-resting"})
    first = resting_sell(h, price="200.00")
    second = resting_sell(h, price="209.00")
    ctx = h.ctx(order(side=Side.BUY, price=None))
    assert self_trade.check(ctx) is None
    assert {a.order_id for a in ctx.self_trade_actions} == {first, second}


def test_cancel_incoming_denies_the_incoming_and_leaves_the_resting() -> None:
    h = harness(A1={"self_trade_mode": "cancel-incoming"})
    rid = resting_sell(h)
    ctx = h.ctx(order(side=Side.BUY, price="200.50"))
    denial = self_trade.check(ctx)
    assert denial is not None and denial.code is DenyCode.SELF_TRADE_PREVENTED
    assert denial.context_dict() == {"mode": "cancel-incoming", "resting": rid}
    assert ctx.self_trade_actions == []


def test_cancel_both_denies_the_incoming_and_cancels_the_resting() -> None:
    h = harness(A1={"self_trade_mode": "cancel-both"})
    rid = resting_sell(h)
    outcome = h.submit(order(side=Side.BUY, price="200.50"))
    assert outcome.denial is not None and outcome.denial.context_dict() == {
        "mode": "cancel-both",
        "resting": rid,
    }
    assert outcome.ctx.self_trade_actions == [SelfTradeAction(rid, None)]
    assert h.state.orders[rid].status is OrderStatus.CANCELED  # the harness carried the action out


def test_decrement_cancels_the_smaller_incoming_and_reduces_the_resting() -> None:
    h = harness(A1={"self_trade_mode": "decrement"})
    rid = resting_sell(h, quantity=100)
    ctx = h.ctx(order(side=Side.BUY, quantity=40, price="200.00"))
    denial = self_trade.check(ctx)
    assert denial is not None and denial.context_dict() == {"mode": "decrement", "remaining": "0"}
    assert ctx.self_trade_actions == [SelfTradeAction(rid, D(60))]


def test_decrement_cancels_the_smaller_resting_and_reduces_the_incoming() -> None:
    h = harness(A1={"self_trade_mode": "decrement"})
    rid = resting_sell(h, quantity=100)
    ctx = h.ctx(order(side=Side.BUY, quantity=150, price="200.00"))
    assert self_trade.check(ctx) is None
    assert ctx.self_trade_actions == [SelfTradeAction(rid, None)]
    assert ctx.incoming_quantity_override == D(50)


def test_decrement_of_equal_sizes_cancels_both() -> None:
    h = harness(A1={"self_trade_mode": "decrement"})
    rid = resting_sell(h, quantity=100)
    ctx = h.ctx(order(side=Side.BUY, quantity=100, price="200.00"))
    assert self_trade.check(ctx) is not None
    assert ctx.self_trade_actions == [SelfTradeAction(rid, None)]


def test_decrement_walks_the_resting_orders_best_price_first_and_keeps_fills() -> None:
    h = harness(A1={"self_trade_mode": "decrement"})
    worse = resting_sell(h, quantity=100, price="200.20")
    better = resting_sell(h, quantity=30, price="200.10")
    h.fill(worse, 20)  # 80 leaves
    ctx = h.ctx(order(side=Side.BUY, quantity=50, price="200.20"))
    assert self_trade.check(ctx) is not None  # the incoming is used up
    # 30 cancels the better order; the remaining 20 comes off the worse one: 20 filled + 60 left
    assert ctx.self_trade_actions == [SelfTradeAction(better, None), SelfTradeAction(worse, D(80))]


def test_decrement_takes_the_owners_resting_orders_in_price_time_priority_across_accounts() -> None:
    """As the book would match them: best price first whichever account rests it, and at one
    price the oldest first (bids too: the highest bid, then the earliest at that price)."""
    h = harness(A1={"self_trade_mode": "decrement"}, A2={"self_trade_mode": "decrement"})
    older = accept(h, "AAPL", Side.BUY, 10, "200.00", account="A1")
    newer = accept(h, "AAPL", Side.BUY, 10, "200.00", account="A1")
    best = accept(h, "AAPL", Side.BUY, 10, "200.05", account="A2")  # the other account, better
    ctx = h.ctx(order(side=Side.SELL_SHORT, quantity=25, price="200.00", locate="L", account="A1"))
    assert self_trade.check(ctx) is not None  # 25 <= 30 resting: the incoming is used up
    assert ctx.self_trade_actions == [
        SelfTradeAction(best, None),
        SelfTradeAction(older, None),
        SelfTradeAction(newer, D(5)),
    ]


def test_decrement_through_the_harness_reserves_only_the_reduced_quantity() -> None:
    h = harness(A1={"self_trade_mode": "decrement"})
    rid = resting_sell(h, quantity=100)
    outcome = h.submit(order(side=Side.BUY, quantity=150, price="200.00"))
    assert outcome.accepted and outcome.order_id is not None
    assert h.state.orders[outcome.order_id].order.quantity == D(50)
    assert h.state.orders[rid].status is OrderStatus.CANCELED
    assert h.state.book("A1").open_notional == 50 * D("200.00")


def test_beneficial_owner_groups_accounts_and_the_incoming_accounts_mode_applies() -> None:
    h = harness(A1={"self_trade_mode": "cancel-resting"}, A2={"self_trade_mode": "cancel-incoming"})
    other_account = resting_sell(h, account="A2")
    ctx = h.ctx(order(side=Side.BUY, price="200.00", account="A1"))
    assert self_trade.check(ctx) is None
    assert ctx.self_trade_actions == [SelfTradeAction(other_account, None)]
    # the other way round, A2's mode (cancel-incoming) decides
    mine = resting_sell(h, account="A1", price="200.05")
    denial = self_trade.check(h.ctx(order(side=Side.BUY, price="200.05", account="A2")))
    assert denial is not None and mine in denial.context_dict()["resting"]


def test_another_beneficial_owner_is_not_a_self_trade() -> None:
    h = harness(A1={"self_trade_mode": "cancel-incoming"})
    resting_sell(h, account="B1")
    ctx = h.ctx(order(side=Side.BUY, price="200.00", account="A1"))
    assert self_trade.check(ctx) is None and ctx.self_trade_actions == []


def test_stop_orders_and_finished_orders_do_not_self_trade() -> None:
    h = harness(A1={"self_trade_mode": "cancel-incoming"})
    rid = resting_sell(h)
    stop = order(side=Side.BUY, price=None, stop="201.00", ord_type=OrdType.STOP)
    assert self_trade.check(h.ctx(stop)) is None  # not in the book until triggered
    h.cancel(rid)
    assert self_trade.check(h.ctx(order(side=Side.BUY, price="200.00"))) is None


def test_a_replace_that_would_cross_a_resting_order_is_a_self_trade() -> None:
    h = harness(A1={"self_trade_mode": "cancel-incoming"})
    buy = accept(h, "AAPL", Side.BUY, 100, "199.00")
    sell = resting_sell(h, price="201.00")
    working = h.state.orders[sell]
    lower = working.replaced_by(replace_request(working, 100, limit_price=D("199.00")))
    denial = self_trade.check(h.ctx(lower, replacing=working))
    assert denial is not None and denial.context_dict() == {"mode": "cancel-incoming", "resting": buy}
    still_above = working.replaced_by(replace_request(working, 100, limit_price=D("199.01")))
    assert self_trade.check(h.ctx(still_above, replacing=working)) is None
