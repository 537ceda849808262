"""The audit log interface every backend implements.

``append`` never blocks on I/O: it returns a ticket that completes when the
record is durable (committed and, where the backend allows, fsynced). A caller
that must not acknowledge before durability waits on the ticket, in threads
with :meth:`AppendTicket.result` or in asyncio with ``await ticket``. Records
are durable in append order, so waiting on the last ticket of a group is
enough for the whole group.

A backend that completes tickets in batches calls :func:`complete_batch` or
:func:`fail_batch`, which wake every asyncio waiter of the batch with one
``call_soon_threadsafe`` per event loop instead of one per ticket.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class AuditUnavailable(RuntimeError):
    """The store could not make a record durable; the caller must fail closed."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One durable record of the chain.

    ``ts`` is ISO 8601 UTC with microseconds (``2026-11-22T16:48:32.123456Z``).
    ``payload`` holds JSON values only: money and quantities as decimal strings.
    ``retention`` is the retention class; ``None`` means the default class
    (six years, see docs/audit-format.md) and is then absent from the
    canonical bytes.
    """

    seq: int
    ts: str
    event_type: str
    payload: Mapping[str, Any]
    prev_hash: str
    record_hash: str
    retention: str | None = None


class AppendTicket:
    """Completes when its record is durable, or fails with AuditUnavailable."""

    __slots__ = ("_callbacks", "_done", "_error", "_lock", "_record", "_waiters")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._record: AuditRecord | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[AppendTicket], None]] = []
        self._waiters: list[_Waiter] = []

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> AuditRecord:
        """Block until durable; raise AuditUnavailable if it never will be."""
        if not self._done.wait(timeout):
            raise AuditUnavailable("timed out waiting for the audit record to become durable")
        if self._error is not None:
            raise AuditUnavailable(str(self._error)) from self._error
        assert self._record is not None
        return self._record

    def add_done_callback(self, callback: Callable[[AppendTicket], None]) -> None:
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def set_result(self, record: AuditRecord) -> None:
        _wake(self._finish(record, None))

    def set_error(self, error: BaseException) -> None:
        _wake(self._finish(None, error))

    def _finish(self, record: AuditRecord | None, error: BaseException | None) -> list[_Waiter]:
        """Complete the ticket, run callbacks, and hand back the asyncio waiters to wake."""
        with self._lock:
            if self._done.is_set():
                return []
            self._record, self._error = record, error
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
            waiters, self._waiters = self._waiters, []
        for callback in callbacks:
            callback(self)
        return waiters

    def __await__(self) -> Generator[Any, None, AuditRecord]:
        if not self._done.is_set():
            loop = asyncio.get_running_loop()
            future: asyncio.Future[None] = loop.create_future()
            with self._lock:
                pending = not self._done.is_set()
                if pending:
                    self._waiters.append((loop, future))
            if pending:
                yield from future.__await__()
        return self.result(0)


def complete_batch(tickets: Sequence[AppendTicket], records: Sequence[AuditRecord]) -> None:
    """Complete many tickets at once, waking each event loop once."""
    waiters: list[_Waiter] = []
    for ticket, record in zip(tickets, records, strict=True):
        waiters.extend(ticket._finish(record, None))
    _wake(waiters)


def fail_batch(tickets: Iterable[AppendTicket], error: BaseException) -> None:
    """Fail many tickets at once, waking each event loop once."""
    waiters: list[_Waiter] = []
    for ticket in tickets:
        waiters.extend(ticket._finish(None, error))
    _wake(waiters)


def _wake(waiters: list[_Waiter]) -> None:
    if not waiters:
        return
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for loop, future in waiters:
        by_loop.setdefault(loop, []).append(future)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_all, futures)
        except RuntimeError:  # the loop was closed: nobody is waiting any more
            continue


def _resolve_all(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


class AuditLog(Protocol):
    """A hash-chained, append-only log of canonical JSON records."""

    def append(self, event_type: str, payload: Mapping[str, Any]) -> AppendTicket:
        """Queue a record; the ticket completes once it is durable."""
        ...

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]:
        """Stream records in sequence order, ``start_seq`` to ``end_seq`` inclusive."""
        ...

    def head(self) -> tuple[int, str]:
        """The last durable sequence number and record hash (0 and the genesis hash)."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything appended so far is durable."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...
