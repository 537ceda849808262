"""Client order ids: unique per account, and a retry returns the original outcome.

The index maps (account, cl_ord_id) to the first *final* outcome of the order
sent under that id, from any entry point (it listens to the pipeline's
decisions). A retry with the same content gets that outcome back, a denial
included, and never reaches the pipeline again; the same id with different
content is a conflict. Transient refusals (throttled, audit or policy
unavailable) are not final: the client is expected to retry them, so they
are not indexed and a retry is evaluated afresh.

The index is rebuilt from the audit log at start (``order.received`` carries
the order, ``order.accepted`` / ``order.denied`` the outcome), so it survives
a restart exactly as the log does.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import json
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from audit.api import AuditRecord
from risk_controls import events as ev
from risk_controls.domain import Denial, DenyCode, NewOrder, WorkingOrder
from risk_controls.domain.clock import parse_iso_utc
from risk_controls.entry import SubmitResult

Key = tuple[str, str]

TRANSIENT = frozenset(
    {
        DenyCode.AUDIT_UNAVAILABLE,
        DenyCode.POLICY_UNAVAILABLE,
        DenyCode.CHECK_FAILED,
        DenyCode.SESSION_THROTTLE_EXCEEDED,
        DenyCode.ACCOUNT_THROTTLE_EXCEEDED,
        DenyCode.DUPLICATE_CL_ORD_ID,  # about another request that reused the id, not this one
    }
)


@dataclass(frozen=True, slots=True)
class Submission:
    """The final outcome of the order sent under one client order id.

    Its fingerprint is computed only when a retry has to be compared with it,
    never on the order path.
    """

    order_id: str
    order: NewOrder
    accepted: bool
    denial: Denial | None
    audit_seq: int | None
    received_at: datetime

    def same_content(self, other: NewOrder) -> bool:
        return fingerprint(self.order) == fingerprint(other)


@dataclass(frozen=True, slots=True)
class Amendment:
    """The outcome of a replace request, keyed by the replace's new client order id."""

    fingerprint: str
    order_id: str
    accepted: bool
    denial: Denial | None


def fingerprint(order: NewOrder) -> str:
    """Same content, same fingerprint: decimals compared by value ("100" == "100.0")."""
    payload = ev.order_payload(order)
    return _digest(payload)


def amendment_fingerprint(order_id: str, resulting: NewOrder) -> str:
    return _digest({"order_id": order_id, "order": ev.order_payload(resulting)})


