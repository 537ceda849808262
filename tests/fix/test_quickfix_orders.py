"""Order flows end to end: QuickFIX client -> our acceptor -> FIX adapter -> the real pipeline.

The pipeline is the gateway's own (control chain, MiFID tagging, audit log,
router, simulated venue) built from the sample policy; the audit log is the
in-memory one so the test stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.memory import MemoryAuditLog
from fix.acceptor import FixAcceptor
from fix.config import SessionSettings
from fix.ids import SessionID
from fix.journal import Direction, WireRecord
from fix.values import format_utc_timestamp
from gateway.app import Gateway, build_gateway
from gateway.fix_entry import FixOrderEntry
from gateway.settings import Settings
from risk_controls import events as ev
from tests.fix.qf import LoopThread, QfClient, fields, wait_for

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "default.toml"
OUR_ID = SessionID("FIX.4.4", "GW", "DESK1")


@dataclass
class Live:
    loop: LoopThread
    gateway: Gateway
    acceptor: FixAcceptor
    adapter: FixOrderEntry
    client: QfClient
    wire: list[WireRecord]

    def order(
        self,
        cl: str,
        symbol: str = "AAPL",
        side: str = "1",
        qty: str = "100",
        price: str | None = "225.00",
        account: str = "ACC-APPLE-TSY",
    ) -> None:
        body = [
            (11, cl),
            (1, account),
            (55, symbol),
            (54, side),
            (38, qty),
            (40, "2" if price else "1"),
            (59, "0" if price else "3"),
            (60, _now()),
        ]
        if price:
            body.append((44, price))
        self.send("D", body)

    def send(self, msg_type: str, body: list[tuple[int, str]]) -> None:
        import quickfix as qf

        message = qf.Message()
        message.getHeader().setField(qf.MsgType(msg_type))
        message.getHeader().setField(50, "jsmith")
        for tag, value in body:
            message.setField(tag, value)
        self.client.send(message)

    def next_app(self, predicate: object = None) -> dict[int, str]:
        return fields(wait_for(self.client.app.app, predicate))

    def records(self, event_type: str) -> list[dict[str, object]]:
        return [dict(r.payload) for r in self.gateway.audit.read() if r.event_type == event_type]


def _now() -> str:
    return format_utc_timestamp(datetime.now(UTC)).decode()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    loop = LoopThread()
    settings = Settings(data_dir=tmp_path, policy_path=POLICY, fix_config=None, watch_policy=False)
    gateway = build_gateway(settings, audit=MemoryAuditLog())
    session = SessionSettings(
        OUR_ID,
        origin_session="DESK1",
        allowed_accounts=frozenset({"ACC-APPLE-TSY", "ACC-MSFT-TSY", "ACC-DORMANT"}),
        cancel_on_disconnect=True,
    )
    adapter = FixOrderEntry(gateway.pipeline, [session], working_orders=gateway.pipeline)
    wire: list[WireRecord] = []
    acceptor = FixAcceptor([session], adapter, authenticator=lambda *a: a[2] == "secret", journal=wire.append)
    adapter.attach(acceptor)
    loop.run(acceptor.start())
    client = QfClient(tmp_path / "client", acceptor.port, target="GW", sender="DESK1")
    client.start()
    client.wait_logon()
    yield Live(loop, gateway, acceptor, adapter, client, wire)
    client.stop()
    loop.run(acceptor.stop())
    loop.close()
    gateway.close()


def test_resting_order_is_acknowledged_after_its_durable_acceptance(live: Live) -> None:
    live.order("A1")
    ack = live.next_app()
    assert (ack[35], ack[150], ack[39], ack[11]) == ("8", "0", "0", "A1")
    accepted = live.records(ev.ORDER_ACCEPTED)
    assert [r["order_id"] for r in accepted] == [ack[37]]
    # every FIX message in and out was journaled
    kinds = {(r.direction, r.msg_type) for r in live.wire}
    assert {(Direction.IN, "D"), (Direction.OUT, "8"), (Direction.IN, "A")} <= kinds


def test_denied_order_carries_the_denial_code(live: Live) -> None:
    live.order("R1", symbol="TSLA", price="338.00")
    rejected = live.next_app()
    assert (rejected[150], rejected[39]) == ("8", "8")
    assert rejected[58].startswith("RESTRICTED_INSTRUMENT")
    assert [r["denial"]["code"] for r in live.records(ev.ORDER_DENIED)] == [  # type: ignore[index]
        "RESTRICTED_INSTRUMENT"
    ]


def test_cancel_flow(live: Live) -> None:
    live.order("C1")
    ack = live.next_app()
    live.send("F", [(11, "C1-X"), (41, "C1"), (1, "ACC-APPLE-TSY"), (55, "AAPL"), (54, "1"), (60, _now())])
    reports = [live.next_app(), live.next_app()]
    assert [(r[150], r[39], r[11], r[41]) for r in reports] == [
        ("6", "6", "C1-X", "C1"),
        ("4", "4", "C1-X", "C1"),
    ]
    assert reports[1][37] == ack[37] and reports[1][151] == "0"


def test_replace_flow(live: Live) -> None:
    live.order("P1")
    live.next_app()
    live.send(
        "G",
        [
            (11, "P2"),
            (41, "P1"),
            (1, "ACC-APPLE-TSY"),
            (55, "AAPL"),
            (54, "1"),
            (38, "150"),
            (40, "2"),
            (44, "226.00"),
            (59, "0"),
            (60, _now()),
        ],
    )
    pending = live.next_app()
    replaced = live.next_app()
    assert (pending[150], pending[11], pending[41]) == ("E", "P2", "P1")
    assert (replaced[150], replaced[39], replaced[11], replaced[41]) == ("5", "0", "P2", "P1")
    assert (replaced[38], replaced[44], replaced[151]) == ("150", "226.00", "150")


def test_cancel_of_unknown_order_is_rejected(live: Live) -> None:
    live.send("F", [(11, "U1-X"), (41, "NEVER"), (1, "ACC-APPLE-TSY"), (55, "AAPL"), (54, "1"), (60, _now())])
    reject = live.next_app()
    assert (reject[35], reject[434], reject[102], reject[39]) == ("9", "1", "1", "8")
    assert reject[58].startswith("UNKNOWN_ORDER")


def test_marketable_order_fills(live: Live) -> None:
    live.order("M1", price="229.00", qty="10")
    ack = live.next_app()
    assert ack[150] == "0"
    fill = live.next_app(lambda m: fields(m).get(150) == "F")
    assert fill[11] == "M1" and fill[14] != "0"
    assert float(fill[31]) <= 229.0  # reading a price to compare, not to store


def test_short_sell_and_status_request(live: Live) -> None:
    live.order("S1", side="5", price="240.00", qty="10")
    report = live.next_app()
    assert report[54] == "5"
    live.send("H", [(11, "S1"), (55, "AAPL"), (54, "5"), (790, "Q1")])
    status = live.next_app(lambda m: fields(m).get(150) == "I")
    assert status[790] == "Q1" and status[11] == "S1"


def test_cancel_on_disconnect(live: Live) -> None:
    live.order("D1")
    ack = live.next_app()
    live.client.stop()
    wait_for(live.client.app.logouts)

    def still_working() -> list[str]:
        return [w.order_id for w in live.gateway.pipeline.working_orders(session="DESK1")]

    import time

    deadline = time.monotonic() + 10
    while live.loop.call(still_working) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.loop.call(still_working) == []
    cancels = [r for r in live.records(ev.CANCEL_REQUESTED) if r["order_id"] == ack[37]]
    assert cancels and cancels[0]["origin"]["user"] == "cancel-on-disconnect"  # type: ignore[index]


def test_kill_switch_with_session_scope(live: Live) -> None:
    from risk_controls.kill_switch import KillScope

    live.order("K1")
    ack = live.next_app()
    outcome = live.loop.run(
        live.gateway.kill.engage(KillScope.SESSION, "DESK1", "desk runaway", "risk-officer")
    )
    assert outcome.cancelled == 1
    canceled = live.next_app()
    assert (canceled[150], canceled[39], canceled[11], canceled[37]) == ("4", "4", "K1", ack[37])
    assert 41 not in canceled  # unsolicited: nobody asked for it on this session
    live.order("K2")
    refused = live.next_app()
    assert (refused[150], refused[39]) == ("8", "8")
    assert refused[58].startswith("KILL_SWITCH_ENGAGED")
