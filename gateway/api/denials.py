"""How many refused requests reach the audit log: all of a trickle, a sample of a flood.

Every 401 and 403 is recorded with who and why. A client hammering the API
with a bad token must not be able to fill the audit log (and slow down the
order flow's commits) with one record per request, so per client and status
the first ``burst`` refusals of each window are recorded and the rest are
counted; that count travels in the client's next record
(``suppressed_since_last``), so the log still says how many there were. A
client that never comes back has its count recorded once its window has
closed (:meth:`DenialSampler.flush_quiet`, swept by the server, and at stop).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class _Window:
    __slots__ = ("recorded", "start", "suppressed")

    def __init__(self, start: float, suppressed: int) -> None:
        self.start = start
        self.recorded = 0
        self.suppressed = suppressed  # refusals not recorded since the caller's last record


class DenialSampler:
    """Decides, per (client, status), whether a refusal gets its own audit record."""

    def __init__(
        self,
        burst: int = 20,
        window_seconds: float = 10.0,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = burst
        self._window = self.window_seconds = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._callers: OrderedDict[Hashable, _Window] = OrderedDict()

    def admit(self, key: Hashable) -> int | None:
        """None: count it, record nothing. Else record it, carrying this many suppressed."""
        now = self._clock()
        window = self._callers.get(key)
        if window is None or now - window.start >= self._window:
            window = self._callers[key] = _Window(now, window.suppressed if window else 0)
        self._callers.move_to_end(key)
        while len(self._callers) > self._max_clients:
            self._callers.popitem(last=False)  # the quietest caller's pending count is lost
        if window.recorded >= self._burst:
            window.suppressed += 1
            return None
        window.recorded += 1
        carried, window.suppressed = window.suppressed, 0
        return carried

    def flush_quiet(self, *, everything: bool = False) -> list[tuple[Hashable, int]]:
        """Counts still waiting for a record, of callers whose window has closed (all of them
        with ``everything``, at stop): the caller forgets them, the log gets them now."""
        now = self._clock()
        due = [
            (key, window.suppressed)
            for key, window in self._callers.items()
            if window.suppressed and (everything or now - window.start >= self._window)
        ]
        for key, _ in due:
            del self._callers[key]
        return due
