"""Reading the audit log for the API: verify a range, page through records, export.

Verification uses the audit store's own verifier (``audit.verify_store`` for
the SQL stores, the pure ``audit.verify.ChainVerifier`` over any log); both
stream with flat memory. These calls block on storage, so routes run them in
a worker thread, never on the event loop that carries orders.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditLog, AuditRecord
from audit.export import CSV_COLUMNS, export_range, record_line
from audit.record import canonical_bytes
from audit.sql_store import SqlAuditLog
from gateway.api import views


def verify_range(
    audit: AuditLog,
    start_seq: int,
    end_seq: int | None,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> dict[str, Any]:
    """Check the hash chain from ``start_seq`` to ``end_seq`` (inclusive; None: the head).

    With ``keys`` (the gateway's checkpoint keys) every checkpoint's signature is checked too.
    """
    from audit.verify import ChainVerifier

    if isinstance(audit, SqlAuditLog):
        from audit.verify_store import verify_store

        method = "audit.verify_store (stored Merkle roots" + (", checkpoint signatures)" if keys else ")")
        return _result(verify_store(audit, start_seq, end_seq, keys=keys), method)
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


class _Chunks:
    """A text sink that hands UTF-8 chunks of about 64 KiB to ``emit`` (for streaming)."""

    def __init__(self, emit: Callable[[bytes], None], size: int = 65536) -> None:
        self._emit = emit
        self._size = size
        self._parts: list[str] = []
        self._length = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._length += len(text)
        if self._length >= self._size:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            self._emit("".join(self._parts).encode("utf-8"))
            self._parts, self._length = [], 0


class _Discard:
    def write(self, text: str) -> int:
        return len(text)


def export(audit: AuditLog, first_seq: int, last_seq: int, fmt: str, emit: Callable[[bytes], None]) -> str:
    """Stream records ``first_seq..last_seq`` as JSONL or CSV through ``emit``; returns how.

    On the SQL stores with a checkpoint signer this is the audit store's own
    regulator export (``audit.export.export_range``: header, signed checkpoint
    and Merkle range proof, verifiable offline). Without a signer (or on the
    in-memory log) the records alone are written, each with its chain data,
    in the same line format: the hash chain can be checked, the signature not.
    """
    out = _Chunks(emit)
    try:
        if isinstance(audit, SqlAuditLog):
            try:
                if fmt == "csv":
                    export_range(audit, first_seq, last_seq, cast(IO[str], _Discard()), cast(IO[str], out))
                else:
                    export_range(audit, first_seq, last_seq, cast(IO[str], out))
                return "audit.export.export_range (checkpoint and range proof included)"
            except ValueError:  # the store has no checkpoint signer: nothing was written yet
                pass
        _plain(audit, first_seq, last_seq, fmt, out)
        return "records with chain data (no checkpoint signer: hash chain only)"
    finally:
        out.flush()


def _plain(audit: AuditLog, first_seq: int, last_seq: int, fmt: str, out: _Chunks) -> None:
    writer = csv.writer(cast(IO[str], out)) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for record in audit.read(first_seq, last_seq):
        if writer is None:
            out.write(json.dumps(record_line(record), ensure_ascii=False, separators=(",", ":")) + "\n")
            continue
        payload = json.dumps(record.payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        writer.writerow(
            [
                record.seq,
                record.ts,
                record.event_type,
                record.retention or "",
                payload,
                record.prev_hash,
                record.record_hash,
            ]
        )
