"""Hash-chain verification of the records a report reads, done in the same pass.

A report is only as good as the records behind it, so every generation checks
that each record's hash is SHA-256(prev_hash || canonical bytes) and that each
record links to the one before. This is the chain rule of audit/record.py; the
audit store's own verifier also checks the store's Merkle checkpoints, which a
report records separately in its manifest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from audit.api import AuditRecord
from audit.record import canonical_bytes


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The outcome of checking a contiguous range of records."""

    verified: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None

    def describe(self) -> str:
        if self.verified:
            return f"VERIFIED: {self.checked} records, every hash and link recomputed"
        return f"FAILED at seq {self.first_bad_seq}: {self.problem}"


class ChainVerifier:
    """Feed records in sequence order; keeps only the previous hash (flat memory)."""

    __slots__ = ("_checked", "_expect_seq", "_first_bad", "_prev", "_problem")

    def __init__(self, first_seq: int, prev_hash: str) -> None:
        self._expect_seq = first_seq
        self._prev = prev_hash
        self._checked = 0
        self._first_bad: int | None = None
        self._problem: str | None = None

    def feed(self, record: AuditRecord) -> None:
        self._checked += 1
        if self._first_bad is not None:
            return
        if record.seq != self._expect_seq:
            self._fail(self._expect_seq, f"expected seq {self._expect_seq}, found {record.seq}")
            return
        if record.prev_hash != self._prev:
            self._fail(record.seq, "prev_hash does not match the previous record's hash")
            return
        digest = hashlib.sha256(bytes.fromhex(self._prev) + _canonical(record)).hexdigest()
        if digest != record.record_hash:
            self._fail(record.seq, "record_hash does not match the record's content")
            return
        self._prev = record.record_hash
        self._expect_seq += 1

    def _fail(self, seq: int, problem: str) -> None:
        self._first_bad, self._problem = seq, problem

    def result(self, expected_last_seq: int) -> ChainResult:
        """Close the check; a range that stopped short of ``expected_last_seq`` fails."""
        if self._first_bad is None and self._expect_seq != expected_last_seq + 1:
            self._fail(self._expect_seq, f"records end at seq {self._expect_seq - 1}")
        return ChainResult(self._first_bad is None, self._checked, self._first_bad, self._problem)


def _canonical(record: AuditRecord) -> bytes:
    retention = getattr(record, "retention", None)
    if retention is None:
        return canonical_bytes(record.seq, record.ts, record.event_type, record.payload)
    return canonical_bytes(
        record.seq, record.ts, record.event_type, record.payload, retention=retention
    )
