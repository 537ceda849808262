"""The `gateway` command as an operator uses it (real subprocesses)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.gateway.conftest import POLICY, ROOT

GATEWAY = [sys.executable, "-m", "gateway"]


def run(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [*GATEWAY, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_policy_check_accepts_the_sample_and_names_file_line_and_field_of_a_bad_one(tmp_path: Path) -> None:
    good = run("policy", "check", str(POLICY))
    assert good.returncode == 0 and good.stdout.startswith(f"OK {POLICY}")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        POLICY.read_text().replace('max_order_notional = "1000000"', 'max_order_notional = "lots"')
    )
    refused = run("policy", "check", str(bad))
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if '"lots"' in text)
    assert refused.returncode == 1
    assert f"{bad}:{line}: accounts[1].max_order_notional:" in refused.stderr


def test_kill_switch_engaged_offline_is_in_force_when_the_gateway_starts(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    shutil.copy(POLICY, policy)
    common = ["--data-dir", str(tmp_path / "var"), "--policy", str(policy)]
    engaged = run(
        "kill",
        "engage",
        *common,
        "--scope",
        "account",
        "--target",
        "ACC-HOUSE",
        "--reason",
        "desk closed",
        "--actor",
        "ro1",
    )
    assert engaged.returncode == 0, engaged.stderr
    assert engaged.stdout.startswith("ENGAGED account=ACC-HOUSE mode=HALT cancelled=0")
    released = run(
        "kill",
        "release",
        *common,
        "--scope",
        "account",
        "--target",
        "ACC-HOUSE",
        "--reason",
        "desk open",
        "--actor",
        "ro1",
    )
    assert released.returncode == 0 and released.stdout.startswith("RELEASED account=ACC-HOUSE")
    again = run(
        "kill",
        "release",
        *common,
        "--scope",
        "account",
        "--target",
        "ACC-HOUSE",
        "--reason",
        "twice",
        "--actor",
        "ro1",
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "refused: no kill switch engaged for account=ACC-HOUSE"


def test_verify_names_the_first_altered_record(tmp_path: Path) -> None:
    """An operator's `gateway verify` after someone bypassed the triggers and edited one byte."""
    import sqlite3

    policy = tmp_path / "policy.toml"
    shutil.copy(POLICY, policy)
    common = ["--data-dir", str(tmp_path / "var"), "--policy", str(policy)]
    for target in ("KO", "IBM"):
        assert (
            run(
                "kill",
                "engage",
                *common,
                "--scope",
                "instrument",
                "--target",
                target,
                "--reason",
                "halt",
                "--actor",
                "ro1",
            ).returncode
            == 0
        )
    clean = run("verify", *common)
    assert clean.returncode == 0 and "RESULT: OK" in clean.stdout
    clean_split = run("verify", *common, "--workers", "2", "--min-chunk", "2")
    assert clean_split.returncode == 0 and "RESULT: OK" in clean_split.stdout
    assert clean_split.stdout == clean.stdout

    database = sqlite3.connect(tmp_path / "var" / "audit.db")
    with database:
        seq, body = database.execute(
            "SELECT seq, body FROM audit_log WHERE event_type = 'kill.engaged' ORDER BY seq LIMIT 1"
        ).fetchone()
        database.execute("DROP TRIGGER audit_log_no_update")
        altered = bytes(body).replace(b'"target":"KO"', b'"target":"KP"')  # one byte
        assert altered != bytes(body)
        database.execute("UPDATE audit_log SET body = ? WHERE seq = ?", (altered, seq))
    database.close()
    tampered = run("verify", *common)
    assert tampered.returncode == 1
    assert f"RESULT: FAULT at seq {seq}:" in tampered.stdout
    # the same verdict when the whole log is split between two forked workers
    split = run("verify", *common, "--workers", "2", "--min-chunk", "2")
    assert split.returncode == 1
    assert f"RESULT: FAULT at seq {seq}:" in split.stdout


def test_verify_without_a_log_says_so_and_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "var"
    result = run("verify", "--data-dir", str(data), "--policy", str(POLICY))
    assert result.returncode == 2
    assert "no audit log at sqlite:" in result.stderr and "Traceback" not in result.stderr
    assert not data.exists()


def test_demo_runs_in_a_temporary_directory_and_ends_with_a_verified_chain() -> None:
    demo = run("demo", timeout=180)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    assert "ACCEPTED" in out and "status=FILLED" in out
    for code in (
        "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
        "PRICE_OUTSIDE_COLLAR",
        "RESTRICTED_INSTRUMENT",
        "NOT_AUTHORIZED_FOR_ACCOUNT",
        "LOCATE_REQUIRED",
        "KILL_SWITCH_ENGAGED",
    ):
        assert code in out
    assert "ALERT layering" in out
    assert "cancelled at the venue, 0 left working" in out
    assert "chain verification: OK" in out and "signed checkpoint(s) verified" in out


