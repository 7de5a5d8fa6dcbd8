"""What the orders routers need, built once by the composition root and found on app.state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.service.ports import OrderReader, PlanStore
from services.orders.service.rate_limit import TokenBucketLimiter
from services.orders.service.shops import ShopKeeping
from services.orders.service.webhook_intake import WebhookIntake


@dataclass(frozen=True, slots=True)
class OrdersContext:
    engine: AsyncEngine
    shop_keeping: ShopKeeping
    orders: OrderReader
    plans: PlanStore
    intake: WebhookIntake
    clock: Callable[[], datetime]
    """Aware UTC: when a webhook is received."""
    limiter: TokenBucketLimiter
    """Per verified shop."""
    failed_verifications: TokenBucketLimiter
    """Per client address: each failed verification (401, 404) takes a token."""
    webhooks_received: Counter


def webhooks_received_counter(registry: CollectorRegistry) -> Counter:
    """``webhooks_received_total{type, outcome}``: type is one of the four webhook types or
    ``unknown``; outcome one of accepted, held, duplicate, bad_signature, unknown_shop,
    invalid, conflict, rate_limited, error (both label sets are bounded). A body over the limit
    is answered before the endpoint runs and counts in ``http_requests_total`` only."""
    return Counter(
        "webhooks_received",
        "Webhook deliveries answered, by webhook type and outcome.",
        ("type", "outcome"),
        registry=registry,
    )


def orders_context(request: Request) -> OrdersContext:
    """The context the composition root put on ``app.state.orders``."""
    context = getattr(request.app.state, "orders", None)
    if not isinstance(context, OrdersContext):
        raise RuntimeError("app.state.orders is not set to an OrdersContext")
    return context


async def get_context(request: Request) -> OrdersContext:
    """Async on purpose: FastAPI runs a sync dependency in a worker thread, per request."""
    return orders_context(request)


ContextDep = Annotated[OrdersContext, Depends(get_context)]
