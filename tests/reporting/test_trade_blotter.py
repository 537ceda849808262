"""Trade blotter and MiFID II transaction report: one row per fill, totals from the log."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from risk_controls import events as ev
from tests.reporting.conftest import Generated


def _fills(generated: Generated) -> list[Mapping[str, Any]]:
    return [
        r.payload for r in generated.of(ev.EXECUTION) if r.payload["exec_type"] in ("FILL", "PARTIAL_FILL")
    ]


def _fill_rows(generated: Generated) -> list[dict[str, str]]:
    return [r for r in generated.csv("trade-blotter") if r["exec_type"] in ("FILL", "PARTIAL_FILL")]


def _fill_exec_ids(generated: Generated) -> set[str]:
    return {f["exec_id"] for f in _fills(generated)}


def test_one_row_per_fill_with_matching_totals(generated: Generated) -> None:
    rows = _fill_rows(generated)
    fills = _fills(generated)
    assert [r["exec_id"] for r in rows] == [f["exec_id"] for f in fills]
    assert sum(Decimal(r["last_qty"]) for r in rows) == sum(Decimal(f["last_qty"]) for f in fills)
    notional = sum(Decimal(f["last_qty"]) * Decimal(f["last_px"]) for f in fills)
    assert sum(Decimal(r["notional"]) for r in rows) == notional
    for row in rows:
        assert Decimal(row["notional"]) == Decimal(row["last_qty"]) * Decimal(row["last_px"])


def test_fills_carry_the_order_they_belong_to(generated: Generated) -> None:
    orders = {r.payload["order_id"]: r.payload["order"] for r in generated.of(ev.ORDER_RECEIVED)}
    for row in _fill_rows(generated):
        if row["order_received_before_period"] == "Y":
            assert row["symbol"] == ""
            continue
        order = orders[row["order_id"]]
        assert (row["symbol"], row["side"], row["account"]) == (
            order["symbol"],
            order["side"],
            order["account"],
        )
        assert Decimal(row["leaves_qty"]) == Decimal(row["order_qty"]) - Decimal(row["cum_qty"])


def test_mifid_rows_use_the_tags_and_the_firm_lei_from_the_policy(generated: Generated) -> None:
    rows = [
        r
        for r in generated.csv("mifid-transactions")
        if r["report_status"] == "NEWT" and r["exec_id"] in _fill_exec_ids(generated)
    ]
    fills = _fills(generated)
    assert len(rows) == len(fills)
    tags = {r.payload["order_id"]: r.payload["tags"] for r in generated.of(ev.ORDER_ACCEPTED)}
    assert {r["executing_entity_id"] for r in rows} == {"FOR8UP27PHTHYVLBNG30"}
    assert len({r["transaction_reference_number"] for r in rows}) == len(rows)
    for row in rows:
        tag = tags.get(row["order_id"])
        if tag is None:  # the GTC order accepted the day before
            continue
        assert row["price_currency"] == "USD"  # the instrument's, as recorded on receipt
        assert row["trading_capacity"] == tag["capacity"]
        assert row["investment_decision_within_firm"] == tag["investment_decision"]
        party = row["buyer_id"] or row["seller_id"]
        assert party == tag["client_id"]
        assert row["algo_indicator"] == ("true" if tag["algo_indicator"] else "false")
    shorts = [r for r in rows if r["short_selling_indicator"] == "SESH"]
    assert shorts and all(r["buyer_id"] == "" for r in shorts)


def _amendments(generated: Generated) -> list[Mapping[str, Any]]:
    return [
        r.payload
        for r in generated.of(ev.EXECUTION)
        if r.payload["exec_type"] in ("TRADE_CANCEL", "TRADE_CORRECT")
    ]


def test_busts_and_corrections_are_listed_naming_the_fill_they_amend(generated: Generated) -> None:
    amendments = _amendments(generated)
    assert [a["exec_type"] for a in amendments] == ["TRADE_CORRECT", "TRADE_CANCEL"]
    rows = [r for r in generated.csv("trade-blotter") if r["exec_type"].startswith("TRADE_")]
    assert [(r["exec_id"], r["ref_exec_id"]) for r in rows] == [
        (a["exec_id"], a["ref_exec_id"]) for a in amendments
    ]
    corrected, busted = rows
    assert (corrected["symbol"], corrected["side"], corrected["account"]) == ("NVDA", "BUY", "ACC-APPLE-TSY")
    assert (Decimal(corrected["last_qty"]), Decimal(corrected["last_px"])) == (
        Decimal(400),
        Decimal("140.30"),
    )
    assert busted["last_qty"] == "" and busted["order_received_before_period"] == "N"
    assert "Fills busted by a venue" in generated.pdf_text("trade-blotter")


def test_mifid_cancels_a_busted_transaction_and_reports_a_correction_as_cancel_and_new(
    generated: Generated,
) -> None:
    rows = generated.csv("mifid-transactions")
    new = {r["transaction_reference_number"] for r in rows if r["report_status"] == "NEWT"}
    cancelled = [r["transaction_reference_number"] for r in rows if r["report_status"] == "CANC"]
    fill, correction = (a["ref_exec_id"] for a in _amendments(generated))
    order_id = _amendments(generated)[0]["order_id"]
    assert cancelled == [f"{order_id}-{fill}", f"{order_id}-{correction}"]
    assert set(cancelled) <= new  # each cancellation names a transaction reported before it
    standing = new - set(cancelled)  # what the ARM holds once the cancellations apply
    assert standing == {f"{f['order_id']}-{f['exec_id']}" for f in _fills(generated)} - {f"{order_id}-{fill}"}
    corrected = next(r for r in rows if r["transaction_reference_number"] == f"{order_id}-{correction}")
    assert (Decimal(corrected["quantity"]), Decimal(corrected["price"])) == (Decimal(400), Decimal("140.30"))
    # the order had closed at its fill, but it was among the recently filled: its tags are known
    tags = next(
        r.payload["tags"] for r in generated.of(ev.ORDER_ACCEPTED) if r.payload["order_id"] == order_id
    )
    assert (corrected["buyer_id"], corrected["trading_capacity"]) == (tags["client_id"], tags["capacity"])
    assert corrected["investment_decision_within_firm"] == tags["investment_decision"]
