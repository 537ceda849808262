"""How many refused requests reach the audit log: all of a trickle, a sample of a flood.

Every 401 and 403 is recorded with who and why. A client hammering the API
with a bad token must not be able to fill the audit log (and slow down the
order flow's commits) with one record per request, so per client and status
the first ``burst`` refusals of each window are recorded and the rest are
counted; that count travels in the client's next record
(``suppressed_since_last``), so the log still says how many there were.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


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
        self._window = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        # key -> [window start, recorded in this window, suppressed since the last record]
        self._state: OrderedDict[Hashable, list[float]] = OrderedDict()

    def admit(self, key: Hashable) -> int | None:
        """None: count it, record nothing. Else record it, carrying this many suppressed."""
        now = self._clock()
        state = self._state.get(key)
        if state is None or now - state[0] >= self._window:
            suppressed = 0 if state is None else int(state[2])
            state = self._state[key] = [now, 0.0, float(suppressed)]
        self._state.move_to_end(key)
        while len(self._state) > self._max_clients:
            self._state.popitem(last=False)  # the quietest client's pending count is lost
        if state[1] >= self._burst:
            state[2] += 1
            return None
        state[1] += 1
        carried, state[2] = int(state[2]), 0.0
        return carried
