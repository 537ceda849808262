"""Whatever a FIX venue reports, the books stay sound.

Hypothesis plays a faulty venue: execution reports for orders the gateway routed there,
with each field usually right and sometimes not (fills with no, zero, negative or huge
quantities and prices, repeated ExecIDs, unknown ClOrdIDs, corrections of fills that never
were, reports after the order ended, status answers with impossible CumQty or AvgPx).
Each report either reaches the pipeline or is refused at the session level (a Reject the
venue sees); nothing raises anything else or logs an error, and no order ever shows a
negative filled or leaves quantity.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.memory import MemoryAuditLog
from fix.application import BusinessReject, UnsupportedMessageType
from fix.codec import encode, parse
from fix.config import ConnectionType, SessionSettings
from fix.errors import FieldError
from fix.ids import SessionID
from fix.message import Field
from fix.spec import dictionary
from fix.venue import FixVenue
from gateway.app import Gateway, build_gateway
from gateway.settings import Settings
from risk_controls.domain import ReplaceRequest
from risk_controls.domain.clock import ManualClock
from tests.gateway.conftest import DESK, POLICY, order

ODD_QTY = ["0", "-5", "9" * 30, "0.0000001", ""]
ODD_PX = ["0", "-1", "9" * 30, ""]

Report = dict[int, str]


EXEC_TYPES = {
    "FIX.4.4": ["0", "F", "F", "F", "4", "5", "8", "C", "H", "G", "D", "6", "I"],
    "FIX.4.2": ["0", "1", "2", "2", "4", "5", "8", "C", "6"],  # busts, corrections, status by 20
}
PRICED = {"F", "G", "1", "2"}


@st.composite
def reports(draw: st.DrawFn, version: str) -> list[Report]:
    """Reports on the orders routed so far: "ORDER" is replaced by one of their ClOrdIDs."""
    made: list[Report] = []
    for _ in range(draw(st.integers(1, 6))):
        exec_type = draw(st.sampled_from(EXEC_TYPES[version]))
        trans = draw(st.sampled_from(["0", "0", "0", "1", "2", "3"])) if version == "FIX.4.2" else None
        odd = draw(st.sampled_from([False, False, True]))
        report: Report = {
            11: draw(st.sampled_from(["ORDER", "ORDER", "NOSUCH"])),
            37: "V1",
            17: draw(st.sampled_from(["E1", "E2", "E3", "E4", "E5"])),
            150: exec_type,
            39: draw(st.sampled_from(["0", "1", "2", "4", "8"])),
            55: "AAPL",
            54: "1",
            151: draw(st.sampled_from(["50", "0", "100"])),
            14: draw(st.sampled_from(["0", "10", "50", "100", "150", *(ODD_QTY[2:4] if odd else [])])),
            6: draw(st.sampled_from(ODD_PX)) if odd else "228.50",
        }
        if trans is not None:
            report[20] = trans  # ExecTransType: 1 cancels (busts), 2 corrects an earlier fill
        if exec_type in PRICED or trans == "2":
            report[32] = draw(st.sampled_from(ODD_QTY)) if odd else draw(st.sampled_from(["1", "10", "50"]))
            report[31] = draw(st.sampled_from(ODD_PX)) if odd else "228.50"
        if exec_type in ("H", "G") or trans in ("1", "2"):
            report[19] = draw(st.sampled_from(["E1", "E2", "NOPE"]))
        made.append({tag: value for tag, value in report.items() if value != ""})
    return made


class Exchange:
    """A gateway whose FIX venue reports arrive from the test, on one loop for every example."""

    def __init__(self, gateway: Gateway, venue: FixVenue, clock: ManualClock) -> None:
        self.gateway, self.venue, self.clock = gateway, venue, clock
        self.version = venue.session_id.begin_string
        self.loop = asyncio.new_event_loop()
        self.dictionary = dictionary(self.version)
        self.routed: list[str] = []
        self.made = 0

    def route(self) -> str:
        """A fresh order for the venue, through the whole chain."""
        self.made += 1
        price, qty = f"228.{self.made % 100:02d}", str(100 + self.made // 100)  # never a duplicate
        submitted = order(f"VF{self.made}", qty=qty, price=price, venue="XFIX")
        self.clock.advance(0.01)  # orders 10 ms apart: under the account's throttle
        result = self.loop.run_until_complete(self.gateway.pipeline.submit(submitted))
        assert result.accepted, result.denial
        self.routed.append(result.order_id)
        return result.order_id

    def deliver(self, report: Report) -> str:
        """Hand the venue one report as its session would: validated, then to the application."""
        if report.get(11) == "ORDER":
            report = {**report, 11: self.routed[-1]}
        fields: list[Field] = [
            (35, b"8"),
            (49, b"XFIX"),
            (56, b"GW"),
            (34, b"2"),
            (52, b"20261123-10:00:00"),
        ]
        fields += [(tag, value.encode()) for tag, value in report.items()]
        message = parse(encode(self.version.encode(), fields))

        async def run() -> str:
            try:
                self.dictionary.validate(message)
                self.venue.from_app(self.venue.session_id, message)
            except FieldError:
                return "session reject"
            except (BusinessReject, UnsupportedMessageType):
                return "business reject"
            await asyncio.sleep(0)  # the pipeline's follow-ups on this loop
            return "delivered"

        return self.loop.run_until_complete(run())


@pytest.fixture(scope="module", params=["FIX.4.4", "FIX.4.2"])
def exchange(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exchange]:
    session = SessionID(request.param, "GW", "XFIX")
    settings = SessionSettings(session, ConnectionType.INITIATOR, connect_host="127.0.0.1", connect_port=1)
    venue = FixVenue("XFIX", settings)
    data = tmp_path_factory.mktemp("venue-fuzz")
    clock = ManualClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # a Monday, markets open
    gateway = build_gateway(
        Settings(data_dir=data, policy_path=POLICY, fix_config=None),
        audit=MemoryAuditLog(),
        venues={"XFIX": venue},
        clock=clock,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FixVenue, "logged_on", property(lambda self: True))  # its session is up
        made = Exchange(gateway, venue, clock)
        yield made
    made.loop.close()
    gateway.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_venue_report_breaks_the_books(
    exchange: Exchange, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    batch = data.draw(reports(exchange.version))
    exchange.route()
    for report in batch:
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            exchange.deliver(report)
        assert not [r.getMessage() for r in caplog.records if r.name != "fix.venue"], report
        for order_id in exchange.routed:
            working = exchange.gateway.pipeline.state.orders.get(order_id)
            if working is None:
                continue  # finished
            assert working.cum_qty >= 0 and working.leaves_qty >= 0, (report, working)
            assert working.cum_qty <= working.order.quantity or not working.status.is_working, report


def test_an_impossible_fill_is_refused_at_the_session_and_nothing_is_booked(exchange: Exchange) -> None:
    order_id = exchange.route()
    before = exchange.venue.refused_reports
    fill = {11: "ORDER", 37: "V9", 17: "X1", 150: "F", 39: "2", 55: "AAPL", 54: "1", 151: "0", 14: "1"}
    if exchange.version == "FIX.4.2":
        fill |= {20: "0", 150: "2"}
    fill |= {6: "228.50", 31: "228.50"}
    for qty, px in [("100000", "228.50"), ("-1", "228.50"), ("1", "0"), ("1", "1" + "0" * 15)]:
        assert exchange.deliver({**fill, 32: qty, 31: px}) == "session reject"
    working = exchange.gateway.pipeline.state.orders[order_id]
    assert working.cum_qty == 0 and working.status.is_working
    assert exchange.venue.refused_reports == before + 4
    assert exchange.deliver({**fill, 32: "1", 39: "1", 151: "99"}) == "delivered"  # a real one still books
    assert working.cum_qty == 1


def test_a_fill_of_the_old_version_while_a_smaller_replace_is_in_flight_is_booked(
    exchange: Exchange,
) -> None:
    """The venue may fill the version it still has: with a replace down to 50 in flight, a
    fill of 90 on the order of 100+ is a real trade, not an impossible one."""
    order_id = exchange.route()
    pipeline = exchange.gateway.pipeline
    working = pipeline.state.orders[order_id]
    request = ReplaceRequest(
        f"{working.order.cl_ord_id}-R",
        working.order.cl_ord_id,
        working.order.account,
        DESK,
        Decimal(50),
        working.order.limit_price,
    )
    assert exchange.loop.run_until_complete(pipeline.replace(request)).accepted
    before = exchange.venue.refused_reports
    fill = {11: "ORDER", 37: "V7", 17: "R1", 150: "F", 39: "1", 55: "AAPL", 54: "1", 151: "10", 14: "90"}
    if exchange.version == "FIX.4.2":
        fill |= {20: "0", 150: "1"}
    assert exchange.deliver({**fill, 6: "228.50", 31: "228.50", 32: "90"}) == "delivered"
    assert exchange.venue.refused_reports == before
    assert pipeline.state.orders[order_id].cum_qty == 90
