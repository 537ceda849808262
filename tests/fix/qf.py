"""QuickFIX (quickfix-ssl) as the independent FIX engine in conformance tests.

QuickFIX runs its own threads; our acceptor runs on an asyncio loop in a
background thread (:class:`LoopThread`). Tests talk to both synchronously and
wait on queues with deadlines (a deadline only decides when to give up: no
assertion is about time).
"""

from __future__ import annotations

import asyncio
import queue
import re
import sys
import threading
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import quickfix as qf

if TYPE_CHECKING:
    from fix.acceptor import FixAcceptor
    from fix.ids import SessionID
    from fix.store import SessionStore

T = TypeVar("T")
SOH = "\x01"


def data_dictionary(version: str, directory: Path) -> Path:
    """QuickFIX's dictionary with the MiFID II additions our messages use.

    FIX 4.4 predates PartyRoleQualifier (2376) and PartyRole 122 (investment
    decision maker): both are added, as a MiFID II counterparty's dictionary has them.
    """
    name = {"FIX.4.2": "FIX42.xml", "FIX.4.4": "FIX44.xml"}[version]
    source = Path(sys.prefix) / "share" / "quickfix" / name
    text = source.read_text(encoding="utf-8")
    if version == "FIX.4.4":
        text = text.replace(
            "<component name='PtysSubGrp' required='N' />\n   </group>\n  </component>\n"
            "  <component name='PegInstructions'>",
            "<component name='PtysSubGrp' required='N' />\n"
            "    <field name='PartyRoleQualifier' required='N' />\n   </group>\n  </component>\n"
            "  <component name='PegInstructions'>",
        )
        text = text.replace(
            " </fields>",
            "  <field number='2376' name='PartyRoleQualifier' type='INT' />\n </fields>",
        )
        text = re.sub(
            r"(<field number='452' name='PartyRole' type='INT'>)",
            r"\1\n   <value enum='122' description='INVESTMENT_DECISION_MAKER' />",
            text,
        )
    target = directory / name
    target.write_text(text, encoding="utf-8")
    return target


class LoopThread:
    """An asyncio loop in a daemon thread, for running our engine beside QuickFIX."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Any, *args: Any) -> Any:
        async def wrapper() -> Any:
            return fn(*args)

        return self.run(wrapper())

    def close(self) -> None:
        async def cancel_leftovers() -> None:
            current = asyncio.current_task()
            for task in asyncio.all_tasks():
                if task is not current:
                    task.cancel()

        self.run(cancel_leftovers())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class Recorder(qf.Application):  # type: ignore[misc]
    """A QuickFIX application that records what it sees and can add a password."""

    def __init__(self, password: str | None = None) -> None:
        super().__init__()
        self.password = password
        self.admin: queue.Queue[str] = queue.Queue()
        self.app: queue.Queue[str] = queue.Queue()
        self.logons: queue.Queue[str] = queue.Queue()
        self.logouts: queue.Queue[str] = queue.Queue()
        self.session_id: qf.SessionID | None = None

    def onCreate(self, sessionID: qf.SessionID) -> None:
        self.session_id = sessionID

    def onLogon(self, sessionID: qf.SessionID) -> None:
        self.logons.put(sessionID.toString())

    def onLogout(self, sessionID: qf.SessionID) -> None:
        self.logouts.put(sessionID.toString())

    def toAdmin(self, message: qf.Message, sessionID: qf.SessionID) -> None:
        if self.password is not None and _msg_type(message) == "A":
            message.setField(554, self.password)

    def fromAdmin(self, message: qf.Message, sessionID: qf.SessionID) -> None:
        self.admin.put(message.toString())

    def toApp(self, message: qf.Message, sessionID: qf.SessionID) -> None:
        return None

    def fromApp(self, message: qf.Message, sessionID: qf.SessionID) -> None:
        self.app.put(message.toString())


def _msg_type(message: qf.Message) -> str:
    return str(message.getHeader().getField(35))


def fields(raw: str) -> dict[int, str]:
    """First occurrence of each tag in a QuickFIX message string."""
    out: dict[int, str] = {}
    for part in raw.split(SOH):
        tag, sep, value = part.partition("=")
        if sep and tag.isdigit():
            out.setdefault(int(tag), value)
    return out


def all_values(raw: str, tag: int) -> list[str]:
    prefix = f"{tag}="
    return [p[len(prefix) :] for p in raw.split(SOH) if p.startswith(prefix)]


def drain(q: queue.Queue[str]) -> list[str]:
    """Everything received so far, without waiting."""
    out = []
    while True:
        try:
            out.append(q.get_nowait())
        except queue.Empty:
            return out


def wait_for(q: queue.Queue[str], predicate: Any = None, timeout: float = 10.0) -> str:
    """The next item satisfying ``predicate`` (others are skipped)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("nothing matching arrived before the deadline")
        try:
            item = q.get(timeout=remaining)
        except queue.Empty:
            raise AssertionError("nothing matching arrived before the deadline") from None
        if predicate is None or predicate(item):
            return item


