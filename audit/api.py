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


RawRecord = tuple[int, str, str, Mapping[str, Any], bytes, bytes, str | None]
"""seq, ts, event_type, payload, prev hash, record hash (raw digests), retention."""


class Doubt:
    """A batch whose COMMIT failed after the database may already have applied it.

    Its tickets fail at once (nobody may act on a record that might not be there),
    and the store settles ``landed`` when it reconnects and reads the chain's head:
    True if the head is the batch's last record, False if it is still the record
    before the batch. Callers that must neither lose nor repeat a record (a venue's
    execution report) wait for that answer before appending it again.
    """

    __slots__ = ("end_hash", "end_seq", "landed", "start_seq")

    def __init__(self, start_seq: int, end_seq: int, end_hash: bytes) -> None:
        self.start_seq = start_seq
        self.end_seq = end_seq
        self.end_hash = end_hash
        self.landed: bool | None = None

    def settle(self, head_seq: int, head_hash: bytes) -> bool:
        """Decide from the head read back after reconnecting; True if the batch landed.

        A head that is neither before nor at the end of the batch (something else wrote
        to the chain) cannot tell: it counts as not landed, so the record is repeated
        rather than lost.
        """
        self.landed = head_seq == self.end_seq and head_hash == self.end_hash
        return self.landed


class AppendTicket:
    """Completes when its record is durable, or fails with AuditUnavailable.

    Cheap to create: the threading.Event a blocking :meth:`result` needs and
    the :class:`AuditRecord` itself are only built when someone asks.
    """

    __slots__ = (
        "_callbacks",
        "_done",
        "_doubt",
        "_error",
        "_event",
        "_kick",
        "_kick_on_await",
        "_lock",
        "_raw",
        "_record",
        "_waiters",
    )

    def __init__(self) -> None:
        self._done = False
        self._lock = threading.Lock()
        self._event: threading.Event | None = None
        self._record: AuditRecord | None = None
        self._raw: RawRecord | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[AppendTicket], None]] | None = None
        self._waiters: list[_Waiter] | None = None
        self._doubt: Doubt | None = None
        self._kick: Callable[[], None] | None = None
        """Wakes a writer that deferred its wakeup to the end of an event-loop turn: a thread
        that blocks on :meth:`result` (even the loop's own) must not wait for that turn."""
        self._kick_on_await = False
        """A lazy record's: awaiting it wakes the writer too (see SqlAuditLog.append)."""

    def done(self) -> bool:
        return self._done

    def landed(self) -> bool | None:
        """Is the record in the log? True once durable; False when it failed and cannot
        be there; None while that is not known (not done yet, or its commit failed in
        doubt and the store has not reconnected to tell)."""
        if not self._done:
            return None
        if self._error is None:
            return True
        doubt = self._doubt
        return False if doubt is None else doubt.landed

    def result(self, timeout: float | None = None) -> AuditRecord:
        """Block until durable; raise AuditUnavailable if it never will be."""
        if not self._done:
            if self._kick is not None:
                self._kick()
            with self._lock:
                if not self._done and self._event is None:
                    self._event = threading.Event()
                event = None if self._done else self._event
            if event is not None and not event.wait(timeout):
                raise AuditUnavailable("timed out waiting for the audit record to become durable")
        if self._error is not None:
            raise AuditUnavailable(str(self._error)) from self._error
        record = self._record
        if record is None:
            raw = self._raw
            assert raw is not None
            record = AuditRecord(raw[0], raw[1], raw[2], raw[3], raw[4].hex(), raw[5].hex(), raw[6])
            self._record = record
        return record

    def seq(self, timeout: float | None = None) -> int:
        """The record's sequence number once durable; raises as :meth:`result` does.

        For callers that need only the number: the record itself (two hex digests and
        a frozen dataclass) is not built.
        """
        raw = self._raw
        if self._done and self._error is None and raw is not None:
            return raw[0]
        return self.result(timeout).seq

    def add_done_callback(self, callback: Callable[[AppendTicket], None]) -> None:
        with self._lock:
            if not self._done:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return
        callback(self)

    def set_result(self, record: AuditRecord) -> None:
        _wake(self._finish(record, None, None))

    def set_error(self, error: BaseException) -> None:
        _wake(self._finish(None, None, error))

    def _finish(
        self,
        record: AuditRecord | None,
        raw: RawRecord | None,
        error: BaseException | None,
        doubt: Doubt | None = None,
    ) -> list[_Waiter] | None:
        """Complete the ticket, run callbacks, and hand back the asyncio waiters to wake."""
        with self._lock:
            if self._done:
                return None
            self._record, self._raw, self._error, self._doubt = record, raw, error, doubt
            self._done = True
            event, callbacks, waiters = self._event, self._callbacks, self._waiters
            self._callbacks = self._waiters = None
        if event is not None:
            event.set()
        if callbacks:
            for callback in callbacks:
                callback(self)
        return waiters

    def __await__(self) -> Generator[Any, None, AuditRecord]:
        yield from self._until_done()
        return self.result(0)

    def durable(self) -> Durable:
        """``await ticket.durable()``: as ``await ticket`` (raises AuditUnavailable), without
        building the :class:`AuditRecord` that callers wanting only the outcome never read."""
        return Durable(self)

    def _until_done(self) -> Generator[Any, None, None]:
        if not self._done:
            if self._kick_on_await and self._kick is not None:
                self._kick()
            loop = asyncio.get_running_loop()
            future: asyncio.Future[None] = loop.create_future()
            with self._lock:
                pending = not self._done
                if pending:
                    if self._waiters is None:
                        self._waiters = []
                    self._waiters.append((loop, future))
            if pending:
                yield from future.__await__()


