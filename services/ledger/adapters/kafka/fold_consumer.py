"""The ledger's consumer: batches from the orders and payouts topics, decoded and handed to
``service.handlers.fold_batch``.

It is the shared consume loop (``shared.kafka.worker.consume_forever``: dead letters, seek-back
to the stored positions after a failed batch, restart after a broker outage, consumer metrics)
with ``LedgerFoldConsumer`` as the batch handler. Positions live in the ledger's database and are
committed with each batch; Kafka's group offsets are only mirrored for tooling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.tables import consumer_positions
from services.ledger.adapters.db.unit_of_work import is_conflict
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.service.handlers import CONSUMER_NAME, FoldBatch, fold_batch, skip_record
from services.ledger.service.ports import LedgerUnitOfWork
from shared.db.inbox import load_positions
from shared.kafka.consumer import BatchConsumer, ConsumedRecord, PositionKey, next_offsets
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.kafka.dead_letters import SendBatch
from shared.kafka.worker import consume_forever

CONFLICT_ATTEMPTS = 5


class LedgerFoldConsumer:
    """The ``BatchHandler`` of the ledger's consumer (see ``process_with_dead_letters``)."""

    def __init__(
        self,
        decode: RecordDecoder,
        unit_of_work: Callable[[], LedgerUnitOfWork],
        clock: Callable[[], datetime],
    ) -> None:
        self._decode = decode
        self._unit_of_work = unit_of_work
        self._clock = clock
        self.folded_total = 0
        """Events folded (new ones; duplicates are not counted) since start."""

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        """Decode and fold ``records`` in one transaction; a deadlock or serialization failure
        with a concurrent folder (e.g. two replicas during a rebalance) retries the batch."""
        batch = FoldBatch([self._decode(record) for record in records], next_offsets(records))
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                self.folded_total += await fold_batch(batch, self._unit_of_work(), self._clock)
                return
            except Exception as error:
                if attempt == CONFLICT_ATTEMPTS or not is_conflict(error):
                    raise
                await asyncio.sleep(0.01 * attempt)

    async def skip(self, record: ConsumedRecord) -> None:
        await skip_record(next_offsets([record]), self._unit_of_work())


def stored_positions(engine: AsyncEngine) -> Callable[[], Awaitable[Mapping[PositionKey, int]]]:
    async def load() -> Mapping[PositionKey, int]:
        async with engine.connect() as conn:
            return await load_positions(conn, consumer_positions, CONSUMER_NAME)

    return load


async def consume_and_fold(
    stop: asyncio.Event,
    *,
    engine: AsyncEngine,
    folder: LedgerFoldConsumer,
    send_dead_letters: SendBatch,
    metrics: ConsumerMetrics,
    bootstrap_servers: str,
    group_id: str,
    topics: Sequence[str],
    max_records: int = 500,
) -> None:
    """Worker: fold the input topics until ``stop``."""
    load = stored_positions(engine)
    consumer = BatchConsumer(
        bootstrap_servers,
        group_id,
        list(topics),
        client_id="ledger-fold",
        load_positions=load,
        max_records=max_records,
    )
    await consume_forever(
        stop,
        consumer=consumer,
        handler=folder,
        stored_positions=load,
        send_dead_letters=send_dead_letters,
        name=CONSUMER_NAME,
        metrics=metrics,
    )
