"""API tokens: EdDSA-signed JWTs naming a subject, its roles and its accounts.

Claims: ``sub``, ``iss``, ``aud``, ``exp``, ``iat``, ``roles`` (trader,
risk_officer, compliance, admin) and ``accounts`` (the accounts a trader may
act for; ``"*"`` means all). Verifying an EdDSA signature costs ~135 µs, so
:class:`TokenVerifier` keeps verified tokens (token text -> principal) in a
bounded LRU until they expire: a client re-sending its token pays a dict
lookup, not a signature check.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
ALL_ACCOUNTS = "*"


class Role(StrEnum):
    TRADER = "trader"  # orders for the accounts in its claims
    RISK_OFFICER = "risk_officer"  # kill switch, policy reload, re-enable executions
    COMPLIANCE = "compliance"  # reports and the audit log
    ADMIN = "admin"  # everything


class InvalidToken(ValueError):
    """Missing, malformed, badly signed, expired, or for another issuer/audience."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the verified token says."""

    subject: str
    roles: frozenset[Role]
    accounts: frozenset[str]
    expires_at: float

    def has(self, *roles: Role) -> bool:
        return Role.ADMIN in self.roles or any(role in self.roles for role in roles)

    def may_trade(self, account: str) -> bool:
        if Role.ADMIN in self.roles:
            return True
        return Role.TRADER in self.roles and self._covers(account)

    def may_view(self, account: str) -> bool:
        if self.has(Role.RISK_OFFICER, Role.COMPLIANCE):
            return True
        return Role.TRADER in self.roles and self._covers(account)

    def _covers(self, account: str) -> bool:
        return ALL_ACCOUNTS in self.accounts or account in self.accounts


def issue_token(
    key: Ed25519PrivateKey,
    *,
    subject: str,
    roles: Iterable[Role | str],
    accounts: Iterable[str] = (),
    issuer: str,
    audience: str,
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "roles": sorted(Role(r).value for r in roles),
        "accounts": sorted(set(accounts)),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


class TokenVerifier:
    """Verify tokens once, then serve them from a bounded LRU until they expire."""

    def __init__(
        self, key: Ed25519PublicKey, *, issuer: str, audience: str, cache_size: int = 10_000
    ) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._cache_size = cache_size
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self.verifications = 0  # signature checks actually performed (the cache's misses)

    def verify(self, token: str, now: float | None = None) -> Principal:
        moment = time.time() if now is None else now
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at > moment:
                self._cache.move_to_end(token)
                return cached
            del self._cache[token]
            raise InvalidToken("token expired")
        principal = self._decode(token, moment)
        self._cache[token] = principal
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal

    def _decode(self, token: str, moment: float) -> Principal:
        self.verifications += 1
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        expires = claims["exp"]
        if not isinstance(expires, int | float) or expires <= moment:
            raise InvalidToken("token expired")
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(_roles(claims.get("roles"))),
            accounts=frozenset(_strings(claims.get("accounts"), "accounts")),
            expires_at=float(expires),
        )


def unverified_subject(token: str) -> str | None:
    """The subject a rejected token claims, for the access-denied record only (never trusted)."""
    try:
        sub = jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None
    return str(sub)[:200] if sub is not None else None


def _roles(value: object) -> list[Role]:
    names = _strings(value, "roles")
    try:
        return [Role(name) for name in names]
    except ValueError as exc:
        raise InvalidToken(f"unknown role in token: {exc}") from exc


def _strings(value: object, claim: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidToken(f"claim {claim!r} must be a list of strings")
    return value
