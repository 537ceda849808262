"""The signed audit checkpoint a report was built against.

The audit store appends ``audit.checkpoint`` records (tree size, Merkle root,
head hash, Ed25519 signature). The checkpoint that covers a range is the first
one after it, so its signed tree contains every record of the range. Which
checkpoint was used is an input of the report, stamped in the manifest, so a
later verification uses the same one even after more checkpoints were written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.api import AuditLog
from audit.checkpoint import CHECKPOINT_EVENT, Checkpoint
from audit.proofs import checkpoint_covering
from audit.sql_store import SqlAuditLog
from reporting.auditrange import record_at

SEARCH_AHEAD = 200_000
"""How far past the range to look for a checkpoint (the store writes one every 10,000
records or minute by default)."""


@dataclass(frozen=True, slots=True)
class CheckpointRef:
    """A checkpoint record: where it is in the log and what it signs."""

    seq: int
    record_hash: str
    checkpoint: Checkpoint

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "record_hash": self.record_hash, **self.checkpoint.payload()}

    def describe(self) -> str:
        c = self.checkpoint
        return (
            f"record {self.seq:,}: tree size {c.tree_size:,}, root {c.root}, "
            f"signed {c.time} by key {c.key_id}"
        )


def find_covering(log: AuditLog, last_seq: int) -> CheckpointRef | None:
    """The first checkpoint written after ``last_seq``, if one exists yet."""
    if isinstance(log, SqlAuditLog):  # the store indexes its checkpoints
        found = checkpoint_covering(log, last_seq)
        return None if found is None else load(log, found[0])
    head_seq, _ = log.head()
    end = min(head_seq, last_seq + SEARCH_AHEAD)
    for record in log.read(last_seq + 1, end):
        if record.event_type == CHECKPOINT_EVENT:
            checkpoint = Checkpoint.from_payload(record.payload)
            if checkpoint.tree_size >= last_seq:
                return CheckpointRef(record.seq, record.record_hash, checkpoint)
    return None


def load(log: AuditLog, seq: int) -> CheckpointRef:
    """The checkpoint at ``seq`` (as named by a manifest); raises when it is not one."""
    record = record_at(log, seq)
    if record is None or record.event_type != CHECKPOINT_EVENT:
        raise LookupError(f"audit record {seq} is not a checkpoint")
    return CheckpointRef(record.seq, record.record_hash, Checkpoint.from_payload(record.payload))
