"""A venue reached over FIX: an initiator session behind the Venue interface.

The router calls :meth:`FixVenue.submit`, :meth:`FixVenue.cancel` and
:meth:`FixVenue.replace` on the event-loop thread; each becomes a
NewOrderSingle, OrderCancelRequest or OrderCancelReplaceRequest whose
ClOrdID is the gateway's order id (``<order id>.<n>`` for amendments). The
venue's ExecutionReports come back as domain
:class:`~risk_controls.domain.ExecutionReport` through the ``on_report``
callback. An order for a venue whose session is not logged on is rejected at
once (VENUE_UNAVAILABLE) rather than queued for a resend: a stale order
replayed after a reconnect is worse than a clear refusal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NoReturn

from fix import tags as t
from fix.application import UnsupportedMessageType
from fix.config import FixConfig, SessionSettings
from fix.errors import MissingTag, ValueIncorrect
from fix.ids import SessionID
from fix.initiator import FixInitiator
from fix.journal import Journal, null_journal
from fix.message import Field, FixMessage
from fix.messages import ORD_TYPE_CODES, SIDE_CODES, TIF_CODES
from fix.parties import parties_for, write_parties
from fix.store import StoreFile
from fix.tags import MsgType
from fix.values import format_utc_timestamp, to_bytes
from risk_controls.domain import DenyCode, ExecType, ExecutionReport, NewOrder
from risk_controls.domain.clock import Clock, SystemClock
from risk_controls.venue import ReportSink, RestoredOrder, RoutedOrder

log = logging.getLogger(__name__)
ZERO = Decimal(0)

_FILL_TYPES_42 = {b"1": ExecType.PARTIAL_FILL, b"2": ExecType.FILL}
_EXEC_TYPES = {
    b"0": ExecType.NEW,
    b"4": ExecType.CANCELED,
    b"5": ExecType.REPLACED,
    b"8": ExecType.REJECTED,
    b"C": ExecType.EXPIRED,
}
_IGNORED_EXEC_TYPES = frozenset({b"6", b"A", b"E", b"I", b"3", b"D"})  # pending / status / restated
_TRADE_AMENDMENTS_44 = {b"H": ExecType.TRADE_CANCEL, b"G": ExecType.TRADE_CORRECT}  # ExecType (150)
_TRADE_AMENDMENTS_42 = {b"1": ExecType.TRADE_CANCEL, b"2": ExecType.TRADE_CORRECT}  # ExecTransType (20)
_AMENDMENTS = frozenset(_TRADE_AMENDMENTS_44.values())


@dataclass(slots=True)
class _Routed:
    order_id: str
    order: NewOrder
    cl_ord_id: str
    amendments: int = 0
    before_replace: NewOrder | None = None  # what a refused replace leaves at the venue
    tag: str = ""  # after a restart: new ClOrdIDs must not repeat ones sent before it
    cum_qty: Decimal = ZERO  # filled as the venue last said (CumQty, AvgPx)
    cum_notional: Decimal = ZERO

    def next_cl_ord_id(self) -> str:
        self.amendments += 1
        return f"{self.order_id}.{self.amendments}{self.tag}"

    def most_quantity(self) -> Decimal:
        """The most the venue can fill: with a replace in flight, either version may be the
        one working there."""
        before = self.before_replace
        quantity = self.order.quantity
        return quantity if before is None else max(quantity, before.quantity)


@dataclass(frozen=True, slots=True)
class StatusPacing:
    """How fast the status requests of a logon go out: ``batch`` every ``interval`` seconds.

    A venue session's ThrottleMaxMessages / ThrottleWindowSeconds state the venue's own
    limit on what we send; reconciliation takes at most half of it, leaving the rest to
    the order flow that resumes at logon. Without a stated limit: 100 every 0.1 s.
    """

    batch: int = 100
    interval: float = 0.1

    @classmethod
    def for_session(cls, settings: SessionSettings) -> StatusPacing:
        limit = settings.throttle
        if limit is None:
            return cls()
        return cls(max(1, limit.max_messages // 2), limit.window_seconds)


class FixVenue:
    """:class:`risk_controls.venue.Venue` over one FIX initiator session."""

    def __init__(
        self,
        name: str,
        settings: SessionSettings,
        *,
        store: StoreFile | None = None,
        journal: Journal = null_journal,
        clock: Clock | None = None,
        password: str | None = None,
    ) -> None:
        self.name = name
        self.session_id: SessionID = settings.session_id
        self._begin = settings.session_id.begin_string
        self._clock = clock or SystemClock()
        self._on_report: ReportSink | None = None
        self._orders: dict[str, _Routed] = {}
        self._by_cl: dict[str, str] = {}
        self._restart_tag = f"r{int(self._clock.now().timestamp() * 1000):x}"
        self._pacing = StatusPacing.for_session(settings)
        self._status_round = 0
        self.status_discrepancies = 0
        """Orders whose status at logon showed less filled than booked (a missed bust or
        correction): each needs someone to reconcile it with the venue (exported on /metrics)."""
        self.reconciled_fills = 0
        """Fills booked from the venue's status at logon because their reports were missed."""
        self.refused_reports = 0
        """Fills, corrections and status answers refused as impossible (see _check_fill and
        _reconcile): trades the venue may believe done that are not booked until a sane
        status answer at a later logon reconciles them."""
        passwords = {settings.session_id: password} if password else None
        self.initiator = FixInitiator(
            [settings], self, store=store, journal=journal, clock=clock, passwords=passwords
        )

    async def start(self) -> None:
        await self.initiator.start()

    async def stop(self) -> None:
        await self.initiator.stop()

    @property
    def logged_on(self) -> bool:
        return self.initiator.is_logged_on(self.session_id)

    # ------------------------------------------------------------------ Venue

    def connect(self, on_report: ReportSink) -> None:
        self._on_report = on_report

    def submit(self, routed: RoutedOrder) -> None:
        order = routed.order
        if not self.logged_on:
            self._unavailable(routed.order_id, "submit")
            return
        entry = _Routed(routed.order_id, order, routed.order_id)
        self._orders[routed.order_id] = entry
        self._by_cl[entry.cl_ord_id] = routed.order_id
        self._send(b"D", [(t.CL_ORD_ID, entry.cl_ord_id.encode()), *self._order_fields(order)])

    def restore(self, restored: RestoredOrder) -> None:
        """An order this venue took before the gateway restarted: amend it under the ClOrdID
        the venue last confirmed, with new ClOrdIDs that cannot repeat earlier ones. Its status
        is asked at logon (see :meth:`on_logon`)."""
        routed = restored.routed
        current = restored.venue_cl_ord_id or routed.order_id
        entry = _Routed(routed.order_id, routed.order, current, tag=self._restart_tag)
        entry.cum_qty, entry.cum_notional = restored.cum_qty, restored.cum_notional
        self._orders[routed.order_id] = entry
        self._by_cl[routed.order_id] = self._by_cl[current] = routed.order_id

    def cancel(self, order_id: str) -> None:
        entry = self._orders.get(order_id)
        if entry is None:
            log.warning("%s: cancel for unknown order %s", self.name, order_id)
            return
        if not self.logged_on:
            self._unavailable(order_id, "cancel")
            return
        cl_ord_id = entry.next_cl_ord_id()
        self._by_cl[cl_ord_id] = order_id
        order = entry.order
        self._send(
            b"F",
            [
                (t.ORIG_CL_ORD_ID, entry.cl_ord_id.encode()),
                (t.CL_ORD_ID, cl_ord_id.encode()),
                (t.ACCOUNT, order.account.encode()),
                (t.SYMBOL, order.symbol.encode()),
                (t.SIDE, SIDE_CODES[order.side]),
                (t.TRANSACT_TIME, self._now()),
                (t.ORDER_QTY, to_bytes(order.quantity)),
            ],
        )

    def replace(self, routed: RoutedOrder) -> None:
        entry = self._orders.get(routed.order_id)
        if entry is None:
            log.warning("%s: replace for unknown order %s", self.name, routed.order_id)
            return
        if not self.logged_on:
            self._unavailable(routed.order_id, "replace")
            return
        cl_ord_id = entry.next_cl_ord_id()
        self._by_cl[cl_ord_id] = routed.order_id
        previous, entry.before_replace, entry.order = entry.cl_ord_id, entry.order, routed.order
        self._send(
            b"G",
            [
                (t.ORIG_CL_ORD_ID, previous.encode()),
                (t.CL_ORD_ID, cl_ord_id.encode()),
                *self._order_fields(routed.order),
            ],
        )

    # ------------------------------------------------------------------ Application

    def on_logon(self, session_id: SessionID) -> None:
        """Ask the status of every order we think works here: reports sent while we were away
        are lost when the session resets its sequence numbers (and a resend may not reach
        back far enough), so fills and cancels missed meanwhile are reconciled from the
        answers (:meth:`_reconcile`). The requests are paced (:class:`StatusPacing`), so a
        day's working orders do not trip the venue's throttle at the moment we come back."""
        log.info("%s: FIX venue session %s logged on", self.name, session_id)
        self._status_round += 1  # a round still pacing from an earlier logon stops
        pending = [entry.order_id for entry in self._orders.values()]
        if pending:
            log.info("%s: asking the status of %d working orders", self.name, len(pending))
            self._ask_status(self._status_round, pending, 0)

    def _ask_status(self, status_round: int, pending: list[str], start: int) -> None:
        if status_round != self._status_round or not self.logged_on:
            return  # logged out meanwhile: the next logon asks again, from the start
        end = min(len(pending), start + self._pacing.batch)
        for order_id in pending[start:end]:
            entry = self._orders.get(order_id)
            if entry is None:  # ended meanwhile: nothing to ask
                continue
            self._send(
                MsgType.ORDER_STATUS_REQUEST,
                [
                    (t.CL_ORD_ID, entry.cl_ord_id.encode()),
                    (t.SYMBOL, entry.order.symbol.encode()),
                    (t.SIDE, SIDE_CODES[entry.order.side]),
                ],
            )
        if end < len(pending):
            loop = asyncio.get_running_loop()
            loop.call_later(self._pacing.interval, self._ask_status, status_round, pending, end)

    def on_logout(self, session_id: SessionID) -> None:
        log.warning("%s: FIX venue session %s logged out", self.name, session_id)

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        if message.msg_type == b"8":
            self._execution_report(message)
        elif message.msg_type == b"9":
            self._cancel_reject(message)
        else:
            raise UnsupportedMessageType(message.msg_type)

    # ------------------------------------------------------------------ internals

    def _execution_report(self, message: FixMessage) -> None:
        code = message.require(t.EXEC_TYPE)
        if self._is_status(code, message):
            self._reconcile(message)
            return
        exec_type = self._exec_type(code, message)
        if exec_type is None:
            return
        amendment = exec_type in _AMENDMENTS
        order_id = self._order_id_of(message) or (self._done_order_id(message) if amendment else None)
        if order_id is None:
            log.warning("%s: report for an order we never sent: %r", self.name, message)
            return
        entry = self._orders.get(order_id)
        if exec_type in _FILLS and entry is not None and self._booked_already(entry, message):
            return
        if exec_type is ExecType.REPLACED and entry is not None:
            entry.cl_ord_id = message.require_str(t.CL_ORD_ID)
            entry.before_replace = None
        priced = exec_type in _FILLS or exec_type is ExecType.TRADE_CORRECT
        if priced:
            self._check_fill(message, entry)
        confirms = exec_type is ExecType.NEW or exec_type is ExecType.REPLACED
        report = ExecutionReport(
            order_id=order_id,
            exec_id=message.require_str(t.EXEC_ID),
            exec_type=exec_type,
            venue=self.name,
            transact_time=message.get_time(t.TRANSACT_TIME) or self._clock.now(),
            last_qty=message.get_decimal(t.LAST_QTY) if priced else None,
            last_px=message.get_decimal(t.LAST_PX) if priced else None,
            venue_order_id=message.get_str(t.ORDER_ID),
            trade_id=message.get_str(t.SECONDARY_EXEC_ID) or message.get_str(t.TRD_MATCH_ID),
            text=message.get_str(t.TEXT),
            ref_exec_id=message.require_str(t.EXEC_REF_ID) if amendment else None,
            venue_cl_ord_id=message.get_str(t.CL_ORD_ID) if confirms else None,
        )
        if entry is not None:
            self._note_filled(entry, message)
            if exec_type in _DONE:
                self._forget(entry)
        if self._on_report is not None:
            self._on_report(report)

    def _check_fill(self, message: FixMessage, entry: _Routed | None) -> None:
        """Refuse, with a session Reject the venue sees, a fill or correction no venue can
        mean: no quantity or price, a quantity not above zero or above the order's, a price
        not above zero or beyond any instrument's. Booked, one would poison the account's
        positions and limits for every order after it; refused, it is in the wire journal,
        counted on /metrics, and the order's status at the next logon reconciles what was
        really done."""
        qty, px = message.get_decimal(t.LAST_QTY), message.get_decimal(t.LAST_PX)
        problem: MissingTag | ValueIncorrect | None = None
        if qty is None:
            problem = MissingTag(t.LAST_QTY)
        elif px is None:
            problem = MissingTag(t.LAST_PX)
        elif qty <= 0 or (entry is not None and qty > entry.most_quantity()):
            problem = ValueIncorrect(t.LAST_QTY, f"LastQty (32) {qty} is not a fill of this order")
        elif not 0 < px < _MAX_FILL_PRICE:
            problem = ValueIncorrect(t.LAST_PX, f"LastPx (31) {px} is not a price")
        if problem is not None:
            self._refuse(message, problem)

    def _refuse(self, message: FixMessage, problem: MissingTag | ValueIncorrect) -> NoReturn:
        self.refused_reports += 1
        log.error("%s: report %s refused: %s", self.name, message.get_str(t.EXEC_ID), problem.text)
        raise problem

    def _booked_already(self, entry: _Routed, message: FixMessage) -> bool:
        """A fill whose CumQty is not above what is booked was booked already: resent after a
        status answer had reconciled it, or a duplicate (PossDup) of one we had."""
        cum = message.get_decimal(t.CUM_QTY)
        if cum is None or cum > entry.cum_qty:
            return False
        log.warning(
            "%s: fill %s of %s already booked (CumQty %s): not booked twice",
            self.name,
            message.get_str(t.EXEC_ID),
            entry.order_id,
            cum,
        )
        return True

    @staticmethod
    def _note_filled(entry: _Routed, message: FixMessage) -> None:
        cum = message.get_decimal(t.CUM_QTY)
        if cum is not None:
            entry.cum_qty, entry.cum_notional = cum, cum * (message.get_decimal(t.AVG_PX) or ZERO)

    def _is_status(self, code: bytes, message: FixMessage) -> bool:
        """An answer to OrderStatusRequest: ExecType I, or ExecTransType 3 in FIX 4.2."""
        if self._begin == "FIX.4.2":
            return message.get(t.EXEC_TRANS_TYPE) == b"3"
        return code == b"I"

    def _reconcile(self, message: FixMessage) -> None:
        """Turn what the venue's status answer shows and we have not heard into the reports we
        missed: one fill for the quantity filled meanwhile (at the average price that quantity
        implies), then the order's end if it has ended."""
        order_id = self._order_id_of(message)
        entry = self._orders.get(order_id) if order_id else None
        if entry is None or self._on_report is None:
            return
        status = message.get(t.ORD_STATUS)
        now = self._clock.now()
        cum = message.get_decimal(t.CUM_QTY) or ZERO
        if not 0 <= cum <= entry.most_quantity():
            self._refuse(message, ValueIncorrect(t.CUM_QTY, f"CumQty (14) {cum} is not a fill of this order"))
        missed = cum - entry.cum_qty
        reports: list[ExecutionReport] = []
        if missed < 0:  # a bust or correction while away: the status cannot say of which fill
            text = (
                f"the venue reports {cum} filled, {entry.cum_qty} is booked: a fill was busted or "
                "corrected while disconnected; the booking stands until someone reconciles it "
                "with the venue"
            )
            log.error("%s: %s: %s", self.name, entry.order_id, text)
            self.status_discrepancies += 1
            reports.append(  # in the audit log, where compliance looks, not only in a log file
                ExecutionReport(
                    entry.order_id,
                    f"{entry.order_id}-status-{now:%Y%m%d%H%M%S%f}",
                    ExecType.ORDER_STATUS,
                    self.name,
                    now,
                    venue_order_id=message.get_str(t.ORDER_ID),
                    text=text,
                )
            )
        if missed > 0:
            average = message.get_decimal(t.AVG_PX) or ZERO
            price = (cum * average - entry.cum_notional) / missed
            if not 0 < price < _MAX_FILL_PRICE:
                problem = f"AvgPx (6) {average} puts the {missed} missed at {price}, not a price"
                self._refuse(message, ValueIncorrect(t.AVG_PX, problem))
            price = price.quantize(_RECONCILED_PX)
            done = status == b"2" or cum >= entry.order.quantity
            self.reconciled_fills += 1
            reports.append(
                ExecutionReport(
                    order_id=entry.order_id,
                    exec_id=f"{entry.order_id}-reconciled-{cum}",
                    exec_type=ExecType.FILL if done else ExecType.PARTIAL_FILL,
                    venue=self.name,
                    transact_time=now,
                    last_qty=missed,
                    last_px=price,
                    venue_order_id=message.get_str(t.ORDER_ID),
                    text="missed while disconnected: reconciled from the venue's order status",
                )
            )
        ended = _ENDED_STATUS.get(status or b"")
        if ended is not None:
            reports.append(
                ExecutionReport(
                    entry.order_id,
                    f"{entry.order_id}-reconciled-{ended.value.lower()}",
                    ended,
                    self.name,
                    now,
                    venue_order_id=message.get_str(t.ORDER_ID),
                    text=message.get_str(t.TEXT) or "ended while disconnected (venue's order status)",
                )
            )
        self._note_filled(entry, message)
        if status in (b"2", *_ENDED_STATUS):
            self._forget(entry)
        for report in reports:
            self._on_report(report)

    @staticmethod
    def _done_order_id(message: FixMessage) -> str | None:
        """The order a bust or correction names after we stopped tracking it (it was done):
        our ClOrdIDs are the order id, then ``<order id>.<n>`` for each amendment. The
        pipeline ignores an id it does not know."""
        cl_ord_id = message.get_str(t.CL_ORD_ID)
        return cl_ord_id.split(".", 1)[0] if cl_ord_id else None

    def _cancel_reject(self, message: FixMessage) -> None:
        """OrderCancelReject: the order stays as the venue had it, and the pipeline hears so
        (a cancel that was refused, or a replace whose old version still works)."""
        order_id = self._order_id_of(message)
        text = message.get_str(t.TEXT)
        if order_id is None:
            log.warning("%s: cancel reject for an order we never sent: %r", self.name, message)
            return
        log.warning("%s: venue refused to cancel/replace %s: %s", self.name, order_id, text)
        replace = message.get(t.CXL_REJ_RESPONSE_TO) == b"2"
        entry = self._orders.get(order_id)
        if replace and entry is not None and entry.before_replace is not None:
            entry.order, entry.before_replace = entry.before_replace, None
        if self._on_report is None:
            return
        self._on_report(
            ExecutionReport(
                order_id,
                f"{message.get_str(t.CL_ORD_ID) or order_id}-refused",
                ExecType.REPLACE_REJECTED if replace else ExecType.CANCEL_REJECTED,
                self.name,
                message.get_time(t.TRANSACT_TIME) or self._clock.now(),
                venue_order_id=message.get_str(t.ORDER_ID),
                text=text,
            )
        )

    def _exec_type(self, code: bytes, message: FixMessage) -> ExecType | None:
        if self._begin == "FIX.4.2":
            amended = _TRADE_AMENDMENTS_42.get(message.get(t.EXEC_TRANS_TYPE) or b"0")
            if amended is not None:
                return amended
        elif code in _TRADE_AMENDMENTS_44:
            return _TRADE_AMENDMENTS_44[code]
        if code in _IGNORED_EXEC_TYPES:
            return None
        if code == b"F":
            leaves = message.get_decimal(t.LEAVES_QTY)
            done = message.get(t.ORD_STATUS) == b"2" or (leaves is not None and leaves == 0)
            return ExecType.FILL if done else ExecType.PARTIAL_FILL
        found = _FILL_TYPES_42.get(code) or _EXEC_TYPES.get(code)
        if found is None:
            log.warning("%s: ExecType %r not understood", self.name, code)
        return found

    def _order_id_of(self, message: FixMessage) -> str | None:
        for tag in (t.CL_ORD_ID, t.ORIG_CL_ORD_ID):
            value = message.get_str(tag)
            if value is None:
                continue
            if value in self._by_cl:
                return self._by_cl[value]
            base = value.split(".", 1)[0]  # a version sent before a restart, of an order restored since
            if base in self._orders:
                return base
        return None

    def _forget(self, entry: _Routed) -> None:
        self._orders.pop(entry.order_id, None)
        issued = [f"{entry.order_id}.{n}{entry.tag}" for n in range(1, entry.amendments + 1)]
        for cl_ord_id in [entry.order_id, entry.cl_ord_id, *issued]:
            self._by_cl.pop(cl_ord_id, None)

    def _order_fields(self, order: NewOrder) -> list[Field]:
        fields: list[Field] = [(t.ACCOUNT, order.account.encode())]
        fields += write_parties(parties_for(order.mifid), self._begin)
        if self._begin == "FIX.4.2":
            fields.append((t.HANDL_INST, b"1"))
        fields += [
            (t.SYMBOL, order.symbol.encode()),
            (t.SIDE, SIDE_CODES[order.side]),
            (t.TRANSACT_TIME, self._now()),
            (t.ORDER_QTY, to_bytes(order.quantity)),
            (t.ORD_TYPE, ORD_TYPE_CODES[order.ord_type]),
        ]
        if order.limit_price is not None:
            fields.append((t.PRICE, to_bytes(order.limit_price)))
        if order.stop_price is not None:
            fields.append((t.STOP_PX, to_bytes(order.stop_price)))
        fields.append((t.TIME_IN_FORCE, TIF_CODES[order.tif]))
        if order.expire_at is not None:
            fields.append((t.EXPIRE_TIME, format_utc_timestamp(order.expire_at, 3)))
        return fields

    def _send(self, msg_type: bytes, body: list[Field]) -> None:
        self.initiator.send(self.session_id, msg_type, body)

    def _now(self) -> bytes:
        return format_utc_timestamp(self._clock.now(), 3)

    def _unavailable(self, order_id: str, action: str) -> None:
        """A new order is rejected at once; a cancel or replace is refused, and the order works
        on as last reported."""
        log.error("%s: %s of %s refused: FIX session not logged on", self.name, action, order_id)
        if self._on_report is None:
            return
        kind = {
            "submit": ExecType.REJECTED,
            "cancel": ExecType.CANCEL_REJECTED,  # the order works on as last reported
            "replace": ExecType.REPLACE_REJECTED,
        }[action]
        when: datetime = self._clock.now()
        self._on_report(
            ExecutionReport(
                order_id,
                f"{order_id}-{action}-unavailable-{when:%H%M%S%f}",
                kind,
                self.name,
                when,
                text=f"{DenyCode.VENUE_UNAVAILABLE.value} venue={self.name}",
            )
        )


