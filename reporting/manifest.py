"""The manifest beside every report: what it is, what it was built from, and signatures.

It names the report file and its SHA-256, the period, the audit range with the
hashes it hangs from and ends on, the chain verdict, the context records read
from before the range, the covering checkpoint and Merkle proofs when the
store provides them, and the Ed25519 public key. The report bytes are signed in
a detached ``.sig`` file (raw 64-byte signature, as ``openssl pkeyutl -rawin``
expects); the manifest signs itself over its canonical JSON without the
``manifest_signature`` field. Nothing in it depends on the wall clock.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MANIFEST_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_manifest(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    unsigned = {k: v for k, v in body.items() if k != "manifest_signature"}
    signature = base64.b64encode(key.sign(canonical(unsigned))).decode("ascii")
    return {**unsigned, "manifest_signature": signature}


def manifest_signature_valid(body: dict[str, Any], key: Ed25519PublicKey) -> bool:
    unsigned = {k: v for k, v in body.items() if k != "manifest_signature"}
    try:
        key.verify(base64.b64decode(body.get("manifest_signature", ""), validate=True),
                   canonical(unsigned))
    except (InvalidSignature, ValueError):
        return False
    return True


def write_manifest(path: Path, body: dict[str, Any]) -> None:
    path.write_text(json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def read_manifest(path: Path) -> dict[str, Any]:
    body = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(body, dict) or body.get("manifest_version") != MANIFEST_VERSION:
        raise ValueError(f"{path} is not a version {MANIFEST_VERSION} report manifest")
    return body


def manifest_path(report: Path) -> Path:
    return report.with_name(report.name + ".manifest.json")


def signature_path(report: Path) -> Path:
    return report.with_name(report.name + ".sig")
