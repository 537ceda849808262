"""QuickFIX-style session configuration: ``[DEFAULT]`` plus one ``[SESSION]`` per session.

The file is read once and turned into frozen settings; every problem is
reported together, each naming file, line, section and key, and nothing is
silently defaulted that could open a door: an order-entry session lists the
accounts it may trade (there is no wildcard), and a password never lives in
this file (acceptors authenticate through the injected authenticator, an
initiator names a credential the gateway resolves from its secrets provider).

Keys (case-sensitive, as in QuickFIX)::

    ConnectionType      acceptor | initiator
    BeginString         FIX.4.2 | FIX.4.4
    SenderCompID, TargetCompID
    SocketAcceptHost, SocketAcceptPort         acceptor (one listener per gateway)
    SocketConnectHost, SocketConnectPort, ReconnectInterval   initiator
    HeartBtInt          seconds (an initiator's value; an acceptor adopts the peer's)
    StartTime, EndTime  HH:MM[:SS]; Weekdays = Mon,Tue,...; TimeZone (IANA); NonStopSession Y/N
    ResetOnLogon        Y/N: an initiator sends 141=Y
    MaxLatency          seconds of SendingTime skew tolerated (CheckLatency=N turns it off)
    LogonTimeout, LogoutTimeout                seconds
    ValidateFields      Y/N: check tags, types and required fields against the dictionary
    TimestampPrecision  3 or 6
    AllowedAddresses    comma list of addresses or networks (empty: any)
    AllowedAccounts     comma list; required for an order-entry session
    DefaultAccount      used when a message has no Account (1); must be allowed
    MifidClientId, MifidInvestmentDecision, MifidExecutionDecision, MifidCapacity
    OrderCapacityMap    e.g. A:AOTC,P:DEAL,R:MTCH (OrderCapacity 528 -> RTS 22 capacity)
    CancelOnDisconnect  Y/N
    ThrottleMaxMessages, ThrottleWindowSeconds
    DropCopy            Y/N: a read-only session that receives every ExecutionReport
    OriginSession       the name orders from this session carry as ``origin.session`` (what
                        the risk policy and the kill switch call it); default: the session id
    Username, CredentialRef                    initiator logon credentials
    StorePath           [DEFAULT] only: the SQLite file holding sequence numbers
    SocketUseSSL        Y/N: TLS (1.2 or newer). In [DEFAULT] it covers the acceptor's
                        listener (and any initiator that does not say otherwise)
    ServerCertificateFile, ServerCertificateKeyFile   [DEFAULT] only: the acceptor's PEM
                        certificate chain and key (the key may sit in the certificate file)
    ServerCertificateKeySecret  instead of ServerCertificateKeyFile: the name of a secret in
                        the gateway's secrets provider (Vault where configured) holding the
                        key's PEM; it is fetched at start and never written to disk
    CertificateVerifyLevel  [DEFAULT] only: 1 = every client must present a certificate
                        issued by CertificationAuthoritiesFile; 0 (default) = not asked
    CertificationAuthoritiesFile  PEM bundle: for the acceptor, the CAs of client
                        certificates; for an initiator, the CAs that issue the server's
                        certificate (default: the system's trust store). An initiator always
                        verifies the server and checks that it names SocketConnectHost.
    CertificateRevocationListFile  [DEFAULT] only, with CertificateVerifyLevel=1: PEM CRLs
                        from those CAs; a revoked client certificate fails the handshake.
                        Re-read when the file changes; a list that does not load leaves the
                        previous one in force
    ClientCertificateCommonName  acceptor sessions, with CertificateVerifyLevel=1: comma
                        list of the certificate CNs allowed to log on as this session (any
                        other verified certificate is refused at Logon)
    ClientCertificateFile, ClientCertificateKeyFile   an initiator's own certificate, for
                        servers that ask for one
    ClientCertificateKeySecret  instead of ClientCertificateKeyFile, as for the server's key
                        Relative file paths are read from the configuration file's folder.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fix.ids import SessionID
from fix.schedule import ALL_DAYS, WEEKDAY_NAMES, SessionSchedule
from fix.tls import SecretLookup, TlsSettings, client_context, server_context, with_key_secret
from risk_controls.domain import Capacity, MifidOverrides

T = TypeVar("T")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SUPPORTED_VERSIONS = ("FIX.4.2", "FIX.4.4")
DEFAULT_CAPACITY_MAP = {"A": Capacity.AOTC, "P": Capacity.DEAL, "R": Capacity.MTCH}


class ConnectionType(StrEnum):
    ACCEPTOR = "acceptor"
    INITIATOR = "initiator"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with the file, located precisely."""

    file: str
    line: int | None
    section: str
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where} [{self.section}]{key} {self.message}"


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists every reason."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("invalid FIX configuration:\n  " + "\n  ".join(map(str, problems)))


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most ``max_messages`` application messages per ``window_seconds``."""

    max_messages: int
    window_seconds: float


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Everything the session layer and the order mapping need for one session."""

    session_id: SessionID
    connection_type: ConnectionType = ConnectionType.ACCEPTOR
    heartbeat_interval: int = 30
    schedule: SessionSchedule = field(default_factory=lambda: SessionSchedule(non_stop=True))
    reset_on_logon: bool = False
    max_latency: int | None = 120
    logon_timeout: float = 10.0
    logout_timeout: float = 2.0
    validate_fields: bool = True
    timestamp_precision: int = 3
    allowed_addresses: tuple[IPNetwork, ...] = ()
    allowed_accounts: frozenset[str] = frozenset()
    default_account: str | None = None
    mifid_defaults: MifidOverrides = field(default_factory=MifidOverrides)
    capacity_map: dict[str, Capacity] = field(default_factory=lambda: dict(DEFAULT_CAPACITY_MAP))
    cancel_on_disconnect: bool = False
    throttle: Throttle | None = None
    drop_copy: bool = False
    connect_host: str | None = None
    connect_port: int | None = None
    reconnect_interval: float = 30.0
    username: str | None = None
    credential_ref: str | None = None
    origin_session: str | None = None
    tls: TlsSettings | None = None
    """An initiator's TLS settings (None: plain TCP); the acceptor's are the config's."""
    certificate_names: frozenset[str] = frozenset()
    """Acceptor: the client certificate CNs that may log on as this session (empty: any)."""

    @property
    def origin_name(self) -> str:
        """``origin.session`` of the orders entered here (``FIX.4.4:GW->DESK1`` by default)."""
        return self.origin_session or str(self.session_id)

    def address_allowed(self, peer: str | None) -> bool:
        """True when no allow-list is set or ``peer`` falls inside it."""
        if not self.allowed_addresses:
            return True
        if peer is None:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in net for net in self.allowed_addresses)

    def certificate_allowed(self, common_name: str | None) -> bool:
        """True when no names are set or the peer's verified certificate carries one of them."""
        return not self.certificate_names or common_name in self.certificate_names


