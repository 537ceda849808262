"""The risk state a new day starts from, carried in the log, and a restart that uses it.

Replaying the whole log on every start would make start-up time and memory grow with
the log's history (six years of it are kept). Instead, when a new UTC day begins the
pipeline forgets the orders that are done (:meth:`RiskState.close_day`) and appends
``risk.day_opened`` with everything that goes on: working orders with their fills and
reservations, resting ladders, positions and exposure, credit used, disabled accounts,
the kill switch and the policy in force. :func:`restart` starts from the last such
record and replays only what came after it, which gives the same state as replaying
everything (tests/gateway/test_day_roll.py), in time and memory bounded by a day.

The record is an ordinary chained record, so it is as tamper-evident as the rest; an
earlier one would do as well (replay from it is just longer). Decimals travel as
``str(Decimal)``, which gives back the same value and exponent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from audit.api import AuditLog, AuditRecord
from gateway.replay import ABUSE_HORIZON, Replayed, read_before_opening, replay
from risk_controls import events as ev
from risk_controls.domain import AppliedFill, OrderStatus, WorkingOrder
from risk_controls.domain.clock import iso_utc, parse_iso_utc
from risk_controls.kill_switch import KillEntry, KillMode, KillScope, KillSwitch
from risk_controls.policy import LoadedPolicy
from risk_controls.state import AccountBook, Reservation, RiskState, SymbolExposure

log = logging.getLogger(__name__)

FORMAT = ev.DAY_OPENED_FORMAT


def day_opened_payload(
    state: RiskState,
    kill_switch: KillSwitch,
    policy: LoadedPolicy | None,
    unrouted: Iterable[str],
    forgotten: int,
) -> dict[str, Any]:
    """``risk.day_opened``: the state after :meth:`RiskState.close_day`."""
    return {
        "format": FORMAT,
        "trading_day": state.trading_day.isoformat() if state.trading_day else None,
        "forgotten_orders": forgotten,
        "order_sequence": state.order_sequence,
        "orders": [_order(w, state.reservations.get(w.order_id)) for w in state.orders.values()],
        "cl_ord_ids": [[account, cl, oid] for (account, cl), oid in state.cl_ord_ids.items()],
        "resting": [[a, s, oid, buy, str(px), seq] for a, s, oid, buy, px, seq in state.carry_resting()],
        "resting_sequence": state.resting_sequence,
        "accounts": {name: _book(book) for name, book in state.accounts.items()},
        "firm": [
            str(state.firm_executed_notional),
            str(state.firm_open_notional),
            str(state.firm_gross_exposure),
        ],
        "execution_disabled": sorted(state.execution_disabled),
        "kill_switch": [ev.kill_entry_payload(entry) for entry in kill_switch.entries.values()],
        "unrouted": sorted(unrouted),
        "policy": None
        if policy is None
        else {"hash": policy.content_hash, "content": policy.content, "source": policy.source},
    }


def restart(audit: AuditLog) -> Replayed:
    """The state a restart needs: from the last ``risk.day_opened`` on, or the whole log.

    The ``ABUSE_HORIZON`` before that opening is read too, for the abuse monitors' events
    (a pattern under way at midnight is rebuilt as one under way at any other time is) and
    the orders decided in it (a FIX desk's resend of one is not decided twice).
    """
    seq = audit.last_seq_of(ev.DAY_OPENED)
    if seq is None:
        return replay(audit.read())
    record = next(audit.read(seq, seq))
    if record.event_type != ev.DAY_OPENED:  # the index disagrees with the hashed record
        log.error("record %d is not the day opening its index says: replaying the whole log", seq)
        return replay(audit.read())
    try:
        start = restored(record.payload)
    except ValueError as exc:  # written by a newer gateway: slower, but just as right
        log.error("%s: replaying the whole log", exc)
        return replay(audit.read())
    start.last_seq, start.first_seq = seq, seq
    horizon = first_seq_since(audit, parse_iso_utc(record.ts) - ABUSE_HORIZON, seq)
    read_before_opening(audit.read(horizon, seq - 1), start)
    return replay(audit.read(seq + 1), start=start)


class RecordReader(Protocol):
    """All :func:`first_seq_since` needs of an audit log."""

    def read(self, start_seq: int = 1, end_seq: int | None = None) -> Iterator[AuditRecord]: ...


def first_seq_since(audit: RecordReader, since: datetime, end: int) -> int:
    """The first record stamped at or after ``since`` among ``1..end`` (``end`` if none is
    earlier): a bisection over point reads, as timestamps never decrease along the chain.
    A record no longer in primary storage (archived after its retention) counts as earlier."""
    stamp = iso_utc(since)
    low, high = 1, end
    while low < high:
        middle = (low + high) // 2
        found = next(audit.read(middle, middle), None)
        if found is None or found.ts < stamp:
            low = middle + 1
        else:
            high = middle
    return low


def restored(payload: Mapping[str, Any]) -> Replayed:
    """A :class:`Replayed` holding the state a ``risk.day_opened`` record carries."""
    if payload.get("format") != FORMAT:
        raise ValueError(f"risk.day_opened format {payload.get('format')!r} is not {FORMAT}")
    out = Replayed()
    state = out.state
    state.trading_day = date.fromisoformat(payload["trading_day"]) if payload["trading_day"] else None
    state.order_sequence = payload["order_sequence"]
    for item in payload["orders"]:
        working = _working(item)
        state.orders[working.order_id] = working
        if working.status.is_working:
            state.working[working.order_id] = working
        if item["reservation"] is not None:
            price_base, valuation = item["reservation"]
            state.reservations[working.order_id] = Reservation(Decimal(price_base), Decimal(valuation))
    state.cl_ord_ids = {(account, cl): oid for account, cl, oid in payload["cl_ord_ids"]}
    for (_, cl_ord_id), order_id in state.cl_ord_ids.items():  # decided before the opening
        carried = state.orders.get(order_id)
        if carried is not None:  # for a replace's id, the origin of the order as it is now
            origin = carried.order.origin
            out.decided.append((origin.channel.value, origin.session, cl_ord_id))
    state.restore_resting(
        ((a, s, oid, buy, Decimal(px), seq) for a, s, oid, buy, px, seq in payload["resting"]),
        payload["resting_sequence"],
    )
    for name, book in payload["accounts"].items():
        state.accounts[name] = _account(book)
    executed, open_notional, gross = payload["firm"]
    state.firm_executed_notional = Decimal(executed)
    state.firm_open_notional = Decimal(open_notional)
    state.firm_gross_exposure = Decimal(gross)
    state.execution_disabled = set(payload["execution_disabled"])
    for entry in payload["kill_switch"]:
        out.kill_switch.engage(_kill_entry(entry))
    out.unrouted = set(payload["unrouted"])
    policy = payload["policy"]
    if policy is not None:
        out.policy_hash, out.policy_content, out.policy_source = (
            policy["hash"],
            policy["content"],
            policy["source"],
        )
    return out


# ---- one item each way -------------------------------------------------------------------


def _order(working: WorkingOrder, reservation: Reservation | None) -> dict[str, Any]:
    return {
        "order_id": working.order_id,
        "order": ev.order_payload(working.order),
        "status": working.status.value,
        "received_at": iso_utc(working.received_at),
        "venue": working.venue,
        "cum_qty": str(working.cum_qty),
        "cum_notional": str(working.cum_notional),
        "venue_order_id": working.venue_order_id,
        "venue_cl_ord_id": working.venue_cl_ord_id,
        "fills": None
        if working.fills is None
        else [_fill(exec_id, f) for exec_id, f in working.fills.items()],
        "accepted_seq": working.accepted_seq,
        "reservation": None
        if reservation is None
        else [str(reservation.price_base), str(reservation.valuation_price)],
    }


def _fill(exec_id: str, fill: AppliedFill) -> list[str]:
    return [exec_id, str(fill.quantity), str(fill.price), str(fill.fx_rate)]


def _working(item: Mapping[str, Any]) -> WorkingOrder:
    fills = item["fills"]
    return WorkingOrder(
        item["order_id"],
        ev.order_from(item["order"]),
        OrderStatus(item["status"]),
        parse_iso_utc(item["received_at"]),
        item["venue"],
        Decimal(item["cum_qty"]),
        Decimal(item["cum_notional"]),
        item["venue_order_id"],
        item["venue_cl_ord_id"],
        None
        if fills is None
        else {exec_id: AppliedFill(Decimal(q), Decimal(p), Decimal(fx)) for exec_id, q, p, fx in fills},
        item.get("accepted_seq"),  # absent from openings written before it was carried
    )


def _book(book: AccountBook) -> dict[str, Any]:
    return {
        "symbols": {
            symbol: [str(v) for v in (e.position, e.open_buy, e.open_sell, e.value_price, e.gross_value)]
            for symbol, e in book.symbols.items()
        },
        "executed_notional": str(book.executed_notional),
        "open_notional": str(book.open_notional),
        "gross_exposure": str(book.gross_exposure),
        "orders_today": book.orders_today,
    }


def _account(item: Mapping[str, Any]) -> AccountBook:
    book = AccountBook()
    for symbol, line in item["symbols"].items():
        book.symbols[symbol] = SymbolExposure(*(Decimal(v) for v in line))
    book.executed_notional = Decimal(item["executed_notional"])
    book.open_notional = Decimal(item["open_notional"])
    book.gross_exposure = Decimal(item["gross_exposure"])
    book.orders_today = item["orders_today"]
    return book


def _kill_entry(item: Mapping[str, Any]) -> KillEntry:
    return KillEntry(
        KillScope(item["scope"]),
        item["target"],
        KillMode(item["mode"]),
        item["reason"],
        item["actor"],
        parse_iso_utc(item["engaged_at"]),
    )
