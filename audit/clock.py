"""UTC timestamps with microseconds, monotonic along the chain, cheap to format.

The writer stamps every record, so ``datetime.strftime`` (~2 µs) is replaced
by a per-second cached prefix, and a reading in the same microsecond as the
last one reuses the last string. Timestamps never go backwards along the chain
(a wall clock stepped back by NTP is held at the last value), which lets a
verifier treat a backwards timestamp as a reordering.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

NowFn = Callable[[], str]


def _micros(stamp: str) -> int:
    """Microseconds since the epoch of a ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` string."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    seconds = int(moment.timestamp())
    return seconds * 1_000_000 + moment.microsecond


class ChainClock:
    """Hands out ISO 8601 ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` strings, never decreasing."""

    __slots__ = ("_end", "_last", "_last_micros", "_prefix", "_source", "_start")

    def __init__(self, source: Callable[[], int] = time.time_ns, last: str = "") -> None:
        self._source = source
        self._start = self._end = -(1 << 63)  # no second cached yet
        self._prefix = ""
        self._last = ""
        self._last_micros = -1
        self.hold_at_least(last)

    def now(self) -> str:
        micros = self._source() // 1000
        if micros <= self._last_micros:  # same microsecond, or the wall clock stepped back
            return self._last
        self._last_micros = micros
        if micros >= self._end:  # a new second: [_start, _end) is the second before and this one
            second = micros // 1_000_000
            self._end = (second + 1) * 1_000_000
            self._start = self._end - 2_000_000
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        # micros - _start has seven digits, the first a 1: cheaper than a :06d format
        self._last = stamp = self._prefix + str(micros - self._start)[1:] + "Z"
        return stamp

    def hold_at_least(self, stamp: str) -> None:
        """Never hand out a time before ``stamp`` (the head of a reopened chain)."""
        if stamp > self._last:
            self._last = stamp
            self._last_micros = _micros(stamp)
