"""Check a report against its manifest and the audit log, years after it was made.

The report file must match the manifest's SHA-256 and detached signature, the
manifest its own signature, and — the real test — rebuilding the report from
the same audit range of the log must give the same bytes. Any change to the
records after the report was made (or to the context records and checkpoint it
used) makes the rebuild differ or the chain check fail.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditLog
from reporting.auditrange import AuditRange, anchor_of, record_at
from reporting.build import GENERATORS, BuildSpec, build
from reporting.manifest import (
    manifest_path,
    manifest_signature_valid,
    public_key_hex,
    read_manifest,
    sha256_file,
)
from reporting.period import Period
from reporting.proofs import check_proofs


@dataclass(slots=True)
class Verification:
    """``ok`` only when every check passed; ``problems`` says what did not."""

    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def check(self, passed: bool, what: str) -> bool:
        (self.checks if passed else self.problems).append(what)
        return passed


def verify_report(
    report: Path,
    log: AuditLog,
    manifest: Path | None = None,
    public_key: Ed25519PublicKey | None = None,
    checkpoint_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> Verification:
    """Verify ``report`` (manifest beside it unless given); ``public_key`` pins the signer.

    A report built with trusted checkpoint keys is rebuilt with the same keys,
    which the caller must supply (the manifest names their key ids)."""
    result = Verification()
    body = read_manifest(manifest or manifest_path(report))
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(body["signature"]["public_key"]))
    if public_key is not None:
        result.check(
            public_key_hex(public_key) == public_key_hex(key),
            "the manifest names the expected signing key",
        )
    result.check(manifest_signature_valid(body, key), "manifest signature valid")
    digest = sha256_file(report)
    result.check(digest == body["sha256"], "report file matches the manifest SHA-256")
    result.check(_signature_ok(report, key, digest), "detached signature valid")
    _check_log(body, log, result)
    check_proofs(body, log, result.check)
    _check_rebuild(body, log, report, result, checkpoint_keys)
    return result


def _signature_ok(report: Path, key: Ed25519PublicKey, digest: str) -> bool:
    sig = report.with_name(report.name + ".sig")
    try:
        key.verify(sig.read_bytes(), bytes.fromhex(digest))
    except (InvalidSignature, OSError):
        return False
    return True


def _check_log(body: dict[str, Any], log: AuditLog, result: Verification) -> None:
    rng = body["audit_range"]
    if rng["last_seq"] >= rng["first_seq"]:
        last = record_at(log, rng["last_seq"])
        result.check(
            last is not None and last.record_hash == rng["head_hash"],
            f"audit record {rng['last_seq']} still has the head hash the report was built on",
        )
    result.check(
        anchor_of(log, rng["first_seq"]) == rng["anchor_hash"],
        "the record before the range still has the anchor hash",
    )
    for context in body["context_records"]:
        record = record_at(log, context["seq"])
        result.check(
            record is not None and record.record_hash == context["record_hash"],
            f"context record {context['seq']} unchanged",
        )
    cp = body.get("checkpoint")
    if cp is not None:
        record = record_at(log, cp["seq"])
        result.check(
            record is not None and record.record_hash == cp["record_hash"],
            f"checkpoint record {cp['seq']} unchanged",
        )


def _check_rebuild(
    body: dict[str, Any],
    log: AuditLog,
    report: Path,
    result: Verification,
    keys: Mapping[str, Ed25519PublicKey] | None,
) -> None:
    rng = body["audit_range"]
    wanted = body.get("checkpoint_key_ids")
    if wanted and not result.check(
        keys is not None and set(wanted) <= set(keys),
        f"checkpoint keys {', '.join(wanted)} supplied (the report was built with them)",
    ):
        return
    generator = str(body.get("generator"))
    if not result.check(
        generator in GENERATORS, f"the report's generator ({generator!r}) is one this build can rebuild"
    ):
        return
    keys = {k: keys[k] for k in wanted} if wanted and keys is not None else None
    period = Period(_parse(body["period"]["start"]), _parse(body["period"]["end"]))
    first = rng["first_seq"]
    spec = BuildSpec(
        ((body["report"], body["format"]),),
        period,
        AuditRange(first, rng["last_seq"], anchor_of(log, first)),
        body["checkpoint"]["seq"] if body.get("checkpoint") else None,
        body.get("paper") or "A4",
        keys,
        generator,
    )
    with tempfile.TemporaryDirectory(prefix="report-verify-") as tmp:
        rebuilt = build(log, spec, Path(tmp))
        result.check(rebuilt.scan.chain.verified, "audit chain of the range verifies today")
        result.check(
            rebuilt.scan.head_hash == rng["head_hash"],
            "the range's head hash is unchanged",
        )
        same = sha256_file(rebuilt.files[0].path) == body["sha256"]
        result.check(same, f"rebuilding {report.name} from the log gives the same bytes")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
