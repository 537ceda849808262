"""From a pipeline decision to an HTTP answer.

A decision the client cannot act on by retrying (a business denial) is a 422
``order-denied`` problem; one it should retry later is 429 (throttles) or 503
(the gateway fails closed: audit store or policy unavailable); an id already
in use is 409. The denial code, control, text and values are in the body
either way, and the order id under which the denial was recorded.
"""

from __future__ import annotations

from gateway.api import problems
from gateway.api.problems import ApiProblem
from risk_controls.domain import Denial, DenyCode

RETRY_AFTER_SECONDS = "1"

_STATUS_BY_CODE: dict[DenyCode, tuple[str, int, str]] = {
    DenyCode.AUDIT_UNAVAILABLE: problems.UNAVAILABLE,
    DenyCode.POLICY_UNAVAILABLE: problems.UNAVAILABLE,
    DenyCode.CHECK_FAILED: problems.UNAVAILABLE,
    DenyCode.SESSION_THROTTLE_EXCEEDED: problems.THROTTLED,
    DenyCode.ACCOUNT_THROTTLE_EXCEEDED: problems.THROTTLED,
    DenyCode.DUPLICATE_CL_ORD_ID: problems.CLIENT_ORDER_ID_REUSED,
}

_AMEND_STATUS_BY_CODE: dict[DenyCode, tuple[str, int, str]] = {
    **_STATUS_BY_CODE,
    DenyCode.UNKNOWN_ORDER: problems.NOT_FOUND,
    DenyCode.ORDER_NOT_WORKING: problems.CONFLICT,
}


def denial_problem(
    denial: Denial,
    *,
    order_id: str | None,
    cl_ord_id: str | None,
    audit_seq: int | None = None,
    amend: bool = False,
) -> ApiProblem:
    table = _AMEND_STATUS_BY_CODE if amend else _STATUS_BY_CODE
    default = problems.AMEND_DENIED if amend else problems.ORDER_DENIED
    kind = table.get(denial.code, default)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if kind[1] in (429, 503) else None
    return ApiProblem(
        kind,
        denial.text(),
        headers=headers,
        code=denial.code.value,
        control=denial.control,
        text=denial.text(),
        context=denial.context_dict(),
        order_id=order_id,
        cl_ord_id=cl_ord_id,
        audit_seq=audit_seq,
    )