class QfClient:
    """A QuickFIX SocketInitiator configured for one session against our acceptor."""

    def __init__(
        self,
        workdir: Path,
        port: int,
        *,
        version: str = "FIX.4.4",
        sender: str = "DESK",
        target: str = "GW",
        password: str | None = "secret",
        heartbeat: int = 30,
        reset_on_logon: bool = False,
        store: str = "file",
        validate: bool = True,
        tls: dict[str, str] | None = None,
    ) -> None:
        """``tls``: QuickFIX's SSL keys (ClientCertificateFile, CertificationAuthoritiesFile, ...);
        given, the client is QuickFIX's SSLSocketInitiator."""
        workdir.mkdir(parents=True, exist_ok=True)
        dictionary = data_dictionary(version, workdir)
        config = workdir / "client.cfg"
        config.write_text(
            "\n".join(
                [
                    "[DEFAULT]",
                    "ConnectionType=initiator",
                    "ReconnectInterval=1",
                    f"FileStorePath={workdir / 'store'}",
                    "StartTime=00:00:00",
                    "EndTime=00:00:00",
                    f"UseDataDictionary={'Y' if validate else 'N'}",
                    f"DataDictionary={dictionary}",
                    "SocketConnectHost=127.0.0.1",
                    f"SocketConnectPort={port}",
                    f"HeartBtInt={heartbeat}",
                    f"ResetOnLogon={'Y' if reset_on_logon else 'N'}",
                    "LogonTimeout=5",
                    "LogoutTimeout=2",
                    *(f"{key}={value}" for key, value in (tls or {}).items()),
                    "[SESSION]",
                    f"BeginString={version}",
                    f"SenderCompID={sender}",
                    f"TargetCompID={target}",
                    "",
                ]
            )
        )
        self.settings = qf.SessionSettings(str(config))
        self.app = Recorder(password)
        factory = qf.FileStoreFactory(self.settings) if store == "file" else qf.MemoryStoreFactory()
        engine = qf.SSLSocketInitiator if tls is not None else qf.SocketInitiator
        self.initiator = engine(self.app, factory, self.settings)
        self.session_id = qf.SessionID(version, sender, target)

    def start(self) -> None:
        self.initiator.start()

    def stop(self, force: bool = False) -> None:
        """Log out (waiting for the answer unless ``force``) and stop the threads."""
        if not self.initiator.isStopped():
            self.initiator.stop(force)

    def wait_logon(self, timeout: float = 10.0) -> None:
        wait_for(self.app.logons, timeout=timeout)

    @property
    def session(self) -> qf.Session:
        return qf.Session.lookupSession(self.session_id)

    def send(self, message: qf.Message) -> None:
        qf.Session.sendToTarget(message, self.session_id)

    def send_raw_fields(self, msg_type: str, body: list[tuple[int, str]]) -> None:
        message = qf.Message()
        message.getHeader().setField(qf.MsgType(msg_type))
        for tag, value in body:
            message.setField(tag, value)
        self.send(message)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class VenueApp(Recorder):
    """QuickFIX playing an exchange: acks every order; fills symbol FILL, rejects symbol REJECT,
    refuses to cancel or replace symbol STUCK (OrderCancelReject), and fills symbol BUST, then
    corrects that fill's price and busts the correction. It answers OrderStatusRequest from
    what it holds; :meth:`while_away` changes that without telling the gateway."""

    def __init__(self) -> None:
        super().__init__()
        self.exec_counter = 0
        self.held: dict[str, dict[int, str]] = {}  # by ClOrdID: the status fields of each order

    def while_away(self, cl_ord_id: str, **status: str) -> None:
        """Fill or end an order while the gateway is disconnected: no report is sent."""
        names = {"cum": 14, "avg": 6, "status": 39, "leaves": 151}
        self.held[cl_ord_id].update({names[k]: v for k, v in status.items()})

    def _status(self, sid: qf.SessionID, got: dict[int, str]) -> None:
        held = self.held.get(got[11])
        if held is None:  # as the spec says: a status report, Rejected, unknown order
            held = {
                37: "NONE",
                55: got[55],
                54: got[54],
                39: "8",
                14: "0",
                6: "0",
                151: "0",
                58: "unknown order",
            }
        fix42 = sid.getBeginString().getValue() == "FIX.4.2"
        kind = [(20, "3"), (150, held[39])] if fix42 else [(150, "I")]
        self._report(sid, [(11, got[11]), *kind, *held.items()])

    def _report(self, sid: qf.SessionID, values: list[tuple[int, str]]) -> None:
        self.exec_counter += 1
        message = qf.Message()
        message.getHeader().setField(qf.MsgType("8"))
        message.setField(17, f"VX{self.exec_counter}")
        fix42 = sid.getBeginString().getValue() == "FIX.4.2"
        if fix42:
            message.setField(20, "0")  # ExecTransType, required in 4.2
        for tag, value in values:
            if fix42 and (tag, value) == (150, "F"):
                value = "2"  # 4.2 has no ExecType F (trade)
            if fix42 and tag == 527:
                continue
            message.setField(tag, value)
        qf.Session.sendToTarget(message, sid)

    def _fill_correct_and_bust(
        self, sid: qf.SessionID, base: list[tuple[int, str]], qty: str, price: str
    ) -> None:
        fix42 = sid.getBeginString().getValue() == "FIX.4.2"

        def amends(code_44: str, trans_type_42: str) -> list[tuple[int, str]]:
            return [(20, trans_type_42), (150, "2")] if fix42 else [(150, code_44)]

        done = [(39, "2"), (151, "0")]
        fill_id = f"VX{self.exec_counter + 1}"
        self._report(sid, [*base, (150, "F"), *done, (32, qty), (31, price), (14, qty), (6, price)])
        corrected = str(Decimal(price) - Decimal("0.05"))
        correct_id = f"VX{self.exec_counter + 1}"
        self._report(
            sid,
            [
                *base,
                *amends("G", "2"),
                (19, fill_id),
                *done,
                (32, qty),
                (31, corrected),
                (14, qty),
                (6, corrected),
            ],
        )
        self._report(sid, [*base, *amends("H", "1"), (19, correct_id), *done, (14, "0"), (6, "0")])

    def fromApp(self, message: qf.Message, sessionID: qf.SessionID) -> None:
        super().fromApp(message, sessionID)
        got = fields(message.toString())
        msg_type = got[35]
        stamp = "20261123-10:00:00.000"
        if msg_type == "D":
            cl, qty, symbol = got[11], got[38], got[55]
            base = [(37, f"V-{cl}"), (11, cl), (55, symbol), (54, got[54]), (38, qty), (60, stamp)]
            if symbol == "REJECT":
                self._report(
                    sessionID,
                    [
                        *base,
                        (150, "8"),
                        (39, "8"),
                        (151, "0"),
                        (14, "0"),
                        (6, "0"),
                        (58, "no such instrument here"),
                    ],
                )
                return
            self._report(sessionID, [*base, (150, "0"), (39, "0"), (151, qty), (14, "0"), (6, "0")])
            self.held[cl] = {37: f"V-{cl}", 55: symbol, 54: got[54], 39: "0", 14: "0", 6: "0", 151: qty}
            if symbol == "BUST":
                self._fill_correct_and_bust(sessionID, base, qty, got.get(44, "10"))
            if symbol == "FILL":
                price = got.get(44, "10")
                self._report(
                    sessionID,
                    [
                        *base,
                        (150, "F"),
                        (39, "2"),
                        (32, qty),
                        (31, price),
                        (151, "0"),
                        (14, qty),
                        (6, price),
                        (527, "TRADE-1"),
                    ],
                )
        elif msg_type == "H":
            self._status(sessionID, got)
        elif msg_type in ("F", "G") and got[55] == "STUCK":
            refusal = qf.Message()
            refusal.getHeader().setField(qf.MsgType("9"))
            for tag, value in (
                (37, f"V-{got[41]}"),
                (11, got[11]),
                (41, got[41]),
                (39, "0"),
                (434, "1" if msg_type == "F" else "2"),
                (58, "too late to amend"),
            ):
                refusal.setField(tag, value)
            qf.Session.sendToTarget(refusal, sessionID)
        elif msg_type == "F":
            if got[41] in self.held:
                self.held[got[41]].update({39: "4", 151: "0"})
            self._report(
                sessionID,
                [
                    (37, f"V-{got[41]}"),
                    (11, got[11]),
                    (41, got[41]),
                    (55, got[55]),
                    (54, got[54]),
                    (150, "4"),
                    (39, "4"),
                    (151, "0"),
                    (14, "0"),
                    (6, "0"),
                    (60, stamp),
                ],
            )
        elif msg_type == "G":
            if got[41] in self.held:  # the new version answers to its new ClOrdID
                self.held[got[11]] = {**self.held[got[41]], 38: got[38], 151: got[38]}
            self._report(
                sessionID,
                [
                    (37, f"V-{got[41]}"),
                    (11, got[11]),
                    (41, got[41]),
                    (55, got[55]),
                    (54, got[54]),
                    (38, got[38]),
                    (150, "5"),
                    (39, "0"),
                    (151, got[38]),
                    (14, "0"),
                    (6, "0"),
                    (60, stamp),
                ],
            )


