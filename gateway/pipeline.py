"""The order pipeline: the one path from every entry adapter to a venue.

    entry adapter -> control chain -> MiFID II tagging -> abuse checks
                  -> durable audit record -> router -> venue

Every step lands in the audit log. An order is routed, and its acceptance
returned, only after its acceptance record is durable; if the audit store
cannot make it durable the order is denied (AUDIT_UNAVAILABLE). Venue reports
update risk state at once and reach the adapters only once their own record
is durable. All state is owned by the event-loop thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from audit.api import AppendTicket, AuditLog, AuditUnavailable
from gateway.carry import day_opened_payload
from gateway.router import Router, UnknownVenue
from gateway.withdrawals import RETRY_SECONDS, Withdrawals, refused_at_once
from risk_controls import events as ev
from risk_controls.abuse import AbuseAlert, AbuseMonitors, action_for, blocked_denial
from risk_controls.chain import ControlChain
from risk_controls.checks.context import CheckContext, SelfTradeAction
from risk_controls.domain import (
    CancelRequest,
    Channel,
    CheckResult,
    Denial,
    DenyCode,
    ExecType,
    ExecutionReport,
    InstrumentBook,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    ReplaceRequest,
    WorkingOrder,
)
from risk_controls.domain.clock import Clock
from risk_controls.domain.decisions import deny
from risk_controls.entry import (
    AmendResult,
    EntryRefusal,
    OrderListener,
    OrderUpdate,
    Request,
    SubmitResult,
)
from risk_controls.kill_switch import KillSwitch
from risk_controls.mifid import tag_order
from risk_controls.policy import LoadedPolicy
from risk_controls.state import RiskState
from risk_controls.venue import RoutedOrder

log = logging.getLogger(__name__)

PolicySource = Callable[[], LoadedPolicy | None]
DAY_CLOSE_GRACE = timedelta(minutes=10)
"""Orders received this long before a new day opens are kept, done or not, until the next
one: a client's retry that straddles midnight finds its order and enters no second one."""


OPENING_RETRY = timedelta(seconds=1)
"""How often, at most, a day opening that did not land is written again."""
_FILLS = (ExecType.PARTIAL_FILL, ExecType.FILL)


class PipelineObserver(Protocol):
    """Told about every decision, whatever the entry point (metrics, monitoring)."""

    def order_decided(self, order: NewOrder, result: SubmitResult, chain_seconds: float) -> None: ...

    def amend_decided(self, kind: str, channel: Channel, result: AmendResult) -> None:
        """A cancel or replace request (``kind``) was accepted or denied."""

    def order_refused(self, channel: Channel, result: SubmitResult) -> None:
        """A new order its entry adapter refused before the chain (see :meth:`OrderPipeline.refuse`)."""

    def day_opened(self, held: Collection[str]) -> None:
        """A new UTC day began; the orders that were done are forgotten, except ``held``."""


@dataclass(frozen=True, slots=True)
class HeldAmend:
    """A self-trade cancel (``smaller`` None) or decrement, already applied to our state and
    waiting for its record to be durable before the venue is asked; ``status`` and ``before``
    restore the order if the record fails."""

    ticket: AppendTicket
    working: WorkingOrder
    smaller: NewOrder | None
    status: OrderStatus
    before: tuple[NewOrder, Decimal, Decimal] | None


