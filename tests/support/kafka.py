"""Reading a topic back from the real broker in tests, with a bounded wait."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka.consumer import ConsumedRecord
from tests.support.infra import KAFKA_BOOTSTRAP


async def read_topic(topic: str, expected: int, timeout_s: float = 30.0) -> list[ConsumedRecord]:
    """All records of `topic` from the start, once `expected` arrived or time is up."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA_BOOTSTRAP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        consumer.assign([TopicPartition(topic, p) for p in await partitions_of(topic)])
        found: list[ConsumedRecord] = []
        while len(found) < expected and asyncio.get_running_loop().time() < deadline:
            found.extend(_records(await consumer.getmany(timeout_ms=200)))
        # A short grace period catches anything published beyond what was expected.
        found.extend(_records(await consumer.getmany(timeout_ms=300)))
        return found
    finally:
        await consumer.stop()


def _records(fetched: dict[TopicPartition, list[Any]]) -> list[ConsumedRecord]:
    return [ConsumedRecord.from_aiokafka(r) for records in fetched.values() for r in records]


async def partitions_of(topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP)
    await admin.start()
    try:
        (description,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for p in description["partitions"])
