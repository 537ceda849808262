"""The API's audit verification checks checkpoint signatures against the gateway's key."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer
from audit.factory import open_sql_audit_log
from audit.sql_store import CheckpointPolicy
from audit.verify import keyring
from gateway.api.audit_access import verify_range


def test_a_checkpoint_signed_by_another_key_fails_verification(tmp_path: Path) -> None:
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    store = open_sql_audit_log(f"sqlite:///{tmp_path / 'audit.db'}", checkpoints=CheckpointPolicy(signer))
    try:
        for i in range(5):
            store.append("test.event", {"i": i}).result(timeout=10)
        store.checkpoint_now().result(timeout=10)
        good = verify_range(store, 1, None, keyring(signer.public_key()))
        assert good["ok"] and "checkpoint signatures" in good["method"]
        impostor = keyring(Ed25519PrivateKey.generate().public_key())
        bad = verify_range(store, 1, None, impostor)
        assert not bad["ok"] and bad["fault"]["seq"] == 6  # the checkpoint record
    finally:
        store.close()
