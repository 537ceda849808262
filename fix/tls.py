"""TLS for FIX connections: SSL contexts built from the configuration's certificate files.

TLS 1.2 is the floor. An acceptor presents its certificate and, when told to
verify peers, refuses any client whose certificate was not issued by its
certificate authorities and, given a certificate revocation list, any client whose
certificate it revokes (the list is re-read when its file changes). An initiator
always verifies the server, against the
configured authorities or the system's trust store, and checks that the
certificate names the host it connects to: there is no switch to turn that off.
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """One side's TLS files.

    ``certificate``/``private_key``: our own certificate chain and key (the key may
    sit in the certificate file). Required for an acceptor; for an initiator, only
    when the server asks for client certificates.
    ``authorities``: the CA bundle that issues the peer's certificates.
    ``verify_peer``: an acceptor requires and verifies client certificates.
    ``revocation_list``: an acceptor's PEM CRL(s) from those authorities; a client whose
    certificate is listed, or whose issuer's list has expired, fails the handshake.
    ``private_key_secret``: the key is a secret of that name in the gateway's secrets
    provider (Vault where configured) instead of a file; :func:`with_key_secret` puts
    its PEM in ``private_key_pem``, which is never written to disk.
    """

    certificate: Path | None = None
    private_key: Path | None = None
    authorities: Path | None = None
    verify_peer: bool = False
    revocation_list: Path | None = None
    private_key_secret: str | None = None
    private_key_pem: bytes | None = field(default=None, repr=False, compare=False)


SecretLookup = Callable[[str], bytes]
"""A secret's bytes by name (the gateway's secrets provider); raises KeyError if missing."""


def with_key_secret(tls: TlsSettings, lookup: SecretLookup) -> TlsSettings:
    """``tls`` with the PEM of its key secret fetched (unchanged when its key is a file)."""
    name = tls.private_key_secret
    if name is None:
        return tls
    try:
        pem = lookup(name)
    except KeyError as exc:
        raise ValueError(f"TLS private key secret {name!r} not found in the secrets provider") from exc
    return replace(tls, private_key_pem=pem)


def _load_chain(context: ssl.SSLContext, tls: TlsSettings) -> None:
    """Our certificate and key; ``ssl`` reads keys from paths only, so a key held as a secret
    goes through an anonymous in-memory file (memfd), or a private temporary one elsewhere."""
    assert tls.certificate is not None
    if tls.private_key_secret is None:
        context.load_cert_chain(tls.certificate, tls.private_key)
        return
    if tls.private_key_pem is None:
        raise ValueError(f"TLS private key secret {tls.private_key_secret!r} was not fetched")
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("tls-key", os.MFD_CLOEXEC)
        try:
            os.write(fd, tls.private_key_pem)
            context.load_cert_chain(tls.certificate, f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory() as private:  # 0700
        path = Path(private) / "key.pem"
        path.write_bytes(tls.private_key_pem)
        context.load_cert_chain(tls.certificate, path)


def server_context(tls: TlsSettings) -> ssl.SSLContext:
    """The acceptor's context; raises ``ssl.SSLError``/``OSError``/``ValueError`` on bad files."""
    if tls.certificate is None:
        raise ValueError("an acceptor needs a server certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(context, tls)
    if tls.verify_peer:
        if tls.authorities is None:
            raise ValueError("verifying client certificates needs the authorities that issue them")
        context.load_verify_locations(cafile=tls.authorities)
        context.verify_mode = ssl.CERT_REQUIRED
    if tls.revocation_list is not None:
        if not tls.verify_peer:
            raise ValueError("a revocation list needs client certificates to be verified")
        context.load_verify_locations(cafile=tls.revocation_list)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context


class RevocationList:
    """Keeps a server context's CRL current: :meth:`refresh` (cheap: one ``stat``) loads
    the file again once it has changed, before the next handshake.

    OpenSSL keeps every list it was given and checks against the newest one per
    issuer, so a list republished with more revocations takes effect at once. A
    replacement that does not load is logged and the list already loaded stays
    in force: a bad publication never lets a revoked certificate back in.
    """

    def __init__(self, context: ssl.SSLContext, path: Path) -> None:
        self._context = context
        self.path = path
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def refresh(self) -> bool:
        """Load the file if it changed since last seen; True when a new list was loaded."""
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return False
        self._seen = stamp
        try:
            self._context.load_verify_locations(cafile=self.path)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            log.error("revocation list %s does not load; the previous one stays: %s", self.path, exc)
            return False
        log.info("revocation list %s reloaded", self.path)
        return True


def client_context(tls: TlsSettings) -> ssl.SSLContext:
    """The initiator's context: the server is always verified and must match the host name."""
    context = ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cafile=str(tls.authorities) if tls.authorities else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.certificate is not None:
        _load_chain(context, tls)
    return context


def _subject(transport_ssl: ssl.SSLObject | None) -> list[tuple[str, str]]:
    """The verified peer certificate's subject attributes, in order (empty without one)."""
    cert = transport_ssl.getpeercert() if transport_ssl is not None else None
    if not cert:
        return []
    return [(str(pair[0]), str(pair[1])) for rdn in cert.get("subject", ()) for pair in rdn]


def peer_common_name(transport_ssl: ssl.SSLObject | None) -> str | None:
    """The verified peer certificate's subject CN (None without one)."""
    return next((value for key, value in _subject(transport_ssl) if key == "commonName"), None)


def peer_subject(transport_ssl: ssl.SSLObject | None) -> str | None:
    """The peer certificate's subject as ``commonName=...,organizationName=...`` (None without a
    verified certificate)."""
    return ",".join(f"{key}={value}" for key, value in _subject(transport_ssl)) or None
