"""SIGKILL in the middle of a stream of appends loses no acknowledged record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from audit.sql_store import SqlAuditLog
from audit.verify_store import verify_store
from tests.audit.conftest import StoreTarget
from tests.audit.test_contract import assert_chain

ROOT = Path(__file__).resolve().parents[2]
ACKS_BEFORE_KILL = 3000


def _run_and_kill(target: StoreTarget) -> dict[int, str]:
    """Start the child, SIGKILL it once it acknowledged enough, return what it acknowledged."""
    url = target.url
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.audit.crash_child", url, target.schema or ""],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acked: dict[int, str] = {}
    try:
        for line in child.stdout:
            seq, digest = line.split()
            acked[int(seq)] = digest
            if len(acked) >= ACKS_BEFORE_KILL:
                os.kill(child.pid, signal.SIGKILL)
                break
        else:
            raise AssertionError(f"child ended early: {child.stderr.read() if child.stderr else ''}")
        rest, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    for line in rest.splitlines(keepends=True):  # lines written before the kill
        if line.endswith("\n"):
            seq, digest = line.split()
            acked[int(seq)] = digest
    assert child.returncode == -signal.SIGKILL
    return acked


def test_sigkill_loses_no_acknowledged_record(target: StoreTarget) -> None:
    target.open().close()  # create and migrate; the child opens as the gateway would

    acked = _run_and_kill(target)

    store: SqlAuditLog = target.open()
    records = list(store.read())
    assert_chain(records)
    assert verify_store(store, merkle="recompute", deep=True).ok
    stored = {r.seq: r.record_hash for r in records}
    missing = {seq for seq in acked if stored.get(seq) != acked[seq]}
    assert not missing
    assert max(acked) <= store.head()[0]
    # the store goes on after the crash, chained to what survived
    after = store.append("after.crash", {}).result(5)
    assert after.seq == len(records) + 1
