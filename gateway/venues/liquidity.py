"""The simulated venue's own liquidity provider: a ladder of quotes around a price.

Gateway orders need something to trade against, so the venue posts a few
levels of bids below and asks above an anchor (the instrument's reference
price at start, the last trade later). The quotes are on tick, in lot
multiples, and never cross the other side of the book.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from risk_controls.domain import Instrument


@dataclass(frozen=True, slots=True)
class LiquidityConfig:
    """How much the provider quotes.

    ``spread_ticks``: distance of the first bid/ask from the anchor, in ticks.
    ``step_ticks``: distance between consecutive levels, in ticks.
    ``lots_per_level``: size of each level, in lots of the instrument.
    ``replenish``: re-quote a side around the last trade once the provider's
    quotes on that side are all taken, so a long-running gateway keeps filling.
    """

    levels: int = 5
    lots_per_level: int = 1000
    spread_ticks: int = 1
    step_ticks: int = 1
    replenish: bool = True

    def __post_init__(self) -> None:
        if self.levels < 0 or self.lots_per_level <= 0:
            raise ValueError("levels must be >= 0 and lots_per_level > 0")
        if self.spread_ticks < 1 or self.step_ticks < 1:
            raise ValueError("spread_ticks and step_ticks must be >= 1")


def on_tick(price: Decimal, tick: Decimal) -> Decimal:
    """The tick multiple nearest to ``price``."""
    return (price / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick


def ladder(
    instrument: Instrument,
    anchor: Decimal,
    is_buy: bool,
    config: LiquidityConfig,
    opposite_best: Decimal | None,
) -> list[tuple[Decimal, Decimal]]:
    """(price, quantity) quotes for one side, best first.

    The first level sits ``spread_ticks`` away from the anchor but is pushed
    back behind ``opposite_best`` when needed, so the quotes never cross.
    Bid levels that would be at or below zero are left out.
    """
    tick = instrument.tick_size
    size = instrument.lot_size * config.lots_per_level
    direction = -1 if is_buy else 1
    first = on_tick(anchor, tick) + direction * config.spread_ticks * tick
    if opposite_best is not None:
        if is_buy and first >= opposite_best:
            first = on_tick(opposite_best, tick) - tick
        elif not is_buy and first <= opposite_best:
            first = on_tick(opposite_best, tick) + tick
    quotes: list[tuple[Decimal, Decimal]] = []
    for level in range(config.levels):
        price = first + direction * level * config.step_ticks * tick
        if price <= 0:
            break
        quotes.append((price, size))
    return quotes
