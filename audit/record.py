"""Canonical bytes and hashes of audit records (see docs/audit-format.md).

canonical = UTF-8 JSON of {"event_type", "payload", "seq", "ts"} (plus
"retention" when the record has a non-default retention class) with keys
sorted at every level, separators "," and ":", no ASCII escaping, no floats.
record_hash = SHA-256(prev_hash_bytes || canonical), hex lower-case.
The first record's prev_hash is 64 zeros.

The store builds the same bytes in two steps (:func:`payload_json` in the
appending thread, :func:`assemble` in the writer) so the writer's critical
section stays small; a test pins the two paths to the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import orjson

GENESIS_HASH = "0" * 64
DEFAULT_RETENTION = "6y"
"""The retention class of a record whose canonical bytes carry no "retention" key."""

_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _reject_float(value: object) -> None:
    raise TypeError(f"audit payloads carry no binary floats or unknown types: {value!r}")


def canonical_bytes(
    seq: int,
    ts: str,
    event_type: str,
    payload: Mapping[str, Any],
    retention: str | None = None,
) -> bytes:
    body: dict[str, Any] = {"event_type": event_type, "payload": payload, "seq": seq, "ts": ts}
    if retention is not None:
        body["retention"] = retention
    _check_no_floats(payload)
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_reject_float
    ).encode("utf-8")


def _check_no_floats(value: object) -> None:
    """Refuse binary floats anywhere in a payload (exact-type checks: this runs per record)."""
    _plain_json(value)


def _plain_json(value: object) -> bool:
    """Raise TypeError on any float (subclasses too); True when every value is exactly a
    str, int, bool, None, dict, list or tuple, the types on which orjson and the json
    module write identical bytes.

    Leaves of the plain types are passed over where they are found; only containers and
    anything else go on the stack (this runs for every record appended).
    """
    plain = True
    stack: list[Any] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            children: Any = item.values()
        elif kind is list or kind is tuple:
            children = item
        elif kind is str or kind is int or kind is bool or item is None:
            continue
        elif isinstance(item, float):
            _reject_float(item)
            continue
        elif isinstance(item, Mapping):
            stack.extend(item.values())
            plain = False
            continue
        elif isinstance(item, list | tuple):
            stack.extend(item)
            plain = False
            continue
        else:
            plain = False
            continue
        for child in children:
            kind = type(child)
            if kind is str or child is None or kind is int or kind is bool:
                continue
            push(child)
    return plain


def json_string(text: str) -> bytes:
    """A JSON string literal in UTF-8, exactly as the canonical form writes it."""
    return _encoder.encode(text).encode("utf-8")


def payload_json(payload: Mapping[str, Any]) -> bytes:
    """Canonical JSON of a payload; a float or unknown type raises TypeError here, in the caller.

    orjson (about 8x faster) writes the plain JSON types byte for byte as the json module does
    with the canonical settings (a property test pins this); anything else (subclasses,
    integers beyond 64 bits, odd keys) goes through the json module itself.
    """
    if _plain_json(payload):
        try:
            return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return _encoder.encode(payload).encode("utf-8")


def assemble(seq: int, ts: str, et_json: bytes, pj: bytes, rj: bytes | None) -> bytes:
    """:func:`canonical_bytes` from parts already encoded: keys in sorted order
    event_type, payload, [retention], seq, ts."""
    retention = b"" if rj is None else b',"retention":' + rj
    return (
        b'{"event_type":'
        + et_json
        + b',"payload":'
        + pj
        + retention
        + b',"seq":'
        + str(seq).encode("ascii")
        + b',"ts":'
        + json_string(ts)
        + b"}"
    )


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def chain_digest(prev: bytes, canonical: bytes) -> bytes:
    """:func:`chain_hash` on raw 32-byte digests, for the hot paths."""
    return hashlib.sha256(prev + canonical).digest()
