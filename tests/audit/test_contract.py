"""The AuditLog contract, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from audit import sql_store
from audit.api import AuditRecord
from audit.backends import LogRow, NodeRow
from audit.record import GENESIS_HASH, canonical_bytes, chain_hash
from audit.sql_store import SqlAuditLog
from tests.audit.conftest import StoreTarget


def expected_hash(record: AuditRecord) -> str:
    body = canonical_bytes(record.seq, record.ts, record.event_type, record.payload, record.retention)
    return chain_hash(record.prev_hash, body)


def assert_chain(records: list[AuditRecord]) -> None:
    prev = GENESIS_HASH
    for index, record in enumerate(records, start=1):
        assert record.seq == index
        assert record.prev_hash == prev
        assert record.record_hash == expected_hash(record)
        prev = record.record_hash


def test_first_append_is_seq_1_chained_to_genesis(store: SqlAuditLog) -> None:
    record = store.append("order.received", {"qty": "100", "name": "Zürich"}).result(5)

    assert record.seq == 1
    assert record.prev_hash == GENESIS_HASH
    assert record.record_hash == expected_hash(record)
    assert store.head() == (1, record.record_hash)
    assert list(store.read()) == [record]


def test_timestamps_are_utc_with_microseconds_and_never_go_back(store: SqlAuditLog) -> None:
    tickets = [store.append("e", {"i": i}) for i in range(50)]
    stamps = [t.result(5).ts for t in tickets]

    assert all(len(ts) == 27 and ts.endswith("Z") and ts[19] == "." for ts in stamps)
    assert stamps == sorted(stamps)


def test_concurrent_appenders_get_gapless_seqs_and_one_valid_chain(store: SqlAuditLog) -> None:
    results: dict[tuple[int, int], AuditRecord] = {}
    lock = threading.Lock()

    def worker(thread: int) -> None:
        tickets = [store.append("t", {"thread": thread, "n": n}) for n in range(200)]
        for n, ticket in enumerate(tickets):
            record = ticket.result(10)
            with lock:
                results[(thread, n)] = record

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    stored = list(store.read())
    assert_chain(stored)
    assert len(stored) == 1600
    assert {r.seq for r in results.values()} == set(range(1, 1601))
    by_seq = {r.seq: r for r in stored}
    for (thread, n), record in results.items():
        assert by_seq[record.seq] == record
        assert record.payload == {"thread": thread, "n": n}
    for thread in range(8):  # one appender's records keep its order
        seqs = [results[(thread, n)].seq for n in range(200)]
        assert seqs == sorted(seqs)


def test_awaiting_tickets_from_asyncio(store: SqlAuditLog) -> None:
    async def main() -> list[AuditRecord]:
        tickets = [store.append("a", {"n": n}) for n in range(500)]
        return list(await asyncio.gather(*tickets))

    records = asyncio.run(main())

    assert [r.seq for r in records] == list(range(1, 501))
    assert list(store.read()) == records


def test_records_appended_in_one_event_loop_turn_share_one_commit(
    store: SqlAuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order's records (received, checks, acceptance) come in one turn: one fsync, not three."""
    # the writer's idle timer (a safety net for a loop that stops mid-turn) must not split a turn
    monkeypatch.setattr(sql_store, "_DEFERRED_WAKE_LIMIT", 60.0)
    store.append("warm-up", {}).result(5)  # the writer's next idle wait uses the long timer

    async def main() -> None:
        for n in range(20):
            tickets = []
            for step in range(3):
                tickets.append(store.append("step", {"order": n, "step": step}))
                time.sleep(0.002)  # the checks between two records: other threads may run
            await asyncio.sleep(0)  # the turn ends; now the writer may go
            await asyncio.gather(*tickets)
            # an idle writer, as between orders: one still busy with the last commit drains
            # whatever is queued when it gets back (as it should under load)
            await asyncio.sleep(0.02)

    before = store.commits
    asyncio.run(main())

    assert store.commits - before == 20  # one per turn; woken at the first append it was 60
    assert [r.payload["step"] for r in store.read(2)] == [0, 1, 2] * 20


