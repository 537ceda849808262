"""Streaming verification of a hash-chained log, naming the first bad record.

:class:`ChainVerifier` is pure: feed it ``(seq, canonical bytes, prev_hash,
record_hash)`` rows in order, from a database, an export or anywhere. It
holds O(log n) state (the running hash and, if asked, a Merkle frontier), so
memory stays flat whatever the log size. It stops at the first fault and
names its sequence number and kind:

- ``gap``: a sequence number is missing (the fault names the missing one);
- ``reorder``: a record appears after a later one (or twice);
- ``hash_mismatch``: the record's hash is not SHA-256(prev || bytes), or its
  stored prev_hash does not link to the record before;
- ``bad_signature``: a checkpoint's Ed25519 signature does not verify, or its
  key is unknown;
- ``inconsistent_checkpoint``: a checkpoint's tree size, head hash, log id or
  Merkle root disagrees with the records before it;
- ``malformed``: (``deep`` mode) the stored bytes are not the canonical form
  of the record they claim to be;
- ``column_mismatch``: (stores) the ``ts``, ``event_type`` or ``retention``
  column kept for queries differs from the hashed record (see
  :mod:`audit.columns`).

:func:`verify_store` runs it over a store: the whole log, a range, or from a
signed checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditLog
from audit.backends import LinkRow
from audit.checkpoint import (
    CHECKPOINT_EVENT,
    KEY_CHANGED_EVENT,
    Checkpoint,
    endorsement_valid,
    key_id_of,
    load_public_key,
    signature_valid,
)
from audit.merkle import Frontier, Hash, leaf_hash
from audit.record import GENESIS_HASH, canonical_bytes

Row = tuple[int, bytes, bytes, bytes]
"""seq, canonical bytes, stored prev_hash, stored record_hash."""
RowAt = Callable[[int], Row | None]
"""The whole row of one seq, read again (None if there is none)."""
RootAt = Callable[[int], Hash]
_HASH_SIZE = 32
_CHECKPOINT_PREFIX = b'{"event_type":"' + CHECKPOINT_EVENT.encode() + b'"'
_KEY_CHANGED_PREFIX = b'{"event_type":"' + KEY_CHANGED_EVENT.encode() + b'"'
_AUDIT_PREFIXES = (_CHECKPOINT_PREFIX, _KEY_CHANGED_PREFIX)
_sha256 = hashlib.sha256
_EMPTY_SHA256 = hashlib.sha256()


class FaultKind(StrEnum):
    HASH_MISMATCH = "hash_mismatch"
    GAP = "gap"
    REORDER = "reorder"
    BAD_SIGNATURE = "bad_signature"
    INCONSISTENT_CHECKPOINT = "inconsistent_checkpoint"
    MALFORMED = "malformed"
    COLUMN_MISMATCH = "column_mismatch"


@dataclass(frozen=True, slots=True)
class Fault:
    seq: int
    kind: FaultKind
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What was verified; ``fault`` is None when every record checked out."""

    first_seq: int
    last_seq: int
    records: int
    checkpoints: int
    head_hash: str
    fault: Fault | None
    last_checkpoint: Checkpoint | None
    signatures_checked: bool
    merkle_checked: bool

    @property
    def ok(self) -> bool:
        return self.fault is None

    def __str__(self) -> str:
        lines = [
            f"records verified: {self.records} (seq {self.first_seq}..{self.last_seq})",
            f"checkpoints verified: {self.checkpoints}",
            f"head hash: {self.head_hash}",
            f"signatures checked: {'yes' if self.signatures_checked else 'NO (no key given)'}",
            f"merkle roots checked: {'yes' if self.merkle_checked else 'no'}",
        ]
        if self.last_checkpoint is not None:
            payload = json.dumps(self.last_checkpoint.payload(), sort_keys=True)
            lines.append(f"last checkpoint: {payload}")
        lines.append("RESULT: OK" if self.ok else f"RESULT: FAULT at {self.fault}")
        return "\n".join(lines)


