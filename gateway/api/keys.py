"""The Ed25519 key pair that signs and verifies API tokens.

Embedded default: a key pair generated on first use under the data directory
(``secrets/jwt-ed25519.pem``, mode 0600, and the public half beside it). A
deployment whose tokens come from its own identity provider sets
``GATEWAY_JWT_PUBLIC_KEY`` and the gateway then only verifies, never signs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.api.config import ApiConfig

PRIVATE_NAME = "jwt-ed25519.pem"
PUBLIC_NAME = "jwt-ed25519.pub.pem"


class KeyMaterialError(RuntimeError):
    """The key material is missing or unreadable."""


@dataclass(frozen=True, slots=True)
class TokenKeys:
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None  # None: verify-only


def load_keys(config: ApiConfig, *, create: bool = True) -> TokenKeys:
    """The configured public key, or the file key pair (generated when ``create``)."""
    if config.public_key_path is not None:
        return TokenKeys(_read_public(config.public_key_path), None)
    private_path = config.key_dir / PRIVATE_NAME
    if not private_path.exists():
        if not create:
            raise KeyMaterialError(f"no token signing key at {private_path}")
        _generate(config.key_dir)
    private = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyMaterialError(f"{private_path} is not an Ed25519 private key")
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


def _generate(key_dir: Path) -> None:
    """Write a fresh key pair; the private file is created 0600 and never overwritten."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(key_dir / PRIVATE_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process generated it first: use theirs
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    (key_dir / PUBLIC_NAME).write_bytes(public_pem(private.public_key()))
