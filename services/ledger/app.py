"""Composition root of the ledger service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.placed_cache import PLACED_CACHE_ORDERS, PlacedCache
from services.ledger.adapters.db.read_repository import SqlLedgerReads
from services.ledger.adapters.db.tables import outbox
from services.ledger.adapters.db.unit_of_work import SqlLedgerUnitOfWork
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.adapters.kafka.fold_consumer import LedgerFoldConsumer, consume_and_fold
from services.ledger.adapters.metrics import FoldedEvents
from services.ledger.api.routes import ledger_router
from services.ledger.service.queries import LedgerQueries
from services.ledger.settings import LedgerSettings
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.service.clock import utc_now
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


@dataclass
class Ledger:
    """The ledger's runtime with its fold consumer added to the workers."""

    runtime: ServiceRuntime
    folder: LedgerFoldConsumer


def build_fold_consumer(
    engine: AsyncEngine,
    decoder: RecordDecoder,
    *,
    topic_ledger: str,
    clock: Callable[[], datetime] = utc_now,
    placed_cache_orders: int = PLACED_CACHE_ORDERS,
) -> LedgerFoldConsumer:
    """The fold's batch handler: decode, then ``fold_batch`` in a new unit of work per batch
    (the placement cache is shared by all of them)."""
    cache = PlacedCache(placed_cache_orders)
    return LedgerFoldConsumer(
        decoder,
        lambda: SqlLedgerUnitOfWork(engine, topic_ledger=topic_ledger, cache=cache),
        clock,
    )


def build_ledger(settings: LedgerSettings) -> Ledger:
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    decoder = RecordDecoder(
        topic_orders=settings.topic_orders, topic_payouts=settings.topic_payouts
    )
    folder = build_fold_consumer(
        runtime.engine,
        decoder,
        topic_ledger=settings.topic_ledger,
        placed_cache_orders=settings.placed_cache_orders,
    )
    FoldedEvents(lambda: folder.folded_total).register(runtime.registry)
    runtime.workers.append(
        functools.partial(
            consume_and_fold,
            engine=runtime.engine,
            folder=folder,
            send_dead_letters=runtime.sender.send_batch,
            metrics=ConsumerMetrics(runtime.registry),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.consumer_group,
            topics=decoder.topics,
            max_records=settings.fold_batch_size,
        )
    )
    return Ledger(runtime, folder)


def create_app(settings: ServiceSettings) -> FastAPI:
    if not isinstance(settings, LedgerSettings):
        raise TypeError("the ledger needs LedgerSettings")
    ledger = build_ledger(settings)
    return build_app(
        ledger.runtime,
        title="ledger",
        description="The ledger service: an append-only journal folded exactly once from Kafka.",
        routers=[ledger_router(LedgerQueries(SqlLedgerReads(ledger.runtime.engine)))],
    )
