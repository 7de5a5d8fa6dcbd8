"""Composition root of the orders service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

from fastapi import FastAPI

from services.orders.adapters.db.tables import outbox
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    return build_app(
        runtime,
        title="orders",
        description="The orders service of the settlement platform.",
        routers=[],
    )