@dataclass(frozen=True, slots=True)
class FixConfig:
    """The whole file: the sessions and the gateway-wide keys."""

    sessions: tuple[SessionSettings, ...]
    accept_host: str | None = None
    accept_port: int | None = None
    store_path: str | None = None
    source: str = "<memory>"
    accept_tls: TlsSettings | None = None
    """The acceptor listener's TLS settings (None: plain TCP)."""

    def acceptor_sessions(self) -> tuple[SessionSettings, ...]:
        return tuple(s for s in self.sessions if s.connection_type is ConnectionType.ACCEPTOR)

    def initiator_sessions(self) -> tuple[SessionSettings, ...]:
        return tuple(s for s in self.sessions if s.connection_type is ConnectionType.INITIATOR)

    def with_secrets(self, lookup: SecretLookup) -> FixConfig:
        """The configuration with every TLS key named as a secret fetched through ``lookup``;
        raises ValueError naming a secret that is not there."""
        sessions = tuple(
            replace(s, tls=with_key_secret(s.tls, lookup)) if s.tls is not None else s for s in self.sessions
        )
        accept = with_key_secret(self.accept_tls, lookup) if self.accept_tls is not None else None
        return replace(self, sessions=sessions, accept_tls=accept)


# --------------------------------------------------------------------------- reading

