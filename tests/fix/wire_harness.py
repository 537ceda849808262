"""Scripted wire scenarios in the QuickFIX/J acceptance-test style: bytes in, bytes expected out.

Script lines::

    # comment
    iCONNECT [address]        the transport comes up
    iDISCONNECT               the transport goes down
    iADVANCE <seconds>        move the clock and run the timers
    iAPP <fields>             the application sends a message (35=... then the body)
    iSTORE sender=N target=M  set the stored next sequence numbers
    iLOGOUT [text]            we start the Logout handshake
    I<fields>                 a message from the peer; 9 and 10 are computed unless given,
                              <TIME> / <TIME+n> / <TIME-n> become SendingTime values
    R<raw>                    raw bytes from the peer, | for SOH, nothing computed
    E<fields>                 the next message we send must have exactly these fields in
                              this order; 9, 10 and 52 are not compared, nor any value
                              written <ANY>
    eDISCONNECT               the session asks to close the connection now
    eNOTHING                  nothing was sent (since the previous E)
    eLOGGED_ON / eNOT_LOGGED_ON
    eAPP <msg type>           the application received a message of this type
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fix.application import BusinessReject, UnsupportedMessageType
from fix.codec import FixParser, encode
from fix.config import SessionSettings
from fix.ids import SessionID
from fix.message import FixMessage
from fix.session import Session
from fix.store import MemoryStore
from fix.tags import BusinessRejectReason
from fix.values import format_utc_timestamp
from risk_controls.domain.clock import ManualClock

START = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
_IGNORED = {9, 10, 52}


@dataclass
class RecordingApp:
    """Accepts NewOrderSingle, refuses ClOrdID BAD at business level, nothing else supported."""

    received: list[FixMessage] = field(default_factory=list)
    logons: int = 0
    logouts: int = 0

    def on_logon(self, session_id: SessionID) -> None:
        self.logons += 1

    def on_logout(self, session_id: SessionID) -> None:
        self.logouts += 1

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        if message.msg_type != b"D":
            raise UnsupportedMessageType(message.msg_type)
        if message.get(11) == b"BAD":
            raise BusinessReject(BusinessRejectReason.OTHER, "refused", "BAD")
        if message.get(11) == b"CRASH":
            raise RuntimeError("application bug")
        message.require_int(38)
        self.received.append(message)


def default_settings(**overrides: object) -> SessionSettings:
    args: dict[str, object] = {
        "session_id": SessionID("FIX.4.4", "GW", "DESK"),
        "allowed_accounts": frozenset({"ACC1"}),
    }
    args.update(overrides)
    return SessionSettings(**args)  # type: ignore[arg-type]


def password_is_secret(session_id: str, username: str | None, password: str | None, peer: str | None) -> bool:
    return password == "secret"


class WireScript:
    """Runs one scenario against a fresh acceptor session."""

    def __init__(self, settings: SessionSettings | None = None, store: MemoryStore | None = None):
        self.clock = ManualClock(START)
        self.app = RecordingApp()
        self.store = store or MemoryStore(START)
        self.session = Session(
            settings or default_settings(),
            self.store,
            self.app,
            clock=self.clock,
            authenticator=password_is_secret,
        )
        self.parser = FixParser()
        self.outbox: list[FixMessage] = []
        self.app_seen = 0

    def _collect(self) -> None:
        self.parser.feed(self.session.take_output())
        while (msg := self.parser.next_message()) is not None:
            self.outbox.append(msg)

    def _time(self, token: str) -> str:
        offset = 0
        if token.startswith("TIME+"):
            offset = int(token[5:])
        elif token.startswith("TIME-"):
            offset = -int(token[5:])
        when = self.clock.now() + timedelta(seconds=offset)
        return format_utc_timestamp(when, 3).decode()

    def _substitute(self, text: str) -> str:
        out = []
        for index, part in enumerate(text.split("<")):
            token, sep, rest = part.partition(">")
            if index and sep and token.startswith("TIME"):
                out.append(self._time(token) + rest)
            else:
                out.append(part if not index else "<" + part)
        return "".join(out)

    def _build(self, text: str) -> bytes:
        pairs = [p for p in self._substitute(text).split("|") if p]
        fields = [(int(k), v.encode()) for k, v in (p.split("=", 1) for p in pairs)]
        tags = [t for t, _ in fields]
        if 9 in tags or 10 in tags:
            return "|".join(pairs).replace("|", "\x01").encode() + b"\x01"
        begin = fields[0][1]
        return encode(begin, fields[1:])

    def run(self, script: str, name: str = "<script>") -> None:
        for number, raw_line in enumerate(script.splitlines(), start=1):
            line = raw_line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                self._step(line)
            except AssertionError as exc:
                raise AssertionError(f"{name}:{number}: {line}\n{exc}") from None

    def _step(self, line: str) -> None:
        if line.startswith("iCONNECT"):
            address = line[len("iCONNECT") :].strip() or "127.0.0.1"
            self.session.connection_made(address)
        elif line == "iDISCONNECT":
            self._collect()
            self.session.connection_lost()
        elif line.startswith("iSTORE"):
            values = dict(item.split("=") for item in line.split()[1:])
            self.store.set_next_sender_seq(int(values.get("sender", "1")))
            self.store.set_next_target_seq(int(values.get("target", "1")))
        elif line.startswith("iLOGOUT"):
            self.session.logout(line[len("iLOGOUT") :].strip() or None)
        elif line.startswith("iADVANCE"):
            self.clock.advance(float(line.split()[1]))
            self.session.tick()
        elif line.startswith("iAPP"):
            pairs = [p for p in line[4:].strip().split("|") if p]
            fields = [(int(k), v.encode()) for k, v in (p.split("=", 1) for p in pairs)]
            self.session.send(fields[0][1], fields[1:])
        elif line.startswith("I"):
            self.session.data_received(self._build(line[1:]))
        elif line.startswith("R"):
            self.session.data_received(self._substitute(line[1:]).replace("|", "\x01").encode())
        elif line.startswith("E"):
            self._expect(line[1:])
        elif line == "eDISCONNECT":
            self._collect()
            assert self.session.disconnect_reason is not None, "expected a disconnect request"
        elif line == "eNOTHING":
            self._collect()
            assert not self.outbox, f"expected nothing sent, got {self.outbox}"
        elif line == "eLOGGED_ON":
            assert self.session.logged_on, f"expected logged on, state {self.session.state}"
        elif line == "eNOT_LOGGED_ON":
            assert not self.session.logged_on, "expected not logged on"
        elif line.startswith("eAPP"):
            expected_type = line.split()[1].encode()
            assert len(self.app.received) > self.app_seen, "application received nothing"
            got = self.app.received[self.app_seen]
            self.app_seen += 1
            assert got.msg_type == expected_type, f"application got {got.msg_type!r}"
        else:
            raise ValueError(f"unknown script line: {line}")

    def _expect(self, text: str) -> None:
        self._collect()
        assert self.outbox, f"expected {text} but nothing was sent"
        actual = self.outbox.pop(0)
        pairs = [p for p in self._substitute(text).split("|") if p]
        expected = [(int(k), v) for k, v in (p.split("=", 1) for p in pairs)]
        got = [(t, v.decode()) for t, v in actual.fields]
        exp_tags = [t for t, _ in expected if t not in (9, 10)]
        got_tags = [t for t, _ in got if t not in (9, 10)]
        assert exp_tags == got_tags, f"tags differ:\n expected {expected}\n got      {got}"
        for (tag, want), (_, have) in zip(
            [e for e in expected if e[0] not in (9, 10)],
            [g for g in got if g[0] not in (9, 10)],
            strict=True,
        ):
            if tag in _IGNORED or want == "<ANY>":
                continue
            assert want == have, f"tag {tag}: expected {want!r}, got {have!r}\n got {got}"


def load_scripts(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.def"))
