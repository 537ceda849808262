"""Test builders: policies, the instrument book, and a small harness that drives the
control chain and the risk state the way the gateway's pipeline does.

The harness is deliberately thin: it gathers a CheckContext exactly as a pipeline
would (account, instrument, per-instrument policy, reference price, FX rate, venue,
the working order for a replace), runs the chain, and only on acceptance applies
the order to the state (reserving at ``ctx.price_base``, valued at ``ctx.reference_base``).
Self-trade actions are carried out the way a pipeline would carry them out at the venue:
a cancel or a quantity decrement, on acceptance and on denial alike.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from risk_controls.chain import ControlChain, default_chain
from risk_controls.checks.context import CheckContext
from risk_controls.domain import (
    CheckResult,
    Denial,
    ExecType,
    ExecutionReport,
    InstrumentBook,
    NewOrder,
    OrderOrigin,
    OrdType,
    ReplaceRequest,
    Side,
    TimeInForce,
    WorkingOrder,
)
from risk_controls.domain.clock import ManualClock
from risk_controls.domain.orders import Channel
from risk_controls.kill_switch import KillEntry, KillMode, KillScope, KillSwitch
from risk_controls.policy import Policy, load_policy_file
from risk_controls.state import RiskState

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTS_CSV = ROOT / "gateway" / "data" / "instruments.csv"
DEFAULT_POLICY_FILE = ROOT / "policies" / "default.toml"

# Monday 23 November 2026, midday UTC: inside every sample policy's trading hours.
T0 = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)

D = Decimal


@cache
def default_policy() -> Policy:
    """The sample policy shipped in ``policies/default.toml``."""
    return load_policy_file(DEFAULT_POLICY_FILE).policy


def instrument_book() -> InstrumentBook:
    """A fresh book (reference prices are mutable, so never share one between tests)."""
    return InstrumentBook.from_csv(INSTRUMENTS_CSV)


# A small policy with round limits, so boundaries are easy to hit exactly.
# A1 and A2 share a beneficial owner; B1 is somebody else.
MINIMAL_POLICY: dict[str, Any] = {
    "version": "test-1",
    "fx_rates": {"USD": "1", "EUR": "1.08", "GBP": "1.27"},
    "restricted": ["TSLA"],
    "firm": {
        "id": "FIRM",
        "name": "Test Firm",
        "lei": "FOR8UP27PHTHYVLBNG30",
        "max_daily_notional": "1000000",
        "max_gross_exposure": "800000",
        "trading_hours": {"start": "08:00:00", "end": "16:30:00", "weekdays": [0, 1, 2, 3, 4]},
        "collar": {"percent": "5"},
        "duplicate": {"window_ms": 1000, "max_count": 1},
        "session_throttle": {"max_messages": 5, "per_seconds": "1"},
        "execution_throttle": {"max_fills": 3, "window_seconds": "10"},
    },
    "accounts": [
        {
            "id": "A1",
            "beneficial_owner": "OWNER-1",
            "authorized_users": ["alice"],
            "authorized_sessions": ["S1", "ALGOS"],
            "authorized_strategies": ["algo-1"],
            "max_order_quantity": "1000",
            "max_order_notional": "100000",
            "max_daily_notional": "300000",
            "max_gross_exposure": "200000",
            "max_position": "1500",
            "position_limits": {"KO": "600"},
            "max_daily_orders": 5,
            "throttle": {"max_messages": 4, "per_seconds": "1"},
            "self_trade_mode": "cancel-resting",
        },
        {
            "id": "A2",
            "beneficial_owner": "OWNER-1",
            "authorized_users": ["alice", "bob"],
            "authorized_sessions": ["S1", "S2"],
            "max_order_quantity": "1000",
            "max_order_notional": "100000",
            "max_daily_notional": "300000",
            "max_gross_exposure": "200000",
            "max_position": "1500",
            "self_trade_mode": "cancel-incoming",
        },
        {
            "id": "B1",
            "authorized_users": ["carol"],
            "authorized_sessions": ["S3"],
            "instruments": ["AAPL", "KO", "SAP", "VOD"],
            "venues": ["XNAS", "XNYS", "XETR"],
            "max_order_quantity": "1000",
            "max_order_notional": "100000",
            "max_daily_notional": "300000",
            "max_gross_exposure": "200000",
            "max_position": "1500",
            "short_locate_required": True,
        },
        {
            "id": "OFF",
            "enabled": False,
            "authorized_users": ["alice"],
            "authorized_sessions": ["S1"],
            "max_order_quantity": "1",
            "max_order_notional": "1",
            "max_daily_notional": "0",
            "max_gross_exposure": "0",
            "max_position": "0",
        },
    ],
    "instruments": [
        {"symbol": "VOD", "max_order_quantity": "5000", "collar": {"percent": "1", "ticks": 50}},
        {"symbol": "KO", "max_order_notional": "30000"},
    ],
    "sessions": [{"id": "S2", "throttle": {"max_messages": 2, "per_seconds": "1"}}],
}

# Who enters orders for each account by default, in the minimal policy.
ENTERERS = {"A1": ("alice", "S1"), "A2": ("bob", "S2"), "B1": ("carol", "S3"), "OFF": ("alice", "S1")}


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (dicts merge, anything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def minimal_policy(
    firm: dict[str, Any] | None = None,
    accounts: dict[str, dict[str, Any]] | None = None,
    **top: Any,
) -> Policy:
    """The minimal policy with overrides: ``firm={...}``, ``accounts={"A1": {...}}``, top-level keys."""
    data = merged(MINIMAL_POLICY, {"firm": firm or {}, **top})
    for account in data["accounts"]:
        if accounts and account["id"] in accounts:
            account.update(copy.deepcopy(accounts[account["id"]]))
    return Policy.model_validate(data)


_ids = itertools.count(1)


def order(
    symbol: str = "AAPL",
    side: Side = Side.BUY,
    quantity: str | int | Decimal = 100,
    price: str | Decimal | None = "228.50",
    *,
    account: str = "A1",
    ord_type: OrdType | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    stop: str | Decimal | None = None,
    user: str | None = None,
    session: str | None = None,
    channel: Channel = Channel.FIX,
    strategy: str | None = None,
    locate: str | None = None,
    expire_at: datetime | None = None,
    venue: str | None = None,
    cl_ord_id: str | None = None,
) -> NewOrder:
    """A NewOrder with sensible defaults: a LIMIT when a price is given, else MARKET."""
    default_user, default_session = ENTERERS.get(account, ("alice", "S1"))
    if ord_type is None:
        ord_type = OrdType.LIMIT if price is not None else OrdType.MARKET
    return NewOrder(
        cl_ord_id=cl_ord_id or f"C{next(_ids)}",
        account=account,
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        ord_type=ord_type,
        tif=tif,
        origin=OrderOrigin(channel, session or default_session, user or default_user, strategy),
        limit_price=D(price) if price is not None else None,
        stop_price=D(stop) if stop is not None else None,
        expire_at=expire_at,
        locate_id=locate,
        venue=venue,
    )


def kill_entry(scope: KillScope, target: str, mode: KillMode = KillMode.HALT) -> KillEntry:
    return KillEntry(scope, target, mode, "test", "risk-officer", T0)


@dataclass
class Outcome:
    """What the harness did with one message."""

    denial: Denial | None
    results: list[CheckResult]
    ctx: CheckContext
    order_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.denial is None


@dataclass
class Harness:
    """Chain + state + kill switch + clock, wired like the pipeline wires them."""

    policy: Policy = field(default_factory=minimal_policy)
    book: InstrumentBook = field(default_factory=instrument_book)
    state: RiskState = field(default_factory=RiskState)
    kill: KillSwitch = field(default_factory=KillSwitch)
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    chain: ControlChain = field(default_factory=default_chain)
    exec_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # what the pipeline would have sent to the venue: cancels and decrements
    venue_actions: list[tuple[str, Decimal | None]] = field(default_factory=list)

    # ---- the context a pipeline would gather --------------------------------

    def ctx(self, new: NewOrder, replacing: WorkingOrder | None = None) -> CheckContext:
        instrument = self.book.get(new.symbol)
        return CheckContext(
            order=new,
            now=self.clock.now(),
            policy=self.policy,
            state=self.state,
            kill_switch=self.kill,
            venue=new.venue or (instrument.mic if instrument else ""),
            account=self.policy.account(new.account),
            instrument=instrument,
            instrument_policy=self.policy.instrument(new.symbol),
            reference_price=self.book.reference_price(new.symbol),
            fx_rate=self.policy.fx_rate(instrument.currency) if instrument else None,
            replacing=replacing,
        )

    def _prepare(self, new: NewOrder) -> None:
        now = self.clock.now()
        self.state.roll_day(now)
        self.state.note_message(new.origin.throttle_key, new.account, now)

    # ---- messages -----------------------------------------------------------

    def submit(self, new: NewOrder) -> Outcome:
        """Note the message, run the chain, and apply the order only if it is accepted."""
        self._prepare(new)
        ctx = self.ctx(new)
        denial, results = self.chain.evaluate(ctx)
        self._carry_out_self_trade(ctx)
        if denial is not None:
            return Outcome(denial, results, ctx)
        accepted = new
        if ctx.incoming_quantity_override is not None:
            accepted = replace(new, quantity=ctx.incoming_quantity_override)
        now = self.clock.now()
        order_id = self.state.next_order_id(now)
        price_base, valuation = self._prices(ctx)
        self.state.on_accepted(order_id, accepted, now, ctx.venue, price_base, valuation)
        return Outcome(None, results, ctx, order_id)

    def replace_order(self, order_id: str, request: ReplaceRequest) -> Outcome:
        """Check a replace as the order it would become; apply it only if accepted."""
        working = self.state.orders[order_id]
        new = working.replaced_by(request)
        self._prepare(new)
        ctx = self.ctx(new, replacing=working)
        denial, results = self.chain.evaluate(ctx)
        self._carry_out_self_trade(ctx)
        if denial is not None:
            return Outcome(denial, results, ctx, order_id)
        if ctx.incoming_quantity_override is not None:
            new = replace(new, quantity=working.cum_qty + ctx.incoming_quantity_override)
        price_base, valuation = self._prices(ctx)
        self.state.on_replaced(order_id, new, price_base, valuation)
        return Outcome(None, results, ctx, order_id)

    @staticmethod
    def _prices(ctx: CheckContext) -> tuple[Decimal, Decimal]:
        price_base = ctx.price_base
        valuation = ctx.reference_base
        assert price_base is not None and valuation is not None, "an accepted order has prices"
        return price_base, valuation

    def _carry_out_self_trade(self, ctx: CheckContext) -> None:
        for action in ctx.self_trade_actions:
            self.venue_actions.append((action.order_id, action.new_quantity))
            if action.new_quantity is None:
                self.cancel(action.order_id)
            else:
                self.decrement(action.order_id, action.new_quantity)

    # ---- venue reports --------------------------------------------------------

    def report(
        self, order_id: str, kind: ExecType, qty: Decimal | None = None, px: Decimal | None = None
    ) -> WorkingOrder | None:
        working = self.state.orders[order_id]
        instrument = self.book.get(working.order.symbol)
        assert instrument is not None
        fx = self.policy.fx_rate(instrument.currency)
        assert fx is not None
        return self.state.on_execution(
            ExecutionReport(
                order_id=order_id,
                exec_id=f"E{next(self.exec_ids)}",
                exec_type=kind,
                venue=working.venue,
                transact_time=self.clock.now(),
                last_qty=qty,
                last_px=px,
            ),
            fx,
        )

    def fill(self, order_id: str, qty: str | int | Decimal, px: str | Decimal | None = None) -> None:
        """A (partial) fill at ``px``, by default the order's limit price or the reference price."""
        working = self.state.orders[order_id]
        quantity = D(qty)
        price = D(px) if px is not None else working.order.limit_price
        if price is None:
            price = self.book.reference_price(working.order.symbol)
        done = working.cum_qty + quantity >= working.order.quantity
        kind = ExecType.FILL if done else ExecType.PARTIAL_FILL
        self.report(order_id, kind, quantity, price)
        rule = self.policy.firm.execution_throttle
        if rule is not None:
            self.state.on_fill_window(
                working.order.account,
                self.clock.now(),
                timedelta(seconds=float(rule.window_seconds)),
                rule.max_fills,
            )

    def cancel(self, order_id: str) -> None:
        self.report(order_id, ExecType.CANCELED)

    def decrement(self, order_id: str, new_quantity: Decimal) -> None:
        """The venue reduced a resting order's total quantity (self-trade decrement)."""
        working = self.state.orders[order_id]
        reservation = self.state.reservations[order_id]
        self.state.on_replaced(
            order_id,
            replace(working.order, quantity=new_quantity),
            reservation.price_base,
            reservation.valuation_price,
        )


def replace_request(working: WorkingOrder, quantity: str | int | Decimal, **changes: Any) -> ReplaceRequest:
    """A replace of ``working`` by its own enterer."""
    return ReplaceRequest(
        cl_ord_id=f"R{next(_ids)}",
        orig_cl_ord_id=working.order.cl_ord_id,
        account=working.order.account,
        origin=working.order.origin,
        quantity=D(quantity),
        **changes,
    )


def accept(
    h: Harness,
    symbol: str,
    side: Side,
    quantity: str | int | Decimal,
    price: str | Decimal | None,
    *,
    account: str = "A1",
    locate: str | None = None,
) -> str:
    """Submit an order the test needs accepted and return its id; the clock then moves
    10 ms, so a run of them stays under the throttles."""
    outcome = h.submit(order(symbol, side, quantity, price, account=account, locate=locate))
    assert outcome.denial is None, outcome.denial
    assert outcome.order_id is not None
    h.clock.advance(0.01)
    return outcome.order_id
