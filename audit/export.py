"""Export a range of records for a regulator: JSONL (verifiable offline) and CSV (to read).

The JSONL file (format in docs/audit-format.md) holds, one JSON object per
line: a ``header`` (log id, range, the checkpoint public key), every
``record`` of the range with its chain data, the signed ``checkpoint``
record whose tree covers the range, and a ``range_proof``: the Merkle
subtree hashes left and right of the range that, with the records' leaf
hashes, rebuild the checkpoint's root. With it anyone can check, without the
database, that the records are exactly those the log signed.
docs/verify_audit_log.py does so with the standard library only;
:func:`verify_export` does the same plus the Ed25519 signature.

The CSV file has one row per record (the checkpoint record included) with
the payload as canonical JSON, for people and spreadsheets.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditRecord, AuditUnavailable
from audit.checkpoint import CHECKPOINT_EVENT, Checkpoint, load_public_key, signature_valid
from audit.merkle import ProofError, RangeRoot, leaf_hash
from audit.proofs import checkpoint_covering
from audit.record import GENESIS_HASH, canonical_bytes
from audit.sql_store import SqlAuditLog
from audit.tree import StoredTree
from audit.verify import ChainVerifier, Fault, FaultKind, VerifyResult, keyring

FORMAT = "compliance-gateway-audit-export"
VERSION = 1
CSV_COLUMNS = ("seq", "ts", "event_type", "retention", "payload", "prev_hash", "record_hash")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    first_seq: int
    last_seq: int
    records: int
    checkpoint_seq: int
    tree_size: int
    proof_hashes: int


def record_line(record: AuditRecord, kind: str = "record") -> dict[str, Any]:
    return {
        "type": kind,
        "seq": record.seq,
        "ts": record.ts,
        "event_type": record.event_type,
        "retention": record.retention,
        "payload": record.payload,
        "prev_hash": record.prev_hash,
        "record_hash": record.record_hash,
    }


def _dump(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_range(
    store: SqlAuditLog,
    first_seq: int,
    last_seq: int,
    jsonl: IO[str],
    csv_out: IO[str] | None = None,
    *,
    checkpoint_timeout: float = 10.0,
) -> ExportSummary:
    """Write records ``first_seq..last_seq`` with the checkpoint and proof that cover them.

    When no checkpoint covers ``last_seq`` yet, one is written first (the
    store must have a signer). Memory stays flat: records are streamed.
    """
    head = store.head()[0]
    if not 1 <= first_seq <= last_seq <= head:
        raise ValueError(f"range {first_seq}..{last_seq} is not inside the log (head {head})")
    covering = checkpoint_covering(store, last_seq)
    if covering is None:
        store.checkpoint_now().result(checkpoint_timeout)
        covering = checkpoint_covering(store, last_seq)
        if covering is None:
            raise AuditUnavailable("no checkpoint covers the range")
    checkpoint_seq, checkpoint = covering
    with store.reader() as reader:
        left, right = StoredTree(reader).range_proof(first_seq, last_seq, checkpoint.tree_size)
    header = {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "log_id": store.log_id,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "public_key_pem": store.public_key_pem(),
        "key_id": checkpoint.key_id,
    }
    jsonl.write(_dump(header))
    checkpoint_record = next(store.read(checkpoint_seq, checkpoint_seq))
    jsonl.write(_dump(record_line(checkpoint_record, "checkpoint")))
    proof = {
        "type": "range_proof",
        "first_seq": first_seq,
        "last_seq": last_seq,
        "tree_size": checkpoint.tree_size,
        "left": [h.hex() for h in left],
        "right": [h.hex() for h in right],
    }
    jsonl.write(_dump(proof))
    writer = csv.writer(csv_out) if csv_out is not None else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    count = 0
    for record in store.read(first_seq, last_seq):
        jsonl.write(_dump(record_line(record)))
        if writer is not None:
            writer.writerow(_csv_row(record))
        count += 1
    if writer is not None and checkpoint_seq > last_seq:  # the signed statement, for people too
        writer.writerow(_csv_row(checkpoint_record))
    return ExportSummary(
        first_seq, last_seq, count, checkpoint_seq, checkpoint.tree_size, len(left) + len(right)
    )


def _csv_row(record: AuditRecord) -> list[object]:
    payload = json.dumps(record.payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return [
        record.seq,
        record.ts,
        record.event_type,
        record.retention or "",
        payload,
        record.prev_hash,
        record.record_hash,
    ]


def export_files(
    store: SqlAuditLog, first_seq: int, last_seq: int, directory: Path | str
) -> tuple[Path, Path, ExportSummary]:
    """Write ``audit-<first>-<last>.jsonl`` and ``.csv`` into ``directory``."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    jsonl_path = target / f"audit-{first_seq}-{last_seq}.jsonl"
    csv_path = target / f"audit-{first_seq}-{last_seq}.csv"
    with (
        jsonl_path.open("w", encoding="utf-8") as jsonl,
        csv_path.open("w", encoding="utf-8", newline="") as csv_out,
    ):
        summary = export_range(store, first_seq, last_seq, jsonl, csv_out)
    return jsonl_path, csv_path, summary


