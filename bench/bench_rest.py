"""REST API benchmark: order-submission throughput and latency, kill-switch latency, mass cancel.

    .venv/bin/python bench/bench_rest.py [--seconds 5] [--connections 16] [--rounds 5]

One server process (one worker, one event loop, httptools, no access log;
the asyncio loop as ``gateway serve`` runs it, or ``--loop uvloop``) serves on
three ports, with the same uvicorn settings as ``gateway serve``:

* the gateway's REST API over the real pipeline (durable SQLite audit log,
  simulated venue, a bench policy whose limits do not get in the way);
* a *bare* FastAPI endpoint that only validates the same order body against the
  same pydantic model and echoes it back: the ceiling for this server stack;
* a bench-only control port (populate working orders, strategy probe, watches).

``BENCH_AUDIT=memory`` swaps the durable store for the in-memory log, to show
what durability costs. The load generator runs in this process on raw asyncio sockets over loopback
(HTTP/1.1 keep-alive, N connections each with one request in flight), so that
client cost stays small next to the server's. Figures printed:

1. throughput and p50/p99 of POST /v1/orders against the gateway and against
   the bare endpoint, interleaved (bare, gateway, bare, gateway) in one run;
   target: gateway >= 50% of bare, p99 <= 10 ms;
2. kill-switch latency: from sending the engage request (firm, HALT) to the
   first order denied with KILL_SWITCH_ENGAGED at each entry point, with
   orders flowing back-to-back at every one of them: REST (this process),
   FIX (a FIX 4.4 session to the gateway's acceptor, simplefix client in this
   process) and strategy (a task in the server submitting through the same
   pipeline as a strategy does); target <= 10 ms;
3. time to cancel 10,000 working orders: from the engage request until every
   one is cancelled at the venue, and until every cancellation is durable in
   the audit log; target <= 1 s.

Times across the two processes use CLOCK_MONOTONIC (time.monotonic_ns), which
is system-wide on Linux. One run on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402 - after the path set-up, for running from a checkout
from threadcpu import thread_cpu  # noqa: E402 - bench/threadcpu.py, beside this script

from audit.memory import MemoryAuditLog  # noqa: E402
from gateway.api.schemas.orders import OrderIn  # noqa: E402

ACCOUNT = "B1"
USER = "bench"
STRATEGY = "bench-strat"
FIX_SENDER, FIX_TARGET, FIX_PASSWORD = "BENCHDESK", "GW", "bench-secret"

BENCH_POLICY = f"""
version = "bench-rest"
[fx_rates]
USD = "1"
[firm]
id = "BENCH"
name = "Bench"
lei = "FOR8UP27PHTHYVLBNG30"
max_daily_notional = "1000000000000000"
max_gross_exposure = "1000000000000000"
[firm.trading_hours]
weekdays = [0, 1, 2, 3, 4, 5, 6]
[firm.session_throttle]
max_messages = 100000000
[firm.duplicate]
window_ms = 1
max_count = 100000000
[[accounts]]
id = "{ACCOUNT}"
authorized_users = ["{USER}"]
authorized_sessions = ["rest", "strategies", "FIXBENCH"]
authorized_strategies = ["{STRATEGY}"]
max_order_quantity = "1000000"
max_order_notional = "1000000000"
max_daily_notional = "1000000000000000"
max_gross_exposure = "1000000000000000"
max_position = "1000000000000"
max_daily_orders = 1000000000
throttle = {{ max_messages = 100000000 }}
[accounts.mifid]
client_id = "HWUPKR0MPOU8FGXBT394"
client_id_type = "LEI"
capacity = "AOTC"
[[traders]]
id = "{USER}"
[traders.mifid]
investment_decision = "BENCH1"
investment_decision_type = "PERSON"
execution_decision = "BENCH1"
execution_decision_type = "PERSON"
[[strategies]]
id = "{STRATEGY}"
algo_id = "ALGO-BENCH-1"
[abuse.layering]
min_orders = 100000000
[abuse.momentum]
max_aggressive_orders = 100000000
"""


def price(i: int) -> str:
    """Resting buy prices 220.00-228.00: never cross the book (ask ~228.51) nor each other."""
    return f"{220 + (i % 800) / 100:.2f}"


def order_json(cl_ord_id: str, i: int, tif: str = "DAY") -> bytes:
    """A resting buy (DAY), or with ``tif="IOC"`` one the venue cancels at once (the book stays empty)."""
    return (
        b'{"cl_ord_id":"%s","account":"' % cl_ord_id.encode()
        + ACCOUNT.encode()
        + b'","symbol":"AAPL","side":"BUY","quantity":"%d","ord_type":"LIMIT","tif":"%s","limit_price":"%s"}'
        % (1 + i % 50, tif.encode(), price(i).encode())
    )


# =============================== server process ===============================


def bare_app() -> FastAPI:
    """The ceiling: validate the same body with the same model, echo it back."""
    bare = FastAPI()

    @bare.post("/v1/orders", status_code=201)
    async def echo(body: OrderIn) -> OrderIn:
        return body

    return bare


def serve_child(conn: Connection, workdir: str, loop: str) -> None:
    if os.environ.get("BENCH_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    if loop == "uvloop":
        import uvloop

        uvloop.run(_serve(conn, Path(workdir), with_fix=False))
    else:
        asyncio.run(_serve(conn, Path(workdir), with_fix=True))


async def _serve(conn: Connection, workdir: Path, with_fix: bool) -> None:
    from gateway.api.app import create_app
    from gateway.api.server import serve_app
    from gateway.app import build_gateway
    from gateway.heap import settle_heap
    from gateway.settings import Settings

    policy = workdir / "bench.toml"
    policy.write_text(BENCH_POLICY)
    settings = Settings(data_dir=workdir / "data", policy_path=policy, fix_config=None, watch_policy=False)
    # the embedded default store: SQLite, WAL, synchronous=FULL (or in memory, to isolate its cost)
    audit = MemoryAuditLog() if os.environ.get("BENCH_AUDIT") == "memory" else None
    gateway = build_gateway(settings, audit=audit)
    api = create_app(gateway)
    rest_server = await serve_app(api, "127.0.0.1", 0)
    bare_server = await serve_app(bare_app(), "127.0.0.1", 0)
    control_server = await serve_app(_control_app(gateway), "127.0.0.1", 0)
    fix_port = await _start_fix(gateway) if with_fix else None
    settle_heap()  # as `gateway serve` does once it is up
    conn.send(
        {
            "rest": rest_server.port,
            "bare": bare_server.port,
            "control": control_server.port,
            "fix": fix_port,
            "pid": os.getpid(),
        }
    )
    await asyncio.Event().wait()


async def _start_fix(gateway: Any) -> int | None:
    try:
        from fix.acceptor import FixAcceptor
        from fix.config import SessionSettings
        from fix.ids import SessionID
        from gateway.fix_entry import FixOrderEntry
    except ImportError:
        return None
    session = SessionSettings(
        SessionID("FIX.4.4", FIX_TARGET, FIX_SENDER),
        origin_session="FIXBENCH",
        allowed_accounts=frozenset({ACCOUNT}),
        default_account=ACCOUNT,
        validate_fields=False,
    )
    adapter = FixOrderEntry(gateway.pipeline, [session], working_orders=gateway.pipeline)

    def authenticate(session_id: str, user: str | None, password: str | None, peer: str | None) -> bool:
        return password == FIX_PASSWORD

    acceptor = FixAcceptor([session], adapter, authenticator=authenticate)
    adapter.attach(acceptor)
    await acceptor.start()
    return int(acceptor.port)


def _control_app(gateway: Any) -> Any:  # noqa: C901 - one small closure per bench-only endpoint
    """Bench-only endpoints on their own port: never part of the product's API."""
    from fastapi import FastAPI

    from risk_controls.domain import Channel, DenyCode, NewOrder, OrderOrigin, OrdType, Side, TimeInForce

    control = FastAPI()
    results: dict[str, Any] = {}
    tasks: set[asyncio.Task[None]] = set()
    counter = iter(range(10**9))

    def new_order(origin: OrderOrigin, prefix: str, tif: TimeInForce = TimeInForce.DAY) -> NewOrder:
        i = next(counter)
        return NewOrder(
            f"{prefix}-{i}",
            ACCOUNT,
            "AAPL",
            Side.BUY,
            Decimal(1 + i % 50),
            OrdType.LIMIT,
            tif,
            origin,
            limit_price=Decimal(price(i)),
        )

    @control.post("/populate/{n}")
    async def populate(n: int) -> dict[str, int]:
        origin = OrderOrigin(Channel.REST, "rest", USER)
        pipeline = gateway.pipeline
        for start in range(0, n, 256):
            batch = [pipeline.submit(new_order(origin, "pop")) for _ in range(min(256, n - start))]
            await asyncio.gather(*batch)
        return {"working": len(pipeline.working_orders())}

    @control.post("/pipeline-rate/{seconds}/{concurrency}")
    async def pipeline_rate(seconds: float, concurrency: int) -> dict[str, float]:
        """The pipeline alone, same process and store: what REST adds is the rest."""
        origin = OrderOrigin(Channel.REST, "rest", USER)
        latencies: list[int] = []
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter_ns()
                await gateway.pipeline.submit(new_order(origin, "pipe"))
                latencies.append(time.perf_counter_ns() - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        latencies.sort()
        return {
            "rate": len(latencies) / seconds,
            "p50_ms": latencies[len(latencies) // 2] / 1e6,
            "p99_ms": latencies[int(len(latencies) * 0.99)] / 1e6,
        }

    @control.get("/working")
    async def working() -> dict[str, int]:
        return {"working": len(gateway.pipeline.working_orders())}

    @control.post("/watch-cancel")
    async def watch_cancel() -> dict[str, bool]:
        results.pop("all_cancelled_ns", None)
        results.pop("durable_ns", None)

        async def watch() -> None:
            pipeline = gateway.pipeline
            while pipeline.working_orders():
                await asyncio.sleep(0.0005)
            results["all_cancelled_ns"] = time.monotonic_ns()
            await asyncio.to_thread(gateway.audit.flush, 30)
            results["durable_ns"] = time.monotonic_ns()

        task = asyncio.create_task(watch())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return {"watching": True}

    @control.post("/strategy-probe")
    async def strategy_probe() -> dict[str, bool]:
        results.pop("strategy_denied_ns", None)
        origin = OrderOrigin(Channel.STRATEGY, "strategies", USER, STRATEGY)

        async def probe() -> None:
            sent = 0
            while sent < 1_000_000:
                result = await gateway.pipeline.submit(new_order(origin, "strat", TimeInForce.IOC))
                sent += 1
                if result.denial is not None and result.denial.code is DenyCode.KILL_SWITCH_ENGAGED:
                    results["strategy_denied_ns"] = time.monotonic_ns()
                    results["strategy_orders"] = sent
                    return
                await asyncio.sleep(0)

        task = asyncio.create_task(probe())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return {"started": True}

    @control.get("/results")
    async def get_results() -> dict[str, Any]:
        return dict(results)

    @control.get("/cpu")
    async def get_cpu() -> dict[str, float]:
        cpu = thread_cpu()
        # the audit log's records and commits, where durability's cost is shared
        cpu["~records"] = float(gateway.audit.head()[0])
        cpu["~commits"] = float(getattr(gateway.audit, "commits", 0))
        return cpu

    return control


async def server_cpu(ports: dict[str, Any]) -> dict[str, float]:
    control = await Http.open(ports["control"])
    _, body = await control.request("GET", "/cpu")
    control.close()
    return dict(json.loads(body))


# =============================== load generator ===============================


class Http:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader, self.writer, self.port = reader, writer, port

    @classmethod
    async def open(cls, port: int) -> Http:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def request(
        self, method: str, path: str, body: bytes = b"", token: str | None = None
    ) -> tuple[int, bytes]:
        auth = f"authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{self.port}\r\n{auth}"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        data = head.encode() + body
        if self.reader.at_eof():  # the server closed this keep-alive connection while idle
            await self._reopen()
        self.writer.write(data)
        try:
            return await self.response()
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            # closed idle (uvicorn's keep-alive timeout) before it read the request: resend
            await self._reopen()
            self.writer.write(data)
            return await self.response()

    async def _reopen(self) -> None:
        self.writer.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        self.writer.close()


@dataclass
class Run:
    label: str
    seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    completed: int = 0
    """Requests answered, warm-up included (for CPU per request)."""
    cpu_by_thread: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies_ns) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] / 1e6 if ordered else float("nan")

    def line(self) -> str:
        codes = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return (
            f"  {self.label:<28} {self.rate:8,.0f} req/s   p50 {self.pct(0.50):6.2f} ms   "
            f"p99 {self.pct(0.99):6.2f} ms   n={len(self.latencies_ns):,}  [{codes}]"
        )


