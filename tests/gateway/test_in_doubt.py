"""A decision whose commit landed although the store reported it failed.

The client is told AUDIT_UNAVAILABLE and nothing goes to the venue; once the
store is back, an ``order.decision_withdrawn`` record voids the decision, so
that a restart rebuilds the state the gateway really had and the reports show
the refusal the client got. Run on the real SQLite store, with the driver
failing right after a COMMIT that went through.
"""

from __future__ import annotations

import asyncio
import csv
import sqlite3
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.factory import open_audit_log
from audit.sql_store import SqlAuditLog
from gateway.app import Gateway
from gateway.replay import replay, snapshot
from reporting import generate_report
from risk_controls import events as ev
from risk_controls.domain import CancelRequest, DenyCode, ReplaceRequest
from risk_controls.domain.clock import ManualClock
from tests.gateway.conftest import DESK, SpyVenue, fill, make_gateway, order


class CommitLandsThenFails:
    """Wraps the store's backend: the next batch holding ``event_type`` is committed for
    real, then the driver reports an error, as when a connection drops during COMMIT.
    With ``lands`` False the same error comes without the commit (it was lost on the way)."""

    def __init__(self, store: SqlAuditLog, lands: bool = True) -> None:
        self.backend = store._backend
        self.real_write = self.backend.write
        self.lands = lands
        self.armed: str | None = None
        self.fired = 0

    def arm(self, event_type: str) -> None:
        self.armed = event_type

    def write(self, raw: Any, rows: Sequence[Any], nodes: Sequence[Any]) -> None:
        if self.armed is not None and any(row[2] == self.armed for row in rows):
            self.armed = None
            self.fired += 1
            if self.lands:
                self.real_write(raw, rows, nodes)
            raise sqlite3.OperationalError("disk I/O error (during COMMIT)")
        self.real_write(raw, rows, nodes)


def faulty_gateway(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, lands: bool = True
) -> tuple[str, SqlAuditLog, CommitLandsThenFails, Gateway, SpyVenue]:
    """A gateway on a real SQLite store whose driver can be made to fail during a COMMIT."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    store = open_audit_log(url, retry_interval=0.02)
    assert isinstance(store, SqlAuditLog)
    fault = CommitLandsThenFails(store, lands)
    monkeypatch.setattr(fault.backend, "write", fault.write)
    gateway, spy = make_gateway(tmp_path, store, clock)
    return url, store, fault, gateway, spy


async def _store_back(store: SqlAuditLog, pipeline: Any) -> None:
    for _ in range(400):
        if store.available and not len(pipeline.withdrawals):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the store did not come back, or the withdrawals were not recorded")


def test_in_doubt_decisions_are_withdrawn_and_a_restart_agrees(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, store, fault, gateway, spy = faulty_gateway(tmp_path, clock, monkeypatch)
    pipeline = gateway.pipeline
    ghost_ids: dict[str, str] = {}

    async def scenario() -> None:
        assert (await pipeline.submit(order("w-1", qty="100", price="228.00"))).accepted

        fault.arm(ev.ORDER_ACCEPTED)
        refused = await pipeline.submit(order("w-2", qty="100", price="227.00"))
        assert refused.denial is not None and refused.denial.code is DenyCode.AUDIT_UNAVAILABLE
        ghost_ids["order"] = refused.order_id
        assert [r.order.cl_ord_id for r in spy.received] == ["w-1"]  # nothing went to the venue
        await _store_back(store, pipeline)
        retried = await pipeline.submit(order("w-2", qty="100", price="227.00"))
        assert retried.accepted  # the same client order id is free again

        fault.arm(ev.CANCEL_REQUESTED)
        cancel = await pipeline.cancel(CancelRequest("w-3", "w-1", "ACC-APPLE-TSY", DESK))
        assert not cancel.accepted and cancel.denial is not None
        assert cancel.denial.code is DenyCode.AUDIT_UNAVAILABLE
        # until the withdrawal is durable, the order takes no other cancel or replace
        blocked = await pipeline.cancel(CancelRequest("w-4", "w-1", "ACC-APPLE-TSY", DESK))
        assert blocked.denial is not None and blocked.denial.code is DenyCode.AUDIT_UNAVAILABLE
        await _store_back(store, pipeline)

        fault.arm(ev.REPLACE_ACCEPTED)
        replace = ReplaceRequest("w-5", "w-1", "ACC-APPLE-TSY", DESK, Decimal(150), Decimal("228.10"))
        amended = await pipeline.replace(replace)
        assert amended.denial is not None and amended.denial.code is DenyCode.AUDIT_UNAVAILABLE
        await _store_back(store, pipeline)
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert fault.fired == 3
    gateway.audit.flush(timeout=10)
    before = snapshot(pipeline.state, pipeline.kill_switch)
    working = {oid: row[5] for oid, row in before["orders"].items()}
    assert ghost_ids["order"] not in working
    assert sorted(working.values()) == ["w-1", "w-2"]
    assert before["orders"][next(k for k, v in working.items() if v == "w-1")][0] == "NEW"
    gateway.close()

    reopened = open_audit_log(url)
    try:
        records = list(reopened.read())
        kinds = [(r.event_type, r.payload.get("order_id")) for r in records]
        assert (ev.ORDER_ACCEPTED, ghost_ids["order"]) in kinds  # the in-doubt commit did land
        withdrawn = [r.payload["withdrawn"] for r in records if r.event_type == ev.DECISION_WITHDRAWN]
        assert withdrawn == [ev.ORDER_ACCEPTED, ev.CANCEL_REQUESTED, ev.REPLACE_ACCEPTED]
        assert ev.REPLACE_ACCEPTED in {r.event_type for r in records}
        rebuilt = replay(records)
        assert snapshot(rebuilt.state, rebuilt.kill_switch) == before

        day = date.fromisoformat(records[-1].ts[:10])
        out = tmp_path / "reports"
        generate_report("denials", reopened, day, day, "csv", out, Ed25519PrivateKey.generate())
        with (out / f"denials_{day.isoformat()}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        refusals = [(r["request"], r["code"]) for r in rows if r["code"] == "AUDIT_UNAVAILABLE"]
        assert refusals == [("NEW", "AUDIT_UNAVAILABLE"), ("CANCEL", "AUDIT_UNAVAILABLE"),
                            ("REPLACE", "AUDIT_UNAVAILABLE")]  # fmt: skip
    finally:
        reopened.close()


def test_an_in_doubt_decision_that_did_not_land_is_not_withdrawn(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store settles on reconnecting that the commit never happened: nothing to void."""
    url, store, fault, gateway, spy = faulty_gateway(tmp_path, clock, monkeypatch, lands=False)
    pipeline = gateway.pipeline

    async def scenario() -> None:
        fault.arm(ev.ORDER_ACCEPTED)
        refused = await pipeline.submit(order("n-1", qty="100", price="227.00"))
        assert refused.denial is not None and refused.denial.code is DenyCode.AUDIT_UNAVAILABLE
        assert pipeline.withdrawals.blocks(refused.order_id)  # in doubt until the store says
        await _store_back(store, pipeline)
        assert (await pipeline.submit(order("n-1", qty="100", price="227.00"))).accepted

    asyncio.run(scenario())
    assert fault.fired == 1 and [r.order.cl_ord_id for r in spy.received] == ["n-1"]
    gateway.close()
    reopened = open_audit_log(url)
    try:
        kinds = [r.event_type for r in reopened.read()]
    finally:
        reopened.close()
    assert ev.DECISION_WITHDRAWN not in kinds
    assert kinds.count(ev.ORDER_ACCEPTED) == 1  # the retry's; the lost one is not there


