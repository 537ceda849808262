"""Checks 10-11: daily credit (traded + open) per account and firm; position limit and gross
exposure per account and firm, counting open orders, valued at the reference price."""

from __future__ import annotations

from typing import Any

import pytest

from risk_controls.checks import credit, exposure
from risk_controls.domain import DenyCode, Side
from tests.risk_controls.builders import D, Harness, accept, minimal_policy, order, replace_request

QUIET: dict[str, Any] = {
    "throttle": {"max_messages": 1000, "per_seconds": "1"},
    "max_daily_orders": 1000,
    "max_order_notional": "100000",
}


def harness(firm: dict[str, Any] | None = None, **accounts: dict[str, Any]) -> Harness:
    """AAPL at 200.00, KO at 50.00, throttles and per-instrument limits out of the way."""
    h = Harness(
        policy=minimal_policy(
            firm={
                "session_throttle": {"max_messages": 1000, "per_seconds": "1"},
                "duplicate": {"window_ms": 1, "max_count": 1},
                **(firm or {}),
            },
            accounts={name: {**QUIET, **accounts.get(name, {})} for name in ("A1", "A2", "B1")},
            instruments=[],
        )
    )
    h.book.set_reference_price("AAPL", D("200.00"))
    h.book.set_reference_price("KO", D("50.00"))
    return h


# ---- 10. credit (A1: 250000 a day; firm 1000000) ----------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "passes"), [(249, "200.00", True), (250, "200.00", True), (250, "200.01", False)]
)
def test_account_credit_boundary_counts_open_orders(quantity: int, price: str, passes: bool) -> None:
    h = harness(A1={"max_daily_notional": "250000"})
    accept(h, "AAPL", Side.BUY, 500, "200.00")
    accept(h, "AAPL", Side.BUY, 500, "200.00")  # 200000 reserved
    denial = credit.check(h.ctx(order("AAPL", Side.BUY, quantity, price)))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.CREDIT_LIMIT_EXCEEDED
        assert denial.context_dict() == {"limit": "250000", "used": "200000", "order": "50002.5"}


def test_credit_counts_traded_notional_and_sells_as_well_as_buys() -> None:
    h = harness(A1={"max_daily_notional": "250000"})
    oid = accept(h, "AAPL", Side.BUY, 500, "200.00")
    h.fill(oid, 500)  # 100000 traded
    accept(h, "AAPL", Side.SELL, 500, "200.00")  # 100000 open: a sale uses credit too (gross)
    assert credit.check(h.ctx(order("AAPL", Side.BUY, 250, "200.00"))) is None
    denial = credit.check(h.ctx(order("AAPL", Side.BUY, 251, "200.00")))
    assert denial is not None and denial.context_dict()["used"] == "200000"


def test_a_cancel_gives_the_credit_back() -> None:
    h = harness(A1={"max_daily_notional": "100000"})
    oid = accept(h, "AAPL", Side.BUY, 500, "200.00")
    assert credit.check(h.ctx(order("AAPL", Side.BUY, 1, "200.00"))) is not None
    h.cancel(oid)
    assert credit.check(h.ctx(order("AAPL", Side.BUY, 500, "200.00"))) is None


def test_a_replace_is_charged_only_the_difference_to_the_order_it_replaces() -> None:
    h = harness(A1={"max_daily_notional": "250000", "max_order_notional": "200000"})
    accept(h, "AAPL", Side.BUY, 500, "200.00")  # 100000
    oid = accept(h, "AAPL", Side.BUY, 500, "200.00")  # 100000
    working = h.state.orders[oid]
    grow_to_limit = working.replaced_by(replace_request(working, 750))
    assert credit.check(h.ctx(grow_to_limit, replacing=working)) is None
    too_much = working.replaced_by(replace_request(working, 751))
    denial = credit.check(h.ctx(too_much, replacing=working))
    assert denial is not None and denial.context_dict() == {
        "limit": "250000",
        "used": "200000",
        "order": "50200",
    }


def test_a_replace_of_a_partly_filled_order_reserves_only_its_new_leaves() -> None:
    h = harness(A1={"max_daily_notional": "250000", "max_order_notional": "200000"})
    oid = accept(h, "AAPL", Side.BUY, 1000, "200.00")  # 200000 reserved
    h.fill(oid, 400)  # 80000 traded, 120000 still reserved
    working = h.state.orders[oid]
    # 1250 total leaves 850 open = 170000; +80000 traded = 250000 = the limit
    assert credit.check(h.ctx(working.replaced_by(replace_request(working, 1250)), replacing=working)) is None
    assert (
        credit.check(h.ctx(working.replaced_by(replace_request(working, 1251)), replacing=working))
        is not None
    )


