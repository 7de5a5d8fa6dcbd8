"""Composition root of the payouts service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from services.payouts.adapters.db.tables import outbox
from services.payouts.adapters.kafka.ledger_consumer import consume_ledger
from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.api.routes import payouts_router
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.ports import PayoutProvider
from services.payouts.service.workers import daily_payout_schedule, hold_gauges, release_scheduler
from services.payouts.settings import PayoutsSettings
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.service.clock import utc_now
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


def create_app(settings: ServiceSettings, provider: PayoutProvider | None = None) -> FastAPI:
    """The service; `provider` defaults to the simulated bank configured by the settings."""
    if not isinstance(settings, PayoutsSettings):
        raise TypeError("the payouts service needs PayoutsSettings")
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    metrics = PayoutsMetrics(runtime.registry)
    runner = PayoutRunner(
        engine=runtime.engine,
        outbox=outbox,
        topic=settings.topic_payouts,
        provider=provider or SimulatedBank(settings.bank_failure_rate, settings.bank_seed),
        metrics=metrics,
    )
    runtime.workers.append(
        functools.partial(
            consume_ledger,
            engine=runtime.engine,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topic=settings.topic_ledger,
            group_id=settings.ledger_consumer_group,
            send_dead_letters=runtime.sender.send_batch,
            metrics=ConsumerMetrics(runtime.registry),
        )
    )
    runtime.workers.append(
        functools.partial(
            release_scheduler,
            engine=runtime.engine,
            outbox=outbox,
            topic=settings.topic_payouts,
            batch_size=settings.release_batch_size,
            tick_s=settings.release_tick_s,
            metrics=metrics,
        )
    )
    runtime.workers.append(
        functools.partial(
            hold_gauges, engine=runtime.engine, metrics=metrics, every_s=settings.metrics_refresh_s
        )
    )
    if settings.payout_schedule_enabled:
        runtime.workers.append(
            functools.partial(
                daily_payout_schedule,
                runner=runner,
                at=settings.payout_schedule_at,
                poll_s=settings.payout_schedule_poll_s,
                clock=utc_now,
            )
        )
    app = build_app(
        runtime,
        title="payouts",
        description="Holds, release when after-sales windows close, clawbacks and payout runs.",
        routers=[payouts_router()],
    )
    app.state.payout_runner = runner
    return app
