"""Policies, the audit log and health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import Reason, Strict


class PolicyOut(BaseModel):
    content_hash: str = Field(description="SHA-256 of the policy file's bytes")
    version: str
    description: str
    source: str
    loaded_at: str | None
    loaded_by: str | None


class PolicyReloadIn(Strict):
    reason: Reason


class PolicyDryRunIn(Strict):
    """A policy file's text to validate without installing it."""

    content: str = Field(max_length=1_000_000, description="The TOML text of the policy file")
    filename: str = Field("uploaded.toml", max_length=200, pattern=r"^[^\x00-\x1f]*$")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"content": 'version = "x"\n', "filename": "candidate.toml"}]},
    )


class PolicyIssueOut(BaseModel):
    file: str
    line: int | None
    field: str
    message: str


class DryRunOut(BaseModel):
    valid: bool
    content_hash: str | None
    version: str | None
    issues: list[PolicyIssueOut]


class FaultOut(BaseModel):
    seq: int
    kind: str = Field(examples=["hash_mismatch"])
    detail: str


class VerifyOut(BaseModel):
    ok: bool
    first_seq: int
    last_seq: int
    records: int
    head_hash: str
    fault: FaultOut | None
    method: str = Field(description="Which verifier ran")


class AuditRecordOut(BaseModel):
    seq: int
    ts: str
    event_type: str
    payload: dict[str, Any]
    prev_hash: str
    record_hash: str
    retention: str | None


class AuditPage(BaseModel):
    records: list[AuditRecordOut]
    next_seq: int | None


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    status: Literal["ready"]
    audit: Literal["available"]
    policy_hash: str
