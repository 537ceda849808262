"""/v1/audit: verify a range of the hash chain, read records, export them as JSON Lines."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from gateway.api import audit_access
from gateway.api.access import require
from gateway.api.context import context
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
    audit = context(request).gateway.audit
    return await asyncio.to_thread(audit_access.verify_range, audit, start_seq, end_seq)


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
    summary="Export a range of records as JSON Lines, with prev_hash and record_hash for offline checks",
    responses={
        200: {"content": {NDJSON: {"schema": {"type": "string"}}}, "description": "One record per line"},
        **problem_responses(401, 403, 422),
    },
)
async def export(
    principal: Compliance, request: Request, start_seq: StartSeq = 1, end_seq: EndSeq = None
) -> StreamingResponse:
    audit = context(request).gateway.audit
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)

    def produce() -> None:  # one thread owns the store's read cursor from start to end
        try:
            for chunk in audit_access.export_lines(audit, start_seq, end_seq):
                chunks.put(chunk)
        finally:
            chunks.put(None)

    async def body() -> AsyncIterator[bytes]:
        producer = asyncio.get_running_loop().run_in_executor(None, produce)
        while (chunk := await asyncio.to_thread(chunks.get)) is not None:
            yield chunk
        await producer

    filename = f"audit-{start_seq}-{end_seq or 'head'}.jsonl"
    return StreamingResponse(
        body(), media_type=NDJSON, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
