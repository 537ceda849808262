"""A realistic trading day in an audit log, written only through the events.py builders.

Three UTC days: the day before (policy v1 loaded, a GTC order left working),
the reporting day (policy v2 and a refused policy file, ~90 orders with fills,
denials of several codes, cancels, a replace, a kill switch engaged and
released, abuse alerts, a checkpoint), and the morning after (a few records and
the checkpoint that covers the day). Everything is seeded, so two builds give
the same records with the same hashes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.api import AuditLog, AuditRecord
from audit.checkpoint import CHECKPOINT_EVENT, Ed25519Signer, sign_checkpoint
from audit.memory import MemoryAuditLog
from audit.merkle import leaf_hash, root_of
from audit.record import canonical_bytes
from risk_controls import events as ev
from risk_controls.domain import (
    Channel,
    CheckOutcome,
    CheckResult,
    DenyCode,
    ExecType,
    ExecutionReport,
    NewOrder,
    OrderOrigin,
    OrdType,
    Side,
    TimeInForce,
)
from risk_controls.domain.clock import iso_utc
from risk_controls.domain.decisions import deny

DAY = date(2026, 11, 20)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ISIN = {
    "AAPL": "US0378331005",
    "MSFT": "US5949181045",
    "NVDA": "US67066G1040",
    "AMZN": "US0231351067",
    "TSLA": "US88160R1014",
}
PRICE = {"AAPL": "228.50", "MSFT": "415.20", "NVDA": "140.35", "AMZN": "201.10", "TSLA": "350.00"}
CONTROLS = (
    "kill_switch", "account_enabled", "authorized_for_account", "trading_hours", "order_sanity",
    "restricted_list", "max_order_quantity", "max_order_notional", "price_collar",
    "duplicate_order", "session_throttle", "credit_limit", "position_limit", "short_sale",
    "market_abuse", "mifid_tagging",
)  # fmt: skip
ACCOUNTS = {
    "ACC-APPLE-TSY": ("HWUPKR0MPOU8FGXBT394", "AOTC", "jsmith", "DESK1"),
    "ACC-MSFT-TSY": ("INR2EJN1ERAN0W5ZP974", "AOTC", "jsmith", "DESK2"),
    "ACC-HOUSE": ("FOR8UP27PHTHYVLBNG30", "DEAL", "akhan", "rest"),
}
POLICY_V1 = """\
version = "2026-11-19.1"
restricted = ["TSLA"]

[firm]
lei = "FOR8UP27PHTHYVLBNG30"
max_daily_notional = "250000000"

[firm.collar]
percent = "5"
ticks = 10

[[accounts]]
id = "ACC-APPLE-TSY"
max_order_notional = "5000000"
max_order_quantity = "50000"

