"""The collector settings of `gateway serve`: young passes only, and a daily sweep for cycles."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from gateway import heap
from gateway.server import _DailyHeapSweep


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def settled() -> Iterator[None]:
    threshold = gc.get_threshold()
    heap.settle_heap()
    try:
        yield
    finally:
        gc.callbacks.remove(heap._freeze_survivors)
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _frozen_cycle() -> weakref.ref[Node]:
    """A two-object cycle that outlives a young pass while still in use, then becomes garbage."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect(0)  # a young pass: the cycle survives it, so it is frozen
    return weakref.ref(a)


def test_what_outlives_a_young_pass_is_out_of_every_later_collection(settled: None) -> None:
    survivor = [Node() for _ in range(100)]

    gc.collect(0)

    # tracked, yet in no generation a collection scans: frozen (counting the frozen heap
    # instead would be flaky, as earlier tests' frozen objects die meanwhile)
    collectable = {id(o) for generation in range(3) for o in gc.get_objects(generation)}
    assert all(gc.is_tracked(node) and id(node) not in collectable for node in survivor)
    assert gc.get_count()[1:] == (0, 0)  # nothing waits in the older generations
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD


def test_frozen_objects_are_still_freed_when_their_last_reference_goes(settled: None) -> None:
    node = Node()
    gc.collect(0)
    gone = weakref.ref(node)

    del node

    assert gone() is None


def test_a_sweep_reclaims_cycles_that_became_garbage_after_they_were_frozen(settled: None) -> None:
    cycle = _frozen_cycle()
    gc.collect()  # an ordinary full pass does not look at frozen objects
    assert cycle() is not None

    sweep = heap.sweep_heap()

    assert cycle() is None
    assert sweep.collected >= 2
    assert sweep.seconds >= 0
    assert gc.get_freeze_count() > 0  # what is live is frozen again


def test_serve_sweeps_once_a_day_opens_after_the_event_that_opened_it(settled: None) -> None:
    async def day_opens() -> tuple[bool, bool]:
        cycle = _frozen_cycle()
        _DailyHeapSweep(asyncio.get_running_loop()).day_opened([])
        still_there = cycle() is not None  # the opening order is answered first
        await asyncio.sleep(0)
        return still_there, cycle() is None

    assert asyncio.run(day_opens()) == (True, True)
