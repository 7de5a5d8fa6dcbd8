"""Operator tools for ``<topic>.dlq``: list dead letters, and redrive them onto their topic.

A redriven record is the original (key, value and headers without the ``dlq_*`` ones), so it
keeps its CloudEvents id: if it had been folded after all, the inbox drops it. Progress is kept
as the committed offsets of the ``ledger-dlq-redrive`` group, so each dead letter is redriven
once; a record that fails again is dead-lettered again, at a new offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.ledger.adapters.kafka.topic_reader import read_to_end, topic_partitions
from shared.db.outbox import OutgoingRecord
from shared.kafka.config import STOP_TIMEOUT_S
from shared.kafka.consumer import ConsumedRecord
from shared.kafka.dead_letters import DLQ_HEADERS
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import dlq_topic

REDRIVE_GROUP = "ledger-dlq-redrive"
_DLQ_ONLY_HEADERS = (*DLQ_HEADERS, "dlq_failed_at")


def _headers(record: ConsumedRecord) -> dict[str, str]:
    return {name: value.decode("utf-8", "replace") for name, value in record.headers}


def describe(record: ConsumedRecord, redriven_before: int | None) -> dict[str, Any]:
    headers = _headers(record)
    return {
        "dlq_topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": (record.key or b"").decode("utf-8", "replace"),
        "ce_id": headers.get("ce_id"),
        "ce_type": headers.get("ce_type"),
        "error": headers.get("dlq_error"),
        "original_topic": headers.get("dlq_original_topic"),
        "original_partition": headers.get("dlq_original_partition"),
        "original_offset": headers.get("dlq_original_offset"),
        "failed_at": headers.get("dlq_failed_at"),
        "redriven": redriven_before is not None and record.offset < redriven_before,
    }


def original(record: ConsumedRecord) -> OutgoingRecord:
    """The record as it was before it was dead-lettered, bound for its original topic."""
    headers = _headers(record)
    topic = headers.get("dlq_original_topic") or record.topic.removesuffix(".dlq")
    return OutgoingRecord(
        topic=topic,
        key=record.key or b"",
        value=record.value or b"",
        headers=[(n, v) for n, v in record.headers if n not in _DLQ_ONLY_HEADERS],
    )


class _RedriveProgress:
    """Committed offsets of the redrive group on the dead-letter partitions."""

    def __init__(self, bootstrap_servers: str, dlq_topics: Sequence[str]) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=REDRIVE_GROUP, enable_auto_commit=False
        )
        self._topics = list(dlq_topics)
        self._bootstrap_servers = bootstrap_servers

    async def __aenter__(self) -> _RedriveProgress:
        self.partitions = await topic_partitions(self._bootstrap_servers, self._topics)
        await asyncio.wait_for(self._consumer.start(), 30)
        if self.partitions:
            self._consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.wait_for(self._consumer.stop(), STOP_TIMEOUT_S)

    async def committed(self) -> dict[TopicPartition, int]:
        found = {tp: await self._consumer.committed(tp) for tp in self.partitions}
        return {tp: offset for tp, offset in found.items() if offset is not None}

    async def commit(self, records: Sequence[ConsumedRecord]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        await self._consumer.commit(offsets)


async def list_dead_letters(bootstrap_servers: str, topics: Sequence[str]) -> list[dict[str, Any]]:
    dlqs = [dlq_topic(topic) for topic in topics]
    async with _RedriveProgress(bootstrap_servers, dlqs) as progress:
        committed = await progress.committed()
    found = []
    async for batch in read_to_end(bootstrap_servers, dlqs):
        for record in batch:
            tp = TopicPartition(record.topic, record.partition)
            found.append(describe(record, committed.get(tp)))
    return found


async def redrive(bootstrap_servers: str, topics: Sequence[str]) -> dict[str, int]:
    """Send every dead letter not redriven yet back to its topic; returns how many."""
    dlqs = [dlq_topic(topic) for topic in topics]
    sender = KafkaSender(bootstrap_servers, client_id="ledger-dlq-redrive")
    await sender.start()
    redriven = 0
    try:
        async with _RedriveProgress(bootstrap_servers, dlqs) as progress:
            start = await progress.committed()
            async for batch in read_to_end(bootstrap_servers, dlqs, start_offsets=start):
                await sender.send_batch([original(record) for record in batch])
                await progress.commit(batch)
                redriven += len(batch)
    finally:
        await sender.stop()
    return {"redriven": redriven}
