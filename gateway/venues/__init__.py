"""Venue implementations the router can hold. Only the router imports this package.

The default is :class:`SimulatedVenue`, a price-time-priority matching engine
seeded from the instruments' reference prices by a simulated liquidity provider.
"""

from gateway.venues.book import BookOrder, Fill, Level, OrderBook
from gateway.venues.liquidity import LiquidityConfig
from gateway.venues.simulated import DEFAULT_LIQUIDITY, Depth, SimulatedVenue, TopOfBook, Trade

__all__ = [
    "DEFAULT_LIQUIDITY",
    "BookOrder",
    "Depth",
    "Fill",
    "Level",
    "LiquidityConfig",
    "OrderBook",
    "SimulatedVenue",
    "TopOfBook",
    "Trade",
]
