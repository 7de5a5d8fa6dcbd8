"""Consumes ledger.v1 exactly once: decode a batch of records, hand it to
``service.handlers.handle_ledger_events`` (state, dedupe markers and positions commit together)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.payouts.service.handlers import (
    LedgerMessage,
    handle_ledger_events,
    skip_ledger_records,
    stored_ledger_positions,
)
from services.payouts.service.ports import UnitOfWorkFactory
from shared.events import ledger_v1
from shared.kafka.consumer import BatchConsumer, ConsumedRecord, PositionKey, next_offsets
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.kafka.dead_letters import SendBatch
from shared.kafka.worker import consume_forever


def decode_batch(records: Sequence[ConsumedRecord]) -> list[LedgerMessage]:
    """Every record as a message; a malformed one raises (ValueError) before anything is
    written, and the consumer loop isolates and dead-letters it."""
    return [LedgerMessage(*ledger_v1.decode_record(r.key, r.value, r.headers)) for r in records]


class LedgerBatchConsumer:
    """`BatchHandler` for ledger.v1: one unit of work per batch (or per isolated record)."""

    def __init__(self, new_uow: UnitOfWorkFactory) -> None:
        self._new_uow = new_uow

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        await handle_ledger_events(decode_batch(records), next_offsets(records), self._new_uow())

    async def skip(self, record: ConsumedRecord) -> None:
        await skip_ledger_records({record.position_key: record.offset + 1}, self._new_uow())

    async def stored_positions(self) -> dict[PositionKey, int]:
        return await stored_ledger_positions(self._new_uow())


async def consume_ledger(
    stop: asyncio.Event,
    *,
    new_uow: UnitOfWorkFactory,
    bootstrap_servers: str,
    topic: str,
    group_id: str,
    send_dead_letters: SendBatch,
    metrics: ConsumerMetrics | None = None,
    max_records: int = 500,
) -> None:
    """Worker: fold ledger.v1 until `stop` (shared loop: retries, dead letters, seek-back).
    `new_uow` claims in the inbox named `group_id`."""
    handler = LedgerBatchConsumer(new_uow)
    consumer = BatchConsumer(
        bootstrap_servers,
        group_id,
        [topic],
        client_id=f"{group_id}-consumer",
        load_positions=handler.stored_positions,
        max_records=max_records,
    )
    await consume_forever(
        stop,
        consumer=consumer,
        handler=handler,
        stored_positions=handler.stored_positions,
        send_dead_letters=send_dead_letters,
        name=group_id,
        metrics=metrics,
    )
