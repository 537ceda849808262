"""Fail closed when the store is unreachable, and recover by itself when it returns."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from audit.api import AuditRecord, AuditUnavailable
from audit.backends import NotCommitted
from audit.sql_store import SqlAuditLog
from tests.audit.conftest import PG_ADMIN_URL, PgCluster, StoreTarget
from tests.audit.proxy import CuttableProxy
from tests.audit.test_contract import assert_chain


def wait_until(condition: Callable[[], bool], limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def assert_fails_closed(store: SqlAuditLog, durable: AuditRecord) -> None:
    """A ticket queued during the outage fails (not times out) and the head stays durable."""
    ticket = store.append("e", {"during": "outage"})
    with pytest.raises(AuditUnavailable):
        ticket.result(20)
    assert ticket.done()  # it failed; it did not merely time out
    assert store.head() == (durable.seq, durable.record_hash)
    assert not store.available
    later = store.append("e", {"during": "outage, later"})
    assert later.done()  # refused at once while the store is known to be down
    with pytest.raises(AuditUnavailable):
        later.result(0)


def assert_recovered(store: SqlAuditLog, durable: AuditRecord) -> None:
    wait_until(lambda: store.available)
    record = store.append("e", {"during": "after"}).result(10)
    assert record.seq == durable.seq + 1
    assert record.prev_hash == durable.record_hash
    assert_chain(list(store.read()))


@pytest.fixture
def proxy() -> Iterator[CuttableProxy]:
    made = CuttableProxy(("127.0.0.1", 5432))
    try:
        yield made
    finally:
        made.close()


def _via_proxy(target: StoreTarget, cluster: PgCluster, proxy: CuttableProxy, **kw: object) -> SqlAuditLog:
    url = cluster.url(cluster.writer, host=f"127.0.0.1:{proxy.port}")
    return target.open(url=url, retry_interval=0.05, **kw)


@pytest.mark.postgres
def test_postgres_going_away_fails_closed_then_recovers(
    pg_target: StoreTarget, pg_cluster: PgCluster, proxy: CuttableProxy
) -> None:
    store = _via_proxy(pg_target, pg_cluster, proxy)
    durable = [store.append("e", {"n": n}).result(5) for n in range(10)][-1]

    proxy.cut()
    assert_fails_closed(store, durable)
    proxy.restore()

    assert_recovered(store, durable)


@pytest.mark.postgres
def test_a_hung_postgres_fails_tickets_after_the_commit_timeout(
    pg_target: StoreTarget, pg_cluster: PgCluster, proxy: CuttableProxy
) -> None:
    store = _via_proxy(pg_target, pg_cluster, proxy, commit_timeout=1.0)
    durable = [store.append("e", {"n": n}).result(5) for n in range(10)][-1]

    proxy.freeze()
    assert_fails_closed(store, durable)
    proxy.restore()

    assert_recovered(store, durable)


@pytest.mark.postgres
def test_a_killed_idle_connection_is_replaced_without_losing_an_append(
    pg_target: StoreTarget,
) -> None:
    name = f"audit-test-{uuid.uuid4().hex[:8]}"
    store = pg_target.open(application_name=name)
    durable = store.append("e", {"n": 0}).result(5)
    admin = sqlalchemy.create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        killed = conn.exec_driver_sql(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{name}'"
        ).scalar()
    admin.dispose()
    assert killed is not None and killed >= 1

    record = store.append("e", {"n": 1}).result(10)

    assert record.seq == 2
    assert record.prev_hash == durable.record_hash
    assert_chain(list(store.read()))


def test_a_locked_sqlite_file_fails_closed_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    target = StoreTarget("sqlite", f"sqlite:///{path}")
    store = target.open(busy_timeout_ms=100, retry_interval=0.05)
    try:
        durable = [store.append("e", {"n": n}).result(5) for n in range(10)][-1]
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock

        assert_fails_closed(store, durable)
        blocker.execute("ROLLBACK")
        blocker.close()

        assert_recovered(store, durable)
    finally:
        target.close_all()


class CommitFault:
    """Wraps the store's backend ``write``: ``after`` commits for real, then the driver
    reports an error (a connection lost during COMMIT); ``instead`` reports the same error
    without writing; ``before`` fails before COMMIT, twice (so the one retry fails too)."""

    def __init__(self, store: SqlAuditLog, mode: str) -> None:
        self.real = store._backend.write
        self.mode = mode
        self.left = 2 if mode == "before" else 1

    def write(self, raw: Any, rows: Any, nodes: Any) -> None:
        if self.left <= 0:
            return self.real(raw, rows, nodes)
        self.left -= 1
        if self.mode == "before":
            raise NotCommitted("insert failed")
        if self.mode == "after":
            self.real(raw, rows, nodes)
        raise RuntimeError("connection lost during COMMIT")


@pytest.mark.parametrize(("mode", "landed"), [("after", True), ("instead", False), ("before", False)])
def test_a_commit_that_failed_in_doubt_is_settled_when_the_store_reconnects(
    target: StoreTarget, monkeypatch: pytest.MonkeyPatch, mode: str, landed: bool
) -> None:
    store = target.open(retry_interval=0.05)
    durable = store.append("e", {"n": 0}).result(5)
    fault = CommitFault(store, mode)
    monkeypatch.setattr(store._backend, "write", fault.write)

    tickets = [store.append("e", {"n": n}) for n in (1, 2)]
    for ticket in tickets:
        with pytest.raises(AuditUnavailable):
            ticket.result(10)
    if mode == "before":
        assert [t.landed() for t in tickets] == [False, False]  # known at once: nothing written
    wait_until(lambda: store.available)

    assert [t.landed() for t in tickets] == [landed, landed]
    numbers = [r.payload["n"] for r in store.read()]
    assert numbers == ([0, 1, 2] if landed else [0])
    after = store.append("e", {"n": 3}).result(10)
    assert after.seq == durable.seq + (3 if landed else 1)
    assert_chain(list(store.read()))