[[accounts]]
id = "ACC-MSFT-TSY"
max_order_notional = "1000000"
max_order_quantity = "10000"
"""
POLICY_V2 = POLICY_V1.replace('version = "2026-11-19.1"', 'version = "2026-11-20.1"').replace(
    'max_order_notional = "1000000"', 'max_order_notional = "2000000"'
).replace('percent = "5"', 'percent = "3"')


@dataclass
class Order:
    order_id: str
    order: NewOrder
    filled: Decimal = Decimal(0)


@dataclass
class DayLog:
    """Appends records at a clock the scenario moves; each record 137 µs after the last."""

    start: datetime
    make_log: Callable[[Callable[[], datetime]], AuditLog] | None = None
    """Builds the log from a clock; default an in-memory log. The clock moves 137 µs a call."""
    log: AuditLog = field(init=False)
    key: Ed25519PrivateKey = field(init=False)
    _now: datetime = field(init=False)
    _seq: int = 0
    killed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._now = self.start
        self.key = KEY
        if self.make_log is None:
            self.log = MemoryAuditLog(now=lambda: iso_utc(self._tick()))
        else:
            self.log = self.make_log(self._tick)

    def _tick(self) -> datetime:
        self._now += timedelta(microseconds=137)
        return self._now

    def at(self, when: datetime) -> None:
        self._now = max(self._now, when)

    def append(self, event_type: str, payload: dict[str, Any]) -> None:
        self.log.append(event_type, payload).result(10)

    # --- orders -------------------------------------------------------------

    def new_order(
        self,
        account: str,
        symbol: str,
        side: Side,
        qty: int,
        price: str | None,
        tif: TimeInForce = TimeInForce.DAY,
        strategy: str | None = None,
        cl_ord_id: str | None = None,
    ) -> Order:
        self._seq += 1
        _, _, user, session = ACCOUNTS.get(account, ("", "", "jsmith", "DESK1"))
        origin = OrderOrigin(
            Channel.STRATEGY if strategy else Channel.FIX, session, user, strategy
        )
        order = NewOrder(
            cl_ord_id=cl_ord_id or f"C{self._seq:05d}",
            account=account,
            symbol=symbol,
            side=side,
            quantity=Decimal(qty),
            ord_type=OrdType.LIMIT if price else OrdType.MARKET,
            tif=tif,
            origin=origin,
            limit_price=Decimal(price) if price else None,
            locate_id="LOC-1" if side is Side.SELL_SHORT else None,
        )
        o = Order(f"O{self._seq:06d}", order)
        self.append(ev.ORDER_RECEIVED, ev.received_payload(o.order_id, order, ISIN.get(symbol), "USD"))
        return o

    def tags(self, o: Order) -> dict[str, Any]:
        client, capacity, user, _ = ACCOUNTS[o.order.account]
        algo = o.order.origin.strategy
        short = {"SELL_SHORT": "SESH", "SELL_SHORT_EXEMPT": "SSEX", "SELL": "SELL"}
        return {
            "client_id": client,
            "client_id_type": "LEI",
            "investment_decision": "ALGO-TWAP-1" if algo else f"US1980{user.upper()}",
            "investment_decision_type": "ALGO" if algo else "PERSON",
            "execution_decision": "ALGO-TWAP-1" if algo else f"US1980{user.upper()}",
            "execution_decision_type": "ALGO" if algo else "PERSON",
            "algo_indicator": algo is not None,
            "algo_id": "ALGO-TWAP-1" if algo else None,
            "capacity": capacity,
            "short_selling_indicator": short.get(o.order.side.value),
            "waiver": None,
            "commodity_derivative": False,
            "sft": False,
        }

    def accept(self, o: Order, alerts: list[dict[str, Any]] | None = None) -> None:
        checks = [CheckResult(c, CheckOutcome.PASS) for c in CONTROLS]
        payload = ev.accepted_payload(
            o.order_id, o.order, checks, self.tags(o), alerts or [], self.policy_hash
        )
        self.append(ev.ORDER_ACCEPTED, payload)
        self.append(ev.ORDER_ROUTED, ev.routed_payload(o.order_id, "SIM", "XNAS"))

    def deny(self, o: Order, code: DenyCode, control: str, **context: object) -> None:
        denial = deny(code, control, **context)
        stop = CONTROLS.index(control) if control in CONTROLS else len(CONTROLS)
        checks = [CheckResult(c, CheckOutcome.PASS) for c in CONTROLS[:stop]]
        checks.append(CheckResult(control, CheckOutcome.DENY, denial))
        self.append(
            ev.ORDER_DENIED,
            ev.denied_payload(o.order_id, o.order, denial, checks, self.policy_hash),
        )

    def execution(
        self, o: Order, exec_type: ExecType, qty: Decimal | None = None,
        px: str | None = None, text: str | None = None,
    ) -> None:  # fmt: skip
        self._seq += 1
        report = ExecutionReport(
            order_id=o.order_id,
            exec_id=f"E{self._seq:06d}",
            exec_type=exec_type,
            venue="SIM",
            transact_time=self._now,
            last_qty=qty,
            last_px=Decimal(px) if px else None,
            venue_order_id=f"V{o.order_id}",
            trade_id=f"T{self._seq:06d}" if qty else None,
            text=text,
        )
        self.append(ev.EXECUTION, ev.execution_payload(report))

    def amend_trade(self, o: Order, exec_type: ExecType, ref: str, qty: int | None = None,
                    px: str | None = None) -> str:
        """A venue's bust or correction of fill ``ref``, as the pipeline records it (with the
        order's quantities after it; the order stays done). Returns its exec id."""
        self._seq += 1
        exec_id = f"E{self._seq:06d}"
        payload = ev.execution_payload(
            ExecutionReport(o.order_id, exec_id, exec_type, "SIM", self._now,
                            Decimal(qty) if qty else None, Decimal(px) if px else None,
                            venue_order_id=f"V{o.order_id}")
        )
        payload.update(ref_exec_id=ref, cl_ord_id=o.order.cl_ord_id, account=o.order.account,
                       symbol=o.order.symbol, side=o.order.side.value, status="FILLED",
                       cum_qty=str(qty or 0), avg_px=px or "0")
        self.append(ev.EXECUTION, payload)
        return exec_id

    def fill(self, o: Order, qty: int, px: str) -> None:
        o.filled += qty
        final = o.filled >= o.order.quantity
        self.execution(o, ExecType.FILL if final else ExecType.PARTIAL_FILL, Decimal(qty), px)

    def cancel(self, o: Order, user: str = "jsmith") -> None:
        origin = OrderOrigin(Channel.FIX, "DESK1", user)
        self.append(
            ev.CANCEL_REQUESTED,
            {
                "order_id": o.order_id,
                "cl_ord_id": f"X{o.order.cl_ord_id}",
                "orig_cl_ord_id": o.order.cl_ord_id,
                "account": o.order.account,
                "origin": ev.origin_payload(origin),
            },
        )
        self.execution(o, ExecType.CANCELED, text="cancelled at client request")

    def replace(self, o: Order, qty: int, price: str, venue_refuses: str | None = None) -> None:
        from dataclasses import replace as copy

        new = copy(o.order, cl_ord_id=f"R{o.order.cl_ord_id}", quantity=Decimal(qty),
                   limit_price=Decimal(price))
        self.append(
            ev.REPLACE_REQUESTED,
            {
                "order_id": o.order_id,
                "cl_ord_id": new.cl_ord_id,
                "orig_cl_ord_id": o.order.cl_ord_id,
                "order": ev.order_payload(new),
            },
        )
        checks = [CheckResult(c, CheckOutcome.PASS) for c in CONTROLS]
        self.append(
            ev.REPLACE_ACCEPTED,
            {"order_id": o.order_id, "cl_ord_id": new.cl_ord_id,
             "checks": ev.checks_payload(checks)},
        )
        if venue_refuses:
            self.execution(o, ExecType.REPLACE_REJECTED, text=venue_refuses)
            return
        o.order = new
        self.execution(o, ExecType.REPLACED)

    def amend_denied(self, event_type: str, order_id: str, cl_ord_id: str,
                     code: DenyCode, control: str, **context: object) -> None:  # fmt: skip
        if event_type == ev.CANCEL_DENIED:  # the pipeline records the request first
            self.append(ev.CANCEL_REQUESTED, {
                "order_id": order_id or None, "cl_ord_id": cl_ord_id,
                "orig_cl_ord_id": str(context.get("orig_cl_ord_id", "")),
                "account": "ACC-HOUSE", "origin": ev.origin_payload(
                    OrderOrigin(Channel.FIX, "DESK1", "jsmith"))})
        denial = deny(code, control, **context)
        self.append(
            event_type,
            {"order_id": order_id, "cl_ord_id": cl_ord_id, "denial": ev.denial_payload(denial)},
        )

    # --- controls -----------------------------------------------------------

    policy_hash: str = ""

    def load_policy(self, content: str, by: str, reason: str) -> None:
        import hashlib

        new_hash = hashlib.sha256(content.encode()).hexdigest()
        self.append(
            ev.POLICY_LOADED,
            ev.policy_loaded_payload(
                new_hash, self.policy_hash or None, "policies/firm.toml", by, reason, content
            ),
        )
        self.policy_hash = new_hash

    def checkpoint(self) -> None:
        """A signed checkpoint: the store's own when it has one, else built the same way."""
        checkpoint_now = getattr(self.log, "checkpoint_now", None)
        if checkpoint_now is not None:
            checkpoint_now().result(10)
            return
        records = list(self.log.read())
        leaves = [
            leaf_hash(canonical_bytes(r.seq, r.ts, r.event_type, r.payload)) for r in records
        ]
        signer = Ed25519Signer(self.key)
        cp = sign_checkpoint(
            signer, "test-log", len(records), root_of(leaves),
            bytes.fromhex(records[-1].record_hash), iso_utc(self._now),
        )
        self.append(CHECKPOINT_EVENT, cp.payload())