class OrderPipeline:
    """Implements :class:`risk_controls.entry.OrderEntry` for every adapter."""

    def __init__(
        self,
        *,
        audit: AuditLog,
        policy: PolicySource,
        instruments: InstrumentBook,
        router: Router,
        chain: ControlChain,
        state: RiskState,
        kill_switch: KillSwitch,
        clock: Clock,
        abuse: AbuseMonitors,
    ) -> None:
        self.audit = audit
        self.instruments = instruments
        self.router = router
        self.chain = chain
        self.state = state
        self.kill_switch = kill_switch
        self.clock = clock
        self.abuse = abuse
        self._policy = policy
        self._listeners: list[OrderListener] = []
        self.observers: list[PipelineObserver] = []
        self.unmatched_reports: dict[str, int] = {}
        """Reports per venue for orders the gateway does not hold, or fills it has booked
        already (``exec.unmatched``)."""
        self._opening: AppendTicket | None = None  # the day's opening record, until it lands
        self._opening_forgotten = 0
        self._opening_retry_at: datetime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[tuple[AppendTicket, OrderUpdate | None, dict[str, Any]]] = deque()
        self._drain_lock = threading.Lock()
        self._drain_scheduled = False
        self._chain_timings: dict[str, float] = {}
        self._replaces_in_flight: dict[str, tuple[NewOrder, Decimal, Decimal]] = {}
        self._fx_policy: LoadedPolicy | None = None
        self._fx_cache: dict[str, Decimal] = {}
        self.withdrawals = Withdrawals(audit)
        router.connect(self.on_venue_report)

    # ---- OrderEntry ---------------------------------------------------------------

    def subscribe(self, listener: OrderListener) -> None:
        self._listeners.append(listener)

    async def submit(self, order: NewOrder) -> SubmitResult:
        self._loop = self._loop or asyncio.get_running_loop()
        result = await self._submit(order)
        chain_seconds = self._chain_timings.pop(result.order_id, 0.0)
        for observer in self.observers:
            observer.order_decided(order, result, chain_seconds)
        return result

    async def _submit(self, order: NewOrder) -> SubmitResult:
        now = self.clock.now()
        self._roll_day(now)
        order_id = self.state.next_order_id(now)
        instrument = self.instruments.get(order.symbol)
        # durable in append order: waiting on the decision record below covers this one too
        self.audit.append(
            ev.ORDER_RECEIVED,
            ev.received_payload(
                order_id,
                order,
                instrument.isin if instrument else None,
                instrument.currency if instrument else None,
            ),
        )
        self.state.note_message(order.origin.throttle_key, order.account, now)
        loaded = self._policy()
        if loaded is None:
            return await self._deny(order_id, order, deny(DenyCode.POLICY_UNAVAILABLE, "policy"), [], None)
        if self.state.order_by_cl_ord_id(order.account, order.cl_ord_id) is not None:
            duplicate = deny(DenyCode.DUPLICATE_CL_ORD_ID, "order_entry", cl_ord_id=order.cl_ord_id)
            return await self._deny(order_id, order, duplicate, [], loaded.content_hash)
        try:
            ctx = self._context(order, now, loaded, None)
        except UnknownVenue as exc:
            no_venue = deny(DenyCode.VENUE_NOT_PERMITTED, "router", venue=str(exc))
            return await self._deny(order_id, order, no_venue, [], loaded.content_hash)
        started = time.perf_counter()
        denial, results = self.chain.evaluate(ctx)
        self._chain_timings[order_id] = time.perf_counter() - started
        tags: dict[str, Any] | None = None
        alerts: list[AbuseAlert] = []
        if denial is None and ctx.account is not None:
            if ctx.incoming_quantity_override is not None:
                order = dc_replace(order, quantity=ctx.incoming_quantity_override)
                ctx.order = order
                ctx.refresh()
            tags, denial = tag_order(order, loaded.policy, ctx.account)
            if denial is None:
                alerts = self.abuse.on_order(order_id, order, now, ctx.reference_price)
                if action_for(loaded.policy, ctx.account) == "block":
                    # block while any alert on this account and symbol is live, not just the first order
                    live = alerts or self.abuse.active_alerts(order.account, order.symbol, now)
                    if live:
                        denial = blocked_denial(live)
                        self.abuse.forget(order_id)
        held = self._apply_self_trade_actions(ctx.self_trade_actions, order.origin.user)
        if denial is not None or tags is None:
            self._record_alerts(alerts, order_id, "BLOCK")
            final = denial if denial is not None else deny(DenyCode.MIFID_FIELD_MISSING, "mifid_tagging")
            denied = await self._deny(order_id, order, final, results, loaded.content_hash)
            if held:
                await self._release_held(held)
            return denied
        return await self._accept(order_id, ctx, results, tags, alerts, loaded, held)

    async def cancel(self, request: CancelRequest) -> AmendResult:
        result = await self._cancel(request)
        self._amend_decided("cancel", request.origin, result)
        return result

    async def replace(self, request: ReplaceRequest) -> AmendResult:
        """A replace is checked as the order it would become, then amended at the venue."""
        result = await self._replace(request)
        self._amend_decided("replace", request.origin, result)
        return result

    async def refuse(self, refusal: EntryRefusal) -> str | None:
        """Put a request its adapter refused on record as denied, like the chain's denials.

        Nothing reaches the state or a venue; the record is what the denials report and
        the metrics count. A new order gets an order id, as a denied one does; a cancel
        or replace keeps the one the adapter named, and returns None.
        """
        self._loop = self._loop or asyncio.get_running_loop()
        now = self.clock.now()
        loaded = self._policy()
        policy_hash = loaded.content_hash if loaded else None
        order_id = refusal.order_id
        new_order = refusal.request is Request.NEW
        if new_order:
            self._roll_day(now)
            order_id = self.state.next_order_id(now)
        payload = ev.refused_payload(
            order_id,
            refusal.cl_ord_id,
            refusal.account,
            refusal.origin,
            refusal.denial,
            refusal.as_sent,
            policy_hash,
        )
        await self._settle(self.audit.append(_REFUSAL_EVENTS[refusal.request], payload))
        if not new_order:
            kind = refusal.request.value.lower()
            self._amend_decided(kind, refusal.origin, AmendResult(order_id, False, refusal.denial))
            return None
        assert order_id is not None
        result = SubmitResult(order_id, False, refusal.denial)
        for observer in self.observers:
            observer.order_refused(refusal.origin.channel, result)
        return order_id

    def _roll_day(self, now: datetime) -> None:
        """On the first event of a new UTC day, forget the orders that are done and put
        what carries over on record, for a restart to start from (gateway/carry.py)."""
        if not self.state.roll_day(now):
            if self._opening is not None:
                self._retry_opening(now)
            return
        since = now - DAY_CLOSE_GRACE
        recent = [oid for oid, w in self.state.orders.items() if w.received_at >= since]
        forgotten = self.state.close_day(keep=recent)
        self._opening_forgotten = forgotten
        self._open_day_on_record(late=False)
        for observer in self.observers:
            observer.day_opened(self.state.orders.keys())

    def _open_day_on_record(self, late: bool) -> None:
        """Append ``risk.day_opened`` with the state as it stands; a restart starts there."""
        unrouted = [order_id for order_id in self.state.working if not self.router.is_placed(order_id)]
        payload = day_opened_payload(
            self.state, self.kill_switch, self._policy(), unrouted, self._opening_forgotten
        )
        if late:
            payload["late"] = True
        self._opening = self.audit.append(ev.DAY_OPENED, payload)

    def _retry_opening(self, now: datetime) -> None:
        """The day's opening did not land (the store was down as the day opened): write it
        again, at most once a second, as a snapshot of the state now, which is what the
        records before it leave. Without it a restart would start from the day before."""
        opening = self._opening
        assert opening is not None
        landed = opening.landed()
        if landed is None:  # not committed yet, or in doubt until the store reconnects
            return
        if landed:
            self._opening = None
            return
        if self._opening_retry_at is not None and now < self._opening_retry_at:
            return
        self._opening_retry_at = now + OPENING_RETRY
        log.warning("the day's opening was not recorded: recording it again")
        self._open_day_on_record(late=True)

    def _amend_decided(self, kind: str, origin: OrderOrigin, result: AmendResult) -> None:
        for observer in self.observers:
            observer.amend_decided(kind, origin.channel, result)

    async def _cancel(self, request: CancelRequest) -> AmendResult:
        self._loop = self._loop or asyncio.get_running_loop()
        self._roll_day(self.clock.now())
        working = self.state.order_by_cl_ord_id(request.account, request.orig_cl_ord_id)
        payload = {
            "order_id": working.order_id if working else None,
            "cl_ord_id": request.cl_ord_id,
            "orig_cl_ord_id": request.orig_cl_ord_id,
            "account": request.account,
            "origin": ev.origin_payload(request.origin),
            "reason": "client request",
        }
        if working is not None and self.withdrawals.blocks(working.order_id):
            return AmendResult(working.order_id, False, deny(DenyCode.AUDIT_UNAVAILABLE, "audit"))
        ticket = self.audit.append(ev.CANCEL_REQUESTED, payload)
        refused = refused_at_once(ticket)
        denial: Denial | None = None
        if working is None:
            denial = deny(DenyCode.UNKNOWN_ORDER, "order_entry", orig_cl_ord_id=request.orig_cl_ord_id)
        elif not working.status.is_working:
            denial = deny(DenyCode.ORDER_NOT_WORKING, "order_entry", status=working.status.value)
        if denial is not None:
            order_id = working.order_id if working else None
            await self._settle(
                self._append_denied_amend(ev.CANCEL_DENIED, order_id, request.cl_ord_id, denial)
            )
            return AmendResult(order_id, False, denial)
        assert working is not None
        if not await self._settle(ticket):
            unavailable = self._unavailable(
                ticket, refused, ev.CANCEL_REQUESTED, working.order_id, request.cl_ord_id, request.account
            )
            return AmendResult(working.order_id, False, unavailable)
        if working.status.is_working:
            self.cancel_working(working)
        return AmendResult(working.order_id, True)

    async def _replace(self, request: ReplaceRequest) -> AmendResult:
        self._loop = self._loop or asyncio.get_running_loop()
        now = self.clock.now()
        self._roll_day(now)
        working = self.state.order_by_cl_ord_id(request.account, request.orig_cl_ord_id)
        order_id = working.order_id if working else None
        loaded = self._policy()
        denial: Denial | None = None
        results: list[CheckResult] = []
        held: list[HeldAmend] = []
        if working is not None and self.withdrawals.blocks(working.order_id):
            return AmendResult(working.order_id, False, deny(DenyCode.AUDIT_UNAVAILABLE, "audit"))
        if working is None:
            denial = deny(DenyCode.UNKNOWN_ORDER, "order_entry", orig_cl_ord_id=request.orig_cl_ord_id)
        elif not working.status.is_working:
            denial = deny(DenyCode.ORDER_NOT_WORKING, "order_entry", status=working.status.value)
        elif loaded is None:
            denial = deny(DenyCode.POLICY_UNAVAILABLE, "policy")
        elif request.quantity <= working.cum_qty:
            denial = deny(
                DenyCode.REPLACE_BELOW_FILLED,
                "order_entry",
                quantity=request.quantity,
                filled=working.cum_qty,
            )
        elif self.state.order_by_cl_ord_id(request.account, request.cl_ord_id) is not None:
            denial = deny(DenyCode.DUPLICATE_CL_ORD_ID, "order_entry", cl_ord_id=request.cl_ord_id)
        new_order = working.replaced_by(request) if working else None
        if working is not None and new_order is not None:
            self.audit.append(
                ev.REPLACE_REQUESTED,
                {
                    "order_id": order_id,
                    "cl_ord_id": request.cl_ord_id,
                    "orig_cl_ord_id": request.orig_cl_ord_id,
                    "order": ev.order_payload(new_order),
                },
            )
        if denial is None and working is not None and new_order is not None and loaded is not None:
            self.state.note_message(request.origin.throttle_key, request.account, now)
            ctx = self._context(new_order, now, loaded, working)
            denial, results = self.chain.evaluate(ctx)
            held = self._apply_self_trade_actions(ctx.self_trade_actions, request.origin.user)
            if denial is None:
                return await self._accept_replace(working, ctx, results, held)
        assert denial is not None
        await self._settle(
            self._append_denied_amend(ev.REPLACE_DENIED, order_id, request.cl_ord_id, denial, results)
        )
        if held:
            await self._release_held(held)
        return AmendResult(order_id, False, denial)

    # ---- the steps ----------------------------------------------------------------

    def _context(
        self, order: NewOrder, now: datetime, loaded: LoadedPolicy, replacing: WorkingOrder | None
    ) -> CheckContext:
        policy = loaded.policy
        instrument = self.instruments.get(order.symbol)
        venue = self.router.venue_for(order, instrument.mic if instrument else None)
        return CheckContext(
            order=order,
            now=now,
            policy=policy,
            state=self.state,
            kill_switch=self.kill_switch,
            venue=instrument.mic if instrument and not order.venue else venue,
            account=policy.account(order.account),
            instrument=instrument,
            instrument_policy=policy.instrument(order.symbol),
            reference_price=self.instruments.reference_price(order.symbol),
            fx_rate=policy.fx_rate(instrument.currency) if instrument else None,
            replacing=replacing,
        )

    async def _deny(
        self,
        order_id: str,
        order: NewOrder,
        denial: Denial,
        results: list[CheckResult],
        policy_hash: str | None,
    ) -> SubmitResult:
        ticket = self.audit.append(
            ev.ORDER_DENIED, ev.denied_payload(order_id, order, denial, results, policy_hash)
        )
        durable = await self._settle(ticket)
        seq = ticket.seq(0) if durable else None
        return SubmitResult(order_id, False, denial, seq)

    async def _accept(
        self,
        order_id: str,
        ctx: CheckContext,
        results: list[CheckResult],
        tags: dict[str, Any],
        alerts: list[AbuseAlert],
        loaded: LoadedPolicy,
        held: list[HeldAmend],
    ) -> SubmitResult:
        order = ctx.order
        price_base = ctx.price_base
        valuation_base = ctx.reference_base
        assert price_base is not None and valuation_base is not None  # the chain denies otherwise
        instrument = ctx.instrument
        venue = self.router.venue_for(order, instrument.mic if instrument else None)
        # Reserve first, so that orders evaluated while this one waits for the disk see it.
        working = self.state.on_accepted(order_id, order, ctx.now, venue, price_base, valuation_base)
        payload = ev.accepted_payload(
            order_id,
            order,
            results,
            tags,
            [_alert_payload(a, order_id, "ALERT") for a in alerts],
            loaded.content_hash,
        )
        payload["reservation"] = {
            "venue": venue,
            "price_base": ev.dec(price_base),
            "valuation_price": ev.dec(valuation_base),
        }
        accepted = self.audit.append(ev.ORDER_ACCEPTED, payload)
        refused = refused_at_once(accepted)
        self._record_alerts(alerts, order_id, "ALERT")
        durable = await self._settle(accepted)
        if held:  # before routing: the resting order leaves the book first
            await self._release_held(held)
        if not durable:
            self._rollback(working)
            unavailable = self._unavailable(
                accepted, refused, ev.ORDER_ACCEPTED, order_id, order.cl_ord_id, order.account
            )
            return SubmitResult(order_id, False, unavailable)
        seq = working.accepted_seq = accepted.seq(0)
        if working.status is OrderStatus.PENDING_CANCEL:
            # cancelled (kill switch, self-trade prevention) while its acceptance was being made durable
            self.on_venue_report(
                ExecutionReport(
                    order_id,
                    f"{order_id}-gw",
                    ExecType.CANCELED,
                    venue,
                    self.clock.now(),
                    text="cancelled before routing",
                )
            )
            return SubmitResult(order_id, True, None, seq)
        self.audit.append(  # lazy: the client has its acknowledgement; this shares the next commit
            ev.ORDER_ROUTED,
            ev.routed_payload(order_id, venue, instrument.mic if instrument else None),
            lazy=True,
        )
        self.router.submit(venue, RoutedOrder(order_id, working.order))
        return SubmitResult(order_id, True, None, seq)

    def cancel_working(self, working: WorkingOrder) -> None:
        """Ask the venue to cancel; an order not yet routed is cancelled before it is.
        Callers have made the record that explains the cancel durable first."""
        working.status = OrderStatus.PENDING_CANCEL
        self.send_cancel(working)

    def send_cancel(self, working: WorkingOrder) -> None:
        """The venue half of :meth:`cancel_working`, for an order already marked pending cancel."""
        if working.status.is_working and self.router.is_placed(working.order_id):
            self.router.cancel(working.order_id)

    async def _accept_replace(
        self, working: WorkingOrder, ctx: CheckContext, results: list[CheckResult], held: list[HeldAmend]
    ) -> AmendResult:
        new_order = ctx.order
        if ctx.incoming_quantity_override is not None:
            new_order = dc_replace(new_order, quantity=working.cum_qty + ctx.incoming_quantity_override)
        price_base = ctx.price_base
        valuation_base = ctx.reference_base
        assert price_base is not None and valuation_base is not None
        ticket = self.audit.append(
            ev.REPLACE_ACCEPTED,
            {
                "order_id": working.order_id,
                "cl_ord_id": new_order.cl_ord_id,
                "checks": ev.checks_payload(results),
                "order": ev.order_payload(new_order),
                "reservation": {
                    "venue": working.venue,
                    "price_base": ev.dec(price_base),
                    "valuation_price": ev.dec(valuation_base),
                },
            },
        )
        refused = refused_at_once(ticket)
        durable = await self._settle(ticket)
        if held:
            await self._release_held(held)
        if not durable:
            kept = self.state.reservations.get(working.order_id)  # gone if it filled meanwhile
            in_force = None
            if kept is not None:
                in_force = {
                    "order": ev.order_payload(working.order),
                    "reservation": {
                        "venue": working.venue,
                        "price_base": ev.dec(kept.price_base),
                        "valuation_price": ev.dec(kept.valuation_price),
                    },
                }
            unavailable = self._unavailable(
                ticket,
                refused,
                ev.REPLACE_ACCEPTED,
                working.order_id,
                new_order.cl_ord_id,
                new_order.account,
                in_force,
            )
            return AmendResult(working.order_id, False, unavailable)
        if not working.status.is_working:  # filled or cancelled while we waited for the disk
            return AmendResult(working.order_id, False, deny(DenyCode.ORDER_NOT_WORKING, "order_entry"))
        previous = self.state.reservations[working.order_id]
        self._replaces_in_flight[working.order_id] = (
            working.order,
            previous.price_base,
            previous.valuation_price,
        )
        self.state.on_replaced(working.order_id, new_order, price_base, valuation_base)
        self.router.replace(RoutedOrder(working.order_id, new_order))
        return AmendResult(working.order_id, True)

    def _unavailable(
        self,
        ticket: AppendTicket,
        refused: bool,
        record: str,
        order_id: str,
        cl_ord_id: str,
        account: str,
        in_force: dict[str, Any] | None = None,
    ) -> Denial:
        """The refusal for a decision whose record did not become durable. Unless the store
        refused the record outright, its commit failed in doubt: queue its withdrawal."""
        unavailable = deny(DenyCode.AUDIT_UNAVAILABLE, "audit")
        if not refused:
            payload = ev.withdrawn_payload(record, order_id, cl_ord_id, account, unavailable, in_force)
            self.withdrawals.withdraw(payload, ticket)
        return unavailable

    def _rollback(self, working: WorkingOrder) -> None:
        """Forget an order whose acceptance could not be made durable: a retry must be possible."""
        self.state.forget(working.order_id)

    def _apply_self_trade_actions(self, actions: list[SelfTradeAction], actor: str) -> list[HeldAmend]:
        """Record each self-trade cancel or decrement and apply it to our state now (later orders
        see it); the venue is asked only once the record is durable (:meth:`_release_held`)."""
        held: list[HeldAmend] = []
        for action in actions:
            working = self.state.orders.get(action.order_id)
            if working is None or not working.status.is_working:
                continue
            if working.status is OrderStatus.PENDING_CANCEL:
                continue  # its cancel is already on the way: ask once
            ticket = self.audit.append(
                ev.CANCEL_REQUESTED,
                {
                    "order_id": working.order_id,
                    "cl_ord_id": working.order.cl_ord_id,
                    "orig_cl_ord_id": working.order.cl_ord_id,
                    "account": working.order.account,
                    "origin": ev.origin_payload(working.order.origin),
                    "reason": "self-trade prevention" + (" (decrement)" if action.new_quantity else ""),
                    "requested_by": actor,
                },
            )
            if action.new_quantity is None:
                held.append(HeldAmend(ticket, working, None, working.status, None))
                working.status = OrderStatus.PENDING_CANCEL
            else:
                reservation = self.state.reservations[working.order_id]
                before = (working.order, reservation.price_base, reservation.valuation_price)
                smaller = dc_replace(working.order, quantity=action.new_quantity)
                self.state.on_replaced(
                    working.order_id, smaller, reservation.price_base, reservation.valuation_price
                )
                held.append(HeldAmend(ticket, working, smaller, working.status, before))
        return held

    async def _release_held(self, held: list[HeldAmend]) -> None:
        """Send held self-trade amendments whose records are durable; undo the others (the venue
        never heard of them). Called before the incoming order is routed."""
        for amend in held:
            working = amend.working
            if await self._settle(amend.ticket):
                if amend.smaller is None:
                    self.send_cancel(working)
                elif working.status.is_working and self.router.is_placed(working.order_id):
                    self.router.replace(RoutedOrder(working.order_id, amend.smaller))
                # an order not yet routed is routed as amended
            elif amend.before is None:
                if working.status is OrderStatus.PENDING_CANCEL:
                    working.status = amend.status
            elif working.status.is_working and working.order is amend.smaller:
                self.state.on_replaced(working.order_id, *amend.before)

    def _record_alerts(self, alerts: list[AbuseAlert], order_id: str | None, action: str) -> None:
        for alert in alerts:
            self.audit.append(ev.ABUSE_ALERT, _alert_payload(alert, order_id, action))

    def _append_denied_amend(
        self,
        event: str,
        order_id: str | None,
        cl_ord_id: str,
        denial: Denial,
        results: list[CheckResult] | None = None,
    ) -> AppendTicket:
        return self.audit.append(
            event,
            {
                "order_id": order_id,
                "cl_ord_id": cl_ord_id,
                "denial": ev.denial_payload(denial),
                "checks": ev.checks_payload(results or []),
            },
        )

    @staticmethod
    async def _settle(ticket: AppendTicket) -> bool:
        try:
            await ticket.durable()
        except AuditUnavailable:
            log.error("audit store unavailable: failing closed")
            return False
        return True

    # ---- venue reports --------------------------------------------------------------

    def on_venue_report(self, report: ExecutionReport) -> None:
        """Called by a venue (on the loop thread) for each report on one of our orders."""
        self._roll_day(self.clock.now())
        working = self.state.orders.get(report.order_id)
        if working is None:
            # an order forgotten at a day's close (a late bust) or never ours: on record all the same
            log.warning("report for unknown order %s", report.order_id)
            self.audit.append(ev.EXEC_UNMATCHED, ev.unmatched_payload(report))
            self.unmatched_reports[report.venue] = self.unmatched_reports.get(report.venue, 0) + 1
            return
        if report.exec_type in _FILLS and working.fills is not None and report.exec_id in working.fills:
            # an adapter let a repeat through (its own duplicate check failed): never booked twice
            log.error("fill %s of order %s is booked already", report.exec_id, report.order_id)
            repeat = ev.unmatched_payload(report)
            repeat["reason"] = "fill already booked"
            self.audit.append(ev.EXEC_UNMATCHED, repeat)
            self.unmatched_reports[report.venue] = self.unmatched_reports.get(report.venue, 0) + 1
            return
        fx = self._fx(working)
        if report.exec_type in (ExecType.REPLACED, ExecType.REPLACE_REJECTED):
            previous = self._replaces_in_flight.pop(report.order_id, None)
            if previous is not None and report.exec_type is ExecType.REPLACE_REJECTED:
                # the venue kept the old version: so does our state, reservation included
                self.state.on_replaced(report.order_id, *previous)
        self.state.on_execution(report, fx)
        now = report.transact_time
        if report.exec_type is ExecType.REPLACED:
            working.status = OrderStatus.PARTIALLY_FILLED if working.cum_qty else OrderStatus.NEW
        leaves = working.leaves_qty
        payload = ev.execution_record_payload(
            report, working.order, working.status.value, working.cum_qty, leaves, working.avg_px, fx
        )
        # A venue's acknowledgement of an order already acknowledged to its client need not
        # hurry to disk (what it might tell anyone still waits for it to be durable).
        ticket = self.audit.append(ev.EXECUTION, payload, lazy=report.exec_type is ExecType.NEW)
        alerts: list[AbuseAlert] = []
        if report.exec_type in (ExecType.PARTIAL_FILL, ExecType.FILL):
            alerts = self.abuse.on_fill(report.order_id, report.last_qty or Decimal(0), now)
            self._count_fill(working, now)
        elif report.exec_type is ExecType.CANCELED:  # whoever asked: client, kill switch, STP, IOC
            alerts = self.abuse.on_cancel(report.order_id, now)
        self._record_alerts(alerts, report.order_id, "ALERT")
        if not working.status.is_working:
            self.router.forget(report.order_id)
        update = None
        if self._listeners:  # an adapter to tell; the record is kept in order either way
            update = OrderUpdate(
                order_id=working.order_id,
                cl_ord_id=working.order.cl_ord_id,
                orig_cl_ord_id=None,
                account=working.order.account,
                origin=working.order.origin,
                status=working.status,
                order=working.order,
                cum_qty=working.cum_qty,
                leaves_qty=leaves,
                avg_px=working.avg_px,
                report=report,
                text=report.text,
            )
        self._publish_when_durable(ticket, update, payload)

    def _fx(self, working: WorkingOrder) -> Decimal:
        """The FX rate of the order's currency under the policy in force (cached per policy)."""
        loaded = self._policy()
        symbol = working.order.symbol
        if loaded is not self._fx_policy:
            self._fx_policy, self._fx_cache = loaded, {}
        rate = self._fx_cache.get(symbol)
        if rate is None:
            instrument = self.instruments.get(symbol)
            found = loaded.policy.fx_rate(instrument.currency) if loaded and instrument else None
            rate = self._fx_cache[symbol] = found if found is not None else Decimal(1)
        return rate

    def _count_fill(self, working: WorkingOrder, now: datetime) -> None:
        loaded = self._policy()
        throttle = loaded.policy.firm.execution_throttle if loaded else None
        if throttle is None:
            return
        span = timedelta(seconds=float(throttle.window_seconds))
        account = working.order.account
        if self.state.on_fill_window(account, now, span, throttle.max_fills):
            self.audit.append(
                ev.EXEC_THROTTLE_TRIPPED,
                {
                    "account": account,
                    "max_fills": throttle.max_fills,
                    "window_seconds": ev.dec(throttle.window_seconds),
                },
            )

    async def reenable_executions(self, account: str, actor: str, reason: str) -> bool:
        """A person re-enables an account after the repeated-execution throttle tripped."""
        if account not in self.state.execution_disabled:
            return False
        ticket = self.audit.append(
            ev.EXEC_THROTTLE_RESET, {"account": account, "actor": actor, "reason": reason}
        )
        if not await self._settle(ticket):
            return False
        self.state.execution_disabled.discard(account)
        return True

    # ---- durable-then-publish ----------------------------------------------------------

    def _publish_when_durable(
        self, ticket: AppendTicket, update: OrderUpdate | None, payload: dict[str, Any]
    ) -> None:
        self._pending.append((ticket, update, payload))
        ticket.add_done_callback(self._schedule_drain)

    def _schedule_drain(self, _: AppendTicket) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # no loop yet (start-up): the first drain once there is one delivers these too
        with self._drain_lock:
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        """Deliver, in order, every update whose record is durable; retry failed ones."""
        with self._drain_lock:
            self._drain_scheduled = False
        while self._pending and self._pending[0][0].done():
            ticket, update, payload = self._pending.popleft()
            try:
                ticket.seq(0)  # raises if the record could not be made durable
            except AuditUnavailable:
                self._retry_later(ticket, update, payload)
                return
            self._deliver(update)

    def _deliver(self, update: OrderUpdate | None) -> None:
        if update is not None:
            for listener in self._listeners:
                try:
                    listener(update)
                except Exception:  # one broken adapter must not stop the others
                    log.exception("order listener failed")

    def _retry_later(self, failed: AppendTicket, update: OrderUpdate | None, payload: dict[str, Any]) -> None:
        """A venue fact could not be recorded: hold it and everything after it, and once the
        store says whether a commit that failed in doubt landed, append the same record
        again (marked ``retried``) only if it did not: never lost, never recorded twice."""
        log.error("audit append of an execution report failed; retrying")
        assert self._loop is not None
        loop = self._loop
        rest = list(self._pending)
        self._pending.clear()

        def again() -> None:
            landed = failed.landed()
            if landed is None:  # in doubt, and the store has not reconnected to tell yet
                loop.call_later(RETRY_SECONDS, again)
                return
            if landed:
                self._deliver(update)
            else:
                retried = {**payload, "retried": True}
                self._publish_when_durable(self.audit.append(ev.EXECUTION, retried), update, retried)
            for ticket, item, item_payload in rest:
                self._publish_when_durable(ticket, item, item_payload)

        loop.call_later(RETRY_SECONDS, again)

    # ---- read side for adapters and the API ---------------------------------------------

    def working_orders(self, *, account: str | None = None, session: str | None = None) -> list[WorkingOrder]:
        return [
            w
            for w in self.state.working_orders(account)
            if session is None or w.order.origin.session == session
        ]

    def current_policy(self) -> LoadedPolicy | None:
        return self._policy()


_REFUSAL_EVENTS = {
    Request.NEW: ev.ORDER_DENIED,
    Request.CANCEL: ev.CANCEL_DENIED,
    Request.REPLACE: ev.REPLACE_DENIED,
}


def _alert_payload(alert: AbuseAlert, order_id: str | None, action: str) -> dict[str, Any]:
    return ev.abuse_alert_payload(
        alert.monitor, alert.account, alert.symbol, action, order_id, alert.message, dict(alert.metrics)
    )
