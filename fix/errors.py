"""Typed FIX errors, each knowing the protocol reply it calls for.

::

    FixError
    ├── GarbledMessage            framing is broken: the message is dropped, not counted
    │   ├── BadBeginString
    │   ├── BadBodyLength
    │   ├── BadCheckSum
    │   └── BadHeaderOrder        8, 9, 35 are not the first three fields
    └── FieldError                the frame is sound but a field is not: session Reject 35=3
        ├── InvalidTagNumber      373=0
        ├── MissingTag            373=1
        ├── TagNotForMessage      373=2
        ├── UndefinedTag          373=3
        ├── EmptyTagValue         373=4
        ├── ValueIncorrect        373=5
        │   └── SendingTimeProblem    373=10 (answered with a Logout)
        ├── BadTagValue           373=6 (wrong data type)
        ├── InvalidMsgType        373=11
        ├── DuplicateTag          373=13
        ├── TagOutOfOrder         373=14
        └── BadGroupCount         373=16

The session layer turns a :class:`GarbledMessage` into "ignore, log, do not
increment the inbound sequence number" and a :class:`FieldError` into a
session-level Reject carrying ``reason`` and ``tag``, as the FIX session test
cases (2.j, 2.n, 14.a-14.j) prescribe.
"""

from __future__ import annotations

from fix.tags import SessionRejectReason as R


class FixError(Exception):
    """Base of every error this package raises about a FIX message."""


class GarbledMessage(FixError):
    """A frame that cannot be trusted at all; the bytes are discarded."""

    def __init__(self, message: str, raw: bytes = b"") -> None:
        super().__init__(message)
        self.raw = raw


class BadBeginString(GarbledMessage):
    """The frame does not start with ``8=FIX``."""


class BadBodyLength(GarbledMessage):
    """BodyLength (9) does not point at the CheckSum (10) field."""


class BadCheckSum(GarbledMessage):
    """CheckSum (10) does not match the bytes received."""


class BadHeaderOrder(GarbledMessage):
    """BeginString, BodyLength and MsgType are not the first three fields."""


class FieldError(FixError):
    """A field-level problem, answered with a session Reject (35=3)."""

    reason: int = R.OTHER

    def __init__(self, tag: int | None, message: str) -> None:
        super().__init__(message)
        self.tag = tag
        self.text = message


class InvalidTagNumber(FieldError):
    reason = R.INVALID_TAG_NUMBER


class MissingTag(FieldError):
    reason = R.REQUIRED_TAG_MISSING

    def __init__(self, tag: int, message: str | None = None) -> None:
        super().__init__(tag, message or f"Required tag missing: {tag}")


class TagNotForMessage(FieldError):
    reason = R.TAG_NOT_DEFINED_FOR_MESSAGE


class UndefinedTag(FieldError):
    reason = R.UNDEFINED_TAG


class EmptyTagValue(FieldError):
    reason = R.TAG_WITHOUT_VALUE


class ValueIncorrect(FieldError):
    reason = R.VALUE_INCORRECT


class SendingTimeProblem(ValueIncorrect):
    """SendingTime or OrigSendingTime out of bounds: the session logs out (2.f, 2.g)."""

    reason = R.SENDING_TIME_ACCURACY


class BadTagValue(FieldError):
    """A value of the wrong data type (a letter in an int, a malformed time...)."""

    reason = R.INCORRECT_DATA_FORMAT


class InvalidMsgType(FieldError):
    reason = R.INVALID_MSG_TYPE


class DuplicateTag(FieldError):
    reason = R.TAG_APPEARS_MORE_THAN_ONCE


class TagOutOfOrder(FieldError):
    reason = R.TAG_OUT_OF_ORDER


class BadGroupCount(FieldError):
    reason = R.INCORRECT_NUM_IN_GROUP
