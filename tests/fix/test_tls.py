"""FIX over TLS: the configuration's certificate keys, our acceptor against QuickFIX's SSL
initiator (the independent peer), and our venue initiator against QuickFIX's SSL acceptor."""

from __future__ import annotations

import asyncio
import queue
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from fix.acceptor import FixAcceptor
from fix.config import ConfigError, SessionSettings, load_config, parse_config
from fix.journal import Direction, Journal, WireRecord, null_journal
from fix.tls import RevocationList, TlsSettings, server_context
from fix.venue import FixVenue
from risk_controls.domain import ExecType, ExecutionReport
from risk_controls.venue import RoutedOrder
from tests.fix.certs import Issued, TestAuthority
from tests.fix.qf import LoopThread, QfClient, QfVenue, fields, wait_for
from tests.fix.test_config import MINIMAL
from tests.fix.test_engine import logon
from tests.fix.test_fix_venue import order, venue_settings
from tests.fix.test_quickfix_session import OUR_ID, EchoApp, password_is_secret


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestAuthority, Issued, Issued]:
    """A CA with a server certificate for 127.0.0.1 and a client certificate for DESK."""
    authority = TestAuthority(tmp_path_factory.mktemp("pki"))
    return authority, authority.issue("gateway", server=True), authority.issue("DESK", server=False)


def tls_acceptor(
    loop: LoopThread,
    app: EchoApp,
    tls: TlsSettings,
    certificate_names: frozenset[str] = frozenset(),
    journal: Journal = null_journal,
) -> FixAcceptor:
    settings = SessionSettings(
        OUR_ID, allowed_accounts=frozenset({"ACC1"}), certificate_names=certificate_names
    )
    context = server_context(tls)
    revocation = RevocationList(context, tls.revocation_list) if tls.revocation_list else None
    acceptor = FixAcceptor(
        [settings],
        app,
        authenticator=password_is_secret,
        tls=context,
        revocation=revocation,
        journal=journal,
    )
    app.acceptor = acceptor
    loop.run(acceptor.start())
    return acceptor


def new_order_single() -> list[tuple[int, str]]:
    stamp = "20261123-10:00:00.000"
    return [
        (11, "T-1"),
        (1, "ACC1"),
        (55, "AAPL"),
        (54, "1"),
        (60, stamp),
        (38, "100"),
        (40, "2"),
        (44, "10"),
    ]


# ---------------------------------------------------------------------------- configuration

ACCEPTOR_TLS = MINIMAL.replace(
    "NonStopSession=Y\n",
    "NonStopSession=Y\n"
    "SocketUseSSL=Y\n"
    "ServerCertificateFile=gateway.crt\n"
    "ServerCertificateKeyFile=gateway.key\n"
    "CertificateVerifyLevel=1\n"
    "CertificationAuthoritiesFile=ca.pem\n",
)


def write_config(folder: Path, pki: tuple[TestAuthority, Issued, Issued], text: str) -> Path:
    authority, server, _client = pki
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gateway.crt").write_bytes(server.certificate.read_bytes())
    (folder / "gateway.key").write_bytes(server.key.read_bytes())
    (folder / "ca.pem").write_bytes(authority.bundle.read_bytes())
    path = folder / "gateway.cfg"
    path.write_text(text)
    return path


def located(error: ConfigError) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.key, p.message) for p in error.problems]


