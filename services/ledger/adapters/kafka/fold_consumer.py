"""The ledger's consumer loop: batches from orders + payouts topics, folded exactly once.

Positions live in the ledger's database (committed with each batch); Kafka's group offsets are
only updated afterwards for tooling. On any failure that is not a poison record (the database or
broker is down) the loop seeks back to the stored positions and tries again after a pause, so
nothing consumed but uncommitted is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.tables import consumer_positions
from services.ledger.adapters.metrics import LedgerMetrics
from services.ledger.service.folding import CONSUMER_NAME, LedgerFolder
from shared.db.inbox import load_positions
from shared.kafka.consumer import BatchConsumer, ConsumedRecord, PositionKey, next_offsets
from shared.kafka.dead_letters import SendBatch, process_with_dead_letters
from shared.logging import get_logger

log = get_logger(__name__)
RETRY_PAUSE_S = 1.0


def stored_positions(engine: AsyncEngine) -> Callable[[], Awaitable[Mapping[PositionKey, int]]]:
    async def load() -> Mapping[PositionKey, int]:
        async with engine.connect() as conn:
            return await load_positions(conn, consumer_positions, CONSUMER_NAME)

    return load


class FoldConsumer:
    """Runs until ``stop`` is set: consume, fold (dead-lettering poison), record metrics."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        folder: LedgerFolder,
        send: SendBatch,
        metrics: LedgerMetrics,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        max_records: int = 500,
    ) -> None:
        self._engine = engine
        self._folder = folder
        self._send = send
        self._metrics = metrics
        self._load = stored_positions(engine)
        self._consumer_args = (bootstrap_servers, group_id, list(topics))
        self._max_records = max_records

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            bootstrap, group, topics = self._consumer_args
            consumer = BatchConsumer(
                bootstrap,
                group,
                topics,
                client_id="ledger-fold",
                load_positions=self._load,
                max_records=self._max_records,
            )
            try:
                await consumer.start()
                await self._consume(consumer, stop)
            except Exception:
                log.exception("ledger_consumer_failed")
                await _pause(stop, RETRY_PAUSE_S)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _consume(self, consumer: BatchConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            records = await consumer.next_batch(timeout_ms=200)
            if records:
                await self._fold(consumer, records, stop)
            await self._report_lag(consumer, records)

    async def _fold(
        self, consumer: BatchConsumer, records: Sequence[ConsumedRecord], stop: asyncio.Event
    ) -> None:
        started = time.perf_counter()
        folded_before = self._folder.folded_total
        try:
            await process_with_dead_letters(
                self._folder, records, self._send, on_dead_letter=self._count_dead_letter
            )
        except Exception:
            log.exception("ledger_batch_failed_will_retry", size=len(records))
            await _pause(stop, RETRY_PAUSE_S)
            await consumer.seek(await self._load())
            return
        self._metrics.batch_duration.observe(time.perf_counter() - started)
        self._metrics.events_folded.inc(self._folder.folded_total - folded_before)
        with contextlib.suppress(Exception):  # informational only: positions are in the DB
            await consumer.commit(next_offsets(records))

    def _count_dead_letter(self, record: ConsumedRecord) -> None:
        self._metrics.dead_letters.labels(topic=record.topic).inc()

    async def _report_lag(self, consumer: BatchConsumer, records: Sequence[ConsumedRecord]) -> None:
        self._metrics.lag.observe(await consumer.lag(), records)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
