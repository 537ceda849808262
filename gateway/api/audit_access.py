"""Reading the audit log for the API: verify a range, page through records, export.

Verification uses the audit store's own verifier (``audit.verify_store`` for
the SQL stores, the pure ``audit.verify.ChainVerifier`` over any log); both
stream with flat memory. These calls block on storage, so routes run them in
a worker thread, never on the event loop that carries orders.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from audit.api import AuditLog, AuditRecord
from audit.record import canonical_bytes
from gateway.api import views


def verify_range(audit: AuditLog, start_seq: int, end_seq: int | None) -> dict[str, Any]:
    """Check the hash chain from ``start_seq`` to ``end_seq`` (inclusive; None: the head)."""
    from audit.sql_store import SqlAuditLog
    from audit.verify import ChainVerifier

    if isinstance(audit, SqlAuditLog):
        from audit.verify_store import verify_store

        return _result(verify_store(audit, start_seq, end_seq), "audit.verify_store (stored Merkle roots)")
    head = audit.head()[0]
    end = head if end_seq is None else min(end_seq, head)
    start = max(start_seq, 1)
    first = next(audit.read(start, start), None)
    verifier = ChainVerifier(start, first.prev_hash if first else "0" * 64)
    verifier.feed(_rows(audit.read(start, end)))
    return _result(verifier.result(), "audit.verify.ChainVerifier (recomputed canonical bytes)")


def _rows(records: Iterator[AuditRecord]) -> Iterator[tuple[int, bytes, bytes, bytes]]:
    for r in records:
        body = canonical_bytes(r.seq, r.ts, r.event_type, r.payload, r.retention)
        yield r.seq, body, bytes.fromhex(r.prev_hash), bytes.fromhex(r.record_hash)


def _result(result: Any, method: str) -> dict[str, Any]:
    fault = result.fault
    return {
        "ok": fault is None,
        "first_seq": result.first_seq,
        "last_seq": result.last_seq,
        "records": result.records,
        "head_hash": result.head_hash,
        "fault": None
        if fault is None
        else {"seq": fault.seq, "kind": str(fault.kind), "detail": fault.detail},
        "method": method,
    }


def page(
    audit: AuditLog, start_seq: int, end_seq: int | None, event_type: str | None, limit: int
) -> dict[str, Any]:
    """Up to ``limit`` records from ``start_seq``; ``next_seq`` continues after the last one read."""
    records: list[dict[str, Any]] = []
    last = start_seq - 1
    for scanned, record in enumerate(audit.read(start_seq, end_seq), start=1):
        last = record.seq
        if event_type is None or record.event_type == event_type:
            records.append(views.audit_record(record))
        if len(records) == limit or scanned == limit * 50:  # bound the scan of a sparse filter
            break
    head = audit.head()[0] if end_seq is None else min(end_seq, audit.head()[0])
    return {"records": records, "next_seq": last + 1 if last < head else None}


def export_lines(audit: AuditLog, start_seq: int, end_seq: int | None, chunk: int = 1000) -> Iterator[bytes]:
    """JSON Lines: one record per line with its chain data (seq, prev_hash, record_hash)."""
    records = audit.read(start_seq, end_seq)
    while batch := list(islice(records, chunk)):
        yield b"".join(
            json.dumps(views.audit_record(r), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            for r in batch
        )
