"""Garbage-collector settings for a long-running, allocation-heavy order path.

A young collection's pause grows with the objects it scans and with what they
point to, and each order leaves a few dozen objects that live for the day
(the order, its fills, its FIX and REST views). Under the interpreter's
defaults those survivors are scanned again and again by older collections,
which grow with the day. Raising the young threshold (50,000, what this
module did until now) made passes rarer but long: up to 20 ms of CPU on a
2-core VM (``bench/bench_fix.py --gc default`` beside the default run).

So: everything built at start-up is frozen out of every later collection;
after each young pass, whatever survived it is frozen too, so no collection
ever scans more than the last ~700 allocations (pauses of a millisecond or
two) and the older generations stay empty. Frozen objects are still freed
by reference counting when the last reference goes, which is how nearly all
of the order path's garbage dies (a run of 12,500 FIX orders left six
objects in cycles). The cycles that do form are reclaimed by
:func:`sweep_heap`, which ``gateway serve`` runs once a day at the opening,
when the day's done orders have just been forgotten.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any

YOUNG_THRESHOLD = 700


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one :func:`sweep_heap` reclaimed and how long the interpreter stood still."""

    collected: int
    seconds: float


def settle_heap() -> None:
    """Freeze the start-up heap and keep every later collection young."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def sweep_heap() -> Sweep:
    """Collect every cycle that became garbage after its objects were frozen.

    A full collection: it stops the interpreter for as long as the live heap takes
    to scan, so it belongs at a quiet moment (the day's opening)."""
    started = time.perf_counter()
    gc.unfreeze()
    collected = gc.collect()
    gc.freeze()
    return Sweep(collected, time.perf_counter() - started)


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 0:
        gc.freeze()
