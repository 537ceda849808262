"""An in-memory audit log for unit tests: same chain, no durability, optional outage."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from audit.api import AppendTicket, AuditRecord, AuditUnavailable
from audit.record import GENESIS_HASH, canonical_bytes, chain_hash


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MemoryAuditLog:
    """Completes every ticket at once; ``available = False`` simulates an outage."""

    def __init__(self, now: Callable[[], str] = _utc_now) -> None:
        self._records: list[AuditRecord] = []
        self._lock = threading.Lock()
        self._now = now
        self.available = True

    def append(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        retention: str | None = None,
        lazy: bool = False,
    ) -> AppendTicket:
        ticket = AppendTicket()
        if not self.available:
            ticket.set_error(AuditUnavailable("audit store unavailable"))
            return ticket
        with self._lock:
            seq, prev = self.head()
            seq += 1
            ts = self._now()
            canonical = canonical_bytes(seq, ts, event_type, payload, retention)
            digest = chain_hash(prev, canonical)
            record = AuditRecord(seq, ts, event_type, payload, prev, digest, retention)
            self._records.append(record)
        ticket.set_result(record)
        return ticket

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]:
        end = len(self._records) if end_seq is None else min(end_seq, len(self._records))
        for index in range(max(start_seq, 1) - 1, end):
            yield self._records[index]

    def head(self) -> tuple[int, str]:
        if not self._records:
            return 0, GENESIS_HASH
        last = self._records[-1]
        return last.seq, last.record_hash

    def last_seq_of(self, event_type: str) -> int | None:
        for record in reversed(self._records):
            if record.event_type == event_type:
                return record.seq
        return None

    def flush(self, timeout: float | None = None) -> None:
        return None

    def close(self) -> None:
        return None
