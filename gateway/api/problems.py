"""RFC 9457 problem details: every error the API returns has this one shape.

``type`` is a stable URI per kind of problem (clients switch on it, or on
``code`` for a denied order); ``title`` is the short human name, ``detail``
the specific explanation. Extension members carry what a client needs to act:
the located field errors of a bad request, the denial code, control and
values of a refused order, the issues of a refused policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
BASE = "https://gateway.example/problems/"

# type URI suffix, HTTP status, title
VALIDATION = ("validation-error", 422, "Request validation failed")
UNAUTHENTICATED = ("unauthenticated", 401, "Authentication required")
FORBIDDEN = ("forbidden", 403, "Not allowed")
NOT_FOUND = ("not-found", 404, "Not found")
METHOD_NOT_ALLOWED = ("method-not-allowed", 405, "Method not allowed")
CONFLICT = ("conflict", 409, "Conflict")
CLIENT_ORDER_ID_REUSED = ("client-order-id-reused", 409, "Client order id already used")
ORDER_DENIED = ("order-denied", 422, "Order denied by a pre-trade control")
AMEND_DENIED = ("amend-denied", 422, "Cancel or replace denied")
BODY_TOO_LARGE = ("body-too-large", 413, "Request body too large")
THROTTLED = ("throttled", 429, "Throttled")
POLICY_REFUSED = ("policy-refused", 422, "Policy file refused")
UNAVAILABLE = ("unavailable", 503, "Gateway failing closed")
INTERNAL = ("internal-error", 500, "Internal error")


class ApiProblem(Exception):
    """Raised anywhere in a route; rendered as problem+json by the app's handler."""

    def __init__(
        self,
        kind: tuple[str, int, str],
        detail: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status = status or kind[1]
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = {k: v for k, v in extensions.items() if v is not None}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(self.kind, self.detail, status=self.status, instance=instance, **self.extensions)


def problem_body(
    kind: tuple[str, int, str],
    detail: str,
    *,
    status: int | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    suffix, default_status, title = kind
    body: dict[str, Any] = {
        "type": BASE + suffix,
        "title": title,
        "status": status or default_status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None})
    return body


def problem_response(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        dict(body), status_code=int(body["status"]), headers=dict(headers or {}), media_type=MEDIA_TYPE
    )
