"""Records of a range for the projections, and the rows (bytes and hashes) the chain check needs.

A store that can hand out its stored rows (the SQL store's ``rows()``: seq,
canonical bytes, prev hash, record hash) is read that way: the bytes are
hashed as stored and parsed once. Any other AuditLog is read with ``read()``
and its canonical bytes rebuilt with the same encoder the store uses (keys
sorted at every level, no spaces, UTF-8 unescaped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from audit.api import AuditLog
from reporting.record import Record, StoredRecord

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_decode_str = json.JSONDecoder().decode


def _stdlib_decode(data: bytes) -> Any:
    return _decode_str(data.decode("utf-8"))


_decode_bytes: Callable[[bytes], Any]
try:  # several times faster than json on audit payloads, same values (no floats in payloads)
    from orjson import loads as _decode_bytes
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    _decode_bytes = _stdlib_decode

RawRows = Callable[[int, int], Iterator[tuple[int, Any, Any, Any]]]
Row = tuple[int, bytes, bytes, bytes]


def canonical(record: Record) -> bytes:
    """The bytes a record's hash covers (audit/record.py ``canonical_bytes``, without the
    float check: a record read back is hashed exactly as it is)."""
    body: dict[str, Any] = {
        "event_type": record.event_type,
        "payload": record.payload,
        "seq": record.seq,
        "ts": record.ts,
    }
    retention = getattr(record, "retention", None)
    if retention is not None:
        body["retention"] = retention
    return _ENCODER.encode(body).encode("utf-8")


def stream(
    log: AuditLog, first: int, last: int, visit: Callable[[Record], None]
) -> Iterator[Row]:
    """Hand every record of seq ``first..last`` to ``visit`` and yield the row the chain
    check needs: ``(seq, canonical bytes, prev hash, record hash)``."""
    rows: RawRows | None = getattr(log, "rows", None)
    if rows is None or not callable(rows):
        for record in log.read(first, last):
            visit(record)
            yield (
                record.seq,
                canonical(record),
                bytes.fromhex(record.prev_hash),
                bytes.fromhex(record.record_hash),
            )
        return
    decode = _decode_bytes
    for seq, raw, prev, digest in rows(first, last):
        body, prev, digest = bytes(raw), bytes(prev), bytes(digest)
        doc = decode(body)
        stored = StoredRecord(
            seq,
            doc["ts"],
            doc["event_type"],
            doc["payload"],
            prev.hex(),
            digest.hex(),
            doc.get("retention"),
        )
        if doc["seq"] != seq:  # bytes of another record stored here: the hash check fails
            body = canonical(stored)
        visit(stored)
        yield seq, body, prev, digest