_FILLS = frozenset({ExecType.PARTIAL_FILL, ExecType.FILL})
_ENDED_STATUS = {b"4": ExecType.CANCELED, b"C": ExecType.EXPIRED, b"8": ExecType.REJECTED}
"""OrdStatus (39) values that end an order without a fill, as a status answer shows them."""
_RECONCILED_PX = Decimal("0.00000001")
_MAX_FILL_PRICE = Decimal("1e12")
"""No instrument trades at a trillion a unit; a price beyond it is a venue's garbage."""
_DONE = frozenset({ExecType.FILL, ExecType.CANCELED, ExecType.REJECTED, ExecType.EXPIRED})


def venues_from_config(
    config: FixConfig,
    *,
    store: StoreFile | None = None,
    journal: Journal = null_journal,
    passwords: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> dict[str, FixVenue]:
    """One :class:`FixVenue` per initiator session, named by its TargetCompID.

    ``passwords`` maps a session's CredentialRef to its password (resolved by
    the gateway from its secrets provider). The venues are not started.
    """
    venues: dict[str, FixVenue] = {}
    for settings in config.initiator_sessions():
        name = settings.session_id.target_comp_id
        password = (passwords or {}).get(settings.credential_ref or "")
        venues[name] = FixVenue(name, settings, store=store, journal=journal, clock=clock, password=password)
    return venues