class Durable:
    """What :meth:`AppendTicket.durable` returns: awaited, None once the record is durable."""

    __slots__ = ("_ticket",)

    def __init__(self, ticket: AppendTicket) -> None:
        self._ticket = ticket

    def __await__(self) -> Generator[Any, None, None]:
        ticket = self._ticket
        yield from ticket._until_done()
        if not ticket._done or ticket._error is not None:
            ticket.result(0)  # raises AuditUnavailable, as awaiting the ticket itself does


def complete_batch(tickets: Sequence[AppendTicket], records: Sequence[AuditRecord]) -> None:
    """Complete many tickets at once, waking each event loop once."""
    waiters: list[_Waiter] = []
    for ticket, record in zip(tickets, records, strict=True):
        woken = ticket._finish(record, None, None)
        if woken:
            waiters.extend(woken)
    _wake(waiters)


def complete_batch_raw(tickets: Sequence[AppendTicket], raws: Sequence[RawRecord]) -> None:
    """:func:`complete_batch` with records built only if a caller reads them.

    :meth:`AppendTicket._finish` inlined: this runs once per durable record, and most
    tickets of a batch have nobody waiting on them yet (no event, callback or waiter).
    The lock is taken with acquire/release: half the cost of a ``with`` block.
    """
    waiters: list[_Waiter] = []
    for ticket, raw in zip(tickets, raws, strict=True):
        lock = ticket._lock
        lock.acquire()
        try:
            if ticket._done:
                continue
            ticket._raw = raw
            ticket._done = True
            event, callbacks, woken = ticket._event, ticket._callbacks, ticket._waiters
            if callbacks is not None or woken is not None:
                ticket._callbacks = ticket._waiters = None
        finally:
            lock.release()
        if event is not None:
            event.set()
        if callbacks:
            for callback in callbacks:
                callback(ticket)
        if woken:
            waiters.extend(woken)
    _wake(waiters)


def fail_batch(tickets: Iterable[AppendTicket], error: BaseException, doubt: Doubt | None = None) -> None:
    """Fail many tickets at once, waking each event loop once. ``doubt``: their commit may
    have landed all the same (see :class:`Doubt`)."""
    waiters: list[_Waiter] = []
    for ticket in tickets:
        woken = ticket._finish(None, None, error, doubt)
        if woken:
            waiters.extend(woken)
    _wake(waiters)


def _wake(waiters: list[_Waiter] | None) -> None:
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

    def append(self, event_type: str, payload: Mapping[str, Any], *, lazy: bool = False) -> AppendTicket:
        """Queue a record; the ticket completes once it is durable.

        ``lazy``: nobody waits for this record right now, so a store that commits in
        groups may hold it briefly to share the commit of the next record someone does
        wait on. It is still made durable, in order, within milliseconds."""
        ...

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]:
        """Stream records in sequence order, ``start_seq`` to ``end_seq`` inclusive."""
        ...

    def head(self) -> tuple[int, str]:
        """The last durable sequence number and record hash (0 and the genesis hash)."""
        ...

    def last_seq_of(self, event_type: str) -> int | None:
        """The sequence number of the last durable record of ``event_type``, if any.

        Found through the stored column; a caller that trusts it reads the record and
        checks its hashed ``event_type``."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything appended so far is durable."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...
