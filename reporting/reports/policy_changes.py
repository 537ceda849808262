"""Risk-limit and policy change log: versions in force, who changed what, why, and the diff.

One CSV row per ``policy.loaded`` or ``policy.rejected`` record. A load is
compared with the version in force just before it (read from before the period
when needed), parameter by parameter and line by line.
"""

from __future__ import annotations

from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Block, Code, Figures, Heading, ReportDocument, Table, Text, count
from reporting.policydiff import line_counts, parameter_changes, parameters, unified
from reporting.policyhistory import Version
from reporting.record import Record
from reporting.scan import ScanResult
from risk_controls import events as ev

HEADER = (
    "seq", "at", "event", "policy_hash", "previous_hash", "policy_version", "source",
    "triggered_by", "reason", "content_changed", "parameters_changed", "lines_added",
    "lines_removed", "parameter_changes", "diff", "errors", "policy_in_force",
)  # fmt: skip
_PDF_CHANGES = 40
_PDF_DIFF_LINES = 160


def _short(policy_hash: str | None) -> str:
    return policy_hash[:12] if policy_hash else "-"


class PolicyChanges(Projection):
    name = "policy-changes"
    title = "Risk-limit and Policy Change Log"
    csv_header = HEADER
    context_events = (ev.POLICY_LOADED,)

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.history = ctx.policies
        self.loads = 0
        self.changes = 0
        self.change_blocks: list[Block] = []
        self.rejections: list[tuple[str, ...]] = []
        self.history.on_load(self._loaded)
        self.history.on_reject(self._rejected)

    def _loaded(self, version: Version, previous: Version | None, record: Record) -> None:
        p = record.payload
        old, new = self.history.content(previous), p.get("content") or ""
        changed = previous is None or previous.policy_hash != version.policy_hash
        diff = unified(old, new, _short(p.get("previous_hash")), _short(version.policy_hash))
        added, removed = line_counts(diff)
        params = parameter_changes(old, new) if previous is not None else None
        self.loads += 1
        self.rows.write(
            (
                record.seq, record.ts, "LOADED", version.policy_hash, p.get("previous_hash"),
                (parameters(new) or {}).get("version"), version.source, version.triggered_by,
                version.reason, changed, None if params is None else len(params), added,
                removed, "\n".join(f"{k}: {a} -> {b}" for k, a, b in params or []), diff, None,
                None,
            )
        )
        if changed:
            self.changes += 1
            if len(self.change_blocks) < 2 * _PDF_CHANGES:
                self._describe(version, previous, params, diff)

    def _describe(
        self,
        version: Version,
        previous: Version | None,
        params: list[tuple[str, str, str]] | None,
        diff: str,
    ) -> None:
        title = (
            f"{version.loaded_at}: {_short(previous.policy_hash if previous else None)} -> "
            f"{_short(version.policy_hash)} by {version.triggered_by or '-'}; reason: "
            f"{version.reason or '(none given)'}"
        )
        rows = tuple(params or ())
        note = None if params is not None else "Not a TOML/JSON policy: see the text diff."
        self.change_blocks.append(
            Table(title, ("Parameter", "Before", "After"), rows, note)
        )
        lines = diff.splitlines()
        text = "\n".join(lines[:_PDF_DIFF_LINES])
        if len(lines) > _PDF_DIFF_LINES:
            text += f"\n... {len(lines) - _PDF_DIFF_LINES} more lines in the CSV"
        self.change_blocks.append(Code("Text diff", text))

    def _rejected(self, record: Record, in_force: Version | None) -> None:
        p = record.payload
        errors = "\n".join(
            f"{e.get('file')}:{e.get('line')} {e.get('field')}: {e.get('message')}"
            for e in p.get("errors") or []
        )
        self.rows.write(
            (
                record.seq, record.ts, "REJECTED", None, None, None, p.get("source"),
                p.get("triggered_by"), None, False, None, None, None, None, None, errors,
                p.get("policy_in_force"),
            )
        )
        if len(self.rejections) < 200:
            self.rejections.append(
                (self.ctx.when(record.ts), str(p.get("source") or ""), str(p.get("triggered_by") or ""),
                 errors, _short(p.get("policy_in_force")))
            )

    def document(self, result: ScanResult) -> ReportDocument:
        versions = tuple(
            (
                v.policy_hash[:16],
                v.loaded_at + (" (before the period)" if v.before_period else ""),
                v.until or "end of period",
                v.triggered_by or "-",
                v.reason or "-",
            )
            for v in self.history.versions[-200:]
        )
        more = self.changes - len(self.change_blocks) // 2
        return ReportDocument(
            self.title,
            (
                Heading("Summary"),
                Text(
                    "The policy (risk limits, permissions, collars, throttles, MiFID II "
                    "defaults) in force over the period, each version identified by the "
                    "SHA-256 of its text, with who loaded it, when, the stated reason and what "
                    "changed. Refused policy files are listed with their errors."
                ),
                Figures(
                    "Key figures",
                    (
                        ("Policy loads in the period", count(self.loads)),
                        ("Loads that changed the policy", count(self.changes)),
                        ("Refused policy files", count(self.history.rejections)),
                        ("Version in force at the end", self.history.in_force.policy_hash
                         if self.history.in_force else "none"),
                    ),
                ),
                Table("Versions in force", ("Policy SHA-256 (prefix)", "From (UTC)", "Until (UTC)",
                                            "Loaded by", "Reason"),
                      versions),
                Heading("Changes"),
                *self.change_blocks,
                *((Text(f"{more} further changes are in the CSV."),) if more > 0 else ()),
                Table("Refused policy files", ("Time (UTC)", "Source", "By", "Errors",
                                               "Kept in force"),
                      tuple(self.rejections)),
            ),
        )
