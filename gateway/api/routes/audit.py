"""/v1/audit: verify a range of the hash chain, read records, export them as JSON Lines."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from gateway.api import audit_access, problems
from gateway.api.access import require
from gateway.api.context import context
from gateway.api.problems import ApiProblem
from gateway.api.routes import problem_responses
from gateway.api.schemas.admin import AuditPage, VerifyOut
from gateway.api.tokens import Principal, Role

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Compliance = Annotated[Principal, Depends(require(Role.COMPLIANCE))]
StartSeq = Annotated[int, Query(ge=1, le=2**62, description="First sequence number (inclusive)")]
EndSeq = Annotated[int | None, Query(ge=1, le=2**62, description="Last sequence number (inclusive)")]
NDJSON = "application/x-ndjson"


@router.get(
    "/verify",
    response_model=VerifyOut,
    summary="Verify the hash chain over a range; names the first bad record",
    responses=problem_responses(401, 403, 422),
)
async def verify(
    principal: Compliance, request: Request, start_seq: StartSeq = 1, end_seq: EndSeq = None
) -> dict[str, Any]:
    gateway = context(request).gateway
    return await asyncio.to_thread(
        audit_access.verify_range, gateway.audit, start_seq, end_seq, gateway.checkpoint_keys()
    )


@router.get(
    "/records",
    response_model=AuditPage,
    summary="Audit records with their chain data, in sequence order",
    responses=problem_responses(401, 403, 422),
)
async def records(
    principal: Compliance,
    request: Request,
    start_seq: StartSeq = 1,
    end_seq: EndSeq = None,
    event_type: Annotated[str | None, Query(max_length=100, examples=["order.denied"])] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    audit = context(request).gateway.audit
    return await asyncio.to_thread(audit_access.page, audit, start_seq, end_seq, event_type, limit)


@router.get(
    "/export",
    response_class=StreamingResponse,
    summary="Export a range of records (JSON Lines verifiable offline, or CSV to read)",
    description=(
        "With a checkpoint signer configured this is the audit store's regulator export: a header, "
        "the signed checkpoint covering the range and a Merkle range proof, then every record with "
        "prev_hash and record_hash (format in docs/audit-format.md)."
        " Without a signer, the records alone with their chain data."
    ),
    responses={
        200: {
            "content": {NDJSON: {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}},
            "description": "The records, streamed",
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def export(
    principal: Compliance,
    request: Request,
    start_seq: StartSeq = 1,
    end_seq: EndSeq = None,
    format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl",
) -> StreamingResponse:
    audit = context(request).gateway.audit
    head = audit.head()[0]
    last = head if end_seq is None else min(end_seq, head)
    if start_seq > last:
        raise ApiProblem(
            problems.NOT_FOUND, f"no records from {start_seq} to {end_seq or 'the head'} (head {head})"
        )
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)

    def produce() -> None:  # one thread owns the store's read cursor from start to end
        try:
            audit_access.export(audit, start_seq, last, format, chunks.put)
        finally:
            chunks.put(None)

    async def body() -> AsyncIterator[bytes]:
        producer = asyncio.get_running_loop().run_in_executor(None, produce)
        while (chunk := await asyncio.to_thread(chunks.get)) is not None:
            yield chunk
        await producer

    media = NDJSON if format == "jsonl" else "text/csv"
    filename = f"audit-{start_seq}-{last}.{format}"
    return StreamingResponse(
        body(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
