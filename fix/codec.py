"""FIX tag=value framing: a streaming parser and an encoder, with no I/O.

``FixParser.feed(bytes)`` then ``next_message()`` until it returns None, the
way simplefix's ``append_buffer`` / ``get_message`` work. This parser is
leaner than simplefix's (one ``split`` per message instead of a byte-by-byte
state machine; see bench/bench_fix.py for both side by side) and stricter:
it checks BodyLength and CheckSum and raises a typed
:class:`~fix.errors.GarbledMessage` after discarding the bad frame, so the
stream resynchronises on the next ``8=FIX``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fix.errors import (
    BadBeginString,
    BadBodyLength,
    BadCheckSum,
    BadHeaderOrder,
    EmptyTagValue,
    FieldError,
    InvalidTagNumber,
)
from fix.message import Field, FixMessage
from fix.tags import BEGIN_STRING, BODY_LENGTH, MSG_TYPE

SOH = b"\x01"
_BEGIN = b"8=FIX"
_TRAILER = b"\x0110="
# Length-prefixed data fields: their value may contain SOH (length tag -> data tag).
DATA_FIELDS: dict[int, int] = {90: 91, 93: 89, 95: 96, 212: 213, 348: 349, 350: 351, 354: 355}
_DATA_LENGTH_TAGS = frozenset(DATA_FIELDS)

DEFAULT_MAX_MESSAGE_SIZE = 1 << 16


def encode(begin_string: bytes, fields: Iterable[Field]) -> bytes:
    """Wire bytes for ``fields`` (MsgType first), adding 8, 9 and 10."""
    body = b"".join([b"%d=%s\x01" % pair for pair in fields])
    head = b"8=%s\x019=%d\x01" % (begin_string, len(body))
    msg = head + body
    return msg + b"10=%03d\x01" % (sum(msg) & 0xFF)


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


class FixParser:
    """Accumulates bytes from a stream and returns complete, verified messages."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._max = max_message_size

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        elif self._pos > 4096:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a message."""
        return len(self._buf) - self._pos

    def next_message(self) -> FixMessage | None:
        """The next complete message, None when more bytes are needed.

        Raises a :class:`~fix.errors.GarbledMessage` subclass for a bad frame
        after discarding it; call again to continue with the following bytes.
        """
        buf = self._buf
        pos = self._pos
        if pos >= len(buf):
            return None
        if not buf.startswith(_BEGIN, pos):
            self._skip_junk(pos)  # raises BadBeginString for anything but whitespace
            if not buf.startswith(_BEGIN, self._pos):
                return None
            pos = self._pos
        soh = buf.find(SOH, pos)
        if soh < 0 or len(buf) < soh + 3:
            self._check_size(pos)
            return None
        if not buf.startswith(b"9=", soh + 1):
            self._resync(pos)
            raise BadHeaderOrder("BodyLength (9) is not the second field", bytes(buf[pos : soh + 1]))
        soh2 = buf.find(SOH, soh + 3)
        if soh2 < 0:
            self._check_size(pos)
            return None
        length_raw = bytes(buf[soh + 3 : soh2])
        if not length_raw.isdigit() or len(length_raw) > _MAX_NUMBER_DIGITS:
            raw = self._resync(pos)
            raise BadBodyLength(f"BodyLength (9) is not a number: {length_raw[:20]!r}", raw)
        body_start = soh2 + 1
        end_body = body_start + int(length_raw)
        trailer = buf.find(_TRAILER, soh2)
        if trailer < 0:
            self._check_size(pos)
            return None
        if trailer + 1 != end_body:
            raw = self._consume_through_trailer(pos, trailer)
            raise BadBodyLength(
                f"BodyLength (9) says {int(length_raw)}, CheckSum found after "
                f"{trailer + 1 - body_start} bytes",
                raw,
            )
        return self._finish(pos, trailer, end_body)

    def _finish(self, pos: int, trailer: int, end_body: int) -> FixMessage | None:
        """Verify the CheckSum of a frame whose trailer starts at ``trailer``."""
        buf = self._buf
        end = trailer + 8
        if len(buf) < end:
            self._check_size(pos)
            return None
        received = bytes(buf[trailer + 4 : trailer + 7])
        if buf[trailer + 7] != 1 or not received.isdigit():
            raw = self._consume_through_trailer(pos, trailer)
            raise BadCheckSum(f"CheckSum (10) is malformed: {received!r}", raw)
        raw = bytes(buf[pos:end])
        self._pos = end
        expected = sum(raw[: end_body - pos]) & 0xFF
        if int(received) != expected:
            raise BadCheckSum(f"CheckSum (10) is {int(received)}, expected {expected}", raw)
        return _parse_fields(raw)

    # --- recovery ---

    def _check_size(self, pos: int) -> None:
        """Waiting for more bytes: fail if the pending frame is already too big."""
        if len(self._buf) - pos > self._max:
            raw = bytes(self._buf[pos:])
            self._buf.clear()
            self._pos = 0
            raise BadBodyLength(f"no complete message within {self._max} bytes", raw[:256])

    def _skip_junk(self, pos: int) -> None:
        """Drop bytes up to the next ``8=FIX``."""
        start = self._buf.find(_BEGIN, pos)
        if start < 0:
            # keep a tail that may be the beginning of "8=FIX"
            keep = max(pos, len(self._buf) - len(_BEGIN) + 1)
            junk = bytes(self._buf[pos:keep])
            self._pos = keep
        else:
            junk = bytes(self._buf[pos:start])
            self._pos = start
        if junk.strip(b"\r\n\x00 "):
            raise BadBeginString("bytes before BeginString (8=FIX...) discarded", junk[:256])

    def _resync(self, pos: int) -> bytes:
        nxt = self._buf.find(_BEGIN, pos + 1)
        end = nxt if nxt >= 0 else len(self._buf)
        raw = bytes(self._buf[pos:end])
        self._pos = end
        return raw

    def _consume_through_trailer(self, pos: int, trailer: int) -> bytes:
        end = self._buf.find(SOH, trailer + 4)
        end = len(self._buf) if end < 0 else end + 1
        raw = bytes(self._buf[pos:end])
        self._pos = end
        return raw


def parse(raw: bytes) -> FixMessage:
    """Parse one complete, already framed message (tests and replays)."""
    parser = FixParser()
    parser.feed(raw)
    message = parser.next_message()
    if message is None:
        raise BadBodyLength("incomplete message", raw)
    return message


_MAX_NUMBER_DIGITS = 9
"""Longest tag number, BodyLength or data length read as a number: a billion is beyond any
of them, and Python's int() raises ValueError (not a FIX error) past 4,300 digits."""
_WELL_FORMED = re.compile(rb"(?:[0-9]{1,9}=[^\x01=][^\x01]*\x01)+")
_DATA_TAG = re.compile(rb"\x01(?:90|93|95|212|348|350|354)=")


