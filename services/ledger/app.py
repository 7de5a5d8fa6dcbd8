"""Composition root of the ledger service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from fastapi import FastAPI

from services.ledger.adapters.db.tables import outbox
from services.ledger.adapters.kafka.fold_consumer import consume_and_fold
from services.ledger.adapters.metrics import FoldedEvents
from services.ledger.api.routes import ledger_router
from services.ledger.service.decoding import RecordDecoder
from services.ledger.service.folding import LedgerFolder
from services.ledger.settings import LedgerSettings
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.service.clock import utc_now
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


@dataclass
class Ledger:
    """The ledger's runtime with its fold consumer added to the workers."""

    runtime: ServiceRuntime
    folder: LedgerFolder


def build_ledger(settings: LedgerSettings) -> Ledger:
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    decoder = RecordDecoder(
        topic_orders=settings.topic_orders, topic_payouts=settings.topic_payouts
    )
    folder = LedgerFolder(
        runtime.engine,
        decoder,
        topic_ledger=settings.topic_ledger,
        clock=utc_now,
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
        routers=[ledger_router()],
    )
