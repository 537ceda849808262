"""The Ed25519 key pair that signs and verifies API tokens, from the secrets provider.

Embedded default: the provider's file fallback generates the pair on first use
under the data directory (``secrets/jwt-ed25519.pem``, 0600, with the public
half beside it); with ``VAULT_ADDR``/``VAULT_TOKEN`` set it lives in Vault's KV
store instead (``gateway.secrets``). A deployment whose tokens come from its
own identity provider sets ``GATEWAY_JWT_PUBLIC_KEY`` (a PEM file) and the
gateway then only verifies, never signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.api.config import ApiConfig
from gateway.secrets import SecretsProvider, secrets_from_env

KEY_NAME = "jwt-ed25519"
PRIVATE_NAME = f"{KEY_NAME}.pem"


class KeyMaterialError(RuntimeError):
    """The key material is missing or unreadable."""


@dataclass(frozen=True, slots=True)
class TokenKeys:
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None  # None: verify-only


def load_keys(config: ApiConfig, provider: SecretsProvider | None = None) -> TokenKeys:
    """The configured public key (verify-only), or the provider's key pair (created on first use)."""
    if config.public_key_path is not None:
        return TokenKeys(_read_public(config.public_key_path), None)
    provider = provider or secrets_from_env(default_dir=config.key_dir)
    private = provider.get_or_create_ed25519_key(KEY_NAME)
    return TokenKeys(private.public_key(), private)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _read_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyMaterialError(f"cannot read the token public key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyMaterialError(f"{path} is not an Ed25519 public key")
    return key
