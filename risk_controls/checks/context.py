"""Everything a check may look at, gathered once per order by the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from risk_controls.domain import Instrument, NewOrder, WorkingOrder
from risk_controls.domain.money import ZERO
from risk_controls.kill_switch import KillSwitch
from risk_controls.policy.schema import AccountPolicy, InstrumentPolicy, Policy
from risk_controls.state import RiskState


@dataclass(frozen=True, slots=True)
class SelfTradeAction:
    """A resting order to cancel (``new_quantity`` None) or to decrement."""

    order_id: str
    new_quantity: Decimal | None


@dataclass(slots=True)
class CheckContext:
    """The order as it would be, plus read-only views of policy and state.

    For a replace, ``replacing`` is the working order and ``order`` the version
    it would become; ``open_quantity`` is what the new version would leave
    open, and ``released_*`` what the old version held. ``pricing_price`` is the
    limit, else the reference price; ``price_base`` and ``notional_base`` are in
    the firm's base currency; ``reference_base`` values exposure lines.
    """

    order: NewOrder
    now: datetime
    policy: Policy
    state: RiskState
    kill_switch: KillSwitch
    venue: str
    account: AccountPolicy | None
    instrument: Instrument | None
    instrument_policy: InstrumentPolicy | None
    reference_price: Decimal | None
    fx_rate: Decimal | None
    replacing: WorkingOrder | None = None
    self_trade_actions: list[SelfTradeAction] = field(init=False)
    incoming_quantity_override: Decimal | None = field(init=False)
    open_quantity: Decimal = field(init=False)
    released_quantity: Decimal = field(init=False)
    released_notional: Decimal = field(init=False)
    pricing_price: Decimal | None = field(init=False)
    price_base: Decimal | None = field(init=False)
    reference_base: Decimal | None = field(init=False)
    notional_base: Decimal | None = field(init=False)

    def __init__(
        self,
        order: NewOrder,
        now: datetime,
        policy: Policy,
        state: RiskState,
        kill_switch: KillSwitch,
        venue: str,
        account: AccountPolicy | None,
        instrument: Instrument | None,
        instrument_policy: InstrumentPolicy | None,
        reference_price: Decimal | None,
        fx_rate: Decimal | None,
        replacing: WorkingOrder | None = None,
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted even where this module is
        # compiled, and one context is built per order (tests/test_initialisers.py keeps
        # this in step with the fields)
        self.order = order
        self.now = now
        self.policy = policy
        self.state = state
        self.kill_switch = kill_switch
        self.venue = venue
        self.account = account
        self.instrument = instrument
        self.instrument_policy = instrument_policy
        self.reference_price = reference_price
        self.fx_rate = fx_rate
        self.replacing = replacing
        self.self_trade_actions = []
        self.incoming_quantity_override = None
        self.refresh()

    def refresh(self) -> None:
        """Recompute the derived values (after the pipeline amends ``order``)."""
        # Derived values, computed once per order: several checks need each of them.
        replacing = self.replacing
        quantity = self.order.quantity
        self.open_quantity = quantity if replacing is None else max(quantity - replacing.cum_qty, ZERO)
        self.released_quantity = ZERO if replacing is None else replacing.leaves_qty
        released = ZERO
        if replacing is not None:
            reservation = self.state.reservations.get(replacing.order_id)
            released = replacing.leaves_qty * reservation.price_base if reservation else ZERO
        self.released_notional = released
        limit = self.order.limit_price
        pricing = limit if limit is not None else self.reference_price
        self.pricing_price = pricing
        fx = self.fx_rate
        self.price_base = None if pricing is None or fx is None else pricing * fx
        self.reference_base = (
            None if self.reference_price is None or fx is None else self.reference_price * fx
        )
        self.notional_base = None if self.price_base is None else self.open_quantity * self.price_base
