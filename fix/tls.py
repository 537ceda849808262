"""TLS for FIX connections: SSL contexts built from the configuration's certificate files.

TLS 1.2 is the floor. An acceptor presents its certificate and, when told to
verify peers, refuses any client whose certificate was not issued by its
certificate authorities. An initiator always verifies the server, against the
configured authorities or the system's trust store, and checks that the
certificate names the host it connects to: there is no switch to turn that off.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """One side's TLS files.

    ``certificate``/``private_key``: our own certificate chain and key (the key may
    sit in the certificate file). Required for an acceptor; for an initiator, only
    when the server asks for client certificates.
    ``authorities``: the CA bundle that issues the peer's certificates.
    ``verify_peer``: an acceptor requires and verifies client certificates.
    """

    certificate: Path | None = None
    private_key: Path | None = None
    authorities: Path | None = None
    verify_peer: bool = False


def server_context(tls: TlsSettings) -> ssl.SSLContext:
    """The acceptor's context; raises ``ssl.SSLError``/``OSError``/``ValueError`` on bad files."""
    if tls.certificate is None:
        raise ValueError("an acceptor needs a server certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(tls.certificate, tls.private_key)
    if tls.verify_peer:
        if tls.authorities is None:
            raise ValueError("verifying client certificates needs the authorities that issue them")
        context.load_verify_locations(cafile=tls.authorities)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(tls: TlsSettings) -> ssl.SSLContext:
    """The initiator's context: the server is always verified and must match the host name."""
    context = ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cafile=str(tls.authorities) if tls.authorities else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.certificate is not None:
        context.load_cert_chain(tls.certificate, tls.private_key)
    return context


def peer_subject(transport_ssl: ssl.SSLObject | None) -> str | None:
    """The peer certificate's subject as ``CN=...,O=...`` (None without a verified certificate)."""
    if transport_ssl is None:
        return None
    cert = transport_ssl.getpeercert()
    if not cert:
        return None
    parts = [f"{pair[0]}={pair[1]}" for rdn in cert.get("subject", ()) for pair in rdn]
    return ",".join(parts) or None
