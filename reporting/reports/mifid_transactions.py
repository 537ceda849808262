"""MiFID II transaction report (RTS 22): one CSV row per execution, with the fields the
gateway knows.

The executing entity's LEI is read from the policy in force (``firm.lei``);
client, decision makers, capacity, short-selling, waiver, commodity and SFT
flags come from the MiFID II tags written when the order was accepted.
The price currency is the instrument's, recorded when the order was received
(logs written before it was recorded leave it empty). Fields the gateway
cannot know (the counterparty) are left empty for the reporting firm's ARM to
complete.

A venue's bust of a fill cancels its report (status CANC, same transaction
reference number); a correction cancels it and reports the corrected fill
(NEWT) under the correction's exec id. When the order closed before the
bust, which is the usual case, the NEWT row carries what the correction's
record names and leaves the MiFID II tags to the ARM.
"""

from __future__ import annotations

from decimal import Decimal

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import ReportDocument
from reporting.orderfields import short_selling_indicator, tag, venue_mic
from reporting.orders import OrderState
from reporting.policydiff import parameters
from reporting.record import Record
from reporting.scan import ScanResult
from risk_controls import events as ev

HEADER = (
    "report_status", "transaction_reference_number", "trading_venue_transaction_id",
    "executing_entity_id", "buyer_id", "buyer_id_type", "seller_id", "seller_id_type",
    "trading_date_time", "trading_capacity", "quantity", "price", "price_currency", "venue",
    "instrument_id", "investment_decision_within_firm", "investment_decision_type",
    "execution_within_firm", "execution_decision_type", "waiver_indicator",
    "short_selling_indicator", "commodity_derivative_indicator", "sft_indicator",
    "algo_indicator", "algo_id", "order_id", "cl_ord_id", "exec_id", "account", "symbol",
)  # fmt: skip


def _bool(value: object) -> str | None:
    if value is None:
        return None
    return "true" if value else "false"


class MifidTransactions(Projection):
    name = "mifid-transactions"
    title = "MiFID II Transaction Report (RTS 22)"
    formats = ("csv",)
    csv_header = HEADER
    context_events = (ev.POLICY_LOADED,)

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.policies = ctx.policies
        self._lei_of: dict[str, str | None] = {}
        ctx.tracker.on_fill(self._fill)
        ctx.tracker.on_trade_amendment(self._amended)

    def _amended(self, s: OrderState, record: Record) -> None:
        p = record.payload
        cancelled = f"{s.order_id}-{p.get('ref_exec_id')}"
        empty: list[object] = [None] * len(HEADER)
        row = dict(zip(HEADER, empty, strict=True))
        row.update(
            report_status="CANC",
            transaction_reference_number=cancelled,
            executing_entity_id=self._firm_lei(),
            trading_date_time=p.get("transact_time"),
            order_id=s.order_id,
            cl_ord_id=s.cl_ord_id,
            exec_id=p.get("ref_exec_id"),
            account=s.field("account"),
            symbol=s.field("symbol"),
        )
        self.rows.write(tuple(row.values()))
        if p["exec_type"] == "TRADE_CORRECT" and p.get("last_qty") and p.get("last_px"):
            self._fill(s, record)

    def _firm_lei(self) -> str | None:
        version = self.policies.in_force
        if version is None:
            return None
        if version.policy_hash not in self._lei_of:
            params = parameters(self.policies.content(version)) or {}
            self._lei_of[version.policy_hash] = params.get("firm.lei")
        return self._lei_of[version.policy_hash]

    def _fill(self, s: OrderState, record: Record) -> None:
        p = record.payload
        side = s.field("side")
        client, client_type = tag(s, "client_id"), s.tags.get("client_id_type")
        buy = side == "BUY"
        self.rows.write(
            (
                "NEWT",
                f"{s.order_id}-{p.get('exec_id')}",
                p.get("trade_id"),
                self._firm_lei(),
                client if buy else None,
                client_type if buy else None,
                None if buy or side is None else client,
                None if buy or side is None else client_type,
                p.get("transact_time"),
                tag(s, "capacity"),
                Decimal(p["last_qty"]),
                Decimal(p["last_px"]),
                s.currency or s.tags.get("currency"),
                venue_mic(s),
                s.isin,
                tag(s, "investment_decision"),
                s.tags.get("investment_decision_type"),
                tag(s, "execution_decision"),
                s.tags.get("execution_decision_type"),
                tag(s, "waiver"),
                short_selling_indicator(s) if side else None,
                _bool(tag(s, "commodity_derivative")),
                _bool(tag(s, "sft")),
                _bool(s.tags.get("algo_indicator")),
                s.tags.get("algo_id"),
                s.order_id,
                s.cl_ord_id,
                p.get("exec_id"),
                s.field("account"),
                s.field("symbol"),
            )
        )

    def document(self, result: ScanResult) -> ReportDocument:
        raise ValueError("the MiFID II transaction report is CSV only")
