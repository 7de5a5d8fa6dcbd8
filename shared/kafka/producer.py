"""A producer that sends a batch of records and returns once the broker acknowledged all."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.db.outbox import OutgoingRecord
from shared.kafka.config import SEND_TIMEOUT_S, STOP_TIMEOUT_S, producer_config


class KafkaSender:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._producer = AIOKafkaProducer(**producer_config(bootstrap_servers, client_id))
        self._started = False

    async def start(self, timeout_s: float = 30.0) -> None:
        await asyncio.wait_for(self._producer.start(), timeout_s)
        self._started = True

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await asyncio.wait_for(self._producer.stop(), STOP_TIMEOUT_S)

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
