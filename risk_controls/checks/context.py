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
    open, and ``released_*`` what the old version held.
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
    self_trade_actions: list[SelfTradeAction] = field(default_factory=list)
    incoming_quantity_override: Decimal | None = None

    @property
    def open_quantity(self) -> Decimal:
        if self.replacing is None:
            return self.order.quantity
        return max(self.order.quantity - self.replacing.cum_qty, ZERO)

    @property
    def released_quantity(self) -> Decimal:
        return self.replacing.leaves_qty if self.replacing is not None else ZERO

    @property
    def released_notional(self) -> Decimal:
        if self.replacing is None:
            return ZERO
        reservation = self.state.reservations.get(self.replacing.order_id)
        return self.replacing.leaves_qty * reservation.price_base if reservation else ZERO

    @property
    def pricing_price(self) -> Decimal | None:
        """Price used to value the order: its limit, else the reference price."""
        if self.order.limit_price is not None:
            return self.order.limit_price
        return self.reference_price

    @property
    def price_base(self) -> Decimal | None:
        """The pricing price in the firm's base currency, or None if unknown."""
        price = self.pricing_price
        if price is None or self.fx_rate is None:
            return None
        return price * self.fx_rate

    @property
    def reference_base(self) -> Decimal | None:
        """The reference price in the base currency: exposure lines are valued at it, so a
        line's value moves only when its worst-case position does."""
        if self.reference_price is None or self.fx_rate is None:
            return None
        return self.reference_price * self.fx_rate

    @property
    def notional_base(self) -> Decimal | None:
        price = self.price_base
        return None if price is None else self.open_quantity * price
