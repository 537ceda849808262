"""Verify a long log on several cores: chunks verified in parallel, seams checked here.

Each record's check needs only its own bytes, its stored hashes and the
record before it, so the log splits into chunks verified by separate
processes (hashing holds the GIL; threads would not help), each anchored at
the stored prev_hash of its first record. What makes the chunks one chain
is checked here: every chunk must end on exactly the hash the next one was
anchored at. The first fault in sequence order wins.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoint import load_public_key, public_key_pem
from audit.sql_store import SqlAuditLog
from audit.verify import Fault, FaultKind, VerifyResult, keyring
from audit.verify_store import MerkleMode, verify_store

_Job = tuple[str, str | None, int, int, list[str] | None, MerkleMode]


def _verify_chunk(job: _Job) -> tuple[VerifyResult, str]:
    """Worker: verify seqs ``start..end``; also return the anchor (stored prev_hash of start)."""
    from audit.factory import open_sql_audit_log

    url, schema, start, end, pems, merkle = job
    keys = keyring(*(load_public_key(pem) for pem in pems)) if pems is not None else None
    store = open_sql_audit_log(url, schema=schema, migrate_schema=False, read_only=True)
    try:
        with store.reader() as reader:
            first = reader.one("SELECT prev_hash FROM audit_log WHERE seq = ?", start)
        anchor = "" if first is None else bytes(first[0]).hex()  # a missing first record: a gap below
        return verify_store(store, start, end, keys=keys, merkle=merkle), anchor
    finally:
        store.close()


def start_method(store: SqlAuditLog) -> str:
    """How to start the workers: ``fork`` (a few milliseconds) only from a read-only store
    in a process with no other thread, since a forked child inherits locks held by
    threads that do not exist in it (never fork a process with a live writer thread);
    else ``forkserver`` (one clean process, itself started like ``spawn``, forks the
    workers), else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and store.read_only and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _context(method: str) -> BaseContext:
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["audit.verify_parallel", "audit.factory"])
    return context


def verify_parallel(
    store: SqlAuditLog,
    *,
    workers: int = 2,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
    merkle: MerkleMode = "stored",
    min_chunk: int = 200_000,
) -> VerifyResult:
    """The whole log, as :func:`verify_store` would report it, using ``workers`` processes.

    Falls back to one process for short logs (starting workers costs more than
    it saves below ``min_chunk`` records each) and for ``merkle="recompute"``,
    which needs the whole tree in one place. See :func:`start_method` for how
    the workers start.
    """
    head = store.head()[0]
    chunks = min(workers, head // min_chunk)
    if chunks < 2 or merkle == "recompute" or store.location is None:
        return verify_store(store, keys=keys, merkle=merkle)
    url, schema = store.location
    pems = [public_key_pem(key) for key in keys.values()] if keys is not None else None
    edges = [1 + head * i // chunks for i in range(chunks)] + [head + 1]
    jobs: list[_Job] = [(url, schema, edges[i], edges[i + 1] - 1, pems, merkle) for i in range(chunks)]
    method = start_method(store)
    if method == "fork":
        store.engine.dispose()  # no pooled connection shared with the children
    with ProcessPoolExecutor(chunks, mp_context=_context(method)) as pool:
        outcomes = list(pool.map(_verify_chunk, jobs))
    return _merge(outcomes, keys is not None, merkle != "none")


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _merge(outcomes: list[tuple[VerifyResult, str]], signatures: bool, merkle: bool) -> VerifyResult:
    records = checkpoints = 0
    last_checkpoint = None
    head_hash = ""
    fault: Fault | None = None
    for index, (result, anchor) in enumerate(outcomes):
        if index and outcomes[index - 1][0].head_hash != anchor:
            fault = Fault(result.first_seq, FaultKind.HASH_MISMATCH, "prev_hash does not link")
            break
        records += result.records
        checkpoints += result.checkpoints
        last_checkpoint = result.last_checkpoint or last_checkpoint
        head_hash = result.head_hash
        if result.fault is not None:
            fault = result.fault
            break
    first = outcomes[0][0].first_seq
    return VerifyResult(
        first_seq=first,
        last_seq=first + records - 1,
        records=records,
        checkpoints=checkpoints,
        head_hash=head_hash,
        fault=fault,
        last_checkpoint=last_checkpoint,
        signatures_checked=signatures,
        merkle_checked=merkle,
    )