# --- verification of an export, as a regulator would run it ---


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _body(line: Mapping[str, Any]) -> bytes:
    return canonical_bytes(
        line["seq"], line["ts"], line["event_type"], line["payload"], line.get("retention")
    )


def _row(line: Mapping[str, Any]) -> tuple[int, bytes, bytes, bytes]:
    return (
        int(line["seq"]),
        _body(line),
        bytes.fromhex(line["prev_hash"]),
        bytes.fromhex(line["record_hash"]),
    )


def verify_export(path: Path | str, public_key: Ed25519PublicKey | None = None) -> VerifyResult:
    """Verify an export file: the checkpoint's signature, the records' chain, and that the
    records with the range proof rebuild the signed Merkle root. Streams: flat memory.

    ``public_key`` should come from the firm, not the file; without it the key
    in the file's header is used and ``signatures_checked`` is False.
    """
    lines = _lines(Path(path))
    header = next(lines)
    if header.get("type") != "header" or header.get("format") != FORMAT:
        raise ValueError("not an audit export")
    if header.get("version") != VERSION:
        raise ValueError(f"unknown export version {header.get('version')}")
    key = public_key or load_public_key(header["public_key_pem"])
    first, last = int(header["first_seq"]), int(header["last_seq"])
    cp_line, proof = next(lines), next(lines)
    checkpoint = Checkpoint.from_payload(cp_line["payload"])
    fault = _checkpoint_fault(cp_line, checkpoint, header, key)
    first_record = next(lines, None)
    anchor = GENESIS_HASH if first_record is None else str(first_record["prev_hash"])
    verifier = ChainVerifier(first, anchor, keys=keyring(key), log_id=header["log_id"])
    if fault is None:
        records = lines if first_record is None else itertools.chain([first_record], lines)
        fault = _records_fault(verifier, records, proof, checkpoint, first, last)
    if fault is not None:
        verifier.fault = fault
    result = verifier.result()
    return VerifyResult(
        first_seq=first,
        last_seq=result.last_seq,
        records=result.records,
        checkpoints=result.checkpoints + (fault is None),
        head_hash=result.head_hash,
        fault=result.fault,
        last_checkpoint=checkpoint if fault is None else result.last_checkpoint,
        signatures_checked=public_key is not None,
        merkle_checked=True,
    )


def _checkpoint_fault(
    cp_line: Mapping[str, Any],
    checkpoint: Checkpoint,
    header: Mapping[str, Any],
    key: Ed25519PublicKey,
) -> Fault | None:
    seq, bad = int(cp_line["seq"]), FaultKind.INCONSISTENT_CHECKPOINT
    if cp_line.get("type") != "checkpoint" or cp_line.get("event_type") != CHECKPOINT_EVENT:
        return Fault(seq, bad, "the export's second line is not a checkpoint record")
    own = ChainVerifier(seq, cp_line["prev_hash"]).feed([_row(cp_line)])
    if own is not None:
        return own
    if checkpoint.tree_size != seq - 1 or cp_line["prev_hash"] != checkpoint.head_hash:
        return Fault(seq, bad, "checkpoint size or head hash disagree with its own record")
    if checkpoint.log_id != header["log_id"] or checkpoint.tree_size < header["last_seq"]:
        return Fault(seq, bad, "the checkpoint does not cover the exported range of this log")
    if not signature_valid(checkpoint, key):
        return Fault(seq, FaultKind.BAD_SIGNATURE, "checkpoint signature does not verify")
    return None


def _records_fault(
    verifier: ChainVerifier,
    lines: Iterable[dict[str, Any]],
    proof: Mapping[str, Any],
    checkpoint: Checkpoint,
    first: int,
    last: int,
) -> Fault | None:
    bad = FaultKind.INCONSISTENT_CHECKPOINT
    if proof.get("type") != "range_proof" or proof.get("tree_size") != checkpoint.tree_size:
        return Fault(first, bad, "no range proof for the checkpoint's tree")
    try:
        builder = RangeRoot(first - 1, [bytes.fromhex(h) for h in proof["left"]])
    except ProofError as exc:
        return Fault(first, bad, str(exc))
    for line in lines:
        row = _row(line)
        if verifier.feed([row]) is not None:
            return verifier.fault
        builder.push(leaf_hash(row[1]))
    if verifier.result().last_seq != last:
        return Fault(verifier.result().last_seq + 1, FaultKind.GAP, "records missing from the export")
    try:
        root = builder.finish(checkpoint.tree_size, [bytes.fromhex(h) for h in proof["right"]])
    except ProofError as exc:
        return Fault(last, bad, str(exc))
    if root.hex() != checkpoint.root:
        return Fault(last, bad, "the records do not rebuild the signed Merkle root")
    return None
