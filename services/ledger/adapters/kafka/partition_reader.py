"""Reading chosen partitions of the replay's topics, each up to an end offset fixed beforehand.

For the replay's worker processes: each reads its own partitions (no consumer group, nothing
committed, so the live consumer is never disturbed), so reading is parallel as well as folding.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.ledger.adapters.kafka.topic_reader import topic_partitions
from shared.kafka.config import STOP_TIMEOUT_S
from shared.kafka.consumer import ConsumedRecord

FETCH_RECORDS = 10_000
"""Records per fetch."""


@dataclass(frozen=True, slots=True)
class PartitionRange:
    """Offsets ``start`` (included) to ``end`` (excluded) of one partition."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


async def partition_ranges(bootstrap_servers: str, topics: Sequence[str]) -> list[PartitionRange]:
    """Every partition of the topics that exist, from its first to its current end offset."""
    partitions = await topic_partitions(bootstrap_servers, topics)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        isolation_level="read_committed",  # ends at the last stable offset, as reading does
    )
    await asyncio.wait_for(consumer.start(), 30)
    try:
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
    finally:
        await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT_S)
    return [PartitionRange(tp.topic, tp.partition, starts[tp], ends[tp]) for tp in partitions]


async def read_ranges(
    bootstrap_servers: str,
    ranges: Sequence[PartitionRange],
    progress: Callable[[int], None] | None = None,
) -> list[ConsumedRecord]:
    """Every record of ``ranges`` (partition order within a partition, partitions interleaved);
    ``progress(n)`` after each fetch of ``n`` records."""
    wanted = {TopicPartition(r.topic, r.partition): r for r in ranges if r.size > 0}
    records: list[ConsumedRecord] = []
    if not wanted:
        return records
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # a start deleted meanwhile: from the first one kept
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await asyncio.wait_for(consumer.start(), 30)
    try:
        consumer.assign(list(wanted))
        for tp, wanted_range in wanted.items():
            consumer.seek(tp, wanted_range.start)
        remaining = set(wanted)
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=FETCH_RECORDS)
            before = len(records)
            for tp, batch in fetched.items():
                end = wanted[tp].end
                records += [ConsumedRecord.from_aiokafka(r) for r in batch if r.offset < end]
            for tp in list(remaining):
                if await consumer.position(tp) >= wanted[tp].end:
                    remaining.discard(tp)
            if progress is not None and len(records) > before:
                progress(len(records) - before)
    finally:
        await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT_S)
    return records
