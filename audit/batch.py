"""One group-commit batch: records chained in commit order, not yet durable.

The writer builds a batch from the queue, writes its rows in one
transaction, and only then adopts the batch's head as the store's head, so a
failed commit leaves the store's head at the last durable record.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from audit.api import AppendTicket, RawRecord
from audit.backends import LogRow, NodeRow
from audit.checkpoint import CHECKPOINT_EVENT, Checkpoint
from audit.merkle import Frontier, Hash
from audit.record import json_string, payload_json
from audit.store_state import StoreState

_CHECKPOINT_JSON = json_string(CHECKPOINT_EVENT)
_BODY = b'{"event_type":%b,"payload":%b,"seq":%d,"ts":"%b"}'
_BODY_RETAINED = b'{"event_type":%b,"payload":%b,"retention":%b,"seq":%d,"ts":"%b"}'
"""record.assemble in one formatting operation (the writer's hottest line; a test pins
the bytes). The timestamp needs no escaping: ChainClock writes digits, '-', ':', '.', 'T', 'Z'."""
_EMPTY = hashlib.sha256()
_LEAF = hashlib.sha256(b"\x00")
"""Hash objects to copy: cheaper than hashlib.sha256() per record (see merkle.leaf_hash)."""
SignFn = Callable[[Frontier, Hash, str], Checkpoint | None]
Append = tuple[AppendTicket, str, bytes, Mapping[str, Any], bytes, str | None]
"""ticket, event type, its JSON string, payload, payload JSON, retention: a plain tuple
because one is built per append."""


class Batch:
    """Rows, Merkle nodes and tickets of one transaction, chained from ``state``."""

    __slots__ = (
        "checkpoint_seq",
        "checkpoint_time",
        "frontier",
        "nodes",
        "now",
        "prev",
        "records",
        "rows",
        "seq",
        "state",
        "tickets",
    )

    def __init__(self, state: StoreState, now: Callable[[], str]) -> None:
        self.state = state
        self.now = now
        self.frontier = state.frontier.copy()
        self.seq = state.seq
        self.prev = state.head
        self.rows: list[LogRow] = []
        self.nodes: list[NodeRow] = []
        self.tickets: list[AppendTicket] = []
        self.records: list[RawRecord] = []
        self.checkpoint_seq = state.checkpoint_seq
        self.checkpoint_time = state.checkpoint_time

    def add(
        self,
        event_type: str,
        et_json: bytes,
        payload: Mapping[str, Any],
        pj: bytes,
        retention: str | None,
        ticket: AppendTicket | None,
        ts: str | None = None,
    ) -> RawRecord:
        self.seq = seq = self.seq + 1
        if ts is None:
            ts = self.now()
        if retention is None:
            body = _BODY % (et_json, pj, seq, ts.encode())
        else:
            body = _BODY_RETAINED % (et_json, pj, json_string(retention), seq, ts.encode())
        prev = self.prev
        h = _EMPTY.copy()
        h.update(prev)
        h.update(body)
        self.prev = digest = h.digest()
        self.rows.append((seq, ts, event_type, retention, body, prev, digest))
        h = _LEAF.copy()
        h.update(body)
        self.frontier.append_into(h.digest(), self.nodes)
        raw = (seq, ts, event_type, payload, prev, digest, retention)
        if ticket is not None:
            self.tickets.append(ticket)
            self.records.append(raw)
        return raw

    def add_appends(self, appends: Iterable[Append], every: int | None, sign: SignFn) -> None:
        """:meth:`add` for every queued append, signing a checkpoint after each ``every``
        records since the last one.

        The writer's hottest loop, so the chain's state lives in locals, the leaf
        hashes go into the frontier once per run, and nothing is looked up per record.
        """
        seq, prev, now = self.seq, self.prev, self.now
        due = self.checkpoint_seq + every if every is not None else None
        add_row, add_ticket, add_record = self.rows.append, self.tickets.append, self.records.append
        leaves: list[Hash] = []
        add_leaf = leaves.append
        chain, leaf = _EMPTY.copy, _LEAF.copy
        for ticket, event_type, et_json, payload, pj, retention in appends:
            seq += 1
            ts = now()
            if retention is None:
                body = _BODY % (et_json, pj, seq, ts.encode())
            else:
                body = _BODY_RETAINED % (et_json, pj, json_string(retention), seq, ts.encode())
            h = chain()
            h.update(prev)
            h.update(body)
            digest = h.digest()
            add_row((seq, ts, event_type, retention, body, prev, digest))
            h = leaf()
            h.update(body)
            add_leaf(h.digest())
            add_ticket(ticket)
            add_record((seq, ts, event_type, payload, prev, digest, retention))
            prev = digest
            if due is not None and seq >= due:
                self.seq, self.prev = seq, prev
                self.frontier.extend_into(leaves, self.nodes)
                leaves.clear()
                self.add_checkpoint(sign, None)
                seq, prev = self.seq, self.prev
                due = self.checkpoint_seq + every if every is not None else None
        self.seq, self.prev = seq, prev
        self.frontier.extend_into(leaves, self.nodes)

    def since_checkpoint(self) -> int:
        return self.seq - self.checkpoint_seq

    def add_checkpoint(self, sign: SignFn, ticket: AppendTicket | None) -> RawRecord | None:
        """Sign the tree as it stands and append the checkpoint record; None if signing failed."""
        ts = self.now()  # the checkpoint's time is its own record's time
        signed = sign(self.frontier, self.prev, ts)
        if signed is None:
            return None
        payload = signed.payload()
        pj = payload_json(payload)
        record = self.add(CHECKPOINT_EVENT, _CHECKPOINT_JSON, payload, pj, None, ticket, ts)
        self.checkpoint_seq = record[0]
        self.checkpoint_time = time.monotonic()
        return record

    def committed_state(self) -> StoreState:
        """The store's state once this batch is durable."""
        if not self.rows:
            return self.state
        return StoreState(
            self.seq,
            self.prev,
            self.frontier,
            self.state.log_id,
            self.rows[-1][1],
            self.checkpoint_seq,
            self.checkpoint_time,
        )