_SECTION_RE = re.compile(r"^\[\s*([A-Za-z]+)\s*\]$")
_KNOWN_KEYS = frozenset(
    [
        "ConnectionType",
        "BeginString",
        "SenderCompID",
        "TargetCompID",
        "SocketAcceptHost",
        "SocketAcceptPort",
        "SocketConnectHost",
        "SocketConnectPort",
        "ReconnectInterval",
        "HeartBtInt",
        "StartTime",
        "EndTime",
        "Weekdays",
        "TimeZone",
        "NonStopSession",
        "ResetOnLogon",
        "MaxLatency",
        "CheckLatency",
        "LogonTimeout",
        "LogoutTimeout",
        "ValidateFields",
        "TimestampPrecision",
        "AllowedAddresses",
        "AllowedAccounts",
        "DefaultAccount",
        "MifidClientId",
        "MifidInvestmentDecision",
        "MifidExecutionDecision",
        "MifidCapacity",
        "OrderCapacityMap",
        "CancelOnDisconnect",
        "ThrottleMaxMessages",
        "ThrottleWindowSeconds",
        "DropCopy",
        "Username",
        "CredentialRef",
        "StorePath",
        "OriginSession",
        *(
            "SocketUseSSL",
            "ServerCertificateFile",
            "ServerCertificateKeyFile",
            "CertificateVerifyLevel",
            "CertificationAuthoritiesFile",
            "ClientCertificateFile",
            "ClientCertificateKeyFile",
            "CertificateRevocationListFile",
            "ClientCertificateCommonName",
            "ServerCertificateKeySecret",
            "ClientCertificateKeySecret",
        ),
    ]
)
_SECRET_KEYS = frozenset({"Password", "SocketPassword"})
_GLOBAL_ONLY = frozenset(
    {
        "StorePath",
        "SocketAcceptHost",
        "SocketAcceptPort",
        "ServerCertificateFile",
        "ServerCertificateKeyFile",
        "CertificateVerifyLevel",
        "CertificateRevocationListFile",
        "ServerCertificateKeySecret",
    }
)
_CLIENT_TLS_FILES = (
    "ClientCertificateFile",
    "ClientCertificateKeyFile",
    "ClientCertificateKeySecret",
    "CertificationAuthoritiesFile",
)
_SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""Names the gateway's secrets provider accepts (fix/ sits below gateway/ and cannot ask it)."""


@dataclass
class _Section:
    name: str
    line: int
    values: dict[str, tuple[str, int]] = field(default_factory=dict)


def load_config(path: str | Path) -> FixConfig:
    """Read and validate a configuration file; raise ConfigError listing every problem."""
    file = Path(path)
    return parse_config(file.read_text(encoding="utf-8"), str(file), base_dir=file.parent)


def parse_config(text: str, source: str = "<string>", base_dir: Path | None = None) -> FixConfig:
    """``base_dir``: where relative certificate paths are read from (default: the working folder)."""
    problems: list[ConfigProblem] = []
    sections = _read_sections(text, source, problems)
    default = next((s for s in sections if s.name == "DEFAULT"), _Section("DEFAULT", 0))
    session_sections = [s for s in sections if s.name == "SESSION"]
    if not session_sections:
        problems.append(ConfigProblem(source, None, "SESSION", None, "no [SESSION] section"))
    sessions = []
    for index, section in enumerate(session_sections, start=1):
        reader = _Reader(source, f"SESSION #{index}", section, default, problems, base_dir)
        settings = _session(reader)
        if settings is not None:
            sessions.append(settings)
    global_reader = _Reader(source, "DEFAULT", default, _Section("DEFAULT", 0), problems, base_dir)
    config = FixConfig(
        sessions=tuple(sessions),
        accept_host=global_reader.text("SocketAcceptHost"),
        accept_port=global_reader.integer("SocketAcceptPort", lo=0, hi=65535),
        store_path=global_reader.text("StorePath"),
        source=source,
        accept_tls=_acceptor_tls(
            global_reader, any(s.connection_type is ConnectionType.ACCEPTOR for s in sessions)
        ),
    )
    _check_whole(config, session_sections, source, problems)
    if problems:
        raise ConfigError(problems)
    return config


