"""``generate_report``: the entry point the CLI and the REST endpoint call.

Picks the audit range for the period and the checkpoint that covers it, builds
the files in one pass over the records, then writes beside each file a detached
Ed25519 signature and a signed manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from audit.api import AuditLog
from reporting.auditrange import locate
from reporting.build import GENERATOR, BuildResult, BuildSpec, Built, build
from reporting.checkpoints import find_covering
from reporting.manifest import (
    MANIFEST_VERSION,
    manifest_path,
    public_key_hex,
    sha256_file,
    sign_manifest,
    signature_path,
    write_manifest,
)
from reporting.period import Period
from reporting.proofs import bundle_for, proof_bundle
from reporting.registry import jobs

SIGNATURE_SCHEME = "Ed25519 over the 32-byte SHA-256 digest of the report file"


def generate_report(
    name: str,
    log: AuditLog,
    period_start: datetime | date,
    period_end: datetime | date,
    fmt: str,
    out_dir: Path,
    signing_key: Ed25519PrivateKey,
    *,
    paper: str = "A4",
    checkpoint_keys: Mapping[str, Ed25519PublicKey] | None = None,
    generator: str = GENERATOR,
) -> list[Path]:
    """Generate report ``name`` (or "all") for ``[period_start, period_end)``.

    Datetimes are a half-open UTC interval; dates mean whole UTC days with the
    end date included. ``fmt`` is ``csv``, ``pdf`` or ``both``; ``paper`` is
    ``A4`` or ``LETTER``. ``checkpoint_keys`` (key id to public key, see
    audit.verify.keyring) makes the chain check verify checkpoint signatures.
    ``generator`` renders as an earlier release did (one of reporting.build.GENERATORS),
    to reproduce a report it made.
    Returns every file written: each report, then its ``.sig`` and ``.manifest.json``.
    """
    if paper.upper() not in ("A4", "LETTER"):
        raise ValueError(f"unknown paper size {paper!r}: A4 or LETTER")
    period = Period.of(period_start, period_end)
    audit_range = locate(log, period)
    covering = find_covering(log, audit_range.last_seq) if audit_range.count else None
    spec = BuildSpec(
        tuple(jobs(name, fmt)), period, audit_range, covering.seq if covering else None,
        paper.upper(), checkpoint_keys, generator,
    )
    result = build(log, spec, Path(out_dir))
    proofs = proof_bundle(log, result)
    written: list[Path] = []
    for built in result.files:
        written.extend(_seal(built, spec, result, proofs, signing_key))
    return written


def _seal(
    built: Built,
    spec: BuildSpec,
    result: BuildResult,
    proofs: dict[int, Any] | None,
    key: Ed25519PrivateKey,
) -> list[Path]:
    digest = sha256_file(built.path)
    sig = signature_path(built.path)
    sig.write_bytes(key.sign(bytes.fromhex(digest)))
    body = manifest_body(built, spec, result, digest, bundle_for(proofs, result, built.context_records))
    body["signature"] = {
        "scheme": SIGNATURE_SCHEME,
        "file": sig.name,
        "public_key": public_key_hex(key.public_key()),
    }
    path = manifest_path(built.path)
    write_manifest(path, sign_manifest(body, key))
    return [built.path, sig, path]


def manifest_body(
    built: Built, spec: BuildSpec, result: BuildResult, digest: str, proofs: dict[str, Any] | None
) -> dict[str, Any]:
    scan, rng = result.scan, result.scan.audit_range
    return {
        "manifest_version": MANIFEST_VERSION,
        "generator": spec.generator,
        "report": built.name,
        "title": built.title,
        "format": built.fmt,
        "paper": spec.paper if built.fmt == "pdf" else None,
        "file": built.path.name,
        "sha256": digest,
        "size": built.path.stat().st_size,
        "content_sha256": built.content_sha256,
        "csv_rows": built.rows,
        "period": {"start": spec.period.start_iso, "end": spec.period.end_iso},
        "audit_range": {
            "first_seq": rng.first_seq,
            "last_seq": rng.last_seq,
            "record_count": scan.record_count,
            "anchor_hash": rng.anchor_hash,
            "head_hash": scan.head_hash,
            "first_ts": scan.first_ts,
            "last_ts": scan.last_ts,
        },
        "chain": {
            "verified": scan.chain.verified,
            "checked": scan.chain.checked,
            "first_bad_seq": scan.chain.first_bad_seq,
            "problem": scan.chain.problem,
        },
        "context_records": [
            {"seq": seq, "record_hash": h} for seq, h in built.context_records.items()
        ],
        "checkpoint": result.checkpoint.as_dict() if result.checkpoint else None,
        "checkpoint_key_ids": sorted(spec.checkpoint_keys) if spec.checkpoint_keys else None,
        "proofs": proofs,
    }

