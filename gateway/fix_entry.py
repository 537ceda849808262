"""The FIX entry adapter: FIX application messages in, pipeline calls out, reports back.

* NewOrderSingle -> ``entry.submit``; ExecutionReport New only once the
  pipeline says accepted (by then the acceptance is durable in the audit log),
  Rejected with OrdRejReason and the denial text otherwise.
* OrderCancelRequest / OrderCancelReplaceRequest -> ``entry.cancel`` /
  ``entry.replace``; PendingCancel / PendingReplace on acceptance,
  OrderCancelReject (9) on denial; Canceled / Replaced when the venue confirms.
* OrderStatusRequest answered from what this adapter knows; OrderMassCancelRequest
  cancels the session's working orders and answers with OrderMassCancelReport.
* Pipeline updates go back to the session that entered the order (origin
  channel FIX, origin session = the FIX session id), and a copy of every
  ExecutionReport goes to each drop-copy session.
* Cancel-on-disconnect per session; a per-session message throttle answered
  with BusinessMessageReject.

:func:`start_fix` is what ``gateway serve`` calls.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from fix import tags as t
from fix.acceptor import FixAcceptor
from fix.application import BusinessReject, Sender, UnsupportedMessageType
from fix.auth import PasswordFile
from fix.config import SessionSettings, load_config
from fix.ids import SessionID
from fix.journal import AuditJournal, Journal, null_journal
from fix.message import Field, FixMessage
from fix.messages import (
    SIDES,
    EntryContext,
    ExecType,
    OrderRefused,
    cancel_reject,
    cxl_rej_reason,
    execution_report,
    mass_cancel_report,
    ord_rej_reason,
    parse_cancel,
    parse_new_order,
    parse_replace,
    rejected_order_view,
    restated_as_sent,
    unknown_order_status,
)
from fix.orders import OrderTracker, Report, TrackedOrder, report_for
from fix.parties import Party, parties_for
from fix.session import Authenticator
from fix.store import SqliteStoreFile, StoreFile
from fix.tags import BusinessRejectReason, MsgType
from fix.throttle import SlidingWindowThrottle
from fix.tls import SecretLookup
from risk_controls.domain import (
    CancelRequest,
    Channel,
    DenyCode,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    OrdType,
    ReplaceRequest,
    Side,
    TimeInForce,
    WorkingOrder,
)
from risk_controls.domain import ExecType as DomainExecType
from risk_controls.domain.clock import Clock, SystemClock
from risk_controls.entry import (
    AmendResult,
    EntryRefusal,
    OrderEntry,
    OrderUpdate,
    Request,
    SubmitResult,
)

log = logging.getLogger(__name__)
ZERO = Decimal(0)
COD_USER = "cancel-on-disconnect"
_VENUE_REFUSALS = frozenset({DomainExecType.CANCEL_REJECTED, DomainExecType.REPLACE_REJECTED})


class WorkingOrderSource(Protocol):
    """Optional: the pipeline's view of a session's working orders (survives restarts)."""

    def working_orders(
        self, *, account: str | None = None, session: str | None = None
    ) -> list[WorkingOrder]: ...


@dataclass
class _SessionState:
    settings: SessionSettings
    context: EntryContext
    throttle: SlidingWindowThrottle | None


class FixOrderEntry:
    """The FIX :class:`~fix.application.Application` in front of an :class:`OrderEntry`."""

    def __init__(
        self,
        entry: OrderEntry,
        sessions: Iterable[SessionSettings],
        *,
        working_orders: WorkingOrderSource | None = None,
        clock: Clock | None = None,
        exec_id_prefix: str | None = None,
        decided_before: Iterable[tuple[str, str]] = (),
    ) -> None:
        """``decided_before``: (origin session, ClOrdID) of new orders from these sessions the
        gateway answered before this process started (see :func:`fix_orders_decided`)."""
        self._entry = entry
        self._decided_before = set(decided_before)
        self._working_source = working_orders
        self._clock = clock or SystemClock()
        self._sender: Sender | None = None
        self._sessions: dict[SessionID, _SessionState] = {}
        self._by_text: dict[str, SessionID] = {}
        for settings in sessions:
            sid = settings.session_id
            throttle = (
                SlidingWindowThrottle(settings.throttle.max_messages, settings.throttle.window_seconds)
                if settings.throttle
                else None
            )
            context = EntryContext(
                session=settings.origin_name,
                begin_string=sid.begin_string,
                allowed_accounts=settings.allowed_accounts,
                default_account=settings.default_account,
                mifid_defaults=settings.mifid_defaults,
                capacity_map=settings.capacity_map,
                default_user=sid.target_comp_id,
            )
            self._sessions[sid] = _SessionState(settings, context, throttle)
            self._by_text[settings.origin_name] = sid
        self._drop_copies = [s for s, st in self._sessions.items() if st.settings.drop_copy]
        self.orders = OrderTracker()
        self._pending: dict[tuple[str, str], list[OrderUpdate]] = {}
        self._in_flight: dict[tuple[str, str], int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._exec_prefix = exec_id_prefix or self._clock.now().strftime("FX%y%m%d%H%M%S%f-")
        self._exec_counter = 0
        entry.subscribe(self.on_update)

    def attach(self, sender: Sender) -> None:
        """Give the adapter the engine it answers through (the acceptor)."""
        self._sender = sender

    # ------------------------------------------------------------------ Application

    def on_logon(self, session_id: SessionID) -> None:
        self._bind_loop()
        log.info("FIX session %s logged on", session_id)

    def on_logout(self, session_id: SessionID) -> None:
        state = self._sessions.get(session_id)
        if state is None or not state.settings.cancel_on_disconnect:
            return
        self._bind_loop()
        targets = self._cancel_targets(session_id, state.settings.origin_name)
        log.warning("%s disconnected: cancelling %d working orders", session_id, len(targets))
        origin = OrderOrigin(Channel.FIX, state.settings.origin_name, COD_USER)
        for order_id, cl_ord_id, account in targets:
            request = CancelRequest(f"COD-{order_id}", cl_ord_id, account, origin)
            self._spawn(self._entry.cancel(request))

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        self._bind_loop()
        state = self._sessions.get(session_id)
        if state is None:
            raise UnsupportedMessageType(message.msg_type)
        msg_type = message.msg_type
        if state.settings.drop_copy:
            raise BusinessReject(BusinessRejectReason.NOT_AUTHORIZED, "drop-copy session is read-only")
        if msg_type == MsgType.ORDER_STATUS_REQUEST:
            self._status(session_id, state, message)
            return
        handler = {
            MsgType.NEW_ORDER_SINGLE: self._new_order,
            MsgType.ORDER_CANCEL_REQUEST: self._cancel,
            MsgType.ORDER_CANCEL_REPLACE_REQUEST: self._replace,
            MsgType.ORDER_MASS_CANCEL_REQUEST: self._mass_cancel,
        }.get(msg_type or b"")
        if handler is None or (
            msg_type == MsgType.ORDER_MASS_CANCEL_REQUEST and session_id.begin_string == "FIX.4.2"
        ):
            raise UnsupportedMessageType(msg_type)
        if state.throttle is not None and not state.throttle.allow(time.monotonic()):
            limit = state.throttle
            raise BusinessReject(
                BusinessRejectReason.OTHER,
                f"{DenyCode.SESSION_THROTTLE_EXCEEDED.value} max={limit.limit} window_s={limit.window:g}",
                message.get_str(t.CL_ORD_ID),
            )
        handler(session_id, state, message)

    # ------------------------------------------------------------------ new orders

    def _new_order(self, sid: SessionID, state: _SessionState, message: FixMessage) -> None:
        replay = self._is_replay(message)
        try:
            parsed = parse_new_order(message, state.context)
        except OrderRefused as refused:
            cl_ord_id = message.require_str(t.CL_ORD_ID)
            if not (replay and self._answered(sid, (state.context.session, cl_ord_id))):
                self._refuse_raw(sid, message, refused)
            return
        order = parsed.order
        key = (state.context.session, order.cl_ord_id)
        if replay and self._decided_or_deciding(sid, key):
            return  # a resent order we already have (session test case 19)
        self._pending.setdefault(key, [])
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        self._spawn(self._submit(sid, order, parsed.parties))

    def _decided_or_deciding(self, sid: SessionID, key: tuple[str, str]) -> bool:
        """Has this session's order with this ClOrdID been answered, or is it in the pipeline?"""
        return key in self._in_flight or self._answered(sid, key)

    def _answered(self, sid: SessionID, key: tuple[str, str]) -> bool:
        """Was this session's new order with this ClOrdID answered, by this process or before?"""
        cl_ord_id = key[1]
        return (
            self.orders.by_cl(sid, cl_ord_id) is not None
            or self.orders.was_rejected(sid, cl_ord_id)
            or key in self._decided_before
        )

    async def _submit(self, sid: SessionID, order: NewOrder, parties: list[Party]) -> None:
        key = (order.origin.session, order.cl_ord_id)
        try:
            result: SubmitResult | None = await self._entry.submit(order)
        except Exception:
            log.exception("%s: submit failed for %s", sid, order.cl_ord_id)
            result = None
        self._in_flight[key] -= 1
        if not self._in_flight[key]:
            del self._in_flight[key]
        if result is None or not result.accepted:
            if key not in self._in_flight:
                self._pending.pop(key, None)
            text = result.denial.text() if result and result.denial else "internal error: not accepted"
            code = result.denial.code if result and result.denial else DenyCode.AUDIT_UNAVAILABLE
            order_id = result.order_id if result else "NONE"
            self.orders.rejected(sid, order.cl_ord_id)
            view = rejected_order_view(order_id, order, parties_for(order.mifid, parties))
            self._report(
                sid,
                Report(
                    view, ExecType.REJECTED, text=text, ord_rej_reason=ord_rej_reason(code, sid.begin_string)
                ),
            )
            return
        tracked = self.orders.add(
            TrackedOrder(
                sid,
                result.order_id,
                order.cl_ord_id,
                order,
                OrderStatus.NEW,
                _zero(),
                order.quantity,
                _zero(),
                tuple(parties_for(order.mifid, parties)),
                acknowledged=True,
            )
        )
        self._report(sid, Report(tracked.view(), ExecType.NEW))
        for update in self._pending.pop(key, []):
            self._apply(tracked, update)

    def _refuse_raw(self, sid: SessionID, message: FixMessage, refused: OrderRefused) -> None:
        """An order the adapter refused before the pipeline: on record as denied, then Rejected."""
        context = self._sessions[sid].context
        self.orders.rejected(sid, message.require_str(t.CL_ORD_ID))
        refusal = EntryRefusal(
            Request.NEW,
            message.require_str(t.CL_ORD_ID),
            message.get_str(t.ACCOUNT) or context.default_account,
            context.origin(message),
            refused.denial,
            _as_sent(message),
        )
        self._spawn(self._refuse_new(sid, message, refusal))

    async def _refuse_new(self, sid: SessionID, message: FixMessage, refusal: EntryRefusal) -> None:
        order_id = await self._record_refusal(sid, refusal)
        order = NewOrder(
            cl_ord_id=refusal.cl_ord_id,
            account=refusal.account or "",
            symbol=message.get_str(t.SYMBOL) or "",
            side=SIDES.get(message.get(t.SIDE) or b"", Side.BUY),
            quantity=message.get_decimal(t.ORDER_QTY) or _zero(),
            ord_type=OrdType.LIMIT if t.PRICE in message else OrdType.MARKET,
            tif=TimeInForce.DAY,
            origin=refusal.origin,
            limit_price=message.get_decimal(t.PRICE),
        )
        view = rejected_order_view(order_id or "NONE", order, [])
        reason = ord_rej_reason(refusal.denial.code, sid.begin_string)
        rejected = Report(view, ExecType.REJECTED, text=refusal.denial.text(), ord_rej_reason=reason)
        self._report(sid, rejected, as_sent=message)

    async def _record_refusal(self, sid: SessionID, refusal: EntryRefusal) -> str | None:
        """The pipeline's record of the refusal; the desk is answered even if it fails."""
        try:
            return await self._entry.refuse(refusal)
        except Exception:
            log.exception("%s: recording the refusal of %s failed", sid, refusal.cl_ord_id)
            return None

    # ------------------------------------------------------------------ cancel / replace

    def _cancel(self, sid: SessionID, state: _SessionState, message: FixMessage) -> None:
        try:
            request = parse_cancel(message, state.context)
        except OrderRefused as refused:
            self._cancel_reject_raw(sid, message, refused, replace=False)
            return
        tracked = self._tracked(sid, state, request.orig_cl_ord_id)
        if tracked is not None:
            tracked.pending_cancel_cl = request.cl_ord_id
        self._spawn(self._cancel_flow(sid, request, tracked))

    async def _cancel_flow(
        self, sid: SessionID, request: CancelRequest, tracked: TrackedOrder | None
    ) -> None:
        result = await self._amend(self._entry.cancel(request))
        if result.accepted:
            if tracked is not None and tracked.status.is_working and tracked.pending_cancel_cl:
                tracked.status = OrderStatus.PENDING_CANCEL
                view = tracked.view(request.cl_ord_id, tracked.cl_ord_id)
                self._report(sid, Report(view, ExecType.PENDING_CANCEL))
            return
        if tracked is not None:
            tracked.pending_cancel_cl = None
        self._cancel_reject(
            sid,
            request.cl_ord_id,
            request.orig_cl_ord_id,
            tracked,
            result,
            replace=False,
            account=request.account,
        )

    def _replace(self, sid: SessionID, state: _SessionState, message: FixMessage) -> None:
        try:
            request = parse_replace(message, state.context)
        except OrderRefused as refused:
            self._cancel_reject_raw(sid, message, refused, replace=True)
            return
        tracked = self._tracked(sid, state, request.orig_cl_ord_id)
        if tracked is not None:
            symbol = message.get_str(t.SYMBOL)
            side = SIDES.get(message.get(t.SIDE) or b"")
            if (symbol and symbol != tracked.order.symbol) or (side and side is not tracked.order.side):
                change = OrderRefused(DenyCode.UNSUPPORTED_ORDER_TYPE, not_replaceable="symbol,side")
                self._cancel_reject_raw(sid, message, change, replace=True, tracked=tracked)
                return
            tracked.pending_replace = (request.cl_ord_id, tracked.cl_ord_id)
        self._spawn(self._replace_flow(sid, request, tracked))

    async def _replace_flow(
        self, sid: SessionID, request: ReplaceRequest, tracked: TrackedOrder | None
    ) -> None:
        result = await self._amend(self._entry.replace(request))
        if result.accepted:
            if tracked is not None and tracked.pending_replace is not None:
                view = tracked.view(request.cl_ord_id, tracked.cl_ord_id)
                self._report(sid, Report(view, ExecType.PENDING_REPLACE, ord_status=b"E"))
            return
        if tracked is not None:
            tracked.pending_replace = None
        self._cancel_reject(
            sid,
            request.cl_ord_id,
            request.orig_cl_ord_id,
            tracked,
            result,
            replace=True,
            account=request.account,
        )

    async def _amend(self, call: Coroutine[Any, Any, AmendResult]) -> AmendResult:
        try:
            return await call
        except Exception:
            log.exception("cancel/replace failed in the pipeline")
            from risk_controls.domain.decisions import deny

            return AmendResult(None, False, deny(DenyCode.AUDIT_UNAVAILABLE, "fix_entry"))

    def _cancel_reject(
        self,
        sid: SessionID,
        cl_ord_id: str,
        orig_cl_ord_id: str,
        tracked: TrackedOrder | None,
        result: AmendResult,
        *,
        replace: bool,
        account: str,
    ) -> None:
        from fix.messages import ORD_STATUS_CODES

        denial = result.denial
        status = ORD_STATUS_CODES[tracked.status] if tracked is not None else b"8"
        body = cancel_reject(
            order_id=result.order_id or (tracked.order_id if tracked else None),
            cl_ord_id=cl_ord_id,
            orig_cl_ord_id=orig_cl_ord_id,
            ord_status=status,
            response_to_replace=replace,
            reason=cxl_rej_reason(denial.code if denial else None, sid.begin_string),
            text=denial.text() if denial else "not accepted",
            account=account,
        )
        self._send(sid, MsgType.ORDER_CANCEL_REJECT, body)

    def _cancel_reject_raw(
        self,
        sid: SessionID,
        message: FixMessage,
        refused: OrderRefused,
        *,
        replace: bool,
        tracked: TrackedOrder | None = None,
    ) -> None:
        """A cancel or replace the adapter refused: on record as denied, then OrderCancelReject."""
        context = self._sessions[sid].context
        refusal = EntryRefusal(
            Request.REPLACE if replace else Request.CANCEL,
            message.require_str(t.CL_ORD_ID),
            message.get_str(t.ACCOUNT) or context.default_account,
            context.origin(message),
            refused.denial,
            _as_sent(message),
            order_id=tracked.order_id if tracked else None,
        )
        self._spawn(self._refuse_amend(sid, message, refusal, tracked))

    async def _refuse_amend(
        self, sid: SessionID, message: FixMessage, refusal: EntryRefusal, tracked: TrackedOrder | None
    ) -> None:
        from fix.messages import ORD_STATUS_CODES

        await self._record_refusal(sid, refusal)
        body = cancel_reject(
            order_id=tracked.order_id if tracked else None,
            cl_ord_id=refusal.cl_ord_id,
            orig_cl_ord_id=message.require_str(t.ORIG_CL_ORD_ID),
            ord_status=ORD_STATUS_CODES[tracked.status] if tracked else b"8",
            response_to_replace=refusal.request is Request.REPLACE,
            reason=2,
            text=refusal.denial.text(),
        )
        self._send(sid, MsgType.ORDER_CANCEL_REJECT, body)

    # ------------------------------------------------------------------ status / mass cancel

    def _status(self, sid: SessionID, state: _SessionState, message: FixMessage) -> None:
        cl_ord_id = message.require_str(t.CL_ORD_ID)
        req_id = message.get_str(t.ORD_STATUS_REQ_ID)
        tracked = self._tracked(sid, state, cl_ord_id)
        order_id = message.get_str(t.ORDER_ID)
        if tracked is None and order_id:
            candidate = self.orders.by_id(order_id)
            tracked = candidate if candidate and candidate.session_id == sid else None
        now = self._clock.now()
        if tracked is None:
            body = unknown_order_status(
                cl_ord_id=cl_ord_id,
                symbol=message.get_str(t.SYMBOL) or "",
                side=message.get(t.SIDE) or b"1",
                exec_id=self._exec_id(),
                begin_string=sid.begin_string,
                transact_time=now,
                status_req_id=req_id,
            )
            self._send(sid, MsgType.EXECUTION_REPORT, body)
            return
        body = execution_report(
            tracked.view(),
            ExecType.ORDER_STATUS,
            self._exec_id(),
            sid.begin_string,
            now,
            status_req_id=req_id,
        )
        self._send(sid, MsgType.EXECUTION_REPORT, body)

    def _mass_cancel(self, sid: SessionID, state: _SessionState, message: FixMessage) -> None:
        cl_ord_id = message.require_str(t.CL_ORD_ID)
        request_type = message.require(t.MASS_CANCEL_REQUEST_TYPE)
        symbol = message.get_str(t.SYMBOL)
        account = message.get_str(t.ACCOUNT)
        refused: OrderRefused | None = None
        reject_reason: int | None = None
        if request_type not in (b"1", b"7"):  # MassCancelRejectReason 0: type not supported
            refused = OrderRefused(
                DenyCode.UNSUPPORTED_REQUEST,
                mass_cancel_request_type=request_type.decode(errors="replace"),
                supported="1,7",
            )
            reject_reason = 0
        elif request_type == b"1" and not symbol:  # 1: invalid or unknown security
            refused = OrderRefused(
                DenyCode.UNSUPPORTED_REQUEST, mass_cancel_request_type="1", missing="Symbol(55)"
            )
            reject_reason = 1
        elif account and account not in state.settings.allowed_accounts:
            # No MassCancelRejectReason: 99 (Other) is not a CHAR, as FIX 4.4 types the field,
            # so a validating engine would reject the report. Text says why.
            refused = OrderRefused(DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT, account=account, session=str(sid))
        refusal: tuple[int | None, str] | None = None
        if refused is not None:
            refusal = (reject_reason, refused.text)
            entry_refusal = EntryRefusal(
                Request.CANCEL,
                cl_ord_id,
                account,
                state.context.origin(message),
                refused.denial,
                _as_sent(message),
            )
            self._spawn(self._record_refusal(sid, entry_refusal))  # on record, as a single cancel's is
        report_id = f"MC-{self._exec_id()}"
        if refusal is not None:
            body = mass_cancel_report(
                cl_ord_id=cl_ord_id,
                report_id=report_id,
                request_type=request_type,
                accepted=False,
                affected=0,
                text=refusal[1],
                symbol=symbol,
                reject_reason=refusal[0],
            )
            self._send(sid, MsgType.ORDER_MASS_CANCEL_REPORT, body)
            return
        self._adopt_restored(sid, state)
        targets = [
            o
            for o in self.orders.working(sid)
            if (request_type == b"7" or o.order.symbol == symbol)
            and (account is None or o.order.account == account)
        ]
        origin = state.context.origin(message)
        self._spawn(self._mass_cancel_flow(sid, cl_ord_id, report_id, request_type, symbol, targets, origin))

    async def _mass_cancel_flow(
        self,
        sid: SessionID,
        cl_ord_id: str,
        report_id: str,
        request_type: bytes,
        symbol: str | None,
        targets: list[TrackedOrder],
        origin: OrderOrigin,
    ) -> None:
        requests = []
        for n, tracked in enumerate(targets, start=1):
            tracked.pending_cancel_cl = cl_ord_id
            requests.append(
                CancelRequest(f"{cl_ord_id}-{n}", tracked.cl_ord_id, tracked.order.account, origin)
            )
        results = await asyncio.gather(*(self._amend(self._entry.cancel(r)) for r in requests))
        affected = 0
        for tracked, result in zip(targets, results, strict=True):
            if result.accepted:
                affected += 1
            else:
                tracked.pending_cancel_cl = None
        body = mass_cancel_report(
            cl_ord_id=cl_ord_id,
            report_id=report_id,
            request_type=request_type,
            accepted=True,
            affected=affected,
            symbol=symbol,
        )
        self._send(sid, MsgType.ORDER_MASS_CANCEL_REPORT, body)

    # ------------------------------------------------------------------ pipeline updates

    def on_update(self, update: OrderUpdate) -> None:
        """The pipeline's listener: route the update to its session (and the drop copies)."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            loop.call_soon_threadsafe(self.on_update, update)
            return
        try:
            self._on_update(update)
        except Exception:
            log.exception("FIX adapter failed on update for %s", update.order_id)

    def _on_update(self, update: OrderUpdate) -> None:
        tracked = self.orders.by_id(update.order_id)
        if tracked is not None:
            self._apply(tracked, update)
            return
        sid = self._by_text.get(update.origin.session) if update.origin.channel is Channel.FIX else None
        if sid is None:
            self._drop_copy_only(update)
            return
        key = (update.origin.session, update.cl_ord_id)
        if key in self._pending:
            self._pending[key].append(update)  # reported before submit() returned
            return
        self._apply(self._adopt(sid, update), update)  # an order entered before this process started

    def _apply(self, tracked: TrackedOrder, update: OrderUpdate) -> None:
        venue = update.report
        if venue is not None and venue.exec_type in _VENUE_REFUSALS:
            self._venue_refused(tracked, update, venue.exec_type is DomainExecType.REPLACE_REJECTED)
            return
        report = report_for(tracked, update, tracked.session_id.begin_string)
        if report is not None:
            self._report(tracked.session_id, report, update)
            if report.exec_type == ExecType.REPLACED:
                self.orders.rename(tracked, update.cl_ord_id)
        if not tracked.status.is_working:
            self.orders.finished(tracked)

    def _venue_refused(self, tracked: TrackedOrder, update: OrderUpdate, replace: bool) -> None:
        """The venue refused a cancel or replace the gateway had accepted: the desk that asked
        gets an OrderCancelReject, and its order works on as the venue left it. (A cancel the
        gateway itself asked for, kill switch or self-trade prevention, has nobody to tell.)"""
        from fix.messages import ORD_STATUS_CODES

        tracked.order, tracked.status = update.order, update.status
        asked: tuple[str, str] | None = None
        if replace and tracked.pending_replace is not None:
            asked, tracked.pending_replace = tracked.pending_replace, None
        elif not replace and tracked.pending_cancel_cl is not None:
            asked = (tracked.pending_cancel_cl, tracked.cl_ord_id)
            tracked.pending_cancel_cl = None
        if asked is None:
            return
        text = update.report.text if update.report is not None else None
        body = cancel_reject(
            order_id=tracked.order_id,
            cl_ord_id=asked[0],
            orig_cl_ord_id=asked[1],
            ord_status=ORD_STATUS_CODES[tracked.status],
            response_to_replace=replace,
            reason=2,  # broker / exchange option: the venue said no
            text=f"venue refused: {text or 'no reason given'}",
            account=tracked.order.account,
        )
        self._send(tracked.session_id, MsgType.ORDER_CANCEL_REJECT, body)

    def _drop_copy_only(self, update: OrderUpdate) -> None:
        if not self._drop_copies:
            return
        shadow = TrackedOrder(
            SessionID("", "", ""),
            update.order_id,
            update.cl_ord_id,
            update.order,
            update.status,
            update.cum_qty,
            update.leaves_qty,
            update.avg_px,
            tuple(parties_for(update.order.mifid)),
        )
        report = report_for(shadow, update, "FIX.4.4")
        if report is not None:
            for dc in self._drop_copies:
                self._send(dc, MsgType.EXECUTION_REPORT, self._er_fields(dc, report, update))

    # ------------------------------------------------------------------ sending

    def _report(
        self,
        sid: SessionID,
        report: Report,
        update: OrderUpdate | None = None,
        as_sent: FixMessage | None = None,
    ) -> None:
        """Send an ExecutionReport to its session and a copy to every drop-copy session
        (``as_sent``: the refused message whose side, type and time in force it restates)."""
        for to in (sid, *self._drop_copies):
            fields = self._er_fields(to, report, update)
            if as_sent is not None:
                fields = restated_as_sent(fields, as_sent)
            self._send(to, MsgType.EXECUTION_REPORT, fields)

    def _er_fields(self, sid: SessionID, report: Report, update: OrderUpdate | None) -> list[Field]:
        venue_report = update.report if update is not None else None
        exec_id = venue_report.exec_id if venue_report is not None else self._exec_id()
        when: datetime = venue_report.transact_time if venue_report is not None else self._clock.now()
        return execution_report(
            report.view,
            report.exec_type,
            exec_id,
            sid.begin_string,
            when,
            text=report.text,
            ord_rej_reason=report.ord_rej_reason,
            fill=report.fill,
            ord_status=report.ord_status,
            exec_ref_id=report.exec_ref_id,
        )

    def _send(self, sid: SessionID, msg_type: bytes, body: list[Field]) -> None:
        if self._sender is None:
            raise RuntimeError("FixOrderEntry.attach(acceptor) was not called")
        self._sender.send(sid, msg_type, body)

    def _exec_id(self) -> str:
        self._exec_counter += 1
        return f"{self._exec_prefix}{self._exec_counter}"

    # ------------------------------------------------------------------ helpers

    def _tracked(self, sid: SessionID, state: _SessionState, cl_ord_id: str) -> TrackedOrder | None:
        """The session's order by ClOrdID; one entered before this process started (restored
        from the audit log into the pipeline) is adopted on first mention."""
        tracked = self.orders.by_cl(sid, cl_ord_id)
        if tracked is not None or self._working_source is None:
            return tracked
        for working in self._working_source.working_orders(session=state.settings.origin_name):
            if working.order.cl_ord_id == cl_ord_id:
                return self._adopt(sid, working)
        return None

    def _adopt_restored(self, sid: SessionID, state: _SessionState) -> None:
        """Track every working order of the session entered before this process started, so a
        request for all of them (mass cancel) reaches those too."""
        if self._working_source is None:
            return
        for working in self._working_source.working_orders(session=state.settings.origin_name):
            if self.orders.by_id(working.order_id) is None:
                self._adopt(sid, working)

    def _adopt(self, sid: SessionID, known: WorkingOrder | OrderUpdate) -> TrackedOrder:
        """Track an order this adapter never saw entered (its New went out before a restart)."""
        return self.orders.add(
            TrackedOrder(
                sid,
                known.order_id,
                known.order.cl_ord_id,
                known.order,
                known.status,
                known.cum_qty,
                known.leaves_qty,
                known.avg_px,
                tuple(parties_for(known.order.mifid)),
                acknowledged=True,
            )
        )

    def _cancel_targets(self, sid: SessionID, origin_name: str) -> list[tuple[str, str, str]]:
        """(order id, current ClOrdID, account) of the session's working orders."""
        found: dict[str, tuple[str, str, str]] = {}
        if self._working_source is not None:
            for working in self._working_source.working_orders(session=origin_name):
                found[working.order_id] = (working.order_id, working.order.cl_ord_id, working.order.account)
        for tracked in self.orders.working(sid):
            found.setdefault(
                tracked.order_id, (tracked.order_id, tracked.order.cl_ord_id, tracked.order.account)
            )
        return list(found.values())

    @staticmethod
    def _is_replay(message: FixMessage) -> bool:
        return message.get(t.POSS_DUP_FLAG) == b"Y" or message.get(t.POSS_RESEND) == b"Y"

    def _bind_loop(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("FIX adapter task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for every request in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


_AS_SENT = (
    ("symbol", t.SYMBOL),
    ("side", t.SIDE),
    ("quantity", t.ORDER_QTY),
    ("ord_type", t.ORD_TYPE),
    ("limit_price", t.PRICE),
    ("time_in_force", t.TIME_IN_FORCE),
    ("orig_cl_ord_id", t.ORIG_CL_ORD_ID),
)


def _as_sent(message: FixMessage) -> tuple[tuple[str, str], ...]:
    """The order fields of a refused message as the desk sent them (side as the gateway
    names it where it knows the value; the rest as on the wire)."""
    sent: list[tuple[str, str]] = []
    for name, tag in _AS_SENT:
        raw = message.get(tag)
        if raw is None:
            continue
        side = SIDES.get(raw) if tag == t.SIDE else None
        sent.append((name, side.value if side is not None else raw.decode(errors="replace")))
    return tuple(sent)


def _zero() -> Decimal:
    return ZERO


# ---------------------------------------------------------------------- wiring


@dataclass
class FixService:
    """A running FIX acceptor and its adapter; ``await close()`` logs everyone out."""

    acceptor: FixAcceptor
    adapter: FixOrderEntry
    store: StoreFile

    async def close(self) -> None:
        await self.acceptor.stop()
        await self.adapter.drain()
        self.store.close()


def build_fix_service(
    config_path: Path,
    entry: OrderEntry,
    *,
    authenticator: Authenticator,
    store: StoreFile | None = None,
    journal: Journal = null_journal,
    working_orders: WorkingOrderSource | None = None,
    clock: Clock | None = None,
    store_dir: Path | None = None,
    secrets: SecretLookup | None = None,
    decided_before: Iterable[tuple[str, str]] = (),
) -> FixService:
    """Acceptor + adapter from a QuickFIX-style config file (not started); ``secrets``
    fetches TLS keys the file names as secrets (ServerCertificateKeySecret)."""
    config = load_config(config_path)
    if secrets is not None:
        config = config.with_secrets(secrets)
    if store is None:
        path = (
            Path(config.store_path)
            if config.store_path
            else (store_dir or Path("var")) / "fix-sessions.sqlite"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        store = SqliteStoreFile(path)
    adapter = FixOrderEntry(
        entry,
        config.acceptor_sessions(),
        working_orders=working_orders,
        clock=clock,
        decided_before=decided_before,
    )
    acceptor = FixAcceptor.from_config(
        config, adapter, authenticator=authenticator, store=store, journal=journal, clock=clock
    )
    adapter.attach(acceptor)
    return FixService(acceptor, adapter, store)


def fix_orders_decided(decided: Iterable[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(origin session, ClOrdID) of the FIX orders among a replay's decided orders
    (``Replayed.decided``: channel, origin session, ClOrdID)."""
    fix = Channel.FIX.value
    return [(session, cl_ord_id) for channel, session, cl_ord_id in decided if channel == fix]


async def start_fix(
    gateway: Any,
    config_path: Path,
    *,
    authenticator: Authenticator | None = None,
    journal: Journal | None = None,
) -> FixService:
    """Start the FIX acceptor of a built :class:`gateway.app.Gateway`.

    Credentials come from ``<data_dir>/secrets/fix-users`` (see :mod:`fix.auth`)
    unless an authenticator is given; FIX traffic is journaled to the audit log.
    """
    data_dir = Path(gateway.settings.data_dir)
    if authenticator is None:
        authenticator = PasswordFile(data_dir / "secrets" / "fix-users")
    service = build_fix_service(
        config_path,
        gateway.pipeline,
        authenticator=authenticator,
        journal=journal if journal is not None else AuditJournal(gateway.audit),
        working_orders=gateway.pipeline,
        store_dir=data_dir,
        secrets=gateway.secrets.get_secret if gateway.secrets is not None else None,
        decided_before=fix_orders_decided(gateway.replayed.decided),
    )
    await service.acceptor.start()
    gateway.fix_engines.append(service.acceptor)  # its sessions on /metrics
    return service
