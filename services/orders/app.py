"""Composition root of the orders service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request
from starlette.responses import Response

from services.orders.adapters.db.orders import OrderRepository
from services.orders.adapters.db.parking import ParkingRepository
from services.orders.adapters.db.plan_repository import PlanRepository
from services.orders.adapters.db.shop_repository import ShopRepository
from services.orders.adapters.db.tables import outbox
from services.orders.adapters.db.unit_of_work import OrdersUnitOfWork
from services.orders.adapters.secret_box import SecretBox
from services.orders.api import orders, plans, shops, webhooks
from services.orders.api.context import OrdersContext, webhooks_received_counter
from services.orders.api.problems import as_problem
from services.orders.domain.errors import OrdersDomainError
from services.orders.service.parking import Parking, ParkingMetrics
from services.orders.service.rate_limit import TokenBucketLimiter
from services.orders.service.resealing import Resealing
from services.orders.service.shops import ShopKeeping
from services.orders.service.webhook_intake import WebhookIntake
from services.orders.settings import OrdersSettings
from shared.http.auth import tokens_router
from shared.logging import configure_logging
from shared.service.clock import utc_now
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


def create_app(settings: ServiceSettings, *, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """The orders app. ``clock`` (aware, UTC) tells when a webhook is received, which bounds its
    ``occurred_at``, and stamps what it records; tests pass a fixed one."""
    orders_settings = (
        settings
        if isinstance(settings, OrdersSettings)
        else OrdersSettings.model_validate(settings.model_dump())
    )
    runtime = ServiceRuntime.from_settings(orders_settings)
    runtime.add_outbox_relay(outbox)
    box = SecretBox(orders_settings.secret_key_ring)
    shop_repository = ShopRepository(runtime.engine, box)
    shop_keeping = ShopKeeping(
        store=shop_repository,
        clock=clock,
        previous_secret_grace=orders_settings.previous_secret_grace,
    )
    runtime.workers.append(
        Resealing(shop_keeping, orders_settings.reseal_every_s, runtime.registry).run
    )
    runtime.workers.append(
        Parking(
            store=ParkingRepository(runtime.engine),
            park_after=orders_settings.park_after,
            sweep_every_s=orders_settings.park_sweep_s,
            metrics=ParkingMetrics.register(runtime.registry),
        ).run
    )
    app = build_app(
        runtime,
        title="orders",
        description="Signed order webhooks, commission plans and the order state machine; "
        "publishes orders.v1.",
        routers=[
            shops.router,
            plans.router,
            webhooks.router,
            orders.router,
            tokens_router(),
        ],
        body_limits=webhooks.BODY_LIMITS,
    )
    app.state.orders = OrdersContext(
        engine=runtime.engine,
        shop_keeping=shop_keeping,
        orders=OrderRepository(runtime.engine),
        plans=PlanRepository(runtime.engine),
        intake=WebhookIntake(
            shop_repository,
            lambda: OrdersUnitOfWork(runtime.engine, outbox=outbox),
            topic=orders_settings.topic_orders,
            group_size=orders_settings.webhook_group_size,
            group_wait_s=orders_settings.webhook_group_wait_ms / 1000,
        ),
        clock=clock,
        limiter=TokenBucketLimiter(
            rate_per_s=orders_settings.webhook_rate_per_s,
            burst=orders_settings.webhook_burst,
            clock=time.monotonic,
        ),
        failed_verifications=TokenBucketLimiter(
            rate_per_s=orders_settings.failed_verifications_per_s,
            burst=orders_settings.failed_verifications_burst,
            clock=time.monotonic,
        ),
        webhooks_received=webhooks_received_counter(runtime.registry),
    )
    app.add_exception_handler(OrdersDomainError, _on_domain_error)
    return app


def serving_app(settings: ServiceSettings) -> FastAPI:
    """The app as ``serve`` runs it: ``create_app``, then everything built so far (modules,
    routes, schemas) is moved out of the garbage collector's reach. A full collection then scans
    only what requests create: measured ~13 ms instead of ~84 ms, a pause every request in
    flight waits for. Not for tests, which build many apps in one process."""
    app = create_app(settings)
    gc.freeze()
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process when ``ORDERS_HTTP_WORKERS`` > 1 (uvicorn imports this in
    each process). Every process has its own pool, outbox relay (one publishes at a time),
    rate-limit buckets and metrics."""
    settings = OrdersSettings()
    configure_logging(settings.service_name, settings.log_level)
    return serving_app(settings)


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OrdersDomainError)
    return as_problem(exc).to_response(request.url.path)
