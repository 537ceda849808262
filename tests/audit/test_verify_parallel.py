"""Parallel verification reports what the sequential one reports, seams included."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.api import AuditUnavailable
from audit.checkpoint import Ed25519Signer, public_key_pem
from audit.record import chain_digest
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from audit.verify import FaultKind, keyring
from audit.verify_parallel import start_method, verify_parallel
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


def test_a_read_only_store_has_no_writer_and_refuses_appends(target: StoreTarget) -> None:
    filled(target).close()
    before = set(threading.enumerate())

    reader = target.open(migrate_schema=False, read_only=True)

    assert set(threading.enumerate()) - before == set()  # (threads of earlier tests may end meanwhile)
    assert reader.read_only and not reader.available
    assert reader.head()[0] == 606
    with pytest.raises(AuditUnavailable):
        reader.append("e", {"n": 1}).result(1)
    assert verify_store(reader, keys=KEYS).ok


def test_workers_are_forked_only_where_no_writer_thread_runs(target: StoreTarget) -> None:
    writer = filled(target)
    assert start_method(writer) != "fork"  # its writer thread is alive
    writer.close()
    reader = target.open(migrate_schema=False, read_only=True)
    if threading.active_count() == 1:  # nothing else of the test session is running
        assert start_method(reader) == "fork"
    else:
        assert start_method(reader) != "fork"


def test_the_cli_names_a_tampered_record_through_forked_workers(target: StoreTarget, tmp_path: Path) -> None:
    """A fresh process, as an operator runs it: read-only, no threads, so forked workers."""
    filled(target).close()
    flip_byte(target, 500, "prev_hash", offset=3)
    public = tmp_path / "key.pem"
    public.write_text(public_key_pem(KEY.public_key()))
    command = [sys.executable, "-m", "audit", "verify", target.owner_url or target.url]
    command += ["--public-key", str(public), "--workers", "2", "--min-chunk", "100"]
    if target.schema is not None:
        command += ["--schema", target.schema]

    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 1, done.stderr
    assert "FAULT at seq 500: hash_mismatch" in done.stdout
    assert "records verified: 499 (seq 1..499)" in done.stdout


def test_forked_workers_agree_with_one_process(target: StoreTarget) -> None:
    filled(target).close()
    flip_byte(target, 200, "body")
    reader = target.open(migrate_schema=False, read_only=True)

    parallel = verify_parallel(reader, workers=2, keys=KEYS, min_chunk=100)
    sequential = verify_store(reader, keys=KEYS)

    assert parallel.fault is not None
    assert (parallel.fault.seq, parallel.fault.kind) == (200, FaultKind.HASH_MISMATCH)
    assert (parallel.fault, parallel.last_seq) == (sequential.fault, sequential.last_seq)
