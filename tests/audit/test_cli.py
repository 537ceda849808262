"""``python -m audit``: verify a store, export a range, verify the export."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer, public_key_pem
from audit.cli import main
from audit.sql_store import CheckpointPolicy
from tests.audit.conftest import StoreTarget, flip_byte


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "cp.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public = tmp_path / "cp.pub.pem"
    public.write_text(public_key_pem(key.public_key()))
    return key, private, public


def test_verify_export_and_verify_the_export(
    tmp_path: Path, keys: tuple[Ed25519PrivateKey, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    key, private, public = keys
    target = StoreTarget("sqlite", f"sqlite:///{tmp_path / 'audit.db'}")
    store = target.open(checkpoints=CheckpointPolicy(Ed25519Signer(key), every=50, interval=None))
    for n in range(120):
        store.append("e", {"n": n})
    store.close()

    assert main(["verify", target.url, "--public-key", str(public)]) == 0
    assert "RESULT: OK" in capsys.readouterr().out
    assert main(["export", target.url, "10", "60", str(tmp_path / "out"), "--signing-key", str(private)]) == 0
    capsys.readouterr()
    exported = tmp_path / "out" / "audit-10-60.jsonl"
    assert main(["verify-export", str(exported), "--public-key", str(public)]) == 0
    assert "RESULT: OK" in capsys.readouterr().out

    flip_byte(target, 33)

    assert main(["verify", target.url, "--public-key", str(public)]) == 1
    assert "FAULT at seq 33: hash_mismatch" in capsys.readouterr().out
