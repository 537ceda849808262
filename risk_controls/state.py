"""Risk state: working orders, positions, credit used, exposure and rate windows.

Checks read it; only the pipeline (and the replay, from the audit log) changes
it, through the ``on_*`` methods. Amounts are in the firm's base currency.
Open orders are valued at the price reserved when they were accepted (limit
price, or the reference price for market and stop orders), so that releasing
a reservation gives back exactly what was taken.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from risk_controls.domain import (
    AppliedFill,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrderStatus,
    OrdType,
    Side,
    WorkingOrder,
)
from risk_controls.domain.money import ZERO


@dataclass(slots=True)
class SymbolExposure:
    """An account's position in one instrument and its open orders there."""

    position: Decimal = ZERO
    open_buy: Decimal = ZERO
    open_sell: Decimal = ZERO
    value_price: Decimal = ZERO  # base-currency price used to value this line
    gross_value: Decimal = ZERO  # cached: worst_case() * value_price

    def worst_case(self) -> Decimal:
        """Largest absolute position if every open order filled (on one side)."""
        return max(abs(self.position + self.open_buy), abs(self.position - self.open_sell))

    def worst_case_with(self, side: Side, quantity: Decimal) -> Decimal:
        if side is Side.BUY:
            return max(abs(self.position + self.open_buy + quantity), abs(self.position - self.open_sell))
        return max(abs(self.position + self.open_buy), abs(self.position - self.open_sell - quantity))


@dataclass(slots=True)
class AccountBook:
    symbols: dict[str, SymbolExposure] = field(default_factory=dict)
    executed_notional: Decimal = ZERO  # today's gross traded notional
    open_notional: Decimal = ZERO  # reserved by working orders
    gross_exposure: Decimal = ZERO
    orders_today: int = 0
    fills: deque[datetime] = field(default_factory=deque)
    messages: deque[datetime] = field(default_factory=deque)

    @property
    def credit_used(self) -> Decimal:
        return self.executed_notional + self.open_notional


@dataclass(slots=True)
class Reservation:
    """What an accepted order holds against credit: leaves x base-currency price."""

    price_base: Decimal
    valuation_price: Decimal

    def __init__(self, price_base: Decimal, valuation_price: Decimal) -> None:
        # written out: the dataclass-made __init__ is interpreted (tests/test_initialisers.py)
        self.price_base = price_base
        self.valuation_price = valuation_price


RestingKey = tuple[Decimal, int, str]
"""(rank, sequence, order id) of a resting order: see :class:`RestingLadder`."""


class RestingLadder:
    """An account's resting limit orders in one symbol, each side in price-time priority.

    Self-trade prevention asks "which of my resting orders would this one
    hit, in the order the book would match them?" on every order; a bisect
    answers it without scanning the book. Keys are ``(rank, seq, order_id)``
    where rank is the price for offers and minus the price for bids, so that
    ascending keys are priority order on both sides and keys of several
    accounts' ladders merge.
    """

    __slots__ = ("_buys", "_keys", "_sells")

    def __init__(self) -> None:
        self._buys: list[RestingKey] = []
        self._sells: list[RestingKey] = []
        self._keys: dict[str, tuple[bool, RestingKey]] = {}

    def add(self, order_id: str, is_buy: bool, price: Decimal, seq: int) -> None:
        key = (-price if is_buy else price, seq, order_id)
        insort(self._buys if is_buy else self._sells, key)
        self._keys[order_id] = (is_buy, key)

    def remove(self, order_id: str) -> None:
        found = self._keys.pop(order_id, None)
        if found is None:
            return
        is_buy, key = found
        side = self._buys if is_buy else self._sells
        index = bisect_left(side, key)
        if index < len(side) and side[index] == key:
            del side[index]

    def entries(self) -> list[tuple[str, bool, Decimal, int]]:
        """(order id, is buy, price, sequence) of every resting order, to carry it to a new day."""
        return [
            (key[2], is_buy, -key[0] if is_buy else key[0], key[1]) for is_buy, key in self._keys.values()
        ]

    def crossing(self, incoming_is_buy: bool, limit: Decimal | None) -> list[RestingKey]:
        """Keys of the resting orders on the other side that ``limit`` (None = market) would
        reach, best price first and, at one price, oldest first."""
        side = self._sells if incoming_is_buy else self._buys
        if limit is None:
            return list(side)
        bound = limit if incoming_is_buy else -limit
        return side[: bisect_right(side, (bound, _MAX_SEQ, ""))]

    def __len__(self) -> int:
        return len(self._keys)


