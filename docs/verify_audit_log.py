#!/usr/bin/env python3
"""Verify an audit export (JSONL) with the Python standard library only; see audit-format.md.

usage: verify_audit_log.py EXPORT.jsonl [PUBLIC_KEY.pem]

Nothing beyond Python 3 is needed: the checkpoint's Ed25519 signature (RFC 8032) is
checked by the few lines of curve arithmetic below, slow but exact.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

# Ed25519 (RFC 8032, section 5.1): the curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19)
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")  # DER SubjectPublicKeyInfo of an Ed25519 key


def point_add(p, q):  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x y = T/Z
    a, b = (p[1] - p[0]) * (q[1] - q[0]) % P, (p[1] + p[0]) * (q[1] + q[0]) % P
    c, d = 2 * p[3] * q[3] * D % P, 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % P, g * h % P, f * g % P, e * h % P


def point_mul(scalar, p):
    q = (0, 1, 1, 0)  # the neutral element
    while scalar:
        q, p, scalar = (point_add(q, p) if scalar & 1 else q), point_add(p, p), scalar >> 1
    return q


def point_decode(data):  # 32 bytes: y little-endian, the top bit is the sign of x; None if not on the curve
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    x = x if (x * x - x2) % P == 0 else x * SQRT_M1 % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    x = P - x if x & 1 != sign else x
    return x, y, 1, x * y % P


BASE = point_decode((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))  # y = 4/5, x even


def ed25519_valid(public_pem, message, signature):
    der = base64.b64decode("".join(x for x in public_pem.splitlines() if x and not x.startswith("-----")))
    if len(der) != 44 or not der.startswith(SPKI_PREFIX) or len(signature) != 64:
        return False
    a, r, s = point_decode(der[12:]), point_decode(signature[:32]), int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + der[12:] + message).digest(), "little") % L
    (x1, y1, z1, _), (x2, y2, z2, _) = point_mul(s, BASE), point_add(r, point_mul(k, a))
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0  # [s]B = R + [k]A


def sha(data):
    return hashlib.sha256(data).digest()


def need(ok, fault):
    if not ok:
        sys.exit(f"FAULT: {fault}")


def canonical(r):  # docs/audit-format.md, "Canonical bytes"
    body = {k: r[k] for k in ("event_type", "payload", "seq", "ts")}
    body.update({"retention": r["retention"]} if r.get("retention") is not None else {})
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def push(stack, width, h):  # RFC 6962 node = SHA-256(0x01 || left || right)
    while stack and stack[-1][0] == width:
        width, h = 2 * width, sha(b"\x01" + stack.pop()[1] + h)
    stack.append((width, h))


def push_range(stack, start, end, hashes):  # the aligned perfect subtrees covering [start, end)
    hashes = iter(hashes)
    while start < end:
        width = start & -start if start else 1 << end.bit_length()
        while start + width > end:
            width >>= 1
        push(stack, width, bytes.fromhex(next(hashes)))
        start += width
    need(next(hashes, None) is None, "the range proof has extra hashes")


def main(path, key=None):
    with Path(path).open(encoding="utf-8") as handle:
        head, cp, proof, *records = (json.loads(x) for x in handle if x.strip())
    c, stack, prev, seq = cp["payload"], [], records[0]["prev_hash"], head["first_seq"]
    need(sha(bytes.fromhex(cp["prev_hash"]) + canonical(cp)).hex() == cp["record_hash"], "checkpoint hash")
    need(c["tree_size"] == cp["seq"] - 1 and c["head_hash"] == cp["prev_hash"], "checkpoint head")
    need(c["tree_size"] >= head["last_seq"] == records[-1]["seq"], "the checkpoint does not cover")
    push_range(stack, 0, seq - 1, proof["left"])
    for r in records:
        need(r["seq"] == seq, f"seq {seq}: gap or reorder (found {r['seq']})")
        need(r["prev_hash"] == prev, f"seq {seq}: prev_hash does not link")
        prev = sha(bytes.fromhex(prev) + canonical(r)).hex()
        need(prev == r["record_hash"], f"seq {seq}: hash mismatch")
        push(stack, 1, sha(b"\x00" + canonical(r)))  # RFC 6962 leaf = SHA-256(0x00 || bytes)
        seq += 1
    push_range(stack, seq - 1, c["tree_size"], proof["right"])
    root = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        root = sha(b"\x01" + h + root)
    need(root.hex() == c["root"], "the records do not rebuild the signed Merkle root")
    print(f"OK: records {head['first_seq']}..{seq - 1} chain and are in the signed tree of {c['tree_size']}")
    signed = {k: v for k, v in c.items() if k != "signature"}
    message = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    if key is None:
        return print(f"signature NOT checked; signed message: {message.decode()}")
    signature = base64.b64decode(c["signature"])
    need(ed25519_valid(Path(key).read_text(), message, signature), "the checkpoint signature does not verify")
    print(f"OK: checkpoint {cp['seq']} signature verifies with {key}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
