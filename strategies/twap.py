"""A TWAP executor: slice a parent order into equal child orders over time.

Each child is a limit order priced a few ticks through the reference price so
that it executes against the book. Child orders go through the whole pipeline;
a denied child stops the schedule (the strategy never retries around a risk
control), and the outcome of every slice is kept for the operator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from decimal import ROUND_DOWN, Decimal

from risk_controls.domain import (
    Channel,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.entry import OrderEntry, OrderUpdate, SubmitResult


@dataclass(frozen=True, slots=True)
class TwapPlan:
    strategy_id: str
    account: str
    symbol: str
    side: Side
    total_quantity: Decimal
    slices: int
    interval_seconds: float
    lot_size: Decimal = Decimal(1)
    tick_size: Decimal = Decimal("0.01")
    aggression_ticks: int = 5


@dataclass
class TwapReport:
    submitted: list[SubmitResult] = field(default_factory=list)
    filled_by_child: dict[str, Decimal] = field(default_factory=dict)
    stopped_reason: str | None = None

    @property
    def filled_quantity(self) -> Decimal:
        """What the children have filled as things stand (a venue's bust or correction of a
        fill changes it), from each child's cumulative quantity, never from summing reports."""
        return sum(self.filled_by_child.values(), Decimal(0))


def slice_quantities(total: Decimal, slices: int, lot: Decimal) -> list[Decimal]:
    """Equal lot-multiple slices; the remainder goes to the last slice."""
    if slices <= 0 or total <= 0:
        return []
    base = (total / slices / lot).to_integral_value(rounding=ROUND_DOWN) * lot
    parts = [base] * (slices - 1)
    parts.append(total - base * (slices - 1))
    return [p for p in parts if p > 0]


class TwapExecutor:
    def __init__(
        self,
        entry: OrderEntry,
        plan: TwapPlan,
        reference_price: Callable[[str], Decimal | None],
    ) -> None:
        self._entry = entry
        self._plan = plan
        self._reference = reference_price
        self.report = TwapReport()
        self._origin = OrderOrigin(Channel.STRATEGY, "strategies", plan.strategy_id, plan.strategy_id)
        entry.subscribe(self._on_update)

    def _on_update(self, update: OrderUpdate) -> None:
        if update.origin != self._origin or update.report is None:
            return
        self.report.filled_by_child[update.order_id] = update.cum_qty

    def _child(self, index: int, quantity: Decimal, reference: Decimal) -> NewOrder:
        plan = self._plan
        through = plan.tick_size * plan.aggression_ticks
        price = reference + through if plan.side is Side.BUY else reference - through
        return NewOrder(
            cl_ord_id=f"{plan.strategy_id}-{plan.symbol}-{index}",
            account=plan.account,
            symbol=plan.symbol,
            side=plan.side,
            quantity=quantity,
            ord_type=OrdType.LIMIT,
            tif=TimeInForce.IOC,
            origin=self._origin,
            limit_price=price,
        )

    async def run(self, cl_ord_prefix: str = "") -> TwapReport:
        plan = self._plan
        for index, quantity in enumerate(slice_quantities(plan.total_quantity, plan.slices, plan.lot_size)):
            if index:
                await asyncio.sleep(plan.interval_seconds)
            reference = self._reference(plan.symbol)
            if reference is None:
                self.report.stopped_reason = "no reference price"
                break
            child = self._child(index, quantity, reference)
            if cl_ord_prefix:
                child = dc_replace(child, cl_ord_id=f"{cl_ord_prefix}{child.cl_ord_id}")
            result = await self._entry.submit(child)
            self.report.submitted.append(result)
            if not result.accepted:
                self.report.stopped_reason = result.denial.text() if result.denial else "denied"
                break
        return self.report