def _digest(payload: dict[str, Any]) -> str:
    text = json.dumps(_normalise(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DECIMAL_FIELDS = frozenset({"quantity", "limit_price", "stop_price"})


def _normalise(value: Any) -> Any:
    """Decimal fields by value; everything else exactly as sent."""
    if isinstance(value, dict):
        return {
            k: _decimal_text(v) if k in DECIMAL_FIELDS and isinstance(v, str) else _normalise(v)
            for k, v in value.items()
        }
    return value


def _decimal_text(text: str) -> str:
    return format(Decimal(text).normalize(), "f")


def is_final(result: SubmitResult) -> bool:
    return result.accepted or (result.denial is not None and result.denial.code not in TRANSIENT)


class ClientOrderIndex:
    """All client order ids seen, with outcomes; plus the requests still in flight."""

    def __init__(self) -> None:
        self._orders: dict[Key, Submission] = {}
        self._denied: dict[str, Submission] = {}
        self._amendments: dict[Key, Amendment] = {}
        self._inflight: dict[Key, asyncio.Future[None] | None] = {}
        self._ids: list[str] = []  # every decided order id, ascending (= arrival order)
        self._ids_by_account: dict[str, list[str]] = {}

    # ---- reads ---------------------------------------------------------------------

    def get(self, account: str, cl_ord_id: str) -> Submission | None:
        return self._orders.get((account, cl_ord_id))

    def amendment(self, account: str, cl_ord_id: str) -> Amendment | None:
        return self._amendments.get((account, cl_ord_id))

    def denied(self, order_id: str) -> Submission | None:
        return self._denied.get(order_id)

    def denied_orders(self) -> Iterator[Submission]:
        return iter(self._denied.values())

    def __len__(self) -> int:
        return len(self._orders)

    def order_ids_after(self, cursor: str | None, accounts: Collection[str] | None) -> Iterator[str]:
        """Order ids above ``cursor`` in ascending order, of ``accounts`` only unless None.

        A page starts where its cursor points (bisection), so listing a busy day's orders
        page by page does not rescan them from the first, on the loop orders run on.
        """
        lists = [self._ids] if accounts is None else [self._ids_by_account.get(a, []) for a in accounts]
        tails = [_tail(ids, bisect_right(ids, cursor) if cursor else 0) for ids in lists]
        return tails[0] if len(tails) == 1 else heapq.merge(*tails)

    def decided(self, order_id: str) -> bool:
        """Has ``order_id`` been decided (its acceptance or denial returned)?"""
        ids = self._ids
        at = bisect_left(ids, order_id)
        return at < len(ids) and ids[at] == order_id

    # ---- in-flight requests: a concurrent retry waits for the first one ----------------

    def in_flight(self, key: Key) -> asyncio.Future[None] | None:
        """A future done when the request holding ``key`` ends; None if none holds it.

        The future is made for the first waiter only: nearly every request runs alone.
        """
        if key not in self._inflight:
            return None
        future = self._inflight[key]
        if future is None:
            future = self._inflight[key] = asyncio.get_running_loop().create_future()
        return future

    def begin(self, key: Key) -> None:
        self._inflight[key] = None

    def end(self, key: Key) -> None:
        future = self._inflight.pop(key, None)
        if future is not None and not future.done():
            future.set_result(None)

    # ---- writes ----------------------------------------------------------------------

    def record(self, order: NewOrder, result: SubmitResult, received_at: datetime) -> None:
        """Keep the first final outcome per (account, cl_ord_id); later ones are other requests."""
        if not is_final(result):
            return
        key = (order.account, order.cl_ord_id)
        if key in self._orders:
            return
        submission = Submission(
            result.order_id,
            order,
            result.accepted,
            result.denial,
            result.audit_seq,
            received_at,
        )
        self._orders[key] = submission
        if not result.accepted:
            self._denied[result.order_id] = submission
        insort(self._ids, result.order_id)  # decisions finish out of order: keep the ids sorted
        insort(self._ids_by_account.setdefault(order.account, []), result.order_id)

    def close_day(self, held: Collection[str]) -> None:
        """A new day: client order ids of orders the risk state forgot are free again (it
        holds working orders and those entered in the minutes before the close, ``held``).
        Their accepted entries stay, so a retry straddling midnight is answered as one;
        requests in flight are kept."""
        self._orders = {k: s for k, s in self._orders.items() if s.accepted and s.order_id in held}
        self._denied.clear()
        self._amendments = {k: a for k, a in self._amendments.items() if a.order_id in held}
        self._ids = [s.order_id for s in self._orders.values()]
        self._ids.sort()
        self._ids_by_account = {}
        for submission in self._orders.values():
            insort(self._ids_by_account.setdefault(submission.order.account, []), submission.order_id)

    def adopt_carried(self, orders: Mapping[str, WorkingOrder], cl_ord_ids: Mapping[Key, str]) -> int:
        """After a restart, answer retries of the orders the day carried over, as the index
        did before it (see :meth:`close_day`): the log is replayed from the day's opening,
        which holds these orders but not their submissions. Returns how many it adopted.

        Only orders never replaced are adopted (one client order id, the order's own): a
        replaced order's first content is not carried, so a retry of it stays a conflict.
        """
        ids_per_order = Counter(cl_ord_ids.values())
        adopted = 0
        for (account, cl_ord_id), order_id in cl_ord_ids.items():
            working = orders.get(order_id)
            if working is None or (account, cl_ord_id) in self._orders:
                continue
            if ids_per_order[order_id] != 1 or working.order.cl_ord_id != cl_ord_id:
                continue
            accepted = SubmitResult(order_id, True, None, working.accepted_seq)
            self.record(working.order, accepted, working.received_at)
            adopted += 1
        return adopted

    def record_amendment(self, account: str, cl_ord_id: str, amendment: Amendment) -> None:
        if amendment.denial is not None and amendment.denial.code in TRANSIENT:
            return
        self._amendments.setdefault((account, cl_ord_id), amendment)

    # ---- rebuild from the audit log -----------------------------------------------------

    @classmethod
    def rebuild(cls, records: Iterable[AuditRecord]) -> ClientOrderIndex:
        replay = IndexReplay()
        for record in records:
            replay.apply(record)
        return replay.index


def _tail(ids: list[str], start: int) -> Iterator[str]:
    """``ids[start:]`` lazily: a page reads only as far as it needs."""
    return (ids[i] for i in range(start, len(ids)))


class IndexReplay:
    """Feeds audit records, in order, into a fresh index (one pass, shared with other readers)."""

    def __init__(self) -> None:
        self.index = ClientOrderIndex()
        self._received: dict[str, tuple[NewOrder, datetime]] = {}
        self._replaces: dict[tuple[str, str], NewOrder] = {}

    def apply(self, record: AuditRecord) -> None:
        kind, payload = record.event_type, record.payload
        if kind == ev.ORDER_RECEIVED:
            self._received[payload["order_id"]] = (ev.order_from(payload["order"]), parse_iso_utc(record.ts))
        elif kind in (ev.ORDER_ACCEPTED, ev.ORDER_DENIED):
            self._outcome(kind, payload, record.seq)
        elif kind == ev.REPLACE_REQUESTED and payload.get("order_id"):
            self._replaces[(payload["order_id"], payload["cl_ord_id"])] = ev.order_from(payload["order"])
        elif kind in (ev.REPLACE_ACCEPTED, ev.REPLACE_DENIED):
            self._amendment(kind, payload)

    def _outcome(self, kind: str, payload: Any, seq: int) -> None:
        found = self._received.pop(payload["order_id"], None)
        if found is None:
            return
        order, when = found
        accepted = kind == ev.ORDER_ACCEPTED
        denial = None if accepted else ev.denial_from(payload["denial"])
        self.index.record(order, SubmitResult(payload["order_id"], accepted, denial, seq), when)

    def _amendment(self, kind: str, payload: Any) -> None:
        order_id = payload.get("order_id") or ""
        resulting = self._replaces.pop((order_id, payload.get("cl_ord_id") or ""), None)
        if resulting is None:
            return
        accepted = kind == ev.REPLACE_ACCEPTED
        denial = None if accepted else ev.denial_from(payload["denial"])
        amendment = Amendment(amendment_fingerprint(order_id, resulting), order_id, accepted, denial)
        self.index.record_amendment(resulting.account, resulting.cl_ord_id, amendment)
