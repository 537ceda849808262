"""Regulatory reports: the generation request, the signed files it produced, a verification.

A request names the report, the period (dates mean whole UTC days with the end
date included; date-times a half-open UTC interval), the format and the paper
size. Everything a generator would refuse is refused here first, located by
field, so a 422 names what to fix and nothing is written.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from gateway.api.schemas.common import Strict, UtcDatetime
from reporting import REPORT_NAMES, Period
from reporting.registry import jobs

MAX_PERIOD_DAYS = 3660  # ten years: longer than any retention rule the reports serve
RUN_ID_PATTERN = r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}$"
FILE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,199}$"
_HASH = "8d217a31007ee01e767e515145558a5b24ce28a5f754c5fa0eccafaa21d1a6db"


class ReportIn(Strict):
    """What to generate."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=False,
        json_schema_extra={
            "examples": [
                {"name": "order-blotter", "from": "2026-11-23", "to": "2026-11-23", "format": "csv"},
                {
                    "name": "denials",
                    "from": "2026-11-23T13:30:00Z",
                    "to": "2026-11-23T20:00:00Z",
                    "format": "both",
                    "paper": "LETTER",
                },
            ]
        },
    )

    name: str = Field(
        json_schema_extra={"enum": list(REPORT_NAMES)},
        description='The report, or "all" for every report',
        examples=["order-blotter"],
    )
    from_: date | UtcDatetime = Field(
        alias="from", description="First day (a date) or instant (a date-time with offset), inclusive"
    )
    to: date | UtcDatetime = Field(
        description="Last day (a date, inclusive) or instant (a date-time, exclusive); "
        f"at most {MAX_PERIOD_DAYS} days after ``from``"
    )
    format: Literal["csv", "pdf", "both"] = "csv"
    paper: Literal["A4", "LETTER"] = Field("A4", description="Page size of the PDFs")

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in REPORT_NAMES:
            raise ValueError(f"unknown report {value!r}: one of {', '.join(REPORT_NAMES)}")
        return value

    @field_validator("to")
    @classmethod
    def _after_from(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("from_")
        if start is None:  # ``from`` itself was invalid and is reported on its own
            return value
        try:
            period = Period.of(start, value)
        except OverflowError as exc:
            raise ValueError("the period runs past the last representable date") from exc
        if period.end - period.start > timedelta(days=MAX_PERIOD_DAYS):
            raise ValueError(f"a period is at most {MAX_PERIOD_DAYS} days; split longer requests")
        return value

    @field_validator("format")
    @classmethod
    def _has_format(cls, value: str, info: ValidationInfo) -> str:
        name = info.data.get("name")
        if name is not None:
            jobs(name, value)  # the MiFID II transaction report, for one, is CSV only
        return value

    def period(self) -> Period:
        return Period.of(self.from_, self.to)


class PeriodOut(BaseModel):
    start: str = Field(examples=["2026-11-23T00:00:00.000000Z"])
    end: str = Field(examples=["2026-11-24T00:00:00.000000Z"], description="Exclusive")


class AuditRangeOut(BaseModel):
    """The records the report was built from; empty when ``last_seq < first_seq``."""

    first_seq: int
    last_seq: int
    record_count: int
    anchor_hash: str = Field(description="Hash of the record before the range (the chain hangs from it)")
    head_hash: str = Field(description="Hash of the range's last record")
    first_ts: str | None
    last_ts: str | None


class ChainOut(BaseModel):
    verified: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None


class ReportFileOut(BaseModel):
    """One signed report file, its manifest and where to fetch and check them."""

    report: str = Field(examples=["order-blotter"])
    title: str = Field(examples=["Order Blotter"])
    format: Literal["csv", "pdf"]
    paper: str | None
    file: str = Field(examples=["order-blotter_2026-11-23.csv"])
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", examples=[_HASH])
    size: int
    csv_rows: int | None
    period: PeriodOut
    audit_range: AuditRangeOut
    chain: ChainOut
    checkpoint: dict[str, Any] | None = Field(description="The signed audit checkpoint covering the range")
    url: str = Field(examples=["/v1/reports/20261123T180000Z-0123456789ab/order-blotter_2026-11-23.csv"])
    signature_url: str = Field(description="Detached Ed25519 signature over the file's SHA-256 digest")
    manifest_url: str
    verify_url: str
    manifest: dict[str, Any] = Field(description="The signed manifest exactly as written beside the file")


class ReportRunOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": "20261123T180000Z-0123456789ab",
                    "files": [
                        {
                            "report": "order-blotter",
                            "title": "Order Blotter",
                            "format": "csv",
                            "paper": None,
                            "file": "order-blotter_2026-11-23.csv",
                            "sha256": "6e9e736b40e92a33df54299eeb93aabde02cc9c7cc5706a132e4a11f0a95ed65",
                            "size": 1630,
                            "csv_rows": 1,
                            "period": {
                                "start": "2026-11-23T00:00:00.000000Z",
                                "end": "2026-11-24T00:00:00.000000Z",
                            },
                            "audit_range": {
                                "first_seq": 1,
                                "last_seq": 6,
                                "record_count": 6,
                                "anchor_hash": "0" * 64,
                                "head_hash": _HASH,
                                "first_ts": "2026-11-23T17:56:58.826947Z",
                                "last_ts": "2026-11-23T17:56:59.041697Z",
                            },
                            "chain": {"verified": True, "checked": 6, "first_bad_seq": None, "problem": None},
                            "checkpoint": None,
                            "url": "/v1/reports/20261123T180000Z-0123456789ab/order-blotter_2026-11-23.csv",
                            "signature_url": "/v1/reports/20261123T180000Z-0123456789ab/"
                            "order-blotter_2026-11-23.csv.sig",
                            "manifest_url": "/v1/reports/20261123T180000Z-0123456789ab/"
                            "order-blotter_2026-11-23.csv.manifest.json",
                            "verify_url": "/v1/reports/20261123T180000Z-0123456789ab/"
                            "order-blotter_2026-11-23.csv/verify",
                            "manifest": {"manifest_version": 1, "report": "order-blotter"},
                        }
                    ],
                }
            ]
        }
    )

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    files: list[ReportFileOut]


class ReportVerificationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": "20261123T180000Z-0123456789ab",
                    "file": "order-blotter_2026-11-23.csv",
                    "ok": True,
                    "checks": [
                        "the manifest names the expected signing key",
                        "manifest signature valid",
                        "report file matches the manifest SHA-256",
                        "detached signature valid",
                        "rebuilding order-blotter_2026-11-23.csv from the log gives the same bytes",
                    ],
                    "problems": [],
                    "public_key": "281321cc4935d8e735194d17f61eb46262b5a53627fc3ad33a79fb5f67a71cb0",
                }
            ]
        }
    )

    run_id: str
    file: str
    ok: bool = Field(description="True only when every check passed")
    checks: list[str] = Field(description="Checks that passed")
    problems: list[str] = Field(description="Checks that failed (empty when ok)")
    public_key: str = Field(description="The gateway's report-signing key the manifest was checked against")