def test_credit_is_in_the_base_currency() -> None:
    h = harness(A1={"max_daily_notional": "10800"})
    assert credit.check(h.ctx(order("SAP", Side.BUY, 50, "200.00"))) is None  # 10000 EUR = 10800 USD
    assert credit.check(h.ctx(order("SAP", Side.BUY, 50, "200.02"))) is not None


def test_firm_credit_limit_binds_across_accounts() -> None:
    h = harness(
        firm={"max_daily_notional": "250000"},
        A1={"max_daily_notional": "200000"},
        A2={"max_daily_notional": "200000"},
    )
    accept(h, "AAPL", Side.BUY, 500, "200.00", account="A1")
    accept(h, "AAPL", Side.BUY, 250, "200.00", account="A1")  # A1: 150000
    accept(h, "AAPL", Side.BUY, 250, "200.00", account="A2")  # A2: 50000; firm 200000
    assert credit.check(h.ctx(order("AAPL", Side.BUY, 250, "200.00", account="A2"))) is None  # firm = 250000
    denial = credit.check(h.ctx(order("AAPL", Side.BUY, 250, "200.04", account="A2")))
    assert denial is not None and denial.code is DenyCode.FIRM_CREDIT_LIMIT_EXCEEDED
    assert denial.context_dict() == {"limit": "250000", "used": "200000", "order": "50010"}


# ---- 11. position limit (A1: 1500; KO: 600) -------------------------------------------


@pytest.mark.parametrize(("quantity", "passes"), [(599, True), (600, True), (601, False)])
def test_position_limit_boundary_per_instrument(quantity: int, passes: bool) -> None:
    h = harness()
    denial = exposure.position_limit(h.ctx(order("KO", Side.BUY, quantity, "50.00")))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.POSITION_LIMIT_EXCEEDED
        assert denial.context_dict() == {"limit": "600", "position": "0", "projected": "601"}


def test_position_limit_counts_open_orders_and_the_position() -> None:
    h = harness()
    oid = accept(h, "KO", Side.BUY, 300, "50.00")
    h.fill(oid, 100)  # position 100, open 200
    accept(h, "KO", Side.BUY, 100, "50.00")  # open 300
    assert exposure.position_limit(h.ctx(order("KO", Side.BUY, 200, "50.00"))) is None
    denial = exposure.position_limit(h.ctx(order("KO", Side.BUY, 201, "50.00")))
    assert denial is not None and denial.context_dict() == {
        "limit": "600",
        "position": "100",
        "projected": "601",
    }


def test_position_limit_counts_short_side_worst_case() -> None:
    h = harness()
    accept(h, "KO", Side.SELL_SHORT, 500, "50.00", locate="L")
    assert exposure.position_limit(h.ctx(order("KO", Side.SELL_SHORT, 100, "50.00", locate="L"))) is None
    assert exposure.position_limit(h.ctx(order("KO", Side.SELL_SHORT, 101, "50.00", locate="L"))) is not None
    # a buy does not add to the short worst case: up to 600 long is fine
    assert exposure.position_limit(h.ctx(order("KO", Side.BUY, 600, "50.00"))) is None


def over_the_limit(h: Harness) -> str:
    """Build a 700 KO long under a loose limit, then tighten the limit to 600 (a policy reload)."""
    policy = h.policy
    h.policy = minimal_policy(accounts={"A1": {**QUIET, "position_limits": {"KO": "1000"}}}, instruments=[])
    oid = accept(h, "KO", Side.BUY, 700, "50.00")
    h.policy = policy
    return oid


def test_orders_that_reduce_a_position_over_the_limit_are_allowed() -> None:
    h = harness()
    oid = over_the_limit(h)
    h.fill(oid, 700)
    assert exposure.position_limit(h.ctx(order("KO", Side.SELL, 100, "50.00"))) is None
    assert exposure.position_limit(h.ctx(order("KO", Side.SELL, 1400, "50.00"))) is None  # to -700: no worse
    assert exposure.position_limit(h.ctx(order("KO", Side.SELL, 1401, "50.00"))) is not None
    assert exposure.position_limit(h.ctx(order("KO", Side.BUY, 1, "50.00"))) is not None


def test_a_replace_that_shrinks_an_order_over_the_limit_is_allowed() -> None:
    h = harness()
    oid = over_the_limit(h)  # 700 open, limit now 600
    working = h.state.orders[oid]
    smaller = working.replaced_by(replace_request(working, 650))
    assert exposure.position_limit(h.ctx(smaller, replacing=working)) is None
    same = working.replaced_by(replace_request(working, 700))
    assert exposure.position_limit(h.ctx(same, replacing=working)) is None
    bigger = working.replaced_by(replace_request(working, 701))
    assert exposure.position_limit(h.ctx(bigger, replacing=working)) is not None


