"""The simulated venue: one price-time-priority book per symbol behind the Venue seam.

It is the gateway's default market. The matching itself is in
:mod:`gateway.venues.book`; this module adds what a venue does around it:
accepting or rejecting orders, time in force, stop triggers, expiry, the
venue's own liquidity provider, and execution reports for *our* orders.

Reports are delivered synchronously through the ``on_report`` callback given
to :meth:`SimulatedVenue.connect`, after the operation that caused them has
finished changing the books, in the order they happened. A callback that
calls back into the venue (say, a cancel on a fill) is safe: its reports are
queued behind the ones being delivered. The venue is not thread-safe: the
router serialises calls to it.

Report order for one operation: NEW (or REJECTED) first; then per trade the
incoming order's fill before the resting order's fill; then the cancel of an
IOC / FOK / market remainder; then whatever stops the trades triggered.
REJECTED refuses an order; CANCEL_REJECTED / REPLACE_REJECTED refuse a
*request* and leave the order exactly as it was. Every refusal's text starts
with a stable :class:`DenyCode` value followed by its context.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from gateway.venues.book import ZERO, BookOrder, Fill, Level, OrderBook
from gateway.venues.liquidity import LiquidityConfig, ladder
from gateway.venues.rules import (
    CLOSING_TIFS,
    CONTROL,
    GTD,
    LIMIT_PRICED,
    MARKET_LIKE,
    STOP_TRIGGERED,
    check_order,
    check_replace,
)
from risk_controls.domain import (
    Denial,
    DenyCode,
    ExecType,
    ExecutionReport,
    InstrumentBook,
    NewOrder,
    TimeInForce,
)
from risk_controls.domain.clock import Clock, SystemClock
from risk_controls.domain.decisions import deny
from risk_controls.venue import ReportSink, RestoredOrder, RoutedOrder

DEFAULT_LIQUIDITY = LiquidityConfig()
_FOK = TimeInForce.FOK


@dataclass(frozen=True, slots=True)
class Trade:
    """One print on the venue's tape (either side may be the liquidity provider)."""

    trade_id: str
    symbol: str
    price: Decimal
    quantity: Decimal
    buy_order_id: str
    sell_order_id: str
    aggressor_is_buy: bool
    transact_time: datetime


@dataclass(frozen=True, slots=True)
class TopOfBook:
    symbol: str
    bid: Decimal | None
    bid_qty: Decimal
    ask: Decimal | None
    ask_qty: Decimal
    last: Decimal | None


@dataclass(frozen=True, slots=True)
class Depth:
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class _Working:
    """One of our orders while it can still trade."""

    __slots__ = ("book_order", "order", "order_id", "parked", "venue_order_id")

    def __init__(self, order_id: str, order: NewOrder, book_order: BookOrder, venue_id: str):
        self.order_id = order_id
        self.order = order
        self.book_order = book_order
        self.venue_order_id = venue_id
        self.parked = False  # a stop waiting for its trigger, not in the book


