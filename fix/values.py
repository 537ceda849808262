"""Typed FIX field values: bytes on the wire, Python values in the program.

Prices and quantities become :class:`~decimal.Decimal`, never floats; times
are timezone-aware UTC. Every parser raises :class:`~fix.errors.BadTagValue`
naming the tag, so the session can answer with SessionRejectReason 6.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from fix.errors import BadTagValue, ValueIncorrect
from risk_controls.domain.money import fmt

FieldValue = bytes | str | int | Decimal | bool | datetime | Enum

_DECIMAL_RE = re.compile(rb"-?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_INT_RE = re.compile(rb"-?\d+\Z")
MAX_INT_DIGITS = 18
"""A signed 64-bit integer's worth, as FIX engines hold ints. Python's int() refuses
more than 4,300 digits with a ValueError, which would escape the session."""
MAX_DECIMAL_DIGITS = 28
"""Decimal arithmetic here runs at 28 significant digits (the default context): a price or
quantity with more could not be computed with exactly, so it is refused at the wire."""


def to_bytes(value: FieldValue) -> bytes:
    """Render a value as FIX bytes. Floats are refused: they lose money."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, Enum):
        return str(value.value).encode()
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):
        return b"Y" if value else b"N"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Decimal):
        return fmt(value).encode()
    if isinstance(value, datetime):
        return format_utc_timestamp(value, 6)
    raise TypeError(f"cannot render {type(value).__name__} as a FIX value: {value!r}")


def parse_int(tag: int, raw: bytes) -> int:
    if raw.isdigit() or _INT_RE.match(raw):
        if len(raw) - raw.startswith(b"-") > MAX_INT_DIGITS:
            raise _too_many_digits(tag, MAX_INT_DIGITS)
        return int(raw)
    raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not an integer")


def parse_seq(tag: int, raw: bytes) -> int:
    """A sequence number or length: a positive integer."""
    if raw.isdigit():
        if len(raw) > MAX_INT_DIGITS:
            raise _too_many_digits(tag, MAX_INT_DIGITS)
        value = int(raw)
        if value > 0:
            return value
    raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not a positive integer")


def parse_decimal(tag: int, raw: bytes) -> Decimal:
    if _DECIMAL_RE.match(raw):
        if len(raw) - raw.startswith(b"-") - (b"." in raw) > MAX_DECIMAL_DIGITS:
            raise _too_many_digits(tag, MAX_DECIMAL_DIGITS)
        return Decimal(raw.decode())
    raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not a decimal number")


def _too_many_digits(tag: int, limit: int) -> ValueIncorrect:
    return ValueIncorrect(
        tag, f"Value is incorrect (out of range) for this tag: tag {tag} has more than {limit} digits"
    )


def parse_bool(tag: int, raw: bytes) -> bool:
    if raw == b"Y":
        return True
    if raw == b"N":
        return False
    raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not Y or N")


def parse_char(tag: int, raw: bytes) -> bytes:
    if len(raw) == 1:
        return raw
    raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not a single character")


_TIMESTAMPS: dict[bytes, datetime] = {}


def parse_utc_timestamp(tag: int, raw: bytes) -> datetime:
    """``YYYYMMDD-HH:MM:SS`` with an optional fraction of 1 to 9 digits (kept to µs).

    Messages of a burst share their SendingTime, and the session reads it twice
    (validation, latency): recent results are remembered.
    """
    found = _TIMESTAMPS.get(raw)
    if found is not None:
        return found
    parsed = _parse_utc_timestamp(tag, raw)
    if len(_TIMESTAMPS) >= 512:
        _TIMESTAMPS.clear()
    _TIMESTAMPS[raw] = parsed
    return parsed


def _parse_utc_timestamp(tag: int, raw: bytes) -> datetime:
    n = len(raw)
    if n < 17 or raw[8:9] != b"-" or raw[11:12] != b":" or raw[14:15] != b":":
        raise _bad_time(tag)
    head = raw[:8] + raw[9:11] + raw[12:14] + raw[15:17]
    if not head.isdigit():
        raise _bad_time(tag)
    micros = 0
    if n > 17:
        frac = raw[18:]
        if raw[17:18] != b"." or not frac.isdigit() or len(frac) > 9:
            raise _bad_time(tag)
        micros = int((frac + b"000000")[:6])
    try:
        return datetime(
            int(raw[0:4]),
            int(raw[4:6]),
            int(raw[6:8]),
            int(raw[9:11]),
            int(raw[12:14]),
            int(raw[15:17]),
            micros,
            tzinfo=UTC,
        )
    except ValueError:
        raise _bad_time(tag) from None


def parse_local_date(tag: int, raw: bytes) -> date:
    """``YYYYMMDD`` (LocalMktDate / UTCDateOnly)."""
    if len(raw) != 8 or not raw.isdigit():
        raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not YYYYMMDD")
    try:
        return date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not a date") from None


def _bad_time(tag: int) -> BadTagValue:
    return BadTagValue(tag, f"Incorrect data format for value: tag {tag} is not a UTC timestamp")


def format_utc_timestamp(when: datetime, precision: int = 3) -> bytes:
    """UTCTimestamp with 0, 3 or 6 fractional digits."""
    if when.tzinfo is None:
        raise ValueError("FIX timestamps are UTC: refusing a naive datetime")
    t = when if when.tzinfo is UTC else when.astimezone(UTC)
    base = b"%04d%02d%02d-%02d:%02d:%02d" % (t.year, t.month, t.day, t.hour, t.minute, t.second)
    if precision == 6:
        return base + b".%06d" % t.microsecond
    if precision == 3:
        return base + b".%03d" % (t.microsecond // 1000)
    return base
