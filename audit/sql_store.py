"""The durable audit store on SQLite or PostgreSQL, with group commit.

One background writer thread owns the chain. Appending threads (or event
loops) only serialise their payload and enqueue it (an event loop wakes the
writer once, at the end of its turn, so the records of one order share a
commit); the writer drains the queue, assigns sequence numbers, timestamps
and hashes in commit order, writes the whole batch in one transaction, and
only then completes the batch's tickets (one wake-up per event loop per
batch). The in-memory head only advances after a commit: when a commit
fails, every ticket of the batch and of the queue fails with
AuditUnavailable, new appends fail at once, and the writer reconnects in the
background, re-reading the head from the database (a commit that failed in
flight may or may not have landed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator, Mapping
from typing import Any

from sqlalchemy import Engine

from audit.api import (
    AppendTicket,
    AuditRecord,
    AuditUnavailable,
    Doubt,
    complete_batch_raw,
    fail_batch,
)
from audit.backends import Backend, LinkRow, NotCommitted, backend_for
from audit.batch import Append, Batch
from audit.checkpoint import Checkpoint, Signer, public_key_pem, sign_checkpoint
from audit.clock import ChainClock
from audit.merkle import Frontier, Hash
from audit.record import DEFAULT_RETENTION, GENESIS_HASH, json_string, payload_json
from audit.retention import retention_years
from audit.store_state import Reader, StoreState, load_state
from audit.wal import BACKSTOP_PAGES, WalCheckpointer

_log = logging.getLogger(__name__)

_GENESIS = bytes.fromhex(GENESIS_HASH)
_LATENCY_WINDOW = 1024
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
"""Commits whose latency append_latency_p99 looks at."""
_DEFERRED_WAKE_LIMIT = 0.05
"""Longest idle wait of the writer: bounds the delay if a loop stops before the end of the
turn that was to wake it (see SqlAuditLog._wake_writer)."""
LAZY_LIMIT = 0.005
"""Longest a lazy record (one nobody waits for) waits for a commit to share: see
SqlAuditLog.append."""
SIGN_BACKOFF = 30.0
"""Seconds without checkpoint attempts after the signer failed."""


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _CheckpointRequest:
    __slots__ = ("ticket",)

    def __init__(self) -> None:
        self.ticket = AppendTicket()


_Item = Append | _Flush | _CheckpointRequest


class _Drained:
    """One batch taken off the queue: appends in order, each checkpoint request with the
    number of appends queued before it, and flush markers (set once the batch is done)."""

    __slots__ = ("appends", "flushes", "requests", "urgent_since")

    def __init__(self) -> None:
        self.urgent_since: float | None = None
        """When its oldest record someone waits on was appended: append_latency_p99's sample
        (lazy records wait for company by design, so they are not counted)."""
        self.appends: list[Append] = []
        self.requests: list[tuple[int, _CheckpointRequest]] = []
        self.flushes: list[_Flush] = []

    def __bool__(self) -> bool:
        return bool(self.appends or self.requests or self.flushes)


class CheckpointPolicy:
    """Write a signed checkpoint every ``every`` records or ``interval`` seconds."""

    __slots__ = ("every", "interval", "signer")

    def __init__(self, signer: Signer, every: int | None = 10_000, interval: float | None = 60.0) -> None:
        self.signer = signer
        self.every = every
        self.interval = interval


class SqlAuditLog:
    """An :class:`audit.api.AuditLog` on SQLAlchemy; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        *,
        checkpoints: CheckpointPolicy | None = None,
        max_batch: int = 2000,
        retry_interval: float = 0.5,
        commit_timeout: float = 5.0,
        clock: ChainClock | None = None,
        max_queue: int = 200_000,
        read_only: bool = False,
        lazy_limit: float = LAZY_LIMIT,
    ) -> None:
        self.engine = engine
        self.lazy_limit = lazy_limit
        """Longest a lazy record waits for company; 0: lazy records are committed as eagerly as
        any (what laziness saves, measured by bench/bench_fix.py with BENCH_AUDIT_LAZY=0)."""
        self.dialect = engine.dialect.name
        self.location: tuple[str, str | None] | None = None
        """(URL, PostgreSQL schema) this store was opened with, for helpers in other processes."""
        self._backend: Backend = backend_for(self.dialect)
        self._checkpoints = checkpoints
        self._max_batch = max_batch
        self._retry_interval = retry_interval
        self._commit_timeout = commit_timeout
        self._clock = clock or ChainClock()
        self._queue: deque[_Item] = deque()
        self._event_types: dict[str, bytes] = {}
        self._max_queue = max_queue
        self._sign_backoff_until = 0.0
        self._wakeup = threading.Event()
        self._closed = False
        self._available = False
        self._unavailable_reason = "audit store not yet connected"
        self._raw: Any = None
        self._state = StoreState(0, _GENESIS, Frontier(), "", "", 0, time.monotonic())
        self._inflight: tuple[float, list[AppendTicket], Doubt] | None = None
        self._inflight_lock = threading.Lock()
        self._doubts: list[Doubt] = []  # failed in doubt, settled at the next connect
        self._read_only = read_only
        self.commits = 0
        """Transactions committed by the writer: records per commit is the group-commit factor."""
        self._latencies: deque[float] = deque(maxlen=_LATENCY_WINDOW)  # see append_latency_p99
        self._kick_scheduled = False  # a wakeup waits for the end of an event-loop turn
        self._urgent = 0  # records someone waits on, ever queued: commit them without delay
        self._urgent_seen = 0  # ... as the writer last saw the count
        self._lazy_since: float | None = None  # when the oldest queued lazy record came
        self._urgent_since: float | None = None  # ... and the oldest one someone waits on
        self._idle = False  # the writer waits for work: a lazy record must wake it
        self.wal: WalCheckpointer | None = None
        """SQLite: checkpoints the log off the commit path (see audit/wal.py)."""
        database = engine.url.database
        if self.dialect == "sqlite" and not read_only and database and database != ":memory:":
            self.wal = WalCheckpointer(database)
        self._connect()  # fail loudly at start-up when the store is unreachable
        self._writer = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._watchdog = threading.Thread(target=self._watch, name="audit-watchdog", daemon=True)
        if read_only:  # no threads: a verifier may fork worker processes from here
            self._available = False
            self._unavailable_reason = "audit store opened read-only"
            self._release_connection(invalidate=False)
        else:
            self._writer.start()
            if self.wal is not None:
                self.wal.start()
            self._watchdog.start()

    # --- the AuditLog interface ---

    def append(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        retention: str | None = None,
        lazy: bool = False,
    ) -> AppendTicket:
        """Queue a record; the ticket completes once its batch has committed.

        A ``lazy`` record does not wake the writer: it waits, at most
        :data:`LAZY_LIMIT`, for the next record someone waits on and shares
        that record's commit (one fsync instead of two). Waiting on its ticket
        with :meth:`AppendTicket.result` or ``await`` wakes the writer at once.
        """
        pj = payload_json(payload)  # a bad payload raises here, in the caller
        if retention is not None:
            retention_years(retention)  # an unknown class raises here too
            if retention == DEFAULT_RETENTION:
                retention = None  # one encoding per class: the default is implicit
        ticket = AppendTicket()
        if self._closed:
            ticket.set_error(AuditUnavailable("audit store closed"))
        elif not self._available:
            ticket.set_error(AuditUnavailable(self._unavailable_reason))
        elif len(self._queue) >= self._max_queue:  # the database cannot keep up: fail closed
            ticket.set_error(AuditUnavailable(f"audit queue full ({self._max_queue} pending)"))
        else:
            et_json = self._event_types.get(event_type)
            if et_json is None:
                et_json = json_string(event_type)
                if len(self._event_types) < 4096:
                    self._event_types[event_type] = et_json
            self._queue.append((ticket, event_type, et_json, payload, pj, retention))
            if lazy and self.lazy_limit > 0:
                self._leave_for_company(ticket)
            else:
                if self._urgent_since is None:  # the first of the next batch someone waits on
                    self._urgent_since = time.monotonic()
                self._urgent += 1
                if not self._wakeup.is_set():
                    self._wake_writer(ticket)
        return ticket

    def _leave_for_company(self, ticket: AppendTicket) -> None:
        """A lazy record is queued: the writer commits it with the next urgent one, or once
        the oldest lazy record has waited ``lazy_limit``."""
        ticket._kick = self._wake_now
        ticket._kick_on_await = True
        if self._lazy_since is None:
            self._lazy_since = time.monotonic()
            if self._idle:  # else the writer looks at the queue when its commit is done
                self._wakeup.set()

    def _wake_now(self) -> None:
        """Someone waits on a lazy record: commit it without waiting for company."""
        self._urgent += 1
        self._wakeup.set()

    def _wake_writer(self, ticket: AppendTicket) -> None:
        """Wake the idle writer; from an event loop, once at the end of the loop's turn.

        An order's records are appended in one turn (received, checks, acceptance):
        woken at the first, the writer would commit that one alone and the
        acceptance would wait for a second fsync. The ticket can still wake the
        writer itself if someone blocks on it before the turn ends.
        """
        if not self._kick_scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # a plain thread: nothing to wait for
                self._wakeup.set()
                return
            self._kick_scheduled = True
            loop.call_soon(self._kick)
        ticket._kick = self._wakeup.set

    def _kick(self) -> None:
        self._kick_scheduled = False
        self._wakeup.set()

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]:
        for seq, body, prev, digest in self.rows(start_seq, end_seq):
            doc = json.loads(body)
            yield AuditRecord(
                seq,
                doc["ts"],
                doc["event_type"],
                doc["payload"],
                bytes(prev).hex(),
                bytes(digest).hex(),
                doc.get("retention"),
            )

    def head(self) -> tuple[int, str]:
        state = self._state
        return state.seq, state.head.hex()

    def last_seq_of(self, event_type: str) -> int | None:
        # A literal, not a parameter: only then can the planner use the partial index that
        # answers this for the event types that need it (audit.migrations).
        if not _EVENT_TYPE.fullmatch(event_type):
            raise ValueError(f"not an event type: {event_type!r}")
        sql = f"SELECT max(seq) FROM audit_log WHERE event_type = '{event_type}'"  # noqa: S608 - checked above
        for (seq,) in self.query(sql, []):
            return int(seq) if seq is not None else None
        return None

    def flush(self, timeout: float | None = None) -> None:
        if self._closed:
            raise AuditUnavailable("audit store closed")
        marker = _Flush()
        self._enqueue(marker)
        if not marker.done.wait(timeout):
            raise AuditUnavailable("timed out flushing the audit log")
        if not self._available:
            raise AuditUnavailable(self._unavailable_reason)

    def close(self) -> None:
        if self._closed:
            return
        if self._read_only:
            self._closed = True
            self.engine.dispose()
            return
        try:
            self.flush(self._commit_timeout * 2)
            self._sign_the_tail()
        except AuditUnavailable:
            _log.warning("audit store closed with appends still pending")
        self._closed = True
        self._wakeup.set()
        self._writer.join(self._commit_timeout * 2)
        if self.wal is not None:
            self.wal.close()
        self._release_connection(invalidate=False)
        self.engine.dispose()

    def _sign_the_tail(self) -> None:
        """A clean close leaves no record outside a signed checkpoint: the log a restart (or a
        rotated key) continues from is signed up to its last record."""
        if self._checkpoints is None or self._state.seq <= self._state.checkpoint_seq:
            return
        ticket = self.checkpoint_now()
        try:
            ticket.result(self._commit_timeout * 2)
        except AuditUnavailable:
            _log.warning("audit store closed without a final checkpoint: signing failed")

    # --- beyond the protocol ---

    @property
    def read_only(self) -> bool:
        """Opened to read and verify only: no writer thread, every append fails."""
        return self._read_only

    @property
    def backlog(self) -> int:
        """Appends queued or in the commit under way: not durable yet. A database that
        falls behind shows here long before the queue limit fails appends closed."""
        inflight = self._inflight
        return len(self._queue) + (len(inflight[1]) if inflight is not None else 0)

    def append_latency_p99(self) -> float | None:
        """Seconds from append to durable, 99th percentile over the last 1,024 commits, each
        counted by the record someone waits on that waited longest in it (lazy records
        wait for company by design); None before the first such commit. Read by /metrics."""
        recent = sorted(self._latencies)
        if not recent:
            return None
        return recent[min(len(recent) - 1, len(recent) * 99 // 100)]

    @property
    def available(self) -> bool:
        """False while the database is unreachable; appends then fail at once."""
        return self._available and not self._closed

    @property
    def log_id(self) -> str:
        return self._state.log_id

    @property
    def signer(self) -> Signer | None:
        """What signs this store's checkpoints (None: it writes none)."""
        return self._checkpoints.signer if self._checkpoints is not None else None

    def public_key_pem(self) -> str | None:
        """The checkpoint verification key to hand out (None without a signer)."""
        if self._checkpoints is None:
            return None
        return public_key_pem(self._checkpoints.signer.public_key())

    def checkpoint_now(self) -> AppendTicket:
        """Queue a signed checkpoint of everything appended before it."""
        if self._checkpoints is None:
            raise ValueError("this store has no checkpoint signer configured")
        request = _CheckpointRequest()
        if not self._available:
            request.ticket.set_error(AuditUnavailable(self._unavailable_reason))
        else:
            self._enqueue(request)
        return request.ticket

    def rows(
        self, start_seq: int = 1, end_seq: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes, bytes]]:
        """Stream raw (seq, canonical bytes, prev hash, record hash) rows in sequence order."""
        sql = "SELECT seq, body, prev_hash, record_hash FROM audit_log WHERE seq >= ?"
        params: list[Any] = [start_seq]
        if end_seq is not None:
            sql += " AND seq <= ?"
            params.append(end_seq)
        yield from self.query(sql + " ORDER BY seq", params)

    def link_rows(self, start_seq: int, end_seq: int) -> Generator[LinkRow, None, None]:
        """Stream (seq, prev hash || canonical bytes, record hash) rows for verification
        (see :meth:`audit.backends.Backend.link_rows`), on a connection of its own."""
        raw = self.engine.raw_connection()
        try:
            yield from self._backend.link_rows(raw.driver_connection, start_seq, end_seq)
        finally:
            raw.close()

    def query(self, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
        """Stream the rows of a read-only query (``?`` placeholders) on a connection of its own."""
        raw = self.engine.raw_connection()
        try:
            yield from self._backend.stream(raw.driver_connection, self._backend.sql(sql), params)
        finally:
            raw.close()

    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A read-only connection for several small queries (proofs, exports)."""
        raw = self.engine.raw_connection()
        try:
            yield Reader(raw.driver_connection, self._backend)
        finally:
            raw.close()

    # --- the writer thread ---

    def _enqueue(self, item: _Item) -> None:
        self._queue.append(item)
        self._urgent += 1
        self._wakeup.set()

    def _lazy_wait(self) -> float | None:
        """Seconds the writer may still wait before committing what is queued: only lazy
        records are, and the oldest of them is younger than LAZY_LIMIT. None: commit now."""
        if self._urgent != self._urgent_seen or self._closed or not self._queue:
            return None
        since = self._lazy_since
        if since is None:  # its append has not stamped it yet
            return self.lazy_limit
        remaining = since + self.lazy_limit - time.monotonic()
        return remaining if remaining > 0 else None

    def _run(self) -> None:
        while not (self._closed and not self._queue):
            if not self._available:
                self._fail_queued()
                if self._closed:
                    break
                if not self._try_connect():
                    self._wakeup.wait(self._retry_interval)
                    self._wakeup.clear()
                continue
            self._wakeup.clear()
            self._kick_scheduled = False  # one whose loop stopped before its turn ended heals here
            wait = self._lazy_wait()
            if wait is not None:
                self._wakeup.wait(wait)
                continue
            self._urgent_seen = self._urgent  # before the drain: a later one is seen next turn
            self._lazy_since = None
            batch = self._drain()
            batch.urgent_since, self._urgent_since = self._urgent_since, None
            if self._queue:  # more than one batch's worth: the rest goes next, whatever it is
                self._urgent_seen -= 1
            due = self._timed_checkpoint_due()
            if not batch and not due:
                idle = self._idle_timeout()
                wait = _DEFERRED_WAKE_LIMIT if idle is None else min(idle, _DEFERRED_WAKE_LIMIT)
                self._idle = True
                if not self._queue:  # a lazy append that missed the flag left its record here
                    self._wakeup.wait(wait)
                self._idle = False
                continue
            try:
                self._write(batch, due)
            except Exception as exc:  # a bug must not kill the writer and hang every ticket
                _log.exception("audit writer failed on a batch")
                self._go_unavailable(f"audit writer error: {exc!r}")
                error = AuditUnavailable(self._unavailable_reason)
                fail_batch([item[0] for item in batch.appends], error)
                fail_batch([request.ticket for _, request in batch.requests], error)
                for marker in batch.flushes:
                    marker.done.set()
        self._fail_queued()

    def _drain(self) -> _Drained:
        batch = _Drained()
        queue, appends, max_batch = self._queue, batch.appends, self._max_batch
        while queue and len(appends) < max_batch:
            item = queue.popleft()
            if type(item) is tuple:
                appends.append(item)
            elif type(item) is _CheckpointRequest:
                batch.requests.append((len(appends), item))
            elif type(item) is _Flush:
                batch.flushes.append(item)
        return batch

    def _idle_timeout(self) -> float | None:
        policy = self._checkpoints
        if policy is None or policy.interval is None:
            return 1.0 if self._closed else None
        remaining = self._state.checkpoint_time + policy.interval - time.monotonic()
        return max(0.01, min(remaining, policy.interval))

    def _timed_checkpoint_due(self) -> bool:
        policy = self._checkpoints
        if policy is None or policy.interval is None:
            return False
        state = self._state
        pending = state.seq > state.checkpoint_seq
        return pending and time.monotonic() - state.checkpoint_time >= policy.interval

    def _write(self, drained: _Drained, timed_checkpoint: bool) -> None:
        batch = Batch(self._state, self._clock.now)
        every = self._checkpoints.every if self._checkpoints else None
        appends, done = drained.appends, 0
        for before, request in drained.requests:  # a requested checkpoint covers what came before it
            batch.add_appends(appends[done:before], every, self._sign)
            done = before
            if batch.add_checkpoint(self._sign, request.ticket) is None:
                request.ticket.set_error(AuditUnavailable("checkpoint signing failed"))
        batch.add_appends(appends[done:] if done else appends, every, self._sign)
        if timed_checkpoint and batch.since_checkpoint() > 0:
            batch.add_checkpoint(self._sign, None)
        if not batch.rows or self._commit(batch):
            if drained.urgent_since is not None:
                self._latencies.append(time.monotonic() - drained.urgent_since)
            self._state = batch.committed_state()
            if timed_checkpoint and not batch.rows:  # nothing new to sign: restart the timer
                self._state = self._state.with_checkpoint_time(time.monotonic())
            complete_batch_raw(batch.tickets, batch.records)
        for marker in drained.flushes:
            marker.done.set()

    def _sign(self, frontier: Frontier, head: Hash, ts: str) -> Checkpoint | None:
        """Sign, or None; after a failure, no attempt for SIGN_BACKOFF seconds so a hung
        signer (Vault down) cannot stall every batch behind it."""
        assert self._checkpoints is not None
        if time.monotonic() < self._sign_backoff_until:
            return None
        try:
            return sign_checkpoint(
                self._checkpoints.signer,
                self._state.log_id,
                frontier.size,
                frontier.root(),
                head,
                ts,
            )
        except Exception:
            _log.exception("audit checkpoint signing failed; the log goes on unsigned for now")
            self._sign_backoff_until = time.monotonic() + SIGN_BACKOFF
            return None

    def _commit(self, batch: Batch) -> bool:
        """Write the batch; on failure fail its tickets and the queue and go unavailable.

        A failure before COMMIT (typically a pooled connection the server
        dropped while idle) is retried once on a fresh connection, provided
        the database's head is still the batch's starting point.
        """
        tickets = batch.tickets
        doubt = Doubt(batch.state.seq, batch.seq, batch.prev)
        with self._inflight_lock:
            self._inflight = (time.monotonic(), tickets, doubt)
        error: BaseException | None = None
        try:
            try:
                self._backend.write(self._raw.driver_connection, batch.rows, batch.nodes)
            except NotCommitted:
                if self._timed_out() or not self._reconnect_for_retry(batch):
                    raise
                self._backend.write(self._raw.driver_connection, batch.rows, batch.nodes)
        except Exception as exc:
            error = exc
        with self._inflight_lock:
            timed_out = self._inflight is None
            self._inflight = None
        if error is None and not timed_out:
            self.commits += 1
            return True
        reason = f"audit commit failed: {error!r}" if error else "audit commit timed out"
        self._go_unavailable(reason)
        if isinstance(error, NotCommitted):  # failed before COMMIT: the batch is not there
            fail_batch(tickets, AuditUnavailable(reason))
        else:
            self._in_doubt(doubt)
            fail_batch(tickets, AuditUnavailable(reason), doubt)
        self._fail_queued()
        return False

    def _in_doubt(self, doubt: Doubt) -> None:
        with self._inflight_lock:
            if doubt not in self._doubts:
                self._doubts.append(doubt)

    def _timed_out(self) -> bool:
        """True once the watchdog has failed the batch in flight (never retry it then)."""
        with self._inflight_lock:
            return self._inflight is None

    def _reconnect_for_retry(self, batch: Batch) -> bool:
        base = batch.state
        if not self._try_connect():
            return False
        state = self._state
        return state.seq == base.seq and state.head == base.head

    def _watch(self) -> None:
        """Fail a batch whose commit hangs (a frozen server, a dead network) after the timeout."""
        while not self._closed:
            time.sleep(min(0.25, self._commit_timeout / 4))
            with self._inflight_lock:
                inflight = self._inflight
                if inflight is None or time.monotonic() - inflight[0] < self._commit_timeout:
                    continue
                self._inflight = None
            reason = f"audit commit took longer than {self._commit_timeout}s"
            self._unavailable_reason = reason
            self._available = False
            self._in_doubt(inflight[2])
            fail_batch(inflight[1], AuditUnavailable(reason), inflight[2])
            self._fail_queued()
            self._abort_hung_call()

    def _abort_hung_call(self) -> None:
        raw = self._raw
        if raw is None:
            return
        try:
            self._backend.abort(raw.driver_connection)
        except Exception:  # best effort: the writer will still fail when the OS gives up
            _log.warning("could not abort the hung audit commit", exc_info=True)

    def _go_unavailable(self, reason: str) -> None:
        _log.error("audit store unavailable: %s", reason)
        self._unavailable_reason = reason
        self._available = False
        self._release_connection(invalidate=True)

    def _fail_queued(self) -> None:
        error = AuditUnavailable(self._unavailable_reason if not self._closed else "closed")
        tickets: list[AppendTicket] = []
        while self._queue:
            item = self._queue.popleft()
            if isinstance(item, _Flush):
                item.done.set()
            elif isinstance(item, tuple):
                tickets.append(item[0])
            else:
                tickets.append(item.ticket)
        fail_batch(tickets, error)

    # --- connection management ---

    def _connect(self) -> None:
        raw = self.engine.raw_connection()
        try:
            driver = raw.driver_connection
            if self.wal is not None and driver is not None:  # its checkpoints become the backstop
                driver.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            if not self._read_only:
                self._backend.probe(raw.driver_connection)
            state = load_state(raw.driver_connection, self._backend, self._state)
        except BaseException:
            raw.invalidate()
            raise
        self._raw = raw
        self._state = state
        self._clock.hold_at_least(state.last_ts)
        self._settle_doubts(state.seq, state.head)
        self._available = True

    def _settle_doubts(self, head_seq: int, head_hash: bytes) -> None:
        """Tell the tickets of batches that failed in doubt whether they landed after all
        (before the store takes appends again, so nobody re-appends ahead of the answer)."""
        with self._inflight_lock:
            doubts, self._doubts = self._doubts, []
        for doubt in doubts:
            landed = doubt.settle(head_seq, head_hash)
            _log.warning(
                "audit batch %d..%d, failed in doubt, %s",
                doubt.start_seq + 1,
                doubt.end_seq,
                "landed after all" if landed else "did not land",
            )

    def _try_connect(self) -> bool:
        self._release_connection(invalidate=True)
        try:
            self._connect()
        except Exception as exc:
            self._unavailable_reason = f"audit store unreachable: {exc!r}"
            return False
        _log.warning("audit store reconnected at seq %d", self._state.seq)
        return True

    def _release_connection(self, invalidate: bool) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            if invalidate:
                raw.invalidate()
            else:
                raw.close()
        except Exception:  # the connection is already gone
            _log.debug("closing a dead audit connection failed", exc_info=True)


__all__ = ["CheckpointPolicy", "SqlAuditLog"]
