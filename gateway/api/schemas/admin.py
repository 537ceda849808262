"""Policies, the audit log and health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import Reason, Strict


class PolicyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content_hash": "c8c6f5d47f63ba0a06611bbd0fd2ddd93a6540509d7f2f461d3c3ddb2fddd5b0",
                    "version": "2026-11-22.1",
                    "description": "Embedded default",
                    "source": "policies/default.toml",
                    "loaded_at": "2026-11-23T08:00:00.000001Z",
                    "loaded_by": "rest:rofficer",
                }
            ]
        }
    )

    content_hash: str = Field(description="SHA-256 of the policy file's bytes")
    version: str
    description: str
    source: str
    loaded_at: str | None
    loaded_by: str | None


class PolicyReloadIn(Strict):
    reason: Reason

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "raise ACC-HOUSE credit limit (ticket RISK-123)"}]},
    )


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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": False,
                    "content_hash": None,
                    "version": None,
                    "issues": [
                        {
                            "file": "candidate.toml",
                            "line": 61,
                            "field": "accounts[0].max_order_quantity",
                            "message": "Input should be greater than 0",
                        }
                    ],
                }
            ]
        }
    )

    valid: bool
    content_hash: str | None
    version: str | None
    issues: list[PolicyIssueOut]


class FaultOut(BaseModel):
    seq: int
    kind: str = Field(examples=["hash_mismatch"])
    detail: str


class VerifyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": False,
                    "first_seq": 1,
                    "last_seq": 1041,
                    "records": 1041,
                    "head_hash": "9f2c" + "0" * 60,
                    "fault": {
                        "seq": 1042,
                        "kind": "hash_mismatch",
                        "detail": "record_hash is not SHA-256(prev || bytes)",
                    },
                    "method": "audit.verify_store (stored Merkle roots)",
                }
            ]
        }
    )

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
