"""FIX benchmark: NewOrderSingle -> ExecutionReport(New) round trips over loopback.

Usage::

    .venv/bin/python bench/bench_fix.py            # everything (about two minutes)
    .venv/bin/python bench/bench_fix.py --quick    # shorter runs
    .venv/bin/python bench/bench_fix.py --quick --rounds 3   # each server three times in turn: medians
    .venv/bin/python bench/bench_fix.py --servers audit --rates 2000
    .venv/bin/python bench/bench_fix.py --gc default # the collector as Python sets it (default: as serve)
    BENCH_FIX_STORE=memory .venv/bin/python bench/bench_fix.py --servers audit
                                   # the FIX sequence store in memory: what its fsync costs
    BENCH_AUDIT_LAZY=0 .venv/bin/python bench/bench_fix.py --servers gateway
                                   # wire-journal and venue-ack records committed eagerly
    BENCH_WAL=writer .venv/bin/python bench/bench_fix.py --servers gateway
                                   # SQLite checkpoints its log inside commits, as by default
    BENCH_LOOP=uvloop .venv/bin/python bench/bench_fix.py --servers gateway
                                   # our servers on uvloop instead of asyncio's loop
    BENCH_SERVER_WRAPPER="perf record -F 999 -o /tmp/fix.perf --" \
        .venv/bin/python bench/bench_fix.py --servers gateway --quick
                                   # a profile of the server (perf report -i /tmp/fix.perf)

Servers (each in its own process, pinned to one core; the client on the other):

* ``gateway``  our acceptor + FIX adapter + the real pipeline (control chain,
  MiFID tagging, abuse monitors, simulated venue) + durable SQLite audit log
  (WAL, synchronous=FULL, group commit) + durable FIX sequence store, and
  every FIX message in and out journalled to the audit log, as ``gateway
  serve`` runs it (``BENCH_FIX_JOURNAL=0``: without the wire journal);
* ``audit``    our acceptor + FIX adapter + an OrderEntry that only makes
  order.received / order.accepted durable in the SQLite audit log (the FIX
  layer's own cost with a durable acknowledgement, no risk checks);
* ``nodisk``   our acceptor + FIX adapter with the in-memory audit log and
  sequence store: the FIX layer's CPU cost alone;
* ``quickfix`` a QuickFIX (quickfix-ssl, C++) acceptor that answers every order
  with an ExecutionReport New and nothing else: the ceiling of the engine. It
  runs with SocketNodelay=Y: QuickFIX's default (N) lets Nagle hold each answer
  until the next order arrives, which made its latency one send interval
  (about 1 ms at 1,000/s) and looked like a floor of the client.

The client is the same for all of them: our codec on asyncio. First one order
in flight at a time (latency without queueing), then open loop at a fixed rate
(orders sent on schedule, whatever the answers) for p50/p99, then closed loop
with a window of orders in flight for the maximum sustained rate.
Latency runs from just before the write to the parse of the ExecutionReport.
Also printed: the codec alone, simplefix against fix.codec, side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from threadcpu import thread_cpu  # noqa: E402 - bench/threadcpu.py, beside this script

from fix.codec import FixParser, encode  # noqa: E402
from fix.values import format_utc_timestamp  # noqa: E402

SERVER_ID = ("FIX.4.4", "GW", "BENCH")


# ---------------------------------------------------------------------- codec alone


def codec_bench(n: int) -> None:
    import simplefix

    from fix.codec import parse

    stamp = b"20261123-10:00:00.123"
    fields = [
        (35, b"D"),
        (49, b"BENCH"),
        (56, b"GW"),
        (34, b"12345"),
        (52, stamp),
        (50, b"bench"),
        (11, b"ORDER-000001"),
        (1, b"B1"),
        (55, b"AAPL"),
        (54, b"1"),
        (38, b"10"),
        (40, b"2"),
        (44, b"228.40"),
        (59, b"0"),
        (60, stamp),
        (21, b"1"),
    ]
    raw = encode(b"FIX.4.4", fields)

    def simplefix_encode() -> bytes:
        message = simplefix.FixMessage()
        message.append_pair(8, "FIX.4.4")
        for tag, value in fields:
            message.append_pair(tag, value)
        return bytes(message.encode())

    def simplefix_parse() -> object:
        parser = simplefix.FixParser()
        parser.append_buffer(raw)
        message = parser.get_message()
        return message.get(11), message.get(44)

    def ours_encode() -> bytes:
        return encode(b"FIX.4.4", fields)

    def ours_parse() -> object:
        message = parse(raw)
        return message.get(11), message.get(44)

    def per_op(fn: Callable[[], object]) -> float:
        for _ in range(1000):
            fn()
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best = min(best, (time.perf_counter() - start) / n)
        return best * 1e6

    assert simplefix_encode() == raw  # the same bytes either way
    se, sp, oe, op = (
        per_op(simplefix_encode),
        per_op(simplefix_parse),
        per_op(ours_encode),
        per_op(ours_parse),
    )
    print(f"codec, 16-tag NewOrderSingle ({len(raw)} bytes), best of 3 x {n}:")
    print(f"  encode  simplefix {se:6.1f} µs   fix.codec {oe:6.1f} µs   ({se / oe:.1f}x)")
    print(f"  parse   simplefix {sp:6.1f} µs   fix.codec {op:6.1f} µs   ({sp / op:.1f}x)")
    print(
        f"  a parse + encode per round trip caps one core at ~{1e6 / (sp + se):,.0f}/s with "
        f"simplefix, ~{1e6 / (op + oe):,.0f}/s with fix.codec"
    )


# ---------------------------------------------------------------------- servers


def _pin(cpu_index: int) -> str:
    try:
        cpu = cpu_index % (os.cpu_count() or 1)
        os.sched_setaffinity(0, {cpu})
        return f"CPU {cpu}"
    except (AttributeError, OSError):
        return "unpinned"


class AuditOnlyEntry:
    """OrderEntry that makes order.received and order.accepted durable, then accepts."""

    def __init__(self, audit: Any) -> None:
        self.audit = audit
        self.count = 0

    def subscribe(self, listener: Any) -> None:
        return None

    async def submit(self, order: Any) -> Any:
        from risk_controls import events as ev
        from risk_controls.entry import SubmitResult

        self.count += 1
        order_id = f"A{self.count}"
        self.audit.append(ev.ORDER_RECEIVED, ev.received_payload(order_id, order, None))
        ticket = self.audit.append(
            ev.ORDER_ACCEPTED, ev.accepted_payload(order_id, order, [], {}, [], "bench")
        )
        record = await ticket
        return SubmitResult(order_id, True, None, record.seq)

    async def cancel(self, request: Any) -> Any:
        raise NotImplementedError

    async def replace(self, request: Any) -> Any:
        raise NotImplementedError


async def serve_ours(mode: str, workdir: Path) -> None:
    from audit.factory import open_audit_log
    from fix.acceptor import FixAcceptor
    from fix.config import SessionSettings
    from fix.ids import SessionID
    from fix.journal import AuditJournal, null_journal
    from fix.store import MemoryStoreFile, SqliteStoreFile
    from gateway.fix_entry import FixOrderEntry

    session = SessionSettings(
        SessionID(*SERVER_ID), origin_session="bench", allowed_accounts=frozenset({"B1"})
    )
    gateway = None
    entry: Any
    if mode == "gateway":
        from gateway.app import build_gateway
        from gateway.bench import BENCH_POLICY
        from gateway.settings import Settings

        policy = workdir / "bench.toml"
        policy.write_text(BENCH_POLICY)
        gateway = build_gateway(
            Settings(data_dir=workdir, policy_path=policy, fix_config=None, watch_policy=False)
        )
        entry = gateway.pipeline
        audit = gateway.audit
    elif mode == "audit":
        audit = open_audit_log(f"sqlite:///{workdir / 'audit.db'}")
        entry = AuditOnlyEntry(audit)
    else:  # "nodisk": the FIX layer alone (memory audit, memory sequence store)
        audit = open_audit_log("memory://")
        entry = AuditOnlyEntry(audit)
    if os.environ.get("BENCH_AUDIT_LAZY") == "0" and hasattr(audit, "lazy_limit"):
        audit.lazy_limit = 0.0  # every record committed as soon as it can be: what laziness saves
    if os.environ.get("BENCH_WAL") == "writer" and getattr(audit, "wal", None) is not None:
        audit.wal.close()  # SQLite's own checkpoints, inside the commit that crosses 1,000 pages
        audit._raw.driver_connection.execute("PRAGMA wal_autocheckpoint = 1000")  # writer idle now
    adapter = FixOrderEntry(entry, [session])
    memory_store = mode == "nodisk" or os.environ.get("BENCH_FIX_STORE") == "memory"
    store: Any = MemoryStoreFile() if memory_store else SqliteStoreFile(workdir / "fix-sessions.sqlite")
    # as `gateway serve` journals it: every FIX message in and out becomes an audit record too
    wire_journal = os.environ.get("BENCH_FIX_JOURNAL", "1" if mode == "gateway" else "0") == "1"
    journal: Any = AuditJournal(audit) if wire_journal else null_journal
    acceptor = FixAcceptor([session], adapter, authenticator=lambda *a: True, store=store, journal=journal)
    adapter.attach(acceptor)
    await acceptor.start()
    if os.environ.get("BENCH_FIX_GC", "serve") == "serve":
        from gateway.heap import settle_heap

        settle_heap()  # as `gateway serve` does once it is up
    pauses = CollectorPauses()
    print(f"PORT {acceptor.port}", flush=True)
    cpu_start, loop_start = time.process_time(), time.thread_time()
    threads_start = thread_cpu()
    read_line = sys.stdin.readline
    while await asyncio.get_running_loop().run_in_executor(None, read_line):  # MARK, until EOF
        by_thread = " ".join(f"{name.split('_')[0]}={cpu}" for name, cpu in thread_cpu().items())
        print(
            f"MARK {time.process_time()} {len(adapter.orders)} {getattr(audit, 'commits', 0)} "
            f"{getattr(store, 'flushes', 0)} {by_thread}",
            flush=True,
        )
    loop_cpu = time.thread_time() - loop_start  # this coroutine runs on the event-loop thread
    threads = thread_cpu()
    cpu = time.process_time() - cpu_start
    await acceptor.stop()
    store.close()
    audit.flush(30)
    records = audit.head()[0]
    orders = len(adapter.orders)
    print(
        f"STATS cpu {cpu * 1e6 / max(orders, 1):.0f} µs per order (all threads; event loop "
        f"{loop_cpu * 1e6 / max(orders, 1):.0f}), "
        f"{orders} orders, audit records {records} in {getattr(audit, 'commits', 0)} commits, "
        f"FIX store commits {getattr(store, 'flushes', 0)}",
        flush=True,
    )
    print(f"STATS   {pauses.summary()}", flush=True)
    per_thread = sorted(
        ((name, cpu - threads_start.get(name, 0.0)) for name, cpu in threads.items()), key=lambda t: -t[1]
    )
    print(
        "STATS   by thread: "
        + ", ".join(f"{name} {cpu * 1e6 / max(orders, 1):.0f}" for name, cpu in per_thread if cpu > 0),
        flush=True,
    )
    if gateway is not None:
        gateway.close()
    else:
        audit.close()


class CollectorPauses:
    """CPU time of each garbage collection on the event-loop thread while the runs go (the
    interpreter stands still meanwhile: a long pass is a latency spike for every order)."""

    def __init__(self) -> None:
        import gc

        self.passes: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.passes.append(time.thread_time() - self._started)

    def summary(self) -> str:
        if not self.passes:
            return "collector: no passes"
        return (
            f"collector: {len(self.passes)} passes, {sum(self.passes) * 1e3:.1f} ms in all, "
            f"longest {max(self.passes) * 1e3:.2f} ms"
        )


def serve_quickfix(workdir: Path) -> None:
    import quickfix as qf

    from tests.fix.qf import data_dictionary, free_port

    port = free_port()
    config = workdir / "echo.cfg"
    config.write_text(
        "\n".join(
            [
                "[DEFAULT]",
                "ConnectionType=acceptor",
                f"SocketAcceptPort={port}",
                "SocketAcceptHost=127.0.0.1",
                "StartTime=00:00:00",
                "EndTime=00:00:00",
                "SocketNodelay=Y",  # QuickFIX's default is N: Nagle would hold each answer for the next order
                "UseDataDictionary=Y",
                f"DataDictionary={data_dictionary('FIX.4.4', workdir)}",
                "[SESSION]",
                "BeginString=FIX.4.4",
                "SenderCompID=GW",
                "TargetCompID=BENCH",
                "",
            ]
        )
    )

    class Echo(qf.Application):  # type: ignore[misc]
        counter = 0

        def onCreate(self, sid: Any) -> None: ...
        def onLogon(self, sid: Any) -> None: ...
        def onLogout(self, sid: Any) -> None: ...
        def toAdmin(self, m: Any, sid: Any) -> None: ...
        def fromAdmin(self, m: Any, sid: Any) -> None: ...
        def toApp(self, m: Any, sid: Any) -> None: ...

        def fromApp(self, message: Any, sid: Any) -> None:
            Echo.counter += 1
            report = qf.Message()
            report.getHeader().setField(qf.MsgType("8"))
            for tag, value in (
                (37, f"Q{Echo.counter}"),
                (17, f"QX{Echo.counter}"),
                (11, message.getField(11)),
                (150, "0"),
                (39, "0"),
                (55, message.getField(55)),
                (54, message.getField(54)),
                (151, message.getField(38)),
                (14, "0"),
                (6, "0"),
            ):
                report.setField(tag, value)
            qf.Session.sendToTarget(report, sid)

    settings = qf.SessionSettings(str(config))
    acceptor = qf.SocketAcceptor(Echo(), qf.MemoryStoreFactory(), settings)
    acceptor.start()
    print(f"PORT {port}", flush=True)
    for _ in sys.stdin:  # MARK: nothing of ours to count
        print("MARK -", flush=True)
    acceptor.stop(True)
    print(f"STATS answered={Echo.counter}", flush=True)


# ---------------------------------------------------------------------- client


@dataclass
class Client(asyncio.Protocol):
    parser: FixParser = field(default_factory=FixParser)
    transport: asyncio.Transport | None = None
    seq: int = 0
    sent_at: dict[bytes, int] = field(default_factory=dict)
    latencies: list[int] = field(default_factory=list)
    logged_on: asyncio.Event = field(default_factory=asyncio.Event)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0
    rejects: int = 0
    on_answer: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        self.parser.feed(data)
        while (message := self.parser.next_message()) is not None:
            msg_type = message.msg_type
            if msg_type == b"8":
                sent = self.sent_at.pop(message.get(11) or b"", None)
                if message.get(150) != b"0":
                    self.rejects += 1
                if sent is not None:
                    self.latencies.append(now - sent)
                    if self.on_answer is not None:
                        self.on_answer()
                    if len(self.latencies) >= self.expected:
                        self.answered.set()
            elif msg_type == b"A":
                self.logged_on.set()
            elif msg_type == b"1":
                self._send([(35, b"0"), *self._header(), (112, message.get(112) or b"")])
            elif msg_type in (b"3", b"j", b"5"):
                print("  server said:", message)

    def _header(self) -> list[tuple[int, bytes]]:
        self.seq += 1
        stamp = format_utc_timestamp(datetime.now(UTC), 3)
        return [(49, b"BENCH"), (56, b"GW"), (34, b"%d" % self.seq), (52, stamp)]

    def _send(self, fields: list[tuple[int, bytes]]) -> None:
        assert self.transport is not None
        self.transport.write(encode(b"FIX.4.4", fields))

    def logon(self) -> None:
        self._send([(35, b"A"), *self._header(), (98, b"0"), (108, b"30"), (141, b"Y")])

    def order(self, cl_ord_id: bytes) -> None:
        header = self._header()
        fields = [
            (35, b"D"),
            *header,
            (50, b"bench"),
            (11, cl_ord_id),
            (1, b"B1"),
            (55, b"AAPL"),
            (54, b"1"),
            (38, b"10"),
            (40, b"2"),
            (44, b"228.40"),
            (59, b"0"),
            (60, header[3][1]),
        ]
        self.sent_at[cl_ord_id] = time.perf_counter_ns()
        self._send(fields)


@dataclass
class Measured:
    """One run's figures: orders per second (sent, or sustained when closed loop), latency in µs."""

    label: str
    rate: float
    p50: float
    p99: float
    worst: float
    client_lag_ms: float | None = None
    server: str = ""
    """The server's CPU and fsyncs (commits) per order during this run, where it counts them."""


