"""Property tests: whatever the order flow, the book stays sane and quantities add up.

After every operation: the book is never crossed; no order is filled beyond
its quantity; every trade on the tape is reported to each of our sides with
the same trade id, price and quantity; nothing is reported after an order is
done; and the size resting in the book equals what our working orders and
the liquidity provider have left.

The test learns the state of our orders only from reports and the public
tape, so it checks the venue rather than restating it.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.venues import LiquidityConfig, SimulatedVenue
from risk_controls.domain import ExecType, ExecutionReport, NewOrder, OrdType, TimeInForce
from risk_controls.domain.clock import ManualClock
from tests.venues.conftest import START, Reports, make_instruments, order

D = Decimal
TICK = D("0.01")
TERMINAL = {ExecType.FILL, ExecType.CANCELED, ExecType.EXPIRED}
REQUEST_REJECTS = {ExecType.CANCEL_REJECTED, ExecType.REPLACE_REJECTED}
PROVIDERS = {
    "none": None,
    "fixed": LiquidityConfig(levels=3, lots_per_level=4, replenish=False),
    "replenish": LiquidityConfig(levels=2, lots_per_level=3, replenish=True),
}

new_orders = st.tuples(
    st.just("new"),
    st.sampled_from(["BUY", "SELL"]),
    st.sampled_from(list(OrdType)),
    st.sampled_from([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
    st.integers(1, 12),
    st.integers(-4, 4),  # limit price offset from 100.00 in ticks
    st.integers(-4, 4),  # stop price offset
)
cancels = st.tuples(st.just("cancel"), st.integers(0, 50))
replaces = st.tuples(
    st.just("replace"),
    st.integers(0, 50),
    st.integers(1, 12),
    st.integers(-4, 4),
    st.sampled_from([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
)
operations = st.lists(st.one_of(new_orders, new_orders, cancels, replaces), max_size=40)

NewOp = tuple[Literal["new"], str, OrdType, TimeInForce, int, int, int]
CancelOp = tuple[Literal["cancel"], int]
ReplaceOp = tuple[Literal["replace"], int, int, int, TimeInForce]
Op = NewOp | CancelOp | ReplaceOp


def price(offset: int) -> Decimal:
    return D(100) + offset * TICK


class Harness:
    """Drives a venue and keeps what reports and the tape say about our orders."""

    def __init__(self, provider: str) -> None:
        liquidity = PROVIDERS[provider]
        self.sim = SimulatedVenue(make_instruments(), clock=ManualClock(START), liquidity=liquidity)
        self.provider_fixed = liquidity is None or not liquidity.replenish
        self.reports = Reports()
        self.sim.connect(self.reports)
        self.orders: dict[str, NewOrder] = {}  # as submitted / last replaced
        self.filled: dict[str, Decimal] = defaultdict(Decimal)
        self.done: set[str] = set()
        self.parked: dict[str, int] = {}  # stop id -> tape length when it was parked
        self.by_trade: dict[str, list[ExecutionReport]] = defaultdict(list)
        self.provider_start = self.resting_size()

    # ------------------------------------------------------------- driving
    def run(self, op: Op) -> None:
        seen = len(self.reports.all)
        tape_before = len(self.sim.trades())
        asked: NewOrder | None = None
        if op[0] == "new":
            _, side, ord_type, tif, qty, px_off, stop_off = op
            oid = f"o{len(self.orders)}"
            routed = order(
                oid,
                side,
                qty,
                price(px_off) if ord_type.needs_limit_price else None,
                ord_type=ord_type,
                tif=tif,
                stop=price(stop_off) if ord_type.needs_stop_price else None,
            )
            self.orders[oid] = routed.order
            self.sim.submit(routed)
            if ord_type.needs_stop_price and not self._crossed(oid, tape_before - 1):
                self.parked[oid] = tape_before
        elif self.orders:
            ids = list(self.orders)
            oid = ids[op[1] % len(ids)]
            if op[0] == "cancel":
                self.sim.cancel(oid)
            else:
                asked = self._replacement(oid, op[2], op[3], op[4])
                self.sim.replace(order(oid, asked.side, asked.quantity, asked.limit_price,
                                       ord_type=asked.ord_type, tif=asked.tif,
                                       stop=asked.stop_price))
        self._absorb(self.reports.all[seen:], asked)
        self._unpark()

    def _replacement(self, oid: str, qty: int, px_off: int, tif: TimeInForce) -> NewOrder:
        current = self.orders[oid]
        limit = price(px_off) if current.ord_type.needs_limit_price else None
        return order(oid, current.side, qty, limit, ord_type=current.ord_type, tif=tif,
                     stop=current.stop_price).order

    def _absorb(self, reports: list[ExecutionReport], asked: NewOrder | None) -> None:
        for report in reports:
            oid = report.order_id
            if report.exec_type in REQUEST_REJECTS:
                continue  # the order is unchanged
            if report.exec_type is ExecType.REJECTED:
                self.done.add(oid)
                continue
            assert oid not in self.done, f"report after {oid} was done: {report}"
            if report.exec_type is ExecType.REPLACED:
                assert asked is not None
                self.orders[oid] = asked
            if report.trade_id is not None:
                assert report.last_qty is not None and report.last_qty > 0
                self.filled[oid] += report.last_qty
                self.by_trade[report.trade_id].append(report)
            assert self.filled[oid] <= self.orders[oid].quantity, f"{oid} overfilled"
            if report.exec_type is ExecType.FILL:
                assert self.filled[oid] == self.orders[oid].quantity
            if report.exec_type in TERMINAL or self.filled[oid] == self.orders[oid].quantity:
                self.done.add(oid)
                self.parked.pop(oid, None)

    def _crossed(self, oid: str, since: int) -> bool:
        """Has any print from tape index ``since`` on reached this stop?"""
        stop = self.orders[oid].stop_price
        assert stop is not None
        buy = self.orders[oid].side == "BUY"
        prints = self.sim.trades()[max(since, 0):]
        return any(t.price >= stop if buy else t.price <= stop for t in prints)

    def _unpark(self) -> None:
        for oid, since in list(self.parked.items()):
            if self._crossed(oid, since):
                del self.parked[oid]

    # ------------------------------------------------------------- checking
    def resting_size(self) -> Decimal:
        depth = self.sim.depth("AAPL", levels=1000)
        return sum((lv.quantity for lv in depth.bids + depth.asks), D(0))

    def check(self) -> None:
        top = self.sim.top_of_book("AAPL")
        if top.bid is not None and top.ask is not None:
            assert top.bid < top.ask, f"crossed book {top}"
        tape = self.sim.trades("AAPL")
        assert len({t.trade_id for t in tape}) == len(tape)
        for trade in tape:
            ours = sorted(o for o in (trade.buy_order_id, trade.sell_order_id) if o in self.orders)
            reported = self.by_trade.get(trade.trade_id, [])
            assert sorted(r.order_id for r in reported) == ours
            for report in reported:
                assert (report.last_qty, report.last_px) == (trade.quantity, trade.price)
        assert set(self.by_trade) <= {t.trade_id for t in tape}
        ours_left = sum(
            (
                self.orders[o].quantity - self.filled[o]
                for o in self.orders
                if o not in self.done and o not in self.parked
            ),
            D(0),
        )
        provider_traded = sum(
            (
                t.quantity
                for t in tape
                for o in (t.buy_order_id, t.sell_order_id)
                if o not in self.orders
            ),
            D(0),
        )
        if self.provider_fixed:  # a replenishing provider adds size we cannot account for
            assert self.resting_size() == ours_left + self.provider_start - provider_traded
        else:
            assert self.resting_size() >= ours_left
        for oid in self.orders:
            assert self.sim.is_working(oid) == (oid not in self.done), oid


@settings(max_examples=200, deadline=None)
@given(ops=operations, provider=st.sampled_from(sorted(PROVIDERS)))
def test_book_never_crosses_and_quantities_are_conserved(ops: list[Op], provider: str) -> None:
    harness = Harness(provider)
    for op in ops:
        harness.run(op)
        harness.check()
