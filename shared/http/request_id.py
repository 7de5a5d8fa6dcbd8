"""Request ids: every log line of a request carries `request_id`, and the response echoes it.

The caller's `X-Request-Id` is kept when it is 1..128 visible ASCII characters (a proxy's or a
client's id stays searchable end to end); anything else is replaced by a fresh uuid4 hex, so a
client cannot push arbitrary text into logs.
"""

import re
from uuid import uuid4

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-Id"

_ACCEPTABLE = re.compile(r"[!-~]{1,128}")
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestIdMiddleware:
    """Pure ASGI. Add it last, so it wraps the other middleware and their logs carry the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming(scope) or uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # Reset, not clear: ids bound by an enclosing context (a test, a server) survive.
            structlog.contextvars.reset_contextvars(**tokens)


def _incoming(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == _HEADER_KEY:
            candidate = value.decode("latin-1")
            return candidate if _ACCEPTABLE.fullmatch(candidate) else None
    return None