def pct(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] / 1000.0


async def open_loop(client: Client, tag: str, rate: int, seconds: float) -> Measured:
    n = int(rate * seconds)
    client.latencies.clear()
    client.answered.clear()
    client.expected = n
    start = time.perf_counter()
    sent = 0
    max_lag = 0.0
    while sent < n:
        now = time.perf_counter()
        due = min(n, int((now - start) * rate) + 1)
        if due > sent:
            max_lag = max(max_lag, now - (start + sent / rate))
        while sent < due:
            client.order(b"%s-%d-%d" % (tag.encode(), rate, sent))
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
    send_span = time.perf_counter() - start
    await asyncio.wait_for(client.answered.wait(), 60)
    lat = client.latencies
    return Measured(
        f"open loop {rate:>5,}/s x {n:>6,}",
        n / send_span,
        pct(lat, 0.50),
        pct(lat, 0.99),
        max(lat) / 1000,
        max_lag * 1000,
    )


async def closed_loop(client: Client, tag: str, n: int, window: int) -> Measured:
    client.latencies.clear()
    client.answered.clear()
    client.expected = n
    next_id = 0

    def refill() -> None:
        nonlocal next_id
        while next_id < n and len(client.sent_at) < window:
            client.order(b"%s-w%d-%d" % (tag.encode(), window, next_id))
            next_id += 1

    client.on_answer = refill
    start = time.perf_counter()
    refill()
    await asyncio.wait_for(client.answered.wait(), 120)
    elapsed = time.perf_counter() - start
    client.on_answer = None
    lat = client.latencies
    label = f"closed loop, {window:>2} in flight x {n:>6,}"
    return Measured(label, n / elapsed, pct(lat, 0.50), pct(lat, 0.99), max(lat) / 1000)


