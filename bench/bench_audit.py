"""Audit store figures: durable append throughput, paced latency, verification rate, proof sizes.

    .venv/bin/python bench/bench_audit.py [--records 100000] [--paced-seconds 5]
                                          [--verify-records 1000000] [--gc frozen|default]
                                          [--backends sqlite,postgresql] [--pg-url URL]
                                          [--wal thread|writer]

Bounded (the machine is shared): one run per figure, printed as measured.
PostgreSQL gets a throw-away schema in the ``test`` database, dropped after.
Records are ~430 bytes, like an ``order.accepted``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.api import AppendTicket
from audit.checkpoint import Ed25519Signer, public_key_pem
from audit.export import export_range
from audit.factory import open_sql_audit_log
from audit.proofs import checkpoints, consistency_proof, inclusion_proof
from audit.sql_store import CheckpointPolicy, SqlAuditLog
from audit.verify import ChainVerifier, keyring
from audit.verify_parallel import default_workers, start_method, verify_parallel
from audit.verify_store import verify_store

ROOT = Path(__file__).resolve().parents[1]
KEY = Ed25519PrivateKey.generate()
PAYLOAD: dict[str, Any] = {
    "order_id": "GW-20261122-000001",
    "cl_ord_id": "CL-7f3a9c",
    "account": "ACC-EQ-01",
    "checks": [
        {"control": name, "outcome": "PASS"}
        for name in ("kill_switch", "restricted", "price_collar", "max_notional", "credit")
    ],
    "tags": {"client_id": "529900T8BM49AURSDO55", "capacity": "AOTC", "algo_indicator": False},
    "alerts": [],
    "policy_hash": "9f2c1e7b4d3a" * 4,
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def open_store(backend: str, pg_url: str, workdir: Path) -> tuple[SqlAuditLog, Callable[[], None]]:
    policy = CheckpointPolicy(Ed25519Signer(KEY), every=10_000, interval=10.0)
    if backend == "sqlite":
        store = open_sql_audit_log(f"sqlite:///{workdir / 'bench.db'}", checkpoints=policy)
        return store, lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    return open_sql_audit_log(pg_url, schema=schema, checkpoints=policy), drop


def throughput_asyncio(store: SqlAuditLog, records: int, tasks: int = 200, group: int = 20) -> float:
    """``tasks`` coroutines, each appending ``group`` records and awaiting the last, repeatedly."""

    async def producer(count: int) -> None:
        for _ in range(count // group):
            tickets = [store.append("order.accepted", PAYLOAD) for _ in range(group)]
            await tickets[-1]

    async def run() -> None:
        await asyncio.gather(*(producer(records // tasks) for _ in range(tasks)))

    start = time.perf_counter()
    asyncio.run(run())
    return (records // tasks // group * group * tasks) / (time.perf_counter() - start)


def throughput_threads(store: SqlAuditLog, records: int, threads: int = 16) -> float:
    """``threads`` OS threads, each appending one record and blocking until it is durable."""
    per = records // threads

    def worker() -> None:
        for _ in range(per):
            store.append("order.accepted", PAYLOAD).result(30)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return per * threads / (time.perf_counter() - start)


def paced_latency(store: SqlAuditLog, rate: int, seconds: float) -> list[float]:
    """Append at ``rate``/s from one thread; latency = append call to durable acknowledgement."""
    latencies: list[float] = []
    done = threading.Event()
    total = int(rate * seconds)
    remaining = [total]
    lock = threading.Lock()

    def acked(started: float) -> Callable[[AppendTicket], None]:
        def callback(_: AppendTicket) -> None:
            now = time.perf_counter()
            with lock:
                latencies.append(now - started)
                remaining[0] -= 1
                if remaining[0] == 0:
                    done.set()

        return callback

    start = time.perf_counter()
    sent = 0
    while sent < total:  # send what is due, then sleep (no spinning: the writer needs the GIL)
        due = min(total, int((time.perf_counter() - start) * rate) + 1)
        while sent < due:
            began = time.perf_counter()
            store.append("order.accepted", PAYLOAD).add_done_callback(acked(began))
            sent += 1
        time.sleep(0.0002)
    done.wait(60)
    return latencies


def fill_to(store: SqlAuditLog, size: int) -> None:
    """Append until the log holds ``size`` records (verification is measured on a long log,
    where starting worker processes is amortised)."""
    missing = size - store.head()[0]
    while missing > 0:
        for _ in range(min(missing, 50_000)):
            store.append("order.accepted", PAYLOAD)
        store.flush(120)
        missing = size - store.head()[0]


def verification(store: SqlAuditLog, workdir: Path) -> dict[str, float]:
    keys = keyring(KEY.public_key())
    rates: dict[str, float] = {}
    for mode in ("none", "stored", "recompute"):
        start = time.perf_counter()
        result = verify_store(store, keys=keys, merkle=mode)  # type: ignore[arg-type]
        assert result.ok, result.fault
        rates[f"verify_store merkle={mode}"] = result.records / (time.perf_counter() - start)
    start = time.perf_counter()
    result = verify_parallel(store, workers=2, keys=keys, merkle="stored", min_chunk=10_000)
    assert result.ok, result.fault
    rates[
        f"verify_parallel 2 processes merkle=stored, {start_method(store)} from a store with "
        "a writer (incl. start-up)"
    ] = result.records / (time.perf_counter() - start)
    rates.update(verify_cli(store, workdir))
    rows = list(store.rows(1, 200_000))
    start = time.perf_counter()
    verifier = ChainVerifier(keys=keys)
    verifier.feed(rows)
    rates["ChainVerifier in memory (no DB fetch, first 200k)"] = len(rows) / (time.perf_counter() - start)
    del rows
    start = time.perf_counter()
    fetched = sum(1 for _ in store.rows())
    rates["fetch rows only (store.rows)"] = fetched / (time.perf_counter() - start)
    start = time.perf_counter()
    fetched = sum(1 for _ in store.link_rows(1, store.head()[0]))
    rates["fetch rows only (store.link_rows, what verify_store reads)"] = fetched / (
        time.perf_counter() - start
    )
    return rates


def verify_cli(store: SqlAuditLog, workdir: Path) -> dict[str, float]:
    """``python -m audit verify`` as an operator runs it: a process of its own, from start-up."""
    assert store.location is not None
    url, schema = store.location
    public = workdir / "checkpoint.pub.pem"
    public.write_text(public_key_pem(KEY.public_key()))
    rates: dict[str, float] = {}
    for workers in (1, None):
        command = [sys.executable, "-m", "audit", "verify", url, "--public-key", str(public)]
        command += ["--schema", schema] if schema else []
        command += ["--workers", str(workers)] if workers else []
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        elapsed = time.perf_counter() - start
        assert done.returncode == 0, done.stdout + done.stderr
        records = int(done.stdout.split("records verified: ")[1].split()[0])
        label = "1 process" if workers else f"default: {default_workers()} forked workers"
        rates[f"verify CLI ({label}, incl. interpreter start-up)"] = records / elapsed
    return rates


def proof_sizes(store: SqlAuditLog) -> dict[str, str]:
    found = list(checkpoints(store))
    (_, first), (last_seq, last) = found[0], found[-1]
    size = last.tree_size
    inclusion = inclusion_proof(store, size // 3, size)
    consistency = consistency_proof(store, first.tree_size, size)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        counter = _Counter(sink)
        summary = export_range(store, size // 2, size // 2 + 999, counter)
    record = next(store.read(last_seq, last_seq))
    return {
        "tree size": str(size),
        "inclusion proof": f"{len(inclusion)} hashes = {32 * len(inclusion)} bytes",
        "consistency proof": f"{first.tree_size}->{size}: {len(consistency)} hashes = "
        f"{32 * len(consistency)} bytes",
        "range proof (1,000 records)": f"{summary.proof_hashes} hashes = {32 * summary.proof_hashes} bytes",
        "export JSONL (1,000 records)": f"{counter.chars} chars ({counter.chars // 1000} per record)",
        "checkpoint payload": f"{len(str(record.payload))} chars",
    }


class _Counter:
    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    store, drop = open_store(backend, args.pg_url, workdir)
    if args.wal == "writer" and store.wal is not None:
        store.wal.close()  # SQLite's default: the log is copied back inside a commit, every 4 MB
        store._raw.driver_connection.execute("PRAGMA wal_autocheckpoint = 1000")  # writer idle now
    if args.gc == "frozen":
        # as `gateway serve` runs (gateway/heap.py): the start-up heap is frozen out of every
        # later collection; a full collection of it (~30 ms here) otherwise lands, at the
        # default thresholds, somewhere in the paced run and is its maximum.
        gc.collect()
        gc.freeze()
    try:
        wal = f", WAL checkpoints: {args.wal}" if backend == "sqlite" else ""
        print(f"\n== {backend} (gc: {args.gc}{wal}) ==")
        cpu = time.process_time()
        asyncio_rate = throughput_asyncio(store, args.records)
        cpu_us = (time.process_time() - cpu) / args.records * 1e6
        print(
            f"durable appends, 200 asyncio appenders (await last of 20): {asyncio_rate:,.0f} records/s "
            f"({cpu_us:.1f} us CPU of this process per record)"
        )
        thread_rate = throughput_threads(store, args.records // 4)
        print(f"durable appends, 16 threads (block on every record): {thread_rate:,.0f} records/s")
        latencies = paced_latency(store, args.rate, args.paced_seconds)
        ms = [x * 1000 for x in latencies]
        print(
            f"paced {args.rate:,}/s for {args.paced_seconds:g}s ({len(ms):,} records): append->durable "
            f"p50 {statistics.median(ms):.2f} ms, p99 {pct(ms, 0.99):.2f} ms, max {max(ms):.2f} ms"
        )
        fill_to(store, args.verify_records)
        store.checkpoint_now().result(10)
        print(f"log size for verification: {store.head()[0]:,} records")
        for name, rate in verification(store, workdir).items():
            print(f"{name}: {rate:,.0f} records/s")
        for name, value in proof_sizes(store).items():
            print(f"{name}: {value}")
    finally:
        store.close()
        drop()
        gc.unfreeze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=5_000)
    parser.add_argument("--paced-seconds", type=float, default=5.0)
    parser.add_argument("--verify-records", type=int, default=1_000_000)
    parser.add_argument(
        "--gc",
        choices=("frozen", "default"),
        default="frozen",
        help="frozen: freeze the heap once the store is open, as gateway serve does",
    )
    parser.add_argument(
        "--wal",
        choices=("thread", "writer"),
        default="thread",
        help="SQLite: thread: checkpoints as the store runs them (audit/wal.py); "
        "writer: inside the commit that crosses 1,000 pages, SQLite's default",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f} at start, "
        f"{os.cpu_count()} CPUs, switch interval {sys.getswitchinterval() * 1000:g} ms"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            run_backend(backend, args, Path(tmp))
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
