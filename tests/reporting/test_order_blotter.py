"""The order blotter CSV against the records of the day, read independently."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from reporting import generate_report
from risk_controls import events as ev
from risk_controls.domain import ExecType, Side
from tests.reporting.conftest import Generated, read_csv
from tests.reporting.daylog import DayLog

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
TIME_COLUMNS = (
    "received_at", "accepted_at", "routed_at", "acknowledged_at", "first_executed_at",
    "last_executed_at", "cancel_requested_at", "cancelled_at", "closed_at",
)


def test_one_row_per_order_version_received_in_or_before_the_day(generated: Generated) -> None:
    rows = generated.csv("order-blotter")
    received = {r.payload["order_id"] for r in generated.of(ev.ORDER_RECEIVED)}
    replaced = list(generated.of(ev.REPLACE_ACCEPTED))
    fresh = [r for r in rows if r["received_before_period"] == "N"]
    assert len(fresh) == len(received) + len(replaced)
    assert {r["order_id"] for r in fresh} == received
    carried = [r for r in rows if r["received_before_period"] == "Y"]
    assert len(carried) == 1 and carried[0]["status"] == "FILLED"
    assert carried[0]["symbol"] == ""


def test_denied_orders_carry_their_control_code_and_every_check(generated: Generated) -> None:
    by_id = {r["order_id"]: r for r in generated.csv("order-blotter")}
    denied = list(generated.of(ev.ORDER_DENIED))
    assert len(denied) >= 5
    for record in denied:
        row = by_id[record.payload["order_id"]]
        assert row["status"] == "DENIED"
        assert row["denial_code"] == record.payload["denial"]["code"]
        assert row["denial_control"] == record.payload["denial"]["control"]
        assert row["reason"] == record.payload["denial"]["text"]
        assert row["checks"].count(":") >= len(record.payload["checks"])
        assert row["checks"].split("; ")[-1].startswith(
            f"{record.payload['denial']['control']}:DENY:"
        )


def test_executed_quantity_totals_match_the_fills(generated: Generated) -> None:
    rows = generated.csv("order-blotter")
    fills = [
        r.payload for r in generated.of(ev.EXECUTION)
        if r.payload["exec_type"] in ("FILL", "PARTIAL_FILL")
    ]
    final = [r for r in rows if r["status"] != "REPLACED"]
    assert sum(Decimal(r["cum_qty"]) for r in final) == sum(Decimal(f["last_qty"]) for f in fills)
    filled = {r["order_id"] for r in rows if r["status"] == "FILLED"}
    completed = {f["order_id"] for f in fills if f["exec_type"] == "FILL"}
    assert filled == completed


def _confirmed_by_venue(generated: Generated, exec_type: str) -> list[str]:
    """Order ids whose accepted replace the venue answered with ``exec_type``."""
    replaced = {r.payload["order_id"] for r in generated.of(ev.REPLACE_ACCEPTED)}
    return [
        r.payload["order_id"] for r in generated.of(ev.EXECUTION)
        if r.payload["exec_type"] == exec_type and r.payload["order_id"] in replaced
    ]


def test_a_replace_is_marked_as_a_corrected_version(generated: Generated) -> None:
    rows = generated.csv("order-blotter")
    (order_id,) = _confirmed_by_venue(generated, "REPLACED")
    (accepted,) = (r for r in generated.of(ev.REPLACE_ACCEPTED) if r.payload["order_id"] == order_id)
    versions = [r for r in rows if r["order_id"] == accepted.payload["order_id"]]
    assert [v["version"] for v in versions] == ["1", "2"]
    old, new = versions
    assert old["status"] == "REPLACED"
    assert old["replaced_by_cl_ord_id"] == new["cl_ord_id"] == accepted.payload["cl_ord_id"]
    assert new["prior_cl_ord_id"] == old["cl_ord_id"]
    assert Decimal(new["quantity"]) != Decimal(old["quantity"])
    assert new["status"] == "FILLED" and Decimal(new["cum_qty"]) == Decimal(new["quantity"])


def test_a_replace_the_venue_refused_leaves_the_order_working_on(generated: Generated) -> None:
    rows = generated.csv("order-blotter")
    (order_id,) = _confirmed_by_venue(generated, "REPLACE_REJECTED")
    versions = [r for r in rows if r["order_id"] == order_id]
    refused = next(v for v in versions if v["status"] == "REJECTED")
    kept = next(v for v in versions if v["status"] == "FILLED")
    assert refused["version"] == "2" and refused["prior_cl_ord_id"] == kept["cl_ord_id"]
    assert refused["reason"] == "venue refused the replace: price outside the venue's band"
    assert refused["cum_qty"] == "0" and refused["limit_price"] == "430.00"
    assert kept["version"] == "1" and kept["limit_price"] == "415.00"
    assert Decimal(kept["cum_qty"]) == Decimal(kept["quantity"]) == 300
    assert kept["cancel_requested_at"] != ""  # asked, refused by the venue, then filled


def test_orders_cancelled_by_the_kill_switch_say_so(generated: Generated) -> None:
    by_id = {r["order_id"]: r for r in generated.csv("order-blotter")}
    (kill,) = generated.of(ev.KILL_ENGAGED)
    for order_id in kill.payload["cancelled_order_ids"]:
        row = by_id[order_id]
        assert row["status"] == "CANCELED"
        assert "kill switch" in row["reason"] and kill.payload["reason"] in row["reason"]
        assert row["cancelled_at"] == row["closed_at"] != ""


def test_working_orders_come_last_in_arrival_order(generated: Generated) -> None:
    rows = generated.csv("order-blotter")
    flags = [r["working_at_period_end"] for r in rows]
    first_working = flags.index("Y")
    assert all(f == "Y" for f in flags[first_working:])
    working = rows[first_working:]
    assert [int(r["received_seq"]) for r in working] == sorted(int(r["received_seq"]) for r in working)
    terminal = {
        r.payload["order_id"] for r in generated.of(ev.EXECUTION)
        if r.payload["exec_type"] in ("FILL", "CANCELED", "REJECTED", "EXPIRED")
    } | {r.payload["order_id"] for r in generated.of(ev.ORDER_DENIED)}
    received = {r.payload["order_id"] for r in generated.of(ev.ORDER_RECEIVED)}
    assert {r["order_id"] for r in working} == received - terminal


def test_ticket_fields_and_times(generated: Generated) -> None:
    rows = generated.csv("order-blotter")
    for row in rows:
        for column in TIME_COLUMNS:
            assert row[column] == "" or ISO.match(row[column]), (column, row[column])
    short = [r for r in rows if r["side"] == "SELL_SHORT" and r["status"] != "DENIED"]
    assert short and all(r["short_selling_indicator"] == "SESH" for r in short)
    algo = [r for r in rows if r["strategy"] == "twap-1" and r["status"] != "DENIED"]
    assert algo and all(r["algo_indicator"] == "Y" and r["algo_id"] for r in algo)
    routed = [r for r in rows if r["routed_at"]]
    assert routed and all(r["venue_mic"] == "XNAS" for r in routed)
    assert all(r["isin"] for r in rows if r["received_before_period"] == "N")


def test_a_venue_status_that_disagrees_with_the_booking_is_flagged(tmp_path: Path) -> None:
    """A bust missed while disconnected shows only as a status below what is booked: the
    booking stands, and the blotter says why someone must reconcile it with the venue."""
    day = DayLog(datetime(2026, 11, 20, 9, tzinfo=UTC))
    order = day.new_order("ACC-HOUSE", "MSFT", Side.BUY, 10, "415.00")
    day.accept(order)
    day.execution(order, ExecType.NEW)
    day.fill(order, 6, "415.00")
    day.execution(order, ExecType.ORDER_STATUS, text="the venue reports 2 filled, 6 is booked")

    paths = generate_report(
        "order-blotter", day.log, date(2026, 11, 20), date(2026, 11, 20), "csv", tmp_path, day.key
    )

    blotter = next(p for p in paths if p.suffix == ".csv" and "order-blotter" in p.name)
    (row,) = [r for r in read_csv(blotter) if r["order_id"] == order.order_id]
    assert row["status"] == "PARTIALLY_FILLED" and Decimal(row["cum_qty"]) == 6
    assert row["reason"] == (
        "venue status differs from the booking: the venue reports 2 filled, 6 is booked"
    )
