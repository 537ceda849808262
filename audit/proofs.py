"""What a report or a regulator asks of the log: checkpoints and the proofs tied to them."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoint import (
    CHECKPOINT_EVENT,
    KEY_CHANGED_EVENT,
    Checkpoint,
    endorsement_valid,
    key_id_of,
    load_public_key,
)
from audit.merkle import Hash
from audit.sql_store import SqlAuditLog
from audit.tree import StoredTree

_CHECKPOINTS = (
    "SELECT seq, body FROM audit_log WHERE event_type >= 'audit.' AND event_type < 'audit/' "
    "AND event_type = ? AND seq >= ? ORDER BY seq"
)
_LATEST = (
    "SELECT seq, body FROM audit_log WHERE event_type >= 'audit.' AND event_type < 'audit/' "
    "AND event_type = ? ORDER BY seq DESC LIMIT 1"
)
_COVERING = (
    "SELECT seq, body FROM audit_log WHERE event_type >= 'audit.' AND event_type < 'audit/' "
    "AND event_type = ? AND seq > ? ORDER BY seq LIMIT 1"
)


def _parse(row: tuple[Any, ...]) -> tuple[int, Checkpoint]:
    seq, body = row
    payload = json.loads(bytes(body))["payload"]
    return int(seq), Checkpoint.from_payload(payload)


def checkpoints(store: SqlAuditLog, start_seq: int = 1) -> Iterator[tuple[int, Checkpoint]]:
    """Every checkpoint record from ``start_seq`` on, as (its seq, the checkpoint)."""
    for row in store.query(_CHECKPOINTS, [CHECKPOINT_EVENT, start_seq]):
        yield _parse(row)


def latest_checkpoint(store: SqlAuditLog) -> tuple[int, Checkpoint] | None:
    with store.reader() as reader:
        row = reader.one(_LATEST, CHECKPOINT_EVENT)
    return None if row is None else _parse(row)


def announce_signing_key(store: SqlAuditLog, endorsement: Mapping[str, Any] | None = None) -> int | None:
    """Record the checkpoint key in the log when it is not the one the log last named.

    A new or rotated key is announced (its id, the previous one's and its public
    half) before it signs anything, so the log itself tells a reader which key
    verifies which checkpoint. ``endorsement`` (from ``gateway keys rotate``) is the
    previous key's signature over this one; it goes into the record when it names
    the key the log last named. Returns the record's seq, or None when the key is
    the one already named or the store signs nothing.
    """
    signer = store.signer
    if signer is None:
        return None
    with store.reader() as reader:
        checkpoint = reader.one(_LATEST, CHECKPOINT_EVENT)
        announced = reader.one(_LATEST, KEY_CHANGED_EVENT)
    last: str | None = None
    if checkpoint is not None:
        last = _parse(checkpoint)[1].key_id
    if announced is not None and (checkpoint is None or int(announced[0]) > int(checkpoint[0])):
        last = json.loads(bytes(announced[1]))["payload"]["key_id"]
    key_id = key_id_of(signer.public_key())
    if last == key_id:
        return None
    payload = {"key_id": key_id, "previous_key_id": last, "public_key": store.public_key_pem()}
    if endorsement is not None and endorsement.get("previous_key_id") == last and last is not None:
        payload["endorsement"] = str(endorsement["endorsement"])
    return store.append(KEY_CHANGED_EVENT, payload).result(timeout=10).seq


def follow_endorsements(
    store: SqlAuditLog, keys: Mapping[str, Ed25519PublicKey]
) -> dict[str, Ed25519PublicKey]:
    """``keys`` plus every key the log shows endorsed, in order, by a key already trusted.

    Reads only the key-change records (indexed), so a verifier that starts mid-log or splits
    the log over workers knows every endorsed key from the outset; the chain verifier still
    checks each endorsement where its record falls, and names a forged one there.
    """
    trusted = dict(keys)
    for row in store.query(_CHECKPOINTS, [KEY_CHANGED_EVENT, 1]):
        payload = json.loads(bytes(row[1]))["payload"]
        retiring = trusted.get(payload.get("previous_key_id") or "")
        endorsement = payload.get("endorsement")
        if retiring is None or endorsement is None or payload["key_id"] in trusted:
            continue
        if endorsement_valid(retiring, payload["key_id"], payload["public_key"], endorsement):
            trusted[payload["key_id"]] = load_public_key(payload["public_key"])
    return trusted


def checkpoint_covering(store: SqlAuditLog, seq: int) -> tuple[int, Checkpoint] | None:
    """The first checkpoint whose tree includes record ``seq`` (None if none yet)."""
    with store.reader() as reader:
        row = reader.one(_COVERING, CHECKPOINT_EVENT, seq)
    return None if row is None else _parse(row)


def inclusion_proof(store: SqlAuditLog, seq: int, tree_size: int) -> list[Hash]:
    """Audit path of record ``seq`` (leaf ``seq - 1``) in the tree of ``tree_size`` records."""
    with store.reader() as reader:
        return StoredTree(reader).inclusion_proof(seq, tree_size)


def consistency_proof(store: SqlAuditLog, old_size: int, new_size: int) -> list[Hash]:
    """Proof that the first ``old_size`` records are unchanged in the tree of ``new_size``."""
    with store.reader() as reader:
        return StoredTree(reader).consistency_proof(old_size, new_size)


def leaf_hash_of(store: SqlAuditLog, seq: int) -> Hash:
    with store.reader() as reader:
        return StoredTree(reader).leaves(seq - 1, seq)[0]