def _parse_fields(raw: bytes) -> FixMessage:
    if _WELL_FORMED.fullmatch(raw) is not None and _DATA_TAG.search(raw) is None:
        # the common case, checked in C: every field is digits=value, no value is empty
        parts = raw.split(SOH)
        parts.pop()  # empty string after the final SOH
        fields = [(int(tag), value) for tag, _, value in (p.partition(b"=") for p in parts)]
        defect: FieldError | None = None
    else:
        fields, defect = _parse_slowly(raw)
    if len(fields) < 3 or fields[2][0] != MSG_TYPE:
        raise BadHeaderOrder("MsgType (35) is not the third field", raw)
    if fields[0][0] != BEGIN_STRING or fields[1][0] != BODY_LENGTH:
        raise BadHeaderOrder("BeginString / BodyLength out of place", raw)
    message = FixMessage(fields, raw)
    message.defect = defect
    return message


def _parse_slowly(raw: bytes) -> tuple[list[Field], FieldError | None]:
    """Field by field, noting the first defect; length-prefixed data may hold SOH."""
    if _DATA_TAG.search(raw) is not None:
        return _parse_with_data(raw)
    parts = raw.split(SOH)
    parts.pop()
    fields: list[Field] = []
    defect: FieldError | None = None
    for part in parts:
        tag, sep, value = part.partition(b"=")
        if tag.isdigit() and sep and len(tag) <= _MAX_NUMBER_DIGITS:
            itag = int(tag)
            fields.append((itag, value))
            if not value and defect is None:
                defect = EmptyTagValue(itag, f"Tag specified without a value: {itag}")
        elif defect is None:
            defect = InvalidTagNumber(None, f"Invalid tag number: {tag[:20]!r}")
    return fields, defect


def _parse_with_data(raw: bytes) -> tuple[list[Field], FieldError | None]:
    """Slow path for messages carrying length-prefixed data that may hold SOH."""
    fields: list[Field] = []
    defect: FieldError | None = None
    pos = 0
    data_len: int | None = None
    while pos < len(raw):
        eq = raw.find(b"=", pos)
        if eq < 0:
            break
        tag_raw = raw[pos:eq]
        if not tag_raw.isdigit() or len(tag_raw) > _MAX_NUMBER_DIGITS:
            defect = defect or InvalidTagNumber(None, f"Invalid tag number: {tag_raw[:20]!r}")
            end = raw.find(SOH, eq)
            pos = len(raw) if end < 0 else end + 1
            continue
        tag = int(tag_raw)
        if data_len is not None:
            end = eq + 1 + data_len
            data_len = None
        else:
            end = raw.find(SOH, eq)
            end = len(raw) if end < 0 else end
        value = raw[eq + 1 : end]
        if tag in DATA_FIELDS and value.isdigit() and len(value) <= _MAX_NUMBER_DIGITS:
            data_len = int(value)
        if not value:
            defect = defect or EmptyTagValue(tag, f"Tag specified without a value: {tag}")
        fields.append((tag, value))
        pos = end + 1
    return fields, defect
