"""The release scheduler on real PostgreSQL and Kafka: once per hold, never early, any replicas."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from services.payouts.adapters.db.holds_repository import insert_hold
from services.payouts.adapters.db.tables import holds, outbox
from services.payouts.domain.holds import Hold, PartyAmount, deliver
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.workers import release_scheduler
from shared.db.engine import make_engine
from shared.db.outbox_relay import OutboxRelay
from shared.events import payouts_v1
from shared.events.envelope import from_kafka
from shared.kafka.producer import KafkaSender
from tests.support.holds import posted_hold
from tests.support.infra import KAFKA_BOOTSTRAP, wait_until
from tests.support.kafka import read_topic
from tests.support.payouts import migrated_database, unique_topics, uow_factory

DUE_HOLDS = 1_000
REPLICAS = 3


def delivered_hold(order_id: str, delivered_at: datetime) -> Hold:
    legs = [PartyAmount("merchant", "shop-1", 900), PartyAmount("creator", "c-1", 100)]
    return deliver(posted_hold(order_id, legs), delivered_at)


async def test_three_racing_schedulers_release_each_of_a_thousand_due_holds_exactly_once() -> None:
    _, payouts_topic = await unique_topics()
    long_ago = datetime.now(UTC) - timedelta(days=40)
    just_now = datetime.now(UTC)
    due_ids = [f"due-{n:04d}" for n in range(DUE_HOLDS)]
    not_due_ids = [f"not-due-{n}" for n in range(5)]

    async with migrated_database() as (url, engine):
        async with engine.begin() as conn:
            for order_id in due_ids:
                await insert_hold(conn, delivered_hold(order_id, long_ago))
            for order_id in not_due_ids:
                await insert_hold(conn, delivered_hold(order_id, just_now))

        replicas = [make_engine(url, pool_size=2) for _ in range(REPLICAS)]
        registries = [CollectorRegistry() for _ in range(REPLICAS)]
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="release-race-test")
        await sender.start()
        relay = OutboxRelay(engine, outbox, sender.send_batch, batch_size=500)
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(
                release_scheduler(
                    stop,
                    new_uow=uow_factory(replica),
                    topic=payouts_topic,
                    batch_size=25,
                    tick_s=0.05,
                    metrics=PayoutsMetrics(registry),
                )
            )
            for replica, registry in zip(replicas, registries, strict=True)
        ]
        workers.append(asyncio.create_task(relay.run(stop)))

        async def count(status: str) -> int:
            async with engine.connect() as conn:
                found = await conn.scalar(
                    select(func.count()).select_from(holds).where(holds.c.status == status)
                )
            return int(found or 0)

        async def nothing_left_to_publish() -> bool:
            backlog = await relay.backlog()
            return await count("released") == DUE_HOLDS and backlog.unpublished == 0

        try:
            await wait_until(nothing_left_to_publish, timeout_s=120)
        finally:
            stop.set()
            await asyncio.gather(*workers)
            await sender.stop()
            for replica in replicas:
                await replica.dispose()
        still_holding = await count("holding")

    records = await read_topic(payouts_topic, expected=DUE_HOLDS)
    events = [payouts_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
    per_order = Counter(e.order_id for e in events if isinstance(e, payouts_v1.SettlementReleased))
    assert set(per_order) == set(due_ids)
    assert set(per_order.values()) == {1}
    assert still_holding == len(not_due_ids)
    released_per_replica = [
        registry.get_sample_value("payouts_releases_total") or 0 for registry in registries
    ]
    assert sum(released_per_replica) == DUE_HOLDS
    total_amount = sum(
        registry.get_sample_value("payouts_released_amount_total", {"currency": "GBP"}) or 0
        for registry in registries
    )
    assert total_amount == DUE_HOLDS * 1_000


async def test_a_hold_is_not_released_before_its_release_instant() -> None:
    _, payouts_topic = await unique_topics()
    async with migrated_database() as (_, engine):
        async with engine.begin() as conn:
            await insert_hold(conn, delivered_hold("o-1", datetime.now(UTC) - timedelta(days=15)))
            await conn.execute(
                holds.update().values(release_at=func.now() + timedelta(seconds=1.5))
            )
        stop = asyncio.Event()
        scheduler = asyncio.create_task(
            functools.partial(
                release_scheduler,
                new_uow=uow_factory(engine),
                topic=payouts_topic,
                batch_size=10,
                tick_s=0.05,
            )(stop)
        )

        async def status_and_times() -> tuple[str, datetime | None, datetime | None]:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(
                        select(holds.c.status, holds.c.release_at, holds.c.released_at)
                    )
                ).one()
            return row.status, row.release_at, row.released_at

        async def released() -> bool:
            return (await status_and_times())[0] == "released"

        try:
            await asyncio.sleep(0.5)  # several ticks pass before the hold is due
            assert (await status_and_times())[0] == "holding"
            await wait_until(released, timeout_s=10)
        finally:
            stop.set()
            await scheduler
        _, release_at, released_at = await status_and_times()
    assert release_at is not None and released_at is not None
    assert released_at >= release_at