def test_a_refusal_the_store_gave_at_once_needs_no_withdrawal(tmp_path: Path, clock: ManualClock) -> None:
    """Appends refused outright (store down) cannot have landed: no withdrawal is queued."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    store = open_audit_log(url)
    assert isinstance(store, SqlAuditLog)
    gateway, spy = make_gateway(tmp_path, store, clock)

    async def scenario() -> None:
        store._available = False
        result = await gateway.pipeline.submit(order("x-1", price="228.00"))
        assert result.denial is not None and result.denial.code is DenyCode.AUDIT_UNAVAILABLE
        assert len(gateway.pipeline.withdrawals) == 0
        store._available = True

    asyncio.run(scenario())
    assert spy.received == []
    gateway.close()


def test_an_order_that_fills_while_its_replace_is_in_doubt_restarts_as_it_filled(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replace record lands, the driver reports failure, and the venue fills the order
    meanwhile: the client is refused the replace, the fill stands, and a restart agrees."""
    url, store, fault, gateway, _spy = faulty_gateway(tmp_path, clock, monkeypatch)
    pipeline = gateway.pipeline
    told: list[tuple[str, str]] = []  # what an entry adapter is told, once each record is durable
    pipeline.subscribe(lambda update: told.append((update.status.value, str(update.cum_qty))))

    async def scenario() -> None:
        placed = await pipeline.submit(order("f-1", qty="100", price="228.00"))
        assert placed.accepted and placed.order_id is not None
        fault.arm(ev.REPLACE_ACCEPTED)
        request = ReplaceRequest("f-2", "f-1", "ACC-APPLE-TSY", DESK, Decimal(150), Decimal("228.10"))
        amending = asyncio.create_task(pipeline.replace(request))
        await asyncio.sleep(0)  # the replace is recorded and waits for the disk
        pipeline.on_venue_report(fill(placed.order_id, "FILL-1", "100", "228.00", clock.now(), "T-1"))
        amended = await amending
        assert amended.denial is not None and amended.denial.code is DenyCode.AUDIT_UNAVAILABLE
        await _store_back(store, pipeline)
        for _ in range(500):  # the reports of the failed batch are held, then settled in order
            if ("FILLED", "100") in told:
                break
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert fault.fired == 1
    gateway.audit.flush(timeout=10)
    before = snapshot(pipeline.state, pipeline.kill_switch)
    [status] = [row[0] for row in before["orders"].values()]
    assert status == "FILLED"
    gateway.close()

    reopened = open_audit_log(url)
    try:
        records = list(reopened.read())
        kinds = [r.event_type for r in records]
        assert ev.REPLACE_ACCEPTED in kinds and ev.DECISION_WITHDRAWN in kinds
        # the reports in the failed batch had landed: they are delivered, not recorded twice
        executions = [r.payload["exec_id"] for r in records if r.event_type == ev.EXECUTION]
        assert len(executions) == len(set(executions)) == 2
        assert told == [("NEW", "0"), ("FILLED", "100")]
        rebuilt = replay(records)
        assert snapshot(rebuilt.state, rebuilt.kill_switch) == before
    finally:
        reopened.close()