_MAX_SEQ = 1 << 62


class RiskState:
    """All mutable risk state. Not thread-safe: the pipeline owns it on one thread."""

    def __init__(self) -> None:
        self.orders: dict[str, WorkingOrder] = {}
        self.cl_ord_ids: dict[tuple[str, str], str] = {}
        self.working: dict[str, WorkingOrder] = {}  # only orders that are still working
        self.resting: dict[tuple[str, str], RestingLadder] = {}
        self._resting_seq = 0
        self.accounts: dict[str, AccountBook] = {}
        self.reservations: dict[str, Reservation] = {}
        self.session_messages: dict[str, deque[datetime]] = {}
        self.recent_orders: dict[tuple[str, str, str, Decimal, Decimal | None], deque[datetime]] = {}
        self.execution_disabled: set[str] = set()
        self.firm_executed_notional = ZERO
        self.firm_open_notional = ZERO
        self.firm_gross_exposure = ZERO
        self.trading_day: date | None = None
        self.order_sequence = 0
        self._id_day: date | None = None
        self._id_prefix = ""

    # ---- reads used by the checks -------------------------------------------

    def book(self, account: str) -> AccountBook:
        found = self.accounts.get(account)
        if found is None:
            found = self.accounts[account] = AccountBook()
        return found

    def exposure(self, account: str, symbol: str) -> SymbolExposure:
        book = self.book(account)
        found = book.symbols.get(symbol)
        if found is None:
            found = book.symbols[symbol] = SymbolExposure()
        return found

    @property
    def firm_credit_used(self) -> Decimal:
        return self.firm_executed_notional + self.firm_open_notional

    def working_orders(self, account: str | None = None) -> list[WorkingOrder]:
        return [o for o in self.working.values() if account is None or o.order.account == account]

    def resting_crossing(
        self, accounts: Iterable[str], symbol: str, is_buy: bool, limit: Decimal | None
    ) -> list[WorkingOrder]:
        """The accounts' resting limit orders in ``symbol`` that an incoming order would hit,
        in the order a price-time book would match them (across the accounts)."""
        found: list[RestingKey] = []
        for account in accounts:
            ladder = self.resting.get((account, symbol))
            if ladder:
                found.extend(ladder.crossing(is_buy, limit))
        found.sort()
        working = self.working
        return [working[key[2]] for key in found if key[2] in working]

    def order_by_cl_ord_id(self, account: str, cl_ord_id: str) -> WorkingOrder | None:
        order_id = self.cl_ord_ids.get((account, cl_ord_id))
        return self.orders.get(order_id) if order_id else None

    @staticmethod
    def duplicate_key(order: NewOrder) -> tuple[str, str, str, Decimal, Decimal | None]:
        return (order.account, order.symbol, order.side.value, order.quantity, order.limit_price)

    def count_recent(self, window: deque[datetime], now: datetime, span: timedelta) -> int:
        horizon = now - span
        while window and window[0] <= horizon:
            window.popleft()
        return len(window)

    # ---- updates ---------------------------------------------------------------

    def roll_day(self, now: datetime) -> bool:
        """Daily counters (traded notional, order count) restart on a new UTC day.

        True when ``now`` started a new day (the caller then closes the old one). Days
        only move forward: a time stamped a little earlier by another clock is ignored."""
        today = now.date()
        if self.trading_day is not None and today <= self.trading_day:
            return False
        self.open_day(today)
        return True

    def open_day(self, day: date) -> None:
        """Start ``day``: today's traded notional and order counts begin at zero."""
        self.trading_day = day
        self.firm_executed_notional = ZERO
        for book in self.accounts.values():
            book.executed_notional = ZERO
            book.orders_today = 0

    def close_day(self, keep: Collection[str] = ()) -> int:
        """Forget the orders that are done, so the state holds a day, not the log's history.

        Working orders (GTC, GTD, a day order the venue has not yet expired) carry over
        with their client order ids and reservations; a done order's client order id is
        free again, as FIX scopes ClOrdID uniqueness to a trading day. Done orders in
        ``keep`` (the pipeline's: those received in the last minutes before the close)
        stay until the next close, so a client's retry that straddles midnight is still
        answered as a retry. Duplicate-order windows (seconds long) start afresh.
        Returns how many orders were forgotten.
        """
        done = [oid for oid in self.orders if oid not in self.working and oid not in keep]
        for order_id in done:
            del self.orders[order_id]
            self.reservations.pop(order_id, None)
        self.cl_ord_ids = {key: oid for key, oid in self.cl_ord_ids.items() if oid in self.orders}
        self.recent_orders.clear()
        return len(done)

    def carry_resting(self) -> list[tuple[str, str, str, bool, Decimal, int]]:
        """(account, symbol, order id, is buy, price, sequence) of every resting order."""
        return [
            (account, symbol, *entry)
            for (account, symbol), ladder in self.resting.items()
            for entry in ladder.entries()
        ]

    @property
    def resting_sequence(self) -> int:
        return self._resting_seq

    def restore_resting(
        self, entries: Iterable[tuple[str, str, str, bool, Decimal, int]], sequence: int
    ) -> None:
        """Put carried resting orders back in the ladders, at their old time priority."""
        for account, symbol, order_id, is_buy, price, seq in entries:
            ladder = self.resting.get((account, symbol))
            if ladder is None:
                ladder = self.resting[(account, symbol)] = RestingLadder()
            ladder.add(order_id, is_buy, price, seq)
        self._resting_seq = sequence

    def next_order_id(self, now: datetime) -> str:
        """``YYYYMMDD-NNNNNNNN``: the number never repeats, the date says when it was given."""
        self.order_sequence += 1
        day = now.date()
        if day != self._id_day:
            self._id_day, self._id_prefix = day, f"{day:%Y%m%d}-"
        return f"{self._id_prefix}{self.order_sequence:08d}"

    def note_message(self, session: str, account: str, now: datetime) -> None:
        """Every inbound order message counts against the session and account throttles."""
        self.session_messages.setdefault(session, deque()).append(now)
        self.book(account).messages.append(now)

    def on_accepted(
        self,
        order_id: str,
        order: NewOrder,
        now: datetime,
        venue: str,
        price_base: Decimal,
        valuation_price: Decimal,
    ) -> WorkingOrder:
        """Reserve credit and exposure for a newly accepted order."""
        working = WorkingOrder(order_id, order, OrderStatus.PENDING_NEW, now, venue)
        self.orders[order_id] = working
        self.cl_ord_ids[(order.account, order.cl_ord_id)] = order_id
        self.working[order_id] = working
        self._rest(working)
        self.reservations[order_id] = Reservation(price_base, valuation_price)
        book = self.book(order.account)
        book.orders_today += 1
        self.recent_orders.setdefault(self.duplicate_key(order), deque()).append(now)
        self._reserve(working, order.quantity, +1)
        return working

    def forget(self, order_id: str) -> None:
        """Undo :meth:`on_accepted` for an order whose acceptance never became durable.

        The log will never show it, so neither may the state: reservation, client
        order id, daily count and duplicate window all go back to before.
        """
        working = self.orders.get(order_id)
        if working is None:
            return
        order = working.order
        self._reserve(working, working.leaves_qty, -1)
        del self.orders[order_id]
        self.reservations.pop(order_id, None)
        self.forget_cl_ord_id(order.account, order.cl_ord_id, order_id)
        self._retire(working)
        self.book(order.account).orders_today -= 1
        window = self.recent_orders.get(self.duplicate_key(order))
        if window and working.received_at in window:
            window.remove(working.received_at)

    def forget_cl_ord_id(self, account: str, cl_ord_id: str, order_id: str) -> None:
        """Free a client order id, unless a later order has taken it since."""
        key = (account, cl_ord_id)
        if self.cl_ord_ids.get(key) == order_id:
            del self.cl_ord_ids[key]

    def on_replaced(
        self, order_id: str, new_order: NewOrder, price_base: Decimal, valuation_price: Decimal
    ) -> None:
        """Swap the reservation of the old version for the new version's.

        A version that does not grow the line's worst case (a smaller replace, a
        self-trade decrement carrying the old reservation) keeps the line's mark: only
        growth is checked at the current mark, so only growth may re-mark the line.
        """
        working = self.orders[order_id]
        line = self.exposure(working.order.account, working.order.symbol)
        worst_before, mark_before = line.worst_case(), line.value_price
        self._reserve(working, working.leaves_qty, -1)
        self._unrest(working)
        working.order = new_order
        self._rest(working)
        self.cl_ord_ids[(new_order.account, new_order.cl_ord_id)] = order_id
        self.reservations[order_id] = Reservation(price_base, valuation_price)
        self._reserve(working, working.leaves_qty, +1)
        if line.worst_case() <= worst_before and mark_before > 0:
            self._revalue(working.order.account, line, mark_before)

    def on_replace_withdrawn(
        self, order_id: str, in_force: NewOrder, price_base: Decimal, valuation_price: Decimal
    ) -> None:
        """Put back the version that a withdrawn replace displaced (replay only: live, the
        replace was never applied). Fills recorded after the replace may already cover that
        version: the order is then filled, as it was live."""
        self.on_replaced(order_id, in_force, price_base, valuation_price)
        working = self.orders[order_id]
        if working.status.is_working and working.cum_qty >= in_force.quantity:
            working.status = OrderStatus.FILLED
            self._retire(working)

    def on_execution(self, report: ExecutionReport, fx: Decimal) -> WorkingOrder | None:
        """Apply a venue report: fills move reservation into position and traded notional."""
        working = self.orders.get(report.order_id)
        if working is None:
            return None
        kind = report.exec_type
        if report.venue_order_id:
            working.venue_order_id = report.venue_order_id
        if report.venue_cl_ord_id:
            working.venue_cl_ord_id = report.venue_cl_ord_id
        if kind is ExecType.NEW:
            if working.status is OrderStatus.PENDING_NEW:
                working.status = OrderStatus.NEW
        elif kind in (ExecType.CANCEL_REJECTED, ExecType.REPLACE_REJECTED):
            if working.status is OrderStatus.PENDING_CANCEL:  # the venue kept it: it still works
                working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW
        elif kind in (ExecType.PARTIAL_FILL, ExecType.FILL):
            self._apply_fill(working, report, fx)
        elif kind in (ExecType.TRADE_CANCEL, ExecType.TRADE_CORRECT):
            self._amend_trade(working, report)
        elif kind in (ExecType.CANCELED, ExecType.EXPIRED, ExecType.REJECTED):
            self._reserve(working, working.leaves_qty, -1)
            working.status = {
                ExecType.CANCELED: OrderStatus.CANCELED,
                ExecType.EXPIRED: OrderStatus.EXPIRED,
                ExecType.REJECTED: OrderStatus.REJECTED,
            }[kind]
        if not working.status.is_working:
            self._retire(working)
        return working

    def _apply_fill(self, working: WorkingOrder, report: ExecutionReport, fx: Decimal) -> None:
        qty = report.last_qty or ZERO
        px = report.last_px or ZERO
        self._reserve(working, min(qty, working.leaves_qty), -1)
        fill = AppliedFill(qty, px, fx)
        self._book_fill(working, fill, +1)
        fills = working.fills
        if fills is None:
            fills = working.fills = {}
        fills[report.exec_id] = fill
        working.status = (
            OrderStatus.FILLED if working.cum_qty >= working.order.quantity else OrderStatus.PARTIALLY_FILLED
        )

    def _book_fill(self, working: WorkingOrder, fill: AppliedFill, direction: int) -> None:
        """Add (+1) or take back (-1) a fill's effect on the order, position and traded notional."""
        qty = fill.quantity * direction
        order = working.order
        working.cum_qty += qty
        working.cum_notional += qty * fill.price
        exposure = self.exposure(order.account, order.symbol)
        exposure.position += qty * order.side.sign
        self._revalue(order.account, exposure, ZERO)  # keep the line's mark: see _reserve
        traded = qty * fill.price * fill.fx_rate
        self.book(order.account).executed_notional += traded
        self.firm_executed_notional += traded

    def _amend_trade(self, working: WorkingOrder, report: ExecutionReport) -> bool:
        """A venue busted (TRADE_CANCEL) or corrected (TRADE_CORRECT) the fill ``ref_exec_id``.

        The fill's effects are taken back exactly as they were booked (its price and FX
        rate), and a correction books the corrected quantity and price in their place. An
        order that is done stays done: venues do not put busted quantity back to work. A
        working order's open quantity follows its filled quantity and is reserved again,
        the conservative reading for credit and exposure. False when the fill is unknown
        (then nothing changes; the report is still recorded).
        """
        fills = working.fills
        old = fills.pop(report.ref_exec_id, None) if fills and report.ref_exec_id else None
        if old is None:
            return False
        assert fills is not None
        was_working = working.status.is_working
        leaves_before = working.leaves_qty
        self._book_fill(working, old, -1)
        if report.exec_type is ExecType.TRADE_CORRECT and report.last_qty and report.last_px is not None:
            corrected = AppliedFill(report.last_qty, report.last_px, old.fx_rate)
            self._book_fill(working, corrected, +1)
            fills[report.exec_id] = corrected
        if was_working and working.status is not OrderStatus.PENDING_CANCEL:
            if working.cum_qty >= working.order.quantity:
                working.status = OrderStatus.FILLED
            else:
                working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW
        change = working.leaves_qty - leaves_before
        if change > 0:
            self._reserve(working, change, +1)
        elif change < 0:
            self._reserve(working, -change, -1)
        return True

    def _rest(self, working: WorkingOrder) -> None:
        order = working.order
        if order.ord_type is OrdType.LIMIT and order.limit_price is not None:
            self._resting_seq += 1
            ladder = self.resting.get((order.account, order.symbol))
            if ladder is None:
                ladder = self.resting[(order.account, order.symbol)] = RestingLadder()
            ladder.add(working.order_id, order.side is Side.BUY, order.limit_price, self._resting_seq)

    def _unrest(self, working: WorkingOrder) -> None:
        ladder = self.resting.get((working.order.account, working.order.symbol))
        if ladder is not None:
            ladder.remove(working.order_id)

    def _retire(self, working: WorkingOrder) -> None:
        """An order left the working set (filled, cancelled, expired, rejected)."""
        self.working.pop(working.order_id, None)
        self._unrest(working)

    def _reserve(self, working: WorkingOrder, quantity: Decimal, direction: int) -> None:
        if quantity <= 0:
            return
        order = working.order
        reservation = self.reservations[working.order_id]
        notional = quantity * reservation.price_base * direction
        book = self.book(order.account)
        book.open_notional += notional
        self.firm_open_notional += notional
        exposure = self.exposure(order.account, order.symbol)
        if order.side is Side.BUY:
            exposure.open_buy += quantity * direction
        else:
            exposure.open_sell += quantity * direction
        # Only a new (checked) reservation re-marks the line. Re-marking it at an older
        # order's valuation on a fill or release could raise exposure past the limit the
        # gross-exposure check had just enforced at the current mark.
        self._revalue(order.account, exposure, reservation.valuation_price if direction > 0 else ZERO)

    def _revalue(self, account: str, exposure: SymbolExposure, valuation_price: Decimal) -> None:
        if valuation_price > 0:
            exposure.value_price = valuation_price
        new_value = exposure.worst_case() * exposure.value_price
        delta = new_value - exposure.gross_value
        exposure.gross_value = new_value
        self.book(account).gross_exposure += delta
        self.firm_gross_exposure += delta

    def on_fill_window(self, account: str, now: datetime, span: timedelta, limit: int) -> bool:
        """Count a fill in the repeated-execution window; True when it trips the throttle."""
        fills = self.book(account).fills
        fills.append(now)
        if self.count_recent(fills, now, span) >= limit and account not in self.execution_disabled:
            self.execution_disabled.add(account)
            return True
        return False
