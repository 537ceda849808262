"""The engine writes nothing until the sequence numbers behind it are durable."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time

import pytest

from fix.acceptor import FixAcceptor
from fix.codec import FixParser, encode
from fix.ids import SessionID
from fix.schedule import SessionSchedule
from fix.session import deny_all
from fix.store import MemoryStore, MemoryStoreFile
from fix.values import format_utc_timestamp
from risk_controls.domain.clock import ManualClock
from tests.fix.wire_harness import RecordingApp, default_settings


class GatedStore(MemoryStoreFile):
    """A store whose commits wait for the test to open the gate (or fail on demand)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.fail = False
        self.commits = 0

    def prepare_flush(self) -> Callable[[], None] | None:
        def commit() -> None:
            self.gate.wait(10)
            if self.fail:
                raise OSError("disk full")
            self.commits += 1

        return commit


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 5000) if name == "peername" else default


def logon() -> bytes:
    stamp = format_utc_timestamp(datetime.now(UTC))
    return encode(
        b"FIX.4.4",
        [
            (35, b"A"),
            (49, b"DESK"),
            (56, b"GW"),
            (34, b"1"),
            (52, stamp),
            (98, b"0"),
            (108, b"30"),
            (554, b"secret"),
        ],
    )


async def spin(until: Callable[[], bool]) -> None:
    for _ in range(500):
        if until():
            return
        await asyncio.sleep(0.01)


def test_bytes_wait_for_the_store_commit() -> None:
    async def scenario() -> None:
        store = GatedStore()
        acceptor = FixAcceptor(
            [default_settings()], RecordingApp(), store=store, authenticator=lambda *a: a[2] == "secret"
        )
        acceptor._loop = asyncio.get_running_loop()
        session = acceptor.session(SessionID("FIX.4.4", "GW", "DESK"))
        assert session is not None
        transport = FakeTransport()
        acceptor._attach(session, transport, "127.0.0.1")
        session.data_received(logon())
        await asyncio.sleep(0.05)
        assert session.logged_on and transport.written == b""  # answered, but not yet durable
        store.gate.set()
        await spin(lambda: bool(transport.written))
        parser = FixParser()
        parser.feed(bytes(transport.written))
        reply = parser.next_message()
        assert reply is not None and reply.msg_type == b"A" and store.commits == 1
        acceptor._committer.shutdown()

    asyncio.run(scenario())


def test_a_failing_store_closes_the_session_without_sending() -> None:
    async def scenario() -> None:
        store = GatedStore()
        store.fail = True
        store.gate.set()
        acceptor = FixAcceptor(
            [default_settings()], RecordingApp(), store=store, authenticator=lambda *a: True
        )
        acceptor._loop = asyncio.get_running_loop()
        session = acceptor.session(SessionID("FIX.4.4", "GW", "DESK"))
        assert session is not None
        transport = FakeTransport()
        acceptor._attach(session, transport, "127.0.0.1")
        session.data_received(logon())
        await spin(lambda: transport.closed)
        assert transport.closed and transport.written == b""
        assert not session.connected
        acceptor._committer.shutdown()

    asyncio.run(scenario())


def test_memory_store_file_hands_out_one_store_per_session() -> None:
    files = MemoryStoreFile()
    assert files.session("A") is files.session("A")
    assert isinstance(files.session("B"), MemoryStore)


def test_the_acceptor_serves_on_uvloop_too() -> None:
    """uvicorn[standard] brings uvloop, and a deployment may run the gateway's loop on it:
    its server lists its sockets (asyncio tuples them) and its transports do not subclass
    asyncio.Transport; a real logon over TCP is answered all the same."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> None:
        acceptor = FixAcceptor(
            [default_settings()], RecordingApp(), store=MemoryStoreFile(), authenticator=lambda *a: True
        )
        await acceptor.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", acceptor.port)
            writer.write(logon())
            parser = FixParser()
            reply = None
            while reply is None:
                parser.feed(await asyncio.wait_for(reader.read(4096), 5))
                reply = parser.next_message()
            assert reply.msg_type == b"A"
            writer.close()
        finally:
            await acceptor.stop()

    uvloop.run(scenario())


def test_status_says_whether_each_session_should_be_up_now() -> None:
    """What /metrics and the session-down alert read: a desk down on a Saturday is no alarm."""
    weekdays = SessionSchedule(time(8, 0), time(17, 0), frozenset(range(5)), "America/New_York")
    scheduled = default_settings(session_id=SessionID("FIX.4.4", "GW", "DAYDESK"), schedule=weekdays)
    clock = ManualClock(datetime(2026, 12, 8, 15, 0, tzinfo=UTC))  # Tuesday 10:00 in New York
    sessions = [default_settings(), scheduled]
    acceptor = FixAcceptor(sessions, RecordingApp(), authenticator=deny_all, clock=clock)

    def in_schedule() -> dict[str, bool]:
        return {s.session.split("->")[1]: s.in_schedule for s in acceptor.status()}

    assert in_schedule() == {"DESK": True, "DAYDESK": True}
    clock.set(datetime(2026, 12, 8, 23, 0, tzinfo=UTC))  # Tuesday 18:00 in New York
    assert in_schedule() == {"DESK": True, "DAYDESK": False}
    clock.set(datetime(2026, 12, 12, 15, 0, tzinfo=UTC))  # Saturday
    assert in_schedule() == {"DESK": True, "DAYDESK": False}
    assert not any(s.logged_on for s in acceptor.status())