class SimulatedVenue:
    """A venue with real limit order books, seeded with a simulated liquidity provider.

    ``liquidity=None`` starts with empty books (no provider). ``id_prefix``
    (default: ``name``) starts every exec, trade and venue order id; give each
    run its own prefix when ids must stay unique across restarts. DAY orders
    end with the UTC day: the first operation of a new day expires them first.
    """

    def __init__(
        self,
        instruments: InstrumentBook,
        *,
        name: str = "SIM",
        clock: Clock | None = None,
        liquidity: LiquidityConfig | None = DEFAULT_LIQUIDITY,
        id_prefix: str | None = None,
        tape_size: int = 10_000,
    ) -> None:
        self.name = name
        self._instruments = instruments
        self._clock: Clock = clock or SystemClock()
        self._liquidity = liquidity
        self._prefix = id_prefix or name
        self._books: dict[str, OrderBook] = {}
        self._working: dict[str, _Working] = {}
        self._known: set[str] = set()
        self._stops: dict[str, list[_Working]] = {}
        self._expiries: list[tuple[datetime, int, str]] = []
        self._provider_quotes: dict[tuple[str, bool], int] = {}
        self._provider_emptied: list[tuple[str, bool]] = []  # sides whose last quote was taken
        self._tape: deque[Trade] = deque(maxlen=tape_size)
        self._pending: deque[ExecutionReport] = deque()
        self._passes: deque[tuple[Decimal, Decimal]] = deque()  # (low, high) of each sweep
        self._sink: ReportSink | None = None
        self._delivering = False
        self._exec_seq = 0
        self._trade_seq = 0
        self._order_seq = 0
        self._provider_seq = 0
        self._expiry_seq = 0
        self._session_day: date | None = None  # DAY orders end when the UTC day does
        if liquidity is not None:
            self.seed_liquidity()

    # ------------------------------------------------------------- Venue seam
    def connect(self, on_report: ReportSink) -> None:
        self._sink = on_report

    def submit(self, routed: RoutedOrder) -> None:
        """Accept (NEW, then any fills) or reject (REJECTED with a reason code)."""
        now = self._begin()
        problem = self._check_new(routed, now)
        if problem is not None:
            self._report_for(routed.order_id, None, ExecType.REJECTED, now, problem.text())
        else:
            self._accept(routed, now)
        self._flush()

    def restore(self, restored: RestoredOrder) -> None:
        """Never called: the simulated book does not outlive the process, so its orders are
        expired at a restart instead of restored."""
        raise NotImplementedError("the simulated venue keeps no orders across a restart")

    def cancel(self, order_id: str) -> None:
        """Cancel a working order (CANCELED) or refuse the request (CANCEL_REJECTED)."""
        now = self._begin()
        working = self._working.get(order_id)
        if working is None:
            self._reject_request(order_id, ExecType.CANCEL_REJECTED, self._not_working(order_id), now)
        else:
            self._withdraw(working)
            self._finish(working, ExecType.CANCELED, now)
        self._flush()

    def replace(self, routed: RoutedOrder) -> None:
        """Amend a working order (REPLACED) or refuse the request (REPLACE_REJECTED).

        A quantity decrease at the same price keeps time priority; a price
        change or quantity increase re-enters the order (it may trade at once).
        A change to IOC / FOK re-enters it too, then cancels what cannot fill.
        """
        now = self._begin()
        working = self._working.get(routed.order_id)
        if working is None:
            denial = self._not_working(routed.order_id)
            self._reject_request(routed.order_id, ExecType.REPLACE_REJECTED, denial, now)
        else:
            new = routed.order
            problem = check_order(new, self._instruments.get(new.symbol), now) or check_replace(
                working.order, new, working.book_order.filled
            )
            if problem is not None:
                self._reject_request(routed.order_id, ExecType.REPLACE_REJECTED, problem, now)
            else:
                self._amend(working, new, now)
                self._settle(new.symbol, now)
        self._flush()

    # ------------------------------------------------------- market data views
    def last_price(self, symbol: str) -> Decimal | None:
        """Price of the last trade in ``symbol`` on this venue, None before any."""
        book = self._books.get(symbol)
        return None if book is None else book.last_price

    def top_of_book(self, symbol: str) -> TopOfBook:
        book = self._view(symbol)
        bids, asks = book.depth(True, 1), book.depth(False, 1)
        return TopOfBook(
            symbol,
            bids[0].price if bids else None,
            bids[0].quantity if bids else ZERO,
            asks[0].price if asks else None,
            asks[0].quantity if asks else ZERO,
            book.last_price,
        )

    def depth(self, symbol: str, levels: int = 5) -> Depth:
        book = self._view(symbol)
        return Depth(symbol, tuple(book.depth(True, levels)), tuple(book.depth(False, levels)))

    def queue_at(self, symbol: str, is_buy: bool, price: Decimal) -> list[str]:
        """Order ids resting at one price, first in priority first (provider ids included)."""
        return self._view(symbol).queue_at(is_buy, price)

    def trades(self, symbol: str | None = None) -> list[Trade]:
        """The recent tape, oldest first."""
        return [t for t in self._tape if symbol is None or t.symbol == symbol]

    def is_working(self, order_id: str) -> bool:
        return order_id in self._working

    # ------------------------------------------------------- venue operations
    def seed_liquidity(self, symbol: str | None = None) -> None:
        """Post the provider's ladder around the last trade (or the reference price).

        Additive: calling it again adds another ladder. Symbols without a
        price to anchor on get no quotes.
        """
        if self._liquidity is None:
            return
        symbols = [symbol] if symbol is not None else [i.symbol for i in self._instruments]
        for sym in symbols:
            anchor = self.last_price(sym)
            if anchor is None:
                anchor = self._instruments.reference_price(sym)
            if anchor is None or self._instruments.get(sym) is None:
                continue
            self._quote_side(sym, True, anchor)
            self._quote_side(sym, False, anchor)

    def expire_orders(self) -> None:
        """Expire GTD orders that are due (also done at the start of every operation)."""
        self._begin()
        self._flush()

    def end_of_day(self) -> None:
        """Expire every DAY order, resting or parked (GTC and GTD stay)."""
        now = self._begin()
        self._expire_day_orders(now)
        self._flush()

    def _expire_day_orders(self, now: datetime) -> None:
        for working in [w for w in self._working.values() if w.order.tif is TimeInForce.DAY]:
            self._withdraw(working)
            self._finish(working, ExecType.EXPIRED, now)

    # ------------------------------------------------------------- internals
    def _begin(self) -> datetime:
        if self._sink is None:
            raise RuntimeError(f"venue {self.name}: connect() before trading")
        now = self._clock.now()
        today = now.date()
        if self._session_day != today:
            if self._session_day is not None and today > self._session_day:
                self._expire_day_orders(now)  # the close passed since the last operation
                self._known = set(self._working)  # done orders' ids: a day's memory, not a log's
            self._session_day = today
        if self._expiries and self._expiries[0][0] <= now:
            self._expire_due(now)
        return now

    def _book(self, symbol: str) -> OrderBook:
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = OrderBook(symbol)
        return book

    def _view(self, symbol: str) -> OrderBook:
        """The book of ``symbol`` for reading; an empty one (not kept) if none yet."""
        book = self._books.get(symbol)
        return OrderBook(symbol) if book is None else book

    def _check_new(self, routed: RoutedOrder, now: datetime) -> Denial | None:
        order = routed.order
        book = self._books.get(order.symbol)
        if routed.order_id in self._known or (book is not None and routed.order_id in book):
            return deny(DenyCode.VENUE_REJECTED, CONTROL, reason="duplicate order id")
        return check_order(order, self._instruments.get(order.symbol), now)

    def _not_working(self, order_id: str) -> Denial:
        if order_id in self._known:
            return deny(DenyCode.ORDER_NOT_WORKING, CONTROL, order_id=order_id)
        return deny(DenyCode.UNKNOWN_ORDER, CONTROL, order_id=order_id)

    def _accept(self, routed: RoutedOrder, now: datetime) -> None:
        order = routed.order
        self._book(order.symbol)  # every accepted order's symbol has a book from here on
        self._known.add(routed.order_id)
        self._order_seq += 1
        price = order.limit_price if order.ord_type in LIMIT_PRICED else None
        book_order = BookOrder(routed.order_id, order.side.is_buy, price, order.quantity)
        working = _Working(routed.order_id, order, book_order, f"{self._prefix}-{self._order_seq}")
        self._working[routed.order_id] = working
        self._report(working, ExecType.NEW, now)
        self._track_expiry(working)
        if order.ord_type in STOP_TRIGGERED and not self._crossed_by_last(order):
            working.parked = True
            self._stops.setdefault(order.symbol, []).append(working)
        else:
            self._enter(working, now)
        self._settle(order.symbol, now)

    def _enter(self, working: _Working, now: datetime) -> None:
        """Bring an order to its book: match, then rest or cancel what is left."""
        order = working.order
        incoming = working.book_order
        book = self._books[order.symbol]
        limit = None if order.ord_type in MARKET_LIKE else incoming.price
        if order.tif is _FOK:
            available = book.available(incoming.is_buy, limit, incoming.leaves)
            if available < incoming.leaves:
                text = f"FOK_NOT_FILLABLE available={available} leaves={incoming.leaves}"
                self._finish(working, ExecType.CANCELED, now, text)
                return
        filled_before = incoming.filled
        fills = book.match(incoming, limit)
        if fills:
            first, last = fills[0].price, fills[-1].price
            self._passes.append((min(first, last), max(first, last)))
            self._report_fills(working, fills, filled_before, now)
        if incoming.leaves <= 0:
            return
        if limit is None:
            self._finish(working, ExecType.CANCELED, now, "MARKET_REMAINDER_NO_LIQUIDITY")
        elif order.tif in CLOSING_TIFS:
            self._finish(working, ExecType.CANCELED, now, "IOC_REMAINDER")
        else:
            book.add(incoming)

    def _report_fills(self, working: _Working, fills: list[Fill], cum: Decimal, now: datetime) -> None:
        """Report each fill to our side(s) and print it on the tape; ``cum`` is filled before."""
        incoming = working.book_order
        symbol = working.order.symbol
        for fill in fills:
            self._trade_seq += 1
            trade_id = f"{self._prefix}-T{self._trade_seq}"
            cum += fill.quantity
            kind = ExecType.FILL if cum >= incoming.quantity else ExecType.PARTIAL_FILL
            self._report(working, kind, now, None, fill.quantity, fill.price, trade_id)
            resting = fill.resting
            resting_done = resting.filled >= resting.quantity
            if resting.ours:
                other = self._working[resting.order_id]
                kind = ExecType.FILL if resting_done else ExecType.PARTIAL_FILL
                self._report(other, kind, now, None, fill.quantity, fill.price, trade_id)
                if resting_done:
                    self._done(other)
            elif resting_done:
                key = (symbol, resting.is_buy)
                self._provider_quotes[key] -= 1
                if self._provider_quotes[key] == 0:
                    self._provider_emptied.append(key)
            buyer, seller = (incoming, resting) if incoming.is_buy else (resting, incoming)
            self._tape.append(
                Trade(
                    trade_id,
                    symbol,
                    fill.price,
                    fill.quantity,
                    buyer.order_id,
                    seller.order_id,
                    incoming.is_buy,
                    now,
                )
            )
        if incoming.leaves <= 0:
            self._done(working)

    def _settle(self, symbol: str, now: datetime) -> None:
        """After trading: fire the stops any print crossed, then re-quote if due.

        Every matching pass prints within a (low, high) range; a buy stop fires
        when a pass printed at or above it, a sell stop at or below. Stops fired
        by one pass enter in arrival order, and their own passes are checked in
        turn, so a cascade ends when no print crosses a parked stop.
        """
        book = self._books[symbol]
        passes = self._passes
        while passes:
            low, high = passes.popleft()
            stops = self._stops.get(symbol)
            if not stops:
                continue
            fired = [w for w in stops if _crossed(w.order, low, high)]
            if not fired:
                continue
            self._stops[symbol] = [w for w in stops if not _crossed(w.order, low, high)]
            for working in fired:
                working.parked = False
                self._enter(working, now)
        if self._provider_emptied:
            emptied, self._provider_emptied = self._provider_emptied, []
            anchor = book.last_price
            if self._liquidity is not None and self._liquidity.replenish and anchor is not None:
                for sym, is_buy in emptied:
                    self._quote_side(sym, is_buy, anchor)

    def _quote_side(self, symbol: str, is_buy: bool, anchor: Decimal) -> None:
        instrument = self._instruments.get(symbol)
        if instrument is None or self._liquidity is None:
            return
        book = self._book(symbol)
        opposite = book.best_ask() if is_buy else book.best_bid()
        posted = 0
        for price, quantity in ladder(instrument, anchor, is_buy, self._liquidity, opposite):
            self._provider_seq += 1
            order_id = f"{self._prefix}-LP{self._provider_seq}"
            book.add(BookOrder(order_id, is_buy, price, quantity, ours=False))
            posted += 1
        key = (symbol, is_buy)
        self._provider_quotes[key] = self._provider_quotes.get(key, 0) + posted

    def _amend(self, working: _Working, new: NewOrder, now: datetime) -> None:
        book_order = working.book_order
        new_price = new.limit_price if new.ord_type in LIMIT_PRICED else None
        expiry_changed = new.expire_at != working.order.expire_at
        working.order = new
        if expiry_changed:
            self._track_expiry(working)
        if working.parked:
            book_order.quantity, book_order.price = new.quantity, new_price
            self._report(working, ExecType.REPLACED, now, "STOP_AMENDED")
            if self._crossed_by_last(new):
                self._withdraw(working)
                working.parked = False
                self._enter(working, now)
            return
        book = self._books[new.symbol]
        keeps_place = new_price == book_order.price and new.quantity <= book_order.quantity
        if keeps_place and new.tif not in CLOSING_TIFS:
            book.reduce(working.order_id, new.quantity)
            self._report(working, ExecType.REPLACED, now, "PRIORITY_KEPT")
            if book_order.leaves <= 0:
                self._done(working)
            return
        book.remove(working.order_id)
        book_order.quantity, book_order.price = new.quantity, new_price
        self._report(working, ExecType.REPLACED, now, "PRIORITY_LOST")
        if book_order.leaves <= 0:
            self._done(working)
        else:
            self._enter(working, now)

    def _crossed_by_last(self, order: NewOrder) -> bool:
        """A stop arriving (or moved) behind the last print fires at once."""
        last = self.last_price(order.symbol)
        return last is not None and _crossed(order, last, last)

    def _withdraw(self, working: _Working) -> None:
        """Take a working order off the venue (book or stop list) without reporting."""
        if working.parked:
            self._stops[working.order.symbol].remove(working)
        else:
            self._books[working.order.symbol].remove(working.order_id)

    def _track_expiry(self, working: _Working) -> None:
        order = working.order
        if order.tif is GTD and order.expire_at is not None:
            self._expiry_seq += 1
            heapq.heappush(self._expiries, (order.expire_at, self._expiry_seq, working.order_id))

    def _expire_due(self, now: datetime) -> None:
        heap = self._expiries
        while heap and heap[0][0] <= now:
            expire_at, _, order_id = heapq.heappop(heap)
            working = self._working.get(order_id)
            if working is None or working.order.tif is not GTD:
                continue
            if working.order.expire_at != expire_at:
                continue  # amended since; a newer heap entry stands for it
            self._withdraw(working)
            self._finish(working, ExecType.EXPIRED, now)

    def _finish(self, working: _Working, kind: ExecType, now: datetime, text: str | None = None) -> None:
        self._report(working, kind, now, text)
        self._done(working)

    def _done(self, working: _Working) -> None:
        self._working.pop(working.order_id, None)

    def _reject_request(self, order_id: str, kind: ExecType, denial: Denial, now: datetime) -> None:
        working = self._working.get(order_id)
        venue_id = working.venue_order_id if working is not None else None
        self._report_for(order_id, venue_id, kind, now, denial.text())

    def _report(
        self,
        working: _Working,
        kind: ExecType,
        now: datetime,
        text: str | None = None,
        last_qty: Decimal | None = None,
        last_px: Decimal | None = None,
        trade_id: str | None = None,
    ) -> None:
        self._exec_seq += 1
        self._pending.append(
            ExecutionReport(
                working.order_id,
                f"{self._prefix}-E{self._exec_seq}",
                kind,
                self.name,
                now,
                last_qty,
                last_px,
                working.venue_order_id,
                trade_id,
                text,
            )
        )

    def _report_for(
        self, order_id: str, venue_id: str | None, kind: ExecType, now: datetime, text: str
    ) -> None:
        self._exec_seq += 1
        self._pending.append(
            ExecutionReport(
                order_id,
                f"{self._prefix}-E{self._exec_seq}",
                kind,
                self.name,
                now,
                venue_order_id=venue_id,
                text=text,
            )
        )

    def _flush(self) -> None:
        """Deliver queued reports in order; a re-entrant call leaves them to the outer loop."""
        if self._delivering or self._sink is None:
            return
        sink = self._sink
        self._delivering = True
        try:
            while self._pending:
                sink(self._pending.popleft())
        finally:
            self._delivering = False


def _crossed(order: NewOrder, low: Decimal, high: Decimal) -> bool:
    """A buy stop fires on a print at or above its stop, a sell stop at or below."""
    stop = order.stop_price
    if stop is None:
        return False
    return high >= stop if order.side.is_buy else low <= stop
