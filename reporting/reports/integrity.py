"""Audit integrity statement: what was read, whether the chain holds, and what signs it.

For the period: the record range and count, the hash the range hangs from and
its head hash, the result of recomputing every record hash and link, the signed
checkpoints written inside the range (each checked against the record before
it) and the checkpoint that covers the range.
"""

from __future__ import annotations

from audit.checkpoint import CHECKPOINT_EVENT, Checkpoint
from reporting.base import Context, Projection
from reporting.csvout import RowSink
from reporting.document import Figures, Heading, ReportDocument, Table, Text, count
from reporting.record import Record
from reporting.scan import ScanResult
from reporting.summaries import Sample

HEADER = ("field", "value")


class IntegrityStatement(Projection):
    name = "integrity"
    title = "Audit Integrity Statement"
    csv_header = HEADER

    def __init__(self, ctx: Context, rows: RowSink) -> None:
        super().__init__(ctx, rows)
        self.checkpoints = Sample(limit=50)
        self.checkpoint_problems = 0
        ctx.scan.on(CHECKPOINT_EVENT, self._checkpoint)
        rng = ctx.audit_range
        for field, value in (  # what is known before reading; checkpoints follow as they come
            ("period_start", ctx.period.start_iso),
            ("period_end", ctx.period.end_iso),
            ("first_seq", str(rng.first_seq)),
            ("last_seq", str(rng.last_seq)),
            ("anchor_hash", rng.anchor_hash),
        ):
            rows.write((field, value))

    def _checkpoint(self, record: Record) -> None:
        try:
            cp = Checkpoint.from_payload(record.payload)
        except (KeyError, ValueError) as exc:
            self.checkpoint_problems += 1
            self.checkpoints.add((str(record.seq), record.ts, "-", "-", f"unreadable: {exc}"))
            return
        consistent = cp.tree_size == record.seq - 1 and cp.head_hash == record.prev_hash
        if not consistent:
            self.checkpoint_problems += 1
        self.rows.write(
            (
                "checkpoint_in_range",
                f"seq={record.seq} tree_size={cp.tree_size} root={cp.root} time={cp.time} "
                f"key_id={cp.key_id} head={'ok' if consistent else 'MISMATCH'}",
            )
        )
        if self.checkpoints.full:
            self.checkpoints.count()
            return
        self.checkpoints.add(
            (
                f"{record.seq:,}", cp.time, f"{cp.tree_size:,}", cp.root,
                "head matches the record before it" if consistent else "HEAD MISMATCH",
            )
        )

    def _fields(self, result: ScanResult) -> list[tuple[str, str]]:
        chain = result.chain
        covering = self.ctx.checkpoint
        fields = [
            ("record_count", str(result.record_count)),
            ("first_record_at", result.first_ts or ""),
            ("last_record_at", result.last_ts or ""),
            ("head_hash", result.head_hash),
            ("chain_verified", "Y" if chain.verified else "N"),
            ("chain_records_checked", str(chain.checked)),
            ("chain_first_bad_seq", "" if chain.first_bad_seq is None else str(chain.first_bad_seq)),
            ("chain_problem", chain.problem or ""),
            ("checkpoints_in_range", str(self.checkpoints.total)),
            ("checkpoints_inconsistent", str(self.checkpoint_problems)),
        ]
        if covering is not None:
            cp = covering.checkpoint
            fields += [
                ("checkpoint_seq", str(covering.seq)),
                ("checkpoint_tree_size", str(cp.tree_size)),
                ("checkpoint_root", cp.root),
                ("checkpoint_head_hash", cp.head_hash),
                ("checkpoint_time", cp.time),
                ("checkpoint_key_id", cp.key_id),
                ("checkpoint_log_id", cp.log_id),
                ("checkpoint_signature", cp.signature),
            ]
        else:
            fields.append(("checkpoint_seq", ""))
        fields += [(f"records.{k}", str(v)) for k, v in result.counts.items()]
        return fields

    def finish(self, result: ScanResult) -> None:
        for field, value in self._fields(result):
            self.rows.write((field, value))

    def document(self, result: ScanResult) -> ReportDocument:
        rng, chain = result.audit_range, result.chain
        covering = self.ctx.checkpoint
        verdict = (
            f"The {result.record_count:,} audit records {rng.first_seq:,} to {rng.last_seq:,} "
            f"were read from the store and every record hash and every link to the previous "
            f"record was recomputed: the chain is intact from the anchor hash to the head hash."
            if chain.verified
            else f"VERIFICATION FAILED: {chain.describe()}. The records of this period cannot be "
            "relied on until the cause is found."
        )
        if covering is None:
            cover_text = (
                "No signed checkpoint covered the end of the range when this statement was "
                "generated; the head hash above is then the only commitment."
            )
        else:
            cover_text = (
                f"The range is covered by the signed checkpoint {covering.describe()}. Its "
                "signature can be checked with the audit store's public key; the manifest holds "
                "the Merkle inclusion proofs that tie the range to its root."
            )
        return ReportDocument(
            self.title,
            (
                Heading("Statement"),
                Text(verdict),
                Text(cover_text),
                Figures(
                    "Range and hashes",
                    (
                        ("First record", f"{rng.first_seq:,} at {result.first_ts or '-'}"),
                        ("Last record", f"{rng.last_seq:,} at {result.last_ts or '-'}"),
                        ("Records", count(result.record_count)),
                        ("Anchor hash (record before the range)", rng.anchor_hash),
                        ("Head hash (last record)", result.head_hash),
                        ("Chain verification", chain.describe()),
                        ("Checkpoints written in the range", count(self.checkpoints.total)),
                        ("Checkpoints inconsistent with the chain", count(self.checkpoint_problems)),
                    ),
                ),
                Table(
                    "Records by event type",
                    ("Event type", "Records"),
                    tuple((k, count(v)) for k, v in result.counts.items()),
                ),
                Table(
                    "Checkpoints in the range",
                    ("Record", "Signed at (UTC)", "Tree size", "Merkle root", "Check"),
                    tuple(self.checkpoints.rows),
                    self.checkpoints.note(self.name),
                ),
            ),
        )