async def load(
    label: str, port: int, token: str, prefix: str, connections: int, seconds: float, warmup: float
) -> Run:
    run = Run(label)
    counter = iter(range(10**9))
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def worker() -> None:
        conn = await Http.open(port)
        try:
            while True:
                i = next(counter)
                body = order_json(f"{prefix}-{i}", i)
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                status, _ = await conn.request("POST", "/v1/orders", body, token)
                t1 = time.perf_counter()
                run.completed += 1
                if t0 >= measure_from:
                    run.latencies_ns.append(int((t1 - t0) * 1e9))
                    run.statuses[status] += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    run.seconds = seconds
    return run


# =============================== FIX client (simplefix) ===============================


class FixClient:
    """Just enough FIX 4.4 initiator for the kill-switch probe: logon, orders, reports."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import simplefix

        self.reader, self.writer = reader, writer
        self.parser = simplefix.FixParser()
        self.seq = 0

    @classmethod
    async def logon(cls, port: int) -> FixClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        client.send("A", [(98, "0"), (108, "30"), (141, "Y"), (553, USER), (554, FIX_PASSWORD)])
        reply = await client.receive()
        if reply.get(35) != "A":
            raise RuntimeError(f"FIX logon refused: {reply}")
        return client

    def send(self, msg_type: str, body: list[tuple[int, str]]) -> None:
        import simplefix

        self.seq += 1
        message = simplefix.FixMessage()
        message.append_pair(8, "FIX.4.4")
        message.append_pair(35, msg_type)
        message.append_pair(49, FIX_SENDER)
        message.append_pair(56, FIX_TARGET)
        message.append_pair(34, str(self.seq))
        message.append_pair(50, USER)
        message.append_utc_timestamp(52, precision=6)
        for tag, value in body:
            message.append_pair(tag, value)
        self.writer.write(message.encode())

    async def receive(self) -> dict[int, str]:
        while True:
            message = self.parser.get_message()
            if message is not None:
                return {int(tag): value.decode() for tag, value in message.pairs}
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("FIX session closed")
            self.parser.append_buffer(data)

    def new_order(self, cl_ord_id: str, i: int) -> None:
        self.send(
            "D",
            [
                (11, cl_ord_id),
                (1, ACCOUNT),
                (55, "AAPL"),
                (54, "1"),
                (38, str(1 + i % 50)),
                (40, "2"),
                (44, price(i)),
                (59, "3"),  # IOC: cancelled by the venue at once, the book stays empty
                (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())),
            ],
        )

    async def report_for(self, cl_ord_id: str) -> dict[int, str]:
        while True:
            message = await self.receive()
            if (
                message.get(35) == "8"
                and message.get(11) == cl_ord_id
                and message.get(150) in ("0", "4", "8")
            ):
                return message
            if message.get(35) in ("3", "j"):
                raise RuntimeError(f"FIX reject: {message}")

    def close(self) -> None:
        self.writer.close()


# =============================== scenarios ===============================


async def until_kill_denied_rest(port: int, token: str, prefix: str) -> tuple[int, int]:
    conn = await Http.open(port)
    sent = 0
    try:
        while True:
            status, body = await conn.request(
                "POST", "/v1/orders", order_json(f"{prefix}-{sent}", sent, tif="IOC"), token
            )
            sent += 1
            if status == 422 and b"KILL_SWITCH_ENGAGED" in body:
                return time.monotonic_ns(), sent
    finally:
        conn.close()


async def until_kill_denied_fix(client: FixClient, prefix: str) -> tuple[int, int]:
    sent = 0
    while True:
        cl_ord_id = f"{prefix}-{sent}"
        client.new_order(cl_ord_id, sent)
        report = await client.report_for(cl_ord_id)
        sent += 1
        if report.get(150) == "8" and "KILL_SWITCH_ENGAGED" in report.get(58, ""):
            return time.monotonic_ns(), sent


async def kill_round(
    ports: dict[str, Any], token: str, risk_token: str, fix: FixClient | None, n: int
) -> dict[str, float]:
    control = await Http.open(ports["control"])
    risk = await Http.open(ports["rest"])
    rest_probe = asyncio.create_task(until_kill_denied_rest(ports["rest"], token, f"kr{n}"))
    fix_probe = asyncio.create_task(until_kill_denied_fix(fix, f"kf{n}")) if fix else None
    await control.request("POST", "/strategy-probe")
    await asyncio.sleep(0.3)  # every probe has orders flowing
    engage = json.dumps({"scope": "firm", "reason": f"bench round {n}", "mode": "HALT"}).encode()
    t0 = time.monotonic_ns()
    status, _ = await risk.request("POST", "/v1/kill-switch/engage", engage, risk_token)
    t_engaged = time.monotonic_ns()
    assert status == 200, status
    out = {"engage response": (t_engaged - t0) / 1e6}
    t_rest, _ = await asyncio.wait_for(rest_probe, 10)
    out["REST"] = (t_rest - t0) / 1e6
    if fix_probe is not None:
        t_fix, _ = await asyncio.wait_for(fix_probe, 10)
        out["FIX"] = (t_fix - t0) / 1e6
    for _ in range(1000):
        _, body = await control.request("GET", "/results")
        found = json.loads(body).get("strategy_denied_ns")
        if found:
            out["strategy"] = (found - t0) / 1e6
            break
        await asyncio.sleep(0.01)
    release = json.dumps({"scope": "firm", "reason": "bench round over"}).encode()
    status, _ = await risk.request("POST", "/v1/kill-switch/release", release, risk_token)
    assert status == 200, status
    control.close()
    risk.close()
    return out


async def mass_cancel(ports: dict[str, Any], risk_token: str, count: int) -> dict[str, float]:
    control = await Http.open(ports["control"])
    risk = await Http.open(ports["rest"])
    _, body = await control.request("POST", f"/populate/{count}")
    working = json.loads(body)["working"]
    await control.request("POST", "/watch-cancel")
    engage = json.dumps({"scope": "firm", "reason": "bench mass cancel"}).encode()
    t0 = time.monotonic_ns()
    status, reply = await risk.request("POST", "/v1/kill-switch/engage", engage, risk_token)
    t_reply = time.monotonic_ns()
    assert status == 200, reply
    cancelled = json.loads(reply)["cancelled"]
    results: dict[str, Any] = {}
    for _ in range(3000):
        _, body = await control.request("GET", "/results")
        results = json.loads(body)
        if "durable_ns" in results:
            break
        await asyncio.sleep(0.01)
    release = json.dumps({"scope": "firm", "reason": "bench mass cancel over"}).encode()
    await risk.request("POST", "/v1/kill-switch/release", release, risk_token)
    control.close()
    risk.close()
    return {
        "working": working,
        "cancelled": cancelled,
        "engage response ms": (t_reply - t0) / 1e6,
        "all cancelled ms": (results["all_cancelled_ns"] - t0) / 1e6,
        "all durable ms": (results["durable_ns"] - t0) / 1e6,
    }


def tokens(data_dir: Path) -> tuple[str, str]:
    from gateway.api.client import mint_token
    from gateway.api.config import ApiConfig
    from gateway.api.tokens import Role

    config = ApiConfig.for_data_dir(data_dir)
    trader = mint_token(config, USER, [Role.TRADER], [ACCOUNT], 3600)
    risk = mint_token(config, "bench-risk", [Role.RISK_OFFICER], [], 3600)
    return trader, risk


async def main_async(args: argparse.Namespace, ports: dict[str, Any], data_dir: Path) -> None:
    trader, risk = tokens(data_dir)
    out = sys.stdout
    print(
        f"REST order submission, server loop {args.loop} + httptools, one worker; "
        f"{args.connections} connections, one request in flight each, "
        f"{args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up per run",
        file=out,
    )
    runs: list[tuple[Run, Run]] = []
    for n in range(args.pairs):
        bare = await load(
            "bare FastAPI echo", ports["bare"], trader, f"e{n}", args.connections, args.seconds, args.warmup
        )
        print(bare.line(), file=out, flush=True)
        before = await server_cpu(ports)
        rest = await load(
            "gateway POST /v1/orders",
            ports["rest"],
            trader,
            f"g{n}",
            args.connections,
            args.seconds,
            args.warmup,
        )
        after = await server_cpu(ports)
        rest.cpu_by_thread = {name: cpu - before.get(name, 0.0) for name, cpu in after.items()}
        print(rest.line(), file=out, flush=True)
        runs.append((bare, rest))
    bare_rate = sum(b.rate for b, _ in runs) / len(runs)
    rest_rate = sum(r.rate for _, r in runs) / len(runs)
    rest_p99 = max(r.pct(0.99) for _, r in runs)
    pair_ratios = [r.rate / b.rate for b, r in runs]
    print(
        f"  gateway / bare throughput: {rest_rate / bare_rate:.0%} (target >= 50%); "
        f"gateway p99 {rest_p99:.2f} ms (target <= 10 ms)",
        file=out,
    )
    print(  # the machine's pace drifts within a run: each pair's own ratio, and their median
        "  each pair: "
        + ", ".join(f"{ratio:.0%}" for ratio in pair_ratios)
        + f"; median {statistics.median(pair_ratios):.0%}",
        file=out,
    )
    last = runs[-1][1]
    counts = {name: last.cpu_by_thread.pop(name, 0.0) for name in ("~records", "~commits")}
    print(
        "  server CPU per gateway request, by thread (last run, µs): "
        + ", ".join(
            f"{name} {cpu * 1e6 / max(last.completed, 1):.0f}"
            for name, cpu in sorted(last.cpu_by_thread.items(), key=lambda t: -t[1])
            if cpu > 0
        )
        + f"; audit records {counts['~records'] / max(last.completed, 1):.1f} per request, "
        f"{counts['~records'] / max(counts['~commits'], 1):.1f} per commit",
        file=out,
    )
    control = await Http.open(ports["control"])
    _, body = await control.request("POST", f"/pipeline-rate/{args.seconds}/{args.connections}")
    control.close()
    alone = json.loads(body)
    print(
        f"  {'pipeline alone (in server)':<28} {alone['rate']:8,.0f} orders/s "
        f"p50 {alone['p50_ms']:6.2f} ms   p99 {alone['p99_ms']:6.2f} ms   "
        f"({args.connections} concurrent submits, no HTTP)",
        file=out,
    )
    print("one connection (latency without queueing):", file=out)
    for label, port in (("bare FastAPI echo", ports["bare"]), ("gateway POST /v1/orders", ports["rest"])):
        single = await load(label, port, trader, f"s{port}", 1, args.seconds, args.warmup)
        print(single.line(), file=out, flush=True)

    # clear the book the throughput runs left behind (also a large mass cancel)
    control = await Http.open(ports["control"])
    _, body = await control.request("GET", "/working")
    control.close()
    print(f"\nclearing {json.loads(body)['working']:,} working orders left by the throughput runs", file=out)
    cleared = await mass_cancel(ports, risk, 0)
    print(
        f"  {cleared['cancelled']:,} cancelled; engage answered in {cleared['engage response ms']:.1f} ms",
        file=out,
    )

    fix = await FixClient.logon(ports["fix"]) if ports.get("fix") else None
    print(
        f"\nkill-switch latency, engage request -> first order denied KILL_SWITCH_ENGAGED "
        f"({args.rounds} rounds; IOC orders flowing back-to-back at each entry point, so the book "
        "is empty and the engage has next to nothing to cancel):",
        file=out,
    )
    if fix is None:
        print("  FIX: not measured (gateway.fix_entry unavailable, or --loop uvloop)", file=out)
    rounds = [await kill_round(ports, trader, risk, fix, n) for n in range(args.rounds)]
    for name in ("engage response", "REST", "FIX", "strategy"):
        values = [r[name] for r in rounds if name in r]
        if values:
            print(
                f"  {name:<16} median {statistics.median(values):6.2f} ms   max {max(values):6.2f} ms",
                file=out,
            )
    if fix is not None:
        fix.close()

    print(f"\ncancel {args.cancel:,} working orders with one firm-wide engage (target <= 1 s):", file=out)
    result = await mass_cancel(ports, risk, args.cancel)
    print(
        f"  working {result['working']:,}  cancelled {result['cancelled']:,}  "
        f"engage answered {result['engage response ms']:.1f} ms  "
        f"all cancelled at the venue {result['all cancelled ms']:.1f} ms  "
        f"all cancellations durable {result['all durable ms']:.1f} ms",
        file=out,
    )
    print("(one run on a shared 2-core machine: compare ratios rather than absolutes)", file=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per throughput run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pairs", type=int, default=2, help="bare/gateway run pairs")
    parser.add_argument("--rounds", type=int, default=5, help="kill-switch latency rounds")
    parser.add_argument("--cancel", type=int, default=10_000, help="working orders for the mass cancel")
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="server event loop: asyncio as `gateway serve` runs it (FIX measured), or uvloop (no FIX: "
        "the FIX acceptor refuses uvloop transports)",
    )
    args = parser.parse_args()
    import uvloop

    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-rest-") as workdir:
        parent, child = context.Pipe()
        server = context.Process(target=serve_child, args=(child, workdir, args.loop), daemon=True)
        server.start()
        try:
            if not parent.poll(60):
                raise RuntimeError("the bench server did not start")
            ports = parent.recv()
            uvloop.run(main_async(args, ports, Path(workdir) / "data"))
        finally:
            server.terminate()
            server.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
