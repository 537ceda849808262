"""The query columns of a stored record against the bytes its hash covers.

``audit_log`` keeps ``ts``, ``event_type`` and ``retention`` beside the canonical
body so that the database can select by them (checkpoints, retention, reports).
Only the body is hashed, so verification must also check that these copies say
what the body says: otherwise a changed ``event_type`` could hide a checkpoint from
the queries that look for one, or a changed ``ts`` move a record out of a report's
day, and the chain would still verify.

The database finds the rows whose columns do not frame the body (one scan, no
row leaves it when all is well); each is confirmed against the exact canonical
encoding before it counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from audit.record import json_string
from audit.verify import Fault, FaultKind, embedded_seq

_QUERIES = {
    "sqlite": (
        "SELECT seq, ts, event_type, retention, body, prev_hash, record_hash FROM audit_log"
        " WHERE seq >= ? AND seq <= ? AND ("
        " substr(body, -29, 27) != CAST(ts AS BLOB)"
        """ OR substr(body, 16, length(CAST(event_type AS BLOB)) + 2) != CAST(event_type || '",' AS BLOB)"""
        " OR CASE WHEN retention IS NULL THEN substr(body, -44 - length(seq), 1) != CAST('}' AS BLOB)"
        " ELSE substr(body, -59 - length(seq) - length(CAST(retention AS BLOB)),"
        " 16 + length(CAST(retention AS BLOB)))"
        """ != CAST('},"retention":"' || retention || '"' AS BLOB) END)"""
        " ORDER BY seq"
    ),
    "postgresql": (
        "SELECT seq, ts, event_type, retention, body, prev_hash, record_hash FROM audit_log"
        " WHERE seq >= ? AND seq <= ? AND ("
        " substring(body from octet_length(body) - 28 for 27) <> convert_to(ts, 'UTF8')"
        " OR substring(body from 16 for octet_length(convert_to(event_type, 'UTF8')) + 2)"
        """ <> convert_to(event_type || '",', 'UTF8')"""
        " OR CASE WHEN retention IS NULL"
        " THEN substring(body from octet_length(body) - 43 - length(seq::text) for 1)"
        " <> convert_to('}', 'UTF8')"
        " ELSE substring(body from octet_length(body) - 58 - length(seq::text)"
        " - octet_length(convert_to(retention, 'UTF8'))"
        " for 16 + octet_length(convert_to(retention, 'UTF8')))"
        """ <> convert_to('},"retention":"' || retention || '"', 'UTF8') END)"""
        " ORDER BY seq"
    ),
}
"""Each row's columns against the bytes at their fixed places in a canonical body, which
ends ``}[,"retention":"R"],"seq":N,"ts":"<27>"}``: byte comparisons, nothing built per row
but the rare retention. Names that JSON would escape are never ours; they would only show
up here as candidates, and the exact check below settles them."""


def mismatch_query(dialect: str) -> str:
    """Rows of ``seq`` between two ``?`` whose columns may disagree with their body, with
    the row's hashes so that the caller can tell a changed column from a changed body."""
    return _QUERIES[dialect]


def columns_agree(seq: int, ts: str, event_type: str, retention: str | None, body: bytes) -> bool:
    """Do the stored columns say what the canonical body says (exact encoding)?"""
    head = b'{"event_type":' + json_string(event_type) + b',"payload":'
    kept = b"" if retention is None else b',"retention":' + json_string(retention)
    tail = b"}" + kept + b',"seq":%d,"ts":' % seq + json_string(ts) + b"}"
    return body.startswith(head) and body.endswith(tail)


def first_mismatch(candidates: Iterable[tuple[Any, ...]]) -> Fault | None:
    """The first candidate row whose columns really disagree with its intact body (a body
    that was itself changed, or moved, is the chain's to name: hash mismatch, reorder)."""
    for seq, ts, event_type, retention, body, prev_hash, record_hash in candidates:
        stored, prev = bytes(body), bytes(prev_hash)
        if len(prev) != 32 or hashlib.sha256(prev + stored).digest() != bytes(record_hash):
            continue
        if embedded_seq(stored) != seq:
            continue
        if not columns_agree(seq, ts, event_type, retention, stored):
            return Fault(
                seq,
                FaultKind.COLUMN_MISMATCH,
                "stored ts, event_type or retention differs from the hashed record",
            )
    return None
