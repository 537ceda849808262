"""/v1/policies: the version in force, reload, and dry-run validation of a candidate file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from audit.api import AuditUnavailable
from gateway.api import problems
from gateway.api.access import Caller, require
from gateway.api.context import ApiContext, context
from gateway.api.problems import ApiProblem
from gateway.api.routes import PolicyProblem, problem_responses
from gateway.api.schemas.admin import DryRunOut, PolicyDryRunIn, PolicyOut, PolicyReloadIn
from gateway.api.tokens import Principal, Role
from gateway.policy_manager import PolicyManager
from risk_controls.policy import PolicyError

router = APIRouter(prefix="/v1/policies", tags=["policies"])
RiskOfficer = Annotated[Principal, Depends(require(Role.RISK_OFFICER))]
Reviewer = Annotated[Principal, Depends(require(Role.RISK_OFFICER, Role.COMPLIANCE))]


def _current(ctx: ApiContext) -> dict[str, Any]:
    manager = ctx.gateway.policies
    loaded = manager.current
    if loaded is None:
        raise ApiProblem(
            problems.UNAVAILABLE, "no valid policy is loaded: every order is denied (POLICY_UNAVAILABLE)"
        )
    return {
        "content_hash": loaded.content_hash,
        "version": loaded.policy.version,
        "description": loaded.policy.description,
        "source": loaded.source,
        "loaded_at": manager.loaded_at,
        "loaded_by": manager.loaded_by,
    }


@router.get(
    "/current",
    response_model=PolicyOut,
    summary="The policy in force: content hash, version, when and by whom it was loaded",
    responses=problem_responses(401, 503),
)
async def current(principal: Caller, request: Request) -> dict[str, Any]:
    return _current(context(request))


@router.post(
    "/reload",
    response_model=PolicyOut,
    summary="Reload the policy file; an invalid file is refused and the policy in force stays",
    responses=problem_responses(
        401,
        403,
        503,
        overrides={422: (PolicyProblem, "The file was refused: issues located by line and field")},
    ),
)
async def reload(body: PolicyReloadIn, principal: RiskOfficer, request: Request) -> dict[str, Any]:
    ctx = context(request)
    try:
        ctx.gateway.policies.reload(triggered_by=f"rest:{principal.subject}", reason=body.reason)
    except PolicyError as exc:
        raise ApiProblem(
            problems.POLICY_REFUSED,
            f"{len(exc.issues)} issue(s); the policy in force is unchanged",
            issues=[issue.as_dict() for issue in exc.issues],
        ) from exc
    except AuditUnavailable as exc:
        raise ApiProblem(
            problems.UNAVAILABLE, "the reload could not be recorded: audit store unavailable"
        ) from exc
    return _current(ctx)


@router.post(
    "/dry-run",
    response_model=DryRunOut,
    summary="Validate a candidate policy file without installing it",
    responses=problem_responses(401, 403, 422),
)
async def dry_run(body: PolicyDryRunIn, principal: Reviewer) -> dict[str, Any]:
    try:
        loaded = PolicyManager.dry_run(body.content.encode("utf-8", "surrogatepass"), body.filename)
    except PolicyError as exc:
        return {
            "valid": False,
            "content_hash": None,
            "version": None,
            "issues": [issue.as_dict() for issue in exc.issues],
        }
    return {
        "valid": True,
        "content_hash": loaded.content_hash,
        "version": loaded.policy.version,
        "issues": [],
    }
