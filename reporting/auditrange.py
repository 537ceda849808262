"""Which audit records a period covers, and the few records just outside it.

The store is read by sequence number, so a period becomes the contiguous range
of records whose timestamps fall in it, found by binary search on ``ts`` (the
store assigns timestamps in append order). The range, not the period, is what a
report stamps and what its verification re-reads, so a report can be rebuilt
byte for byte however much the log has grown since.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.api import AuditLog, AuditRecord
from audit.record import GENESIS_HASH
from audit.sql_store import SqlAuditLog
from reporting.period import Period

_BACKWARD_CHUNK = 4096
_LAST_BEFORE = (
    "SELECT seq FROM audit_log WHERE event_type = ? AND seq < ? ORDER BY seq DESC LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class AuditRange:
    """Records ``first_seq..last_seq`` inclusive; empty when ``last_seq < first_seq``.

    ``anchor_hash`` is the hash of the record before the range (the genesis
    hash at the start of the log): the chain of the range hangs from it.
    """

    first_seq: int
    last_seq: int
    anchor_hash: str

    @property
    def count(self) -> int:
        return max(0, self.last_seq - self.first_seq + 1)


def record_at(log: AuditLog, seq: int) -> AuditRecord | None:
    """One record by sequence number, or None when there is none."""
    for record in log.read(seq, seq):
        return record
    return None


def locate(log: AuditLog, period: Period) -> AuditRange:
    """The records whose timestamps fall in ``period``."""
    head_seq, _ = log.head()
    first = _first_at_or_after(log, period.start_iso, head_seq)
    last = _first_at_or_after(log, period.end_iso, head_seq) - 1
    return AuditRange(first, max(last, first - 1), anchor_of(log, first))


def anchor_of(log: AuditLog, first_seq: int) -> str:
    """The hash the range's first record must link to."""
    if first_seq <= 1:
        return GENESIS_HASH
    previous = record_at(log, first_seq - 1)
    if previous is None:
        raise LookupError(f"audit record {first_seq - 1} is missing")
    return previous.record_hash


def _first_at_or_after(log: AuditLog, ts: str, head_seq: int) -> int:
    """The lowest seq whose ts is >= ``ts``, or ``head_seq + 1``."""
    lo, hi = 1, head_seq + 1
    while lo < hi:
        mid = (lo + hi) // 2
        record = record_at(log, mid)
        if record is None:
            raise LookupError(f"audit record {mid} is missing")
        if record.ts < ts:
            lo = mid + 1
        else:
            hi = mid
    return lo


def last_before(log: AuditLog, seq: int, event_type: str) -> AuditRecord | None:
    """The last record of ``event_type`` before ``seq``, read backwards in chunks.

    Used for context a period needs but does not contain: the policy in force
    when the period began.
    """
    if isinstance(log, SqlAuditLog):  # one backwards scan in the database, not in Python
        rows = list(log.query(_LAST_BEFORE, [event_type, seq]))
        return record_at(log, int(rows[0][0])) if rows else None
    end = seq - 1
    while end >= 1:
        start = max(1, end - _BACKWARD_CHUNK + 1)
        found: AuditRecord | None = None
        for record in log.read(start, end):
            if record.event_type == event_type:
                found = record
        if found is not None:
            return found
        end = start - 1
    return None
