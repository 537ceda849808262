"""/v1/reports: generate signed regulatory reports from the audit log, download and verify them.

For the ``compliance`` role (and ``admin``). Generation and verification read
the whole audit range and render PDFs: they run in a worker thread, one at a
time per gateway, so orders on the event loop never wait behind a report.
Each generation is itself recorded in the audit log (``report.generated``:
who, what, which files with their SHA-256) before it is answered.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from audit.api import AuditUnavailable
from gateway.api import problems
from gateway.api.access import require
from gateway.api.context import context
from gateway.api.problems import ApiProblem
from gateway.api.report_runs import MEDIA_TYPES, ReportRuns, media_type, read_manifest
from gateway.api.routes import problem_responses
from gateway.api.schemas.reports import (
    FILE_PATTERN,
    RUN_ID_PATTERN,
    ReportIn,
    ReportRunOut,
    ReportVerificationOut,
)
from gateway.api.tokens import Principal, Role

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Compliance = Annotated[Principal, Depends(require(Role.COMPLIANCE))]
RunId = Annotated[str, PathParam(pattern=RUN_ID_PATTERN, examples=["20261123T180000Z-0123456789ab"])]
FileName = Annotated[
    str, PathParam(pattern=FILE_PATTERN, max_length=200, examples=["order-blotter_2026-11-23.csv"])
]
REPORT_GENERATED = "report.generated"
BINARY = {"type": "string", "format": "binary"}


class _Reports:
    """Per app: the run directory and a lock so that at most one report is built at a time."""

    def __init__(self, runs: ReportRuns) -> None:
        self.runs = runs
        self.lock = asyncio.Lock()


def _reports(request: Request) -> _Reports:
    state = request.app.state
    reports: _Reports | None = getattr(state, "reports", None)
    if reports is None:  # created on first use, on the event loop (no race)
        reports = state.reports = _Reports(ReportRuns(context(request).gateway))
    return reports


@router.post(
    "",
    status_code=201,
    response_model=ReportRunOut,
    summary="Generate a report (CSV and/or PDF), signed, with a manifest per file",
    description=(
        "Builds the report from the audit records whose timestamps fall in the period, into a new "
        "run. Each file comes with a detached Ed25519 signature (`.sig`) and a signed manifest "
        "naming its SHA-256, the period, the audit range and the checkpoint it was built from. "
        "Dates mean whole UTC days (`to` included); date-times a half-open interval. "
        "`422` for an unknown report, a period that ends before it starts or is too long, or a "
        "format the report does not have."
    ),
    responses=problem_responses(401, 403, 422, 503),
)
async def generate(
    principal: Compliance, request: Request, response: Response, body: ReportIn
) -> dict[str, Any]:
    reports = _reports(request)
    period = body.period()
    async with reports.lock:
        run_id, files = await asyncio.to_thread(
            reports.runs.generate, body.name, period, body.format, body.paper
        )
        out = await asyncio.to_thread(_run_view, run_id, files)
    record = {
        "run_id": run_id,
        "report": body.name,
        "format": body.format,
        "paper": body.paper,
        "period": {"start": period.start_iso, "end": period.end_iso},
        "requested_by": principal.subject,
        "files": [{"file": f["file"], "sha256": f["sha256"]} for f in out["files"]],
    }
    try:
        await context(request).gateway.audit.append(REPORT_GENERATED, record)
    except AuditUnavailable as exc:  # a report nobody can trace is not handed out
        await asyncio.to_thread(reports.runs.discard, run_id)
        raise ApiProblem(problems.UNAVAILABLE, f"the audit log is unavailable: {exc}") from exc
    response.headers["Location"] = f"{router.prefix}/{run_id}"
    return out


@router.get(
    "/{run_id}",
    response_model=ReportRunOut,
    summary="A run's report files and their manifests",
    responses=problem_responses(401, 403, 404, 422),
)
async def run(principal: Compliance, request: Request, run_id: RunId) -> dict[str, Any]:
    runs = _reports(request).runs
    files = await asyncio.to_thread(runs.reports, run_id)
    if files is None:
        raise ApiProblem(problems.NOT_FOUND, f"no report run {run_id}")
    return await asyncio.to_thread(_run_view, run_id, files)


@router.get(
    "/{run_id}/{filename}",
    response_class=FileResponse,
    summary="Download a report file, its signature (.sig) or its manifest (.manifest.json)",
    responses={
        200: {
            "content": {
                media: {"schema": {"type": "object"} if media == "application/json" else BINARY}
                for media in MEDIA_TYPES.values()
            },
            "description": "The file's bytes (a manifest is a JSON object)",
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def download(
    principal: Compliance, request: Request, run_id: RunId, filename: FileName
) -> FileResponse:
    path = await asyncio.to_thread(_reports(request).runs.file, run_id, filename)
    if path is None:
        raise ApiProblem(problems.NOT_FOUND, f"no file {filename} in report run {run_id}")
    return FileResponse(path, media_type=media_type(path), filename=path.name)


@router.get(
    "/{run_id}/{filename}/verify",
    response_model=ReportVerificationOut,
    summary="Verify a report against the live audit log (signatures, hashes, rebuilt bytes)",
    description=(
        "Checks the manifest's and the file's signatures against the gateway's report-signing key, "
        "the file's SHA-256, that the audit records the report was built from are unchanged, and "
        "that rebuilding the report from the log gives the same bytes. `ok` is false, with the "
        "failed checks in `problems`, if anything differs. Naming the report's `.sig` or "
        "`.manifest.json` verifies the report they seal."
    ),
    responses=problem_responses(401, 403, 404, 422),
)
async def verify(
    principal: Compliance, request: Request, run_id: RunId, filename: FileName
) -> dict[str, Any]:
    reports = _reports(request)
    path = await asyncio.to_thread(reports.runs.report, run_id, filename)
    if path is None:
        raise ApiProblem(problems.NOT_FOUND, f"no report {filename} in report run {run_id}")
    async with reports.lock:
        verdict = await asyncio.to_thread(reports.runs.verify, path)
    return {
        "run_id": run_id,
        "file": path.name,
        "ok": verdict.ok,
        "checks": verdict.checks,
        "problems": verdict.problems,
        "public_key": verdict.public_key,
    }


def _run_view(run_id: str, files: list[Path]) -> dict[str, Any]:
    """The answer for a run: each file's manifest, its main stamps and where to fetch things."""
    base = f"{router.prefix}/{run_id}"
    out = []
    for path in files:
        manifest = read_manifest(path)
        url = f"{base}/{path.name}"
        out.append(
            {
                **{key: manifest.get(key) for key in ("report", "title", "format", "paper", "file")},
                **{key: manifest.get(key) for key in ("sha256", "size", "csv_rows", "period")},
                "audit_range": manifest["audit_range"],
                "chain": manifest["chain"],
                "checkpoint": manifest.get("checkpoint"),
                "url": url,
                "signature_url": f"{url}.sig",
                "manifest_url": f"{url}.manifest.json",
                "verify_url": f"{url}/verify",
                "manifest": manifest,
            }
        )
    return {"run_id": run_id, "files": out}
