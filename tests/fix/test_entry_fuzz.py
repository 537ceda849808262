"""Whatever a desk puts in an order message, the answer is a clear one.

Hypothesis sends NewOrderSingle, cancel, replace, status and mass-cancel requests with
each field usually valid, sometimes odd or wrong (zero, negative, 40 digits, 30 decimal places, unknown
codes, missing) through the FIX adapter into the real pipeline (control chain, MiFID
tagging, simulated venue). Every message must end in a session Reject naming a field, a
business reject, or reports that pass the FIX dictionary; never in the adapter's
"internal error" answer or a failed task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.memory import MemoryAuditLog
from fix.application import BusinessReject, UnsupportedMessageType
from fix.codec import encode, parse
from fix.config import SessionSettings
from fix.errors import FieldError
from fix.ids import SessionID
from fix.message import Field, FixMessage
from fix.spec import dictionary
from gateway.app import Gateway, build_gateway
from gateway.fix_entry import FixOrderEntry
from gateway.settings import Settings
from risk_controls.domain.clock import ManualClock
from tests.fix.fakes import RecordingSender

ROOT = Path(__file__).resolve().parents[2]

ODD_DECIMALS = ["0", "-5", "1.5", "0." + "0" * 29 + "1", "9" * 40, "1" + "0" * 27, "00012", "228.5000000001"]
GOOD: dict[int, list[str]] = {
    11: ["NEW"],  # a fresh ClOrdID (see Desk.message)
    41: ["PREV"],  # the ClOrdID sent last
    1: ["ACC-APPLE-TSY"],
    55: ["AAPL"],
    54: ["1", "2"],
    38: [str(n) for n in range(1, 300)],  # varied, or the duplicate-order control refuses them
    40: ["2"],
    44: [f"228.{n:02d}" for n in range(100)],
    99: [""],  # a limit order has no stop price: omitted
    59: ["0", "3"],
    60: ["20261123-10:00:00.123456"],
    50: ["jsmith"],
    21: ["1"],
    530: ["1", "7"],
}
ODD: dict[int, list[str]] = {
    11: ["x" * 70, "PREV"],
    41: ["NOPE", "x" * 70],
    1: ["ACC-HOUSE", "NOBODY"],
    55: ["TSLA", "ZZZZ", "JPM"],
    54: ["5", "6", "3", "X"],
    38: ODD_DECIMALS,
    40: ["1", "3", "4", "P", "Z"],
    44: ODD_DECIMALS,
    99: ODD_DECIMALS,
    59: ["1", "4", "6", "Z"],
    60: ["20261123-10:00:00", "yesterday"],
    50: ["akhan", "mallory"],
    21: ["2", "3", "9"],
    530: ["9", "X"],
}
SHAPES: dict[bytes, list[int]] = {
    b"D": [11, 1, 55, 54, 38, 40, 44, 99, 59, 60, 50, 21],
    b"F": [41, 11, 1, 55, 54, 38, 60, 50],
    b"G": [41, 11, 1, 55, 54, 38, 40, 44, 59, 60, 50, 21],
    b"H": [11, 1, 55, 54],
    b"q": [11, 530, 55, 60],
}


Request = tuple[bytes, list[Field]]


@st.composite
def request(draw: st.DrawFn) -> Request:
    msg_type = draw(st.sampled_from(sorted(SHAPES)))
    body: list[Field] = []
    tags = SHAPES[msg_type]
    defects = draw(st.sampled_from([0, 0, 0, 1, 1, 2]))  # most requests valid, the rest off in a field or two
    defective = draw(st.sets(st.sampled_from(tags), min_size=defects, max_size=defects))
    for tag in tags:
        if tag not in defective:
            value = draw(st.sampled_from(GOOD[tag]))
        else:
            value = draw(st.sampled_from([*ODD[tag], ""]))  # "" leaves the field out
        if value:
            body.append((tag, value.encode()))
    return msg_type, body


def requests() -> st.SearchStrategy[list[Request]]:
    """A short conversation: an order, then requests about it (or about nothing)."""
    return st.lists(request(), min_size=1, max_size=4)


class CheckingSender(RecordingSender):
    """Records each reply, and each one the FIX dictionary refuses (a counterparty would
    answer it with a session Reject of its own) instead of raising into the adapter."""

    def __init__(self) -> None:
        super().__init__()
        self.malformed: list[str] = []

    def send(self, session_id: SessionID, msg_type: bytes, body: object) -> bool:
        try:
            return super().send(session_id, msg_type, body)
        except FieldError as exc:
            self.malformed.append(f"{msg_type!r}: {exc}")
            return True


class Desk:
    """The real pipeline behind the FIX adapter, on one event loop kept for every example."""

    def __init__(self, gateway: Gateway, version: str, clock: ManualClock) -> None:
        self.loop = asyncio.new_event_loop()
        self.sender = CheckingSender()
        self.session_id, self.clock = SessionID(version, "GATEWAY", "DESK1"), clock
        session = SessionSettings(
            self.session_id,
            origin_session="DESK1",
            allowed_accounts=frozenset({"ACC-APPLE-TSY", "ACC-HOUSE"}),
        )
        self.adapter = FixOrderEntry(gateway.pipeline, [session], working_orders=gateway.pipeline)
        self.adapter.attach(self.sender)
        self.dictionary = dictionary(version)
        self.made = 0

    def message(self, msg_type: bytes, fields: list[Field]) -> FixMessage:
        """SenderSubID (50), the trader, goes in the header; the rest in the body. ClOrdID
        NEW becomes a fresh one and PREV the last one made (ids stay unique across examples,
        which share the gateway)."""
        header: list[Field] = [(35, msg_type), (49, b"DESK1"), (56, b"GATEWAY"), (34, b"2")]
        header += [f for f in fields if f[0] == 50]
        body = [(tag, self._cl_ord_id(value)) for tag, value in fields if tag != 50]
        begin = self.session_id.begin_string.encode()
        return parse(encode(begin, [*header, (52, b"20261123-10:00:00"), *body]))

    def _cl_ord_id(self, value: bytes) -> bytes:
        if value == b"NEW":
            self.made += 1
            return b"F%d" % self.made
        return b"F%d" % self.made if value == b"PREV" else value

    def handle(self, message: FixMessage) -> str:
        """What the session would do with the application's answer."""

        self.clock.advance(0.01)  # messages 10 ms apart: under the throttles

        async def run() -> str:
            try:
                self.dictionary.validate(message)  # as the session does before the application
                self.adapter.from_app(self.session_id, message)
            except FieldError as exc:
                assert exc.tag is not None or exc.reason is not None
                return "session reject"
            except (BusinessReject, UnsupportedMessageType):
                return "business reject"
            await self.adapter.drain()
            return "answered"

        return self.loop.run_until_complete(run())


@pytest.fixture(scope="module", params=["FIX.4.4", "FIX.4.2"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    data = tmp_path_factory.mktemp("entry-fuzz")
    clock = ManualClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # a Monday, markets open
    gateway = build_gateway(
        Settings(data_dir=data, policy_path=ROOT / "policies" / "default.toml", fix_config=None),
        audit=MemoryAuditLog(),
        clock=clock,
    )
    made = Desk(gateway, request.param, clock)
    yield made
    made.loop.close()
    gateway.close()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conversation=requests())
def test_every_order_message_gets_a_clear_answer(
    desk: Desk, conversation: list[Request], caplog: pytest.LogCaptureFixture
) -> None:
    for msg_type, body in conversation:
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            outcome = desk.handle(desk.message(msg_type, body))
        replies = desk.sender.take()
        assert not [r.getMessage() for r in caplog.records], "an adapter task failed or logged an error"
        malformed, desk.sender.malformed = desk.sender.malformed, []
        assert not malformed, (msg_type, body, malformed)  # each reply passes the FIX dictionary
        if outcome == "answered":
            assert replies, f"nothing answered {msg_type!r} {body}"
        for reply in replies:
            text = reply.get(58) or ""
            assert "internal error" not in text, (msg_type, body, text)
