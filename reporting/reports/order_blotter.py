"""Order blotter: every order version, executed or not, with its order-ticket fields.

One CSV row per order version (17a-3(a)(6)/(7) order tickets, CAT lifecycle,
RTS 22 decision makers): a replace closes the old version as REPLACED, naming
its successor, and opens the next version naming its prior client order id.
Rows are written as versions close; orders still working when the period ends
come last, in arrival order, marked ``working_at_period_end``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reporting.base import Context, Projection
from reporting.csvout import RowSink, decimal_text
from reporting.document import Bars, Figures, Heading, ReportDocument, Table, Text, amount, count
from reporting.orderfields import SHORT_MARKING, checks_text, denial_field
from reporting.orders import ZERO, OrderState
from reporting.scan import ScanResult
from reporting.summaries import Sample, TimeHistogram, top

HEADER = (
    "received_seq", "order_id", "version", "cl_ord_id", "prior_cl_ord_id",
    "replaced_by_cl_ord_id", "account", "channel", "session", "entered_by", "strategy",
    "client_id", "investment_decision", "execution_decision", "algo_indicator", "algo_id",
    "capacity", "symbol", "isin", "side", "short_selling_indicator", "quantity", "cum_qty",
    "leaves_qty", "avg_px", "ord_type", "limit_price", "stop_price", "tif", "expire_at",
    "locate_id", "received_at", "accepted_at", "routed_at", "acknowledged_at",
    "first_executed_at", "last_executed_at", "cancel_requested_at", "cancelled_at", "closed_at",
    "venue", "venue_mic", "venue_order_id", "status", "reason", "denial_control", "denial_code",
    "checks", "abuse_alerts", "policy_hash", "received_before_period", "working_at_period_end",
)  # fmt: skip


_NONE: dict[str, Any] = {}


def blotter_row(s: OrderState) -> tuple[str | None, ...]:
    """The CSV row of one order version (locals instead of helpers: this runs per order)."""
    o = s.order or _NONE
    org = o.get("origin") or _NONE
    overrides = o.get("mifid_overrides") or _NONE
    tags = s.tags

    def tag(name: str) -> Any:
        value = tags.get(name)
        return overrides.get(name) if value is None else value

    denial = s.denial or _NONE
    side = o.get("side")
    algo = tags.get("algo_indicator")
    return (
        str(s.received_seq), s.order_id, str(s.version), o.get("cl_ord_id"), s.prior_cl_ord_id,
        s.replaced_by, o.get("account"), org.get("channel"), org.get("session"), org.get("user"),
        org.get("strategy"), tag("client_id"), tag("investment_decision"),
        tag("execution_decision"), None if algo is None else ("Y" if algo else "N"),
        tags.get("algo_id"),
        tag("capacity"), o.get("symbol"), s.isin, side,
        tags.get("short_selling_indicator") or SHORT_MARKING.get(side or ""),
        o.get("quantity"), decimal_text(s.cum_qty), decimal_text(s.leaves_qty), s.avg_px,
        o.get("ord_type"),
        o.get("limit_price"), o.get("stop_price"), o.get("tif"), o.get("expire_at"),
        o.get("locate_id"), s.received_at, s.accepted_at, s.routed_at, s.acknowledged_at,
        s.first_executed_at, s.last_executed_at, s.cancel_requested_at,
        s.closed_at if s.status == "CANCELED" else None, s.closed_at, s.venue, s.mic or s.venue,
        s.venue_order_id, s.status, s.reason, denial.get("control"), denial.get("code"),
        checks_text(s.checks), str(s.alerts), s.policy_hash, "Y" if s.carried_over else "N",
        "Y" if s.open_at_end else "N",
    )  # fmt: skip


_ID = ("Order", "Account", "Symbol", "Side", "Qty")
EXCEPTION_HEADERS = {
    "denied": (*_ID, "Received (UTC)", "Control", "Reason"),
    "killed": (*_ID, "Filled", "Cancelled (UTC)", "Kill switch"),
    "working": (*_ID, "Filled", "Received (UTC)", "Status"),
    "carried": ("Order", "First record", "Filled", "Status", "Closed (UTC)"),
}


def _ident(s: OrderState) -> tuple[str, ...]:
    return (
        s.order_id, str(s.field("account") or ""), str(s.field("symbol") or ""),
        str(s.field("side") or ""), str(s.field("quantity") or ""),
    )


def _belongs(kind: str, s: OrderState) -> bool:
    if kind == "denied":
        return s.status == "DENIED"
    if kind == "killed":
        return bool(s.kill_note) and s.status == "CANCELED"
    if kind == "working":
        return s.open_at_end
    return s.carried_over


class OrderBlotter(Projection):
    name = "order-blotter"
    title = "Order Blotter"
    csv_header = HEADER

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.status: Counter[str] = Counter()
        self.by_account: Counter[str] = Counter()
        self.by_symbol: Counter[str] = Counter()
        self.denied_by_account: Counter[str] = Counter()
        self.hourly = TimeHistogram(ctx.period)
        self.new_orders = 0
        self.versions = 0
        self.executed_qty = ZERO
        self.executed_notional = ZERO
        self.denied = Sample()
        self.killed = Sample()
        self.working = Sample()
        self.carried = Sample()
        self._samples = (
            ("denied", self.denied),
            ("killed", self.killed),
            ("working", self.working),
            ("carried", self.carried),
        )
        ctx.tracker.on_close(self._close)

    def _close(self, s: OrderState) -> None:
        if self.rows.enabled:
            self.rows.write_text(blotter_row(s))
        self.versions += 1
        self.status["WORKING" if s.open_at_end else s.status] += 1
        if s.version == 1 and not s.carried_over:
            self.new_orders += 1
            self.hourly.add(s.received_at)
            self.by_account[str(s.field("account"))] += 1
            self.by_symbol[str(s.field("symbol"))] += 1
        if s.status != "REPLACED":
            self.executed_qty += s.cum_qty
            self.executed_notional += s.cum_notional
        if s.status == "DENIED":
            self.denied_by_account[str(s.field("account"))] += 1
        for kind, sample in self._samples:
            if _belongs(kind, s):
                if sample.full:
                    sample.count()
                else:
                    sample.add(self._exception_row(kind, s))

    def _exception_row(self, kind: str, s: OrderState) -> tuple[str, ...]:
        when, filled = self.ctx.when, decimal_text(s.cum_qty)
        if kind == "denied":
            code = denial_field(s, "code") or ""
            return (*_ident(s), when(s.received_at), denial_field(s, "control") or "",
                    s.reason or code)  # fmt: skip
        if kind == "killed":
            return (*_ident(s), filled, when(s.closed_at), s.kill_note or "")
        if kind == "working":
            return (*_ident(s), filled, when(s.received_at), s.status)
        closed = "working at period end" if s.open_at_end else when(s.closed_at)
        return (s.order_id, f"seq {s.received_seq}", filled, s.status, closed)

    def document(self, result: ScanResult) -> ReportDocument:
        st = self.status
        figures = Figures(
            "Key figures",
            (
                ("New orders received in the period", count(self.new_orders)),
                ("Order versions (rows in the CSV)", count(self.versions)),
                ("Denied pre-trade", count(st["DENIED"])),
                ("Filled", count(st["FILLED"])),
                ("Cancelled", count(st["CANCELED"])),
                ("Rejected by the venue", count(st["REJECTED"])),
                ("Expired", count(st["EXPIRED"])),
                ("Replaced (corrected by a later version)", count(st["REPLACED"])),
                ("Working at the end of the period", count(st["WORKING"])),
                ("Received before the period (carried over)", count(self.carried.total)),
                ("Records after their order closed (late cancels, stray reports)",
                 count(self.ctx.tracker.late_events)),
                ("Executed quantity", amount(self.executed_qty)),
                ("Executed notional (price currency)", amount(self.executed_notional)),
            ),
        )
        labels, values = self.hourly.series()
        by_status = tuple((k, count(v)) for k, v in top(st, 20))
        accounts = tuple(
            (k, count(v), count(self.denied_by_account[k])) for k, v in top(self.by_account, 25)
        )
        symbols = tuple((k, count(v)) for k, v in top(self.by_symbol, 25))
        return ReportDocument(
            self.title,
            (
                Heading("Summary"),
                Text(
                    "Every order received in the period, executed or not, one row per order "
                    "version in the CSV with every pre-trade check result. This PDF summarises "
                    "and lists the exceptions; the CSV holds the full detail."
                ),
                figures,
                Bars(f"New orders per {self.hourly.per()} (UTC)", labels, values),
                Table("Order versions by final status", ("Status", "Versions"), by_status),
                Table("New orders by account", ("Account", "Orders", "Denied"), accounts),
                Table("New orders by symbol", ("Symbol", "Orders"), symbols),
                Heading("Exceptions"),
                self._sample("Denied orders", "denied", self.denied),
                self._sample("Orders cancelled by a kill switch", "killed", self.killed),
                self._sample("Orders working at the end of the period", "working", self.working),
                self._sample("Orders received before the period", "carried", self.carried),
            ),
        )

    def _sample(self, title: str, kind: str, sample: Sample) -> Table:
        return Table(title, EXCEPTION_HEADERS[kind], tuple(sample.rows), sample.note(self.name))


__all__ = ["HEADER", "OrderBlotter", "blotter_row"]
