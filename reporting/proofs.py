"""Merkle proof bundle: evidence that a report's records are the ones a signed checkpoint covers.

The audit store keeps an RFC 6962 Merkle tree over its records (leaf =
SHA-256(0x00 || canonical record bytes)) and signs its root in checkpoints.
For a report's range ``first..last`` and the covering checkpoint of ``size``
records, a *range proof* is the few subtree hashes left and right of the
range (O(log n) of them): with the records of the range, anyone can rebuild
the signed root, so no record of the range can have been changed, dropped or
added. Context records read from before the range (the policy in force) get
ordinary inclusion proofs.

Proofs come from the store's saved tree nodes (SQL store); for the in-memory
test log, from its records; other logs get none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from audit import merkle
from audit.api import AuditLog
from audit.memory import MemoryAuditLog
from audit.merkle import Hash, ProofError
from audit.sql_store import SqlAuditLog
from audit.tree import StoredTree
from reporting.build import BuildResult
from reporting.source import canonical, stream

LEAF_RULE = "RFC 6962: leaf = SHA-256(0x00 || canonical record bytes), node = SHA-256(0x01 || l || r)"
_MEMORY_LIMIT = 2_000_000
Oracle = Callable[[int, int], Hash]


@contextlib.contextmanager
def _oracle(log: AuditLog, size: int) -> Iterator[Oracle | None]:
    """Subtree hashes over the first ``size`` records, or None when they cannot be had."""
    if isinstance(log, SqlAuditLog):
        with log.reader() as reader:
            yield StoredTree(reader).subtree
        return
    if not isinstance(log, MemoryAuditLog) or size > _MEMORY_LIMIT:
        yield None  # no saved tree to prove from, and no cheap way to rebuild one
        return
    leaves = [merkle.leaf_hash(canonical(r)) for r in log.read(1, size)]
    if len(leaves) != size:
        yield None
        return
    cache: dict[tuple[int, int], Hash] = {}

    def subtree(start: int, end: int) -> Hash:
        key = (start, end)
        if key not in cache:
            if end - start == 1:
                cache[key] = leaves[start]
            else:
                k = merkle.split_point(end - start)
                cache[key] = merkle.node_hash(subtree(start, start + k), subtree(start + k, end))
        return cache[key]

    yield subtree


def proof_bundle(log: AuditLog, result: BuildResult) -> dict[int, Any] | None:
    """Proof material for the build: ``{"range": ..., context seq: inclusion proof}`` keyed for
    :func:`bundle_for`; None without a covering checkpoint or a tree to prove from."""
    checkpoint = result.checkpoint
    rng = result.scan.audit_range
    if checkpoint is None or rng.count == 0:
        return None
    size = checkpoint.checkpoint.tree_size
    context = sorted({seq for built in result.files for seq in built.context_records})
    with _oracle(log, size) as mth:
        if mth is None:
            return None
        try:
            left, right = merkle.range_proof(rng.first_seq - 1, rng.last_seq, size, mth)
            proofs: dict[int, Any] = {
                0: {"left": _hex(left), "right": _hex(right)},
                **{seq: _hex(merkle.inclusion_proof(seq - 1, size, mth)) for seq in context},
            }
        except ProofError:
            return None
    return proofs


def bundle_for(
    proofs: dict[int, Any] | None, result: BuildResult, context: Iterable[int]
) -> dict[str, Any] | None:
    """The manifest's ``proofs`` section for one report."""
    if proofs is None or result.checkpoint is None:
        return None
    rng = result.scan.audit_range
    cp = result.checkpoint
    return {
        "leaf_rule": LEAF_RULE,
        "checkpoint_seq": cp.seq,
        "tree_size": cp.checkpoint.tree_size,
        "root": cp.checkpoint.root,
        "range": {"first_seq": rng.first_seq, "last_seq": rng.last_seq, **proofs[0]},
        "context": [{"seq": seq, "inclusion": proofs[seq]} for seq in context],
    }


def _hex(hashes: list[Hash]) -> list[str]:
    return [h.hex() for h in hashes]


class RangeFold:
    """Rebuilds a root from a range proof, one leaf at a time (memory O(log n))."""

    def __init__(self, start: int, size: int, left: list[Hash]) -> None:
        self._start, self._size = start, size
        self._stack: list[tuple[int, Hash]] = []
        self._count = 0
        parts = merkle.decomposition(0, start)
        if len(parts) != len(left):
            raise ProofError("range proof does not fit the range start")
        for (a, b), h in zip(parts, left, strict=True):
            self._push(b - a, h)

    def _push(self, width: int, h: Hash) -> None:
        stack = self._stack
        while stack and stack[-1][0] == width:
            width, h = width * 2, merkle.node_hash(stack.pop()[1], h)
        stack.append((width, h))

    def add(self, leaf: Hash) -> None:
        self._count += 1
        self._push(1, leaf)

    def root(self, right: list[Hash]) -> Hash:
        end = self._start + self._count
        parts = merkle.decomposition(end, self._size)
        if len(parts) != len(right) or end > self._size:
            raise ProofError("range proof does not fit the range end")
        for (a, b), h in zip(parts, right, strict=True):
            self._push(b - a, h)
        r = self._stack[-1][1]
        for _, h in reversed(self._stack[:-1]):
            r = merkle.node_hash(h, r)
        return r


def check_proofs(body: dict[str, Any], log: AuditLog, check: Callable[[bool, str], bool]) -> None:
    """Rebuild the signed root from the log's records of the range and the manifest's proof."""
    bundle = body.get("proofs")
    if bundle is None:
        return
    rng = bundle["range"]
    root = bytes.fromhex(bundle["root"])
    checkpoint = body.get("checkpoint") or {}
    check(checkpoint.get("root") == bundle["root"], "proof root is the checkpoint's signed root")
    try:
        fold = RangeFold(rng["first_seq"] - 1, bundle["tree_size"], _unhex(rng["left"]))
        for _, data, _, _ in stream(log, rng["first_seq"], rng["last_seq"], lambda _: None):
            fold.add(merkle.leaf_hash(data))
        rebuilt = fold.root(_unhex(rng["right"]))
    except ProofError:
        rebuilt = b""
    check(rebuilt == root, "the range's records rebuild the checkpoint's Merkle root")
    for item in bundle["context"]:
        record = next(iter(log.read(item["seq"], item["seq"])), None)
        ok = record is not None and merkle.verify_inclusion(
            item["seq"] - 1, bundle["tree_size"], merkle.leaf_hash(canonical(record)),
            _unhex(item["inclusion"]), root,
        )  # fmt: skip
        check(ok, f"context record {item['seq']} is included under the checkpoint's root")


def _unhex(hashes: list[str]) -> list[Hash]:
    return [bytes.fromhex(h) for h in hashes]
