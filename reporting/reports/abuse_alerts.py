"""Market-abuse alerts: layering, momentum ignition and self-trade monitors (MAR)."""

from __future__ import annotations

from collections import Counter

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Bars, Figures, Heading, ReportDocument, Table, Text, count
from reporting.record import Record
from reporting.scan import ScanResult
from reporting.summaries import Sample, TimeHistogram, top
from risk_controls import events as ev

HEADER = (
    "seq", "at", "monitor", "action", "account", "symbol", "order_id", "message", "metrics",
)
_ABUSE_CODES = frozenset({"MARKET_ABUSE_BLOCKED", "SELF_TRADE_PREVENTED"})


def metrics_text(metrics: dict[str, str] | None) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((metrics or {}).items()))


class AbuseAlerts(Projection):
    name = "abuse-alerts"
    title = "Market-abuse Alerts"
    csv_header = HEADER

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.by_monitor: Counter[tuple[str, str]] = Counter()
        self.by_account: Counter[str] = Counter()
        self.by_symbol: Counter[str] = Counter()
        self.hourly = TimeHistogram(ctx.period)
        self.blocked_orders: Counter[str] = Counter()
        self.detail = Sample()
        ctx.scan.on(ev.ABUSE_ALERT, self._alert)
        ctx.scan.on(ev.ORDER_DENIED, self._denied)

    def _alert(self, record: Record) -> None:
        p = record.payload
        monitor, action = str(p.get("monitor")), str(p.get("action"))
        self.rows.write(
            (
                record.seq, record.ts, monitor, action, p.get("account"), p.get("symbol"),
                p.get("order_id"), p.get("message"), metrics_text(p.get("metrics")),
            )
        )
        self.by_monitor[(monitor, action)] += 1
        self.by_account[str(p.get("account"))] += 1
        self.by_symbol[str(p.get("symbol"))] += 1
        self.hourly.add(record.ts)
        self.detail.add(
            (
                self.ctx.when(record.ts), monitor, action, str(p.get("account") or ""),
                str(p.get("symbol") or ""), str(p.get("order_id") or ""),
                str(p.get("message") or ""),
            )
        )

    def _denied(self, record: Record) -> None:
        code = str(record.payload.get("denial", {}).get("code"))
        if code in _ABUSE_CODES:
            self.blocked_orders[code] += 1

    def document(self, result: ScanResult) -> ReportDocument:
        total = sum(self.by_monitor.values())
        monitors = tuple(
            (m, a, count(n))
            for (m, a), n in sorted(self.by_monitor.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        labels, values = self.hourly.series()
        return ReportDocument(
            self.title,
            (
                Heading("Summary"),
                Text(
                    "Alerts raised by the market-abuse monitors. ALERT means the order went on "
                    "and compliance was told; BLOCK means the order was refused."
                ),
                Figures(
                    "Key figures",
                    (
                        ("Alerts", count(total)),
                        ("Action ALERT", count(sum(n for (_, a), n in self.by_monitor.items()
                                                   if a == "ALERT"))),
                        ("Action BLOCK", count(sum(n for (_, a), n in self.by_monitor.items()
                                                   if a == "BLOCK"))),
                        ("Orders denied MARKET_ABUSE_BLOCKED",
                         count(self.blocked_orders["MARKET_ABUSE_BLOCKED"])),
                        ("Orders denied SELF_TRADE_PREVENTED",
                         count(self.blocked_orders["SELF_TRADE_PREVENTED"])),
                    ),
                ),
                Table("By monitor and action", ("Monitor", "Action", "Alerts"), monitors),
                Bars(f"Alerts per {self.hourly.per()} (UTC)", labels, values),
                Table("By account", ("Account", "Alerts"),
                      tuple((k, count(v)) for k, v in top(self.by_account, 25))),
                Table("By symbol", ("Symbol", "Alerts"),
                      tuple((k, count(v)) for k, v in top(self.by_symbol, 25))),
                Heading("Detail"),
                Table(
                    "Alerts in order",
                    ("Time (UTC)", "Monitor", "Action", "Account", "Symbol", "Order", "Message"),
                    tuple(self.detail.rows),
                    self.detail.note(self.name),
                ),
            ),
        )
