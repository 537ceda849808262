"""Requests the FIX adapter refuses itself are on record and in the denials report.

A desk naming an account its session may not trade, or a side the gateway does not
support, never becomes a domain order, so the control chain never sees it. A risk
officer and a regulator still expect every refused request in the log, in the metrics
and in the denials report, with who sent what; and nothing reaches a venue.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.memory import MemoryAuditLog
from fix.config import SessionSettings
from fix.ids import SessionID
from gateway.fix_entry import FixOrderEntry
from gateway.metrics import GatewayMetrics
from gateway.replay import replay
from reporting import generate_report
from risk_controls import events as ev
from risk_controls.domain.clock import ManualClock
from tests.fix.fakes import RecordingSender, desk_message
from tests.gateway.conftest import make_gateway
from tests.reporting.conftest import read_csv

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
SID = SessionID("FIX.4.4", "GW", "DESK1")
TICKET = "55=AAPL|38=100|40=2|44=228.50|59=0|60=20261123-14:30:00"


def test_orders_and_cancels_refused_by_the_fix_adapter_are_denied_on_record(
    tmp_path: Path, clock: ManualClock
) -> None:
    audit = MemoryAuditLog()
    gateway, spy = make_gateway(tmp_path, audit, clock)
    metrics = GatewayMetrics(gateway)
    gateway.pipeline.observers.append(metrics)
    session = SessionSettings(
        session_id=SID, origin_session="DESK1", allowed_accounts=frozenset({"ACC-APPLE-TSY"})
    )
    adapter = FixOrderEntry(gateway.pipeline, [session], working_orders=gateway.pipeline, clock=clock)
    sender = RecordingSender()
    adapter.attach(sender)

    async def send(msg_type: str, fields: str) -> dict[int, str | None]:
        adapter.from_app(SID, desk_message(msg_type, f"50=jsmith|{fields}", SID, b"DESK1"))
        await adapter.drain()
        [reply] = sender.take(SID)
        return {tag: reply.get(tag) for tag in (37, 39, 150, 58, 434, 54, 40, 59)}

    async def desk() -> list[dict[int, str | None]]:
        return [
            await send("D", f"11=R-1|1=ACC-SOMEONE-ELSE|54=1|{TICKET}"),
            await send("D", f"11=R-2|1=ACC-APPLE-TSY|54=8|{TICKET}"),  # side "cross": not supported
            await send("F", "11=R-3|41=R-1|1=ACC-SOMEONE-ELSE|55=AAPL|54=1|60=20261123-14:30:00"),
        ]

    first, second, cancel = asyncio.run(desk())
    gateway.audit.flush(timeout=10)

    denied = [r.payload for r in audit.read() if r.event_type == ev.ORDER_DENIED]
    assert [(d["cl_ord_id"], d["account"], d["denial"]["code"], d["denial"]["control"]) for d in denied] == [
        ("R-1", "ACC-SOMEONE-ELSE", "NOT_AUTHORIZED_FOR_ACCOUNT", "fix_entry"),
        ("R-2", "ACC-APPLE-TSY", "UNSUPPORTED_ORDER_TYPE", "fix_entry"),
    ]
    assert denied[1]["as_sent"] == {
        "symbol": "AAPL", "side": "8", "quantity": "100", "ord_type": "2", "limit_price": "228.50",
        "time_in_force": "0",
    }  # fmt: skip
    assert denied[0]["as_sent"]["side"] == "BUY" and denied[0]["origin"]["user"] == "jsmith"
    # the desk's Rejected names the order id the refusal is on record under
    assert (first[150], first[39], first[37]) == ("8", "8", denied[0]["order_id"])
    assert (second[150], second[37]) == ("8", denied[1]["order_id"])
    assert second[58] == "UNSUPPORTED_ORDER_TYPE side=8"
    assert (second[54], second[40], second[59]) == ("8", "2", "0")  # restated as sent, not as a stand-in
    [cancel_denied] = [r.payload for r in audit.read() if r.event_type == ev.CANCEL_DENIED]
    assert cancel[434] == "1"  # an OrderCancelReject answering a cancel
    assert (cancel_denied["cl_ord_id"], cancel_denied["account"]) == ("R-3", "ACC-SOMEONE-ELSE")

    assert spy.received == [] and not any(r.event_type == ev.ORDER_RECEIVED for r in audit.read())
    replayed = replay(audit.read())
    assert replayed.state.orders == {}
    assert replayed.state.order_sequence == gateway.pipeline.state.order_sequence  # ids never repeat
    scrape = metrics.render().decode()
    code = 'code="NOT_AUTHORIZED_FOR_ACCOUNT"'
    assert f'gateway_orders_total{{channel="FIX",{code},outcome="denied"}} 1.0' in scrape
    assert f'gateway_amends_total{{channel="FIX",{code},kind="cancel",outcome="denied"}} 1.0' in scrape

    day = date.fromisoformat(next(iter(audit.read())).ts[:10])  # the log's own clock
    generate_report("denials", audit, day, day, "csv", tmp_path / "out", KEY)
    rows = read_csv(tmp_path / "out" / f"denials_{day.isoformat()}.csv")
    columns = ("request", "cl_ord_id", "account", "symbol", "side", "entered_by", "session", "code")
    assert [tuple(r[c] for c in columns) for r in rows] == [
        ("NEW", "R-1", "ACC-SOMEONE-ELSE", "AAPL", "BUY", "jsmith", "DESK1", "NOT_AUTHORIZED_FOR_ACCOUNT"),
        ("NEW", "R-2", "ACC-APPLE-TSY", "AAPL", "8", "jsmith", "DESK1", "UNSUPPORTED_ORDER_TYPE"),
        ("CANCEL", "R-3", "ACC-SOMEONE-ELSE", "AAPL", "BUY", "jsmith", "DESK1", "NOT_AUTHORIZED_FOR_ACCOUNT"),
    ]
    gateway.close()


def test_a_mass_cancel_the_adapter_cannot_carry_out_is_denied_on_record(
    tmp_path: Path, clock: ManualClock
) -> None:
    audit = MemoryAuditLog()
    gateway, spy = make_gateway(tmp_path, audit, clock)
    session = SessionSettings(
        session_id=SID, origin_session="DESK1", allowed_accounts=frozenset({"ACC-APPLE-TSY"})
    )
    adapter = FixOrderEntry(gateway.pipeline, [session], working_orders=gateway.pipeline, clock=clock)
    sender = RecordingSender()
    adapter.attach(sender)

    async def desk() -> None:
        mass_cancel = "50=jsmith|11=MC-1|530=3|60=20261123-14:30:00"  # 3: by product, not supported
        adapter.from_app(SID, desk_message("q", mass_cancel, SID, b"DESK1"))
        await adapter.drain()

    asyncio.run(desk())
    gateway.audit.flush(timeout=10)

    [report] = sender.take(SID)
    assert (report.get(531), report.get(532)) == ("0", "0")  # rejected: type not supported
    [denied] = [r.payload for r in audit.read() if r.event_type == ev.CANCEL_DENIED]
    assert (denied["cl_ord_id"], denied["account"], denied["denial"]["code"]) == (
        "MC-1",
        None,
        "UNSUPPORTED_REQUEST",
    )
    day = date.fromisoformat(next(iter(audit.read())).ts[:10])
    generate_report("denials", audit, day, day, "csv", tmp_path / "out", KEY)
    rows = read_csv(tmp_path / "out" / f"denials_{day.isoformat()}.csv")
    assert [(r["request"], r["cl_ord_id"], r["entered_by"], r["code"]) for r in rows] == [
        ("CANCEL", "MC-1", "jsmith", "UNSUPPORTED_REQUEST")
    ]
    assert spy.received == []
    gateway.close()
