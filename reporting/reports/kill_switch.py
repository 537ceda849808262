"""Kill-switch activity: who engaged it, at what scope, why, what it cancelled, who released it.

Execution-throttle trips (RTS 6 15(3): trading disabled until a person
re-enables it) are listed with the kill switches, since they act the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Figures, Heading, ReportDocument, Table, Text, count
from reporting.record import Record
from reporting.scan import ScanResult
from reporting.summaries import Sample
from risk_controls import events as ev

HEADER = (
    "seq", "at", "event", "scope", "target", "mode", "actor", "approved_by", "reason",
    "cancelled_count", "cancelled_order_ids", "engaged_seq", "engaged_at", "engaged_seconds",
)  # fmt: skip
_EVENTS = {
    ev.KILL_ENGAGED: "ENGAGED",
    ev.KILL_RELEASED: "RELEASED",
    ev.EXEC_THROTTLE_TRIPPED: "THROTTLE_TRIPPED",
    ev.EXEC_THROTTLE_RESET: "THROTTLE_RESET",
}
_STARTS = {"ENGAGED", "THROTTLE_TRIPPED"}


def _seconds(start: str, end: str) -> str:
    delta = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(
        start.replace("Z", "+00:00")
    )
    return f"{delta.total_seconds():.6f}"


def _reason(p: Mapping[str, Any]) -> str:
    if p.get("reason"):
        return str(p["reason"])
    if p.get("max_fills") is not None:
        return f"more than {p['max_fills']} fills in {p.get('window_seconds')} s"
    return ""


class KillSwitchLog(Projection):
    name = "kill-switch"
    title = "Kill-switch Activity Log"
    csv_header = HEADER

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.active: dict[tuple[str, str, str], Record] = {}
        self.events = Sample()
        self.intervals = Sample()
        self.counts = {name: 0 for name in _EVENTS.values()}
        self.cancelled = 0
        for event_type in _EVENTS:
            ctx.scan.on(event_type, self._event)

    def _event(self, record: Record) -> None:
        p = record.payload
        event = _EVENTS[record.event_type]
        family = "throttle" if event.startswith("THROTTLE") else "kill"
        if family == "throttle":  # per account: {account, max_fills, window_seconds}
            scope, target = "account", str(p.get("account") or "-")
        else:
            scope, target = str(p.get("scope") or "-"), str(p.get("target") or "-")
        key = (family, scope, target)
        started: Record | None = None
        if event in _STARTS:
            self.active[key] = record
        else:
            started = self.active.pop(key, None)
        ids = p.get("cancelled_order_ids") or []
        self.counts[event] += 1
        self.cancelled += len(ids)
        elapsed = _seconds(started.ts, record.ts) if started else None
        self.rows.write(
            (
                record.seq, record.ts, event, scope, target, p.get("mode"), p.get("actor"),
                p.get("approved_by"), _reason(p), p.get("cancelled_count", len(ids)),
                " ".join(ids), started.seq if started else None,
                started.ts if started else None, elapsed,
            )
        )
        self.events.add(
            (
                self.ctx.when(record.ts), event, f"{scope}:{target}", str(p.get("mode") or ""),
                str(p.get("actor") or ""), str(p.get("approved_by") or ""),
                _reason(p), str(len(ids)) if event in _STARTS else "",
            )
        )
        if started is not None:
            self.intervals.add(
                (f"{scope}:{target}", self.ctx.when(started.ts), self.ctx.when(record.ts),
                 elapsed or "",
                 str(started.payload.get("actor") or ""), str(p.get("actor") or ""))
            )

    def document(self, result: ScanResult) -> ReportDocument:
        open_rows = tuple(
            (f"{scope}:{target}", self.ctx.when(rec.ts), "still engaged at period end", "",
             str(rec.payload.get("actor") or ""), "")
            for (_, scope, target), rec in sorted(self.active.items(), key=lambda kv: kv[1].seq)
        )
        c = self.counts
        return ReportDocument(
            self.title,
            (
                Heading("Summary"),
                Text(
                    "Engagements and releases of the kill switch (firm, account, trader, "
                    "strategy, instrument or session scope) and execution-throttle trips. An "
                    "engagement cancels the working orders in its scope; the list is in the CSV."
                ),
                Figures(
                    "Key figures",
                    (
                        ("Kill-switch engagements", count(c["ENGAGED"])),
                        ("Kill-switch releases", count(c["RELEASED"])),
                        ("Orders cancelled by engagements", count(self.cancelled)),
                        ("Execution-throttle trips", count(c["THROTTLE_TRIPPED"])),
                        ("Execution-throttle resets", count(c["THROTTLE_RESET"])),
                        ("Still engaged or tripped at period end", count(len(self.active))),
                    ),
                ),
                Table(
                    "Events",
                    ("Time (UTC)", "Event", "Scope", "Mode", "Actor", "Approved by", "Reason",
                     "Cancelled"),
                    tuple(self.events.rows),
                    self.events.note(self.name),
                ),
                Table(
                    "Engaged intervals",
                    ("Scope", "Engaged (UTC)", "Released (UTC)", "Seconds", "Engaged by",
                     "Released by"),
                    tuple(self.intervals.rows) + open_rows,
                ),
            ),
        )
