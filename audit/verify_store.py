"""Verify a stored log: the whole of it, a range, or onwards from a signed checkpoint."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoint import CHECKPOINT_EVENT, Checkpoint, signature_valid
from audit.columns import first_mismatch, mismatch_query
from audit.merkle import ProofError
from audit.record import GENESIS_HASH
from audit.sql_store import SqlAuditLog
from audit.store_state import Reader, fetch_all
from audit.tree import StoredTree
from audit.verify import ChainVerifier, Fault, FaultKind, RootAt, Row, RowAt, VerifyResult

MerkleMode = Literal["recompute", "stored", "none"]


def verify_store(
    store: SqlAuditLog,
    start_seq: int = 1,
    end_seq: int | None = None,
    *,
    from_checkpoint: int | None = None,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
    merkle: MerkleMode = "stored",
    deep: bool = False,
) -> VerifyResult:
    """Stream the records through a :class:`ChainVerifier`.

    Whole log: ``start_seq=1`` (anchored at the genesis hash). A range
    starting later is anchored at the stored prev_hash of ``start_seq``
    (checks the range hangs together, not that it belongs to the log: use
    ``from_checkpoint`` for that). ``from_checkpoint=seq`` starts at that
    checkpoint record, anchored at the head hash it signs. ``merkle``:
    ``recompute`` rehashes every leaf (slowest, trusts nothing), ``stored``
    checks checkpoint roots against the saved tree nodes, ``none`` skips roots.
    """
    head = store.head()[0]
    end = head if end_seq is None else min(end_seq, head)
    with store.reader() as shared:
        reader = _OneTransaction(shared.conn, shared.backend)
        tree = StoredTree(reader)
        if from_checkpoint is not None:
            anchor = _checkpoint_anchor(store, tree, from_checkpoint, keys, merkle)
            if isinstance(anchor, Fault):
                return _failed(from_checkpoint, anchor)
            start_seq, prev = from_checkpoint, anchor.head_hash
        elif start_seq <= 1:
            start_seq, prev = 1, GENESIS_HASH
        else:
            row = reader.one("SELECT prev_hash FROM audit_log WHERE seq = ?", start_seq)
            if row is None:
                return _failed(start_seq, Fault(start_seq, FaultKind.GAP, "no such record"))
            prev = bytes(row[0]).hex()
        # the query columns first (one scan in the database): the chain is then verified up
        # to the first record whose columns lie, and that record is the fault
        column_fault = first_mismatch(reader.all(mismatch_query(store.dialect), start_seq, end))
        if column_fault is not None:
            end = column_fault.seq - 1
        verifier = ChainVerifier(
            start_seq,
            prev,
            keys=keys,
            log_id=store.log_id,
            frontier=tree.frontier(start_seq - 1) if merkle == "recompute" else None,
            root_at=_safe_root(tree) if merkle == "stored" else None,
            deep=deep,
        )
        with contextlib.closing(store.link_rows(start_seq, end)) as rows:  # stopped at a fault:
            verifier.feed_links(rows, _row_at(reader))  # end the statement now, not at GC
    result = verifier.result()
    if result.ok and result.last_seq < end:
        verifier.fault = Fault(result.last_seq + 1, FaultKind.GAP, f"records missing up to {end}")
        result = verifier.result()
    if result.ok and column_fault is not None:
        verifier.fault = column_fault
        result = verifier.result()
    return result


class _OneTransaction(Reader):
    """The checkpoint lookups of one verification (saved nodes, rows read again) in one
    read transaction: no ROLLBACK round trip after each of them (the connection is
    rolled back when it goes back to the pool)."""

    def all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return fetch_all(self.conn, self.backend.sql(sql), params)


def _row_at(reader: Reader) -> RowAt:
    def row_at(seq: int) -> Row | None:
        row = reader.one("SELECT seq, body, prev_hash, record_hash FROM audit_log WHERE seq = ?", seq)
        if row is None:
            return None
        return int(row[0]), bytes(row[1]), bytes(row[2]), bytes(row[3])

    return row_at


def _safe_root(tree: StoredTree) -> RootAt:
    def root_at(size: int) -> bytes:
        try:
            return tree.root(size)
        except ProofError:
            return b""  # saved nodes missing: the root cannot match

    return root_at


def _checkpoint_anchor(
    store: SqlAuditLog,
    tree: StoredTree,
    seq: int,
    keys: Mapping[str, Ed25519PublicKey] | None,
    merkle: MerkleMode,
) -> Checkpoint | Fault:
    rows = list(store.read(seq, seq))
    if not rows or rows[0].event_type != CHECKPOINT_EVENT:
        return Fault(seq, FaultKind.INCONSISTENT_CHECKPOINT, "not a checkpoint record")
    try:
        checkpoint = Checkpoint.from_payload(rows[0].payload)
    except (KeyError, ValueError, TypeError) as exc:
        return Fault(seq, FaultKind.INCONSISTENT_CHECKPOINT, f"unreadable checkpoint: {exc}")
    if keys is not None:
        key = keys.get(checkpoint.key_id)
        if key is None or not signature_valid(checkpoint, key):
            return Fault(seq, FaultKind.BAD_SIGNATURE, "checkpoint signature does not verify")
    if merkle != "none" and _safe_root(tree)(checkpoint.tree_size).hex() != checkpoint.root:
        return Fault(seq, FaultKind.INCONSISTENT_CHECKPOINT, "saved tree disagrees with the root")
    return checkpoint


def _failed(seq: int, fault: Fault) -> VerifyResult:
    return VerifyResult(seq, seq - 1, 0, 0, "", fault, None, False, False)
