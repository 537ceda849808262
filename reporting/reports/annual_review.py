"""SEC 15c3-5 annual review pack: the evidence a CEO certification rests on.

For the period: the policy versions in force and every parameter of the one in
force at the end, every change with who, when and why, how often each control
was evaluated and what it decided, denial statistics per control, kill-switch
and throttle use, market-abuse alerts, and the audit chain verdict.
"""

from __future__ import annotations

from collections import Counter

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Bars, Figures, Heading, ReportDocument, Table, Text, count, pct
from reporting.policydiff import parameter_changes, parameters
from reporting.policyhistory import Version
from reporting.record import Record
from reporting.scan import ScanResult
from reporting.summaries import top
from risk_controls import events as ev

HEADER = ("section", "item", "metric", "value")
_KILL_EVENTS = (ev.KILL_ENGAGED, ev.KILL_RELEASED, ev.EXEC_THROTTLE_TRIPPED)
_MAX_CHANGE_ROWS = 400


class AnnualReview(Projection):
    name = "annual-review"
    title = "SEC 15c3-5 Annual Review Pack"
    csv_header = HEADER
    context_events = (ev.POLICY_LOADED,)

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.history = ctx.policies
        self.evaluated: Counter[tuple[str, str]] = Counter()
        self.denials: Counter[str] = Counter()
        self.codes: Counter[tuple[str, str]] = Counter()
        self.kill_scopes: Counter[str] = Counter()
        self.kill_events: Counter[str] = Counter()
        self.kill_cancelled = 0
        self.alerts: Counter[tuple[str, str]] = Counter()
        self.changes: list[tuple[str, str, str, str, str, str]] = []
        self.change_count = 0
        for event_type, handler in (
            (ev.ORDER_ACCEPTED, self._checks),
            (ev.ORDER_DENIED, self._denied),
            (ev.CANCEL_DENIED, self._denied),
            (ev.REPLACE_DENIED, self._denied),
            (ev.ABUSE_ALERT, self._alert),
            *((t, self._kill) for t in _KILL_EVENTS),
        ):
            ctx.scan.on(event_type, handler)
        self.history.on_load(self._loaded)

    def _checks(self, record: Record) -> None:
        for check in record.payload.get("checks") or ():
            self.evaluated[(str(check.get("control")), str(check.get("outcome")))] += 1

    def _denied(self, record: Record) -> None:
        if record.event_type == ev.ORDER_DENIED:
            self._checks(record)
        denial = record.payload.get("denial") or {}
        control = str(denial.get("control"))
        self.denials[control] += 1
        self.codes[(control, str(denial.get("code")))] += 1

    def _kill(self, record: Record) -> None:
        p = record.payload
        self.kill_events[record.event_type] += 1
        if record.event_type == ev.KILL_ENGAGED:
            self.kill_scopes[str(p.get("scope"))] += 1
            self.kill_cancelled += len(p.get("cancelled_order_ids") or ())

    def _alert(self, record: Record) -> None:
        p = record.payload
        self.alerts[(str(p.get("monitor")), str(p.get("action")))] += 1

    def _loaded(self, version: Version, previous: Version | None, record: Record) -> None:
        if previous is None or previous.policy_hash == version.policy_hash:
            return
        params = parameter_changes(self.history.content(previous), self.history.content(version))
        for path, was, now in params or [("(text)", previous.policy_hash[:12],
                                            version.policy_hash[:12])]:
            self.change_count += 1
            if len(self.changes) < _MAX_CHANGE_ROWS:
                self.changes.append(
                    (version.loaded_at, path, was, now, version.triggered_by or "-",
                     version.reason or "-")
                )

    # --- output --------------------------------------------------------------

    def _control_rows(self) -> list[tuple[str, int, int, int, int]]:
        controls = sorted({c for c, _ in self.evaluated} | set(self.denials))
        return [
            (
                c,
                sum(n for (cc, _), n in self.evaluated.items() if cc == c),
                self.evaluated[(c, "PASS")],
                self.denials[c],
                self.evaluated[(c, "ALERT")],
            )
            for c in controls
        ]

    def _in_force_end(self) -> dict[str, str]:
        return parameters(self.history.content(self.history.in_force)) or {}

    def finish(self, result: ScanResult) -> None:
        w = self.rows.write
        w(("audit", "chain", "verified", result.chain.verified))
        w(("audit", "records", "count", result.record_count))
        for v in self.history.versions:
            w(("policy_versions", v.policy_hash, "in_force_from", v.loaded_at))
            w(("policy_versions", v.policy_hash, "in_force_until", v.until or ""))
            w(("policy_versions", v.policy_hash, "loaded_by", v.triggered_by or ""))
            w(("policy_versions", v.policy_hash, "reason", v.reason or ""))
        for path, value in sorted(self._in_force_end().items()):
            w(("parameters_at_end", path, "value", value))
        for at, path, was, now, by, reason in self.changes:
            w(("parameter_changes", path, "change", f"{at} {was} -> {now} by {by}: {reason}"))
        for control, evaluated, passed, denied, alerted in self._control_rows():
            w(("controls", control, "evaluated", evaluated))
            w(("controls", control, "passed", passed))
            w(("controls", control, "denied", denied))
            w(("controls", control, "alerted", alerted))
        for (control, code), n in sorted(self.codes.items()):
            w(("denial_codes", f"{control}/{code}", "denials", n))
        for event_type, n in sorted(self.kill_events.items()):
            w(("kill_switch", event_type, "count", n))
        w(("kill_switch", "orders_cancelled", "count", self.kill_cancelled))
        for (monitor, action), n in sorted(self.alerts.items()):
            w(("abuse_alerts", f"{monitor}/{action}", "count", n))

    def document(self, result: ScanResult) -> ReportDocument:
        received = result.counts.get(ev.ORDER_RECEIVED, 0)
        total_denials = sum(self.denials.values())
        controls = self._control_rows()
        params = sorted(self._in_force_end().items())
        versions = tuple(
            (v.policy_hash[:16], v.loaded_at, v.until or "end of period",
             v.triggered_by or "-", v.reason or "-")
            for v in self.history.versions[-100:]
        )
        denial_top = top(self.denials, 15)
        more = self.change_count - len(self.changes)
        return ReportDocument(
            self.title,
            (
                Heading("Purpose"),
                Text(
                    "SEC Rule 15c3-5(e) requires a broker-dealer to review, at least annually, the "
                    "effectiveness of its risk management controls and supervisory procedures, "
                    "and its CEO to certify that they comply with the rule. This pack assembles "
                    "the evidence from the audit log alone: the controls in force and their "
                    "parameters, changes to them, what the controls decided, and kill-switch use."
                ),
                Figures(
                    "Key figures",
                    (
                        ("Audit records reviewed", count(result.record_count)),
                        ("Audit chain", result.chain.describe()),
                        ("Policy versions in force", count(len(self.history.versions))),
                        ("Parameter changes", count(self.change_count)),
                        ("Refused policy files", count(self.history.rejections)),
                        ("New orders received", count(received)),
                        ("Denials (new, cancel, replace)", count(total_denials)),
                        ("Share of new orders denied",
                         pct(result.counts.get(ev.ORDER_DENIED, 0), received)),
                        ("Kill-switch engagements", count(self.kill_events[ev.KILL_ENGAGED])),
                        ("Orders cancelled by kill switches", count(self.kill_cancelled)),
                        ("Execution-throttle trips",
                         count(self.kill_events[ev.EXEC_THROTTLE_TRIPPED])),
                        ("Market-abuse alerts", count(sum(self.alerts.values()))),
                    ),
                ),
                Heading("Controls in force"),
                Table("Policy versions", ("Policy SHA-256 (prefix)", "From (UTC)", "Until (UTC)",
                                          "Loaded by", "Reason"),
                      versions),
                Table("Parameters in force at the end of the period", ("Parameter", "Value"),
                      tuple(params)),
                Table("Changes to the parameters", ("When (UTC)", "Parameter", "Before", "After",
                                                    "By", "Reason"),
                      tuple(self.changes),
                      f"{more} further changes are in the CSV." if more > 0 else None),
                Heading("What the controls decided"),
                Table("Evaluations per control", ("Control", "Evaluated", "Passed", "Denied",
                                                  "Alerted"),
                      tuple((c, count(e), count(p), count(d), count(a))
                            for c, e, p, d, a in controls)),
                Bars("Denials per control", tuple(c for c, _ in denial_top),
                     tuple(n for _, n in denial_top), horizontal=True),
                Table("Denials by control and code", ("Control", "Code", "Denials"),
                      tuple((c, k, count(n)) for (c, k), n in
                            sorted(self.codes.items(), key=lambda kv: (-kv[1], kv[0])))),
                Heading("Kill switch, throttles and market abuse"),
                Table("Kill-switch engagements by scope", ("Scope", "Engagements"),
                      tuple((k, count(v)) for k, v in top(self.kill_scopes, 10))),
                Table("Market-abuse alerts", ("Monitor", "Action", "Alerts"),
                      tuple((m, a, count(n)) for (m, a), n in sorted(self.alerts.items()))),
                Heading("Review and certification"),
                Text(
                    "Reviewed by (name, title): ______________________________   "
                    "Date: ____________"
                ),
                Text(
                    "CEO certification under 15c3-5(e)(2): ______________________________   "
                    "Date: ____________"
                ),
            ),
        )
