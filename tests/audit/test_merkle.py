"""RFC 6962 hashing and proofs against the published test vectors (transparency-dev/merkle,
proof/verify_test.go) and against the definition for many tree shapes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    list_oracle,
    range_proof,
    root_from_range,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# (1-based leaf, tree size, audit path)
INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
HASHED = [leaf_hash(x) for x in LEAVES]


def test_empty_tree_hash() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert root_of([]) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_vectors(size: int) -> None:
    frontier = Frontier(min_level=0)
    for leaf in HASHED[:size]:
        frontier.append(leaf)

    assert root_of(HASHED[:size]) == ROOTS[size - 1]
    assert frontier.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_vectors(leaf: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(leaf - 1, size, list_oracle(HASHED[:size]))

    assert proof == [h(p) for p in path]
    assert verify_inclusion(leaf - 1, size, HASHED[leaf - 1], proof, ROOTS[size - 1])


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_are_refused(leaf: int, size: int, path: list[str]) -> None:
    index, proof, root, good = leaf - 1, [h(p) for p in path], ROOTS[size - 1], HASHED[leaf - 1]
    probes = [
        (index - 1, size, good, proof, root),
        (index + 1, size, good, proof, root),
        (index ^ 2, size, good, proof, root),
        (index, size * 2, good, proof, root),
        (index, size // 2, good, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, good, proof, EMPTY_ROOT),
        (index, size, good, proof, SOME_HASH),
        (index, size, good, [*proof, b""], root),
        (index, size, good, [*proof, root], root),
        (index, size, good, [b"", *proof], root),
        (index, size, good, [root, *proof], root),
    ]
    for i in range(len(proof)):
        flipped = [bytes(p) for p in proof]
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, good, flipped, root))
    if proof:
        probes.append((index, size, good, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, good, [SOME_HASH, *proof[1:]], root))
    for probe in probes:
        if 0 <= probe[0] < probe[1] and probe == (index, size, good, proof, root):
            continue
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors(old: int, new: int, path: list[str]) -> None:
    proof = consistency_proof(old, new, list_oracle(HASHED[:new]))

    assert proof == [h(p) for p in path]
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


@pytest.mark.parametrize(("old", "new", "path"), [c for c in CONSISTENCY if c[2]])
def test_corrupted_consistency_proofs_are_refused(old: int, new: int, path: list[str]) -> None:
    proof, r1, r2 = [h(p) for p in path], ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for probe in probes:
        assert not verify_consistency(*probe), probe


@pytest.mark.parametrize(
    ("old", "new", "root1", "root2", "proof", "ok"),
    [
        (0, 0, b"r1", b"r2", [], False),
        (1, 1, b"r1", b"r2", [], False),
        (0, 0, b"r1", b"r1", [], True),
        (0, 1, b"r1", b"r2", [], True),
        (1, 1, b"r2", b"r2", [], True),
        (1, 0, b"r1", b"r2", [], False),
        (2, 1, b"r1", b"r2", [], False),
        (1, 2, b"r1", b"r2", [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    assert verify_consistency(old, new, root1, root2, proof) is ok


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_proof_verifies_for_any_tree_shape(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 300))
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    oracle = list_oracle(leaves)
    root = root_of(leaves)
    frontier = Frontier(min_level=0)
    for leaf in leaves:
        frontier.append(leaf)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    start = data.draw(st.integers(0, size - 1))
    end = data.draw(st.integers(start + 1, size))
    left, right = range_proof(start, end, size, oracle)

    assert frontier.root() == root
    assert verify_inclusion(index, size, leaves[index], inclusion_proof(index, size, oracle), root)
    assert verify_consistency(old, size, root_of(leaves[:old]), root, consistency_proof(old, size, oracle))
    assert root_from_range(start, size, leaves[start:end], left, right) == root
    tampered = [*leaves[start:end]]
    tampered[0] = leaf_hash(b"x")
    assert root_from_range(start, size, tampered, left, right) != root


def test_frontier_reports_each_completed_subtree_once() -> None:
    frontier = Frontier(min_level=2)
    completed = [node for leaf in HASHED + HASHED for node in frontier.append(leaf)]

    assert [(level, index) for level, index, _ in completed] == [
        (2, 0), (2, 1), (3, 0), (2, 2), (2, 3), (3, 1), (4, 0),
    ]  # fmt: skip
    assert completed[2][2] == ROOTS[7]


@settings(max_examples=40)
@given(start=st.integers(0, 70), runs=st.lists(st.integers(0, 40), max_size=5), min_level=st.integers(0, 3))
def test_extending_a_frontier_by_runs_equals_appending_leaf_by_leaf(
    start: int, runs: list[int], min_level: int
) -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(start + sum(runs))]
    one_by_one = Frontier(min_level=min_level)
    by_runs = Frontier(min_level=min_level)
    expected: list[tuple[int, int, bytes]] = []
    completed: list[tuple[int, int, bytes]] = []
    for leaf in leaves:
        one_by_one.append_into(leaf, expected)
    by_runs.extend_into(leaves[:start], completed)
    done = start
    for run in runs:
        by_runs.extend_into(leaves[done : done + run], completed)
        done += run

    assert completed == expected
    assert by_runs.size == one_by_one.size == len(leaves)
    assert by_runs.hashes == one_by_one.hashes
    assert by_runs.root() == root_of(leaves)
