"""Liveness, readiness and Prometheus metrics (no token: for the platform's probes and scraper)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api import problems
from gateway.api.context import context
from gateway.api.problems import ApiProblem
from gateway.api.routes import problem_responses
from gateway.api.schemas.admin import HealthOut, ReadyOut
from gateway.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyOut,
    summary="Ready to take orders: the audit store accepts appends and a valid policy is loaded",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> dict[str, Any]:
    gateway = context(request).gateway
    if not getattr(gateway.audit, "available", True):
        raise ApiProblem(
            problems.UNAVAILABLE,
            "the audit store is unreachable: orders are denied",
            code="AUDIT_UNAVAILABLE",
        )
    loaded = gateway.policies.current
    if loaded is None:
        raise ApiProblem(
            problems.UNAVAILABLE, "no valid policy is loaded: orders are denied", code="POLICY_UNAVAILABLE"
        )
    return {"status": "ready", "audit": "available", "policy_hash": loaded.content_hash}


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Text exposition"}
    },
)
async def metrics(request: Request) -> Response:
    return Response(context(request).metrics.render(), media_type=CONTENT_TYPE)
