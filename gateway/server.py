"""``gateway serve``: run the appliance until SIGINT/SIGTERM.

One process: the pipeline, the policy watcher, the REST API and the FIX
acceptor share one event loop, so every entry point reaches the same state.
A lock file stops a second process (or the offline kill CLI) from writing the
same audit log at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import signal
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.app import Gateway, build_gateway, secrets_for
from gateway.heap import settle_heap, sweep_heap
from gateway.settings import Settings

if TYPE_CHECKING:
    from fix.venue import FixVenue
    from risk_controls.domain import Channel, NewOrder
    from risk_controls.entry import AmendResult, SubmitResult

log = logging.getLogger(__name__)


class ServerAlreadyRunning(RuntimeError):
    pass


@contextlib.contextmanager
def single_instance(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / "gateway.lock").open("w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ServerAlreadyRunning(str(data_dir)) from exc
        yield
    finally:
        handle.close()


async def serve(settings: Settings, ready: asyncio.Event | None = None) -> int:
    try:
        with single_instance(settings.data_dir):
            return await _serve(settings, ready)
    except ServerAlreadyRunning:
        print(f"another gateway is already running on {settings.data_dir}")
        return 1


class _LateJournal:
    """FIX venues are built before the audit log they journal to exists: bind it afterwards."""

    def __init__(self) -> None:
        self.target: Callable[[Any], None] = lambda record: None

    def __call__(self, record: Any) -> None:
        self.target(record)


class _StopOnClose:
    def __init__(self, venue: Any) -> None:
        self._venue = venue

    async def close(self) -> None:
        await self._venue.stop()


def _fix_venues(settings: Settings, journal: _LateJournal) -> dict[str, FixVenue]:
    """One FIX venue per initiator session of the FIX config; passwords from the secrets provider."""
    if settings.fix_config is None or not settings.fix_config.exists():
        return {}
    from fix.config import load_config
    from fix.store import SqliteStoreFile
    from fix.venue import venues_from_config

    config = load_config(settings.fix_config)
    sessions = config.initiator_sessions()
    if not sessions:
        return {}
    secrets = secrets_for(settings)
    config = config.with_secrets(secrets.get_secret)  # client keys held as secrets
    passwords = {
        s.credential_ref: secrets.get_secret(s.credential_ref).decode("utf-8")
        for s in sessions
        if s.credential_ref
    }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStoreFile(settings.data_dir / "fix-venues.sqlite")
    return dict(venues_from_config(config, store=store, journal=journal, passwords=passwords))


async def _serve(settings: Settings, ready: asyncio.Event | None) -> int:
    journal = _LateJournal()
    fix_venues = _fix_venues(settings, journal)
    gateway = build_gateway(settings, extra_venues=fix_venues)
    if fix_venues:
        from fix.journal import AuditJournal

        journal.target = AuditJournal(gateway.audit)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[object]] = []
    closers: list[object] = []
    if settings.watch_policy:
        tasks.append(asyncio.create_task(gateway.policies.watch()))
    closers.extend(await _start_adapters(gateway, tasks))
    for venue in fix_venues.values():
        await venue.start()
        closers.append(_StopOnClose(venue))
        gateway.fix_engines.append(venue.initiator)
    # keep the start-up heap, and whatever outlives a young collection, out of every later
    # one (see gateway/heap.py); the cycles that slip through go at each day's opening
    settle_heap()
    gateway.pipeline.observers.append(_DailyHeapSweep(loop))
    loaded = gateway.policies.current
    print(
        f"gateway serving: audit={settings.resolved_audit_url} "
        f"policy={loaded.content_hash[:12] if loaded else 'NONE (failing closed)'} "
        f"replayed={gateway.replayed.records} records; Ctrl-C to stop",
        flush=True,
    )
    if ready is not None:
        ready.set()
    await stop.wait()
    for task in tasks:
        task.cancel()
    for closer in closers:
        result = closer.close()  # type: ignore[attr-defined]
        if asyncio.iscoroutine(result):
            await result
    gateway.close()
    print("gateway stopped; audit log flushed", flush=True)
    return 0


class _DailyHeapSweep:
    """Reclaims the day's reference cycles once a day opens (see gateway/heap.py): after the
    event that opened it has been answered, and logged with the pause it cost."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def order_decided(self, order: NewOrder, result: SubmitResult, chain_seconds: float) -> None:
        return None

    def amend_decided(self, kind: str, channel: Channel, result: AmendResult) -> None:
        return None

    def order_refused(self, channel: Channel, result: SubmitResult) -> None:
        return None

    def day_opened(self, held: Collection[str]) -> None:
        self._loop.call_soon(self._sweep)

    @staticmethod
    def _sweep() -> None:
        sweep = sweep_heap()
        log.info("day opened: heap swept, %d objects collected in %.3f s", sweep.collected, sweep.seconds)


async def _start_adapters(gateway: Gateway, tasks: list[asyncio.Task[object]]) -> list[object]:
    """Start the REST API and FIX acceptor where they are configured."""
    closers: list[object] = []
    settings = gateway.settings
    try:
        from gateway.api.server import start_rest
    except ImportError:
        start_rest = None  # type: ignore[assignment]
    if start_rest is not None:
        closers.append(await start_rest(gateway, settings.rest_host, settings.rest_port))
    if settings.fix_config is not None and settings.fix_config.exists():
        from gateway.fix_entry import start_fix

        closers.append(await start_fix(gateway, settings.fix_config))
    return closers
