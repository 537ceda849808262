#!/usr/bin/env python3
"""Verify an audit export (JSONL) with the Python standard library only; see audit-format.md.

usage: verify_audit_log.py EXPORT.jsonl [PUBLIC_KEY.pem]   (the signature check runs `openssl`)
"""

import base64
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path


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
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m").write_bytes(message)
        (Path(tmp) / "s").write_bytes(base64.b64decode(c["signature"]))
        args = ["openssl", "pkeyutl", "-verify", "-pubin", "-rawin", "-inkey", key, "-in", f"{tmp}/m"]
        done = subprocess.run([*args, "-sigfile", f"{tmp}/s"], capture_output=True, check=False)  # noqa: S603
    need(done.returncode == 0, "the checkpoint signature does not verify")
    print(f"OK: checkpoint {cp['seq']} signature verifies with {key}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