def _t(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)


def _day_before(d: DayLog) -> Order:
    prev = DAY - timedelta(days=1)
    d.at(_t(prev, 6, 0))
    d.append(ev.GATEWAY_STARTED, {"version": "0.1.0"})
    d.load_policy(POLICY_V1, "ops.deploy", "initial deployment")
    d.at(_t(prev, 14, 0))
    gtc = d.new_order("ACC-APPLE-TSY", "MSFT", Side.BUY, 300, "410.00", tif=TimeInForce.GTC)
    d.accept(gtc)
    d.execution(gtc, ExecType.NEW)
    d.fill(gtc, 100, "410.00")
    done = d.new_order("ACC-HOUSE", "AAPL", Side.BUY, 50, "228.00")
    d.accept(done)
    d.execution(done, ExecType.NEW)
    d.fill(done, 50, "228.00")
    return gtc


Step = tuple[datetime, Callable[[DayLog, dict[str, Order]], None]]


def _policy_changes(d: DayLog, o: dict[str, Order]) -> None:
    d.load_policy(POLICY_V2, "risk.officer", "annual calibration: MSFT treasury limit raised")
    d.append(
        ev.POLICY_REJECTED,
        ev.policy_rejected_payload(
            "policies/firm.toml", "risk.officer",
            [{"file": "policies/firm.toml", "line": 7, "field": "firm.collar.percent",
              "message": "a TOML float is not accepted"}],
            d.policy_hash,
        ),
    )


