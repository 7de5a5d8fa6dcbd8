"""Batch consumption with manual positions.

Positions are the consumer's to keep: `load_positions` (usually reading the service's own
database) is asked on every partition assignment, and the consumer seeks there, so a crash between
a database commit and a Kafka offset commit neither loses nor repeats work. Kafka's committed
offsets are still updated after each batch so standard tools can show the group's lag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from shared.kafka.config import STOP_TIMEOUT_S, consumer_config

PositionKey = tuple[str, int]
LoadPositions = Callable[[], Awaitable[Mapping[PositionKey, int]]]


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int

    @classmethod
    def from_aiokafka(cls, record: Any) -> ConsumedRecord:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=tuple(record.headers or ()),
            timestamp_ms=record.timestamp,
        )

    @property
    def position_key(self) -> PositionKey:
        return (self.topic, self.partition)


def next_offsets(records: Sequence[ConsumedRecord]) -> dict[PositionKey, int]:
    """The offset to read next on each partition once `records` are handled."""
    result: dict[PositionKey, int] = {}
    for record in records:
        result[record.position_key] = max(result.get(record.position_key, 0), record.offset + 1)
    return result


class _SeekToStoredPositions(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: AIOKafkaConsumer, load_positions: LoadPositions | None) -> None:
        self._consumer = consumer
        self._load_positions = load_positions

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        if self._load_positions is None:
            return
        stored = await self._load_positions()
        for tp in assigned:
            offset = stored.get((tp.topic, tp.partition))
            if offset is not None:
                self._consumer.seek(tp, offset)


class BatchConsumer:
    """Batches from `topics`, as a member of `group_id`, or with `group_id=None` alone: every
    partition, from the earliest record, nothing committed (every process sees every record)."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str | None,
        topics: Sequence[str],
        *,
        client_id: str,
        load_positions: LoadPositions | None = None,
        max_records: int = 500,
    ) -> None:
        self._config = consumer_config(bootstrap_servers, group_id, client_id)
        self._topics = list(topics)
        self._max_records = max_records
        self._load_positions = load_positions
        self._started: AIOKafkaConsumer | None = None

    @property
    def _consumer(self) -> AIOKafkaConsumer:
        if self._started is None:
            raise RuntimeError("BatchConsumer.start() has not been awaited")
        return self._started

    async def start(self, timeout_s: float = 30.0) -> None:
        """Join the group; aiokafka needs the running loop, so the client is made here."""
        consumer = AIOKafkaConsumer(**self._config)
        consumer.subscribe(
            self._topics, listener=_SeekToStoredPositions(consumer, self._load_positions)
        )
        await asyncio.wait_for(consumer.start(), timeout_s)
        self._started = consumer

    async def stop(self) -> None:
        consumer, self._started = self._started, None
        if consumer is not None:
            await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT_S)

    async def next_batch(self, timeout_ms: int = 200) -> list[ConsumedRecord]:
        fetched = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=self._max_records)
        return [
            ConsumedRecord.from_aiokafka(record)
            for records in fetched.values()
            for record in records
        ]

    async def commit(self, offsets: Mapping[PositionKey, int]) -> None:
        """Record progress in Kafka's group offsets (informational when positions live in a DB)."""
        if offsets:
            await self._consumer.commit(
                {TopicPartition(topic, partition): o for (topic, partition), o in offsets.items()}
            )

    async def seek(self, offsets: Mapping[PositionKey, int]) -> None:
        for (topic, partition), offset in offsets.items():
            self._consumer.seek(TopicPartition(topic, partition), offset)

    async def caught_up_at(self) -> float | None:
        """The latest time (Unix seconds, from the broker's last fetch answers) at which this
        consumer had every record of every assigned partition, or None while it is behind or has
        no partition (the topic does not exist yet)."""
        assignment = self._consumer.assignment()
        times: list[int] = []
        for tp in assignment:
            highwater = self._consumer.highwater(tp)
            fetched_at = self._consumer.last_poll_timestamp(tp)
            if highwater is None or fetched_at is None:
                return None
            if await self._consumer.position(tp) < highwater:
                return None
            times.append(fetched_at)
        return min(times) / 1000 if times else None

    async def lag(self) -> dict[PositionKey, int]:
        """Records between this consumer's position and each partition's high-water mark."""
        result: dict[PositionKey, int] = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self._consumer.position(tp)
            result[(tp.topic, tp.partition)] = max(0, highwater - position)
        return result
