"""Request body limits, enforced before anything reads, authenticates or parses a request
(DOMAIN.md "A party's money stays private": every endpoint enforces its body size limit before
authenticating or parsing; operator bodies are at most 64 KiB).

Pure ASGI, so nothing of the body is read before the check:

- a request declaring ``Content-Length`` over its route's limit is answered 413 at once, without
  reading a byte of the body (a client announcing 1 GiB gets its answer while it is still
  sending); a declared length within the limit is passed on as it streams (the server frames
  the body at that length, so it cannot grow past it);
- a request without ``Content-Length`` (chunked) is read here, counting bytes, and answered 413
  as soon as the count passes the limit; within the limit the app gets the body as it came.
  Buffering first means the app never sees the start of a body that is then refused, so nothing
  is ever recorded for a rejected request.

The 413 is the ``payload-too-large`` problem (``limit_bytes`` names the limit) with
``Connection: close``: the server closes the connection rather than draining a body nobody will
read. Every route has ``OPERATOR_BODY_LIMIT_BYTES`` unless the service names another limit for
its path template (the orders webhooks: 256 KiB).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem_response

OPERATOR_BODY_LIMIT_BYTES = 64 * 1024


def too_large_response(limit: int, instance: str | None = None) -> JSONResponse:
    return problem_response(
        status=413,
        title="Request body too large",
        detail=f"The body exceeds {limit} bytes.",
        type_suffix="payload-too-large",
        instance=instance,
        extra={"limit_bytes": limit},
        headers={"Connection": "close"},
    )


class BodyLimitMiddleware:
    """Answers 413 for a body over its route's limit before the app sees the request.

    ``limits`` maps path templates (``/v1/shops/{shop_id}/webhooks``) to their limit in bytes;
    every other path has ``default_limit``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Mapping[str, int] | None = None,
        default_limit: int = OPERATOR_BODY_LIMIT_BYTES,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self._limits: list[tuple[re.Pattern[str], int]] = [
            (compile_path(template)[0], limit) for template, limit in (limits or {}).items()
        ]

    def limit_for(self, path: str) -> int:
        for pattern, limit in self._limits:
            if pattern.match(path):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None:
            if declared > limit:
                await too_large_response(limit, scope["path"])(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending its body: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large_response(limit, scope["path"])(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replaying(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when absent (or unreadable, then counted as it comes)."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` that first hands the already-read ``body`` over in one message."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
