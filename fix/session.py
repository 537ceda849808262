"""The FIX session state machine (4.2 and 4.4, acceptor and initiator), without I/O.

Feed it what happened — :meth:`Session.connection_made`,
:meth:`Session.data_received`, :meth:`Session.tick`,
:meth:`Session.connection_lost` — and read what to do:
:meth:`Session.take_output` (bytes to write) and
:attr:`Session.disconnect_reason` (close the connection after writing).
Time comes from an injected clock, persistence from an injected store,
authentication from an injected callable, so every rule below is testable
with bytes in and bytes out.

Rules, after the FIX session-level test cases:

* Logon first (3.b); authentication, the address allow-list and the client
  certificate's name are checked
  *before* ResetSeqNumFlag 141=Y is honoured (QuickFIX/J #474); outside the
  schedule a logon is refused; a new schedule period resets sequence numbers.
* MsgSeqNum too high -> ResendRequest (2.b); too low without PossDupFlag ->
  Logout and disconnect (2.c); too low with PossDupFlag -> ignored (2.e).
* Garbled frames (BodyLength, CheckSum, header order) are dropped without
  touching sequence numbers (2.j, 2.n); field problems get a Reject 35=3 with
  SessionRejectReason (14.*); CompID, BeginString and SendingTime problems
  end the session (2.h, 2.i, 2.k).
* ResendRequest is answered from the store with PossDupFlag=Y and
  SequenceReset-GapFill for admin messages (8); SequenceReset both modes (10, 11).
* Heartbeat after HeartBtInt of silence; TestRequest after 1.2 x HeartBtInt
  without input, disconnect after 2.4 x (4, 6); Logout handshake (12, 13).
* An application exception becomes a Reject or BusinessMessageReject, never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum

from fix import admin, resend
from fix import tags as t
from fix.application import Application, BusinessReject, UnsupportedMessageType
from fix.codec import FixParser, encode
from fix.config import ConnectionType, SessionSettings
from fix.errors import BadTagValue, FieldError, GarbledMessage, MissingTag, SendingTimeProblem
from fix.ids import SessionID
from fix.journal import Direction, Journal, WireRecord, null_journal
from fix.message import Field, FixMessage
from fix.spec import Dictionary, dictionary
from fix.store import SessionStore
from fix.tags import MsgType
from fix.values import format_utc_timestamp, parse_utc_timestamp
from risk_controls.domain.clock import Clock, SystemClock

log = logging.getLogger(__name__)

Authenticator = Callable[[str, str | None, str | None, str | None], bool]
"""``(session_id, username, password, peer_address) -> allowed``."""


def deny_all(session_id: str, username: str | None, password: str | None, peer: str | None) -> bool:
    """The default authenticator: fail closed."""
    return False


class State(Enum):
    DISCONNECTED = "disconnected"
    AWAITING_LOGON = "awaiting_logon"  # acceptor, connected
    LOGON_SENT = "logon_sent"  # initiator, connected
    ACTIVE = "active"
    LOGOUT_SENT = "logout_sent"


class Session:
    """One FIX session: sequence numbers, timers and the admin protocol."""

    def __init__(
        self,
        settings: SessionSettings,
        store: SessionStore,
        application: Application,
        *,
        clock: Clock | None = None,
        authenticator: Authenticator = deny_all,
        journal: Journal = null_journal,
        password: str | None = None,
    ) -> None:
        self.settings = settings
        self.session_id = settings.session_id
        self.id_text = str(settings.session_id)
        self.store = store
        self.application = application
        self._clock = clock or SystemClock()
        self._authenticate = authenticator
        self._journal = journal
        self._password = password
        self._dictionary: Dictionary | None = (
            dictionary(settings.session_id.begin_string) if settings.validate_fields else None
        )
        self._begin = settings.session_id.begin_string.encode()
        self._sender = settings.session_id.sender_comp_id.encode()
        self._target = settings.session_id.target_comp_id.encode()
        self._initiator = settings.connection_type is ConnectionType.INITIATOR
        self.on_output: Callable[[], None] = _nothing
        self.state = State.DISCONNECTED
        self.peer: str | None = None
        self.peer_certificate: str | None = None
        """The CN of the peer's verified TLS certificate (None: plain TCP or none sent)."""
        self.heartbeat_interval = settings.heartbeat_interval
        self.disconnect_reason: str | None = None
        self._out: list[bytes] = []
        self._parser = FixParser()
        now = self._clock.now()
        self._connected_at = now
        self._last_sent = now
        self._last_received = now
        self._test_request_out = False
        self._test_request_counter = 0
        self._resend_until: int | None = None
        self._logout_deadline: datetime | None = None

    # ------------------------------------------------------------------ driver API

    @property
    def connected(self) -> bool:
        return self.state is not State.DISCONNECTED

    @property
    def logged_on(self) -> bool:
        return self.state is State.ACTIVE

    def connection_made(self, peer: str | None = None, certificate: str | None = None) -> None:
        """A transport is up; an initiator sends its Logon now. ``certificate``: the CN of
        the peer's verified TLS certificate, if it presented one."""
        if self.state is not State.DISCONNECTED:
            raise RuntimeError(f"{self.id_text} is already connected")
        now = self._clock.now()
        self.peer = peer
        self.peer_certificate = certificate
        self.disconnect_reason = None
        self._parser = FixParser()
        self._connected_at = self._last_received = self._last_sent = now
        self._test_request_out = False
        self._resend_until = None
        self._logout_deadline = None
        if not self._initiator:
            self.state = State.AWAITING_LOGON
            return
        if self.settings.reset_on_logon or self.settings.schedule.needs_reset(self.store.creation_time, now):
            self.store.reset(now)
        self.state = State.LOGON_SENT
        self._send_admin(
            MsgType.LOGON,
            admin.logon(
                self.heartbeat_interval,
                self.settings.reset_on_logon,
                self.settings.username,
                self._password,
            ),
        )

    def connection_lost(self) -> None:
        """The transport is gone (closed by us or by the peer)."""
        was_logged_on = self.state in (State.ACTIVE, State.LOGOUT_SENT)
        self.state = State.DISCONNECTED
        self._out.clear()
        if was_logged_on:
            self._call_app(self.application.on_logout)

    def data_received(self, data: bytes) -> None:
        if self.state is State.DISCONNECTED or self.disconnect_reason is not None:
            return
        self._parser.feed(data)
        self._process_input()

    def _process_input(self) -> None:
        # a method of its own: the check above would narrow disconnect_reason to None for the
        # whole loop, and a compiled build trusts narrowed types (each message may set it)
        while self.disconnect_reason is None:
            try:
                message = self._parser.next_message()
            except GarbledMessage as exc:
                log.warning("%s: garbled message dropped: %s", self.id_text, exc)
                self._journal(WireRecord(self.id_text, Direction.GARBLED, exc.raw, note=str(exc)))
                continue
            if message is None:
                return
            self._receive(message)

    def tick(self) -> None:
        """Run the timers; call it a few times per heartbeat interval."""
        now = self._clock.now()
        state = self.state
        if state in (State.AWAITING_LOGON, State.LOGON_SENT):
            if (now - self._connected_at).total_seconds() >= self.settings.logon_timeout:
                self._disconnect("Timed out waiting for Logon")
        elif state is State.LOGOUT_SENT:
            if self._logout_deadline is not None and now >= self._logout_deadline:
                self._disconnect("Timed out waiting for Logout response")
        elif state is State.ACTIVE:
            self._tick_active(now)

    def take_output(self) -> bytes:
        """Bytes to write, in order; empties the buffer."""
        if not self._out:
            return b""
        data = b"".join(self._out)
        self._out.clear()
        return data

    # ------------------------------------------------------------------ application API

    def send(self, msg_type: bytes, body: Iterable[Field]) -> int:
        """Send an application message; returns its MsgSeqNum.

        When not logged on the message is numbered and stored but not
        written: the peer fetches it with a ResendRequest after the next
        logon (session test case 16).
        """
        seq = self.store.next_sender_seq
        raw = self._encode(msg_type, list(body), seq)
        self.store.set_next_sender_seq(seq + 1)
        self.store.save_outbound(seq, raw)
        if self.state in (State.ACTIVE, State.LOGOUT_SENT):
            self._write(raw, msg_type, seq)
        return seq

    def logout(self, text: str | None = None) -> None:
        """Start the Logout handshake (12)."""
        if self.state is State.ACTIVE:
            self._send_admin(MsgType.LOGOUT, admin.logout(text))
            self.state = State.LOGOUT_SENT
            self._logout_deadline = _plus(self._clock.now(), self.settings.logout_timeout)
        elif self.state is not State.DISCONNECTED:
            self._disconnect(text or "logout")

    # ------------------------------------------------------------------ receiving

    def _receive(self, msg: FixMessage) -> None:
        self._last_received = self._clock.now()
        self._test_request_out = False
        seq = msg.seq_num
        msg_type = msg.msg_type or b""
        if self._journal is not null_journal:
            record = WireRecord(self.id_text, Direction.IN, msg.raw or b"", msg_type.decode(), seq)
            self._journal(record)
        try:
            if self.state in (State.AWAITING_LOGON, State.LOGON_SENT):
                self._receive_logon(msg, msg_type)
            else:
                self._receive_logged_on(msg, msg_type, seq)
        except Exception:
            log.exception("%s: error processing inbound message %r", self.id_text, msg)

    def _receive_logon(self, msg: FixMessage, msg_type: bytes) -> None:
        if msg_type == MsgType.LOGOUT and self.state is State.LOGON_SENT:
            text = msg.get_str(t.TEXT) or ""
            log.warning("%s: logon refused by peer: %s", self.id_text, text)
            self._disconnect(f"Logon refused by peer: {text}")
            return
        if msg_type != MsgType.LOGON:
            self._disconnect("First message not a logon")
            return
        problem = self._logon_problem(msg)
        if problem is not None:
            log.warning("%s: logon refused: %s", self.id_text, problem)
            self._send_admin(MsgType.LOGOUT, admin.logout(problem))
            self._disconnect(problem)
            return
        now = self._clock.now()
        reset = msg.get(t.RESET_SEQ_NUM_FLAG) == b"Y"
        if not self._initiator:
            self.heartbeat_interval = msg.require_int(t.HEART_BT_INT)
            if reset or self.settings.schedule.needs_reset(self.store.creation_time, now):
                self.store.reset(now)
        seq = msg.seq_num or 0
        expected = self.store.next_target_seq
        if seq < expected:
            self._too_low(seq, expected)
            return
        if not self._initiator:
            self._send_admin(MsgType.LOGON, admin.logon(self.heartbeat_interval, reset))
        self.state = State.ACTIVE
        log.info("%s: logged on from %s", self.id_text, self.peer)
        if seq > expected:
            self._request_resend(expected, seq)
        else:
            self.store.set_next_target_seq(seq + 1)
        self._call_app(self.application.on_logon)

    def _logon_problem(self, msg: FixMessage) -> str | None:
        """Why a Logon must be refused, checked before any sequence reset."""
        try:
            if self._dictionary is not None:
                self._dictionary.validate(msg)
            else:
                msg.require_int(t.HEART_BT_INT)
        except FieldError as exc:
            return f"Invalid Logon: {exc.text}"
        if msg.get(t.BEGIN_STRING) != self._begin:
            return "Incorrect BeginString"
        if msg.get(t.SENDER_COMP_ID) != self._target or msg.get(t.TARGET_COMP_ID) != self._sender:
            return "CompID problem"
        if msg.seq_num is None:
            return "MsgSeqNum missing or not a number"
        hb = msg.get_int(t.HEART_BT_INT) or 0
        if hb <= 0:
            return "HeartBtInt must be positive"
        latency = self._latency_problem(msg)
        if latency is not None:
            return latency
        return None if self._initiator else self._access_problem(msg)

    def _access_problem(self, msg: FixMessage) -> str | None:
        """Acceptor only: address allow-list, client certificate, schedule and credentials."""
        if not self.settings.address_allowed(self.peer):
            return "Logon rejected: source address not allowed"
        if not self.settings.certificate_allowed(self.peer_certificate):
            return "Logon rejected: client certificate not allowed for this session"
        if not self.settings.schedule.is_active(self._clock.now()):
            return "Logon rejected: outside session time"
        username = msg.get_str(t.USERNAME)
        password = msg.get_str(t.PASSWORD)
        try:
            allowed = self._authenticate(self.id_text, username, password, self.peer)
        except Exception:
            log.exception("%s: authenticator failed", self.id_text)
            allowed = False
        if not allowed:
            return "Logon rejected: authentication failed"
        return None

    def _receive_logged_on(self, msg: FixMessage, msg_type: bytes, seq: int | None) -> None:
        if seq is None:
            self._logout_and_disconnect("MsgSeqNum (34) missing or not a number")
            return
        if msg.get(t.BEGIN_STRING) != self._begin:
            self._logout_and_disconnect("Incorrect BeginString")
            return
        expected = self.store.next_target_seq
        if msg.get(t.SENDER_COMP_ID) != self._target or msg.get(t.TARGET_COMP_ID) != self._sender:
            if seq == expected:
                self._reject(
                    msg, seq, t.SessionRejectReason.COMPID_PROBLEM, "CompID problem", t.SENDER_COMP_ID
                )
                self.store.set_next_target_seq(seq + 1)
            self._logout_and_disconnect("CompID problem")
            return
        if msg_type == MsgType.SEQUENCE_RESET and msg.get(t.GAP_FILL_FLAG) != b"Y":
            self._sequence_reset(msg, seq)
            return
        if seq > expected:
            self._too_high(msg, msg_type, seq, expected)
            return
        if seq < expected:
            if msg.get(t.POSS_DUP_FLAG) == b"Y":
                return  # a duplicate we already processed (2.e)
            self._too_low(seq, expected)
            return
        self._in_sequence(msg, msg_type, seq)

    def _in_sequence(self, msg: FixMessage, msg_type: bytes, seq: int) -> None:
        try:
            if self._dictionary is not None:
                self._dictionary.validate(msg)
            self._check_poss_dup(msg)
        except FieldError as exc:
            self._reject(msg, seq, exc.reason, exc.text, exc.tag)
            self.store.set_next_target_seq(seq + 1)
            if isinstance(exc, SendingTimeProblem):
                self._logout_and_disconnect(exc.text)
            return
        latency = self._latency_problem(msg)
        if latency is not None:
            self._reject(msg, seq, t.SessionRejectReason.SENDING_TIME_ACCURACY, latency, t.SENDING_TIME)
            self.store.set_next_target_seq(seq + 1)
            self._logout_and_disconnect(latency)
            return
        if msg_type == MsgType.SEQUENCE_RESET:
            self._gap_fill(msg, seq)
        else:
            self.store.set_next_target_seq(seq + 1)
            self._dispatch(msg, msg_type, seq)
        if self._resend_until is not None and self.store.next_target_seq > self._resend_until:
            self._resend_until = None

    def _dispatch(self, msg: FixMessage, msg_type: bytes, seq: int) -> None:
        if msg_type == MsgType.HEARTBEAT:
            return
        if msg_type == MsgType.TEST_REQUEST:
            self._send_admin(MsgType.HEARTBEAT, admin.heartbeat(msg.require(t.TEST_REQ_ID)))
        elif msg_type == MsgType.RESEND_REQUEST:
            self._answer_resend(msg)
        elif msg_type == MsgType.REJECT:
            log.warning("%s: peer rejected our message: %r", self.id_text, msg)
        elif msg_type == MsgType.LOGOUT:
            self._peer_logout(msg)
        elif msg_type == MsgType.LOGON:
            self._logout_and_disconnect("Logon received while already logged on")
        else:
            self._deliver(msg, msg_type, seq)

    def _deliver(self, msg: FixMessage, msg_type: bytes, seq: int) -> None:
        try:
            self.application.from_app(self.session_id, msg)
        except FieldError as exc:
            self._reject(msg, seq, exc.reason, exc.text, exc.tag)
        except UnsupportedMessageType:
            self._business_reject(
                msg, seq, t.BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE, "Unsupported Message Type"
            )
        except BusinessReject as exc:
            self._business_reject(msg, seq, exc.reason, exc.text, exc.ref_id)
        except Exception:
            log.exception("%s: application failed on %r", self.id_text, msg)
            self._business_reject(
                msg, seq, t.BusinessRejectReason.OTHER, "internal error processing the message"
            )

    # ------------------------------------------------------------------ sequence handling

    def _too_high(self, msg: FixMessage, msg_type: bytes, seq: int, expected: int) -> None:
        if msg_type == MsgType.RESEND_REQUEST:
            self._answer_resend(msg)  # answer first, then ask (test case 20)
        elif msg_type == MsgType.LOGOUT:
            self._peer_logout(msg)
            return
        self._request_resend(expected, seq)

    def _too_low(self, seq: int, expected: int) -> None:
        self._logout_and_disconnect(f"MsgSeqNum too low, expecting {expected} but received {seq}")

    def _request_resend(self, expected: int, seq: int) -> None:
        if self._resend_until is None:
            self._send_admin(MsgType.RESEND_REQUEST, admin.resend_request(expected, 0))
        self._resend_until = max(seq, self._resend_until or 0)

    def _gap_fill(self, msg: FixMessage, seq: int) -> None:
        new_seq = msg.require_int(t.NEW_SEQ_NO)
        if new_seq <= seq:
            self._reject(
                msg,
                seq,
                t.SessionRejectReason.VALUE_INCORRECT,
                f"Attempt to lower sequence number, invalid value NewSeqNo={new_seq}",
                t.NEW_SEQ_NO,
            )
            self.store.set_next_target_seq(seq + 1)
            return
        self.store.set_next_target_seq(new_seq)

    def _sequence_reset(self, msg: FixMessage, seq: int) -> None:
        """SequenceReset-Reset: MsgSeqNum is ignored; NewSeqNo may only move forward (11)."""
        try:
            if self._dictionary is not None:
                self._dictionary.validate(msg)
            new_seq = msg.require_int(t.NEW_SEQ_NO)
        except FieldError as exc:
            self._reject(msg, seq, exc.reason, exc.text, exc.tag)
            return
        expected = self.store.next_target_seq
        if new_seq < expected:
            self._reject(
                msg,
                seq,
                t.SessionRejectReason.VALUE_INCORRECT,
                f"Attempt to lower sequence number, invalid value NewSeqNo={new_seq}",
                t.NEW_SEQ_NO,
            )
            return
        self.store.set_next_target_seq(new_seq)
        if self._resend_until is not None and new_seq > self._resend_until:
            self._resend_until = None

    def _answer_resend(self, msg: FixMessage) -> None:
        begin = msg.require_int(t.BEGIN_SEQ_NO)
        end = msg.require_int(t.END_SEQ_NO)
        begin, end = resend.clamp_range(begin, end, self.store.next_sender_seq)
        if begin > end:
            return
        now = self._clock.now()
        stamp = format_utc_timestamp(now, self.settings.timestamp_precision)
        for step in resend.plan(self.store.outbound_range(begin, end), begin, end):
            if isinstance(step, resend.GapFill):
                header_extra = [(t.POSS_DUP_FLAG, b"Y"), (t.ORIG_SENDING_TIME, stamp)]
                raw = self._encode(
                    MsgType.SEQUENCE_RESET, admin.gap_fill(step.new_seq_no), step.seq, header_extra, stamp
                )
                self._write(raw, MsgType.SEQUENCE_RESET, step.seq)
            else:
                fields = _fields_of(step.raw)
                msg_type, original_time, body = resend.split_stored(fields)
                header_extra = [(t.POSS_DUP_FLAG, b"Y"), (t.ORIG_SENDING_TIME, original_time or stamp)]
                raw = self._encode(msg_type, body, step.seq, header_extra, stamp)
                self._write(raw, msg_type, step.seq)

    def _check_poss_dup(self, msg: FixMessage) -> None:
        """A PossDup message needs OrigSendingTime <= SendingTime (2.f, 2.g)."""
        if msg.get(t.POSS_DUP_FLAG) != b"Y" or msg.msg_type == MsgType.SEQUENCE_RESET:
            return
        orig_raw = msg.get(t.ORIG_SENDING_TIME)
        if orig_raw is None:
            raise MissingTag(t.ORIG_SENDING_TIME, "Required tag missing: OrigSendingTime (122)")
        orig = parse_utc_timestamp(t.ORIG_SENDING_TIME, orig_raw)
        sent = parse_utc_timestamp(t.SENDING_TIME, msg.require(t.SENDING_TIME))
        if orig > sent:
            raise SendingTimeProblem(t.ORIG_SENDING_TIME, "OrigSendingTime is after SendingTime")

    def _latency_problem(self, msg: FixMessage) -> str | None:
        limit = self.settings.max_latency
        if limit is None:
            return None
        raw = msg.get(t.SENDING_TIME)
        if raw is None:
            return None  # the dictionary check reports the missing tag
        try:
            sent = parse_utc_timestamp(t.SENDING_TIME, raw)
        except BadTagValue:
            return None
        if abs((self._clock.now() - sent).total_seconds()) > limit:
            return "SendingTime accuracy problem"
        return None

    # ------------------------------------------------------------------ timers and logout

    def _tick_active(self, now: datetime) -> None:
        if not self.settings.schedule.is_active(now):
            self.logout("Session end time reached")
            return
        hb = self.heartbeat_interval
        quiet = (now - self._last_received).total_seconds()
        if quiet >= 2.4 * hb:
            self._disconnect("Timed out waiting for heartbeat")
            return
        if quiet >= 1.2 * hb and not self._test_request_out:
            self._test_request_counter += 1
            self._send_admin(MsgType.TEST_REQUEST, admin.test_request(f"TEST-{self._test_request_counter}"))
            self._test_request_out = True
        elif (now - self._last_sent).total_seconds() >= hb:
            self._send_admin(MsgType.HEARTBEAT, admin.heartbeat())

    def _peer_logout(self, msg: FixMessage) -> None:
        if self.state is State.LOGOUT_SENT:
            self._disconnect("Logout completed")
            return
        self._send_admin(MsgType.LOGOUT, admin.logout())
        self._disconnect(f"Logout from peer: {msg.get_str(t.TEXT) or ''}".rstrip(": "))

    def _logout_and_disconnect(self, text: str) -> None:
        log.warning("%s: %s", self.id_text, text)
        self._send_admin(MsgType.LOGOUT, admin.logout(text))
        self._disconnect(text)

    def _disconnect(self, reason: str) -> None:
        if self.disconnect_reason is None:
            self.disconnect_reason = reason
            self.on_output()

    # ------------------------------------------------------------------ sending

    def _reject(self, msg: FixMessage, seq: int, reason: int, text: str, ref_tag: int | None = None) -> None:
        body = admin.reject(seq, reason, text, ref_tag, msg.msg_type, self.session_id.begin_string)
        self._send_admin(MsgType.REJECT, body)

    def _business_reject(
        self, msg: FixMessage, seq: int, reason: int, text: str, ref_id: str | None = None
    ) -> None:
        body = admin.business_reject(seq, msg.msg_type or b"", reason, text, ref_id)
        self.send(MsgType.BUSINESS_MESSAGE_REJECT, body)

    def _send_admin(self, msg_type: bytes, body: list[Field]) -> None:
        """Admin messages use a sequence number but are not stored (gap-filled on resend)."""
        seq = self.store.next_sender_seq
        raw = self._encode(msg_type, body, seq)
        self.store.set_next_sender_seq(seq + 1)
        self._write(raw, msg_type, seq)

    def _encode(
        self,
        msg_type: bytes,
        body: list[Field],
        seq: int,
        header_extra: list[Field] | None = None,
        stamp: bytes | None = None,
    ) -> bytes:
        if stamp is None:
            stamp = format_utc_timestamp(self._clock.now(), self.settings.timestamp_precision)
        header: list[Field] = [
            (t.MSG_TYPE, msg_type),
            (t.SENDER_COMP_ID, self._sender),
            (t.TARGET_COMP_ID, self._target),
            (t.MSG_SEQ_NUM, b"%d" % seq),
            (t.SENDING_TIME, stamp),
        ]
        if header_extra:
            header.extend(header_extra)
        header.extend(body)
        return encode(self._begin, header)

    def _write(self, raw: bytes, msg_type: bytes, seq: int) -> None:
        self._out.append(raw)
        self._last_sent = self._clock.now()
        if self._journal is not null_journal:
            self._journal(WireRecord(self.id_text, Direction.OUT, raw, msg_type.decode(), seq))
        self.on_output()

    def _call_app(self, callback: Callable[[SessionID], None]) -> None:
        try:
            callback(self.session_id)
        except Exception:
            log.exception("%s: application callback failed", self.id_text)


def _fields_of(raw: bytes) -> list[Field]:
    from fix.codec import parse

    return parse(raw).fields


def _plus(now: datetime, seconds: float) -> datetime:
    from datetime import timedelta

    return now + timedelta(seconds=seconds)


def _nothing() -> None:
    return None
