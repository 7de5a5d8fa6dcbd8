"""The ledger's consumer: batches from the orders and payouts topics, folded exactly once.

It is the shared consume loop (``shared.kafka.worker.consume_forever``: dead letters, seek-back
to the stored positions after a failed batch, restart after a broker outage, consumer metrics)
with the ledger's folder as the batch handler. Positions live in the ledger's database and are
committed with each batch; Kafka's group offsets are only mirrored for tooling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.tables import consumer_positions
from services.ledger.service.folding import CONSUMER_NAME, LedgerFolder
from shared.db.inbox import load_positions
from shared.kafka.consumer import BatchConsumer, PositionKey
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.kafka.dead_letters import SendBatch
from shared.kafka.worker import consume_forever


def stored_positions(engine: AsyncEngine) -> Callable[[], Awaitable[Mapping[PositionKey, int]]]:
    async def load() -> Mapping[PositionKey, int]:
        async with engine.connect() as conn:
            return await load_positions(conn, consumer_positions, CONSUMER_NAME)

    return load


async def consume_and_fold(
    stop: asyncio.Event,
    *,
    engine: AsyncEngine,
    folder: LedgerFolder,
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
