"""The Merkle tree of a stored log: subtree hashes from saved nodes, proofs on demand.

Complete subtrees of 256 leaves and up are saved by the writer, so any
subtree hash costs at most a few node lookups plus rehashing under 256 leaf
records; a proof therefore reads O(log n) rows, however long the log.
"""

from __future__ import annotations

from audit import merkle
from audit.merkle import Frontier, Hash, ProofError
from audit.store_state import NODE_LEVEL, Reader


class StoredTree:
    """Proofs and roots over the log behind ``reader`` (leaf i is the record with seq i+1)."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        self._cache: dict[tuple[int, int], Hash] = {}

    def size(self) -> int:
        row = self._reader.one("SELECT MAX(seq) FROM audit_log")
        return int(row[0]) if row and row[0] is not None else 0

    def leaves(self, start: int, end: int) -> list[Hash]:
        rows = self._reader.all(
            "SELECT body FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq", start, end
        )
        if len(rows) != end - start:
            raise ProofError(f"records {start + 1}..{end} are not all in the log")
        return [merkle.leaf_hash(bytes(body)) for (body,) in rows]

    def subtree(self, start: int, end: int) -> Hash:
        """MTH over leaves ``[start, end)``."""
        key = (start, end)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        width = end - start
        if width <= 0:
            raise ProofError("empty subtree")
        level = width.bit_length() - 1
        if width == 1 << level and start % width == 0 and level >= NODE_LEVEL:
            row = self._reader.one(
                "SELECT hash FROM audit_merkle_node WHERE level = ? AND idx = ?",
                level,
                start >> level,
            )
            if row is None:
                raise ProofError(f"no saved node for leaves [{start}, {end})")
            value = bytes(row[0])
        elif width <= 1 << NODE_LEVEL:
            value = merkle.root_of(self.leaves(start, end))
        else:
            k = merkle.split_point(width)
            value = merkle.node_hash(self.subtree(start, start + k), self.subtree(start + k, end))
        self._cache[key] = value
        return value

    def root(self, size: int) -> Hash:
        if size == 0:
            return merkle.EMPTY_ROOT
        return self.subtree(0, size)

    def frontier(self, size: int) -> Frontier:
        """The compact range of ``[0, size)``, to continue hashing leaves after ``size``."""
        hashes = [self.subtree(a, b) for a, b in merkle.decomposition(0, size)]
        return Frontier(size, hashes, NODE_LEVEL)

    def inclusion_proof(self, seq: int, size: int) -> list[Hash]:
        return merkle.inclusion_proof(seq - 1, size, self.subtree)

    def consistency_proof(self, old_size: int, new_size: int) -> list[Hash]:
        return merkle.consistency_proof(old_size, new_size, self.subtree)

    def range_proof(self, first_seq: int, last_seq: int, size: int) -> tuple[list[Hash], list[Hash]]:
        return merkle.range_proof(first_seq - 1, last_seq, size, self.subtree)
