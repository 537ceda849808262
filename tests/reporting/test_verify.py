"""Determinism, signatures, manifests, and verification against the log (tampering fails it)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.record import canonical_bytes, chain_hash
from reporting import generate_report, verify_report
from reporting.manifest import sha256_file
from reporting.registry import REPORTS
from risk_controls import events as ev
from tests.reporting.conftest import Generated, pdf_text, read_csv
from tests.reporting.daylog import SampleLog


def _generate(sample: SampleLog, out: Path, name: str = "order-blotter", fmt: str = "both"
              ) -> list[Path]:
    return generate_report(name, sample.log, sample.day, sample.day, fmt, out, sample.key)


def test_same_range_gives_the_same_bytes(generated: Generated, tmp_path: Path) -> None:
    again = generate_report(
        "all", generated.sample.log, generated.sample.day, generated.sample.day, "both",
        tmp_path, generated.sample.key,
    )
    assert [p.name for p in again] == [p.name for p in generated.paths]
    for first, second in zip(generated.paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_a_report_alone_is_the_same_as_in_the_full_pack(generated: Generated, tmp_path: Path
                                                        ) -> None:
    s = generated.sample
    for name in REPORTS:
        for path in generate_report(name, s.log, s.day, s.day, "both", tmp_path, s.key):
            assert path.read_bytes() == (generated.out / path.name).read_bytes(), path.name


def test_manifest_and_detached_signature(generated: Generated) -> None:
    report = generated.file("trade-blotter", "csv")
    manifest = json.loads((report.parent / (report.name + ".manifest.json")).read_text())
    assert manifest["sha256"] == sha256_file(report)
    assert manifest["csv_rows"] == len(generated.csv("trade-blotter"))
    records = generated.records()
    assert manifest["audit_range"]["first_seq"] == records[0].seq
    assert manifest["audit_range"]["head_hash"] == records[-1].record_hash
    assert manifest["period"] == {
        "start": "2026-11-20T00:00:00.000000Z", "end": "2026-11-21T00:00:00.000000Z"
    }
    assert manifest["checkpoint"]["tree_size"] >= records[-1].seq
    public = generated.sample.key.public_key()
    assert manifest["signature"]["public_key"] == public.public_bytes_raw().hex()
    signature = (report.parent / (report.name + ".sig")).read_bytes()
    public.verify(signature, bytes.fromhex(manifest["sha256"]))


def test_untouched_report_verifies(generated: Generated) -> None:
    for name in ("order-blotter", "integrity"):
        for ext in ("csv", "pdf"):
            result = verify_report(generated.file(name, ext), generated.sample.log)
            assert result.ok, result.problems
            assert any("same bytes" in c for c in result.checks)


def _tamper(sample: SampleLog, seq: int, rechain: bool) -> None:
    """Change one record's payload; with ``rechain`` recompute every hash after it."""
    records = sample.memory_records()
    target = records[seq - 1]
    payload = dict(target.payload)
    payload["denial"] = {**payload["denial"], "code": "PRICE_OUTSIDE_COLLAR"}
    records[seq - 1] = dataclasses.replace(target, payload=payload)
    if not rechain:
        return
    prev = records[seq - 2].record_hash
    for index in range(seq - 1, len(records)):
        r = records[index]
        digest = chain_hash(prev, canonical_bytes(r.seq, r.ts, r.event_type, r.payload))
        records[index] = dataclasses.replace(r, prev_hash=prev, record_hash=digest)
        prev = digest


@pytest.mark.parametrize("rechain", [False, True], ids=["hashes-left", "chain-rewritten"])
def test_tampering_with_the_log_after_generation_fails_verification(
    sample: SampleLog, tmp_path: Path, rechain: bool
) -> None:
    paths = _generate(sample, tmp_path, "denials")
    denied = next(r for r in sample.log.read() if r.event_type == ev.ORDER_DENIED
                  and r.ts.startswith("2026-11-20"))
    _tamper(sample, denied.seq, rechain)
    for report in (p for p in paths if p.suffix in (".csv", ".pdf")):
        result = verify_report(report, sample.log)
        assert not result.ok
        assert any("same bytes" in p for p in result.problems)
        if rechain:
            assert any("head hash" in p for p in result.problems)
        else:
            assert any("chain" in p for p in result.problems)