class QfVenue:
    """A QuickFIX SocketAcceptor with :class:`VenueApp`, for the FIX venue initiator to reach."""

    def __init__(
        self,
        workdir: Path,
        *,
        version: str = "FIX.4.4",
        sender: str = "XVENUE",
        target: str = "GW",
        tls: dict[str, str] | None = None,
    ) -> None:
        """``tls``: QuickFIX's SSL keys (ServerCertificateFile, ...); given, the venue is
        QuickFIX's SSLSocketAcceptor."""
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        dictionary = data_dictionary(version, workdir)
        config = workdir / "venue.cfg"
        config.write_text(
            "\n".join(
                [
                    "[DEFAULT]",
                    "ConnectionType=acceptor",
                    f"SocketAcceptPort={self.port}",
                    "SocketAcceptHost=127.0.0.1",
                    f"FileStorePath={workdir / 'venue-store'}",
                    "StartTime=00:00:00",
                    "EndTime=00:00:00",
                    "UseDataDictionary=Y",
                    f"DataDictionary={dictionary}",
                    # the FIX 4.2 MiFID II convention uses tags 20122 / 20012
                    "ValidateUserDefinedFields=N",
                    *(f"{key}={value}" for key, value in (tls or {}).items()),
                    "[SESSION]",
                    f"BeginString={version}",
                    f"SenderCompID={sender}",
                    f"TargetCompID={target}",
                    "",
                ]
            )
        )
        self.settings = qf.SessionSettings(str(config))
        self.app = VenueApp()
        engine = qf.SSLSocketAcceptor if tls is not None else qf.SocketAcceptor
        self.acceptor = engine(self.app, qf.MemoryStoreFactory(), self.settings)

    def start(self) -> None:
        self.acceptor.start()

    def stop(self) -> None:
        self.acceptor.stop(True)


def eventually_equal(left: Any, right: Any, timeout: float = 10.0) -> None:
    """Assert ``left() == right()`` once both sides settle.

    QuickFIX bumps its expected sequence number after the callback that told
    the test a message arrived, so a reading taken at once can be one behind.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        a, b = left(), right()
        if a == b:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{a!r} != {b!r}")
        time.sleep(0.01)


def session_store(acceptor: FixAcceptor, session_id: SessionID) -> SessionStore:
    """The sequence store of one of the acceptor's sessions (call on the loop's thread)."""
    session = acceptor.session(session_id)
    assert session is not None, f"the acceptor has no session {session_id}"
    return session.store