def test_acceptor_tls_reads_certificates_beside_the_configuration(
    tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    config = load_config(write_config(tmp_path / "etc", pki, ACCEPTOR_TLS))
    assert config.accept_tls == TlsSettings(
        tmp_path / "etc" / "gateway.crt",
        tmp_path / "etc" / "gateway.key",
        tmp_path / "etc" / "ca.pem",
        verify_peer=True,
    )
    assert config.sessions[0].tls is None  # the acceptor's TLS is the listener's


@pytest.mark.parametrize(
    ("change", "line", "key", "message"),
    [
        ("ServerCertificateFile=gateway.crt", 9, "ServerCertificateFile", "cannot read"),
        ("ServerCertificateFile=ca.pem", 9, "ServerCertificateFile", "TLS files do not load"),
        ("CertificationAuthoritiesFile=", 12, "CertificationAuthoritiesFile", "required when"),
        ("SocketUseSSL=N", 9, "ServerCertificateFile", "has no effect without SocketUseSSL=Y"),
        ("CertificateVerifyLevel=2", 11, "CertificateVerifyLevel", "outside 0..1"),
    ],
)
def test_bad_tls_settings_are_refused_where_they_are(
    tmp_path: Path,
    pki: tuple[TestAuthority, Issued, Issued],
    change: str,
    line: int,
    key: str,
    message: str,
) -> None:
    text = ACCEPTOR_TLS
    name = change.partition("=")[0]
    original = next(row for row in text.splitlines() if row.startswith(name + "="))
    text = text.replace(original, change)
    path = write_config(tmp_path, pki, text)
    if change == "ServerCertificateFile=gateway.crt":
        (tmp_path / "gateway.crt").unlink()  # named, but not there
    with pytest.raises(ConfigError) as error:
        load_config(path)
    found = [(where, k, m) for where, k, m in located(error.value) if k == key]
    assert found, located(error.value)
    assert found[0][0] == line and message in found[0][2]
    assert str(path) in str(error.value)


def test_acceptor_tls_belongs_in_default_and_needs_a_certificate() -> None:
    text = ACCEPTOR_TLS.replace("SocketUseSSL=Y\n", "").replace(
        "ServerCertificateFile=gateway.crt\nServerCertificateKeyFile=gateway.key\n", ""
    )
    text = text.replace("CertificateVerifyLevel=1\nCertificationAuthoritiesFile=ca.pem\n", "")
    with pytest.raises(ConfigError) as error:
        parse_config(text + "SocketUseSSL=Y\n", "t.cfg")
    assert [(p.key, p.message) for p in error.value.problems] == [
        ("SocketUseSSL", "the acceptor has one listener: set it in [DEFAULT]")
    ]
    with pytest.raises(ConfigError) as error:
        parse_config(text.replace("NonStopSession=Y\n", "NonStopSession=Y\nSocketUseSSL=Y\n"), "t.cfg")
    assert [(p.key, p.message) for p in error.value.problems] == [
        ("ServerCertificateFile", "is required when SocketUseSSL=Y")
    ]


def test_initiator_tls_per_session(tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]) -> None:
    text = """
[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=GW
NonStopSession=Y
SocketConnectHost=127.0.0.1
[SESSION]
TargetCompID=XVENUE
SocketConnectPort=9000
SocketUseSSL=Y
CertificationAuthoritiesFile=ca.pem
[SESSION]
TargetCompID=PLAIN
SocketConnectPort=9001
"""
    config = load_config(write_config(tmp_path, pki, text))
    tls_session, plain = config.sessions
    assert tls_session.tls == TlsSettings(authorities=tmp_path / "ca.pem")
    assert plain.tls is None and config.accept_tls is None
    with pytest.raises(ConfigError) as error:
        load_config(write_config(tmp_path, pki, text + "ClientCertificateFile=gateway.crt\n"))
    assert located(error.value) == [(16, "ClientCertificateFile", "has no effect without SocketUseSSL=Y")]


# ---------------------------------------------------------------------------- on the wire


