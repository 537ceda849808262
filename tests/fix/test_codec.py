"""The FIX codec: framing, checksums, typed values, garbled input."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import simplefix

from fix.codec import FixParser, checksum, encode, parse
from fix.errors import (
    BadBeginString,
    BadBodyLength,
    BadCheckSum,
    BadHeaderOrder,
    BadTagValue,
    EmptyTagValue,
    InvalidTagNumber,
    MissingTag,
    ValueIncorrect,
)
from fix.message import FixMessage
from fix.values import (
    MAX_DECIMAL_DIGITS,
    MAX_INT_DIGITS,
    format_utc_timestamp,
    parse_decimal,
    parse_int,
    parse_seq,
    parse_utc_timestamp,
    to_bytes,
)

ORDER = [
    (35, b"D"),
    (49, b"DESK"),
    (56, b"GW"),
    (34, b"7"),
    (52, b"20261123-10:00:00.123"),
    (11, b"C1"),
    (55, b"AAPL"),
    (54, b"1"),
    (38, b"100"),
    (40, b"2"),
    (44, b"101.25"),
]


def frames(parser: FixParser) -> list[FixMessage]:
    out = []
    while (msg := parser.next_message()) is not None:
        out.append(msg)
    return out


def test_encoded_message_is_what_simplefix_reads() -> None:
    raw = encode(b"FIX.4.4", ORDER)
    reader = simplefix.FixParser()
    reader.append_buffer(raw)
    theirs = reader.get_message()
    assert theirs.get(11) == b"C1" and theirs.get(44) == b"101.25"
    body_start = raw.index(b"\x0135=") + 1
    assert int(theirs.get(9)) == raw.rindex(b"10=") - body_start
    assert raw.endswith(b"10=%03d\x01" % checksum(raw[: raw.rindex(b"10=")]))


def test_parser_reads_what_simplefix_writes() -> None:
    message = simplefix.FixMessage()
    message.append_pair(8, "FIX.4.2")
    for tag, value in ORDER:
        message.append_pair(tag, value)
    parsed = parse(message.encode())
    assert [(t, v) for t, v in parsed.fields if t not in (8, 9, 10)] == ORDER


def test_messages_split_anywhere_and_glued_together_come_out_whole() -> None:
    raw = encode(b"FIX.4.4", ORDER) + encode(b"FIX.4.4", [(35, b"0"), (34, b"8")])
    for cut in range(1, len(raw)):
        parser = FixParser()
        parser.feed(raw[:cut])
        got = frames(parser)
        parser.feed(raw[cut:])
        got += frames(parser)
        assert [m.msg_type for m in got] == [b"D", b"0"], cut
        assert parser.buffered == 0


def test_bad_checksum_is_dropped_and_the_next_message_is_read() -> None:
    good = encode(b"FIX.4.4", ORDER)
    bad = good[:-4] + b"%03d\x01" % ((int(good[-4:-1]) + 1) % 256)
    parser = FixParser()
    parser.feed(bad + good)
    with pytest.raises(BadCheckSum) as garbled:
        parser.next_message()
    assert garbled.value.raw == bad
    assert [m.get(11) for m in frames(parser)] == [b"C1"]


@pytest.mark.parametrize("declared", [5, 60, 500])
def test_wrong_body_length_is_dropped(declared: int) -> None:
    good = encode(b"FIX.4.4", ORDER)
    body = good.split(b"\x019=", 1)[1].split(b"\x01", 1)[1]
    bad = b"8=FIX.4.4\x019=%d\x01" % declared + body
    parser = FixParser()
    parser.feed(bad + good)
    with pytest.raises(BadBodyLength):
        parser.next_message()
    assert [m.get(11) for m in frames(parser)] == [b"C1"]


def test_junk_before_a_message_is_reported_and_skipped() -> None:
    parser = FixParser()
    parser.feed(b"HELLO" + encode(b"FIX.4.4", ORDER))
    with pytest.raises(BadBeginString):
        parser.next_message()
    assert len(frames(parser)) == 1


def test_msg_type_must_be_third() -> None:
    raw = encode(b"FIX.4.4", [(34, b"1"), (35, b"0")])
    with pytest.raises(BadHeaderOrder):
        parse(raw)


def test_oversized_frame_is_dropped() -> None:
    parser = FixParser(max_message_size=100)
    parser.feed(b"8=FIX.4.4\x019=99999\x01" + b"58=" + b"x" * 200)
    with pytest.raises(BadBodyLength):
        parser.next_message()
    assert parser.buffered == 0


def test_field_defects_are_kept_for_a_reject() -> None:
    raw = encode(b"FIX.4.4", [(35, b"0"), (34, b"1"), (112, b"")])
    assert isinstance(parse(raw).defect, EmptyTagValue)
    raw = b"8=FIX.4.4\x019=15\x0135=0\x01AB=1\x0134=1\x01"
    raw += b"10=%03d\x01" % checksum(raw)
    message = parse(raw)
    assert isinstance(message.defect, InvalidTagNumber)
    assert message.seq_num == 1


def test_length_prefixed_data_may_contain_soh() -> None:
    raw = encode(b"FIX.4.4", [(35, b"B"), (34, b"1"), (95, b"7"), (96, b"a\x01b=c\x01d"), (58, b"x")])
    message = parse(raw)
    assert message.get(96) == b"a\x01b=c\x01d" and message.get(58) == b"x"


def test_typed_getters() -> None:
    message = parse(encode(b"FIX.4.4", [*ORDER, (60, b"20261123-10:00:00.123456789")]))
    assert message.require_decimal(44) == Decimal("101.25")
    assert message.require_int(38) == 100
    assert message.get_time(60) == datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    with pytest.raises(MissingTag):
        message.require(99)
    with pytest.raises(BadTagValue):
        message.require_int(55)


@pytest.mark.parametrize("text", [b"1e5", b"NaN", b"1,5", b" 1", b"+1", b"", b"--1", b"1.2.3"])
def test_decimal_rejects_what_fix_does_not_allow(text: bytes) -> None:
    with pytest.raises(BadTagValue):
        parse_decimal(44, text)


def test_numbers_are_read_up_to_what_the_arithmetic_holds_and_refused_past_it() -> None:
    decimal = b"-" + b"1" * (MAX_DECIMAL_DIGITS - 4) + b".1234"
    assert parse_decimal(44, decimal) == Decimal(decimal.decode())
    integer = b"-" + b"9" * MAX_INT_DIGITS
    assert parse_int(38, integer) == int(integer)
    assert parse_seq(34, integer[1:]) == int(integer[1:])
    for too_long in (b"1" * (MAX_DECIMAL_DIGITS + 1), b"1." + b"1" * MAX_DECIMAL_DIGITS, b"9" * 5000):
        with pytest.raises(ValueIncorrect, match="more than 28 digits"):
            parse_decimal(44, too_long)
    for reader in (parse_int, parse_seq):
        with pytest.raises(ValueIncorrect, match="more than 18 digits"):
            reader(34, b"9" * 5000)


def test_a_number_too_long_for_a_tag_or_body_length_is_a_fix_error() -> None:
    body = b"35=0\x0134=2\x0149=A\x0156=B\x0152=20261123-10:00:00.000\x01" + b"9" * 5000 + b"=x\x01"
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    frame = head + body + b"10=%03d\x01" % checksum(head + body)
    assert isinstance(parse(frame).defect, InvalidTagNumber)
    parser = FixParser()
    parser.feed(frame.replace(b"\x019=%d" % len(body), b"\x019=" + b"0" * 5000, 1))
    with pytest.raises(BadBodyLength, match="not a number"):
        parser.next_message()


@pytest.mark.parametrize("text", [b"-1.5", b"0.0001", b"100", b".5", b"7."])
def test_decimal_accepts_fix_floats_exactly(text: bytes) -> None:
    assert parse_decimal(44, text) == Decimal(text.decode())


@pytest.mark.parametrize(
    "text",
    [
        b"20261323-10:00:00",
        b"20261123 10:00:00",
        b"20261123-10:00",
        b"20261123-25:00:00",
        b"20261123-10:00:00.",
        b"20261123-10:00:00Z",
    ],
)
def test_bad_timestamps(text: bytes) -> None:
    with pytest.raises(BadTagValue):
        parse_utc_timestamp(52, text)


def test_timestamps_round_trip_with_microseconds() -> None:
    when = datetime(2026, 11, 23, 9, 8, 7, 654321, tzinfo=UTC)
    assert parse_utc_timestamp(52, format_utc_timestamp(when, 6)) == when
    assert format_utc_timestamp(when, 3) == b"20261123-09:08:07.654"
    with pytest.raises(ValueError):
        format_utc_timestamp(datetime(2026, 1, 1), 3)


def test_floats_are_refused_as_field_values() -> None:
    with pytest.raises(TypeError):
        to_bytes(1.5)  # type: ignore[arg-type]
    assert to_bytes(Decimal("101.50")) == b"101.50"
    assert to_bytes(True) == b"Y"


def test_a_remembered_layout_still_gets_its_values_checked() -> None:
    from fix.errors import ValueIncorrect
    from fix.spec import Dictionary

    spec = Dictionary("FIX.4.4")

    def order(qty: bytes, side: bytes) -> FixMessage:
        return parse(
            encode(b"FIX.4.4", [*ORDER[:7], (54, side), (38, qty), (40, b"2"), (60, b"20261123-10:00:00")])
        )

    spec.validate(order(b"100", b"1"))
    spec.validate(order(b"200", b"2"))  # same layout, new values
    with pytest.raises(BadTagValue):
        spec.validate(order(b"abc", b"1"))
    with pytest.raises(ValueIncorrect):
        spec.validate(order(b"100", b"Z"))
