"""A price-time-priority limit order book for one instrument: pure matching.

The matching rules are the part of the simulated venue that must be exactly
right, so they live here with no clock, no ids and no callbacks; the venue
(:mod:`gateway.venues.simulated`) turns what happens here into execution
reports.

Each side keeps a dict of price level -> FIFO queue plus a sorted list of
level keys, so the best level is found in O(1) and a new level is inserted by
bisection. Keys are the price for bids and the negated price for asks, so on
both sides the best level is the *last* key and removing it is a cheap pop.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


class BookOrder:
    """An order as the book sees it: side, price, quantity and how much is filled.

    ``price`` is ``None`` only for an order that never rests (a market order
    walking the book). ``ours`` is False for the venue's own liquidity provider.
    """

    __slots__ = ("filled", "is_buy", "order_id", "ours", "price", "quantity")

    def __init__(
        self,
        order_id: str,
        is_buy: bool,
        price: Decimal | None,
        quantity: Decimal,
        ours: bool = True,
    ) -> None:
        self.order_id = order_id
        self.is_buy = is_buy
        self.price = price
        self.quantity = quantity
        self.filled = ZERO
        self.ours = ours

    @property
    def leaves(self) -> Decimal:
        return self.quantity - self.filled

    def __repr__(self) -> str:
        side = "B" if self.is_buy else "S"
        return f"BookOrder({self.order_id} {side} {self.filled}/{self.quantity} @ {self.price})"


@dataclass(frozen=True, slots=True)
class Fill:
    """One match of the incoming order against one resting order, at the resting price."""

    resting: BookOrder
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class Level:
    """Aggregated size at one price (for depth views)."""

    price: Decimal
    quantity: Decimal
    orders: int


class _Side:
    """One side of the book: price levels in priority order."""

    __slots__ = ("is_bid", "keys", "levels")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[Decimal, deque[BookOrder]] = {}
        self.keys: list[Decimal] = []  # ascending; the best level is keys[-1]

    def key(self, price: Decimal) -> Decimal:
        return price if self.is_bid else -price

    def best_price(self) -> Decimal | None:
        if not self.keys:
            return None
        key = self.keys[-1]
        return key if self.is_bid else -key

    def drop_level(self, key: Decimal) -> None:
        del self.levels[key]
        if self.keys[-1] == key:
            self.keys.pop()
        else:
            del self.keys[bisect_left(self.keys, key)]

    def queues_best_first(self) -> Iterator[deque[BookOrder]]:
        for key in reversed(self.keys):
            yield self.levels[key]


class OrderBook:
    """The bids and asks of one symbol, matched in price-then-time priority."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bids = _Side(is_bid=True)
        self._asks = _Side(is_bid=False)
        self._orders: dict[str, BookOrder] = {}
        self.last_price: Decimal | None = None

    # ----------------------------------------------------------------- queries
    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def get(self, order_id: str) -> BookOrder | None:
        return self._orders.get(order_id)

    def best_bid(self) -> Decimal | None:
        return self._bids.best_price()

    def best_ask(self) -> Decimal | None:
        return self._asks.best_price()

    def is_crossed(self) -> bool:
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid >= ask

    def depth(self, is_buy: bool, levels: int) -> list[Level]:
        """The best ``levels`` price levels of one side, best first."""
        result: list[Level] = []
        for queue in (self._bids if is_buy else self._asks).queues_best_first():
            if len(result) >= levels:
                break
            total = sum((o.leaves for o in queue), ZERO)
            result.append(Level(queue[0].price or ZERO, total, len(queue)))
        return result

    def queue_at(self, is_buy: bool, price: Decimal) -> list[str]:
        """Order ids resting at one price, in time priority (first to fill first)."""
        side = self._bids if is_buy else self._asks
        return [o.order_id for o in side.levels.get(side.key(price), ())]

    def resting(self) -> Iterator[BookOrder]:
        return iter(self._orders.values())

    def available(self, is_buy: bool, limit: Decimal | None, wanted: Decimal) -> Decimal:
        """Quantity an incoming order could take up to ``limit`` (stops once ``wanted`` is met)."""
        opposite = self._asks if is_buy else self._bids
        bound = None if limit is None else opposite.key(limit)
        total = ZERO
        for key in reversed(opposite.keys):
            if bound is not None and key < bound:
                break
            for order in opposite.levels[key]:
                total += order.quantity - order.filled
                if total >= wanted:
                    return total
        return total

    # --------------------------------------------------------------- mutations
    def match(self, incoming: BookOrder, limit: Decimal | None) -> list[Fill]:
        """Fill ``incoming`` against the opposite side at prices no worse than ``limit``.

        ``limit=None`` means a market order: walk the book until filled or empty.
        Resting orders that fill completely leave the book. ``incoming`` is
        updated but never added: the caller decides whether the rest rests.
        """
        opposite = self._asks if incoming.is_buy else self._bids
        keys = opposite.keys
        levels = opposite.levels
        bound = None if limit is None else opposite.key(limit)
        remaining = incoming.quantity - incoming.filled
        fills: list[Fill] = []
        while remaining > 0 and keys:
            key = keys[-1]
            if bound is not None and key < bound:
                break
            queue = levels[key]
            while queue and remaining > 0:
                resting = queue[0]
                qty = min(remaining, resting.quantity - resting.filled)
                resting.filled += qty
                remaining -= qty
                fills.append(Fill(resting, qty, resting.price))  # type: ignore[arg-type]
                if resting.filled >= resting.quantity:
                    queue.popleft()
                    del self._orders[resting.order_id]
            if not queue:
                del levels[key]
                keys.pop()
        incoming.filled = incoming.quantity - remaining
        if fills:
            self.last_price = fills[-1].price
        return fills

    def add(self, order: BookOrder) -> None:
        """Rest ``order`` at the back of its price level.

        Refuses an order that would cross the opposite side: the caller must
        match first, so a crossed book is a bug, not a state.
        """
        price = order.price
        if price is None:
            raise ValueError(f"{order.order_id}: an order without a price cannot rest")
        if order.order_id in self._orders:
            raise ValueError(f"{order.order_id}: already in the book")
        if order.leaves <= 0:
            raise ValueError(f"{order.order_id}: nothing left to rest")
        opposite_best = (self._asks if order.is_buy else self._bids).best_price()
        if opposite_best is not None and (price >= opposite_best if order.is_buy else price <= opposite_best):
            raise ValueError(f"{order.order_id}: resting at {price} would cross {opposite_best}")
        side = self._bids if order.is_buy else self._asks
        key = side.key(price)
        queue = side.levels.get(key)
        if queue is None:
            queue = deque()
            side.levels[key] = queue
            insort(side.keys, key)
        queue.append(order)
        self._orders[order.order_id] = order

    def remove(self, order_id: str) -> BookOrder | None:
        """Take an order out of the book (cancel); ``None`` when it is not resting."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        side = self._bids if order.is_buy else self._asks
        key = side.key(order.price)  # type: ignore[arg-type]
        queue = side.levels[key]
        queue.remove(order)
        if not queue:
            side.drop_level(key)
        return order

    def reduce(self, order_id: str, quantity: Decimal) -> BookOrder:
        """Lower a resting order's total quantity in place, keeping its time priority.

        Reducing to exactly the filled quantity completes the order and takes
        it out of the book.
        """
        order = self._orders[order_id]
        if quantity > order.quantity:
            raise ValueError(f"{order_id}: {quantity} is not a reduction of {order.quantity}")
        if quantity < order.filled:
            raise ValueError(f"{order_id}: {quantity} is below the filled {order.filled}")
        if quantity == order.filled:
            self.remove(order_id)
        order.quantity = quantity
        return order
