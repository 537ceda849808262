"""/v1/kill-switch: read, engage (HALT or REDUCING), release, four-eyes approval.

Engaging blocks new orders in scope at once, records the engagement and sends
the cancels of the scope's working orders; the answer says how many. A reason
is mandatory. Releasing is recorded before it takes effect; when policy asks
for four eyes, a release by one risk officer is only a request (202) until a
second one approves it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from audit.api import AuditUnavailable
from gateway.api import problems, views
from gateway.api.access import AccessDenied, Caller, require
from gateway.api.context import ApiContext, context
from gateway.api.problems import ApiProblem
from gateway.api.releases import RELEASE_REQUESTED, ReleaseRequest
from gateway.api.routes import problem_responses
from gateway.api.schemas.risk import (
    ApproveIn,
    FirmKillIn,
    KillEngagedOut,
    KillEngageIn,
    KillReleasedOut,
    KillReleaseIn,
    KillStateOut,
    ReleaseRequestOut,
)
from gateway.api.tokens import Principal, Role
from gateway.kill import KillSwitchError
from risk_controls.kill_switch import KillMode, KillScope

router = APIRouter(prefix="/v1/kill-switch", tags=["kill switch"])
RiskOfficer = Annotated[Principal, Depends(require(Role.RISK_OFFICER))]


def _needs_four_eyes(ctx: ApiContext) -> bool:
    loaded = ctx.gateway.policies.current
    return bool(loaded and loaded.policy.firm.kill_release_needs_second_officer)


@router.get(
    "",
    response_model=KillStateOut,
    summary="Engaged scopes and pending release requests",
    responses=problem_responses(401),
)
async def kill_state(principal: Caller, request: Request) -> dict[str, Any]:
    ctx = context(request)
    entries = ctx.gateway.kill.state()
    return {
        "engaged": bool(entries),
        "entries": [views.kill_entry(e) for e in entries],
        "pending_releases": [views.release_request(r) for r in ctx.releases.pending()],
        "release_needs_second_officer": _needs_four_eyes(ctx),
    }


@router.post(
    "/engage",
    response_model=KillEngagedOut,
    summary="Engage the kill switch for a scope; cancels its working orders",
    responses=problem_responses(401, 403, 422),
)
async def engage(body: KillEngageIn, principal: RiskOfficer, request: Request) -> dict[str, Any]:
    ctx = context(request)
    scope = KillScope(body.scope)
    target = "*" if isinstance(body, FirmKillIn) else body.target
    try:
        outcome = await ctx.gateway.kill.engage(
            scope, target, body.reason, principal.subject, KillMode(body.mode)
        )
    except KillSwitchError as exc:
        raise ApiProblem(problems.VALIDATION, str(exc)) from exc
    ctx.releases.lapse(scope.value, outcome.target)
    return {
        "scope": outcome.scope.value,
        "target": outcome.target,
        "mode": outcome.mode.value,
        "cancelled": outcome.cancelled,
        "audit_seq": outcome.audit_seq,
    }


@router.post(
    "/release",
    response_model=KillReleasedOut,
    summary="Release a scope (or, under four eyes, ask a second risk officer to)",
    responses={
        200: {"description": "Released"},
        202: {
            "model": ReleaseRequestOut,
            "description": "Four eyes: release requested, awaiting approval",
            "links": {
                "ApproveRelease": {
                    "operationId": "approveRelease",
                    "parameters": {"request_id": "$response.body#/request_id"},
                }
            },
        },
        **problem_responses(401, 403, 404, 422, 503),
    },
)
async def release(body: KillReleaseIn, principal: RiskOfficer, request: Request) -> JSONResponse:
    ctx = context(request)
    scope = KillScope(body.scope)
    target = "*" if scope is KillScope.FIRM else getattr(body, "target", "*")
    _engaged_or_404(ctx, scope, target)
    if _needs_four_eyes(ctx):
        pending = ctx.releases.new(scope.value, target, body.reason, principal.subject, _now(ctx))
        await _record_request(ctx, pending)
        ctx.releases.add(pending)
        return JSONResponse(views.release_request(pending), status_code=202)
    return JSONResponse(await _release(ctx, scope, target, body.reason, principal.subject, None))


@router.post(
    "/release-requests/{request_id}/approve",
    response_model=KillReleasedOut,
    summary="Approve another risk officer's release request (four eyes)",
    operation_id="approveRelease",
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def approve(
    request_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    principal: RiskOfficer,
    request: Request,
    body: ApproveIn | None = None,
) -> dict[str, Any]:
    ctx = context(request)
    pending = ctx.releases.get(request_id)
    if pending is None:
        raise ApiProblem(problems.NOT_FOUND, f"no pending release request {request_id}")
    if pending.requested_by == principal.subject:
        raise AccessDenied(
            403, "four eyes: the release must be approved by a different risk officer", principal=principal
        )
    scope = KillScope(pending.scope)
    _engaged_or_404(ctx, scope, pending.target)
    reason = pending.reason if body is None or body.reason is None else f"{pending.reason} / {body.reason}"
    released = await _release(ctx, scope, pending.target, reason, pending.requested_by, principal.subject)
    ctx.releases.remove(request_id)
    return released


def _engaged_or_404(ctx: ApiContext, scope: KillScope, target: str) -> None:
    if not any(e.scope is scope and e.target == target for e in ctx.gateway.kill.state()):
        raise ApiProblem(problems.NOT_FOUND, f"no kill switch engaged for {scope.value}={target}")


async def _release(
    ctx: ApiContext, scope: KillScope, target: str, reason: str, actor: str, approved_by: str | None
) -> dict[str, Any]:
    try:
        outcome = await ctx.gateway.kill.release(scope, target, reason, actor, approved_by)
    except KillSwitchError as exc:
        raise ApiProblem(problems.CONFLICT, str(exc)) from exc
    except AuditUnavailable as exc:
        raise ApiProblem(
            problems.UNAVAILABLE, "the release could not be recorded: the kill switch stays engaged"
        ) from exc
    ctx.releases.lapse(scope.value, target)
    return {
        "scope": scope.value,
        "target": outcome.target,
        "status": "RELEASED",
        "released_by": actor,
        "approved_by": approved_by,
        "audit_seq": outcome.audit_seq,
    }


async def _record_request(ctx: ApiContext, pending: ReleaseRequest) -> None:
    try:
        await ctx.gateway.audit.append(RELEASE_REQUESTED, pending.payload())
    except AuditUnavailable as exc:
        raise ApiProblem(problems.UNAVAILABLE, "the release request could not be recorded") from exc


def _now(ctx: ApiContext) -> datetime:
    return ctx.gateway.pipeline.clock.now()
