"""The in-process fold consumer: publishes ledger.v1 through the outbox and reports metrics."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from services.ledger.adapters.db.tables import processed_events
from services.ledger.app import build_ledger
from services.ledger.settings import LedgerSettings
from shared.db.outbox import OutgoingRecord
from shared.events import ledger_v1
from shared.events.envelope import from_kafka
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until
from tests.support.kafka import read_topic
from tests.support.ledger_db import migrate
from tests.support.ledger_events import OrderStream, envelope_record


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_folded_events_are_published_on_the_ledger_topic_and_counted() -> None:
    topics = {name: unique_name(f"fold_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    stream = OrderStream(seed=5).events(40)
    poison = OutgoingRecord(topics["orders"], b"o-x", b"[]", [("ce_id", b"bad")])
    async with fresh_database("ledger_consumer") as (url, engine):
        await migrate(url)
        settings = LedgerSettings(
            database_url_override=url,
            topic_orders=topics["orders"],
            topic_payouts=topics["payouts"],
            topic_ledger=topics["ledger"],
            consumer_group=unique_name("ledger"),
        )
        ledger = build_ledger(settings)
        runtime, registry = ledger.runtime, ledger.runtime.registry
        await runtime.sender.start()
        stop = asyncio.Event()
        workers = [asyncio.create_task(worker(stop)) for worker in runtime.workers]
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="fold-consumer-test")
        await sender.start()
        try:
            records = [envelope_record(topics["orders"], s) for s in stream]
            await sender.send_batch([*records[:20], poison, *records[20:]])

            async def all_folded() -> bool:
                async with engine.connect() as conn:
                    count = await conn.scalar(select(func.count()).select_from(processed_events))
                dead = sample(registry, "kafka_consumer_dead_letters_total", topic=topics["orders"])
                return count == len(stream) and dead == 1

            await wait_until(all_folded, timeout_s=60, interval_s=0.2)
            await wait_until(
                lambda: _lag_reported(registry, topics["orders"]), timeout_s=10, interval_s=0.2
            )
        finally:
            stop.set()
            await asyncio.gather(*workers)
            await sender.stop()
            await runtime.sender.stop()
            await runtime.engine.dispose()

    assert sample(registry, "ledger_events_folded_total") == len(stream)
    assert sample(registry, "kafka_consumer_batch_duration_seconds_count") >= 1
    assert sample(registry, "kafka_consumer_lag_seconds") == 0
    published = await read_topic(topics["ledger"], expected=len(stream))
    types = [from_kafka(r.key, r.value, r.headers).type for r in published]
    placed = sum(1 for s in stream if s.event.TYPE == "order.placed")
    assert types.count(ledger_v1.LedgerOrderPosted.TYPE) == placed
    dead = await read_topic(f"{topics['orders']}.dlq", expected=1)
    assert [dict(r.headers)["ce_id"] for r in dead] == [b"bad"]


async def _lag_reported(registry: CollectorRegistry, topic: str) -> bool:
    lags = [
        registry.get_sample_value(
            "kafka_consumer_lag_records", {"topic": topic, "partition": str(partition)}
        )
        for partition in range(3)
    ]
    return all(lag == 0 for lag in lags)
