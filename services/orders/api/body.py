"""Reading a request body with a size limit, without buffering more than the limit."""

from __future__ import annotations

from fastapi import Request

from shared.http.problems import ProblemError

MAX_WEBHOOK_BODY_BYTES = 256 * 1024


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "Request body too large",
        f"The body exceeds {limit} bytes.",
        type_suffix="payload-too-large",
        extra={"limit_bytes": limit},
    )


async def read_limited_body(request: Request, limit: int = MAX_WEBHOOK_BODY_BYTES) -> bytes:
    """The whole body, or a 413 problem as soon as it is known to exceed ``limit`` bytes:
    from ``Content-Length`` before reading anything, else while streaming."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
