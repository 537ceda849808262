"""Who may call what: bearer-token authentication and role checks.

Every refusal (401 or 403) raises :class:`AccessDenied`; the app's handler
records it in the audit log (``access.denied``: who, what, why) before
answering, so an auditor sees failed attempts as well as successful ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from audit.api import AuditUnavailable
from gateway.api import problems
from gateway.api.context import ApiContext
from gateway.api.problems import ApiProblem
from gateway.api.tokens import InvalidToken, Principal, Role, unverified_subject

ACCESS_DENIED = "access.denied"
ACCESS_DENIED_SUPPRESSED = "access.denied_suppressed"
"""How many refusals of one client and status were counted, not recorded, in a closed window."""

bearer = HTTPBearer(auto_error=False, description="JWT (EdDSA) issued by `gateway token` or your IdP")


class AccessDenied(ApiProblem):
    """401 (who are you?) or 403 (you may not), with what the audit record needs."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        principal: Principal | None = None,
        claimed_subject: str | None = None,
        code: str | None = None,
    ) -> None:
        kind = problems.UNAUTHENTICATED if status == 401 else problems.FORBIDDEN
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
        super().__init__(kind, detail, headers=headers, code=code)
        self.principal = principal
        self.claimed_subject = claimed_subject


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    return verify_bearer(request, credentials.credentials if credentials else None)


def authenticate_header(ctx: ApiContext, header: str | None) -> Principal:
    """The caller named by an ``Authorization`` header's value (the order-entry hot path)."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return verify_token(ctx, token if token and scheme.lower() == "bearer" else None)


def verify_bearer(request: Request, token: str | None) -> Principal:
    return verify_token(request.app.state.api, token)


def verify_token(ctx: ApiContext, token: str | None) -> Principal:
    if token is None:
        raise AccessDenied(401, "a bearer token is required")
    try:
        return ctx.verifier.verify(token)
    except InvalidToken as exc:
        raise AccessDenied(401, f"invalid token: {exc}", claimed_subject=unverified_subject(token)) from exc


Caller = Annotated[Principal, Depends(authenticate)]


def require(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency: the caller must hold one of ``roles`` (admin holds them all)."""
    names = ", ".join(role.value for role in roles)

    async def check(principal: Caller) -> Principal:
        if not principal.has(*roles):
            raise AccessDenied(403, f"needs role {names}", principal=principal)
        return principal

    return check


def ensure_may_trade(principal: Principal, account: str) -> None:
    if not principal.may_trade(account):
        raise AccessDenied(
            403, f"{principal.subject} may not enter orders for account {account}", principal=principal
        )


def ensure_may_view(principal: Principal, account: str) -> None:
    if not principal.may_view(account):
        raise AccessDenied(403, f"{principal.subject} may not see account {account}", principal=principal)


async def record_denial(ctx: ApiContext, request: Request, denied: AccessDenied) -> None:
    """Append ``access.denied`` and wait (briefly) until it is durable; the answer is the same either way."""
    ctx.metrics.access_denied(denied.status)
    client = request.client.host if request.client else None
    principal = denied.principal
    # an authenticated caller is sampled on its own; the unauthenticated, by address only
    carried = ctx.denials.admit((client, principal.subject if principal else None, denied.status))
    if carried is None:
        return  # part of a flood: counted, and the count goes into this caller's next record
    payload = {
        "status": denied.status,
        "reason": denied.detail,
        "subject": principal.subject if principal else None,
        "roles": sorted(r.value for r in principal.roles) if principal else [],
        "claimed_subject": denied.claimed_subject,
        "method": request.method,
        "path": request.url.path,
        "client": client,
        "suppressed_since_last": carried,
    }
    with contextlib.suppress(AuditUnavailable):  # the refusal stands; /readyz shows the outage
        await ctx.gateway.audit.append(ACCESS_DENIED, payload)


async def record_suppressed(ctx: ApiContext, *, everything: bool = False) -> None:
    """Record the counts of floods whose callers went quiet (all pending ones at stop)."""
    for key, count in ctx.denials.flush_quiet(everything=everything):
        client, subject, status = cast(tuple[str | None, str | None, int], key)  # as admitted above
        payload = {"client": client, "subject": subject, "status": status, "suppressed": count}
        with contextlib.suppress(AuditUnavailable):
            await ctx.gateway.audit.append(ACCESS_DENIED_SUPPRESSED, payload)
