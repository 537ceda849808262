"""Session rules that need settings beyond the scripted scenarios' defaults."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, time, timedelta

from fix.config import ConnectionType, SessionSettings
from fix.ids import SessionID
from fix.journal import Direction, WireRecord
from fix.schedule import SessionSchedule
from fix.session import Session, State
from fix.store import MemoryStore
from fix.values import format_utc_timestamp
from risk_controls.domain.clock import ManualClock
from tests.fix.wire_harness import START, RecordingApp, WireScript, default_settings

LOGON = "I8=FIX.4.4|35=A|34=1|49=DESK|52=<TIME>|56=GW|98=0|108=30|554=secret|"


def test_logon_from_an_address_outside_the_allow_list_is_refused() -> None:
    settings = default_settings(allowed_addresses=(ipaddress.ip_network("10.1.0.0/16"),))
    script = WireScript(settings)
    script.run(f"""
iCONNECT 192.168.1.5
{LOGON}
E8=FIX.4.4|35=5|49=GW|56=DESK|34=1|52=<TIME>|58=Logon rejected: source address not allowed|
eDISCONNECT
""")
    script = WireScript(settings)
    script.run(f"iCONNECT 10.1.2.3\n{LOGON}\neLOGGED_ON")


def test_logon_outside_the_schedule_is_refused_and_session_ends_at_end_time() -> None:
    closed = default_settings(schedule=SessionSchedule(time(11), time(12)))  # START is 10:00
    WireScript(closed).run(f"""
iCONNECT
{LOGON}
E8=FIX.4.4|35=5|49=GW|56=DESK|34=1|52=<TIME>|58=Logon rejected: outside session time|
eDISCONNECT
""")
    open_until = default_settings(schedule=SessionSchedule(time(9), time(10, 0, 20)))
    WireScript(open_until).run(f"""
iCONNECT
{LOGON}
E8=FIX.4.4|35=A|49=GW|56=DESK|34=1|52=<TIME>|98=0|108=30|
iADVANCE 25
E8=FIX.4.4|35=5|49=GW|56=DESK|34=2|52=<TIME>|58=Session end time reached|
""")


def test_first_logon_of_a_new_period_starts_from_one() -> None:
    store = MemoryStore(START - timedelta(days=1))
    store.set_next_sender_seq(50)
    store.set_next_target_seq(60)
    daily = default_settings(schedule=SessionSchedule(time(6), time(20)))
    WireScript(daily, store).run(f"""
iCONNECT
{LOGON}
E8=FIX.4.4|35=A|49=GW|56=DESK|34=1|52=<TIME>|98=0|108=30|
eLOGGED_ON
""")
    assert store.creation_time == START


def test_every_message_in_and_out_is_journaled() -> None:
    records: list[WireRecord] = []
    script = WireScript()
    script.session._journal = records.append
    script.run(f"""
iCONNECT
{LOGON}
E8=FIX.4.4|35=A|49=GW|56=DESK|34=1|52=<TIME>|98=0|108=30|
R8=FIX.4.4|9=5|35=0|10=000|
""")
    assert [(r.direction, r.msg_type, r.seq) for r in records] == [
        (Direction.IN, "A", 1),
        (Direction.OUT, "A", 1),
        (Direction.GARBLED, None, None),
    ]
    assert records[0].raw.startswith(b"8=FIX.4.4\x01") and b"554=secret" in records[0].raw


def test_an_authenticator_that_fails_refuses_the_logon() -> None:
    script = WireScript()

    def broken(*_: object) -> bool:
        raise ConnectionError("secrets provider down")

    script.session._authenticate = broken
    script.run(f"""