@dataclass
class Mark:
    """The server's counters at one moment: [cpu seconds, orders, audit commits, store
    commits], and CPU seconds by thread name (numbered pool threads summed)."""

    counters: list[float]
    threads: dict[str, float]


def _per_order(before: Mark | None, after: Mark | None) -> str:
    """CPU (in all and by thread) and commits per order between two marks."""
    if before is None or after is None or after.counters[1] <= before.counters[1]:
        return ""
    b, a = before.counters, after.counters
    orders = a[1] - b[1]
    cpu, audit, store = ((a[i] - b[i]) / orders for i in (0, 2, 3))
    split = ", ".join(
        f"{name} {(used - before.threads.get(name, 0.0)) * 1e6 / orders:.0f}"
        for name, used in sorted(after.threads.items(), key=lambda t: t[0])
        if used - before.threads.get(name, 0.0) > 0
    )
    return (
        f"server cpu {cpu * 1e6:.0f} µs ({split}), "
        f"commits {audit:.2f} audit + {store:.2f} FIX store per order"
    )


async def drive(
    port: int,
    tag: str,
    rates: list[int],
    seconds: float,
    n_closed: int,
    mark: Callable[[], Mark | None],
) -> list[Measured]:
    loop = asyncio.get_running_loop()
    client = Client()
    await loop.create_connection(lambda: client, "127.0.0.1", port)
    client.logon()
    await asyncio.wait_for(client.logged_on.wait(), 10)
    client.expected = 500
    for i in range(500):  # warm up
        client.order(b"%s-warm-%d" % (tag.encode(), i))
        if i % 20 == 19:
            await asyncio.sleep(0.005)
    await asyncio.wait_for(client.answered.wait(), 30)
    runs: list[Measured] = []
    before = mark()
    for phase in (
        lambda: closed_loop(client, tag, 1000, 1),  # latency without queueing
        *(lambda rate=rate: open_loop(client, tag, rate, seconds) for rate in rates),
        lambda: closed_loop(client, tag, n_closed, 64),
    ):
        measured = await phase()
        after = mark()
        measured.server = _per_order(before, after)
        runs.append(measured)
        before = after
    if client.rejects:
        print(f"  !! {tag}: {client.rejects} reports were not ExecType New", flush=True)
    assert client.transport is not None
    client.transport.close()
    return runs


