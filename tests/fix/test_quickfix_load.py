"""A QuickFIX client drives 10,000 orders through a live acceptor into the real pipeline.

The gateway is the real one (control chain, MiFID tagging, abuse monitors,
router, simulated venue) with the sample policy's throttles opened up so that
10,000 orders a few seconds apart from each other are legitimate; sequence
numbers go through the durable SQLite store. Every order must be
acknowledged exactly once, in sequence, with nothing rejected at any level.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.memory import MemoryAuditLog
from fix.acceptor import FixAcceptor
from fix.config import SessionSettings
from fix.ids import SessionID
from fix.store import SqliteStoreFile
from fix.values import format_utc_timestamp
from gateway.app import build_gateway
from gateway.fix_entry import FixOrderEntry
from gateway.settings import Settings
from risk_controls import events as ev
from tests.fix.qf import LoopThread, QfClient, eventually_equal, fields, session_store

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 10_000


def open_policy(tmp_path: Path) -> Path:
    """The sample policy with message throttles raised (the orders themselves stay checked)."""
    text = (ROOT / "policies" / "default.toml").read_text(encoding="utf-8")
    text = re.sub(r"max_messages = \d+", "max_messages = 1000000", text)
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_quickfix_client_drives_ten_thousand_orders(tmp_path: Path) -> None:
    loop = LoopThread()
    settings = Settings(
        data_dir=tmp_path, policy_path=open_policy(tmp_path), fix_config=None, watch_policy=False
    )
    audit = MemoryAuditLog()
    gateway = build_gateway(settings, audit=audit)
    our_id = SessionID("FIX.4.4", "GW", "DESK1")
    session = SessionSettings(our_id, origin_session="DESK1", allowed_accounts=frozenset({"ACC-APPLE-TSY"}))
    adapter = FixOrderEntry(gateway.pipeline, [session], working_orders=gateway.pipeline)
    store = SqliteStoreFile(tmp_path / "fix.sqlite")
    acceptor = FixAcceptor([session], adapter, authenticator=lambda *a: a[2] == "secret", store=store)
    adapter.attach(acceptor)
    loop.run(acceptor.start())
    client = QfClient(tmp_path / "client", acceptor.port, sender="DESK1", store="memory")
    client.start()
    try:
        client.wait_logon()
        import quickfix as qf

        stamp = format_utc_timestamp(datetime.now(UTC)).decode()
        for i in range(ORDERS):
            message = qf.Message()
            header = message.getHeader()
            header.setField(qf.MsgType("D"))
            header.setField(50, "jsmith")
            message.setField(11, f"L{i}")
            message.setField(1, "ACC-APPLE-TSY")
            message.setField(55, "AAPL")
            message.setField(54, "1")
            # no two orders alike within the duplicate-order window
            message.setField(38, str(1 + i // 1000))
            message.setField(40, "2")
            message.setField(44, f"{218 + (i % 1000) / 100:.2f}")  # below the ask: rests
            message.setField(59, "0")
            message.setField(60, stamp)
            client.send(message)
        acks: dict[str, str] = {}
        started = time.monotonic()
        deadline = time.monotonic() + 120
        while len(acks) < ORDERS and time.monotonic() < deadline:
            raw = client.app.app.get(timeout=max(0.0, deadline - time.monotonic()))
            report = fields(raw)
            assert (report[35], report[150]) == ("8", "0"), report.get(58)
            assert report[11] not in acks, f"{report[11]} acknowledged twice"
            acks[report[11]] = report[37]
        print(f"{ORDERS} orders acknowledged in {time.monotonic() - started:.1f} s")
        assert len(acks) == ORDERS
        assert set(acks) == {f"L{i}" for i in range(ORDERS)}
        session_trouble = [m for m in list(client.app.admin.queue) if fields(m)[35] in "2345"]
        assert session_trouble == []  # no Reject, ResendRequest, SequenceReset or Logout
        ours = loop.call(lambda: session_store(acceptor, our_id))
        eventually_equal(client.session.getExpectedTargetNum, lambda: ours.next_sender_seq)
        eventually_equal(client.session.getExpectedSenderNum, lambda: ours.next_target_seq)
        accepted = {r.payload["order_id"] for r in audit.read() if r.event_type == ev.ORDER_ACCEPTED}
        assert set(acks.values()) <= accepted
    finally:
        client.stop()
        loop.run(acceptor.stop())
        loop.close()
        store.close()
        gateway.close()