iCONNECT
{LOGON}
E8=FIX.4.4|35=5|49=GW|56=DESK|34=1|52=<TIME>|58=Logon rejected: authentication failed|
eDISCONNECT
""")


def pump(a: Session, b: Session) -> None:
    """Deliver bytes both ways until both are quiet."""
    for _ in range(20):
        out_a, out_b = a.take_output(), b.take_output()
        if not out_a and not out_b:
            return
        if out_a:
            b.data_received(out_a)
        if out_b:
            a.data_received(out_b)


def test_our_initiator_and_acceptor_talk_to_each_other() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 10, tzinfo=UTC))
    desk_app, gw_app = RecordingApp(), RecordingApp()
    acceptor = Session(
        SessionSettings(SessionID("FIX.4.2", "GW", "DESK"), allowed_accounts=frozenset({"A"})),
        MemoryStore(),
        gw_app,
        clock=clock,
        authenticator=lambda sid, user, pw, peer: (user, pw) == ("jsmith", "pw"),
    )
    initiator = Session(
        SessionSettings(
            SessionID("FIX.4.2", "DESK", "GW"),
            ConnectionType.INITIATOR,
            heartbeat_interval=5,
            reset_on_logon=True,
            username="jsmith",
            connect_host="127.0.0.1",
            connect_port=1,
        ),
        MemoryStore(),
        desk_app,
        clock=clock,
        password="pw",
    )
    acceptor.connection_made("127.0.0.1")
    initiator.connection_made("127.0.0.1")
    pump(initiator, acceptor)
    assert initiator.state is State.ACTIVE and acceptor.state is State.ACTIVE
    assert acceptor.heartbeat_interval == 5 and (gw_app.logons, desk_app.logons) == (1, 1)
    initiator.send(
        b"D",
        [(11, b"C1"), (21, b"1"), (55, b"X"), (54, b"1"), (60, b"20261123-10:00:00"), (38, b"5"), (40, b"1")],
    )
    pump(initiator, acceptor)
    assert [m.get(11) for m in gw_app.received] == [b"C1"]
    clock.advance(5)
    initiator.tick()
    acceptor.tick()
    pump(initiator, acceptor)  # heartbeats both ways, nothing else
    assert initiator.state is State.ACTIVE and acceptor.state is State.ACTIVE
    initiator.logout("bye")
    pump(initiator, acceptor)
    assert initiator.disconnect_reason == "Logout completed"
    assert acceptor.disconnect_reason == "Logout from peer: bye"
    acceptor.connection_lost()
    initiator.connection_lost()
    assert (gw_app.logouts, desk_app.logouts) == (1, 1)
    assert acceptor.store.next_target_seq == initiator.store.next_sender_seq
    assert initiator.store.next_target_seq == acceptor.store.next_sender_seq


def test_initiator_gives_up_when_the_peer_refuses_the_logon() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 10, tzinfo=UTC))
    acceptor = Session(default_settings(), MemoryStore(), RecordingApp(), clock=clock)
    initiator = Session(
        SessionSettings(
            SessionID("FIX.4.4", "DESK", "GW"), ConnectionType.INITIATOR, connect_host="h", connect_port=1
        ),
        MemoryStore(),
        RecordingApp(),
        clock=clock,
        password="wrong",
    )
    acceptor.connection_made("127.0.0.1")
    initiator.connection_made("127.0.0.1")
    pump(initiator, acceptor)
    assert initiator.disconnect_reason is not None
    assert "authentication failed" in initiator.disconnect_reason


def test_numbers_too_long_to_hold_get_a_reject_or_a_logout_and_the_session_goes_on() -> None:
    """Past 4,300 digits Python's int() raises ValueError, not a FIX error: a hostile peer must
    not reach it through a quantity, a price, a tag, a BodyLength or a MsgSeqNum."""
    huge = "9" * 5000
    now = format_utc_timestamp(START).decode()
    WireScript(default_settings()).run(f"""
iCONNECT
{LOGON}
E8=FIX.4.4|35=A|49=GW|56=DESK|34=1|52=<TIME>|98=0|108=30|
I8=FIX.4.4|35=D|34=2|49=DESK|52=<TIME>|56=GW|11=C1|55=X|54=1|60=<TIME>|38={huge}|40=1|
E8=FIX.4.4|35=3|49=GW|56=DESK|34=2|52=<TIME>|45=2|371=38|372=D|373=5|58=<ANY>|
I8=FIX.4.4|35=D|34=3|49=DESK|52=<TIME>|56=GW|11=C2|55=X|54=1|60=<TIME>|38=1|40=2|44=1.{"1" * 28}|
E8=FIX.4.4|35=3|49=GW|56=DESK|34=3|52=<TIME>|45=3|371=44|372=D|373=5|58=<ANY>|
R{_framed(f"35=1|34=4|49=DESK|52={now}|56=GW|112=T|{huge}=x|")}
E8=FIX.4.4|35=3|49=GW|56=DESK|34=4|52=<TIME>|45=4|372=1|373=0|58=<ANY>|
R8=FIX.4.4|9={huge}|35=1|34=5|49=DESK|52=<TIME>|56=GW|112=X|10=000|
eNOTHING
I8=FIX.4.4|35=1|34=5|49=DESK|52=<TIME>|56=GW|112=OK|
E8=FIX.4.4|35=0|49=GW|56=DESK|34=5|52=<TIME>|112=OK|
I8=FIX.4.4|35=0|34={huge}|49=DESK|52=<TIME>|56=GW|
E8=FIX.4.4|35=5|49=GW|56=DESK|34=6|52=<TIME>|58=MsgSeqNum (34) missing or not a number|
""")


def _framed(body: str) -> str:
    """A frame with BodyLength and CheckSum right, in the script's | notation."""
    head = f"8=FIX.4.4|9={len(body)}|"
    checksum = sum((head + body).replace("|", "\x01").encode()) % 256
    return f"{head}{body}10={checksum:03d}|"
