"""Verification names the first bad record and the kind of fault."""

from __future__ import annotations

import pytest
import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from audit.verify import ChainVerifier, FaultKind, VerifyResult, keyring
from audit.verify_store import verify_store
from tests.audit.conftest import StoreTarget, flip_byte, tamper

KEY = Ed25519PrivateKey.generate()
KEYS = keyring(KEY.public_key())
MODES = ("recompute", "stored", "none")


def filled(target: StoreTarget, records: int = 700, every: int = 100) -> SqlAuditLog:
    store = target.open(checkpoints=CheckpointPolicy(Ed25519Signer(KEY), every=every, interval=None))
    for n in range(records):
        store.append("order.accepted", {"n": n, "qty": "100", "note": "é"})
    store.flush(10)
    return store


@pytest.mark.parametrize("merkle", MODES)
def test_an_untouched_log_verifies(target: StoreTarget, merkle: str) -> None:
    store = filled(target)
    head = store.head()

    result = verify_store(store, keys=KEYS, merkle=merkle, deep=True)  # type: ignore[arg-type]

    assert result.ok, result.fault
    assert result.records == head[0] == 707  # 700 records and 7 checkpoints
    assert result.checkpoints == 7
    assert result.head_hash == head[1]
    assert result.signatures_checked
    assert result.merkle_checked == (merkle != "none")


@pytest.mark.parametrize("column", ["body", "record_hash", "prev_hash"])
def test_flipping_one_byte_names_that_record(target: StoreTarget, column: str) -> None:
    store = filled(target)
    flip_byte(target, 345, column, offset=5)

    result = verify_store(store, keys=KEYS)

    assert result.fault is not None
    assert result.fault.seq == 345
    assert result.fault.kind is FaultKind.HASH_MISMATCH
    assert result.last_seq == 344


def test_a_deleted_record_is_a_gap(target: StoreTarget) -> None:
    store = filled(target)
    tamper(target, "DELETE FROM audit_log WHERE seq = 222")

    result = verify_store(store, keys=KEYS)

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (222, FaultKind.GAP)


def test_a_truncated_tail_is_a_gap(target: StoreTarget) -> None:
    store = filled(target)
    tamper(target, "DELETE FROM audit_log WHERE seq > 600")

    result = verify_store(store, keys=KEYS)

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (601, FaultKind.GAP)


def test_swapped_records_are_a_reorder(target: StoreTarget) -> None:
    store = filled(target)
    tamper(target, "UPDATE audit_log SET seq = -1 WHERE seq = 50")
    tamper(target, "UPDATE audit_log SET seq = 50 WHERE seq = 51")
    tamper(target, "UPDATE audit_log SET seq = 51 WHERE seq = -1")

    result = verify_store(store, keys=KEYS)

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (50, FaultKind.REORDER)


def test_a_checkpoint_signed_by_another_key_is_a_bad_signature(target: StoreTarget) -> None:
    store = filled(target, records=150)
    store.close()
    rogue = Ed25519Signer(Ed25519PrivateKey.generate())
    other = target.open(checkpoints=CheckpointPolicy(rogue, every=None, interval=None))
    rogue_seq = other.checkpoint_now().result(5).seq

    result = verify_store(other, keys=KEYS)

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (rogue_seq, FaultKind.BAD_SIGNATURE)
    assert verify_store(other, keys=keyring(KEY.public_key(), rogue.public_key())).ok


def test_a_tampered_merkle_node_makes_the_next_checkpoint_inconsistent(
    target: StoreTarget,
) -> None:
    store = filled(target)  # checkpoints at 101, 202, ...; node (8, 0) covers seqs 1..256
    tamper(
        target,
        "UPDATE audit_merkle_node SET hash = :h WHERE level = 8 AND idx = 0",
        {"h": b"\x00" * 32},
    )

    stored = verify_store(store, keys=KEYS, merkle="stored")
    recomputed = verify_store(store, keys=KEYS, merkle="recompute")

    assert stored.fault is not None
    assert (stored.fault.seq, stored.fault.kind) == (303, FaultKind.INCONSISTENT_CHECKPOINT)
    assert recomputed.ok  # the records themselves are intact


def test_verifying_from_a_checkpoint_skips_what_it_already_signed(target: StoreTarget) -> None:
    store = filled(target)
    flip_byte(target, 10)  # before the checkpoint at 404
    flip_byte(target, 500)  # after it

    from_checkpoint = verify_store(store, keys=KEYS, from_checkpoint=404)
    whole = verify_store(store, keys=KEYS)

    assert whole.fault is not None and whole.fault.seq == 10
    assert from_checkpoint.first_seq == 404
    assert from_checkpoint.fault is not None
    assert (from_checkpoint.fault.seq, from_checkpoint.fault.kind) == (
        500,
        FaultKind.HASH_MISMATCH,
    )


