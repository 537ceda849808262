"""What every report projection shares: its context and the shape of its class.

A projection subscribes to the single scan (or to the order tracker built on it)
when it is constructed, streams its CSV rows while the scan runs, keeps only
bounded summaries, and turns them into a document for the PDF at the end.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from audit.api import AuditLog, AuditRecord
from reporting.auditrange import AuditRange, last_before
from reporting.checkpoints import CheckpointRef
from reporting.csvout import RowSink
from reporting.document import ReportDocument
from reporting.orders import OrderTracker
from reporting.period import Period
from reporting.policyhistory import PolicyHistory
from reporting.scan import Scan, ScanResult
from risk_controls import events as ev

PDF_DETAIL_ROWS = 200
"""How many detail rows a PDF table shows before it points to the CSV."""


@dataclass(slots=True)
class Context:
    """The period, the range, the scan and (built on first use) the order tracker."""

    log: AuditLog
    period: Period
    audit_range: AuditRange
    scan: Scan
    checkpoint: CheckpointRef | None = None
    context_records: dict[str, AuditRecord] = field(default_factory=dict)
    _tracker: OrderTracker | None = field(default=None)
    _policies: PolicyHistory | None = field(default=None)
    _looked_back: dict[str, AuditRecord | None] = field(default_factory=dict)

    def when(self, ts: str | None) -> str:
        """A time for a PDF table: the clock time alone when the period is one day (the date
        is in every page header), the full ISO 8601 timestamp otherwise."""
        if not ts:
            return ""
        if self.period.is_single_day and ts.startswith(self.period.start_iso[:10]):
            return ts[11:26]
        return ts

    @property
    def tracker(self) -> OrderTracker:
        if self._tracker is None:
            self._tracker = OrderTracker(self.scan)
        return self._tracker

    @property
    def policies(self) -> PolicyHistory:
        if self._policies is None:
            initial = self.last_before_range(ev.POLICY_LOADED)
            self._policies = PolicyHistory(self.scan, initial)
        return self._policies

    def last_before_range(self, event_type: str) -> AuditRecord | None:
        """The last ``event_type`` record before the range (e.g. the policy in force at
        the start); remembered as a context record so the manifest names it."""
        if event_type not in self._looked_back:
            record = last_before(self.log, self.audit_range.first_seq, event_type)
            self._looked_back[event_type] = record
            if record is not None:
                self.context_records[event_type] = record
        return self._looked_back[event_type]

    def context_for(self, projection: Projection) -> dict[int, str]:
        """The context records ``projection`` depends on: seq to record hash."""
        records = (self.context_records.get(t) for t in projection.context_events)
        return {r.seq: r.record_hash for r in sorted(filter(None, records), key=lambda r: r.seq)}


class Projection(ABC):
    """One report: CSV rows streamed during the scan, a document afterwards."""

    name: ClassVar[str]
    title: ClassVar[str]
    formats: ClassVar[tuple[str, ...]] = ("csv", "pdf")
    csv_header: ClassVar[tuple[str, ...]]
    context_events: ClassVar[tuple[str, ...]] = ()
    """Event types read from before the range (so the manifest names those records)."""

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        self.ctx = ctx
        self.rows = rows

    def finish(self, result: ScanResult) -> None:
        """Called once after the scan; reports whose CSV is a summary write it here."""
        return None

    @abstractmethod
    def document(self, result: ScanResult) -> ReportDocument:
        """The PDF content, built from the summaries once the scan is done."""