LABELS = {
    "gateway": "our acceptor + real pipeline (chain, MiFID, abuse, sim venue) + SQLite audit + wire journal",
    "audit": "our acceptor + FIX adapter + durable SQLite audit only (no risk chain)",
    "quickfix": "QuickFIX 1.15 (C++) acceptor that only answers",
    "nodisk": "our acceptor + FIX adapter, nothing durable (memory audit and store)",
}


def run_server(mode: str, rates: list[int], seconds: float, n_closed: int) -> tuple[list[Measured], str]:
    """One fresh server process of ``mode``: its runs, and what it said of its CPU."""
    with tempfile.TemporaryDirectory(prefix="bench-fix-") as tmp:
        wrapper = shlex.split(os.environ.get("BENCH_SERVER_WRAPPER", ""))  # e.g. "perf record -g --"
        server = subprocess.Popen(
            [*wrapper, sys.executable, __file__, "--serve", mode, "--dir", tmp],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert server.stdout is not None and server.stdin is not None
        line = server.stdout.readline()
        while wrapper and line and not line.startswith("PORT "):  # a profiler's own chatter
            line = server.stdout.readline()
        if not line.startswith("PORT "):
            server.kill()
            raise RuntimeError(f"server {mode} did not start: {line!r}")
        port = int(line.split()[1])
        stdin, stdout = server.stdin, server.stdout

        def mark() -> Mark | None:
            """The server's counters now (between runs, so blocking here costs nothing)."""
            stdin.write("MARK\n")
            stdin.flush()
            said = stdout.readline().split()
            if len(said) < 5:
                return None
            threads: dict[str, float] = {}
            for item in said[5:]:
                name, _, cpu = item.partition("=")
                threads[name] = threads.get(name, 0.0) + float(cpu)
            return Mark([float(x) for x in said[1:5]], threads)

        try:
            runs = asyncio.run(drive(port, mode, rates, seconds, n_closed, mark))
        finally:
            server.stdin.close()
            stats = server.stdout.read().strip()
            server.wait(30)
    return runs, stats.replace("STATS ", "")


def _spread(values: list[float], fmt: str) -> str:
    """The median, and the range when there is more than one value."""
    middle = format(statistics.median(values), fmt)
    if len(values) == 1:
        return middle
    return f"{middle} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def report(mode: str, rounds: list[list[Measured]], stats: list[str]) -> None:
    """Each run's medians across the rounds (fresh server processes), with their range."""
    print(f"{mode}: {LABELS[mode]}")
    for i, first in enumerate(rounds[0]):
        same = [r[i] for r in rounds]
        rate = _spread([m.rate for m in same], ",.0f")  # closed loop: what the server sustained
        latency = (
            f"p50 {_spread([m.p50 for m in same], '.0f')} µs  p99 {_spread([m.p99 for m in same], '.0f')} µs"
            f"  max {_spread([m.worst for m in same], '.0f')} µs"
        )
        if first.client_lag_ms is None:
            print(f"  {first.label}: {rate} orders/s sustained  {latency}")
        else:
            lag = max(m.client_lag_ms or 0.0 for m in same)
            sent = statistics.median(m.rate for m in same)
            print(f"  {first.label}: {latency}  (sent at {sent:,.0f}/s, client lag max {lag:.1f} ms)")
        if first.server:
            print(f"      {first.server}" + (" (first round)" if len(rounds) > 1 else ""))
    for line in stats:
        if line:
            print("  server:", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", choices=["gateway", "audit", "nodisk", "quickfix"])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--servers", default="gateway,audit,quickfix")
    parser.add_argument("--rates", default="1000,2000,5000")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--closed", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=1, help="fresh server processes per server, in turn; medians printed"
    )
    parser.add_argument("--no-pin", action="store_true", help="let the OS place both processes")
    parser.add_argument(
        "--gc",
        choices=["serve", "default"],
        default="serve",
        help="serve: the servers settle their heap as `gateway serve` does (gateway.heap); "
        "default: Python's collector settings, for comparison",
    )
    args = parser.parse_args()
    if args.serve:
        if os.environ.get("BENCH_SWITCH_INTERVAL"):  # the interpreter's GIL hand-over interval, seconds
            sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
        where = "unpinned" if os.environ.get("BENCH_FIX_NO_PIN") else _pin(0)
        sys.stderr.write(f"server {args.serve} on {where}\n")
        if args.serve == "quickfix":
            serve_quickfix(args.dir)
        else:
            if os.environ.get("BENCH_LOOP") == "uvloop":
                import uvloop

                uvloop.run(serve_ours(args.serve, args.dir))
            else:
                asyncio.run(serve_ours(args.serve, args.dir))
        return
    if args.quick:
        args.seconds, args.closed = 1.0, 3000
    if args.no_pin:
        os.environ["BENCH_FIX_NO_PIN"] = "1"
    os.environ["BENCH_FIX_GC"] = args.gc
    client_cpu = "unpinned" if args.no_pin else _pin(1)
    print(
        f"bench_fix: client on {client_cpu}, server on the other core; "
        f"{os.cpu_count()} CPUs; one run on a shared machine"
    )
    codec_bench(20_000 if not args.quick else 5_000)
    rates = [int(r) for r in args.rates.split(",")]
    modes = args.servers.split(",")
    results: dict[str, list[list[Measured]]] = {mode: [] for mode in modes}
    stats: dict[str, list[str]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):  # servers in turn, so a slow spell of the machine hits each of them
        for mode in modes:
            runs, said = run_server(mode, rates, args.seconds, args.closed)
            results[mode].append(runs)
            stats[mode].append(said)
    if args.rounds > 1:
        print(f"medians across {args.rounds} fresh server processes each (min-max):")
    for mode in modes:
        report(mode, results[mode], stats[mode])


if __name__ == "__main__":
    main()
