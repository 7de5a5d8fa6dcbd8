"""A producer that sends a batch of records and returns once the broker acknowledged all."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.db.outbox import OutgoingRecord
from shared.kafka.config import SEND_TIMEOUT_S, STOP_TIMEOUT_S, producer_config


class KafkaSender:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._config = producer_config(bootstrap_servers, client_id)
        self._started: AIOKafkaProducer | None = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._started is None:
            raise RuntimeError("KafkaSender.start() has not been awaited")
        return self._started

    async def start(self, timeout_s: float = 30.0) -> None:
        """Connect; aiokafka needs the running loop, so the producer is made here, not in init."""
        producer = AIOKafkaProducer(**self._config)
        await asyncio.wait_for(producer.start(), timeout_s)
        self._started = producer

    async def stop(self) -> None:
        producer, self._started = self._started, None
        if producer is not None:
            await asyncio.wait_for(producer.stop(), STOP_TIMEOUT_S)

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> None:
        """Send in order (per partition order is kept) and wait for every acknowledgement."""

        async def send_all() -> None:
            acks = [
                await self._producer.send(
                    record.topic, value=record.value, key=record.key, headers=list(record.headers)
                )
                for record in records
            ]
            await asyncio.gather(*acks)

        await asyncio.wait_for(send_all(), SEND_TIMEOUT_S)
