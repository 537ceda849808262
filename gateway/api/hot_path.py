"""``GatewayApi``: the FastAPI app, with order submission answered off the framework's stack.

``POST /v1/orders`` is the one request a desk sends thousands of times a
second. Under FastAPI it passes six middleware layers, a linear route match
and the request/response wrappers before and after the handler; on the
development VM that was a third of the request's CPU, as much as the whole
pre-trade chain. This app reads that one method and path's token and body
itself and hands them straight to the route's own implementation; the app's
exception handlers turn its refusals into the same problem details as
anywhere else. Every other request goes through FastAPI. The route stays
declared in FastAPI, so the OpenAPI document is unchanged. An app given
middleware of its own sends every request, this one too, through it.

Every request's body is limited (:mod:`gateway.api.body_limits`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.api.body_limits import (
    MAX_ORDER_BODY,
    MAX_REQUEST_BODY,
    BodyTooLarge,
    declared_too_large,
    limited,
)
from gateway.api.context import ApiContext

ORDERS_PATH = "/v1/orders"

Submit = Callable[[ApiContext, str | None, bytes], Awaitable[Response]]
"""(context, Authorization header value, raw body) -> the answer."""


class GatewayApi(FastAPI):
    """FastAPI, except that ``POST /v1/orders`` goes straight to the submit function."""

    _submit: Submit | None = None
    _context: ApiContext | None = None

    def serve_submissions(self, submit: Submit, ctx: ApiContext) -> None:
        self._submit, self._context = submit, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        submit, ctx = self._submit, self._context
        if (
            submit is not None
            and ctx is not None
            and not self.user_middleware
            and scope["method"] == "POST"
            and scope["path"] == ORDERS_PATH
        ):
            await self._submit_order(submit, ctx, scope, receive, send)
        elif declared_too_large(scope, MAX_REQUEST_BODY):
            scope["app"] = self
            response = await self._refusal(Request(scope, receive), BodyTooLarge(MAX_REQUEST_BODY))
            await response(scope, receive, send)
        else:
            await super().__call__(scope, limited(receive, MAX_REQUEST_BODY), send)

    async def _submit_order(
        self, submit: Submit, ctx: ApiContext, scope: Scope, receive: Receive, send: Send
    ) -> None:
        scope["app"] = self
        try:
            authorization, length = _token_and_length(scope)
            if length is not None and length > MAX_ORDER_BODY:  # refused unread
                raise BodyTooLarge(MAX_ORDER_BODY)
            response = await submit(ctx, authorization, await _body(receive))
        except ClientDisconnect:
            return
        except Exception as exc:
            response = await self._refusal(Request(scope, receive), exc)
        await response(scope, receive, send)

    async def _refusal(self, request: Request, exc: Exception) -> Response:
        """The answer the app's exception handlers give, looked up as Starlette does."""
        for cls in type(exc).__mro__:
            handler: Any = self.exception_handlers.get(cls)
            if handler is not None:
                response: Response = await handler(request, exc)
                return response
        raise exc  # create_app registers a handler for Exception


def _token_and_length(scope: Scope) -> tuple[str | None, int | None]:
    """The ``Authorization`` and ``Content-Length`` headers' values, in one pass."""
    authorization: str | None = None
    length: int | None = None
    for name, value in scope["headers"]:
        if name == b"authorization" and authorization is None:  # the first, as Starlette reads it
            authorization = value.decode("latin-1")
        elif name == b"content-length" and value.isdigit():
            length = int(value)
    return authorization, length


async def _body(receive: Receive) -> bytes:
    """The whole request body; :class:`BodyTooLarge` once it passes the order limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_ORDER_BODY:
            raise BodyTooLarge(MAX_ORDER_BODY)
        if not message.get("more_body", False):
            return b"".join(chunks) + chunk if chunks else chunk
        chunks.append(chunk)
