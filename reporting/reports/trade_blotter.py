"""Trade blotter: every fill, one CSV row per execution report that carries a quantity, and
one row for each bust or correction of a fill (``ref_exec_id`` names the fill)."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Bars, Figures, Heading, ReportDocument, Table, Text, amount, count
from reporting.orderfields import origin, short_selling_indicator, tag, venue_mic
from reporting.orders import ZERO, OrderState
from reporting.record import Record
from reporting.scan import ScanResult
from reporting.summaries import Sample, TimeHistogram, top

HEADER = (
    "seq", "recorded_at", "transact_time", "order_id", "cl_ord_id", "order_version", "exec_id",
    "trade_id", "exec_type", "account", "symbol", "isin", "side", "short_selling_indicator",
    "last_qty", "last_px", "notional", "cum_qty", "order_qty", "leaves_qty", "venue",
    "venue_mic", "venue_order_id", "capacity", "client_id", "entered_by", "strategy",
    "order_received_before_period", "ref_exec_id",
)  # fmt: skip
_PX = Decimal("0.000001")
UNKNOWN = "(order received before the period)"
_LARGEST = 25


class TradeBlotter(Projection):
    name = "trade-blotter"
    title = "Trade Blotter"
    csv_header = HEADER

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.fills = 0
        self.qty = ZERO
        self.notional = ZERO
        self.hourly = TimeHistogram(ctx.period)
        self.symbol_qty: defaultdict[str, Decimal] = defaultdict(Decimal)
        self.symbol_notional: defaultdict[str, Decimal] = defaultdict(Decimal)
        self.symbol_fills: Counter[str] = Counter()
        self.venue_fills: Counter[str] = Counter()
        self.account_fills: Counter[str] = Counter()
        self.largest: list[tuple[Decimal, int, tuple[str, ...]]] = []
        self.carried = Sample()
        self.busts = 0
        self.corrections = 0
        ctx.tracker.on_fill(self._fill)
        ctx.tracker.on_trade_amendment(self._amended)

    def _amended(self, s: OrderState, record: Record) -> None:
        """A bust or correction is listed as it came; the fill totals above are as executed."""
        p = record.payload
        if p["exec_type"] == "TRADE_CANCEL":
            self.busts += 1
        else:
            self.corrections += 1
        if self.rows.enabled:
            qty = Decimal(p["last_qty"]) if p.get("last_qty") else None
            px = Decimal(p["last_px"]) if p.get("last_px") else None
            notional = qty * px if qty is not None and px is not None else None
            self._row(s, record, str(s.field("symbol") or ""), qty, px, notional)

    def _fill(self, s: OrderState, record: Record) -> None:
        p = record.payload
        qty, px = Decimal(p["last_qty"]), Decimal(p["last_px"])
        notional = qty * px
        symbol = str(s.field("symbol") or "")
        if self.rows.enabled:
            self._row(s, record, symbol, qty, px, notional)
        self.fills += 1
        self.qty += qty
        self.notional += notional
        self.hourly.add(record.ts)
        key = symbol or UNKNOWN
        self.symbol_qty[key] += qty
        self.symbol_notional[key] += notional
        self.symbol_fills[key] += 1
        self.venue_fills[str(venue_mic(s) or p.get("venue") or UNKNOWN)] += 1
        self.account_fills[str(s.field("account") or UNKNOWN)] += 1
        largest = self.largest
        if len(largest) < _LARGEST or (notional, -record.seq) > largest[0][:2]:
            item = (notional, -record.seq, self._brief(s, record, symbol, qty, px, notional))
            if len(largest) < _LARGEST:
                heapq.heappush(largest, item)
            else:
                heapq.heapreplace(largest, item)
        if s.carried_over:
            self.carried.add(self._brief(s, record, symbol, qty, px, notional))

    def _row(
        self, s: OrderState, record: Record, symbol: str, qty: Decimal | None, px: Decimal | None,
        notional: Decimal | None,
    ) -> None:  # fmt: skip
        p = record.payload
        qty_ordered = s.quantity
        leaves = None if qty_ordered is None else max(qty_ordered - s.cum_qty, ZERO)
        self.rows.write(
            (
                record.seq,
                record.ts,
                p.get("transact_time"),
                s.order_id,
                s.cl_ord_id,
                s.version,
                p.get("exec_id"),
                p.get("trade_id"),
                p.get("exec_type"),
                s.field("account"),
                symbol,
                s.isin,
                s.field("side"),
                short_selling_indicator(s),
                qty,
                px,
                notional,
                s.cum_qty,
                qty_ordered,
                leaves,
                p.get("venue"),
                venue_mic(s),
                p.get("venue_order_id") or s.venue_order_id,
                tag(s, "capacity"),
                tag(s, "client_id"),
                origin(s, "user"),
                origin(s, "strategy"),
                s.carried_over,
                p.get("ref_exec_id"),
            )
        )

    def _brief(
        self, s: OrderState, record: Record, symbol: str, qty: Decimal, px: Decimal,
        notional: Decimal,
    ) -> tuple[str, ...]:  # fmt: skip
        return (
            self.ctx.when(record.ts),
            s.order_id,
            str(s.field("account") or ""),
            symbol,
            str(s.field("side") or ""),
            str(qty),
            str(px),
            amount(notional),
        )

    def document(self, result: ScanResult) -> ReportDocument:
        labels, values = self.hourly.series()
        symbols = tuple(
            (
                sym,
                count(n),
                amount(self.symbol_qty[sym]),
                amount(self.symbol_notional[sym]),
                _vwap(self.symbol_notional[sym], self.symbol_qty[sym]),
            )
            for sym, n in top(self.symbol_fills, 30)
        )
        largest = tuple(row for _, _, row in sorted(self.largest, reverse=True))
        header = ("Time (UTC)", "Order", "Account", "Symbol", "Side", "Qty", "Price", "Notional")
        return ReportDocument(
            self.title,
            (
                Heading("Summary"),
                Text(
                    "Every fill reported by a venue in the period; the CSV has one row per fill "
                    "and one per bust or correction. Figures are as executed, before busts."
                ),
                Figures(
                    "Key figures",
                    (
                        ("Fills", count(self.fills)),
                        ("Executed quantity", amount(self.qty)),
                        ("Executed notional (price currency)", amount(self.notional)),
                        ("Fills of orders received before the period", count(self.carried.total)),
                        ("Fills busted by a venue", count(self.busts)),
                        ("Fills corrected by a venue", count(self.corrections)),
                    ),
                ),
                Bars(f"Fills per {self.hourly.per()} (UTC)", labels, values),
                Table(
                    "By symbol",
                    ("Symbol", "Fills", "Quantity", "Notional", "VWAP"),
                    symbols,
                ),
                Table(
                    "By venue",
                    ("Venue (MIC)", "Fills"),
                    tuple((k, count(v)) for k, v in top(self.venue_fills, 20)),
                ),
                Table(
                    "By account",
                    ("Account", "Fills"),
                    tuple((k, count(v)) for k, v in top(self.account_fills, 25)),
                ),
                Heading("Exceptions"),
                Table(f"The {_LARGEST} largest fills by notional", header, largest),
                Table(
                    "Fills of orders received before the period",
                    header,
                    tuple(self.carried.rows),
                    self.carried.note(self.name),
                ),
            ),
        )


def _vwap(notional: Decimal, qty: Decimal) -> str:
    if not qty:
        return "-"
    return amount((notional / qty).quantize(_PX, ROUND_HALF_EVEN).normalize())