def _gtc_completes(d: DayLog, o: dict[str, Order]) -> None:
    d.fill(o["gtc"], 200, "409.50")  # yesterday's GTC order completes today


def _denials(d: DayLog, o: dict[str, Order]) -> None:
    restricted = d.new_order("ACC-APPLE-TSY", "TSLA", Side.BUY, 10, "350.00")
    d.deny(restricted, DenyCode.RESTRICTED_INSTRUMENT, "restricted_list", symbol="TSLA")
    big = d.new_order("ACC-MSFT-TSY", "NVDA", Side.BUY, 9000, "140.00")
    d.deny(big, DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER, "max_order_notional",
           max=Decimal(2000000), notional=Decimal(1260000))
    collar = d.new_order("ACC-HOUSE", "AAPL", Side.SELL, 100, "260.00")
    d.deny(collar, DenyCode.PRICE_OUTSIDE_COLLAR, "price_collar", reference="228.50",
           price="260.00", band="3")


def _amendments(d: DayLog, o: dict[str, Order]) -> None:
    replaced = d.new_order("ACC-APPLE-TSY", "AMZN", Side.BUY, 400, "200.00")
    d.accept(replaced)
    d.execution(replaced, ExecType.NEW)
    d.fill(replaced, 100, "200.00")
    d.replace(replaced, 600, "200.50")
    d.fill(replaced, 500, "200.50")
    d.amend_denied(ev.CANCEL_DENIED, replaced.order_id, "XC-late", DenyCode.ORDER_NOT_WORKING,
                   "order_management", status="FILLED")
    rep_denied = d.new_order("ACC-MSFT-TSY", "MSFT", Side.SELL, 200, "416.00")
    d.accept(rep_denied)
    d.execution(rep_denied, ExecType.NEW)
    d.append(ev.REPLACE_REQUESTED, {
        "order_id": rep_denied.order_id, "cl_ord_id": "R-big",
        "orig_cl_ord_id": rep_denied.order.cl_ord_id,
        "order": ev.order_payload(rep_denied.order)})
    d.amend_denied(ev.REPLACE_DENIED, rep_denied.order_id, "R-big",
                   DenyCode.QUANTITY_EXCEEDS_MAX_PER_ORDER, "max_order_quantity",
                   max=10000, quantity=20000)
    refused = d.new_order("ACC-HOUSE", "MSFT", Side.BUY, 300, "415.00")
    d.accept(refused)
    d.execution(refused, ExecType.NEW)
    d.fill(refused, 100, "415.00")
    d.replace(refused, 300, "430.00", venue_refuses="price outside the venue's band")
    d.append(ev.CANCEL_REQUESTED, {
        "order_id": refused.order_id, "cl_ord_id": "X-refused",
        "orig_cl_ord_id": refused.order.cl_ord_id, "account": refused.order.account,
        "origin": ev.origin_payload(refused.order.origin)})
    d.execution(refused, ExecType.CANCEL_REJECTED, text="order is in a closing auction")
    d.fill(refused, 200, "415.00")


