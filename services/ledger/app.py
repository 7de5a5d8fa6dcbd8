"""Composition root of the ledger service: settings -> adapters -> service -> api and workers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.ledger.adapters.db.tables import outbox
from services.ledger.adapters.kafka.fold_consumer import FoldConsumer
from services.ledger.adapters.metrics import LedgerMetrics
from services.ledger.api.routes import ledger_router
from services.ledger.service.decoding import RecordDecoder
from services.ledger.service.folding import LedgerFolder
from services.ledger.settings import LedgerSettings
from shared.service.clock import utc_now
from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings


@dataclass
class Ledger:
    """The ledger's runtime with its fold consumer added to the workers."""

    runtime: ServiceRuntime
    folder: LedgerFolder
    metrics: LedgerMetrics


def build_ledger(settings: LedgerSettings) -> Ledger:
    runtime = ServiceRuntime.from_settings(settings)
    runtime.add_outbox_relay(outbox)
    metrics = LedgerMetrics(runtime.registry)
    decoder = RecordDecoder(
        topic_orders=settings.topic_orders, topic_payouts=settings.topic_payouts
    )
    folder = LedgerFolder(
        runtime.engine, decoder, topic_ledger=settings.topic_ledger, clock=utc_now
    )
    consumer = FoldConsumer(
        engine=runtime.engine,
        folder=folder,
        send=runtime.sender.send_batch,
        metrics=metrics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        topics=decoder.topics,
        max_records=settings.fold_batch_size,
    )
    runtime.workers.append(consumer.run)
    return Ledger(runtime, folder, metrics)


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
