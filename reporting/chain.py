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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditRecord
from audit.verify import ChainVerifier
from reporting.source import Item


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


def verify_while(
    items: Iterator[Item],
    visit: Callable[[AuditRecord], None],
    first_seq: int,
    last_seq: int,
    anchor_hash: str,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> ChainResult:
    """Visit every record of ``items`` and verify the chain from ``anchor_hash``."""
    verifier = ChainVerifier(first_seq, anchor_hash, keys=keys)
    seen = 0

    def rows() -> Iterator[tuple[int, bytes, bytes, bytes]]:
        nonlocal seen
        for record, body, prev, digest in items:
            seen += 1
            visit(record)
            yield record.seq, body, prev, digest

    remaining = rows()
    verifier.feed(remaining)
    for _ in remaining:  # after a fault: the report still covers every record
        pass
    result = verifier.result()
    fault = result.fault
    if fault is None and result.last_seq != last_seq:
        return ChainResult(False, seen, result.last_seq + 1, f"records end at seq {result.last_seq}")
    if fault is not None:
        return ChainResult(False, seen, fault.seq, f"{fault.kind.value}: {fault.detail}")
    return ChainResult(True, seen, None, None, result.checkpoints, result.signatures_checked)
