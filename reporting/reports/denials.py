"""Pre-trade denials by control and reason code: counts, time distribution, detail rows.

New orders refused by the control chain (``order.denied``) and refused cancel
and replace requests are all here, one CSV row each, told apart by ``request``,
as are requests refused with AUDIT_UNAVAILABLE after a commit failed in doubt
(``order.decision_withdrawn``).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import Any

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Bars, Figures, Heading, ReportDocument, Table, Text, count, pct
from reporting.orderfields import checks_text, origin
from reporting.orders import OrderState
from reporting.record import Record
from reporting.scan import ScanResult
from reporting.summaries import Sample, TimeHistogram, top
from risk_controls import events as ev

HEADER = (
    "seq", "denied_at", "request", "order_id", "cl_ord_id", "account", "symbol", "side",
    "quantity", "limit_price", "entered_by", "session", "control", "code", "text", "context",
    "checks", "policy_hash",
)  # fmt: skip
_REMEMBERED_REQUESTS = 10_000
_REQUEST = {ev.ORDER_DENIED: "NEW", ev.CANCEL_DENIED: "CANCEL", ev.REPLACE_DENIED: "REPLACE"}
_WITHDRAWN_REQUEST = {ev.ORDER_ACCEPTED: "NEW", ev.CANCEL_REQUESTED: "CANCEL", ev.REPLACE_ACCEPTED: "REPLACE"}
"""The request a withdrawn decision answered (``order.decision_withdrawn``)."""


def context_text(context: dict[str, str] | None) -> str:
    """``max=100000; notional=100001`` with keys in a stable order."""
    return "; ".join(f"{k}={v}" for k, v in sorted((context or {}).items()))


def _order_field(s: OrderState | None, payload: Mapping[str, Any], name: str) -> object:
    """From the order on record, or, for a request refused at entry (never an order),
    from what the client sent."""
    if s is not None:
        return s.field(name)
    return (payload.get("as_sent") or {}).get(name)


def _entered(s: OrderState | None, payload: Mapping[str, Any], name: str) -> str | None:
    if s is not None:
        return origin(s, name)
    value: str | None = (payload.get("origin") or {}).get(name)
    return value


class Denials(Projection):
    name = "denials"
    title = "Pre-trade Denials by Control and Reason Code"
    csv_header = HEADER

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.by_code: Counter[tuple[str, str]] = Counter()
        self.by_control: Counter[str] = Counter()
        self.by_request: Counter[str] = Counter()
        self.by_account: Counter[str] = Counter()
        self.hourly = TimeHistogram(ctx.period)
        self.detail = Sample()
        self._requests: OrderedDict[str, str] = OrderedDict()
        ctx.tracker.on_denial(self._denial)
        ctx.scan.on(ev.CANCEL_REQUESTED, self._cancel_requested)

    def _cancel_requested(self, record: Record) -> None:
        """A cancel names its account; its denial may not (the order may be long gone)."""
        p = record.payload
        if p.get("cl_ord_id") and p.get("account"):
            self._requests[p["cl_ord_id"]] = p["account"]
            if len(self._requests) > _REMEMBERED_REQUESTS:
                self._requests.popitem(last=False)

    def _denial(self, s: OrderState | None, record: Record) -> None:
        p = record.payload
        denial = p["denial"]
        if record.event_type == ev.DECISION_WITHDRAWN:
            request = _WITHDRAWN_REQUEST.get(p.get("withdrawn") or "", "NEW")
        else:
            request = _REQUEST.get(record.event_type, record.event_type)
        account = (
            p.get("account")
            or (s.field("account") if s else None)
            or self._requests.pop(p.get("cl_ord_id") or "", None)
        )
        control, code = str(denial.get("control")), str(denial.get("code"))
        if self.rows.enabled:
            self.rows.write(self._row(s, record, request, account, control, code))
        self.by_code[(control, code)] += 1
        self.by_control[control] += 1
        self.by_request[request] += 1
        self.by_account[str(account or "(unknown)")] += 1
        self.hourly.add(record.ts)
        if self.detail.full:
            self.detail.count()
            return
        self.detail.add(
            (
                self.ctx.when(record.ts), request, str(p.get("order_id") or ""),
                str(account or ""), str(_order_field(s, p, "symbol") or ""), code,
                context_text(denial.get("context")),
            )
        )

    @staticmethod
    def _row(
        s: OrderState | None, record: Record, request: str, account: object, control: str,
        code: str,
    ) -> tuple[object, ...]:  # fmt: skip
        p, denial = record.payload, record.payload["denial"]
        return (
            record.seq, record.ts, request, p.get("order_id"), p.get("cl_ord_id"), account,
            _order_field(s, p, "symbol"), _order_field(s, p, "side"),
            _order_field(s, p, "quantity"), _order_field(s, p, "limit_price"),
            _entered(s, p, "user"), _entered(s, p, "session"),
            control, code, denial.get("text"), context_text(denial.get("context")),
            checks_text(p.get("checks") or []), p.get("policy_hash"),
        )

    def document(self, result: ScanResult) -> ReportDocument:
        total = sum(self.by_control.values())
        received = result.counts.get(ev.ORDER_RECEIVED, 0)
        new_denied = self.by_request["NEW"]
        labels, values = self.hourly.series()
        controls = top(self.by_control, 15)
        codes = tuple(
            (control, code, count(n), pct(n, total))
            for (control, code), n in sorted(self.by_code.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return ReportDocument(
            self.title,
            (
                Heading("Summary"),
                Text(
                    "Each denial names the control that raised it and a stable reason code; the "
                    "CSV has one row per denial with the values behind it and every check that "
                    "was evaluated."
                ),
                Figures(
                    "Key figures",
                    (
                        ("Denials in the period", count(total)),
                        ("New orders denied", count(new_denied)),
                        ("Cancel requests denied", count(self.by_request["CANCEL"])),
                        ("Replace requests denied", count(self.by_request["REPLACE"])),
                        ("New orders received", count(received)),
                        ("Share of new orders denied", pct(new_denied, received)),
                    ),
                ),
                Bars("Denials per control", tuple(c for c, _ in controls),
                     tuple(n for _, n in controls), horizontal=True),
                Table("By control and reason code", ("Control", "Code", "Denials", "Share"),
                      codes),
                Bars(f"Denials per {self.hourly.per()} (UTC)", labels, values),
                Table("By account", ("Account", "Denials"),
                      tuple((k, count(v)) for k, v in top(self.by_account, 25))),
                Heading("Detail"),
                Table(
                    "Denials in order",
                    ("Time (UTC)", "Request", "Order", "Account", "Symbol", "Code", "Values"),
                    tuple(self.detail.rows),
                    self.detail.note(self.name),
                ),
            ),
        )
