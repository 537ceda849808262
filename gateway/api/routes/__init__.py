"""The API's routers, one module per resource."""

from __future__ import annotations

from typing import Any

from gateway.api.schemas.problems import DeniedProblem, PolicyProblem, Problem, ValidationProblem

_DESCRIPTIONS = {
    401: "Missing, invalid or expired bearer token",
    403: "The token's roles or accounts do not allow this",
    404: "No such resource",
    409: "Conflicts with the current state (e.g. a client order id already used for other content)",
    413: "The request body is larger than the API accepts",
    422: "The body or a parameter is invalid (``errors`` says which field and why)",
    429: "Throttled: retry after the ``Retry-After`` header",
    503: "The gateway is failing closed (audit store or policy unavailable): retry later",
}


def problem_responses(
    *statuses: int, overrides: dict[int, tuple[type[Problem], str]] | None = None
) -> dict[int | str, Any]:
    """OpenAPI ``responses`` for problem-details answers (content type fixed up by the app)."""
    out: dict[int | str, Any] = {}
    for status in statuses:
        model: type[Problem] = ValidationProblem if status == 422 else Problem
        out[status] = {"model": model, "description": _DESCRIPTIONS[status]}
    for status, (model, description) in (overrides or {}).items():
        out[status] = {"model": model, "description": description}
    return out


__all__ = ["DeniedProblem", "PolicyProblem", "problem_responses"]