def test_blocking_on_a_ticket_inside_the_loop_does_not_wait_for_the_turn_to_end(
    store: SqlAuditLog,
) -> None:
    """A synchronous caller on the loop thread (a policy reload) would otherwise hang:
    the wakeup it waits for is scheduled on the loop it is blocking."""

    async def main() -> int:
        ticket = store.append("policy.loaded", {"n": 1})
        return ticket.result(timeout=2).seq

    started = time.monotonic()
    assert asyncio.run(main()) == 1
    assert time.monotonic() - started < 1.0


def test_read_streams_an_inclusive_range(store: SqlAuditLog) -> None:
    for n in range(30):
        store.append("r", {"n": n})
    store.flush(5)

    assert [r.seq for r in store.read(10, 12)] == [10, 11, 12]
    assert [r.payload["n"] for r in store.read(29)] == [28, 29]
    assert list(store.read(31)) == []


def test_last_seq_of_finds_the_last_record_of_a_type(store: SqlAuditLog) -> None:
    """What a restart starts from (the last ``risk.day_opened``), by the partial index."""
    assert store.last_seq_of("risk.day_opened") is None
    for n in range(12):
        store.append("risk.day_opened" if n in (2, 7) else "r", {"n": n})
    store.flush(5)

    assert store.last_seq_of("risk.day_opened") == 8
    assert store.last_seq_of("r") == 12
    with pytest.raises(ValueError, match="not an event type"):
        store.last_seq_of("r' OR '1'='1")
    if store.engine.dialect.name == "sqlite":  # PostgreSQL rightly scans a table this small
        sql = "EXPLAIN QUERY PLAN SELECT max(seq) FROM audit_log WHERE event_type = 'risk.day_opened'"
        plan = " ".join(str(row) for row in store.query(sql, []))
        assert "audit_log_day_opened" in plan, plan


def test_reopening_continues_the_chain(target: StoreTarget) -> None:
    first = target.open()
    for n in range(300):
        first.append("x", {"n": n})
    first.flush(5)
    head = first.head()
    first.close()

    second = target.open()
    assert second.head() == head
    record = second.append("x", {"n": 300}).result(5)

    assert record.seq == 301
    assert record.prev_hash == head[1]
    assert_chain(list(second.read()))


def test_a_float_payload_is_refused_before_anything_is_written(store: SqlAuditLog) -> None:
    with pytest.raises(TypeError):
        store.append("bad", {"price": 1.5})
    with pytest.raises(TypeError):
        store.append("bad", {"nested": [{"x": float("nan")}]})

    assert store.append("good", {"price": "1.5"}).result(5).seq == 1


def test_retention_class_is_part_of_the_hashed_record(store: SqlAuditLog) -> None:
    default = store.append("a", {"n": 1}).result(5)
    short = store.append("b", {"n": 2}, retention="3y").result(5)

    assert default.retention is None
    assert short.retention == "3y"
    assert b'"retention":"3y"' in canonical_bytes(
        short.seq, short.ts, short.event_type, short.payload, short.retention
    )
    assert list(store.read()) == [default, short]
    assert_chain([default, short])


def test_flush_waits_for_everything_appended(store: SqlAuditLog) -> None:
    tickets = [store.append("f", {"n": n}) for n in range(1000)]
    store.flush(10)

    assert all(t.done() for t in tickets)
    assert store.head()[0] == 1000


