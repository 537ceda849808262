"""Retention classes and legal holds, recorded in the log itself.

Every record carries a retention class: ``None`` in the record means the
default, :data:`audit.record.DEFAULT_RETENTION` (six years, SEC 17a-4(a));
other classes are ``"<N>y"`` (e.g. ``"3y"`` for 17a-4(b) records). A legal
hold is an ``audit.legal_hold`` record naming a range of sequence numbers;
an ``audit.legal_hold_released`` record ends it. Both are ordinary chained
records, so the history of holds is as tamper-evident as the records.

Nothing here (nor anywhere in this package) deletes or alters a record:
:func:`retention_status` only reports when a record *may* leave primary
storage, for an archival process that copies it to WORM media first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from audit.api import AppendTicket, AuditRecord
from audit.record import DEFAULT_RETENTION

LEGAL_HOLD = "audit.legal_hold"
LEGAL_HOLD_RELEASED = "audit.legal_hold_released"
_CLASS = re.compile(r"^([1-9][0-9]?)y$")


class _Appender(Protocol):
    def append(
        self, event_type: str, payload: Mapping[str, Any], *, retention: str | None = None
    ) -> AppendTicket: ...


class _Store(Protocol):
    def query(self, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]: ...

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]: ...


def retention_years(retention: str | None) -> int:
    """Years a record of this class is kept; raises ValueError for an unknown class."""
    match = _CLASS.match(retention or DEFAULT_RETENTION)
    if match is None:
        raise ValueError(f"retention classes are '<N>y' (1-99 years): {retention!r}")
    return int(match.group(1))


def retention_until(ts: str, retention: str | None) -> datetime:
    """The first instant the record is no longer required (UTC)."""
    stamp = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    years = retention_years(retention)
    try:
        return stamp.replace(year=stamp.year + years)
    except ValueError:  # 29 February into a common year
        return stamp.replace(year=stamp.year + years, day=28)


@dataclass(frozen=True, slots=True)
class LegalHold:
    hold_id: str
    first_seq: int
    last_seq: int | None  # None: everything from first_seq on, including future records
    reason: str
    actor: str
    case_ref: str | None
    placed_seq: int

    def covers(self, seq: int) -> bool:
        return seq >= self.first_seq and (self.last_seq is None or seq <= self.last_seq)


def place_legal_hold(
    log: _Appender,
    hold_id: str,
    *,
    reason: str,
    actor: str,
    first_seq: int = 1,
    last_seq: int | None = None,
    case_ref: str | None = None,
) -> AppendTicket:
    """Record a legal hold over ``first_seq..last_seq``; durable when the ticket completes."""
    if not hold_id or not reason or not actor:
        raise ValueError("a legal hold needs an id, a reason and an actor")
    payload = {
        "hold_id": hold_id,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "reason": reason,
        "actor": actor,
        "case_ref": case_ref,
    }
    return log.append(LEGAL_HOLD, payload)


def release_legal_hold(log: _Appender, hold_id: str, *, reason: str, actor: str) -> AppendTicket:
    """Record the end of a legal hold (the hold record itself stays, like every record)."""
    if not reason or not actor:
        raise ValueError("releasing a legal hold needs a reason and an actor")
    return log.append(LEGAL_HOLD_RELEASED, {"hold_id": hold_id, "reason": reason, "actor": actor})


_HOLD_RECORDS = (
    "SELECT seq, body FROM audit_log WHERE event_type >= 'audit.' AND event_type < 'audit/' "
    "AND event_type IN (?, ?) ORDER BY seq"
)


def active_holds(store: _Store) -> list[LegalHold]:
    """Holds placed and not released, replayed from the log in order."""
    holds: dict[str, LegalHold] = {}
    for seq, body in store.query(_HOLD_RECORDS, [LEGAL_HOLD, LEGAL_HOLD_RELEASED]):
        doc = json.loads(bytes(body))
        payload = doc["payload"]
        if doc["event_type"] == LEGAL_HOLD:
            holds[payload["hold_id"]] = LegalHold(
                payload["hold_id"],
                int(payload["first_seq"]),
                None if payload["last_seq"] is None else int(payload["last_seq"]),
                payload["reason"],
                payload["actor"],
                payload.get("case_ref"),
                int(seq),
            )
        else:
            holds.pop(payload["hold_id"], None)
    return list(holds.values())


@dataclass(frozen=True, slots=True)
class RetentionStatus:
    seq: int
    retention: str
    required_until: datetime
    held_by: tuple[str, ...]

    def may_leave_primary_storage(self, now: datetime) -> bool:
        return now >= self.required_until and not self.held_by


def retention_status(store: _Store, seq: int) -> RetentionStatus:
    """How long record ``seq`` must be kept and which legal holds keep it longer."""
    record = next(store.read(seq, seq), None)
    if record is None:
        raise KeyError(f"no record {seq}")
    holds = tuple(hold.hold_id for hold in active_holds(store) if hold.covers(seq))
    return RetentionStatus(
        seq,
        record.retention or DEFAULT_RETENTION,
        retention_until(record.ts, record.retention),
        holds,
    )