def _read_sections(text: str, source: str, problems: list[ConfigProblem]) -> list[_Section]:
    sections: list[_Section] = []
    current: _Section | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        match = _SECTION_RE.match(line)
        if match:
            name = match.group(1).upper()
            if name not in ("DEFAULT", "SESSION"):
                problems.append(ConfigProblem(source, number, name, None, "unknown section"))
            current = _Section(name, number)
            sections.append(current)
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        where = current.name if current else "(none)"
        if not sep or not key:
            problems.append(ConfigProblem(source, number, where, None, f"not key=value: {raw!r}"))
            continue
        if current is None:
            problems.append(ConfigProblem(source, number, where, key, "key before any section"))
            continue
        if key in _SECRET_KEYS:
            problems.append(
                ConfigProblem(
                    source,
                    number,
                    where,
                    key,
                    "secrets do not belong in this file: acceptors authenticate through the "
                    "gateway's secrets provider, initiators name a CredentialRef",
                )
            )
            continue
        if key not in _KNOWN_KEYS:
            problems.append(ConfigProblem(source, number, where, key, "unknown key"))
            continue
        if key in current.values:
            problems.append(ConfigProblem(source, number, where, key, "key given twice"))
        current.values[key] = (value.strip(), number)
    return sections


class _Reader:
    """Typed access to one [SESSION] section with [DEFAULT] fallback, collecting problems."""

    def __init__(
        self,
        source: str,
        label: str,
        section: _Section,
        default: _Section,
        problems: list[ConfigProblem],
        base_dir: Path | None = None,
    ) -> None:
        self.base_dir = base_dir or Path()
        self.source = source
        self.label = label
        self.section = section
        self.default = default
        self.problems = problems

    def _raw(self, key: str) -> tuple[str, int] | None:
        return self.section.values.get(key) or self.default.values.get(key)

    def problem(self, key: str | None, message: str) -> None:
        found = self._raw(key) if key else None
        line = found[1] if found else self.section.line or None
        self.problems.append(ConfigProblem(self.source, line, self.label, key, message))

    def _convert(self, key: str, convert: Callable[[str], T], what: str) -> T | None:
        found = self._raw(key)
        if found is None or found[0] == "":
            return None
        try:
            return convert(found[0])
        except (ValueError, KeyError):
            self.problem(key, f"{found[0]!r} is not {what}")
            return None

    def text(self, key: str, required: bool = False) -> str | None:
        found = self._raw(key)
        value = found[0] if found else None
        if required and not value:
            self.problem(key, "is required")
        return value or None

    def integer(self, key: str, default: int | None = None, lo: int = 1, hi: int = 10**9) -> int | None:
        value = self._convert(key, int, "an integer")
        if value is None:
            return default
        if not lo <= value <= hi:
            self.problem(key, f"{value} is outside {lo}..{hi}")
            return default
        return value

    def number(self, key: str, default: float) -> float:
        value = self._convert(key, float, "a number of seconds")
        if value is None:
            return default
        if value <= 0:
            self.problem(key, "must be greater than zero")
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._convert(key, _yes_no, "Y or N")
        return default if value is None else value

    def clock_time(self, key: str) -> time | None:
        return self._convert(key, time.fromisoformat, "a time HH:MM[:SS]")

    def file(self, key: str) -> Path | None:
        """A readable file's path (relative ones from the configuration's folder)."""
        name = self.text(key)
        if name is None:
            return None
        path = self.base_dir / Path(name).expanduser()
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            self.problem(key, f"cannot read {str(path)!r}: {exc.strerror or exc}")
            return None
        return path

    def items(self, key: str) -> list[str]:
        found = self._raw(key)
        if not found:
            return []
        return [item.strip() for item in found[0].split(",") if item.strip()]


def _yes_no(value: str) -> bool:
    upper = value.upper()
    if upper in ("Y", "YES", "TRUE"):
        return True
    if upper in ("N", "NO", "FALSE"):
        return False
    raise ValueError(value)


