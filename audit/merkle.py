"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs, as pure functions.

leaf = SHA-256(0x00 || record bytes); node = SHA-256(0x01 || left || right);
the tree over n > 1 leaves splits at k, the largest power of two below n;
the empty tree hashes to SHA-256(""). Proof generation takes an *oracle*
``mth(start, end)`` returning the hash of the subtree over leaves
``[start, end)``, so a store can answer from saved nodes instead of
rehashing the whole log; verification needs only hashes.

Leaf indexes are 0-based: the record with sequence number ``seq`` is leaf
``seq - 1``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

Hash = bytes
SubtreeOracle = Callable[[int, int], Hash]
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify or does not fit the tree sizes given."""


_LEAF_PREFIX = hashlib.sha256(b"\x00")
_NODE_PREFIX = hashlib.sha256(b"\x01")
# Copying a hash object that already holds the prefix skips OpenSSL's digest lookup
# (the slow part of hashlib.sha256() for short inputs) and the prefix concatenation.


def leaf_hash(data: bytes) -> Hash:
    h = _LEAF_PREFIX.copy()
    h.update(data)
    return h.digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    h = _NODE_PREFIX.copy()
    h.update(left + right)
    return h.digest()


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[Hash]) -> Hash:
    """MTH over already-hashed leaves (recursive definition, for small trees and tests)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = split_point(n)
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def list_oracle(leaves: Sequence[Hash]) -> SubtreeOracle:
    """An oracle over an in-memory list of leaf hashes."""
    return lambda start, end: root_of(leaves[start:end])


# --- proof generation (RFC 6962 §2.1.1 PATH and §2.1.2 PROOF) ---


def inclusion_proof(index: int, size: int, mth: SubtreeOracle) -> list[Hash]:
    """Audit path of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[Hash] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(mth(start + k, end))
            end = start + k
        else:
            path.append(mth(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, mth: SubtreeOracle) -> list[Hash]:
    """Proof that the tree of ``new_size`` leaves extends the one of ``old_size``."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[Hash] = []
    start, end, complete = 0, new_size, True
    while old_size != end:  # old_size always lies in (start, end]
        k = split_point(end - start)
        if old_size - start <= k:
            proof.append(mth(start + k, end))
            end = start + k
        else:
            proof.append(mth(start, start + k))
            start += k
            complete = False
    if not complete:
        proof.append(mth(start, end))
    proof.reverse()
    return proof


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---


def root_from_inclusion(index: int, size: int, leaf: Hash, proof: Sequence[Hash]) -> Hash:
    """The root that ``proof`` implies for ``leaf`` at ``index``; raises ProofError if malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof too short")
    return r


def verify_inclusion(index: int, size: int, leaf: Hash, proof: Sequence[Hash], root: Hash) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ProofError:
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: Hash, new_root: Hash, proof: Sequence[Hash]
) -> bool:
    """True when ``proof`` shows the ``new_size`` tree extends the ``old_size`` one."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- compact ranges: the running root of an append-only log in O(log n) memory ---


