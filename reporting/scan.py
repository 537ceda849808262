"""One streaming pass over an audit range that feeds every projection at once.

Projections register handlers per event type; the pass reads each record once,
checks the hash chain as it goes and keeps nothing but counters, so memory does
not grow with the number of records and "all" reports cost a single read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from audit.api import AuditLog, AuditRecord
from reporting.auditrange import AuditRange
from reporting.chain import ChainResult, ChainVerifier

Handler = Callable[[AuditRecord], None]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What the pass saw: the chain verdict, counts, and the range's first and last records."""

    audit_range: AuditRange
    chain: ChainResult
    counts: dict[str, int]
    head_hash: str
    first_ts: str | None
    last_ts: str | None

    @property
    def record_count(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class Scan:
    """Handlers by event type, called in registration order, then finishers."""

    audit_range: AuditRange
    _handlers: dict[str, list[Handler]] = field(default_factory=dict)
    _finishers: list[Callable[[], None]] = field(default_factory=list)

    def on(self, event_type: str, handler: Handler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def at_end(self, finisher: Callable[[], None]) -> None:
        self._finishers.append(finisher)

    def run(self, log: AuditLog) -> ScanResult:
        rng = self.audit_range
        verifier = ChainVerifier(rng.first_seq, rng.anchor_hash)
        counts: Counter[str] = Counter()
        handlers = self._handlers
        head_hash = rng.anchor_hash
        first_ts: str | None = None
        last_ts: str | None = None
        if rng.count:
            for record in log.read(rng.first_seq, rng.last_seq):
                verifier.feed(record)
                counts[record.event_type] += 1
                if first_ts is None:
                    first_ts = record.ts
                last_ts, head_hash = record.ts, record.record_hash
                for handler in handlers.get(record.event_type, ()):
                    handler(record)
        for finisher in self._finishers:
            finisher()
        chain = verifier.result(rng.last_seq)
        return ScanResult(rng, chain, dict(sorted(counts.items())), head_hash, first_ts, last_ts)