def verify_log(
    log: AuditLog,
    start_seq: int = 1,
    end_seq: int | None = None,
    *,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> VerifyResult:
    """Verify any AuditLog: a SQL store through :func:`audit.verify_store.verify_store`
    (stored bytes, saved Merkle nodes), any other by recomputing each record's bytes."""
    from audit.sql_store import SqlAuditLog  # the pure verifier does not need the store
    from audit.verify_store import verify_store

    if isinstance(log, SqlAuditLog):
        return verify_store(log, start_seq, end_seq, keys=keys)
    start = max(start_seq, 1)
    first = next(iter(log.read(start, start)), None)
    verifier = ChainVerifier(start, first.prev_hash if first else GENESIS_HASH, keys=keys)
    verifier.feed(
        (
            r.seq,
            canonical_bytes(r.seq, r.ts, r.event_type, r.payload, r.retention),
            bytes.fromhex(r.prev_hash),
            bytes.fromhex(r.record_hash),
        )
        for r in log.read(start, end_seq)
    )
    return verifier.result()


def embedded_seq(body: bytes) -> int | None:
    """The seq written inside canonical bytes (which end ``,"seq":N,"ts":"<27 chars>"}``)."""
    head, marker, _ = body[:-36].rpartition(b',"seq":')
    if not marker or not body.endswith(b'"}'):
        return None
    try:
        return int(body[len(head) + len(marker) : -36])
    except ValueError:
        return None


def keyring(*keys: Ed25519PublicKey) -> dict[str, Ed25519PublicKey]:
    """Trusted checkpoint keys by key id."""
    return {key_id_of(key): key for key in keys}


class ChainVerifier:
    """Verifies rows fed in sequence order; see the module docstring.

    ``frontier``: recompute the Merkle tree from the records (the frontier of
    the records before ``start_seq``) and check every checkpoint root
    against it. ``root_at``: instead look a checkpoint's root up (e.g. from
    the store's saved nodes). With neither, roots are not checked.
    ``keys``: trusted public keys by key id; without them signatures are not
    checked (and the result says so).
    """

    def __init__(
        self,
        start_seq: int = 1,
        prev_hash: str = GENESIS_HASH,
        *,
        keys: Mapping[str, Ed25519PublicKey] | None = None,
        log_id: str | None = None,
        frontier: Frontier | None = None,
        root_at: RootAt | None = None,
        deep: bool = False,
    ) -> None:
        self.first_seq = start_seq
        self._expected = start_seq
        self._prev = bytes.fromhex(prev_hash)
        self._keys = dict(keys) if keys is not None else None  # grows by endorsed key changes
        self._log_id = log_id
        self._frontier = frontier
        self._root_at = root_at
        self._deep = deep
        self._last_ts = ""
        self._checkpoints = 0
        self._last_checkpoint: Checkpoint | None = None
        self.fault: Fault | None = None

    def feed(self, rows: Iterable[Row]) -> Fault | None:
        """Check rows until the first fault; return it (None if all were good)."""
        if self.fault is not None:
            return self.fault
        if self._frontier is not None or self._deep:
            return self._feed_full(rows)
        return self._feed_fast(rows)

    def _feed_fast(self, rows: Iterable[Row]) -> Fault | None:
        """The common case in as few bytecodes as possible; anything unusual (a checkpoint,
        a fault) goes through :meth:`_feed_full` one row at a time."""
        expected, prev = self._expected, self._prev
        sha256, prefix, own = _sha256, _AUDIT_PREFIXES, b"audit."
        for row in rows:
            seq, body, stored_prev, digest = row
            computed = sha256(prev + body).digest()
            if (
                seq != expected
                or stored_prev != prev
                or computed != digest
                or (body[15:21] == own and body.startswith(prefix))
            ):
                self._expected, self._prev = expected, prev
                fault = self._feed_full((row,))
                if fault is not None:
                    return fault
                expected, prev = self._expected, self._prev
                continue
            prev = computed
            expected += 1
        self._expected, self._prev = expected, prev
        return None

    def feed_links(self, rows: Iterable[LinkRow], row_at: RowAt) -> Fault | None:
        """Like :meth:`feed`, from ``(seq, prev_hash || body, record_hash)`` rows
        (:data:`audit.backends.LinkRow`, ``None`` for the middle one when the stored
        prev_hash is not 32 bytes long).

        A row that is not a plain, intact record (a checkpoint, any fault) is read
        again whole with ``row_at(seq)`` and checked by the same code as :meth:`feed`,
        so the verdict and the record it names are the same.
        """
        if self.fault is not None:
            return self.fault
        if self._frontier is not None or self._deep:  # the full check needs each body
            return self._feed_full(self._whole_rows(rows, row_at))
        expected, prev = self._expected, self._prev
        fresh, prefix, at = _EMPTY_SHA256.copy, _AUDIT_PREFIXES, _HASH_SIZE
        rows = iter(rows)
        while True:
            try:
                for seq, link, digest in rows:
                    h = fresh()  # cheaper than sha256(link) on OpenSSL 3
                    h.update(link)  # type: ignore[arg-type]  # None: below
                    computed = h.digest()
                    if (
                        computed != digest
                        or seq != expected
                        or not link.startswith(prev)  # type: ignore[union-attr]
                        or link.startswith(prefix, at)  # type: ignore[union-attr]
                    ):
                        break
                    prev = computed
                    expected += 1
                else:
                    self._expected, self._prev = expected, prev
                    return None
            except TypeError:  # update(None): a stored prev_hash that is not 32 bytes
                pass
            self._expected, self._prev = expected, prev
            whole = row_at(seq)
            if whole is None:  # gone since it was read: only ever by tampering
                return self._fail(seq, FaultKind.GAP, "record vanished while being verified")
            fault = self._feed_full((whole,))
            if fault is not None:
                return fault
            expected, prev = self._expected, self._prev

    @staticmethod
    def _whole_rows(rows: Iterable[LinkRow], row_at: RowAt) -> Iterator[Row]:
        for seq, link, digest in rows:
            if link is None:
                whole = row_at(seq)
                if whole is None:
                    return
                yield whole
            else:
                yield seq, link[_HASH_SIZE:], link[:_HASH_SIZE], digest

    def _feed_full(self, rows: Iterable[Row]) -> Fault | None:
        expected, prev, frontier = self._expected, self._prev, self._frontier
        sha256, deep, prefix, key_changed = _sha256, self._deep, _CHECKPOINT_PREFIX, _KEY_CHANGED_PREFIX
        try:
            for seq, body, stored_prev, digest in rows:
                if seq != expected:
                    if seq > expected:
                        return self._fail(expected, FaultKind.GAP, f"next record is {seq}")
                    return self._fail(seq, FaultKind.REORDER, f"expected {expected}")
                if stored_prev != prev:
                    return self._mismatch(seq, body, "prev_hash does not link to the record before")
                computed = sha256(prev + body).digest()
                if computed != digest:
                    return self._mismatch(seq, body, "record_hash is not SHA-256(prev || bytes)")
                if deep and (fault := self._check_form(seq, body)) is not None:
                    return self._fail(fault.seq, fault.kind, fault.detail)
                if body.startswith(prefix):
                    self._expected, self._prev = expected, prev
                    if (fault := self._check_checkpoint(seq, body)) is not None:
                        return self._fail(fault.seq, fault.kind, fault.detail)
                elif body.startswith(key_changed) and (fault := self._check_key_change(seq, body)):
                    return self._fail(fault.seq, fault.kind, fault.detail)
                if frontier is not None:
                    frontier.append(leaf_hash(body))
                prev = computed
                expected += 1
        finally:
            self._expected, self._prev = expected, prev
        return None

    def result(self) -> VerifyResult:
        return VerifyResult(
            first_seq=self.first_seq,
            last_seq=self._expected - 1,
            records=self._expected - self.first_seq,
            checkpoints=self._checkpoints,
            head_hash=self._prev.hex(),
            fault=self.fault,
            last_checkpoint=self._last_checkpoint,
            signatures_checked=self._keys is not None,
            merkle_checked=self._frontier is not None or self._root_at is not None,
        )

    def _fail(self, seq: int, kind: FaultKind, detail: str) -> Fault:
        self.fault = Fault(seq, kind, detail)
        return self.fault

    def _mismatch(self, seq: int, body: bytes, detail: str) -> Fault:
        """A broken link: a record moved from elsewhere is a reordering, anything else a mismatch."""
        embedded = embedded_seq(body)
        if embedded is not None and embedded != seq:
            return self._fail(seq, FaultKind.REORDER, f"the record stored here is seq {embedded}")
        return self._fail(seq, FaultKind.HASH_MISMATCH, detail)

    def _check_form(self, seq: int, body: bytes) -> Fault | None:
        try:
            doc = json.loads(body)
            again = canonical_bytes(
                doc["seq"], doc["ts"], doc["event_type"], doc["payload"], doc.get("retention")
            )
        except (ValueError, KeyError, TypeError) as exc:
            return Fault(seq, FaultKind.MALFORMED, f"not a canonical record: {exc}")
        if again != body or doc["seq"] != seq:
            return Fault(seq, FaultKind.MALFORMED, "bytes are not the canonical form of this seq")
        if doc["ts"] < self._last_ts:
            return Fault(seq, FaultKind.REORDER, f"timestamp goes back to {doc['ts']}")
        self._last_ts = doc["ts"]
        return None

    def _check_checkpoint(self, seq: int, body: bytes) -> Fault | None:
        try:
            checkpoint = Checkpoint.from_payload(json.loads(body)["payload"])
        except (ValueError, KeyError, TypeError) as exc:
            return Fault(seq, FaultKind.INCONSISTENT_CHECKPOINT, f"unreadable checkpoint: {exc}")
        fault = self._checkpoint_fault(seq, checkpoint)
        if fault is None:
            self._checkpoints += 1
            self._last_checkpoint = checkpoint
        return fault

    def _check_key_change(self, seq: int, body: bytes) -> Fault | None:
        """An endorsed key change must carry the previous key's signature over the new key;
        once it does, the new key is trusted from here on (the verifier may have been given
        only the log's first key). An unendorsed one is trusted only if it was given."""
        if self._keys is None:
            return None
        try:
            payload = json.loads(body)["payload"]
            endorsement = payload.get("endorsement")
            if endorsement is None:
                return None
            key_id, pem, previous = payload["key_id"], payload["public_key"], payload["previous_key_id"]
        except (ValueError, KeyError, TypeError) as exc:
            return Fault(seq, FaultKind.MALFORMED, f"unreadable key change: {exc}")
        retiring = self._keys.get(previous)
        if retiring is None:
            return Fault(seq, FaultKind.BAD_SIGNATURE, f"key change endorsed by unknown key {previous}")
        if not endorsement_valid(retiring, key_id, pem, endorsement):
            return Fault(seq, FaultKind.BAD_SIGNATURE, f"key {key_id} is not endorsed by key {previous}")
        self._keys.setdefault(key_id, load_public_key(pem))
        return None

    def _checkpoint_fault(self, seq: int, checkpoint: Checkpoint) -> Fault | None:
        bad = FaultKind.INCONSISTENT_CHECKPOINT
        if checkpoint.tree_size != seq - 1:
            return Fault(seq, bad, f"tree_size {checkpoint.tree_size} at seq {seq}")
        if checkpoint.head_hash != self._prev.hex():
            return Fault(seq, bad, "head_hash is not the hash of the record before")
        if self._log_id is not None and checkpoint.log_id != self._log_id:
            return Fault(seq, bad, f"checkpoint of another log ({checkpoint.log_id})")
        root = self._expected_root(checkpoint.tree_size)
        if root is not None and checkpoint.root != root.hex():
            return Fault(seq, bad, "Merkle root does not match the records")
        if self._keys is not None:
            key = self._keys.get(checkpoint.key_id)
            if key is None:
                return Fault(seq, FaultKind.BAD_SIGNATURE, f"unknown key {checkpoint.key_id}")
            if not signature_valid(checkpoint, key):
                return Fault(seq, FaultKind.BAD_SIGNATURE, "signature does not verify")
        return None

    def _expected_root(self, size: int) -> Hash | None:
        if self._frontier is not None:
            return self._frontier.root()
        if self._root_at is not None:
            return self._root_at(size)
        return None
