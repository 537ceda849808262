"""One streaming pass over an audit range that feeds every projection at once.

Projections register handlers per event type; the pass reads each record once,
checks the hash chain as it goes and keeps nothing but counters, so memory does
not grow with the number of records and "all" reports cost a single read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditLog
from reporting.auditrange import AuditRange
from reporting.chain import ChainResult, verify_rows
from reporting.record import Record
from reporting.source import stream

Handler = Callable[[Record], None]


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

    def run(
        self, log: AuditLog, keys: Mapping[str, Ed25519PublicKey] | None = None
    ) -> ScanResult:
        """Read the range once; ``keys`` are trusted checkpoint keys by key id."""
        rng = self.audit_range
        counts: dict[str, int] = {}
        handlers = self._handlers
        first: Record | None = None
        last: Record | None = None

        def visit(record: Record) -> None:
            nonlocal first, last
            event_type = record.event_type
            counts[event_type] = counts.get(event_type, 0) + 1
            if first is None:
                first = record
            last = record
            for handler in handlers.get(event_type, ()):
                handler(record)

        rows = stream(log, rng.first_seq, rng.last_seq, visit) if rng.count else iter(())
        chain = verify_rows(rows, rng.first_seq, rng.last_seq, rng.anchor_hash, keys)
        for finisher in self._finishers:
            finisher()
        return ScanResult(
            rng,
            chain,
            dict(sorted(counts.items())),
            last.record_hash if last else rng.anchor_hash,
            first.ts if first else None,
            last.ts if last else None,
        )
