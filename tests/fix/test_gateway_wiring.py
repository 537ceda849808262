"""``start_fix``: the acceptor as ``gateway serve`` starts it, reached by our own initiator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from audit.memory import MemoryAuditLog
from fix.auth import hash_password
from fix.config import ConnectionType, SessionSettings
from fix.ids import SessionID
from fix.initiator import FixInitiator
from fix.journal import FIX_INBOUND, FIX_OUTBOUND
from fix.message import FixMessage
from fix.values import format_utc_timestamp
from gateway.app import build_gateway
from gateway.fix_entry import start_fix
from gateway.metrics import GatewayMetrics
from gateway.settings import Settings
from risk_controls import events as ev

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=GATEWAY
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
StorePath={store}
NonStopSession=Y
CancelOnDisconnect=Y
[SESSION]
TargetCompID=DESK1
OriginSession=DESK1
AllowedAccounts=ACC-APPLE-TSY
"""


class Desk:
    def __init__(self) -> None:
        self.reports: asyncio.Queue[FixMessage] = asyncio.Queue()

    def on_logon(self, session_id: SessionID) -> None: ...

    def on_logout(self, session_id: SessionID) -> None: ...

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        self.reports.put_nowait(message)


def desk_initiator(port: int, password: str, desk: Desk) -> FixInitiator:
    settings = SessionSettings(
        SessionID("FIX.4.4", "DESK1", "GATEWAY"),
        ConnectionType.INITIATOR,
        connect_host="127.0.0.1",
        connect_port=port,
        reconnect_interval=0.1,
        username="jsmith",
        reset_on_logon=True,
    )
    return FixInitiator([settings], desk, passwords={settings.session_id: password})


def session_metrics(metrics: GatewayMetrics) -> dict[str, int]:
    """The desk session's gauges as /metrics shows them."""
    labels = '{role="acceptor",session="FIX.4.4:GATEWAY->DESK1"}'
    found = {}
    for line in metrics.render().decode().splitlines():
        name, _, value = line.partition(labels + " ")
        if value and name.startswith("gateway_fix_"):
            found[name.removeprefix("gateway_fix_").removeprefix("session_")] = int(float(value))
    return found


def test_start_fix_serves_orders_into_the_pipeline(tmp_path: Path) -> None:
    config = tmp_path / "gateway.cfg"
    config.write_text(CONFIG.format(store=tmp_path / "fix.sqlite"))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "fix-users").write_text(f"FIX.4.4:GATEWAY->DESK1 jsmith {hash_password('s3cret')}\n")
    settings = Settings(
        data_dir=tmp_path,
        policy_path=ROOT / "policies" / "default.toml",
        fix_config=config,
        watch_policy=False,
    )
    gateway = build_gateway(settings, audit=MemoryAuditLog())

    metrics = GatewayMetrics(gateway)

    async def scenario() -> None:
        service = await start_fix(gateway, config)
        port = service.acceptor.port
        intruder = desk_initiator(port, "wrong", Desk())
        await intruder.start()
        await asyncio.sleep(0.3)
        assert not intruder.is_logged_on(SessionID("FIX.4.4", "DESK1", "GATEWAY"))
        await intruder.stop()

        desk = Desk()
        client = desk_initiator(port, "s3cret", desk)
        sid = SessionID("FIX.4.4", "DESK1", "GATEWAY")
        await client.start()
        await client.wait_logged_on(sid, 5)
        stamp = format_utc_timestamp(datetime.now(UTC))
        client.send(
            sid,
            b"D",
            [
                (50, b"jsmith"),
                (11, b"W1"),
                (1, b"ACC-APPLE-TSY"),
                (55, b"AAPL"),
                (54, b"1"),
                (60, stamp),
                (38, b"10"),
                (40, b"2"),
                (44, b"225.00"),
            ],
        )
        ack = await asyncio.wait_for(desk.reports.get(), 5)
        assert (ack.get(150), ack.get(11)) == (b"0", b"W1")
        up = session_metrics(metrics)
        assert up == {"logged_on": 1, "in_schedule": 1, "next_sender_seq": 3, "next_target_seq": 3}
        # logon + order each way; the session is non-stop
        await client.stop()
        await asyncio.sleep(0.1)
        assert session_metrics(metrics)["logged_on"] == 0
        await service.close()

    asyncio.run(scenario())
    kinds = [r.event_type for r in gateway.audit.read()]
    assert ev.ORDER_ACCEPTED in kinds
    assert FIX_INBOUND in kinds and FIX_OUTBOUND in kinds  # the wire is journaled
    cancels = [r.payload for r in gateway.audit.read() if r.event_type == ev.CANCEL_REQUESTED]
    assert [c["origin"]["user"] for c in cancels] == ["cancel-on-disconnect"]
    gateway.close()
