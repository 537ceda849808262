"""Policy loads are atomic, recorded, and a bad file never replaces a good policy."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from audit.memory import MemoryAuditLog
from gateway.policy_manager import PolicyManager
from risk_controls import events as ev
from risk_controls.policy import PolicyError
from tests.gateway.conftest import POLICY


def _records(audit: MemoryAuditLog, kind: str) -> list[dict[str, Any]]:
    return [dict(r.payload) for r in audit.read() if r.event_type == kind]


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    target = tmp_path / "policy.toml"
    shutil.copy(POLICY, target)
    return target


def test_each_load_is_recorded_with_hash_previous_hash_and_trigger(policy_file: Path) -> None:
    audit = MemoryAuditLog()
    manager = PolicyManager(audit, policy_file)
    first = manager.reload(triggered_by="startup")
    policy_file.write_text(
        policy_file.read_text().replace('restricted = ["TSLA"]', 'restricted = ["TSLA", "KO"]')
    )
    second = manager.reload(triggered_by="ro1", reason="add KO to the restricted list")
    loads = _records(audit, ev.POLICY_LOADED)
    assert [x["policy_hash"] for x in loads] == [first.content_hash, second.content_hash]
    assert loads[1]["previous_hash"] == first.content_hash
    assert loads[1]["triggered_by"] == "ro1" and loads[1]["reason"] == "add KO to the restricted list"
    assert hashlib.sha256(policy_file.read_bytes()).hexdigest() == second.content_hash
    assert manager.current is second and second.policy.is_restricted("KO")


def test_an_invalid_file_is_refused_and_the_policy_in_force_stays(policy_file: Path) -> None:
    audit = MemoryAuditLog()
    manager = PolicyManager(audit, policy_file)
    good = manager.reload(triggered_by="startup")
    policy_file.write_text(
        policy_file.read_text().replace('max_order_quantity = "50000"', 'max_order_quantity = "-1"')
    )
    with pytest.raises(PolicyError) as refused:
        manager.reload(triggered_by="ro1")
    issue = refused.value.issues[0]
    assert issue.file == str(policy_file) and issue.field == "accounts[0].max_order_quantity"
    assert issue.line is not None and "-1" in policy_file.read_text().splitlines()[issue.line - 1]
    assert manager.current is good
    rejected = _records(audit, ev.POLICY_REJECTED)
    assert rejected[0]["policy_in_force"] == good.content_hash
    assert rejected[0]["errors"][0]["line"] == issue.line


def test_unchanged_text_is_not_recorded_twice(policy_file: Path) -> None:
    audit = MemoryAuditLog()
    manager = PolicyManager(audit, policy_file)
    manager.reload(triggered_by="startup")
    manager.reload(triggered_by="ro1")
    assert len(_records(audit, ev.POLICY_LOADED)) == 1


def test_the_watcher_reloads_on_change_and_refuses_a_bad_edit(policy_file: Path) -> None:
    audit = MemoryAuditLog()
    manager = PolicyManager(audit, policy_file)
    manager.reload(triggered_by="startup")

    async def scenario() -> None:
        watcher = asyncio.create_task(manager.watch(interval=0.02))
        await asyncio.sleep(0.05)
        policy_file.write_text(
            policy_file.read_text().replace('version = "2026-11-22.1"', 'version = "2026-11-22.2"')
        )
        for _ in range(100):
            await asyncio.sleep(0.02)
            if manager.current is not None and manager.current.policy.version == "2026-11-22.2":
                break
        assert manager.current is not None and manager.current.policy.version == "2026-11-22.2"
        policy_file.write_text("this is [ not toml")
        for _ in range(100):
            await asyncio.sleep(0.02)
            if _records(audit, ev.POLICY_REJECTED):
                break
        watcher.cancel()
        assert manager.current.policy.version == "2026-11-22.2"
        rejected = _records(audit, ev.POLICY_REJECTED)
        assert rejected and rejected[0]["triggered_by"] == "file-watch"
        assert rejected[0]["errors"][0]["line"] == 1

    asyncio.run(scenario())
    assert [x["triggered_by"] for x in _records(audit, ev.POLICY_LOADED)] == ["startup", "file-watch"]
