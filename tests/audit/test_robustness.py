"""The writer survives its own bugs, a failing signer and a database that cannot keep up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit import batch as batch_module
from audit.api import AuditUnavailable
from audit.proofs import latest_checkpoint
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from tests.audit.conftest import StoreTarget
from tests.audit.test_contract import assert_chain
from tests.audit.test_outage import wait_until


class BrokenSigner:
    """A signer whose backend (say, Vault transit) is down."""

    def __init__(self) -> None:
        self.calls = 0
        self._public = Ed25519PrivateKey.generate().public_key()

    @property
    def key_id(self) -> str:
        return "broken"

    def sign(self, message: bytes) -> bytes:
        self.calls += 1
        raise ConnectionError("vault unreachable")

    def public_key(self) -> Ed25519PublicKey:
        return self._public


def test_a_bug_in_the_writer_fails_the_batch_not_the_store(
    store: SqlAuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = store.append("e", {"n": 0}).result(5)
    original = batch_module.Batch.add_appends
    calls = {"n": 0}

    def add_once_broken(self: batch_module.Batch, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch_module.Batch, "add_appends", add_once_broken)
    with pytest.raises(AuditUnavailable):
        store.append("e", {"n": 1}).result(10)

    wait_until(lambda: store.available)
    after = store.append("e", {"n": 2}).result(10)

    assert after.seq == good.seq + 1 and after.prev_hash == good.record_hash
    assert_chain(list(store.read()))


def test_a_failing_signer_neither_blocks_appends_nor_is_retried_on_every_batch(
    target: StoreTarget,
) -> None:
    signer = BrokenSigner()
    store = target.open(checkpoints=CheckpointPolicy(signer, every=10, interval=None))

    for n in range(100):
        store.append("e", {"n": n}).result(10)

    assert store.head()[0] == 100  # every append durable, no checkpoint among them
    assert latest_checkpoint(store) is None
    assert signer.calls == 1  # then backing off
    with pytest.raises(AuditUnavailable):
        store.checkpoint_now().result(5)


def test_appends_beyond_the_queue_limit_fail_at_once(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    target = StoreTarget("sqlite", f"sqlite:///{path}")
    store = target.open(max_queue=50, busy_timeout_ms=3000)
    try:
        store.append("e", {}).result(5)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the writer's next batch waits for this lock
        in_flight = store.append("e", {"n": "first"})
        wait_until(lambda: not store._queue)  # the writer took it and is waiting
        queued = [store.append("e", {"n": n}) for n in range(50)]
        refused = store.append("e", {"n": "one too many"})

        assert refused.done()
        with pytest.raises(AuditUnavailable, match="queue full"):
            refused.result(0)
        blocker.execute("ROLLBACK")
        blocker.close()
        assert in_flight.result(10).seq == 2
        assert [t.result(10).seq for t in queued] == list(range(3, 53))
    finally:
        target.close_all()
