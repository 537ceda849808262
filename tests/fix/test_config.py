"""Session configuration: the sample file loads; every mistake is reported where it is."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from fix.config import ConfigError, ConnectionType, Throttle, load_config, parse_config
from fix.ids import SessionID
from fix.schedule import SessionSchedule
from risk_controls.domain import Capacity

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "deploy" / "fix" / "gateway.cfg"

MINIMAL = """
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=GW
SocketAcceptPort=0
NonStopSession=Y
[SESSION]
TargetCompID=DESK
AllowedAccounts=ACC1
"""


def problems(text: str) -> list[tuple[int | None, str, str | None, str]]:
    with pytest.raises(ConfigError) as error:
        parse_config(text, "test.cfg")
    return [(p.line, p.section, p.key, p.message) for p in error.value.problems]


def test_sample_configuration_loads() -> None:
    config = load_config(SAMPLE)
    desk1, desk2, surveillance = config.sessions
    assert desk1.session_id == SessionID("FIX.4.4", "GATEWAY", "DESK1")
    assert desk1.origin_name == "DESK1"
    assert desk1.allowed_accounts == frozenset({"ACC-APPLE-TSY", "ACC-MSFT-TSY"})
    assert desk1.cancel_on_disconnect and desk1.throttle == Throttle(300, 1.0)
    assert desk1.allowed_addresses == (ipaddress.ip_network("127.0.0.1/32"),)
    assert desk1.schedule == SessionSchedule(time(0), time(23, 59, 59), frozenset(range(5)), "UTC")
    assert desk1.mifid_defaults.execution_decision == "US19800101JSMIT"
    assert desk1.capacity_map == {"A": Capacity.AOTC, "P": Capacity.DEAL, "R": Capacity.MTCH}
    assert desk2.session_id.begin_string == "FIX.4.2"
    assert desk2.mifid_defaults.capacity is Capacity.DEAL
    assert surveillance.drop_copy and not surveillance.cancel_on_disconnect
    assert (config.accept_host, config.accept_port) == ("127.0.0.1", 9878)


def test_minimal_configuration_defaults() -> None:
    [session] = parse_config(MINIMAL).sessions
    assert session.connection_type is ConnectionType.ACCEPTOR
    assert session.heartbeat_interval == 30 and session.max_latency == 120
    assert session.schedule.non_stop and session.validate_fields
    assert session.origin_name == "FIX.4.4:GW->DESK"


def test_every_problem_is_reported_with_its_location() -> None:
    text = (
        MINIMAL
        + """
[SESSION]
TargetCompID=DESK2
BeginString=FIX.5.0
HeartBtInt=abc
AllowedAccounts=*
Weekdays=Mon,Funday
MifidCapacity=AGENT
Password=hunter2
Colour=blue
"""
    )
    found = problems(text)
    keys = {(key, section) for _, section, key, _ in found}
    assert {
        ("BeginString", "SESSION #2"),
        ("HeartBtInt", "SESSION #2"),
        ("AllowedAccounts", "SESSION #2"),
        ("Weekdays", "SESSION #2"),
        ("MifidCapacity", "SESSION #2"),
        ("Password", "SESSION"),
        ("Colour", "SESSION"),
    } <= keys
    lines = {key: line for line, _, key, _ in found}
    assert lines["HeartBtInt"] == 15 and lines["Password"] == 19
    message = str(ConfigError([p for p in parse_errors(text)]))
    assert "test.cfg:15 [SESSION #2] HeartBtInt: 'abc' is not an integer" in message


def parse_errors(text: str) -> list:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as error:
        parse_config(text, "test.cfg")
    return error.value.problems


def test_order_entry_session_must_list_accounts() -> None:
    text = MINIMAL.replace("AllowedAccounts=ACC1", "")
    assert any(k == "AllowedAccounts" and "required" in m for _, _, k, m in problems(text))
    dropcopy = MINIMAL.replace("AllowedAccounts=ACC1", "DropCopy=Y")
    assert parse_config(dropcopy).sessions[0].drop_copy


def test_default_account_must_be_allowed() -> None:
    text = MINIMAL + "DefaultAccount=OTHER\n"
    assert [k for _, _, k, _ in problems(text)] == ["DefaultAccount"]


def test_duplicate_sessions_and_origin_names_are_refused() -> None:
    text = MINIMAL + "[SESSION]\nTargetCompID=DESK\nAllowedAccounts=A\n"
    assert any("already defined" in m for *_, m in problems(text))
    text = MINIMAL + "OriginSession=X\n[SESSION]\nTargetCompID=D2\nAllowedAccounts=A\nOriginSession=X\n"
    assert any(k == "OriginSession" for _, _, k, _ in problems(text))


def test_schedule_needs_times_unless_non_stop() -> None:
    text = MINIMAL.replace("NonStopSession=Y", "")
    assert any(k == "StartTime" for _, _, k, _ in problems(text))
    text = MINIMAL.replace("NonStopSession=Y", "StartTime=08:00\nEndTime=16:30\nTimeZone=Mars/Base")
    assert any(k == "TimeZone" for _, _, k, _ in problems(text))


def test_initiator_needs_where_to_connect() -> None:
    text = MINIMAL.replace("ConnectionType=acceptor", "ConnectionType=initiator")
    keys = {k for _, _, k, _ in problems(text)}
    assert {"SocketConnectHost", "SocketConnectPort"} <= keys
    ok = text + "SocketConnectHost=127.0.0.1\nSocketConnectPort=9000\nUsername=gw\nCredentialRef=v1\n"
    [session] = parse_config(ok).sessions
    assert (session.connect_host, session.connect_port, session.credential_ref) == ("127.0.0.1", 9000, "v1")


def test_store_path_belongs_to_default() -> None:
    text = MINIMAL + "StorePath=/tmp/x.sqlite\n"
    assert any(k == "StorePath" for _, _, k, _ in problems(text))


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (datetime(2026, 11, 23, 7, 59, tzinfo=UTC), False),  # Monday before the open
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 27, 22, 0, tzinfo=UTC), False),  # Friday after the close
        (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_daily_schedule(when: datetime, active: bool) -> None:
    schedule = SessionSchedule(time(8), time(16, 30), frozenset(range(5)))
    assert schedule.is_active(when) is active


def test_overnight_schedule_and_reset_on_a_new_period() -> None:
    schedule = SessionSchedule(time(22), time(21), frozenset(range(7)))
    sunday_night = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert schedule.period_start(sunday_night) == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert schedule.period_start(monday_noon) == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
    assert not schedule.is_active(datetime(2026, 11, 23, 21, 30, tzinfo=UTC))
    assert not schedule.needs_reset(sunday_night, monday_noon)
    assert schedule.needs_reset(sunday_night, datetime(2026, 11, 23, 22, 30, tzinfo=UTC))


def test_schedule_in_a_local_time_zone() -> None:
    schedule = SessionSchedule(time(9), time(17, 30), frozenset(range(5)), "Europe/London")
    assert schedule.is_active(datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # 09:30 BST
    assert not schedule.is_active(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # 08:30 GMT
