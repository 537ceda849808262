"""Signed checkpoints: tree size, Merkle root, head hash and time, under Ed25519.

A checkpoint is stored as an ordinary record of event type
``audit.checkpoint`` (so it is itself chained and covered by later
checkpoints). Its payload is :data:`CHECKPOINT_FIELDS` plus ``signature``;
the signed message is the canonical JSON of the payload without
``signature`` (keys sorted, no spaces, UTF-8). The record with sequence
number ``tree_size + 1`` is the checkpoint itself, so ``head_hash`` is the
record hash of sequence ``tree_size`` (the genesis hash for an empty log).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

CHECKPOINT_EVENT = "audit.checkpoint"
KEY_CHANGED_EVENT = "audit.checkpoint_key_changed"
"""Announces, before its first checkpoint, a signing key other than the last one's."""
CHECKPOINT_VERSION = 1
CHECKPOINT_FIELDS = ("head_hash", "key_id", "log_id", "root", "time", "tree_size", "version")


class Signer(Protocol):
    """Signs checkpoint messages; local Ed25519 by default, a Vault transit key in production."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw 32-byte public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Ed25519Signer:
    """A signer holding the private key in process memory."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public = private_key.public_key()
        self._key_id = key_id_of(self._public)

    @property
    def key_id(self) -> str:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def public_key(self) -> Ed25519PublicKey:
        return self._public


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM, the form to hand a regulator (``openssl`` reads it)."""
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("checkpoint keys are Ed25519")
    return key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The signed statement: the log of ``log_id`` had ``tree_size`` records with this root."""

    log_id: str
    tree_size: int
    root: str
    head_hash: str
    time: str
    key_id: str
    signature: str = ""
    version: int = CHECKPOINT_VERSION

    def message(self) -> bytes:
        """The exact bytes that are signed."""
        body = {name: getattr(self, name) for name in CHECKPOINT_FIELDS}
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {name: getattr(self, name) for name in CHECKPOINT_FIELDS}
        body["signature"] = self.signature
        return body

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Checkpoint:
        return cls(
            log_id=str(payload["log_id"]),
            tree_size=int(payload["tree_size"]),
            root=str(payload["root"]),
            head_hash=str(payload["head_hash"]),
            time=str(payload["time"]),
            key_id=str(payload["key_id"]),
            signature=str(payload.get("signature", "")),
            version=int(payload.get("version", CHECKPOINT_VERSION)),
        )


def sign_checkpoint(
    signer: Signer, log_id: str, tree_size: int, root: bytes, head_hash: bytes, time: str
) -> Checkpoint:
    unsigned = Checkpoint(log_id, tree_size, root.hex(), head_hash.hex(), time, signer.key_id)
    signature = base64.b64encode(signer.sign(unsigned.message())).decode("ascii")
    return Checkpoint(log_id, tree_size, root.hex(), head_hash.hex(), time, signer.key_id, signature)


def signature_valid(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


ENDORSEMENT_CONTEXT = b"audit checkpoint key endorsement v1\n"


def endorsement_message(key_id: str, public_pem: str) -> bytes:
    """What a retiring key signs to vouch for its successor: the successor's id and PEM."""
    return ENDORSEMENT_CONTEXT + key_id.encode("ascii") + b"\n" + public_pem.encode("ascii")


def endorse(retiring: Signer, successor: Ed25519PublicKey) -> str:
    """The retiring key's signature over its successor (base64), made while it can still sign."""
    message = endorsement_message(key_id_of(successor), public_key_pem(successor))
    return base64.b64encode(retiring.sign(message)).decode("ascii")


def endorsement_valid(retiring: Ed25519PublicKey, key_id: str, public_pem: str, endorsement: str) -> bool:
    """Did ``retiring`` vouch for the key ``key_id`` with this PEM? The id must be the PEM's."""
    try:
        if key_id_of(load_public_key(public_pem)) != key_id:
            return False
        retiring.verify(base64.b64decode(endorsement, validate=True), endorsement_message(key_id, public_pem))
    except (InvalidSignature, ValueError):
        return False
    return True