def test_quickfix_ssl_client_trades_over_mutual_tls(
    loop: LoopThread, tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    authority, server, client_cert = pki
    app = EchoApp()
    acceptor = tls_acceptor(
        loop, app, TlsSettings(server.certificate, server.key, authority.bundle, verify_peer=True)
    )
    client = QfClient(
        tmp_path,
        acceptor.port,
        tls={
            "ClientCertificateFile": str(client_cert.certificate),
            "ClientCertificateKeyFile": str(client_cert.key),
            "CertificationAuthoritiesFile": str(authority.bundle),
        },
    )
    client.start()
    try:
        client.wait_logon()
        client.send_raw_fields("D", new_order_single())
        report = fields(wait_for(client.app.app))
        assert (report[35], report[11], report[150], report[39]) == ("8", "T-1", "0", "0")
        assert [m.require(11) for m in app.orders] == [b"T-1"]
    finally:
        client.stop()
    wait_for(client.app.logouts)
    loop.run(acceptor.stop())


def tls_exchange(context: ssl.SSLContext, port: int, data: bytes) -> bytes:
    """Send ``data`` over TLS and return the first answer (b"" when the server refuses us)."""
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as wrapped,
        ):
            wrapped.sendall(data)
            return wrapped.recv(4096)
    except (ssl.SSLError, ConnectionError):
        return b""


def test_clients_without_tls_or_without_a_certificate_never_reach_a_session(
    loop: LoopThread, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    authority, server, client_cert = pki
    app = EchoApp()
    journal: list[WireRecord] = []
    acceptor = tls_acceptor(
        loop,
        app,
        TlsSettings(server.certificate, server.key, authority.bundle, verify_peer=True),
        journal=journal.append,
    )
    try:
        # a plain-TCP Logon is not TLS: the listener drops it without a FIX word
        with socket.create_connection(("127.0.0.1", acceptor.port), timeout=5) as plain:
            plain.sendall(logon())
            assert plain.recv(4096)[:1] != b"8"  # at most a TLS alert, never "8=FIX..."
        # TLS, but no client certificate: the handshake fails (TLS 1.3 tells on the first read)
        context = ssl.create_default_context(cafile=str(authority.bundle))
        assert tls_exchange(context, acceptor.port, logon()) == b""
        assert app.logons == 0
        # the same client with its certificate logs on
        context.load_cert_chain(client_cert.certificate, client_cert.key)
        answer = tls_exchange(context, acceptor.port, logon())
        assert b"\x0135=A\x01" in answer
        assert app.logons == 1
        notes = [r.note or "" for r in wait_for_refusals(loop, acceptor, journal, 2)]
        assert [n.startswith("TLS handshake failed: ") for n in notes] == [True, True], notes
        assert "CERTIFICATE" in notes[1].upper(), notes  # asked for, never sent
    finally:
        loop.run(acceptor.stop())


@pytest.fixture
def exchange_tls(tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]) -> Iterator[QfVenue]:
    _authority, server, _client = pki
    exchange = QfVenue(
        tmp_path / "venue",
        tls={"ServerCertificateFile": str(server.certificate), "ServerCertificateKeyFile": str(server.key)},
    )
    exchange.start()
    yield exchange
    exchange.stop()


def test_venue_initiator_trades_over_tls_with_quickfix(
    loop: LoopThread, exchange_tls: QfVenue, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    authority = pki[0]
    settings = replace(venue_settings(exchange_tls.port), tls=TlsSettings(authorities=authority.bundle))
    venue = FixVenue("XFIX", settings)
    reports: queue.Queue[ExecutionReport] = queue.Queue()
    venue.connect(reports.put)
    loop.run(venue.start())
    try:
        loop.run(venue.initiator.wait_logged_on(venue.session_id))
        loop.call(venue.submit, RoutedOrder("G-1", order("AAPL")))
        new = reports.get(timeout=10)
        assert (new.order_id, new.exec_type) == ("G-1", ExecType.NEW)
    finally:
        loop.run(venue.stop())


def test_venue_initiator_refuses_a_server_it_cannot_verify(
    loop: LoopThread, exchange_tls: QfVenue, tmp_path: Path
) -> None:
    stranger = TestAuthority(tmp_path / "other-ca", name="Some Other CA")
    settings = replace(venue_settings(exchange_tls.port), tls=TlsSettings(authorities=stranger.bundle))
    venue = FixVenue("XFIX", settings)
    venue.connect(lambda report: None)
    loop.run(venue.start())
    try:
        time.sleep(1.0)  # several reconnect attempts at 0.2 s: each fails verification
        assert not loop.call(lambda: venue.logged_on)
        assert exchange_tls.app.logons.empty()
    finally:
        loop.run(venue.stop())


# ---------------------------------------------------------------------------- certificate identity


def client_context_for(authority: TestAuthority, issued: Issued) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(authority.bundle))
    context.load_cert_chain(issued.certificate, issued.key)
    return context