def test_lazy_records_wait_to_share_the_next_commit_someone_waits_on(store: SqlAuditLog) -> None:
    """A wire-journal record or a venue's ack of an acknowledged order costs no fsync of its own."""
    store.lazy_limit = 60.0  # only company commits them here
    store.append("warm-up", {}).result(5)
    before = store.commits

    lazy = [store.append("fix.out", {"n": n}, lazy=True) for n in range(3)]
    time.sleep(0.1)
    assert not any(ticket.done() for ticket in lazy)
    urgent = store.append("order.accepted", {"n": 3})

    assert urgent.result(5).seq == 5
    assert [ticket.result(0).seq for ticket in lazy] == [2, 3, 4]  # in order, before it
    assert store.commits - before == 1
    assert_chain(list(store.read()))


def test_append_latency_counts_only_records_someone_waits_on(store: SqlAuditLog) -> None:
    """/metrics must show how long an acknowledgement waits for the disk, not how long a
    lazy record waited, by design, for company."""
    store.lazy_limit = 60.0
    store.append("fix.in", {}, lazy=True)
    time.sleep(0.3)
    store.append("order.accepted", {}).result(5)

    latency = store.append_latency_p99()
    assert latency is not None and latency < 0.3


def test_a_lazy_record_nobody_waits_on_is_durable_within_the_lazy_limit(store: SqlAuditLog) -> None:
    store.lazy_limit = 0.05
    store.append("warm-up", {}).result(5)

    ticket = store.append("fix.in", {}, lazy=True)
    deadline = time.monotonic() + 10
    while not ticket.done() and time.monotonic() < deadline:
        time.sleep(0.005)

    assert ticket.landed() is True
    assert store.head()[0] == 2


def test_waiting_on_a_lazy_record_commits_it_at_once(store: SqlAuditLog) -> None:
    store.lazy_limit = 60.0

    assert store.append("blocking", {}, lazy=True).result(timeout=5).seq == 1

    async def awaited() -> int:
        return (await store.append("awaited", {}, lazy=True)).seq

    assert asyncio.run(asyncio.wait_for(awaited(), 5)) == 2
    store.append("flushed", {}, lazy=True)
    store.flush(5)
    assert store.head()[0] == 3


def test_closing_commits_lazy_records(target: StoreTarget) -> None:
    store = target.open()
    store.lazy_limit = 60.0
    store.append("fix.out", {"last": True}, lazy=True)
    store.close()

    reopened = target.open()
    assert [r.event_type for r in reopened.read()] == ["fix.out"]


def test_commits_are_durable_settings_not_defaults(store: SqlAuditLog) -> None:
    """WAL + synchronous=FULL on SQLite, synchronous_commit=on on PostgreSQL, whatever the
    server or file defaults were."""
    with store.reader() as reader:
        if store.dialect == "sqlite":
            assert reader.one("PRAGMA journal_mode") == ("wal",)
            assert reader.one("PRAGMA synchronous") == (2,)  # FULL
        else:
            assert reader.one("SHOW synchronous_commit") == ("on",)


def test_backlog_and_append_latency_show_a_store_falling_behind(
    store: SqlAuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What /metrics reads: appends not yet durable, and how long appends wait to be durable."""
    assert (store.backlog, store.append_latency_p99()) == (0, None)
    store.append("warm", {}).result(10)
    assert store.backlog == 0
    quick = store.append_latency_p99()
    assert quick is not None and 0 < quick < 5

    stalled, real_write = threading.Event(), store._backend.write

    def slow_write(raw: object, rows: Sequence[LogRow], nodes: Sequence[NodeRow]) -> None:
        stalled.wait(10)  # a database that has stopped answering for a while
        real_write(raw, rows, nodes)

    monkeypatch.setattr(store._backend, "write", slow_write)
    tickets = [store.append("late", {"n": n}) for n in range(10)]
    deadline = time.monotonic() + 10
    while store.backlog < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.backlog == 10  # queued, or in the commit that hangs
    time.sleep(0.3)
    stalled.set()
    assert [t.seq(10) for t in tickets] == list(range(2, 12))
    assert store.backlog == 0
    slowest = store.append_latency_p99()
    assert slowest is not None and slowest >= 0.3  # the stalled batch is the worst of two
