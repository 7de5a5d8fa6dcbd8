"""Composition root of the payouts service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

from fastapi import FastAPI

from services.payouts.adapters.db.tables import outbox
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    return build_app(
        runtime,
        title="payouts",
        description="The payouts service of the settlement platform.",
        routers=[],
    )
