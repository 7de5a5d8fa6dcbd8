"""Has the payouts service folded everything the ledger published?

The ledger's outbox is drained (its ``/metrics`` shows ``outbox_unpublished_rows 0``) and the
payouts consumer group's committed offsets reach the end of every partition of the ledger
topic. The payouts consumer commits those offsets only after the database transaction that
folded the records, so the group's offsets are a safe lower bound of what it has applied.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition


@dataclass(frozen=True)
class Pipeline:
    """Where to look: Kafka, the ledger topic and the payouts service's consumer group."""

    bootstrap: str
    ledger_topic: str
    payouts_group: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Pipeline:
        source = os.environ if env is None else env
        return cls(
            bootstrap=source.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            ledger_topic=source.get("TOPIC_LEDGER", "ledger.v1"),
            payouts_group=source.get("PAYOUTS_LEDGER_CONSUMER_GROUP", "payouts-ledger"),
        )


def outbox_drained(service_url: str) -> bool:
    """True when the service's ``/metrics`` reports no unpublished outbox row."""
    try:
        text = httpx.get(f"{service_url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return False
    for line in text.splitlines():
        if line.startswith("outbox_unpublished_rows "):
            return float(line.split()[1]) == 0
    return False


async def _group_behind(pipeline: Pipeline) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=pipeline.bootstrap, request_timeout_ms=5_000)
    consumer = AIOKafkaConsumer(bootstrap_servers=pipeline.bootstrap, request_timeout_ms=5_000)
    await admin.start()
    await consumer.start()
    try:
        (described,) = await admin.describe_topics([pipeline.ledger_topic])
        if described["error_code"] or not described["partitions"]:
            raise RuntimeError(f"topic {pipeline.ledger_topic} is not readable")
        partitions = [
            TopicPartition(pipeline.ledger_topic, p["partition"]) for p in described["partitions"]
        ]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(pipeline.payouts_group)
        return sum(
            max(0, ends[tp] - (committed[tp].offset if tp in committed else 0)) for tp in partitions
        )
    finally:
        await consumer.stop()
        await admin.close()


def payouts_caught_up(pipeline: Pipeline, ledger_url: str) -> bool:
    """True when every ledger event is published and folded by the payouts service."""
    if not outbox_drained(ledger_url):
        return False
    return asyncio.run(asyncio.wait_for(_group_behind(pipeline), 15)) == 0