def _session(r: _Reader) -> SessionSettings | None:
    for key in r.section.values:
        if key in _GLOBAL_ONLY:
            r.problem(key, "belongs in [DEFAULT] (one listener and one store file per gateway)")
    begin = r.text("BeginString", required=True)
    sender = r.text("SenderCompID", required=True)
    target = r.text("TargetCompID", required=True)
    if begin and begin not in SUPPORTED_VERSIONS:
        r.problem("BeginString", f"{begin!r} is not supported (FIX.4.2 or FIX.4.4)")
    ctype = r._convert("ConnectionType", ConnectionType, "acceptor or initiator")
    if ctype is None:
        r.problem("ConnectionType", "is required (acceptor or initiator)")
    heartbeat = r.integer("HeartBtInt", default=30, lo=1, hi=3600) or 30
    schedule = _schedule(r)
    precision = r.integer("TimestampPrecision", default=3, lo=0, hi=6) or 3
    if precision not in (3, 6):
        r.problem("TimestampPrecision", "must be 3 or 6")
    max_latency = r.integer("MaxLatency", default=120, lo=1, hi=86400)
    if not r.flag("CheckLatency", True):
        max_latency = None
    drop_copy = r.flag("DropCopy", False)
    accounts = frozenset(r.items("AllowedAccounts"))
    if "*" in accounts:
        r.problem("AllowedAccounts", "no wildcard: list the accounts this session may trade")
    default_account = r.text("DefaultAccount")
    is_acceptor = ctype is ConnectionType.ACCEPTOR
    if is_acceptor and not drop_copy and not accounts:
        r.problem("AllowedAccounts", "is required for an order-entry session")
    if default_account and default_account not in accounts:
        r.problem("DefaultAccount", f"{default_account!r} is not in AllowedAccounts")
    throttle = _throttle(r)
    initiator = _initiator_args(r, ctype)
    networks = _networks(r)
    mifid = _mifid(r)
    capacity_map = _capacity_map(r)
    flags = {
        key: r.flag(key, default)
        for key, default in (("ResetOnLogon", False), ("ValidateFields", True), ("CancelOnDisconnect", False))
    }
    timeouts = (r.number("LogonTimeout", 10.0), r.number("LogoutTimeout", 2.0))
    if not (begin in SUPPORTED_VERSIONS and sender and target and ctype):
        return None
    return SessionSettings(
        session_id=SessionID(begin, sender, target),
        connection_type=ctype,
        heartbeat_interval=heartbeat,
        schedule=schedule,
        reset_on_logon=flags["ResetOnLogon"],
        max_latency=max_latency,
        logon_timeout=timeouts[0],
        logout_timeout=timeouts[1],
        validate_fields=flags["ValidateFields"],
        timestamp_precision=precision,
        allowed_addresses=networks,
        allowed_accounts=accounts,
        default_account=default_account,
        mifid_defaults=mifid,
        capacity_map=capacity_map,
        cancel_on_disconnect=flags["CancelOnDisconnect"],
        throttle=throttle,
        drop_copy=drop_copy,
        connect_host=initiator.host,
        connect_port=initiator.port,
        reconnect_interval=initiator.reconnect_interval,
        username=initiator.username,
        credential_ref=initiator.credential_ref,
        origin_session=r.text("OriginSession"),
        tls=_initiator_tls(r, ctype),
        certificate_names=_certificate_names(r, ctype),
    )


@dataclass(frozen=True, slots=True)
class _InitiatorArgs:
    host: str | None = None
    port: int | None = None
    reconnect_interval: float = 30.0
    username: str | None = None
    credential_ref: str | None = None


def _initiator_args(r: _Reader, ctype: ConnectionType | None) -> _InitiatorArgs:
    if ctype is not ConnectionType.INITIATOR:
        return _InitiatorArgs()
    host = r.text("SocketConnectHost", required=True)
    port = r.integer("SocketConnectPort", lo=1, hi=65535)
    if port is None:
        r.problem("SocketConnectPort", "is required for an initiator")
    return _InitiatorArgs(
        host, port, r.number("ReconnectInterval", 30.0), r.text("Username"), r.text("CredentialRef")
    )


def _certificate_names(r: _Reader, ctype: ConnectionType | None) -> frozenset[str]:
    names = frozenset(r.items("ClientCertificateCommonName"))
    if names and ctype is not ConnectionType.ACCEPTOR:
        r.problem("ClientCertificateCommonName", "is for acceptor sessions")
        return frozenset()
    return names


