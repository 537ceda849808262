"""Hash-chain verification of the records a report reads, in the same pass.

The verifier is audit.verify.ChainVerifier (the store's own): every record's
hash is SHA-256(prev || canonical bytes), every record links to the one before,
sequence numbers have no gaps, and every checkpoint written inside the range
signs the head it claims (with its Ed25519 signature checked when the caller
trusts a key). Fed by a generator that also drives the projections, so the log
is read once; after a fault the projections still see every record, and the
report says the chain failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.verify import ChainVerifier
from reporting.source import Row


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The outcome of checking a contiguous range of records."""

    verified: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None
    checkpoints: int = 0
    signatures_checked: bool = False

    def describe(self) -> str:
        if not self.verified:
            return f"FAILED at seq {self.first_bad_seq}: {self.problem}"
        signed = "signatures checked" if self.signatures_checked else "signatures not checked"
        return (
            f"VERIFIED: {self.checked} records, every hash and link recomputed; "
            f"{self.checkpoints} checkpoints consistent ({signed})"
        )


def verify_rows(
    rows: Iterator[Row],
    first_seq: int,
    last_seq: int,
    anchor_hash: str,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> ChainResult:
    """Verify ``rows`` from ``anchor_hash``; drains them even after a fault, because the
    projections are fed by the same iterator and must still see every record."""
    verifier = ChainVerifier(first_seq, anchor_hash, keys=keys)
    verifier.feed(rows)
    checked = verifier.result().records
    for _ in rows:  # after a fault: the report still covers every record
        checked += 1
    result = verifier.result()
    fault = result.fault
    if fault is not None:
        return ChainResult(False, checked + 1, fault.seq, f"{fault.kind.value}: {fault.detail}")
    if result.last_seq != last_seq:
        return ChainResult(False, checked, result.last_seq + 1,
                           f"records end at seq {result.last_seq}")
    return ChainResult(True, checked, None, None, result.checkpoints, result.signatures_checked)