def test_a_session_bound_to_certificate_names_refuses_another_desks_certificate(
    loop: LoopThread, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    """Both certificates come from the firm's CA, but only DESK's may log on as DESK."""
    authority, server, desk = pki
    other = authority.issue("OTHER-DESK", server=False)
    app = EchoApp()
    tls = TlsSettings(server.certificate, server.key, authority.bundle, verify_peer=True)
    acceptor = tls_acceptor(loop, app, tls, certificate_names=frozenset({"DESK"}))
    try:
        answer = tls_exchange(client_context_for(authority, other), acceptor.port, logon())
        assert b"\x0135=5\x01" in answer  # a Logout that says why, not a silent drop
        assert b"client certificate not allowed for this session" in answer
        assert app.logons == 0
        answer = tls_exchange(client_context_for(authority, desk), acceptor.port, logon())
        assert b"\x0135=A\x01" in answer
        assert app.logons == 1
    finally:
        loop.run(acceptor.stop())


def test_a_revoked_certificate_is_refused_once_the_new_list_is_published(
    loop: LoopThread, tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    authority, server, desk = pki
    crl = authority.publish_revocations(tmp_path / "ca.crl", [], age=timedelta(hours=1))
    app = EchoApp()
    journal: list[WireRecord] = []
    tls = TlsSettings(server.certificate, server.key, authority.bundle, True, revocation_list=crl)
    acceptor = tls_acceptor(loop, app, tls, journal=journal.append)
    try:
        assert b"\x0135=A\x01" in tls_exchange(client_context_for(authority, desk), acceptor.port, logon())
        wait_for_logout(loop, acceptor)
        # the CA revokes DESK: the running acceptor reads the new list before the next handshake
        authority.publish_revocations(crl, [desk], age=timedelta(minutes=1))
        assert tls_exchange(client_context_for(authority, desk), acceptor.port, logon()) == b""
        # a list that does not load leaves the revocation in force
        crl.write_text("not a revocation list")
        assert tls_exchange(client_context_for(authority, desk), acceptor.port, logon()) == b""
        assert app.logons == 1
        # each refusal is in the journal (the audit log, in the gateway) with its reason
        refused = wait_for_refusals(loop, acceptor, journal, 2)
        assert [r.note for r in refused] == ["TLS handshake failed: certificate revoked"] * 2
        assert all(r.session == "unidentified:127.0.0.1" for r in refused)
    finally:
        loop.run(acceptor.stop())


def wait_for_refusals(
    loop: LoopThread, acceptor: FixAcceptor, journal: list[WireRecord], count: int
) -> list[WireRecord]:
    deadline = time.monotonic() + 5
    while loop.call(lambda: acceptor.refused_connections) < count:
        assert time.monotonic() < deadline, journal
        time.sleep(0.02)
    garbled: list[WireRecord] = loop.call(lambda: [r for r in journal if r.direction is Direction.GARBLED])
    return garbled


def wait_for_logout(loop: LoopThread, acceptor: FixAcceptor) -> None:
    """The test client hangs up after one answer: wait until the acceptor has seen it."""
    deadline = time.monotonic() + 5
    while loop.call(lambda: any(s.connected for s in acceptor.sessions.values())):
        assert time.monotonic() < deadline, "the session never disconnected"
        time.sleep(0.02)


def test_revocation_and_certificate_names_from_the_configuration(
    loop: LoopThread, tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    """As the gateway builds its acceptor: from the file, through FixAcceptor.from_config."""
    authority, _server, desk = pki
    folder = tmp_path / "etc"
    folder.mkdir()
    revoked = authority.issue("DESK-BACKUP", server=False)
    authority.publish_revocations(folder / "ca.crl", [revoked], age=timedelta(hours=1))
    text = ACCEPTOR_TLS.replace(
        "CertificationAuthoritiesFile=ca.pem\n",
        "CertificationAuthoritiesFile=ca.pem\nCertificateRevocationListFile=ca.crl\n",
    )
    config = load_config(write_config(folder, pki, text + "ClientCertificateCommonName=DESK, DESK-BACKUP\n"))
    assert config.accept_tls is not None and config.accept_tls.revocation_list == folder / "ca.crl"
    session = config.sessions[0]
    assert session.certificate_names == {"DESK", "DESK-BACKUP"}
    assert session.certificate_allowed("DESK-BACKUP")
    assert not session.certificate_allowed("OTHER") and not session.certificate_allowed(None)

    app = EchoApp()
    acceptor = FixAcceptor.from_config(config, app, authenticator=password_is_secret)
    app.acceptor = acceptor
    loop.run(acceptor.start())
    try:
        other = authority.issue("OTHER", server=False)
        refused = tls_exchange(client_context_for(authority, other), acceptor.port, logon())
        assert b"client certificate not allowed for this session" in refused
        assert tls_exchange(client_context_for(authority, revoked), acceptor.port, logon()) == b""
        assert b"\x0135=A\x01" in tls_exchange(client_context_for(authority, desk), acceptor.port, logon())
        assert app.logons == 1
    finally:
        loop.run(acceptor.stop())


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        (  # a revocation list with nobody's certificate checked
            ACCEPTOR_TLS.replace("CertificateVerifyLevel=1\n", "CertificateRevocationListFile=ca.crl\n"),
            11,
            "CertificateRevocationListFile",
            "needs CertificateVerifyLevel=1",
        ),
        (  # names to match but no certificates asked for
            ACCEPTOR_TLS.replace("CertificateVerifyLevel=1\n", "") + "ClientCertificateCommonName=DESK\n",
            15,
            "ClientCertificateCommonName",
            "needs SocketUseSSL=Y and CertificateVerifyLevel=1",
        ),
        (  # the listener's authorities belong in [DEFAULT], not in one acceptor session
            ACCEPTOR_TLS + "CertificationAuthoritiesFile=ca.pem\n",
            16,
            "CertificationAuthoritiesFile",
            "is for initiator sessions",
        ),
        (
            ACCEPTOR_TLS + "CertificateRevocationListFile=ca.crl\n",
            16,
            "CertificateRevocationListFile",
            "belongs in [DEFAULT]",
        ),
    ],
)
def test_misplaced_certificate_identity_keys_are_refused_where_they_are(
    tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued], text: str, line: int, key: str, message: str
) -> None:
    pki[0].publish_revocations(tmp_path / "ca.crl", [], age=timedelta(hours=1))
    with pytest.raises(ConfigError) as error:
        load_config(write_config(tmp_path, pki, text))
    found = [(where, k, m) for where, k, m in located(error.value) if k == key]
    assert found, located(error.value)
    assert found[0][0] == line and message in found[0][2], found


