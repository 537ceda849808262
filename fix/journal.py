"""Recording every FIX message in and out, through an injected callable.

The session calls a :data:`Journal` with a :class:`WireRecord` for each
message it receives (including garbled frames it drops) and each message it
sends. :class:`AuditJournal` writes them to an :class:`audit.AuditLog`; the
gateway decides whether to use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from audit.api import AuditLog

FIX_INBOUND = "fix.in"
FIX_OUTBOUND = "fix.out"
FIX_GARBLED = "fix.garbled"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    GARBLED = "garbled"


@dataclass(frozen=True, slots=True)
class WireRecord:
    """One message on the wire; ``raw`` is exactly the bytes sent or received."""

    session: str
    direction: Direction
    raw: bytes
    msg_type: str | None = None
    seq: int | None = None
    note: str | None = None

    def __init__(
        self,
        session: str,
        direction: Direction,
        raw: bytes,
        msg_type: str | None = None,
        seq: int | None = None,
        note: str | None = None,
    ) -> None:
        # written out: the dataclass-made __init__ is interpreted (tests/test_initialisers.py);
        # one is built for every message in and out
        object.__setattr__(self, "session", session)
        object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "msg_type", msg_type)
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "note", note)


Journal = Callable[[WireRecord], None]


def null_journal(record: WireRecord) -> None:
    """Records nothing."""
    return None


def wire_payload(record: WireRecord) -> dict[str, Any]:
    """JSON payload; ``raw`` is the bytes as Latin-1 text (lossless, SOH kept as U+0001)."""
    return {
        "session": record.session,
        "direction": record.direction.value,
        "msg_type": record.msg_type,
        "seq": record.seq,
        "note": record.note,
        "raw": record.raw.decode("latin-1"),
    }


class AuditJournal:
    """Appends each wire record to the audit log (fire and forget: the ticket is not awaited,
    and the record is lazy: it shares the commit of the next record someone waits on).

    The acknowledgement to a client never waits on this record; durability
    of the *order* is the pipeline's promise. An append failure is counted,
    not raised, so the audit outage is visible without killing the session.
    """

    _EVENT = {
        Direction.IN: FIX_INBOUND,
        Direction.OUT: FIX_OUTBOUND,
        Direction.GARBLED: FIX_GARBLED,
    }

    def __init__(self, log: AuditLog) -> None:
        self._log = log
        self.failures = 0

    def __call__(self, record: WireRecord) -> None:
        try:
            self._log.append(self._EVENT[record.direction], wire_payload(record), lazy=True)
        except Exception:
            self.failures += 1
