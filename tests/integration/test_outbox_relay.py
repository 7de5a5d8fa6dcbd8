"""The transactional outbox against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from sqlalchemy import MetaData, func, select

from shared.db.outbox import OutgoingRecord, add_to_outbox, define_outbox_table
from shared.db.outbox_relay import OutboxRelay
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until
from tests.support.kafka import read_topic

WRITERS = 8
TRANSACTIONS_PER_WRITER = 40
KEYS = [f"order-{n}".encode() for n in range(6)]


async def test_relay_publishes_every_committed_row_in_commit_order_per_key() -> None:
    topic = unique_name("outbox_test")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic])
    metadata = MetaData()
    outbox = define_outbox_table(metadata)
    rng = random.Random(20261122)
    committed: dict[bytes, list[bytes]] = defaultdict(list)
    rolled_back: list[bytes] = []

    async with fresh_database("outbox") as (_, engine):
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="outbox-test")
        await sender.start()
        relay = OutboxRelay(engine, outbox, sender.send_batch, batch_size=37, poll_interval_s=0.01)
        stop = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(stop))

        async def writer(writer_id: int) -> None:
            for n in range(TRANSACTIONS_PER_WRITER):
                key = rng.choice(KEYS)
                value = f"{writer_id}-{n}".encode()
                abort = rng.random() < 0.1
                async with engine.connect() as conn:
                    transaction = await conn.begin()
                    # A random delay before the insert lets ids interleave across writers.
                    await asyncio.sleep(rng.random() * 0.01)
                    record = OutgoingRecord(topic, key, value, [("ce_id", value)])
                    await add_to_outbox(conn, outbox, topic, [record])
                    # The key stays locked until commit: this is the key's commit order.
                    committed[key].append(value)
                    # ...and a random delay before commit makes some rows commit late.
                    await asyncio.sleep(rng.random() * 0.02)
                    if abort:
                        committed[key].pop()
                        rolled_back.append(value)
                        await transaction.rollback()
                    else:
                        await transaction.commit()

        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
        total = sum(len(values) for values in committed.values())

        async def all_published() -> bool:
            async with engine.connect() as conn:
                unpublished = await conn.scalar(
                    select(func.count()).where(outbox.c.published_at.is_(None))
                )
            return unpublished == 0

        await wait_until(all_published, timeout_s=60)
        stop.set()
        await relay_task
        await sender.stop()

    records = await read_topic(topic, expected=total)
    published: dict[bytes, list[bytes]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert record.key is not None and record.value is not None
        published[record.key].append(record.value)

    assert len(records) == total
    assert rolled_back, "the test should have rolled some transactions back"
    assert not set(rolled_back) & {v for values in published.values() for v in values}
    assert dict(published) == dict(committed)
    assert all(dict(r.headers)["ce_id"] == r.value for r in records)
