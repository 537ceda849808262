"""Canonical bytes and hashes of audit records (see docs/audit-format.md).

canonical = UTF-8 JSON of {"event_type", "payload", "seq", "ts"} with keys
sorted at every level, separators "," and ":", no ASCII escaping, no floats.
record_hash = SHA-256(prev_hash_bytes || canonical), hex lower-case.
The first record's prev_hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS_HASH = "0" * 64


def _reject_float(value: object) -> None:
    raise TypeError(f"audit payloads carry no binary floats or unknown types: {value!r}")


def canonical_bytes(seq: int, ts: str, event_type: str, payload: Mapping[str, Any]) -> bytes:
    body = {"event_type": event_type, "payload": payload, "seq": seq, "ts": ts}
    _check_no_floats(payload)
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_reject_float
    ).encode("utf-8")


def _check_no_floats(value: object) -> None:
    if isinstance(value, float):
        _reject_float(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _check_no_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_no_floats(item)


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()