class Frontier:
    """The perfect subtrees covering leaves ``[0, size)`` (the binary decomposition of size).

    ``append`` reports every completed subtree at ``min_level`` or above so a
    store can save them and later answer proofs without rehashing leaves.
    """

    __slots__ = ("_hashes", "min_level", "size")

    def __init__(self, size: int = 0, hashes: Iterable[Hash] = (), min_level: int = 8) -> None:
        self.size = size
        self._hashes = list(hashes)
        self.min_level = min_level
        if len(self._hashes) != bin(size).count("1"):
            raise ValueError("a frontier holds one hash per set bit of its size")

    def copy(self) -> Frontier:
        return Frontier(self.size, self._hashes, self.min_level)

    @property
    def hashes(self) -> tuple[Hash, ...]:
        return tuple(self._hashes)

    def append(self, leaf: Hash) -> list[tuple[int, int, Hash]]:
        """Add one leaf hash; return the (level, index, hash) of subtrees it completed."""
        completed: list[tuple[int, int, Hash]] = []
        self.append_into(leaf, completed)
        return completed

    def append_into(self, leaf: Hash, completed: list[tuple[int, int, Hash]]) -> None:
        """:meth:`append`, adding the completed subtrees to ``completed`` (no list per leaf)."""
        n = self.size
        self.size = n + 1
        hashes = self._hashes
        if not n & 1:  # half of all leaves complete nothing
            hashes.append(leaf)
            return
        h, level, min_level = leaf, 0, self.min_level
        while n & 1:
            h = node_hash(hashes.pop(), h)
            n >>= 1
            level += 1
            if level >= min_level:
                completed.append((level, ((self.size) >> level) - 1, h))
        hashes.append(h)

    def extend_into(self, leaves: Iterable[Hash], completed: list[tuple[int, int, Hash]]) -> None:
        """:meth:`append_into` for many leaves: one call per batch, its state in locals and
        node hashing inlined (the writer runs this for every record)."""
        n, hashes, min_level = self.size, self._hashes, self.min_level
        push, pop, node = hashes.append, hashes.pop, _NODE_PREFIX.copy
        for leaf in leaves:
            n += 1
            if n & 1:  # the new leaf has no left sibling yet: half of all leaves
                push(leaf)
                continue
            h, m, level = leaf, n - 1, 0
            while m & 1:
                x = node()
                x.update(pop() + h)
                h = x.digest()
                m >>= 1
                level += 1
                if level >= min_level:
                    completed.append((level, (n >> level) - 1, h))
            push(h)
        self.size = n

    def root(self) -> Hash:
        if not self._hashes:
            return EMPTY_ROOT
        r = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            r = node_hash(h, r)
        return r


def decomposition(start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into the aligned perfect subtrees a compact range uses."""
    parts: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        size = pos & -pos if pos else 1 << (end.bit_length())
        while pos + size > end:
            size >>= 1
        parts.append((pos, pos + size))
        pos += size
    return parts


def range_proof(start: int, end: int, size: int, mth: SubtreeOracle) -> tuple[list[Hash], list[Hash]]:
    """Hashes that, with the leaves ``[start, end)``, rebuild the root of ``size`` leaves.

    ``left`` covers ``[0, start)`` and ``right`` covers ``[end, size)``, each
    as aligned perfect subtrees left to right (see :func:`root_from_range`).
    """
    if not 0 <= start < end <= size:
        raise ProofError(f"range [{start}, {end}) is not inside a tree of size {size}")
    left = [mth(a, b) for a, b in decomposition(0, start)]
    right = [mth(a, b) for a, b in decomposition(end, size)]
    return left, right


class RangeRoot:
    """Rebuilds a root from a range proof one leaf at a time (flat memory for big exports).

    ``left`` covers leaves ``[0, start)``; push the range's leaf hashes in
    order, then :meth:`finish` with ``right`` covering ``[end, size)``.
    """

    __slots__ = ("_stack", "end")

    def __init__(self, start: int, left: Sequence[Hash]) -> None:
        parts = decomposition(0, start)
        if len(left) != len(parts):
            raise ProofError("range proof does not fit the start of the range")
        self._stack: list[tuple[int, Hash]] = []
        self.end = start
        for (a, b), h in zip(parts, left, strict=True):
            self._push(b - a, h)

    def _push(self, width: int, h: Hash) -> None:
        stack = self._stack
        while stack and stack[-1][0] == width:
            width, h = width * 2, node_hash(stack.pop()[1], h)
        stack.append((width, h))

    def push(self, leaf: Hash) -> None:
        self._push(1, leaf)
        self.end += 1

    def finish(self, size: int, right: Sequence[Hash]) -> Hash:
        parts = decomposition(self.end, size)
        if self.end > size or len(right) != len(parts):
            raise ProofError("range proof does not fit the end of the range and the tree size")
        for (a, b), h in zip(parts, right, strict=True):
            self._push(b - a, h)
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1][1]
        for _, h in reversed(self._stack[:-1]):
            r = node_hash(h, r)
        return r


def root_from_range(
    start: int, size: int, leaves: Sequence[Hash], left: Sequence[Hash], right: Sequence[Hash]
) -> Hash:
    """The root implied by a range proof; raises ProofError if the shapes do not fit."""
    builder = RangeRoot(start, left)
    for leaf in leaves:
        builder.push(leaf)
    return builder.finish(size, right)