# ---- 11. gross exposure (A1: 200000; firm 800000), valued at the reference price ----------


@pytest.mark.parametrize(("quantity", "passes"), [(499, True), (500, True), (501, False)])
def test_gross_exposure_boundary_counts_open_orders(quantity: int, passes: bool) -> None:
    h = harness()
    accept(h, "AAPL", Side.BUY, 500, "200.00")  # 100000
    denial = exposure.gross_exposure(h.ctx(order("AAPL", Side.BUY, quantity, "200.00")))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.GROSS_EXPOSURE_EXCEEDED
        assert denial.context_dict() == {"limit": "200000", "projected": "200200"}


def test_gross_exposure_is_valued_at_the_reference_not_the_limit_price() -> None:
    h = harness()
    accept(h, "AAPL", Side.BUY, 500, "195.00")  # worth 100000 at the 200.00 reference
    assert h.state.book("A1").gross_exposure == D("100000.00")
    # 501 x 195.00 = 97695 would fit at the order's own price; at the reference it does not
    denial = exposure.gross_exposure(h.ctx(order("AAPL", Side.BUY, 501, "195.00")))
    assert denial is not None and denial.context_dict()["projected"] == "200200"


def test_gross_exposure_adds_up_lines_and_converts_currencies() -> None:
    h = harness()
    h.book.set_reference_price("SAP", D("200.00"))  # 216.00 in USD
    accept(h, "KO", Side.BUY, 600, "50.00")  # 30000
    accept(h, "SAP", Side.BUY, 250, "200.00")  # 54000
    assert h.state.book("A1").gross_exposure == D("84000.00")
    assert exposure.gross_exposure(h.ctx(order("AAPL", Side.BUY, 580, "200.00"))) is None  # 200000
    assert exposure.gross_exposure(h.ctx(order("AAPL", Side.BUY, 581, "200.00"))) is not None


def test_opposite_open_orders_do_not_add_up_in_the_worst_case() -> None:
    h = harness()
    accept(h, "AAPL", Side.BUY, 500, "200.00")
    accept(h, "AAPL", Side.SELL_SHORT, 500, "200.00", locate="L")  # either side could fill: 500
    assert h.state.book("A1").gross_exposure == D("100000.00")


def test_orders_that_do_not_add_exposure_pass_even_when_over_the_limit() -> None:
    h = harness()
    oid = accept(h, "AAPL", Side.BUY, 500, "200.00")
    h.fill(oid, 500)
    h.policy = minimal_policy(accounts={"A1": {**QUIET, "max_gross_exposure": "50000"}}, instruments=[])
    assert exposure.gross_exposure(h.ctx(order("AAPL", Side.SELL, 100, "205.00"))) is None
    assert exposure.gross_exposure(h.ctx(order("AAPL", Side.BUY, 1, "200.00"))) is not None


def test_firm_gross_exposure_binds_across_accounts() -> None:
    h = harness(firm={"max_gross_exposure": "150000"})
    accept(h, "AAPL", Side.BUY, 500, "200.00", account="A1")  # 100000
    accept(h, "KO", Side.BUY, 500, "50.00", account="A2")  # 25000
    assert exposure.gross_exposure(h.ctx(order("KO", Side.BUY, 500, "50.00", account="A2"))) is None
    denial = exposure.gross_exposure(h.ctx(order("KO", Side.BUY, 501, "50.00", account="A2")))
    assert denial is not None and denial.code is DenyCode.FIRM_GROSS_EXPOSURE_EXCEEDED
    assert denial.context_dict() == {"limit": "150000", "projected": "150050"}


def test_a_replace_is_charged_only_its_change_in_exposure() -> None:
    h = harness()
    accept(h, "AAPL", Side.BUY, 500, "200.00")
    oid = accept(h, "AAPL", Side.BUY, 400, "200.00")  # line 900 x 200 = 180000
    working = h.state.orders[oid]
    assert (
        exposure.gross_exposure(h.ctx(working.replaced_by(replace_request(working, 500)), replacing=working))
        is None
    )
    assert (
        exposure.gross_exposure(h.ctx(working.replaced_by(replace_request(working, 501)), replacing=working))
        is not None
    )


def test_no_reference_price_fails_closed() -> None:
    h = harness()
    h.book.set_reference_price("AAPL", None)
    denial = exposure.gross_exposure(h.ctx(order("AAPL", Side.BUY, 1, "200.00")))
    assert denial is not None and denial.code is DenyCode.NO_REFERENCE_PRICE
