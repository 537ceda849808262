"""The writer's hot path builds exactly the documented bytes, hashes and Merkle nodes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle
from audit.api import AppendTicket
from audit.batch import Batch
from audit.checkpoint import Checkpoint
from audit.clock import ChainClock
from audit.merkle import Frontier
from audit.record import GENESIS_HASH, canonical_bytes, chain_hash, json_string, payload_json
from audit.store_state import StoreState

payloads = st.dictionaries(
    st.text(max_size=8),
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    max_size=4,
)
appends = st.lists(
    st.tuples(st.text(min_size=1, max_size=12), payloads, st.sampled_from([None, "10y", "7y"])),
    min_size=1,
    max_size=40,
)


def _genesis() -> StoreState:
    return StoreState(0, bytes.fromhex(GENESIS_HASH), Frontier(), "log", "", 0, 0.0)


@settings(max_examples=60)
@given(records=appends, start_micros=st.integers(0, 2**52))
def test_batch_rows_are_the_canonical_records_chained(
    records: list[tuple[str, dict[str, object], str | None]], start_micros: int
) -> None:
    ticks = iter(range(start_micros * 1000, 2**63, 1500))
    batch = Batch(_genesis(), ChainClock(source=lambda: next(ticks)).now)
    for event_type, payload, retention in records:
        batch.add(event_type, json_string(event_type), payload, payload_json(payload), retention, None)

    prev = GENESIS_HASH
    leaves = []
    for (seq, ts, event_type, retention, body, prev_raw, digest), (_, payload, _) in zip(
        batch.rows, records, strict=True
    ):
        assert body == canonical_bytes(seq, ts, event_type, payload, retention)
        assert prev_raw.hex() == prev
        assert digest.hex() == chain_hash(prev, body)
        prev = digest.hex()
        leaves.append(merkle.leaf_hash(body))
    assert [row[0] for row in batch.rows] == list(range(1, len(records) + 1))
    assert batch.frontier.root() == merkle.root_of(leaves)


def test_completed_subtrees_are_reported_with_their_hashes() -> None:
    batch = Batch(_genesis(), ChainClock().now)
    for n in range(1030):
        batch.add("e", json_string("e"), {"n": n}, payload_json({"n": n}), None, None)
    leaves = [merkle.leaf_hash(row[4]) for row in batch.rows]

    assert [(level, idx) for level, idx, _ in batch.nodes] == [
        (8, 0),
        (8, 1),
        (9, 0),
        (8, 2),
        (8, 3),
        (9, 1),
        (10, 0),
    ]
    for level, idx, value in batch.nodes:
        width = 1 << level
        assert value == merkle.root_of(leaves[idx * width : (idx + 1) * width])


def test_the_clock_never_goes_backwards_and_resumes_after_a_reopened_head() -> None:
    readings = iter([5_000_000_000, 4_000_000_000, 5_000_000_999, 5_000_001_000, 6_000_000_000])
    clock = ChainClock(source=lambda: next(readings))

    stamps = [clock.now() for _ in range(5)]

    assert stamps == [
        "1970-01-01T00:00:05.000000Z",
        "1970-01-01T00:00:05.000000Z",  # stepped back: held
        "1970-01-01T00:00:05.000000Z",  # same microsecond
        "1970-01-01T00:00:05.000001Z",
        "1970-01-01T00:00:06.000000Z",
    ]
    held = ChainClock(source=lambda: 5_000_000_000, last="2026-11-22T16:48:32.123456Z")
    assert held.now() == "2026-11-22T16:48:32.123456Z"


class _Signer:
    """Stands in for checkpoint signing: records what it was asked to sign."""

    def __init__(self, fail_every: int = 0) -> None:
        self.calls = 0
        self.fail_every = fail_every

    def __call__(self, frontier: Frontier, head: bytes, ts: str) -> Checkpoint | None:
        self.calls += 1
        if self.fail_every and self.calls % self.fail_every == 0:
            return None
        return Checkpoint("log", frontier.size, frontier.root().hex(), head.hex(), ts, "k", "sig")


@settings(max_examples=60)
@given(
    records=appends,
    start=st.integers(0, 300),
    every=st.none() | st.integers(1, 12),
    fail_every=st.integers(0, 3),
)
def test_adding_a_run_of_appends_equals_adding_them_one_by_one(
    records: list[tuple[str, dict[str, object], str | None]],
    start: int,
    every: int | None,
    fail_every: int,
) -> None:
    """Same rows, nodes, tickets, records and checkpoints (signed at the same tree sizes)."""
    state = _genesis()
    if start:
        warm = Batch(state, ChainClock().now)
        warm.add_appends(
            [
                (AppendTicket(), "w", json_string("w"), {"n": n}, payload_json({"n": n}), None)
                for n in range(start)
            ],
            None,
            _Signer(),
        )
        state = warm.committed_state()
    queued = [
        (AppendTicket(), event_type, json_string(event_type), payload, payload_json(payload), retention)
        for event_type, payload, retention in records
    ]
    ticks = range(10**18, 2**63, 1500)
    one_by_one = Batch(state, ChainClock(source=iter(ticks).__next__).now)
    signer = _Signer(fail_every)
    for ticket, event_type, et_json, payload, pj, retention in queued:
        one_by_one.add(event_type, et_json, payload, pj, retention, ticket)
        if every is not None and one_by_one.seq - one_by_one.checkpoint_seq >= every:
            one_by_one.add_checkpoint(signer, None)
    in_a_run = Batch(state, ChainClock(source=iter(ticks).__next__).now)
    in_a_run.add_appends(queued, every, _Signer(fail_every))

    assert in_a_run.rows == one_by_one.rows
    assert in_a_run.nodes == one_by_one.nodes
    assert in_a_run.tickets == one_by_one.tickets
    assert in_a_run.records == one_by_one.records
    assert in_a_run.checkpoint_seq == one_by_one.checkpoint_seq
    assert in_a_run.frontier.hashes == one_by_one.frontier.hashes
    assert (in_a_run.seq, in_a_run.prev) == (one_by_one.seq, one_by_one.prev)


@settings(max_examples=60)
@given(start=st.integers(0, 2**62), steps=st.lists(st.integers(0, 3_000_000_000), max_size=30))
def test_the_clock_writes_what_datetime_writes(start: int, steps: list[int]) -> None:
    readings = list(itertools.accumulate(steps, initial=start))
    clock = ChainClock(source=iter(readings).__next__)

    for reading in readings:
        moment = datetime.fromtimestamp(reading // 10**9, UTC).replace(microsecond=reading // 1000 % 10**6)
        assert clock.now() == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
