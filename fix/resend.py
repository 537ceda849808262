"""Answering a ResendRequest: which stored messages to replay, which gaps to fill.

Only application messages are stored; every sequence number in the range
without a stored message was an admin message (or never reached the store)
and is covered by a SequenceReset-GapFill, consecutive gaps merged into one.
"""

from __future__ import annotations

from dataclasses import dataclass

from fix.message import Field
from fix.tags import (
    BEGIN_STRING,
    BODY_LENGTH,
    CHECK_SUM,
    MSG_SEQ_NUM,
    MSG_TYPE,
    ORIG_SENDING_TIME,
    POSS_DUP_FLAG,
    SENDER_COMP_ID,
    SENDING_TIME,
    TARGET_COMP_ID,
)

_HEADER_REBUILT = frozenset(
    {
        BEGIN_STRING,
        BODY_LENGTH,
        MSG_TYPE,
        SENDER_COMP_ID,
        TARGET_COMP_ID,
        MSG_SEQ_NUM,
        SENDING_TIME,
        POSS_DUP_FLAG,
        ORIG_SENDING_TIME,
        CHECK_SUM,
    }
)


@dataclass(frozen=True, slots=True)
class GapFill:
    """SequenceReset-GapFill sent as ``seq``, telling the peer to expect ``new_seq_no`` next."""

    seq: int
    new_seq_no: int


@dataclass(frozen=True, slots=True)
class Replay:
    """A stored application message resent with PossDupFlag=Y."""

    seq: int
    raw: bytes


def clamp_range(begin: int, end: int, next_sender_seq: int) -> tuple[int, int]:
    """EndSeqNo 0 (or FIX 4.1's 999999, or anything past the last sent) means "up to the last"."""
    last = next_sender_seq - 1
    if end == 0 or end > last:
        end = last
    return max(begin, 1), end


def plan(stored: list[tuple[int, bytes]], begin: int, end: int) -> list[GapFill | Replay]:
    """The replies to a ResendRequest for ``begin..end`` given the stored messages."""
    steps: list[GapFill | Replay] = []
    next_expected = begin
    for seq, raw in stored:
        if seq < begin or seq > end:
            continue
        if seq > next_expected:
            steps.append(GapFill(next_expected, seq))
        steps.append(Replay(seq, raw))
        next_expected = seq + 1
    if next_expected <= end:
        steps.append(GapFill(next_expected, end + 1))
    return steps


def split_stored(fields: list[Field]) -> tuple[bytes, bytes | None, list[Field]]:
    """MsgType, original SendingTime and body of a stored message (header rebuilt on resend)."""
    msg_type = b""
    sending_time: bytes | None = None
    body: list[Field] = []
    for tag, value in fields:
        if tag == MSG_TYPE:
            msg_type = value
        elif tag == SENDING_TIME:
            sending_time = value
        elif tag not in _HEADER_REBUILT:
            body.append((tag, value))
    return msg_type, sending_time, body