# ---------------------------------------------------------------------------- keys held as secrets


def test_tls_keys_held_in_the_secrets_provider_serve_both_ends_of_a_session(
    tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    """The gateway's server key and a desk's client key both come from secrets: the gateway
    reads its own from its secrets provider, as ``serve`` does."""
    from audit.memory import MemoryAuditLog
    from fix.auth import hash_password
    from fix.config import ConnectionType
    from fix.ids import SessionID
    from fix.initiator import FixInitiator
    from fix.tls import with_key_secret
    from gateway.app import build_gateway
    from gateway.fix_entry import start_fix
    from gateway.settings import Settings
    from tests.fix.test_gateway_wiring import CONFIG, ROOT, Desk

    authority, server, desk_cert = pki
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    for name, content in (
        ("fix-tls-key", server.key.read_bytes()),
        ("fix-users", f"FIX.4.4:GATEWAY->DESK1 jsmith {hash_password('s3cret')}\n".encode()),
    ):
        (secrets / name).write_bytes(content)
        (secrets / name).chmod(0o600)
    (tmp_path / "gateway.crt").write_bytes(server.certificate.read_bytes())
    (tmp_path / "ca.pem").write_bytes(authority.bundle.read_bytes())
    config = tmp_path / "gateway.cfg"
    config.write_text(
        CONFIG.format(store=tmp_path / "fix.sqlite").replace(
            "NonStopSession=Y\n",
            "NonStopSession=Y\nSocketUseSSL=Y\nServerCertificateFile=gateway.crt\n"
            "ServerCertificateKeySecret=fix-tls-key\nCertificateVerifyLevel=1\n"
            "CertificationAuthoritiesFile=ca.pem\n",
        )
    )
    settings = Settings(data_dir=tmp_path, policy_path=ROOT / "policies" / "default.toml", fix_config=config)
    gateway = build_gateway(settings, audit=MemoryAuditLog())
    desk_keys = {"desk-key": desk_cert.key.read_bytes()}  # the desk's own vault, say
    desk_tls = with_key_secret(
        TlsSettings(desk_cert.certificate, authorities=authority.bundle, private_key_secret="desk-key"),
        lambda name: desk_keys[name],
    )
    sid = SessionID("FIX.4.4", "DESK1", "GATEWAY")

    async def scenario() -> None:
        service = await start_fix(gateway, config)
        desk = FixInitiator(
            [
                SessionSettings(
                    sid,
                    ConnectionType.INITIATOR,
                    connect_host="127.0.0.1",
                    connect_port=service.acceptor.port,
                    reconnect_interval=0.1,
                    username="jsmith",
                    reset_on_logon=True,
                    tls=desk_tls,
                )
            ],
            Desk(),
            passwords={sid: "s3cret"},
        )
        await desk.start()
        try:
            await desk.wait_logged_on(sid, 5)  # both handshake ends loaded their key from a secret
        finally:
            await desk.stop()
            await service.close()

    try:
        asyncio.run(scenario())
    finally:
        gateway.close()
    assert repr(desk_tls).count("BEGIN") == 0  # the key's PEM stays out of logs and reprs


def test_tls_key_secrets_in_the_configuration(
    tmp_path: Path, pki: tuple[TestAuthority, Issued, Issued]
) -> None:
    text = ACCEPTOR_TLS.replace(
        "ServerCertificateKeyFile=gateway.key\n", "ServerCertificateKeySecret=fix-tls-key\n"
    )
    config = load_config(write_config(tmp_path, pki, text))
    assert config.accept_tls is not None and config.accept_tls.private_key_secret == "fix-tls-key"
    with pytest.raises(ValueError, match="'fix-tls-key' not found"):
        no_secrets: dict[str, bytes] = {}
        config.with_secrets(no_secrets.__getitem__)
    server_key = pki[1].key.read_bytes()
    fetched = config.with_secrets({"fix-tls-key": server_key}.__getitem__)
    assert fetched.accept_tls is not None and fetched.accept_tls.private_key_pem == server_key
    server_context(fetched.accept_tls)  # loads

    both = ACCEPTOR_TLS.replace(
        "ServerCertificateKeyFile=gateway.key\n",
        "ServerCertificateKeyFile=gateway.key\nServerCertificateKeySecret=fix-tls-key\n",
    )
    with pytest.raises(ConfigError) as error:
        load_config(write_config(tmp_path, pki, both))
    assert (
        "ServerCertificateKeySecret",
        "use either ServerCertificateKeyFile or ServerCertificateKeySecret, not both",
    ) in [(p.key, p.message) for p in error.value.problems]
    with pytest.raises(ConfigError) as error:
        load_config(write_config(tmp_path, pki, text.replace("=fix-tls-key", "=../etc/key")))
    assert [p.key for p in error.value.problems] == ["ServerCertificateKeySecret"]
