"""Body limits at the ASGI edge: a body over its route's limit is answered 413 before the app
(authentication, parsing, anything) sees the request; within the limit the app gets it whole."""

import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from shared.http.body_limit import OPERATOR_BODY_LIMIT_BYTES, BodyLimitMiddleware

WEBHOOKS = "/v1/shops/{shop_id}/webhooks"


class App:
    """Reads the whole body and answers 200 with its length; remembers whether it ran."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


async def call(
    path: str, chunks: list[bytes], content_length: int | None
) -> tuple[App, int, dict[str, str], dict[str, Any] | bytes, int]:
    """Send a POST through the middleware; returns the app, the status, the headers, the body
    (parsed when a problem) and how many body messages the middleware and app received."""
    app = App()
    middleware = BodyLimitMiddleware(app, limits={WEBHOOKS: 256 * 1024})
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]
    received = 0

    async def receive() -> Message:
        nonlocal received
        received += 1
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    start, *bodies = sent
    answer_headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    body = b"".join(m.get("body", b"") for m in bodies)
    parsed = json.loads(body) if start["status"] == 413 else body
    return app, start["status"], answer_headers, parsed, received


async def test_a_declared_length_over_the_limit_is_413_before_any_body_is_read() -> None:
    app, status, headers, problem, received = await call("/v1/shops", [b"{}"], 1 << 30)

    assert status == 413 and received == 0 and app.bodies == []
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert isinstance(problem, dict)
    assert problem["type"] == "https://settlement.example/problems/payload-too-large"
    assert problem["limit_bytes"] == OPERATOR_BODY_LIMIT_BYTES == 64 * 1024
    assert problem["instance"] == "/v1/shops"


async def test_a_chunked_body_is_refused_once_its_count_passes_the_limit() -> None:
    chunks = [b"x" * 16 * 1024] * 8  # 128 KiB, no Content-Length
    app, status, _, problem, received = await call("/v1/tokens", chunks, None)

    assert status == 413 and app.bodies == []
    assert received == 5  # 4 chunks are 64 KiB exactly; the fifth passes the limit
    assert isinstance(problem, dict) and problem["limit_bytes"] == 64 * 1024


async def test_bodies_within_the_limit_reach_the_app_whole() -> None:
    chunked = [b"a" * 1000, b"b" * 1000, b""]
    app, status, _, body, _ = await call("/v1/tokens", chunked, None)
    exact = b"y" * OPERATOR_BODY_LIMIT_BYTES
    app_2, status_2, _, _, _ = await call("/v1/shops", [exact], len(exact))

    assert (status, body) == (200, b"2000") and app.bodies == [b"a" * 1000 + b"b" * 1000]
    assert status_2 == 200 and app_2.bodies == [exact]


async def test_a_route_with_its_own_limit_keeps_it() -> None:
    body = b"w" * 200 * 1024
    _, webhook_status, _, _, _ = await call("/v1/shops/s-1/webhooks", [body], len(body))
    _, operator_status, _, _, _ = await call("/v1/shops/s-1/plans", [body], len(body))
    _, over_status, _, problem, _ = await call("/v1/shops/s-1/webhooks", [body * 2], None)

    assert (webhook_status, operator_status, over_status) == (200, 413, 413)
    assert isinstance(problem, dict) and problem["limit_bytes"] == 256 * 1024


async def test_a_request_without_a_body_passes() -> None:
    app, status, _, _, _ = await call("/v1/balances", [b""], None)

    assert status == 200 and app.bodies == [b""]


async def test_a_client_gone_before_its_body_ends_gets_no_answer_and_the_app_never_runs() -> None:
    app = App()
    sent: list[Message] = []
    messages: list[Message] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/shops", "headers": []}
    await BodyLimitMiddleware(app)(scope, receive, send)

    assert sent == [] and app.bodies == []