def test_verifying_a_range(target: StoreTarget) -> None:
    store = filled(target)
    flip_byte(target, 10)

    after = verify_store(store, 102, 200, keys=KEYS)
    covering = verify_store(store, 5, 200, keys=KEYS)
    signing_it = verify_store(store, 50, 200, keys=KEYS)  # the checkpoint at 101 covers seq 10

    assert after.ok and (after.first_seq, after.last_seq, after.records) == (102, 200, 99)
    assert covering.fault is not None
    assert (covering.fault.seq, covering.fault.kind) == (10, FaultKind.HASH_MISMATCH)
    assert signing_it.fault is not None
    assert (signing_it.fault.seq, signing_it.fault.kind) == (
        101,
        FaultKind.INCONSISTENT_CHECKPOINT,
    )


# The streamed fast path (prev_hash || body joined by the database, rows read again
# whole only when something is off) must name the same record and kind as the plain one.


def _plain(store: SqlAuditLog) -> VerifyResult:
    """The reference: every row through ChainVerifier.feed, as before the fast path."""
    verifier = ChainVerifier(keys=KEYS, log_id=store.log_id)
    verifier.feed(store.rows())
    return verifier.result()


def test_a_prev_hash_of_the_wrong_length_is_a_mismatch_not_a_shifted_body(
    target: StoreTarget,
) -> None:
    store = filled(target)
    body = _column(target, 300, "body")
    prev = _column(target, 300, "prev_hash")
    # the same bytes split differently: prev || body is unchanged, so only a length check sees it
    tamper(
        target,
        "UPDATE audit_log SET prev_hash = :p, body = :b WHERE seq = 300",
        {"p": prev + body[:1], "b": body[1:]},
    )

    result = verify_store(store, keys=KEYS, merkle="none")

    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (300, FaultKind.HASH_MISMATCH)
    assert (result.fault, result.last_seq) == (_plain(store).fault, 299)


@pytest.mark.parametrize("merkle", MODES)
def test_every_fault_the_plain_path_names_the_fast_path_names_too(target: StoreTarget, merkle: str) -> None:
    store = filled(target)
    flip_byte(target, 640, "record_hash", offset=0)
    tamper(target, "UPDATE audit_log SET seq = -1 WHERE seq = 450")
    tamper(target, "UPDATE audit_log SET seq = 450 WHERE seq = 451")
    tamper(target, "UPDATE audit_log SET seq = 451 WHERE seq = -1")

    fast = verify_store(store, keys=KEYS, merkle=merkle)  # type: ignore[arg-type]

    assert fast.fault is not None
    assert (fast.fault.seq, fast.fault.kind) == (450, FaultKind.REORDER)
    assert fast.fault == _plain(store).fault
    assert fast.checkpoints == 4  # 101, 202, 303, 404 passed on the way


def _column(target: StoreTarget, seq: int, column: str) -> bytes:
    engine = target.owner_engine()
    try:
        with engine.connect() as conn:
            value = conn.execute(
                sqlalchemy.text(f"SELECT {column} FROM audit_log WHERE seq = :s"), {"s": seq}
            ).scalar_one()
    finally:
        engine.dispose()
    return bytes(value)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ts", "2020-01-01T00:00:00.000000Z"),  # out of the day a report selects
        ("event_type", "audit.checkpoint"),  # hides a record from, or plants one in, a query by type
        ("retention", "10y"),  # a record kept under another retention class than it says
    ],
)
def test_a_query_column_that_disagrees_with_the_hashed_record_is_named(
    target: StoreTarget, column: str, value: str
) -> None:
    """Only the body is hashed; the columns kept beside it for queries must say the same."""
    store = filled(target, records=300)
    tamper(target, f"UPDATE audit_log SET {column} = :v WHERE seq = 123", {"v": value})

    for merkle in MODES:
        result = verify_store(store, keys=KEYS, merkle=merkle)  # type: ignore[arg-type]
        assert result.fault is not None, merkle
        assert (result.fault.seq, result.fault.kind) == (123, FaultKind.COLUMN_MISMATCH)
        assert result.last_seq == 122
    ranged = verify_store(store, 100, 200, keys=KEYS)
    assert ranged.fault is not None and ranged.fault.seq == 123
    assert verify_store(store, 124, keys=KEYS).ok  # a range after it holds together


def test_a_retention_column_cleared_on_a_record_that_has_one_is_named(target: StoreTarget) -> None:
    store = target.open()
    for n in range(20):
        store.append("order.accepted", {"n": n}, retention="10y" if n == 9 else None)
    store.flush(10)
    tamper(target, "UPDATE audit_log SET retention = NULL WHERE seq = 10")

    result = verify_store(store)
    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (10, FaultKind.COLUMN_MISMATCH)
