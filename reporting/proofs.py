"""Merkle proof material for a report's audit range (filled in once the store offers proofs)."""

from __future__ import annotations

from typing import Any

from audit.api import AuditLog
from reporting.build import BuildResult


def proof_bundle(log: AuditLog, result: BuildResult) -> dict[str, Any] | None:
    """None until the audit store exposes subtree hashes for inclusion proofs."""
    return None


def check_proofs(body: dict[str, Any], log: AuditLog, check: Any) -> None:
    """Nothing to check while manifests carry no proofs."""
    return None