def _acceptor_tls(r: _Reader, has_acceptors: bool) -> TlsSettings | None:
    """The listener's TLS from [DEFAULT]; certificate keys without SocketUseSSL=Y are refused,
    so that a file meant to be encrypted never runs in plain text unnoticed."""
    use_ssl = r.flag("SocketUseSSL", False)
    level = r.integer("CertificateVerifyLevel", default=0, lo=0, hi=1)
    if not use_ssl or not has_acceptors:
        for key in (
            "ServerCertificateFile",
            "ServerCertificateKeyFile",
            "ServerCertificateKeySecret",
            "CertificateVerifyLevel",
            "CertificateRevocationListFile",
        ):
            if r.text(key) is not None:
                r.problem(key, "has no effect without SocketUseSSL=Y and an acceptor session")
        return None
    certificate = r.file("ServerCertificateFile")
    if r.text("ServerCertificateFile") is None:
        r.problem("ServerCertificateFile", "is required when SocketUseSSL=Y")
    tls = TlsSettings(
        certificate=certificate,
        private_key=r.file("ServerCertificateKeyFile"),
        authorities=r.file("CertificationAuthoritiesFile"),
        verify_peer=level == 1,
        revocation_list=r.file("CertificateRevocationListFile"),
        private_key_secret=_key_secret(r, "ServerCertificateKeySecret", "ServerCertificateKeyFile"),
    )
    if tls.verify_peer and r.text("CertificationAuthoritiesFile") is None:
        r.problem("CertificationAuthoritiesFile", "is required when CertificateVerifyLevel=1")
        return None
    if r.text("CertificateRevocationListFile") is not None and not tls.verify_peer:
        r.problem("CertificateRevocationListFile", "needs CertificateVerifyLevel=1")
        return None
    if certificate is not None and r.text("ServerCertificateKeySecret") is None:  # that loads at start
        _try_context(r, "ServerCertificateFile", lambda: server_context(tls))
    return tls


def _key_secret(r: _Reader, key: str, file_key: str) -> str | None:
    name = r.text(key)
    if name is None:
        return None
    if r.text(file_key) is not None:
        r.problem(key, f"use either {file_key} or {key}, not both")
        return None
    if not _SECRET_NAME.match(name):
        r.problem(key, f"{name!r} is not a secret name ([A-Za-z0-9._-], at most 128)")
        return None
    return name


def _initiator_tls(r: _Reader, ctype: ConnectionType | None) -> TlsSettings | None:
    if ctype is ConnectionType.ACCEPTOR:
        if "SocketUseSSL" in r.section.values:
            r.problem("SocketUseSSL", "the acceptor has one listener: set it in [DEFAULT]")
        for key in _CLIENT_TLS_FILES:  # the listener's authorities are set in [DEFAULT]
            if key in r.section.values:
                r.problem(key, "is for initiator sessions")
        return None
    if ctype is not ConnectionType.INITIATOR:
        return None
    if not r.flag("SocketUseSSL", False):
        for key in _CLIENT_TLS_FILES:
            if key in r.section.values:
                r.problem(key, "has no effect without SocketUseSSL=Y")
        return None
    tls = TlsSettings(
        certificate=r.file("ClientCertificateFile"),
        private_key=r.file("ClientCertificateKeyFile"),
        authorities=r.file("CertificationAuthoritiesFile"),
        private_key_secret=_key_secret(r, "ClientCertificateKeySecret", "ClientCertificateKeyFile"),
    )
    for key_source in ("ClientCertificateKeyFile", "ClientCertificateKeySecret"):
        if r.text(key_source) is not None and tls.certificate is None:
            r.problem(key_source, "needs ClientCertificateFile")
            return None
    if r.text("ClientCertificateKeySecret") is None:  # a key held as a secret loads at start
        key = "ClientCertificateFile" if tls.certificate else "CertificationAuthoritiesFile"
        _try_context(r, key, lambda: client_context(tls))
    return tls


def _try_context(r: _Reader, key: str, build: Callable[[], object]) -> None:
    """Load the files as the engine will, so a bad certificate or key is refused now."""
    try:
        build()
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        r.problem(key, f"TLS files do not load: {getattr(exc, 'reason', None) or exc}")


