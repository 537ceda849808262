"""Checks 3-7: order sanity, restricted list, maximum quantity and notional, price collar."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest

from risk_controls.checks import collar, restricted, sanity, size
from risk_controls.domain import (
    Denial,
    DenyCode,
    Instrument,
    InstrumentBook,
    NewOrder,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.policy import Policy
from tests.risk_controls.builders import MINIMAL_POLICY, D, Harness, instrument_book, minimal_policy, order

# ---- 3. order sanity -------------------------------------------------------------


def sanity_of(new: NewOrder, h: Harness | None = None) -> Denial | None:
    h = h or Harness()
    return sanity.check(h.ctx(new))


def test_unknown_instrument_is_denied() -> None:
    denial = sanity_of(order("ZZZZ", price="10.00"))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.UNKNOWN_INSTRUMENT, {"symbol": "ZZZZ"})


@pytest.mark.parametrize("quantity", ["0", "-1", "-100"])
def test_quantity_must_be_positive(quantity: str) -> None:
    denial = sanity_of(order(quantity=quantity))
    assert denial is not None and denial.code is DenyCode.QUANTITY_NOT_POSITIVE
    assert denial.context_dict() == {"quantity": quantity}


def test_quantity_must_be_a_lot_multiple() -> None:
    lots = Instrument("XYZ", "US0000000001", "XNAS", "USD", D("0.01"), D(100), D("10.00"), "Round lots")
    h = Harness(book=InstrumentBook([*instrument_book(), lots]))
    assert sanity_of(order("XYZ", quantity=200, price="10.00"), h) is None
    denial = sanity_of(order("XYZ", quantity=250, price="10.00"), h)
    assert denial is not None and denial.code is DenyCode.QUANTITY_NOT_LOT_MULTIPLE
    assert denial.context_dict() == {"quantity": "250", "lot": "100"}
    fractional = sanity_of(order("AAPL", quantity="10.5"))
    assert fractional is not None and fractional.code is DenyCode.QUANTITY_NOT_LOT_MULTIPLE


@pytest.mark.parametrize(
    ("ord_type", "price", "stop", "field"),
    [
        (OrdType.LIMIT, None, None, "limit_price"),
        (OrdType.STOP, None, None, "stop_price"),
        (OrdType.STOP_LIMIT, "228.50", None, "stop_price"),
        (OrdType.STOP_LIMIT, None, "228.50", "limit_price"),
    ],
)
def test_a_price_the_order_type_needs_must_be_present(
    ord_type: OrdType, price: str | None, stop: str | None, field: str
) -> None:
    denial = sanity_of(order(price=price, stop=stop, ord_type=ord_type))
    assert denial is not None and denial.code is DenyCode.PRICE_MISSING
    assert denial.context_dict() == {"field": field}


def test_market_and_stop_orders_need_no_limit_price() -> None:
    assert sanity_of(order(price=None, ord_type=OrdType.MARKET)) is None
    assert sanity_of(order(price=None, stop="230.00", ord_type=OrdType.STOP)) is None
    assert sanity_of(order(price="229.00", stop="230.00", ord_type=OrdType.STOP_LIMIT)) is None


@pytest.mark.parametrize(
    ("price", "stop", "field"), [("0", None, "limit_price"), ("-1.00", None, "limit_price")]
)
def test_limit_price_must_be_positive(price: str, stop: str | None, field: str) -> None:
    denial = sanity_of(order(price=price, stop=stop))
    assert denial is not None and denial.code is DenyCode.PRICE_NOT_POSITIVE
    assert denial.context_dict()["field"] == field


def test_stop_price_must_be_positive() -> None:
    denial = sanity_of(order(price=None, stop="-5.00", ord_type=OrdType.STOP))
    assert denial is not None and denial.code is DenyCode.PRICE_NOT_POSITIVE
    assert denial.context_dict() == {"field": "stop_price", "price": "-5"}


@pytest.mark.parametrize(
    ("symbol", "on_tick", "off_tick", "tick"),
    [
        ("AAPL", "228.51", "228.505", "0.01"),
        ("VOD", "0.7014", "0.7013", "0.0002"),
        ("SAP", "232.44", "232.45", "0.02"),
    ],
)
def test_limit_price_must_be_on_the_instruments_tick(
    symbol: str, on_tick: str, off_tick: str, tick: str
) -> None:
    assert sanity_of(order(symbol, price=on_tick)) is None
    denial = sanity_of(order(symbol, price=off_tick))
    assert denial is not None and denial.code is DenyCode.PRICE_NOT_ON_TICK
    assert denial.context_dict() == {"field": "limit_price", "price": off_tick, "tick": tick}


def test_stop_price_must_be_on_tick() -> None:
    denial = sanity_of(order(price="229.00", stop="230.005", ord_type=OrdType.STOP_LIMIT))
    assert denial is not None and denial.code is DenyCode.PRICE_NOT_ON_TICK
    assert denial.context_dict()["field"] == "stop_price"


def test_order_type_not_in_policy_is_unsupported() -> None:
    h = Harness(policy=minimal_policy(firm={"order_types": ["LIMIT"]}))
    assert sanity_of(order(price="228.50"), h) is None
    denial = sanity_of(order(price=None), h)
    assert denial is not None and denial.code is DenyCode.UNSUPPORTED_ORDER_TYPE
    assert denial.context_dict() == {"ord_type": "MARKET"}


def test_time_in_force_not_in_policy_is_unsupported() -> None:
    h = Harness(policy=minimal_policy(firm={"time_in_force": ["DAY", "GTC"]}))
    assert sanity_of(order(tif=TimeInForce.GTC), h) is None
    denial = sanity_of(order(tif=TimeInForce.IOC), h)
    assert denial is not None and denial.code is DenyCode.UNSUPPORTED_TIME_IN_FORCE
    assert denial.context_dict() == {"tif": "IOC"}


def test_gtd_must_expire_in_the_future() -> None:
    h = Harness()
    now = h.clock.now()
    assert sanity_of(order(tif=TimeInForce.GTD, expire_at=now + timedelta(microseconds=1)), h) is None
    at_now = sanity_of(order(tif=TimeInForce.GTD, expire_at=now), h)
    assert at_now is not None and at_now.code is DenyCode.GTD_NOT_IN_FUTURE
    assert at_now.context_dict() == {"expire_at": now.isoformat()}
    past = sanity_of(order(tif=TimeInForce.GTD, expire_at=now - timedelta(days=1)), h)
    assert past is not None and past.code is DenyCode.GTD_NOT_IN_FUTURE
    missing = sanity_of(order(tif=TimeInForce.GTD), h)
    assert missing is not None and missing.context_dict() == {"expire_at": "missing"}


# ---- 4. restricted list ------------------------------------------------------------


def test_restricted_symbol_is_denied() -> None:
    h = Harness()
    denial = restricted.check(h.ctx(order("TSLA", price="338.90")))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.RESTRICTED_INSTRUMENT, {"symbol": "TSLA"})
    assert restricted.check(h.ctx(order("AAPL"))) is None
    # the restricted list applies to every side, sells included
    assert restricted.check(h.ctx(order("TSLA", Side.SELL, price="338.90"))) is not None


# ---- 5. maximum order quantity (A1: 1000; VOD: 5000 in the instruments table) ----------


@pytest.mark.parametrize(("quantity", "passes"), [(999, True), (1000, True), (1001, False)])
def test_max_order_quantity_boundary(quantity: int, passes: bool) -> None:
    denial = size.max_quantity(Harness().ctx(order(quantity=quantity)))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.QUANTITY_EXCEEDS_MAX_PER_ORDER
        assert denial.context_dict() == {"max": "1000", "quantity": "1001"}


@pytest.mark.parametrize(("quantity", "passes"), [(999, True), (1000, True), (1001, False)])
def test_a_wider_instrument_max_quantity_does_not_raise_the_accounts(quantity: int, passes: bool) -> None:
    """VOD allows 5000 firm-wide, the account 1000: the tighter limit applies (fail closed)."""
    denial = size.max_quantity(Harness().ctx(order("VOD", quantity=quantity, price="0.7012")))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.context_dict() == {"max": "1000", "quantity": "1001"}


def test_an_instrument_level_max_quantity_can_be_tighter_than_the_accounts() -> None:
    h = Harness(policy=minimal_policy(instruments=[{"symbol": "AAPL", "max_order_quantity": "10"}]))
    assert size.max_quantity(h.ctx(order(quantity=10))) is None
    denial = size.max_quantity(h.ctx(order(quantity=11)))
    assert denial is not None and denial.context_dict()["max"] == "10"


# ---- 6. maximum order notional (A1: 100000 base currency; KO: 30000) -------------------


@pytest.mark.parametrize(("price", "passes"), [("99999.99", True), ("100000.00", True), ("100000.01", False)])
def test_max_order_notional_boundary(price: str, passes: bool) -> None:
    denial = size.max_notional(Harness().ctx(order(quantity=1, price=price)))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER
        assert denial.context_dict() == {"max": "100000", "notional": "100000.01"}


@pytest.mark.parametrize(("price", "passes"), [("92592.58", True), ("92592.60", False)])
def test_max_order_notional_converts_a_eur_price_to_the_base_currency(price: str, passes: bool) -> None:
    # SAP trades in EUR; 1 EUR = 1.08 USD, so the limit is 100000 / 1.08 = 92592.59... EUR
    denial = size.max_notional(Harness().ctx(order("SAP", quantity=1, price=price)))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.context_dict() == {"max": "100000", "notional": "100000.008"}


def test_max_order_notional_converts_gbp_exactly_at_the_limit() -> None:
    h = Harness(policy=minimal_policy(accounts={"A1": {"max_order_notional": "1270"}}))
    assert size.max_notional(h.ctx(order("VOD", quantity=1000, price="1.0000"))) is None  # 1000 GBP
    denial = size.max_notional(h.ctx(order("VOD", quantity=1000, price="1.0002")))
    assert denial is not None and denial.context_dict() == {"max": "1270", "notional": "1270.254"}


def test_a_market_order_is_valued_at_the_reference_price() -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", D("200.00"))
    assert size.max_notional(h.ctx(order(quantity=500, price=None))) is None  # exactly 100000
    denial = size.max_notional(h.ctx(order(quantity=501, price=None)))
    assert denial is not None and denial.context_dict() == {"max": "100000", "notional": "100200"}


def test_a_market_order_without_a_reference_price_is_denied() -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", None)
    denial = size.max_notional(h.ctx(order(price=None)))
    assert denial is not None and denial.code is DenyCode.NO_REFERENCE_PRICE


@pytest.mark.parametrize(("quantity", "passes"), [(475, True), (476, False)])
def test_an_instrument_level_max_notional_overrides_the_accounts(quantity: int, passes: bool) -> None:
    # KO: 30000 per order whatever the account allows; 475 x 63.15 = 29996.25
    denial = size.max_notional(Harness().ctx(order("KO", quantity=quantity, price="63.15")))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.context_dict() == {"max": "30000", "notional": "30059.4"}


def test_a_wider_instrument_max_notional_does_not_raise_the_accounts() -> None:
    h = Harness(policy=minimal_policy(instruments=[{"symbol": "AAPL", "max_order_notional": "150000"}]))
    assert size.max_notional(h.ctx(order(quantity=1, price="100000.00"))) is None
    denial = size.max_notional(h.ctx(order(quantity=1, price="100000.01")))
    assert denial is not None and denial.context_dict()["max"] == "100000"


def test_a_currency_without_an_fx_rate_fails_closed() -> None:
    data = copy.deepcopy(MINIMAL_POLICY)
    del data["fx_rates"]["EUR"]
    h = Harness(policy=Policy.model_validate(data))
    denial = size.max_notional(h.ctx(order("SAP", quantity=1, price="232.44")))
    assert denial is not None and denial.code is DenyCode.POLICY_UNAVAILABLE
    assert denial.context_dict() == {"missing_fx_rate": "EUR"}


# ---- 7. price collar (firm: 5 %; VOD: 1 % or 50 ticks, the wider) -------------------


@pytest.mark.parametrize(
    ("price", "passes"),
    [
        ("189.99", False),
        ("190.00", True),
        ("190.01", True),
        ("209.99", True),
        ("210.00", True),
        ("210.01", False),
    ],
)
def test_percent_collar_edges_are_inclusive(price: str, passes: bool) -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", D("200.00"))  # 5 % band: 190.00 .. 210.00
    denial = collar.check(h.ctx(order(price=price)))
    assert (denial is None) is passes
    if denial is not None:
        assert denial.code is DenyCode.PRICE_OUTSIDE_COLLAR
        assert denial.context_dict() == {
            "field": "limit_price",
            "price": price,
            "reference": "200",
            "low": "190",
            "high": "210",
        }


def test_tick_band_wins_for_a_low_priced_instrument() -> None:
    h = Harness()  # VOD: 1 % of 0.7012 is 0.007012, 50 ticks of 0.0002 is 0.0100: ticks win
    assert collar.check(h.ctx(order("VOD", price="0.7112"))) is None
    assert collar.check(h.ctx(order("VOD", price="0.6912"))) is None
    denial = collar.check(h.ctx(order("VOD", price="0.7114")))
    assert denial is not None and denial.context_dict()["high"] == "0.7112"
    assert collar.check(h.ctx(order("VOD", price="0.6910"))) is not None


def test_percent_band_wins_when_it_is_wider_than_the_tick_band() -> None:
    h = Harness(policy=minimal_policy(firm={"collar": {"percent": "5", "ticks": 10}}))
    h.book.set_reference_price("AAPL", D("200.00"))  # 5 % = 10.00; 10 ticks = 0.10
    assert collar.check(h.ctx(order(price="210.00"))) is None
    assert collar.check(h.ctx(order(price="210.01"))) is not None


def test_an_instrument_collar_overrides_the_firms() -> None:
    h = Harness(policy=minimal_policy(instruments=[{"symbol": "AAPL", "collar": {"percent": "1"}}]))
    h.book.set_reference_price("AAPL", D("200.00"))
    assert collar.check(h.ctx(order(price="202.00"))) is None
    denial = collar.check(h.ctx(order(price="202.01")))
    assert denial is not None and denial.context_dict()["high"] == "202"


def test_stop_price_is_collared_too() -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", D("200.00"))
    assert collar.check(h.ctx(order(price=None, stop="210.00", ord_type=OrdType.STOP))) is None
    denial = collar.check(h.ctx(order(price=None, stop="210.01", ord_type=OrdType.STOP)))
    assert denial is not None and denial.context_dict()["field"] == "stop_price"
    limit_ok_stop_out = order(price="205.00", stop="189.99", ord_type=OrdType.STOP_LIMIT)
    assert collar.check(h.ctx(limit_ok_stop_out)) is not None


def test_a_market_order_only_needs_a_reference_price() -> None:
    h = Harness()
    assert collar.check(h.ctx(order(price=None, side=Side.SELL))) is None


@pytest.mark.parametrize("reference", [None, D(0)])
def test_no_reference_price_denies_every_order(reference: Decimal | None) -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", reference)
    for new in (order(price="228.50"), order(price=None)):
        denial = collar.check(h.ctx(new))
        assert denial is not None
        assert (denial.code, denial.context_dict()) == (DenyCode.NO_REFERENCE_PRICE, {"symbol": "AAPL"})


def test_collar_follows_a_reference_price_update() -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", D("200.00"))
    assert collar.check(h.ctx(order(price="215.00"))) is not None
    h.book.set_reference_price("AAPL", D("210.00"))
    assert collar.check(h.ctx(order(price="215.00"))) is None


def test_instrument_without_reference_in_the_book_is_denied_by_the_chain() -> None:
    h = Harness()
    h.book.set_reference_price("KO", None)
    outcome = h.submit(order("KO", quantity=10, price="63.15"))
    assert outcome.denial is not None and outcome.denial.code is DenyCode.NO_REFERENCE_PRICE
