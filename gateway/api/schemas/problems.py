"""Problem-details bodies (RFC 9457), as documented in the OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.admin import PolicyIssueOut


class Problem(BaseModel):
    type: str = Field(examples=["https://gateway.example/problems/forbidden"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str | None = Field(None, description="A denial code where one applies")


class FieldError(BaseModel):
    field: str = Field(examples=["body.quantity"])
    message: str
    type: str


class ValidationProblem(Problem):
    errors: list[FieldError] = []


class DeniedProblem(Problem):
    """A refused order, cancel or replace; ``code`` is the stable denial code."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://gateway.example/problems/order-denied",
                    "title": "Order denied by a pre-trade control",
                    "status": 422,
                    "detail": "NOTIONAL_EXCEEDS_MAX_PER_ORDER max=5000000 notional=6855000",
                    "instance": "/v1/orders",
                    "code": "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                    "control": "max_order_notional",
                    "text": "NOTIONAL_EXCEEDS_MAX_PER_ORDER max=5000000 notional=6855000",
                    "context": {"max": "5000000", "notional": "6855000"},
                    "order_id": "20261123-00000002",
                    "cl_ord_id": "desk1-000124",
                    "audit_seq": 57,
                }
            ]
        }
    )

    control: str | None = None
    text: str | None = None
    context: dict[str, str] | None = None
    order_id: str | None = None
    cl_ord_id: str | None = None
    audit_seq: int | None = None
    errors: list[FieldError] | None = None


class PolicyProblem(Problem):
    issues: list[PolicyIssueOut] = []