def _schedule(r: _Reader) -> SessionSchedule:
    non_stop = r.flag("NonStopSession", False)
    start = r.clock_time("StartTime")
    end = r.clock_time("EndTime")
    zone = r.text("TimeZone") or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        r.problem("TimeZone", f"{zone!r} is not an IANA time zone")
        zone = "UTC"
    days = ALL_DAYS
    names = r.items("Weekdays")
    if names:
        picked = set()
        for name in names:
            key = name[:3].lower()
            if key not in WEEKDAY_NAMES:
                r.problem("Weekdays", f"{name!r} is not a weekday (Mon..Sun)")
            else:
                picked.add(WEEKDAY_NAMES.index(key))
        days = frozenset(picked) or ALL_DAYS
    if non_stop:
        return SessionSchedule(non_stop=True, timezone=zone)
    if start is None or end is None:
        r.problem("StartTime", "StartTime and EndTime are required unless NonStopSession=Y")
        return SessionSchedule(non_stop=True)
    return SessionSchedule(start=start, end=end, weekdays=days, timezone=zone)


def _networks(r: _Reader) -> tuple[IPNetwork, ...]:
    nets: list[IPNetwork] = []
    for item in r.items("AllowedAddresses"):
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            r.problem("AllowedAddresses", f"{item!r} is not an address or network")
    return tuple(nets)


def _mifid(r: _Reader) -> MifidOverrides:
    capacity = r._convert("MifidCapacity", Capacity, "DEAL, MTCH or AOTC")
    return MifidOverrides(
        client_id=r.text("MifidClientId"),
        investment_decision=r.text("MifidInvestmentDecision"),
        execution_decision=r.text("MifidExecutionDecision"),
        capacity=capacity,
    )


def _capacity_map(r: _Reader) -> dict[str, Capacity]:
    items = r.items("OrderCapacityMap")
    if not items:
        return dict(DEFAULT_CAPACITY_MAP)
    mapping: dict[str, Capacity] = {}
    for item in items:
        code, _, cap = item.partition(":")
        try:
            mapping[code.strip()] = Capacity(cap.strip().upper())
        except ValueError:
            r.problem("OrderCapacityMap", f"{item!r} is not CODE:DEAL|MTCH|AOTC")
    return mapping


def _throttle(r: _Reader) -> Throttle | None:
    limit = r.integer("ThrottleMaxMessages", lo=1, hi=1_000_000)
    window = r.number("ThrottleWindowSeconds", 1.0)
    return Throttle(limit, window) if limit else None


def _check_whole(
    config: FixConfig, sections: list[_Section], source: str, problems: list[ConfigProblem]
) -> None:
    origins: dict[str, int] = {}
    for index, settings in enumerate(config.sessions, start=1):
        name = settings.origin_name
        if name in origins:
            problems.append(
                ConfigProblem(
                    source,
                    sections[index - 1].line,
                    f"SESSION #{index}",
                    "OriginSession",
                    f"{name!r} already names SESSION #{origins[name]}",
                )
            )
        origins[name] = index
    seen: dict[tuple[str, str, str], int] = {}
    for index, settings in enumerate(config.sessions, start=1):
        sid = settings.session_id
        key = (sid.begin_string, sid.sender_comp_id, sid.target_comp_id)
        if key in seen:
            problems.append(
                ConfigProblem(
                    source,
                    sections[index - 1].line,
                    f"SESSION #{index}",
                    "TargetCompID",
                    f"session {sid} already defined in SESSION #{seen[key]}",
                )
            )
        seen[key] = index
    verified = config.accept_tls is not None and config.accept_tls.verify_peer
    for index, settings in enumerate(config.sessions, start=1):
        if settings.certificate_names and not verified:
            section = sections[index - 1]
            _value, line = section.values.get("ClientCertificateCommonName", ("", section.line))
            problems.append(
                ConfigProblem(
                    source,
                    line,
                    f"SESSION #{index}",
                    "ClientCertificateCommonName",
                    "needs SocketUseSSL=Y and CertificateVerifyLevel=1 in [DEFAULT]",
                )
            )
    if config.acceptor_sessions() and config.accept_port is None:
        problems.append(
            ConfigProblem(source, None, "DEFAULT", "SocketAcceptPort", "is required for acceptors")
        )
