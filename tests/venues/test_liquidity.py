"""The venue's own liquidity provider: seeded ladders, never reported as ours, replenished."""

from __future__ import annotations

from decimal import Decimal

from gateway.venues import LiquidityConfig, SimulatedVenue
from gateway.venues.liquidity import ladder
from risk_controls.domain import ExecType, InstrumentBook
from risk_controls.domain.clock import ManualClock
from tests.venues.conftest import SHARED_CSV, START, VenueFactory, make_instruments, order

D = Decimal
SMALL = LiquidityConfig(levels=3, lots_per_level=10, spread_ticks=1, step_ticks=2, replenish=False)


def test_seeded_ladder_sits_on_tick_around_the_reference_in_lot_multiples(make_venue: VenueFactory) -> None:
    sim, _ = make_venue(SMALL)

    aapl = sim.depth("AAPL")
    assert [(lv.price, lv.quantity) for lv in aapl.bids] == [
        (D("99.99"), D(10)),
        (D("99.97"), D(10)),
        (D("99.95"), D(10)),
    ]
    assert [lv.price for lv in aapl.asks] == [D("100.01"), D("100.03"), D("100.05")]
    lots = sim.depth("LOTS")  # tick 0.05, lot 10
    assert [(lv.price, lv.quantity) for lv in lots.bids] == [
        (D("4.95"), D(100)),
        (D("4.85"), D(100)),
        (D("4.75"), D(100)),
    ]
    assert sim.depth("NOREF").bids == () and sim.depth("NOREF").asks == ()


def test_every_instrument_in_the_shared_csv_gets_a_valid_uncrossed_ladder() -> None:
    instruments = InstrumentBook.from_csv(SHARED_CSV)
    sim = SimulatedVenue(instruments, clock=ManualClock(START))
    for instrument in instruments:
        depth = sim.depth(instrument.symbol)
        ref = instrument.reference_price
        assert ref is not None
        assert len(depth.bids) == len(depth.asks) == 5
        assert depth.bids[0].price < ref < depth.asks[0].price
        for level in depth.bids + depth.asks:
            assert level.price % instrument.tick_size == 0, (instrument.symbol, level.price)
            assert level.quantity % instrument.lot_size == 0
            assert level.price > 0


def test_provider_fills_are_not_reported_and_ours_walk_its_levels(make_venue: VenueFactory) -> None:
    sim, reports = make_venue(SMALL)
    sim.submit(order("mkt", "BUY", 15))

    assert {r.order_id for r in reports.all} == {"mkt"}
    assert reports.fills("mkt") == [(D(10), D("100.01")), (D(5), D("100.03"))]
    assert reports.kinds("mkt")[-1] is ExecType.FILL
    tape = sim.trades("AAPL")
    assert [t.buy_order_id for t in tape] == ["mkt", "mkt"]
    assert all(t.sell_order_id.startswith("SIM-LP") for t in tape)
    assert sim.last_price("AAPL") == D("100.03")


def test_without_replenish_a_swept_side_stays_empty(make_venue: VenueFactory) -> None:
    sim, reports = make_venue(SMALL)
    sim.submit(order("sweep", "BUY", 100))
    assert reports.filled("sweep") == 30
    assert sim.top_of_book("AAPL").ask is None


def test_replenish_requotes_a_swept_side_around_the_last_trade(make_venue: VenueFactory) -> None:
    config = LiquidityConfig(levels=2, lots_per_level=5, replenish=True)
    sim, _reports = make_venue(config)

    sim.submit(order("sweep", "BUY", 10))  # takes 100.01 and 100.02
    top = sim.top_of_book("AAPL")
    assert top.last == D("100.02")
    assert (top.ask, top.ask_qty) == (D("100.03"), D(5))
    assert top.bid == D("99.99")  # bids were not swept, so not re-quoted


def test_quotes_never_cross_our_resting_orders() -> None:
    instrument = make_instruments().get("AAPL")
    assert instrument is not None
    config = LiquidityConfig(levels=2)
    asks = ladder(instrument, D("100.00"), False, config, opposite_best=D("100.50"))
    assert [p for p, _ in asks] == [D("100.51"), D("100.52")]
    bids = ladder(instrument, D("100.00"), True, config, opposite_best=D("99.00"))
    assert [p for p, _ in bids] == [D("98.99"), D("98.98")]


def test_bid_levels_at_or_below_zero_are_left_out() -> None:
    instrument = make_instruments().get("LOTS")
    assert instrument is not None
    bids = ladder(instrument, D("0.10"), True, LiquidityConfig(levels=5), None)
    assert [p for p, _ in bids] == [D("0.05")]


def test_seed_liquidity_again_adds_a_ladder_anchored_on_the_last_trade(make_venue: VenueFactory) -> None:
    sim, _ = make_venue(SMALL)
    sim.submit(order("b", "BUY", 10, "100.01"))
    sim.seed_liquidity("AAPL")
    depth = sim.depth("AAPL", levels=10)
    assert depth.asks[0].price == D("100.02")  # last 100.01 + 1 tick
    assert [lv.price for lv in depth.bids[:2]] == [D("100.00"), D("99.99")]  # anchor - 1 tick
    assert len(depth.asks) == 3 + 2  # new ladder plus the two levels left of the first one
