"""Session-level conformance: our acceptor against QuickFIX as the client."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

from fix.acceptor import FixAcceptor
from fix.codec import FixParser, encode
from fix.config import SessionSettings
from fix.ids import SessionID
from fix.message import FixMessage
from fix.store import SqliteStoreFile, StoreFile
from fix.values import format_utc_timestamp
from tests.fix.qf import (
    LoopThread,
    QfClient,
    all_values,
    drain,
    eventually_equal,
    fields,
    session_store,
    wait_for,
)

OUR_ID = SessionID("FIX.4.4", "GW", "DESK")


class EchoApp:
    """Answers each NewOrderSingle with an ExecutionReport New (enough to test resends)."""

    def __init__(self) -> None:
        self.acceptor: FixAcceptor | None = None
        self.orders: list[FixMessage] = []
        self.logons = 0

    def on_logon(self, session_id: SessionID) -> None:
        self.logons += 1

    def on_logout(self, session_id: SessionID) -> None:
        return None

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        self.orders.append(message)
        assert self.acceptor is not None
        cl = message.require(11)
        self.acceptor.send(
            session_id,
            b"8",
            [
                (37, b"O-" + cl),
                (17, b"E-" + cl),
                (150, b"0"),
                (39, b"0"),
                (55, message.require(55)),
                (54, message.require(54)),
                (151, message.require(38)),
                (14, b"0"),
                (6, b"0"),
                (11, cl),
            ],
        )


def password_is_secret(session: str, user: str | None, password: str | None, peer: str | None) -> bool:
    return password == "secret"


def start_acceptor(
    loop: LoopThread, app: EchoApp, store: StoreFile | None = None, port: int = 0
) -> FixAcceptor:
    settings = SessionSettings(OUR_ID, allowed_accounts=frozenset({"ACC1"}))
    acceptor = FixAcceptor([settings], app, authenticator=password_is_secret, port=port, store=store)
    app.acceptor = acceptor
    loop.run(acceptor.start())
    return acceptor


def new_order(client: QfClient, cl_ord_id: str) -> None:
    client.send_raw_fields(
        "D",
        [
            (11, cl_ord_id),
            (1, "ACC1"),
            (55, "AAPL"),
            (54, "1"),
            (38, "100"),
            (40, "2"),
            (44, "10.5"),
            (59, "0"),
            (60, format_utc_timestamp(datetime.now(UTC)).decode()),
        ],
    )


def test_quickfix_client_logs_on_and_out(loop: LoopThread, tmp_path: Path) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port)
    client.start()
    try:
        client.wait_logon()
        assert loop.call(acceptor.is_logged_on, OUR_ID)
    finally:
        client.stop()
    wait_for(client.app.logouts)
    assert not loop.call(acceptor.is_logged_on, OUR_ID)
    loop.run(acceptor.stop())


def test_bad_password_is_refused_with_a_logout(loop: LoopThread, tmp_path: Path) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port, password="wrong")
    client.start()
    try:
        logout = wait_for(client.app.admin, lambda m: fields(m).get(35) == "5")
        assert "authentication failed" in fields(logout)[58]
        assert client.app.logons.empty()
        assert app.logons == 0
    finally:
        client.stop()
        loop.run(acceptor.stop())


def test_heartbeats_and_test_request(loop: LoopThread, tmp_path: Path) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port, heartbeat=1)
    client.start()
    try:
        client.wait_logon()
        # our own heartbeat (no TestReqID) arrives at the adopted 1 s interval
        wait_for(client.app.admin, lambda m: fields(m).get(35) == "0" and 112 not in fields(m))
        client.send_raw_fields("1", [(112, "PING-42")])
        echo = wait_for(client.app.admin, lambda m: fields(m).get(112) == "PING-42")
        assert fields(echo)[35] == "0"
    finally:
        client.stop()
        loop.run(acceptor.stop())


def test_gap_from_the_client_is_filled_by_resend_request(loop: LoopThread, tmp_path: Path) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port)
    client.start()
    try:
        client.wait_logon()
        new_order(client, "C1")
        wait_for(client.app.app, lambda m: fields(m).get(11) == "C1")
        session = client.session
        session.setNextSenderMsgSeqNum(session.getExpectedSenderNum() + 3)
        new_order(client, "C2")
        resend_request = wait_for(client.app.admin, lambda m: fields(m).get(35) == "2")
        assert fields(resend_request)[16] == "0"
        wait_for(client.app.app, lambda m: fields(m).get(11) == "C2")
        eventually_equal(
            lambda: loop.call(lambda: session_store(acceptor, OUR_ID).next_target_seq),
            session.getExpectedSenderNum,
        )
        assert [m.get(11) for m in app.orders] == [b"C1", b"C2"]
        assert app.orders[1].get(43) == b"Y"  # C2 came again as a possible duplicate
    finally:
        client.stop()
        loop.run(acceptor.stop())


def test_resend_request_from_the_client_replays_execution_reports(loop: LoopThread, tmp_path: Path) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port)
    client.start()
    try:
        client.wait_logon()

        def ours() -> int:
            return int(loop.call(lambda: session_store(acceptor, OUR_ID).next_sender_seq))

        eventually_equal(client.session.getExpectedTargetNum, ours)
        first_er_seq = client.session.getExpectedTargetNum()
        for cl in ("R1", "R2"):
            new_order(client, cl)
            wait_for(client.app.app, lambda m, cl=cl: fields(m).get(11) == cl)
        # QuickFIX counts a message after the callback that showed it to us: let it settle,
        # or its own increment would land on top of the rewind below
        eventually_equal(client.session.getExpectedTargetNum, ours)
        client.session.setNextTargetMsgSeqNum(first_er_seq)
        new_order(client, "R3")  # our ER for R3 is "too high" for the client now
        replayed = [wait_for(client.app.app) for _ in range(3)]
        assert [fields(m)[11] for m in replayed] == ["R1", "R2", "R3"]
        assert [fields(m).get(43) for m in replayed[:2]] == ["Y", "Y"]
        assert all(122 in fields(m) for m in replayed[:2])
        eventually_equal(client.session.getExpectedTargetNum, ours)
    finally:
        client.stop()
        loop.run(acceptor.stop())


def test_sequence_numbers_survive_an_acceptor_restart(loop: LoopThread, tmp_path: Path) -> None:
    path = tmp_path / "fix-store.sqlite"
    app = EchoApp()
    store = SqliteStoreFile(path)
    acceptor = start_acceptor(loop, app, store)
    port = acceptor.port
    client = QfClient(tmp_path / "client", port)
    client.start()
    try:
        client.wait_logon()
        for cl in ("P1", "P2", "P3"):
            new_order(client, cl)
            wait_for(client.app.app, lambda m, cl=cl: fields(m).get(11) == cl)
        loop.run(acceptor.stop())
        persisted_sender = loop.call(lambda: session_store(acceptor, OUR_ID).next_sender_seq)
        store.close()
        wait_for(client.app.logouts)
        drain(client.app.admin)

        store2 = SqliteStoreFile(path)
        acceptor2 = start_acceptor(loop, EchoApp(), store2, port=port)
        client.wait_logon(timeout=15)
        new_order(client, "P4")
        wait_for(client.app.app, lambda m: fields(m).get(11) == "P4")
        # our Logon continues the numbering persisted before the restart: no reset, no Logout
        logon = wait_for(client.app.admin, lambda m: fields(m).get(35) == "A")
        assert int(fields(logon)[34]) == persisted_sender
        assert 141 not in fields(logon)
        ours = loop.call(lambda: session_store(acceptor2, OUR_ID))
        eventually_equal(client.session.getExpectedTargetNum, lambda: ours.next_sender_seq)
        eventually_equal(client.session.getExpectedSenderNum, lambda: ours.next_target_seq)
    finally:
        client.stop()
    loop.run(acceptor2.stop())
    store2.close()


def test_duplicate_logon_is_refused_without_disturbing_the_live_session(
    loop: LoopThread, tmp_path: Path
) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port)
    client.start()
    try:
        client.wait_logon()
        next_sender = loop.call(lambda: session_store(acceptor, OUR_ID).next_sender_seq)
        stamp = format_utc_timestamp(datetime.now(UTC))
        logon = encode(
            b"FIX.4.4",
            [
                (35, b"A"),
                (49, b"DESK"),
                (56, b"GW"),
                (34, b"1"),
                (52, stamp),
                (98, b"0"),
                (108, b"30"),
                (141, b"Y"),
                (554, b"secret"),
            ],
        )
        with socket.create_connection(("127.0.0.1", acceptor.port), timeout=5) as intruder:
            intruder.sendall(logon)
            assert intruder.recv(4096) == b""  # closed without a reply
        assert loop.call(acceptor.is_logged_on, OUR_ID)
        assert loop.call(lambda: session_store(acceptor, OUR_ID).next_sender_seq) == next_sender
        new_order(client, "D1")
        wait_for(client.app.app, lambda m: fields(m).get(11) == "D1")
    finally:
        client.stop()
        loop.run(acceptor.stop())


def test_garbage_on_a_new_connection_does_not_affect_other_sessions(loop: LoopThread, tmp_path: Path) -> None:
    app = EchoApp()
    acceptor = start_acceptor(loop, app)
    client = QfClient(tmp_path, acceptor.port)
    client.start()
    try:
        client.wait_logon()
        with socket.create_connection(("127.0.0.1", acceptor.port), timeout=5) as junk:
            junk.sendall(b"8=FIX.4.4\x019=5\x0135=A\x0110=000\x01GET / HTTP/1.1\r\n\r\n")
            assert junk.recv(4096) == b""
        new_order(client, "G1")
        assert fields(wait_for(client.app.app))[11] == "G1"
    finally:
        client.stop()
        loop.run(acceptor.stop())


def test_parser_reads_what_quickfix_writes(tmp_path: Path) -> None:
    import quickfix as qf

    message = qf.Message()
    message.getHeader().setField(qf.BeginString("FIX.4.4"))
    message.getHeader().setField(qf.MsgType("D"))
    message.setField(11, "X1")
    message.setField(44, "101.25")
    parser = FixParser()
    parser.feed(message.toString().encode())
    parsed = parser.next_message()
    assert parsed is not None
    assert parsed.get(11) == b"X1"
    assert parsed.get_decimal(44) is not None and str(parsed.get_decimal(44)) == "101.25"
    assert all_values(message.toString(), 11) == ["X1"]
