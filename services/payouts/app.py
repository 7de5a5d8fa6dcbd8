"""Composition root of the payouts service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

import functools
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.tables import outbox
from services.payouts.adapters.db.unit_of_work import PayoutsUnitOfWork
from services.payouts.adapters.kafka.ledger_consumer import consume_ledger
from services.payouts.adapters.ledger_client import LedgerHttpClient
from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.api.reconciliation import reconciliation_router
from services.payouts.api.routes import payouts_router
from services.payouts.api.simulated_bank import simulated_bank_router
from services.payouts.domain.payout_attempts import RetryPolicy
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.ports import (
    LedgerBalances,
    PayoutProvider,
    PayoutStatusLookup,
    UnitOfWork,
    UnitOfWorkFactory,
)
from services.payouts.service.queries import OwnViewQuery, PayoutsQueries
from services.payouts.service.reconciliation import Reconciler
from services.payouts.service.workers import (
    daily_payout_schedule,
    hold_gauges,
    payout_retries,
    periodic_reconciliation,
    release_scheduler,
)
from services.payouts.settings import PayoutsSettings
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.service.clock import utc_now
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


def unit_of_work_factory(
    engine: AsyncEngine, consumer: str, *, snapshot: bool = False
) -> UnitOfWorkFactory:
    """New units of work on `engine`, claiming ledger events in the inbox named `consumer`;
    `snapshot`: REPEATABLE READ ones."""

    def new_uow() -> UnitOfWork:
        return PayoutsUnitOfWork(engine, consumer, snapshot=snapshot)

    return new_uow


def create_app(
    settings: ServiceSettings,
    provider: PayoutProvider | None = None,
    ledger: LedgerBalances | None = None,
) -> FastAPI:
    """The service; `provider` defaults to the simulated bank configured by the settings (its
    books in this service's database, readable at `/v1/simulated-bank/*`), `ledger` to the
    ledger's HTTP API at `settings.ledger_base_url`. A provider that cannot be asked about
    payouts (`PayoutStatusLookup`) leaves payouts out of reconciliation."""
    if not isinstance(settings, PayoutsSettings):
        raise TypeError("the payouts service needs PayoutsSettings")
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    metrics = PayoutsMetrics(runtime.registry)
    bank = provider or SimulatedBank(
        settings.bank_failure_rate,
        settings.bank_seed,
        timeout_rate=settings.bank_timeout_rate,
        timeout_after_pay_rate=settings.bank_timeout_after_pay_rate,
        delay_ms=settings.bank_delay_ms,
        engine=runtime.engine,
    )
    new_uow = unit_of_work_factory(runtime.engine, settings.ledger_consumer_group)
    queries = PayoutsQueries(new_uow)
    runner = PayoutRunner(
        new_uow=new_uow,
        topic=settings.topic_payouts,
        provider=bank,
        metrics=metrics,
        provider_timeout_s=settings.bank_timeout_s,
        retry=RetryPolicy(settings.payout_retry_s, settings.payout_retry_max_s),
    )
    reconciler = Reconciler(
        view=OwnViewQuery(
            unit_of_work_factory(runtime.engine, settings.ledger_consumer_group, snapshot=True)
        ),
        ledger=ledger
        or LedgerHttpClient(settings.ledger_base_url, settings.admin_token.get_secret_value()),
        provider=bank if isinstance(bank, PayoutStatusLookup) else None,
        payout_window=timedelta(days=settings.reconciliation_payout_days),
        confirm_after_s=settings.reconciliation_confirm_s,
        metrics=metrics,
    )
    runtime.workers.append(
        functools.partial(
            consume_ledger,
            new_uow=new_uow,
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
            new_uow=new_uow,
            topic=settings.topic_payouts,
            batch_size=settings.release_batch_size,
            tick_s=settings.release_tick_s,
            metrics=metrics,
        )
    )
    runtime.workers.append(
        functools.partial(payout_retries, runner=runner, tick_s=settings.payout_retry_tick_s)
    )
    runtime.workers.append(
        functools.partial(
            hold_gauges, queries=queries, metrics=metrics, every_s=settings.metrics_refresh_s
        )
    )
    runtime.workers.append(
        functools.partial(
            periodic_reconciliation,
            reconciler=reconciler,
            every_s=settings.reconciliation_interval_s,
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
    simulated = bank if isinstance(bank, SimulatedBank) else None
    app = build_app(
        runtime,
        title="payouts",
        description="Holds, release when after-sales windows close, clawbacks and payout runs.",
        routers=[payouts_router(), reconciliation_router()]
        + ([simulated_bank_router()] if simulated is not None else []),
    )
    app.state.queries = queries
    app.state.payout_runner = runner
    app.state.reconciler = reconciler
    app.state.simulated_bank = simulated
    return app
