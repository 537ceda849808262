"""Export for a regulator, verified offline by the library and by the stdlib-only script."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer
from audit.export import export_files, verify_export
from audit.proofs import checkpoints
from audit.record import canonical_bytes, chain_hash
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from audit.verify import FaultKind
from tests.audit.conftest import StoreTarget

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_audit_log.py"
KEY = Ed25519PrivateKey.generate()


def filled(target: StoreTarget, records: int = 600) -> SqlAuditLog:
    store = target.open(checkpoints=CheckpointPolicy(Ed25519Signer(KEY), every=1000, interval=None))
    for n in range(records):
        retention = "3y" if n % 7 == 0 else None
        store.append("order.accepted", {"n": n, "qty": "100", "who": "Zoë"}, retention=retention)
    store.flush(10)
    return store


def run_script(export: Path, key: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, str(SCRIPT), str(export)] + ([str(key)] if key else [])
    return subprocess.run(args, capture_output=True, text=True, check=False)


def rewrite(path: Path, seq: int, change: dict[str, object], rechain: bool = False) -> None:
    """Edit one record line of an export (and optionally forge every hash after it)."""
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    prev = None
    for line in lines[3:]:
        if line["seq"] == seq:
            line.update(change)
        if rechain and line["seq"] >= seq:
            line["prev_hash"] = prev or line["prev_hash"]
            body = canonical_bytes(
                line["seq"], line["ts"], line["event_type"], line["payload"], line["retention"]
            )
            line["record_hash"] = chain_hash(line["prev_hash"], body)
        prev = line["record_hash"]
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")


@pytest.fixture
def exported(target: StoreTarget, tmp_path: Path) -> tuple[SqlAuditLog, Path, Path, Path]:
    store = filled(target)
    jsonl, csv_path, summary = export_files(store, 100, 450, tmp_path)
    key = tmp_path / "checkpoint.pub.pem"
    key.write_text(store.public_key_pem() or "")
    assert summary.records == 351
    return store, jsonl, csv_path, key


def test_an_export_verifies_offline_with_the_library(exported: tuple[SqlAuditLog, Path, Path, Path]) -> None:
    store, jsonl, _, _ = exported

    result = verify_export(jsonl, KEY.public_key())

    assert result.ok, result.fault
    assert (result.first_seq, result.last_seq, result.records) == (100, 450, 351)
    assert result.signatures_checked and result.merkle_checked
    assert result.last_checkpoint is not None
    assert [seq for seq, _ in checkpoints(store)] == [601]  # written for the export


def test_an_export_verifies_with_the_stdlib_script(exported: tuple[SqlAuditLog, Path, Path, Path]) -> None:
    _, jsonl, _, key = exported

    done = run_script(jsonl, key)

    assert done.returncode == 0, done.stderr
    assert "OK: records 100..450 chain and are in the signed tree of 600" in done.stdout
    assert "signature verifies" in done.stdout


def test_the_script_and_the_library_name_a_changed_record(
    exported: tuple[SqlAuditLog, Path, Path, Path],
) -> None:
    _, jsonl, _, key = exported
    rewrite(jsonl, 222, {"payload": {"n": 221, "qty": "100000", "who": "Zoë"}})

    done = run_script(jsonl, key)
    result = verify_export(jsonl, KEY.public_key())

    assert done.returncode != 0 and "seq 222: hash mismatch" in done.stderr
    assert result.fault is not None
    assert (result.fault.seq, result.fault.kind) == (222, FaultKind.HASH_MISMATCH)


def test_a_forged_rechained_export_still_fails_the_signed_root(
    exported: tuple[SqlAuditLog, Path, Path, Path],
) -> None:
    _, jsonl, _, key = exported
    rewrite(jsonl, 222, {"payload": {"n": 221, "qty": "100000", "who": "Zoë"}}, rechain=True)

    done = run_script(jsonl, key)
    result = verify_export(jsonl, KEY.public_key())

    assert done.returncode != 0 and "Merkle root" in done.stderr
    assert result.fault is not None and result.fault.kind is FaultKind.INCONSISTENT_CHECKPOINT


def test_a_wrong_public_key_fails_the_signature(
    exported: tuple[SqlAuditLog, Path, Path, Path], tmp_path: Path
) -> None:
    _, jsonl, _, _ = exported
    other = Ed25519PrivateKey.generate()
    from audit.checkpoint import public_key_pem

    wrong = tmp_path / "wrong.pem"
    wrong.write_text(public_key_pem(other.public_key()))

    done = run_script(jsonl, wrong)
    result = verify_export(jsonl, other.public_key())

    assert done.returncode != 0 and "signature" in done.stderr
    assert result.fault is not None and result.fault.kind is FaultKind.BAD_SIGNATURE


def test_the_csv_is_one_readable_row_per_record(exported: tuple[SqlAuditLog, Path, Path, Path]) -> None:
    store, _, csv_path, _ = exported

    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert [int(r["seq"]) for r in rows] == [*range(100, 451), 601]
    first = next(store.read(100, 100))
    assert rows[0]["ts"] == first.ts and rows[0]["record_hash"] == first.record_hash
    assert json.loads(rows[0]["payload"]) == first.payload
    assert {r["retention"] for r in rows} == {"", "3y"}
    assert hashlib.sha256(csv_path.read_bytes()).hexdigest()  # plain UTF-8 text
    assert "Zoë" in csv_path.read_text(encoding="utf-8")


def test_exporting_outside_the_log_is_refused(target: StoreTarget, tmp_path: Path) -> None:
    store = filled(target, records=10)

    with pytest.raises(ValueError):
        export_files(store, 5, 11, tmp_path)


def _stdlib_verifier() -> Any:
    spec = importlib.util.spec_from_file_location("verify_audit_log", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_stdlib_signature_check_agrees_with_openssl_on_good_and_bad_signatures() -> None:
    """The script's own Ed25519 arithmetic against the cryptography library (OpenSSL)."""
    from audit.checkpoint import public_key_pem

    ed25519_valid = _stdlib_verifier().ed25519_valid
    order = 2**252 + 27742317777372353535851937790883648493
    for n in range(8):
        key = Ed25519PrivateKey.generate()
        pem = public_key_pem(key.public_key())
        message = json.dumps({"tree_size": n, "root": os.urandom(32).hex()}).encode()
        signature = key.sign(message)
        flipped = bytes([signature[0] ^ 1]) + signature[1:]
        s = int.from_bytes(signature[32:], "little")
        malleable = signature[:32] + (s + order).to_bytes(32, "little")  # same point, s not reduced
        for candidate, text, expected in (
            (signature, message, True),
            (flipped, message, False),
            (signature, message + b" ", False),
            (malleable, message, False),
        ):
            assert ed25519_valid(pem, text, candidate) is expected
            try:
                key.public_key().verify(candidate, text)
                by_openssl = True
            except InvalidSignature:
                by_openssl = False
            assert by_openssl is expected
    other = public_key_pem(Ed25519PrivateKey.generate().public_key())
    assert not ed25519_valid(other, message, signature)


def test_a_tampered_checkpoint_signature_fails_the_script(
    exported: tuple[SqlAuditLog, Path, Path, Path],
) -> None:
    _, jsonl, _, key = exported
    lines = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()]
    signature = bytearray(base64.b64decode(lines[1]["payload"]["signature"]))
    signature[40] ^= 0x10
    checkpoint = lines[1]
    checkpoint["payload"]["signature"] = base64.b64encode(bytes(signature)).decode()
    # re-hash the checkpoint record itself, so that only the signature can tell
    body = canonical_bytes(
        checkpoint["seq"],
        checkpoint["ts"],
        checkpoint["event_type"],
        checkpoint["payload"],
        checkpoint["retention"],
    )
    checkpoint["record_hash"] = chain_hash(checkpoint["prev_hash"], body)
    jsonl.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")

    done = run_script(jsonl, key)

    assert done.returncode != 0 and "the checkpoint signature does not verify" in done.stderr
