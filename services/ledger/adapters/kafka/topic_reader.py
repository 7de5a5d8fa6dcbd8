"""Reading whole topics from the beginning to where they ended when reading began.

For the replay and the dead-letter commands: no consumer group, no offsets committed, so reading
never disturbs the live consumer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka.config import STOP_TIMEOUT_S
from shared.kafka.consumer import ConsumedRecord


async def read_to_end(
    bootstrap_servers: str,
    topics: Sequence[str],
    *,
    batch_size: int = 1000,
    start_offsets: dict[TopicPartition, int] | None = None,
) -> AsyncIterator[list[ConsumedRecord]]:
    """Batches of every record of ``topics`` (from ``start_offsets`` or the beginning) up to each
    partition's end offset at the start; stops by itself."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    partitions = await topic_partitions(bootstrap_servers, topics)
    await asyncio.wait_for(consumer.start(), 30)
    try:
        if not partitions:
            return
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        for tp, offset in (start_offsets or {}).items():
            consumer.seek(tp, offset)
        remaining = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=batch_size)
            batch = [
                ConsumedRecord.from_aiokafka(record)
                for tp, records in fetched.items()
                for record in records
                if record.offset < ends[tp]
            ]
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if batch:
                yield batch
    finally:
        await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT_S)


async def topic_partitions(bootstrap_servers: str, topics: Sequence[str]) -> list[TopicPartition]:
    """The partitions of the topics that exist (a missing topic has none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15_000)
    await asyncio.wait_for(admin.start(), 30)
    try:
        descriptions = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return sorted(
        TopicPartition(description["topic"], partition["partition"])
        for description in descriptions
        if description.get("error_code", 0) == 0
        for partition in description["partitions"]
    )
