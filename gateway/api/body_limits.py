"""Request bodies past a size limit are refused (413), before they are read into memory.

Starlette reads a whole body into memory before any route sees it, and FastAPI
does so before it checks the caller's token: without a limit, anyone who can
reach the port can make the gateway buffer gigabytes. A body whose declared
``Content-Length`` is over the limit is refused unread; a chunked one is
refused once what has arrived passes it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope

MAX_REQUEST_BODY = 8 * 1024 * 1024
"""Any request: the largest body is a policy file to dry-run (at most 1,000,000 characters)."""
MAX_ORDER_BODY = 64 * 1024
"""POST /v1/orders: an order body is a few hundred bytes."""


class BodyTooLarge(HTTPException):
    """The request body is over ``limit`` bytes: a 413, which FastAPI passes on unchanged
    (any other error while it reads a body becomes a 400) to the app's handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {limit} bytes this request may have")
        self.limit = limit


def declared_too_large(scope: Scope, limit: int) -> bool:
    """Does the request's ``Content-Length`` already say its body is over ``limit``?"""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.isdigit() and int(value) > limit
    return False


def limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises :class:`BodyTooLarge` once the body passes ``limit``."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_limited