def test_tampering_with_the_report_or_manifest_fails(sample: SampleLog, tmp_path: Path) -> None:
    report = _generate(sample, tmp_path, "kill-switch", "csv")[0]
    good = report.read_bytes()
    report.write_bytes(good.replace(b"risk.officer", b"someone.else", 1))
    result = verify_report(report, sample.log)
    assert "report file matches the manifest SHA-256" in result.problems
    assert "detached signature valid" in result.problems
    report.write_bytes(good)
    manifest = report.parent / (report.name + ".manifest.json")
    body = json.loads(manifest.read_text())
    body["audit_range"]["last_seq"] -= 1
    manifest.write_text(json.dumps(body))
    assert "manifest signature valid" in verify_report(report, sample.log).problems


def test_a_pinned_key_must_match(generated: Generated) -> None:
    other = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32).public_key()
    report = generated.file("abuse-alerts", "csv")
    result = verify_report(report, generated.sample.log, public_key=other)
    assert result.problems == ["the manifest names the expected signing key"]
    assert verify_report(report, generated.sample.log,
                         public_key=generated.sample.key.public_key()).ok


def test_a_report_still_verifies_after_the_log_grew(sample: SampleLog, tmp_path: Path) -> None:
    report = _generate(sample, tmp_path, "integrity", "pdf")[0]
    sample.log.append(ev.GATEWAY_STARTED, {"version": "0.2.0"}).result(0)
    assert verify_report(report, sample.log).ok


def test_checkpoint_signatures_are_checked_with_trusted_keys(
    sample: SampleLog, tmp_path: Path
) -> None:
    from audit.verify import keyring

    keys = keyring(sample.key.public_key())
    report = generate_report("integrity", sample.log, sample.day, sample.day, "pdf", tmp_path,
                             sample.key, checkpoint_keys=keys)[0]
    assert "signatures checked" in pdf_text(report)
    assert verify_report(report, sample.log, checkpoint_keys=keys).ok
    problems = verify_report(report, sample.log).problems
    assert problems and "checkpoint keys" in problems[0]


def test_a_forged_checkpoint_fails_the_chain_check(sample: SampleLog, tmp_path: Path) -> None:
    from audit.verify import keyring

    records = sample.memory_records()
    index = next(i for i, r in enumerate(records)
                 if r.event_type == "audit.checkpoint" and r.ts.startswith("2026-11-20"))
    forged = {**records[index].payload, "root": "00" * 32}
    records[index] = dataclasses.replace(records[index], payload=forged)
    prev = records[index - 1].record_hash
    for i in range(index, len(records)):  # re-chain so that only the signature can tell
        r = records[i]
        digest = chain_hash(prev, canonical_bytes(r.seq, r.ts, r.event_type, r.payload))
        records[i] = dataclasses.replace(r, prev_hash=prev, record_hash=digest)
        prev = digest
    keys = keyring(sample.key.public_key())
    (path, *_) = generate_report("integrity", sample.log, sample.day, sample.day, "csv",
                                 tmp_path, sample.key, checkpoint_keys=keys)
    fields = {r["field"]: r["value"] for r in read_csv(path)}
    assert fields["chain_verified"] == "N"
    assert fields["chain_first_bad_seq"] == str(records[index].seq)
    assert "bad_signature" in fields["chain_problem"]


def test_the_proof_bundle_ties_the_range_to_the_signed_root(generated: Generated) -> None:
    from audit import merkle
    from reporting.source import canonical

    report = generated.file("policy-changes", "csv")  # it also reads the policy before the day
    body = json.loads((report.parent / (report.name + ".manifest.json")).read_text())
    proofs = body["proofs"]
    assert proofs["root"] == body["checkpoint"]["root"]
    rng = proofs["range"]
    leaves = [
        merkle.leaf_hash(canonical(r))
        for r in generated.sample.log.read(rng["first_seq"], rng["last_seq"])
    ]
    root = merkle.root_from_range(
        rng["first_seq"] - 1, proofs["tree_size"], leaves,
        [bytes.fromhex(h) for h in rng["left"]], [bytes.fromhex(h) for h in rng["right"]],
    )
    assert root.hex() == proofs["root"]
    assert len(rng["left"]) + len(rng["right"]) < 2 * proofs["tree_size"].bit_length()
    result = verify_report(report, generated.sample.log)
    assert "the range's records rebuild the checkpoint's Merkle root" in result.checks
    assert any(c.startswith("context record") and "included" in c for c in result.checks)


def test_a_rewritten_chain_no_longer_matches_the_signed_root(
    sample: SampleLog, tmp_path: Path
) -> None:
    report = _generate(sample, tmp_path, "trade-blotter", "csv")[0]
    denied = next(r for r in sample.log.read() if r.event_type == ev.ORDER_DENIED
                  and r.ts.startswith("2026-11-20"))
    _tamper(sample, denied.seq, rechain=True)
    problems = verify_report(report, sample.log).problems
    assert "the range's records rebuild the checkpoint's Merkle root" in problems
