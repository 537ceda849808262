"""The stamps on a report's cover: what it covers, what it was built from, its digest."""

from __future__ import annotations

from reporting.base import Context
from reporting.scan import ScanResult


def cover_stamps(
    title: str,
    ctx: Context,
    result: ScanResult,
    context: dict[int, str],
    content_sha256: str,
    paper: str,
) -> list[tuple[str, str]]:
    rng = result.audit_range
    cp = ctx.checkpoint
    records = (
        f"seq {rng.first_seq:,} to {rng.last_seq:,} ({result.record_count:,} records)"
        if rng.count
        else f"no records (the log had {rng.first_seq - 1:,} records before the period end)"
    )
    stamps = [
        ("Report", title),
        ("Period (UTC)", f"{ctx.period.start_iso} to {ctx.period.end_iso} (end exclusive)"),
        ("Audit range", records),
        ("Records' times (UTC)", f"{result.first_ts or '-'} to {result.last_ts or '-'}"),
        ("Anchor hash", rng.anchor_hash),
        ("Head hash", result.head_hash),
        ("Chain verification", result.chain.describe()),
        (
            "Audit checkpoint",
            cp.describe() if cp else "none covered the range when the report was generated",
        ),
    ]
    for seq, record_hash in context.items():
        stamps.append(("Context record", f"seq {seq:,} (before the range), hash {record_hash}"))
    stamps += [
        ("Content SHA-256", content_sha256),
        ("Paper", paper.upper()),
    ]
    return stamps


def footer(result: ScanResult) -> str:
    rng = result.audit_range
    verdict = "verified" if result.chain.verified else "FAILED"
    return f"Audit records {rng.first_seq:,}-{rng.last_seq:,} · chain {verdict} · times UTC"
