"""A per-session message throttle over a sliding window (RTS 6 Art 15(1)(d)).

Exceeding it earns a BusinessMessageReject, not a disconnect.
"""

from __future__ import annotations

from collections import deque


class SlidingWindowThrottle:
    """At most ``limit`` events in any ``window`` seconds (times from a monotonic clock)."""

    def __init__(self, limit: int, window: float) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("a throttle needs a positive limit and window")
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        """Count an event at ``now`` if it fits; refused events are not counted."""
        times = self._times
        horizon = now - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
