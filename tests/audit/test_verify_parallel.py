"""Parallel verification reports what the sequential one reports, seams included."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer
from audit.record import chain_digest
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from audit.verify import FaultKind, keyring
from audit.verify_parallel import verify_parallel
from audit.verify_store import verify_store
from tests.audit.conftest import StoreTarget, flip_byte, tamper

KEY = Ed25519PrivateKey.generate()
KEYS = keyring(KEY.public_key())


def filled(target: StoreTarget) -> SqlAuditLog:
    store = target.open(checkpoints=CheckpointPolicy(Ed25519Signer(KEY), every=100, interval=None))
    for n in range(600):
        store.append("e", {"n": n})
    store.flush(10)
    return store


def test_parallel_and_sequential_agree_on_a_good_log(target: StoreTarget) -> None:
    store = filled(target)

    parallel = verify_parallel(store, workers=2, keys=KEYS, min_chunk=100)
    sequential = verify_store(store, keys=KEYS)

    assert parallel.ok and sequential.ok
    assert (parallel.records, parallel.checkpoints, parallel.head_hash, parallel.last_checkpoint) == (
        sequential.records,
        sequential.checkpoints,
        sequential.head_hash,
        sequential.last_checkpoint,
    )


def test_a_flipped_byte_in_a_later_chunk_is_named(target: StoreTarget) -> None:
    store = filled(target)
    flip_byte(target, 500)

    result = verify_parallel(store, workers=2, keys=KEYS, min_chunk=100)

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (500, FaultKind.HASH_MISMATCH)
    assert result.last_seq == 499


def test_chunks_that_each_hang_together_but_do_not_link_are_caught(target: StoreTarget) -> None:
    store = filled(target)  # 606 records; with 2 chunks the second starts at 304
    engine = target.owner_engine()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT seq, body FROM audit_log WHERE seq >= 304 ORDER BY seq").all()
    engine.dispose()
    prev = b"\x01" * 32  # forge the second half as a chain of its own
    forged = []
    for seq, body in rows:
        digest = chain_digest(prev, bytes(body))
        forged.append({"p": prev, "h": digest, "s": seq})
        prev = digest
    tamper(target, "UPDATE audit_log SET prev_hash = :p, record_hash = :h WHERE seq = :s", forged)

    result = verify_parallel(store, workers=2, keys=None, merkle="none", min_chunk=100)

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (304, FaultKind.HASH_MISMATCH)