def _abuse(d: DayLog, o: dict[str, Order]) -> None:
    layering = d.new_order("ACC-HOUSE", "NVDA", Side.BUY, 100, "140.30")
    alert = ev.abuse_alert_payload("layering", "ACC-HOUSE", "NVDA", "ALERT", layering.order_id,
                                   "8 orders on 3 levels in 10 s, order-to-trade 9.5",
                                   {"orders": "8", "levels": "3", "otr": "9.5"})
    d.append(ev.ABUSE_ALERT, alert)
    d.accept(layering, alerts=[alert])
    d.execution(layering, ExecType.NEW)
    o["layering"] = layering
    momentum = d.new_order("ACC-MSFT-TSY", "NVDA", Side.BUY, 100, "141.00")
    d.append(ev.ABUSE_ALERT, ev.abuse_alert_payload(
        "momentum_ignition", "ACC-MSFT-TSY", "NVDA", "BLOCK", momentum.order_id,
        "16 aggressive orders in 1 s", {"aggressive_orders": "16", "window_ms": "1000"}))
    d.deny(momentum, DenyCode.MARKET_ABUSE_BLOCKED, "market_abuse", monitor="momentum_ignition")


def _self_trade(d: DayLog, o: dict[str, Order]) -> None:
    self_trade = d.new_order("ACC-HOUSE", "NVDA", Side.SELL, 100, "140.30")
    d.append(ev.ABUSE_ALERT, ev.abuse_alert_payload(
        "self_trade", "ACC-HOUSE", "NVDA", "BLOCK", self_trade.order_id,
        "would match resting order of the same beneficial owner",
        {"resting": o["layering"].order_id}))
    d.deny(self_trade, DenyCode.SELF_TRADE_PREVENTED, "self_trade",
           resting=o["layering"].order_id)
    for name, symbol, side, qty, px in (
        ("w1", "AAPL", Side.BUY, 1000, "227.00"),
        ("w2", "MSFT", Side.SELL_SHORT, 500, "418.00"),
    ):
        o[name] = d.new_order("ACC-APPLE-TSY", symbol, side, qty, px)
        d.accept(o[name])
        d.execution(o[name], ExecType.NEW)


def _kill(d: DayLog, o: dict[str, Order]) -> None:
    """Kill switch on the Apple treasury account: its two working orders are cancelled."""
    d.append(ev.KILL_ENGAGED, ev.kill_engaged_payload(
        "account", "ACC-APPLE-TSY", "HALT", "runaway algo suspected", "risk.officer",
        [o["w1"].order_id, o["w2"].order_id]))
    d.killed.add("ACC-APPLE-TSY")
    d.execution(o["w1"], ExecType.CANCELED, text="kill switch")
    d.execution(o["w2"], ExecType.CANCELED, text="kill switch")


def _release(d: DayLog, o: dict[str, Order]) -> None:
    d.append(ev.KILL_RELEASED, ev.kill_released_payload(
        "account", "ACC-APPLE-TSY", "algo fixed and re-certified", "risk.officer", "cro"))
    d.killed.discard("ACC-APPLE-TSY")


def _venue_reject(d: DayLog, o: dict[str, Order]) -> None:
    rejected = d.new_order("ACC-HOUSE", "AMZN", Side.BUY, 100, "201.00")
    d.accept(rejected)
    d.execution(rejected, ExecType.REJECTED, text="venue halted the symbol")
    d.amend_denied(ev.CANCEL_DENIED, "", "X-unknown", DenyCode.UNKNOWN_ORDER,
                   "order_management", orig_cl_ord_id="C99999")


def _busted(d: DayLog, o: dict[str, Order]) -> None:
    """A fill the venue corrects (price), then busts: the order closed at the fill."""
    amended = d.new_order("ACC-APPLE-TSY", "NVDA", Side.BUY, 400, "140.35")
    d.accept(amended)
    d.execution(amended, ExecType.NEW)
    d.fill(amended, 400, "140.35")
    filled = f"E{d._seq:06d}"
    corrected = d.amend_trade(amended, ExecType.TRADE_CORRECT, filled, 400, "140.30")
    d.amend_trade(amended, ExecType.TRADE_CANCEL, corrected)


