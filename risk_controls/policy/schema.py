"""The policy schema: every limit is a parameter a risk officer sets, none is a constant.

Amounts are decimal strings in the file (``max_order_notional = "250000"``);
TOML floats are refused so that no limit is ever silently rounded. Notionals
are in the firm's base currency, converted with ``fx_rates``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from risk_controls.domain.money import to_decimal
from risk_controls.domain.orders import OrdType, TimeInForce


def _money(value: object) -> Decimal:
    return to_decimal(value)


MAX_AMOUNT = Decimal("1e15")
"""No limit, rate or ratio in a policy reaches a quadrillion: a larger value is a typo, and
would overflow the 28-digit decimal arithmetic of the controls, which would then fail every
order (fail closed, but for no reason a risk officer could read)."""
MAX_WINDOW_SECONDS = 86_400
"""Rate windows (throttles, monitors) are at most a day; daily caps have fields of their own."""

Amount = Annotated[Decimal, BeforeValidator(_money), Field(ge=0, le=MAX_AMOUNT)]
PositiveAmount = Annotated[Decimal, BeforeValidator(_money), Field(gt=0, le=MAX_AMOUNT)]
Seconds = Annotated[Decimal, BeforeValidator(_money), Field(gt=0, le=MAX_WINDOW_SECONDS)]
Milliseconds = Annotated[int, Field(gt=0, le=MAX_WINDOW_SECONDS * 1000)]

SelfTradeMode = Literal["cancel-resting", "cancel-incoming", "cancel-both", "decrement"]
AbuseAction = Literal["alert", "block"]
DecisionType = Literal["PERSON", "ALGO"]
ClientIdType = Literal["LEI", "SHORT_CODE"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TradingHours(Strict):
    """Daily window in UTC; ``end`` is exclusive. weekdays: 0 = Monday ... 6 = Sunday.

    A window may cross midnight (``start = 22:00``, ``end = 06:00``): each session then
    belongs to the weekday it opens on, so Friday 22:00 to Saturday 06:00 is Friday's.
    """

    start: time = time(0, 0)
    end: time = time(23, 59, 59, 999999)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = [0, 1, 2, 3, 4]

    @model_validator(mode="after")
    def _not_empty(self) -> TradingHours:
        if self.start == self.end:
            raise ValueError(
                "start equals end: the window would be empty (all day is 00:00 to 23:59:59.999999)"
            )
        return self

    def is_open(self, moment: datetime) -> bool:
        """True when ``moment`` (UTC) falls in a session that opened on a trading weekday."""
        clock = moment.time()
        if self.start < self.end:
            return self.start <= clock < self.end and moment.weekday() in self.weekdays
        if clock >= self.start:  # the evening part: today's session
            return moment.weekday() in self.weekdays
        if clock < self.end:  # the morning part: the session that opened yesterday
            return (moment.weekday() - 1) % 7 in self.weekdays
        return False


class Collar(Strict):
    """Allowed distance from the reference price, in percent and/or ticks.

    When both are set the wider band applies (ticks protect low-priced names).
    """

    percent: Amount | None = None
    ticks: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Collar:
        if self.percent is None and self.ticks is None:
            raise ValueError("a collar needs percent or ticks")
        return self


class DuplicateRule(Strict):
    """At most ``max_count`` identical orders (account/instrument/side/qty/price) per window."""

    window_ms: Milliseconds = 1000
    max_count: Annotated[int, Field(ge=1)] = 1

    @cached_property
    def span(self) -> timedelta:
        return timedelta(milliseconds=self.window_ms)


class Throttle(Strict):
    max_messages: Annotated[int, Field(gt=0)]
    per_seconds: Seconds = Decimal(1)

    @cached_property
    def span(self) -> timedelta:
        """per_seconds as a timedelta, computed once (checks read it on every order)."""
        return timedelta(seconds=float(self.per_seconds))


class ExecutionThrottle(Strict):
    """RTS 6 15(3): after ``max_fills`` fills within the window, block until a person re-enables."""

    max_fills: Annotated[int, Field(gt=0)]
    window_seconds: Seconds


class MifidDefaults(Strict):
    """MiFID II RTS 22 attributes; unset fields fall through to the next level."""

    client_id: str | None = None
    client_id_type: ClientIdType | None = None
    investment_decision: str | None = None
    investment_decision_type: DecisionType | None = None
    execution_decision: str | None = None
    execution_decision_type: DecisionType | None = None
    capacity: Literal["DEAL", "MTCH", "AOTC"] | None = None
    waiver: str | None = None
    commodity_derivative: bool | None = None
    sft: bool | None = None
    allow_order_overrides: bool | None = None


class LayeringMonitor(Strict):
    """Spoofing/layering: many one-sided orders at several levels, mostly cancelled, few trades."""

    window_seconds: Seconds = Decimal(10)
    min_orders: Annotated[int, Field(gt=0)] = 10
    min_levels: Annotated[int, Field(gt=0)] = 3
    max_order_to_trade_ratio: PositiveAmount = Decimal(20)
    max_cancel_ratio: Annotated[Decimal, BeforeValidator(_money), Field(gt=0, le=1)] = Decimal("0.9")


class MomentumMonitor(Strict):
    """Momentum ignition: a burst of aggressive (marketable) orders on one side."""

    window_ms: Milliseconds = 1000
    max_aggressive_orders: Annotated[int, Field(gt=0)] = 20


class AbusePolicy(Strict):
    layering: LayeringMonitor = LayeringMonitor()
    momentum: MomentumMonitor = MomentumMonitor()
    default_action: AbuseAction = "alert"


class FirmPolicy(Strict):
    id: str
    name: str
    lei: str
    base_currency: str = "USD"
    max_daily_notional: Amount
    max_gross_exposure: Amount
    trading_hours: TradingHours = TradingHours()
    collar: Collar = Collar(percent=Decimal(5))
    duplicate: DuplicateRule = DuplicateRule()
    session_throttle: Throttle = Throttle(max_messages=100)
    execution_throttle: ExecutionThrottle | None = None
    order_types: list[Literal["MARKET", "LIMIT", "STOP", "STOP_LIMIT"]] = [
        "MARKET",
        "LIMIT",
        "STOP",
        "STOP_LIMIT",
    ]
    time_in_force: list[Literal["DAY", "GTC", "IOC", "FOK", "GTD"]] = [
        "DAY",
        "GTC",
        "IOC",
        "FOK",
        "GTD",
    ]
    kill_release_needs_second_officer: bool = False
    mifid: MifidDefaults = MifidDefaults()

    @cached_property
    def allowed_order_types(self) -> frozenset[OrdType]:
        return frozenset(OrdType(x) for x in self.order_types)

    @cached_property
    def allowed_time_in_force(self) -> frozenset[TimeInForce]:
        return frozenset(TimeInForce(x) for x in self.time_in_force)


class AccountPolicy(Strict):
    id: str
    enabled: bool = True
    beneficial_owner: str | None = None
    authorized_users: list[str] = []
    authorized_sessions: list[str] = []
    authorized_strategies: list[str] = []
    instruments: list[str] = ["*"]
    venues: list[str] = ["*"]
    max_order_quantity: PositiveAmount
    max_order_notional: PositiveAmount
    max_daily_notional: Amount
    max_gross_exposure: Amount
    max_position: Amount
    position_limits: dict[str, Amount] = {}
    max_daily_orders: Annotated[int, Field(gt=0)] = 10_000
    throttle: Throttle = Throttle(max_messages=50)
    self_trade_mode: SelfTradeMode = "cancel-resting"
    abuse_action: AbuseAction | None = None
    short_locate_required: bool = True
    mifid: MifidDefaults = MifidDefaults()

    def position_limit(self, symbol: str) -> Decimal:
        return self.position_limits.get(symbol, self.max_position)

    def permits_instrument(self, symbol: str) -> bool:
        return "*" in self.instruments or symbol in self.instruments

    def permits_venue(self, venue: str) -> bool:
        return "*" in self.venues or venue in self.venues


class InstrumentPolicy(Strict):
    symbol: str
    max_order_quantity: PositiveAmount | None = None
    max_order_notional: PositiveAmount | None = None
    collar: Collar | None = None


class TraderPolicy(Strict):
    id: str
    mifid: MifidDefaults = MifidDefaults()


class StrategyPolicy(Strict):
    id: str
    algo_id: str
    mifid: MifidDefaults = MifidDefaults()


class SessionPolicy(Strict):
    id: str
    throttle: Throttle | None = None
    mifid: MifidDefaults = MifidDefaults()


class Policy(Strict):
    """A complete policy version. Built once per load; lookups are dict-backed."""

    version: str
    description: str = ""
    fx_rates: dict[str, PositiveAmount] = {"USD": Decimal(1)}
    firm: FirmPolicy
    accounts: list[AccountPolicy]
    instruments: list[InstrumentPolicy] = []
    traders: list[TraderPolicy] = []
    strategies: list[StrategyPolicy] = []
    sessions: list[SessionPolicy] = []
    restricted: list[str] = []
    abuse: AbusePolicy = AbusePolicy()

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        for label, items in (
            ("accounts", [a.id for a in self.accounts]),
            ("instruments", [i.symbol for i in self.instruments]),
            ("traders", [t.id for t in self.traders]),
            ("strategies", [s.id for s in self.strategies]),
            ("sessions", [s.id for s in self.sessions]),
        ):
            seen: set[str] = set()
            for item in items:
                if item in seen:
                    raise ValueError(f"duplicate id {item!r} in {label}")
                seen.add(item)
        if self.firm.base_currency not in self.fx_rates:
            raise ValueError(f"fx_rates has no rate for base currency {self.firm.base_currency}")
        return self

    def model_post_init(self, context: object, /) -> None:
        # Lookup tables go straight into the instance dict: pydantic private attributes
        # are read through __getattr__, which costs microseconds on the order path.
        owners: dict[str, list[str]] = {}
        for account in self.accounts:
            owners.setdefault(account.beneficial_owner or account.id, []).append(account.id)
        index = {
            "_accounts": {a.id: a for a in self.accounts},
            "_instruments": {i.symbol: i for i in self.instruments},
            "_traders": {t.id: t for t in self.traders},
            "_strategies": {s.id: s for s in self.strategies},
            "_sessions": {s.id: s for s in self.sessions},
            "_restricted": frozenset(self.restricted),
            "_owners": {owner: tuple(ids) for owner, ids in owners.items()},
        }
        for name, value in index.items():
            object.__setattr__(self, name, value)

    if TYPE_CHECKING:
        _accounts: dict[str, AccountPolicy]
        _instruments: dict[str, InstrumentPolicy]
        _traders: dict[str, TraderPolicy]
        _strategies: dict[str, StrategyPolicy]
        _sessions: dict[str, SessionPolicy]
        _restricted: frozenset[str]
        _owners: dict[str, tuple[str, ...]]

    def account(self, account_id: str) -> AccountPolicy | None:
        return self._accounts.get(account_id)

    def instrument(self, symbol: str) -> InstrumentPolicy | None:
        return self._instruments.get(symbol)

    def trader(self, trader_id: str) -> TraderPolicy | None:
        return self._traders.get(trader_id)

    def strategy(self, strategy_id: str) -> StrategyPolicy | None:
        return self._strategies.get(strategy_id)

    def session(self, session_id: str) -> SessionPolicy | None:
        return self._sessions.get(session_id)

    def accounts_of_owner(self, account: AccountPolicy) -> tuple[str, ...]:
        """Accounts with the same beneficial owner (self-trade prevention group)."""
        return self._owners.get(account.beneficial_owner or account.id, (account.id,))

    def is_restricted(self, symbol: str) -> bool:
        return symbol in self._restricted

    def fx_rate(self, currency: str) -> Decimal | None:
        return self.fx_rates.get(currency)
