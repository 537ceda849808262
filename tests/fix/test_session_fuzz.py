"""Whatever a peer sends, the session stays well-formed: it never raises, and every frame it
writes is valid FIX, numbered without gaps.

Hypothesis drives a logged-on acceptor session (the sans-I/O core every connection runs)
with sequences of plausible messages (orders, admin messages, sequence numbers near
and far from the expected one), each possibly garbled (a byte changed, cut short, a
field dropped or repeated) or replaced by arbitrary bytes, fed in arbitrary chunks and
interleaved with clock advances.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fix.codec import FixParser, encode
from fix.errors import GarbledMessage
from fix.message import Field, FixMessage
from fix.session import Session, State
from fix.store import MemoryStore
from fix.values import format_utc_timestamp
from risk_controls.domain.clock import ManualClock
from tests.fix.wire_harness import START, RecordingApp, default_settings, password_is_secret

BEGIN = b"FIX.4.4"
HEADER: list[Field] = [(49, b"DESK"), (56, b"GW")]

_BODIES: dict[bytes, list[Field]] = {
    b"0": [],
    b"1": [(112, b"T1")],
    b"2": [(7, b"1"), (16, b"0")],
    b"4": [(123, b"Y"), (36, b"50")],
    b"5": [(58, b"bye")],
    b"D": [
        (11, b"C1"),
        (1, b"ACC1"),
        (55, b"AAPL"),
        (54, b"1"),
        (60, b"20261123-10:00:00.000"),
        (38, b"100"),
        (40, b"2"),
        (44, b"10.5"),
    ],
    b"F": [(41, b"C1"), (11, b"C2"), (55, b"AAPL"), (54, b"1"), (60, b"20261123-10:00:00.000")],
    b"A": [(98, b"0"), (108, b"30"), (554, b"secret")],
    b"ZZ": [(58, b"unknown type")],
}


@st.composite
def peer_frames(draw: st.DrawFn, first_seq: int) -> list[bytes]:
    """What a faulty or hostile peer might write, one entry per write."""
    frames: list[bytes] = []
    seq = first_seq
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 9)) == 0:
            frames.append(draw(st.binary(min_size=1, max_size=80)))
            continue
        msg_type = draw(st.sampled_from(sorted(_BODIES)))
        body = list(_BODIES[msg_type])
        if msg_type == b"D":
            body[0] = (11, draw(st.sampled_from([b"C1", b"C2", b"BAD", b"CRASH", b""])))
            body[5] = (38, draw(st.sampled_from([b"100", b"0", b"-5", b"1e3", b"abc", b""])))
        if msg_type == b"4":
            body[1] = (36, str(draw(st.integers(-2, seq + 5))).encode())
        jump = draw(st.sampled_from([0, 0, 0, 0, 1, 5, -1, -3]))
        seq_field = str(seq + jump).encode()
        if jump >= 0:
            seq = seq + jump + 1
        fields: list[Field] = [(35, msg_type), (34, seq_field), *HEADER, (52, format_utc_timestamp(START))]
        if draw(st.booleans()):
            fields.append((43, b"Y"))
        fields.extend(body)
        raw = encode(BEGIN, fields)
        frames.append(draw(_garble(raw)))
    return frames


@st.composite
def _garble(draw: st.DrawFn, raw: bytes) -> bytes:
    how = draw(st.sampled_from(["none", "none", "byte", "cut", "drop", "repeat"]))
    if how == "byte":
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    if how == "cut":
        return raw[: draw(st.integers(1, len(raw) - 1))]
    parts = raw.split(b"\x01")[:-1]
    at = draw(st.integers(2, len(parts) - 2))  # leave 8 and 9 and 10 where they are
    if how == "drop":
        del parts[at]
    elif how == "repeat":
        parts.insert(at, parts[at])
    return b"\x01".join(parts) + b"\x01"  # length and checksum now wrong, as a buggy peer leaves them


def _logged_on_session() -> tuple[Session, ManualClock]:
    clock = ManualClock(START)
    session = Session(
        default_settings(),
        MemoryStore(START),
        RecordingApp(),
        clock=clock,
        authenticator=password_is_secret,
    )
    session.connection_made("127.0.0.1")
    logon = [(35, b"A"), (34, b"1"), *HEADER, (52, format_utc_timestamp(START)), *_BODIES[b"A"]]
    session.data_received(encode(BEGIN, logon))
    assert session.state is State.ACTIVE
    return session, clock


def _frames(data: bytes) -> list[FixMessage]:
    """Parse what the session wrote; any garbled frame fails the test."""
    parser = FixParser()
    parser.feed(data)
    out: list[FixMessage] = []
    while True:
        try:
            message = parser.next_message()
        except GarbledMessage as exc:  # pragma: no cover - reached only when the session is wrong
            raise AssertionError(f"the session wrote a garbled frame: {exc.raw!r}") from exc
        if message is None:
            assert parser.buffered == 0, "the session wrote a partial frame"
            return out
        out.append(message)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frames=peer_frames(first_seq=2),
    chunk=st.integers(1, 64),
    advances=st.lists(st.sampled_from([0, 0, 1, 31, 70]), min_size=1, max_size=4),
)
def test_any_peer_input_leaves_the_session_answering_in_valid_gapless_fix(
    frames: list[bytes], chunk: int, advances: list[int]
) -> None:
    session, clock = _logged_on_session()
    written = session.take_output()
    for i, frame in enumerate(frames):
        for start in range(0, len(frame), chunk):
            session.data_received(frame[start : start + chunk])
        clock.advance(advances[i % len(advances)])
        session.tick()
        written += session.take_output()
    sent = _frames(written)
    assert sent and sent[0].msg_type == b"A"
    numbers = [int(m.get(34) or b"0") for m in sent if m.get(43) != b"Y"]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    for message in sent:
        assert (message.get(49), message.get(56)) == (b"GW", b"DESK")
        if message.msg_type == b"3":  # a session Reject says which message and why
            assert message.get(45) is not None and message.get(373) is not None
    assert session.store.next_sender_seq == len(numbers) + 1
