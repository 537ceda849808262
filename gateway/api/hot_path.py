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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.api import problems
from gateway.api.context import ApiContext
from gateway.api.problems import problem_body, problem_response

ORDERS_PATH = "/v1/orders"
MAX_ORDER_BODY = 64 * 1024
"""An order body is a few hundred bytes; one past this is refused unread (413)."""

Submit = Callable[[ApiContext, str | None, bytes], Awaitable[Response]]
"""(context, Authorization header value, raw body) -> the answer."""


class BodyTooLarge(Exception):
    """The request body passed :data:`MAX_ORDER_BODY`."""


class GatewayApi(FastAPI):
    """FastAPI, except that ``POST /v1/orders`` goes straight to the submit function."""

    _submit: Submit | None = None
    _context: ApiContext | None = None

    def serve_submissions(self, submit: Submit, ctx: ApiContext) -> None:
        self._submit, self._context = submit, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        submit, ctx = self._submit, self._context
        if (
            submit is None
            or ctx is None
            or self.user_middleware
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != ORDERS_PATH
        ):
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        try:
            response = await submit(ctx, _authorization(scope), await _body(receive))
        except ClientDisconnect:
            return
        except Exception as exc:
            response = await self._refusal(Request(scope, receive), exc)
        await response(scope, receive, send)

    async def _refusal(self, request: Request, exc: Exception) -> Response:
        """The answer the app's exception handlers give, looked up as Starlette does."""
        if isinstance(exc, BodyTooLarge):
            detail = f"an order body is at most {MAX_ORDER_BODY} bytes"
            return problem_response(problem_body(problems.BODY_TOO_LARGE, detail, instance=ORDERS_PATH))
        for cls in type(exc).__mro__:
            handler: Any = self.exception_handlers.get(cls)
            if handler is not None:
                response: Response = await handler(request, exc)
                return response
        raise exc  # create_app registers a handler for Exception


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            return text
    return None


async def _body(receive: Receive) -> bytes:
    """The whole request body; :class:`BodyTooLarge` past the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_ORDER_BODY:
            raise BodyTooLarge()
        if not message.get("more_body", False):
            return b"".join(chunks) + chunk if chunks else chunk
        chunks.append(chunk)