def _left_working(d: DayLog, o: dict[str, Order]) -> None:
    open_a = d.new_order("ACC-HOUSE", "MSFT", Side.BUY, 300, "400.00", tif=TimeInForce.GTC)
    d.accept(open_a)
    d.execution(open_a, ExecType.NEW)
    open_b = d.new_order("ACC-APPLE-TSY", "AAPL", Side.SELL, 800, "240.00")
    d.accept(open_b)
    d.execution(open_b, ExecType.NEW)
    d.fill(open_b, 200, "240.00")


def _scripted() -> list[Step]:
    """The day's exceptions, at fixed times."""
    return [
        (_t(DAY, 7, 0), _policy_changes),
        (_t(DAY, 9, 1), _gtc_completes),
        (_t(DAY, 9, 30), _denials),
        (_t(DAY, 10, 15), _amendments),
        (_t(DAY, 11, 0), _abuse),
        (_t(DAY, 11, 40), _self_trade),
        (_t(DAY, 12, 0), _kill),
        (_t(DAY, 12, 30), _release),
        (_t(DAY, 13, 0), _venue_reject),
        (_t(DAY, 14, 10), _busted),
        (_t(DAY, 15, 55), _left_working),
    ]


def _flow_order(d: DayLog, rng: random.Random) -> None:
    """Ordinary flow: mostly fills, some cancels, some denials."""
    account = rng.choice(list(ACCOUNTS))
    symbol = rng.choice(["AAPL", "MSFT", "NVDA", "AMZN"])
    side = rng.choice([Side.BUY, Side.BUY, Side.SELL, Side.SELL_SHORT])
    qty = rng.choice([100, 200, 500, 1000])
    px = PRICE[symbol]
    strategy = "twap-1" if rng.random() < 0.2 else None
    o = d.new_order(account, symbol, side, qty, px, strategy=strategy)
    roll = rng.random()
    if account in d.killed:
        d.deny(o, DenyCode.KILL_SWITCH_ENGAGED, "kill_switch", scope="account", target=account)
    elif roll < 0.12:
        d.deny(o, DenyCode.CREDIT_LIMIT_EXCEEDED, "credit_limit", limit="5000000",
               exposure=str(4900000 + qty * 100))
    elif roll < 0.17:
        d.deny(o, DenyCode.DUPLICATE_ORDER, "duplicate_order", seen=2, max=1, window_ms=1000)
    else:
        d.accept(o)
        d.execution(o, ExecType.NEW)
        if roll < 0.30:
            d.cancel(o, user=rng.choice(["jsmith", "akhan"]))
        elif roll < 0.45:
            d.fill(o, qty // 2, px)
            d.fill(o, qty - qty // 2, px)
        else:
            d.fill(o, qty, px)


@dataclass
class SampleLog:
    log: AuditLog
    day: date
    key: Ed25519PrivateKey

    def memory_records(self) -> list[AuditRecord]:
        """The in-memory log's own list of records, for tests that tamper with the log."""
        assert isinstance(self.log, MemoryAuditLog)
        return self.log._records


def build_sample_log(
    make_log: Callable[[Callable[[], datetime]], AuditLog] | None = None,
) -> SampleLog:
    d = DayLog(_t(DAY - timedelta(days=1), 5, 0), make_log)
    orders = {"gtc": _day_before(d)}
    rng = random.Random(20261120)
    steps = _scripted()
    for i in range(70):
        when = _t(DAY, 8, 0) + timedelta(seconds=i * 410 + rng.randint(0, 300))
        while steps and steps[0][0] <= when:
            at, step = steps.pop(0)
            d.at(at)
            step(d, orders)
        d.at(when)
        _flow_order(d, rng)
    for at, step in steps:
        d.at(at)
        step(d, orders)
    d.at(_t(DAY, 17, 0))
    d.checkpoint()
    d.at(_t(DAY + timedelta(days=1), 0, 0, 1))
    d.append(ev.GATEWAY_STARTED, {"version": "0.1.0"})
    late = d.new_order("ACC-HOUSE", "AAPL", Side.BUY, 10, "228.50")
    d.accept(late)
    d.checkpoint()
    return SampleLog(d.log, DAY, d.key)