def test_bench_runs_every_order_through_the_full_path_and_reports_cpu_per_order() -> None:
    """A smoke run (figures are not judged here: benchmarks are not timed tests)."""
    done = run("bench", "--orders", "1200", "--no-pin", "--processes", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gateway bench: 2 fresh processes in turn")
    assert lines[1].startswith("machine yardstick: a 5M-addition loop takes")
    assert any(line.startswith("chain only (21 checks, order passes all)") for line in lines)
    full = [line for line in lines if line.startswith("full path")]
    assert len(full) == 2 and "accepted 1200/1200" in full[0] and "accepted 1000/1000" in full[1]
    assert sum(line.strip().startswith("cpu per order") for line in lines) == 2


def test_a_rotated_checkpoint_key_is_announced_and_older_checkpoints_still_verify(tmp_path: Path) -> None:
    """Key rotation over a six-year retention: what the old key signed must still verify."""
    import sqlite3

    from audit.sql_store import SqlAuditLog
    from gateway.app import build_gateway
    from gateway.settings import Settings

    data = tmp_path / "var"
    settings = Settings(data_dir=data, policy_path=POLICY, fix_config=None)
    common = ["--data-dir", str(data), "--policy", str(POLICY)]

    def run_gateway_and_sign() -> None:
        gateway = build_gateway(settings)
        try:
            assert isinstance(gateway.audit, SqlAuditLog)
            gateway.audit.append("test.marker", {"n": 1}).result(5)
            gateway.audit.checkpoint_now().result(5)
        finally:
            gateway.close()

    run_gateway_and_sign()
    rotated = run("keys", "rotate", *common)
    assert rotated.returncode == 0, rotated.stderr
    old_id, new_id = rotated.stdout.split(": ", 1)[1].split(" (")[0].split(" -> ")
    run_gateway_and_sign()

    verified = run("verify", *common, "--workers", "1")
    assert verified.returncode == 0 and "RESULT: OK" in verified.stdout, verified.stdout
    assert "signed checkpoints verified: 2" in verified.stdout

    database = sqlite3.connect(data / "audit.db")
    announced = [
        json.loads(body)["payload"]
        for (body,) in database.execute(
            "SELECT body FROM audit_log WHERE event_type = 'audit.checkpoint_key_changed' ORDER BY seq"
        )
    ]
    signers = [
        json.loads(body)["payload"]["key_id"]
        for (body,) in database.execute("SELECT body FROM audit_log WHERE event_type = 'audit.checkpoint'")
    ]
    database.close()
    assert [(a["previous_key_id"], a["key_id"]) for a in announced] == [(None, old_id), (old_id, new_id)]
    assert "BEGIN PUBLIC KEY" in announced[1]["public_key"]
    assert signers == [old_id, new_id]

    # without the retired public key, the first checkpoint cannot be verified: that is what it is for
    (data / "secrets" / f"audit-checkpoint-ed25519.retired.{old_id}.pub.pem").unlink()
    unverifiable = run("verify", *common, "--workers", "1")
    assert unverifiable.returncode == 1 and f"unknown key {old_id}" in unverifiable.stdout


def test_a_verifier_holding_only_the_first_key_follows_an_endorsed_rotation(tmp_path: Path) -> None:
    """The retiring key signs its successor at rotation; the log carries that endorsement,
    so the first key alone verifies every checkpoint, and a forged endorsement is named."""
    import hashlib
    import sqlite3

    from audit.checkpoint import load_public_key
    from audit.sql_store import SqlAuditLog
    from audit.verify import ChainVerifier, FaultKind, keyring
    from gateway.app import build_gateway
    from gateway.settings import Settings

    data = tmp_path / "var"
    settings = Settings(data_dir=data, policy_path=POLICY, fix_config=None)

    def run_gateway_and_sign() -> None:
        gateway = build_gateway(settings)
        try:
            assert isinstance(gateway.audit, SqlAuditLog)
            gateway.audit.checkpoint_now().result(5)
        finally:
            gateway.close()

    run_gateway_and_sign()
    assert run("keys", "rotate", "--data-dir", str(data), "--policy", str(POLICY)).returncode == 0
    run_gateway_and_sign()

    database = sqlite3.connect(data / "audit.db")
    rows = [
        (seq, bytes(body), bytes(prev), bytes(digest))
        for seq, body, prev, digest in database.execute(
            "SELECT seq, body, prev_hash, record_hash FROM audit_log ORDER BY seq"
        )
    ]
    database.close()
    changes = [
        (seq, json.loads(body)["payload"])
        for seq, body, _, _ in rows
        if b"checkpoint_key_changed" in body[:60]
    ]
    (_, first), (rotated_at, rotated) = changes
    assert "endorsement" not in first and rotated["endorsement"]
    first_key = keyring(load_public_key(first["public_key"]))

    verifier = ChainVerifier(keys=first_key)
    assert verifier.feed(rows) is None

    # the regulator's tool, given only the first key: over the whole log, and from just after
    # the key change (it never reads that record, so it must have followed it beforehand)
    first_pem = tmp_path / "first.pem"
    first_pem.write_text(first["public_key"])
    url = f"sqlite:///{data / 'audit.db'}"
    for start in ("1", str(rotated_at + 1)):
        done = subprocess.run(
            [sys.executable, "-m", "audit", "verify", url, "--public-key", str(first_pem),
             "--start", start, "--workers", "1"],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0 and "RESULT: OK" in done.stdout, done.stdout + done.stderr
    signers = [
        json.loads(body)["payload"]["key_id"] for _, body, _, _ in rows if b'"audit.checkpoint"' in body[:40]
    ]
    assert signers == [first["key_id"], rotated["key_id"]]  # one by each key, both checked
    assert verifier.result().checkpoints == 2 and verifier.result().signatures_checked

    # the same log with the endorsement forged (and every hash after it recomputed)
    forged_payload = dict(rotated, endorsement=rotated["endorsement"][::-1])
    forged: list[tuple[int, bytes, bytes, bytes]] = []
    prev = bytes(32)
    for seq, body, _, _ in rows:
        if seq == rotated_at:
            doc = json.loads(body)
            doc["payload"] = forged_payload
            body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.sha256(prev + body).digest()
        forged.append((seq, body, prev, digest))
        prev = digest
    fault = ChainVerifier(keys=first_key).feed(forged)
    assert fault is not None and fault.seq == rotated_at and fault.kind is FaultKind.BAD_SIGNATURE
    assert "not endorsed" in fault.detail
