"""``POST /v1/shops/{shop_id}/webhooks``: the edge of the webhook use case.

Checks, cheapest first, each answering a problem and recording nothing: 413 (a body over
``MAX_WEBHOOK_BODY_BYTES``, 256 KiB, answered by the shared body-limit middleware before this
endpoint runs: ``BODY_LIMITS`` is what the composition root registers), 429 for a client whose
verifications keep failing (its address's bucket of failures is empty), 404 (unknown shop), 401
(signature), 429 for a verified shop over its rate, 422 (payload), then the use case (409 /
422). Every 401 and 404 takes a token from the client's bucket of failures, so an unsigned flood
or made-up shop ids are stopped per client, and never drain a real shop's rate, which is only
counted once the signature holds. Every 429 carries ``Retry-After``. A field out of DOMAIN.md's
bounds is a 422 ``validation-error`` naming it in ``errors[].loc``, whether the schema or the
domain (``paid_total``, ``occurred_at`` against the receipt time) found it. Every answer this
endpoint gives counts in ``webhooks_received_total``; a 413 in
``http_requests_total{status="413"}``.
"""

from __future__ import annotations

import hashlib
import math

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.orders.api.context import OrdersContext, orders_context
from services.orders.api.problems import as_problem, invalid_payload
from services.orders.api.schemas import ShopIdPath, WebhookAccepted
from services.orders.api.signature import verify_signature
from services.orders.api.webhook_schemas import (
    WEBHOOK_TYPES,
    PlacedWebhook,
    WebhookCreate,
    to_fact,
    webhook_adapter,
    webhook_body_schema,
)
from services.orders.domain.errors import OrdersDomainError
from services.orders.domain.facts import Placed
from services.orders.service.errors import ShopNotFound
from services.orders.service.messages import ReceivedWebhook, WebhookAnswer
from shared.http.problems import ProblemError

router = APIRouter(tags=["webhooks"])

WEBHOOK_PATH = "/v1/shops/{shop_id}/webhooks"
MAX_WEBHOOK_BODY_BYTES = 256 * 1024
BODY_LIMITS = {WEBHOOK_PATH: MAX_WEBHOOK_BODY_BYTES}
MAX_WEBHOOK_ID_LENGTH = 200
_FAILED_VERIFICATION = (401, 404)
_OUTCOME_BY_STATUS = {
    401: "bad_signature",
    404: "unknown_shop",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
}


@router.post(
    WEBHOOK_PATH,
    status_code=202,
    response_model=WebhookAccepted,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": webhook_body_schema()}},
        }
    },
)
async def receive_webhook(shop_id: ShopIdPath, request: Request) -> JSONResponse:
    """202 ``{"event_id"}`` for a new fact (also one held until the placement arrives), the
    same answer for a repeated ``webhook-id`` with the same body."""
    # Read directly, not as a dependency: this is the hot path, and FastAPI's dependency
    # resolution per request costs more than the lookup.
    context = orders_context(request)
    try:
        answer = await _receive(shop_id, request, context)
    except (ProblemError, OrdersDomainError) as error:
        problem = (
            error
            if isinstance(error, ProblemError)
            else as_problem(error, loc_prefix=_typed(request))
        )
        if problem.status in _FAILED_VERIFICATION:
            context.failed_verifications.try_acquire(_client(request))
        outcome = _OUTCOME_BY_STATUS.get(problem.status, "error")
        context.webhooks_received.labels(_bounded(request), outcome).inc()
        raise problem from None
    context.webhooks_received.labels(_bounded(request), answer.outcome).inc()
    return JSONResponse({"event_id": answer.event_id}, status_code=202)


async def _receive(shop_id: str, request: Request, context: OrdersContext) -> WebhookAnswer:
    failing = context.failed_verifications.wait_s(_client(request))
    if failing > 0:
        raise _too_many("This client failed verification too often; retry later.", failing)
    body = await request.body()  # at most MAX_WEBHOOK_BODY_BYTES: the middleware saw to it
    # Parsed once, before authentication, only to fetch a placement's plans with the shop; a
    # bad payload is reported after the signature check, so an unsigned caller learns nothing.
    parsed: WebhookCreate | ProblemError
    try:
        parsed = webhook_adapter.validate_json(body)
    except ValidationError as error:
        parsed = _invalid_payload(error)
    placed_at = parsed.occurred_at if isinstance(parsed, PlacedWebhook) else None
    now = context.clock()  # the receipt time, also what the events are recorded at
    found = await context.intake.shop_with_plans(shop_id, placed_at)
    if found is None:
        raise ShopNotFound(f"no shop {shop_id}")
    shop = found.shop
    verify_signature(shop.valid_secrets(now), body, request.headers)
    over_rate = context.limiter.try_acquire(shop.shop_id)
    if over_rate > 0:
        raise _too_many(f"Shop {shop.shop_id} is over its webhook rate; retry later.", over_rate)
    webhook_id = request.headers["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID_LENGTH or not webhook_id.isprintable():
        raise ProblemError(
            422, "Invalid webhook", "webhook-id must be at most 200 printable characters"
        )
    if isinstance(parsed, ProblemError):
        raise parsed
    request.state.webhook_type = parsed.type
    fact = to_fact(parsed)
    return await context.intake.submit(
        ReceivedWebhook(
            shop=shop,
            webhook_id=webhook_id,
            body_sha256=hashlib.sha256(body).digest(),
            fact=fact,
            received_at=now,
            plans=found.plans if isinstance(fact, Placed) else (),
        )
    )


def _client(request: Request) -> str:
    """The address failures are counted against: the TCP peer (a proxy in front of the service
    is one client; see README)."""
    return request.client.host if request.client else "unknown"


def _too_many(detail: str, wait_s: float) -> ProblemError:
    return ProblemError(
        429,
        "Too many webhooks",
        detail,
        type_suffix="rate-limited",
        headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
    )


def _bounded(request: Request) -> str:
    webhook_type = getattr(request.state, "webhook_type", "unknown")
    return webhook_type if webhook_type in WEBHOOK_TYPES else "unknown"


def _typed(request: Request) -> tuple[str, ...]:
    """The start of a location in this request's body: its webhook type once it parsed."""
    webhook_type = getattr(request.state, "webhook_type", None)
    return (webhook_type,) if webhook_type in WEBHOOK_TYPES else ()


def _invalid_payload(error: ValidationError) -> ProblemError:
    return invalid_payload(
        [
            {"loc": [str(part)[:64] for part in item["loc"]], "msg": item["msg"][:300]}
            for item in error.errors(include_url=False)[:50]
        ]
    )
