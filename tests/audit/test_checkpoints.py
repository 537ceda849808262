"""Signed checkpoints every N records or T seconds, and proofs against them."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import (
    CHECKPOINT_EVENT,
    Checkpoint,
    Ed25519Signer,
    load_public_key,
    signature_valid,
)
from audit.merkle import consistency_proof as list_consistency
from audit.merkle import inclusion_proof as list_inclusion
from audit.merkle import leaf_hash, list_oracle, root_of, verify_consistency, verify_inclusion
from audit.proofs import (
    checkpoint_covering,
    checkpoints,
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
)
from audit.record import canonical_bytes
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from tests.audit.conftest import StoreTarget

KEY = Ed25519PrivateKey.generate()


def policy(every: int | None = 100, interval: float | None = None) -> CheckpointPolicy:
    return CheckpointPolicy(Ed25519Signer(KEY), every=every, interval=interval)


def leaves(store: SqlAuditLog) -> list[bytes]:
    return [
        leaf_hash(canonical_bytes(r.seq, r.ts, r.event_type, r.payload, r.retention)) for r in store.read()
    ]


def append(store: SqlAuditLog, count: int) -> None:
    for n in range(count):
        store.append("e", {"n": n})
    store.flush(10)


def test_a_checkpoint_every_n_records_signs_size_root_and_head(target: StoreTarget) -> None:
    store = target.open(checkpoints=policy(every=100))
    append(store, 250)
    records = {r.seq: r for r in store.read()}
    hashed = leaves(store)
    public = load_public_key(store.public_key_pem() or "")

    found = list(checkpoints(store))

    assert [seq for seq, _ in found] == [101, 202]
    for seq, checkpoint in found:
        assert records[seq].event_type == CHECKPOINT_EVENT
        assert checkpoint.tree_size == seq - 1
        assert checkpoint.root == root_of(hashed[: seq - 1]).hex()
        assert checkpoint.head_hash == records[seq - 1].record_hash
        assert checkpoint.log_id == store.log_id
        assert checkpoint.time == records[seq].ts
        assert signature_valid(checkpoint, public)
    assert store.head()[0] == 252


def test_a_tampered_checkpoint_does_not_verify() -> None:
    signer = Ed25519Signer(KEY)
    from audit.checkpoint import sign_checkpoint

    good = sign_checkpoint(signer, "log", 5, b"\x01" * 32, b"\x02" * 32, "2026-01-01T00:00:00.000000Z")
    forged = Checkpoint(**{**good.payload(), "tree_size": 6})

    assert signature_valid(good, KEY.public_key())
    assert not signature_valid(forged, KEY.public_key())
    assert not signature_valid(good, Ed25519PrivateKey.generate().public_key())


def test_a_checkpoint_every_t_seconds_only_when_something_is_new(target: StoreTarget) -> None:
    store = target.open(checkpoints=policy(every=None, interval=0.2))
    append(store, 5)

    deadline = time.monotonic() + 10
    while latest_checkpoint(store) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    latest = latest_checkpoint(store)
    assert latest is not None and latest[1].tree_size == 5
    time.sleep(0.6)  # three intervals with nothing new: no new checkpoint

    assert latest_checkpoint(store) == latest
    assert store.head()[0] == 6


def test_checkpoint_now_and_reopening_keep_the_count(target: StoreTarget) -> None:
    store = target.open(checkpoints=policy(every=100))
    append(store, 150)  # checkpoint at 101
    forced = store.checkpoint_now().result(5)
    assert forced.seq == 152 and forced.payload["tree_size"] == 151
    store.close()

    reopened = target.open(checkpoints=policy(every=100))
    append(reopened, 100)  # 100 after the forced checkpoint: the next one is at 253

    assert [seq for seq, _ in checkpoints(reopened)] == [101, 152, 253]


def test_a_clean_close_signs_the_tail_once(target: StoreTarget) -> None:
    store = target.open(checkpoints=policy(every=None))
    append(store, 5)
    store.close()
    reopened = target.open(checkpoints=policy(every=None))
    latest = latest_checkpoint(reopened)
    assert latest is not None and latest[0] == 6 and latest[1].tree_size == 5  # every record signed
    reopened.close()  # nothing new since: no second checkpoint

    again = target.open(checkpoints=policy(every=None))
    assert again.head()[0] == 6 and [seq for seq, _ in checkpoints(again)] == [6]


def test_store_proofs_match_the_definition_and_verify(target: StoreTarget) -> None:
    store = target.open(checkpoints=policy(every=300))
    append(store, 900)  # past 512: saved Merkle nodes of levels 8 and 9 are used
    hashed = leaves(store)
    (first_seq, first), (second_seq, second) = list(checkpoints(store))[:2]
    oracle = list_oracle(hashed)

    for seq in (1, 77, 256, 257, first_seq, 555, second.tree_size):
        proof = inclusion_proof(store, seq, second.tree_size)
        assert proof == list_inclusion(seq - 1, second.tree_size, oracle)
        assert verify_inclusion(seq - 1, second.tree_size, hashed[seq - 1], proof, bytes.fromhex(second.root))
    proof = consistency_proof(store, first.tree_size, second.tree_size)
    assert proof == list_consistency(first.tree_size, second.tree_size, oracle)
    assert verify_consistency(
        first.tree_size,
        second.tree_size,
        bytes.fromhex(first.root),
        bytes.fromhex(second.root),
        proof,
    )
    covering = checkpoint_covering(store, 350)
    assert covering is not None and covering[0] == second_seq
