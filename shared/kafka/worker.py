"""The consume loop every folding service runs: batches in, handler applies them exactly once.

The handler stores its positions with its state (see shared.db.inbox); this loop only fetches,
isolates poison records (shared.kafka.dead_letters), survives outages by seeking back to the
stored positions, and mirrors progress into Kafka's group offsets for standard lag tooling.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

from shared.kafka.consumer import BatchConsumer, PositionKey, next_offsets
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.kafka.dead_letters import BatchHandler, SendBatch, is_transient
from shared.kafka.dead_letters import process_with_dead_letters as _process
from shared.logging import get_logger
from shared.stopping import pause as _pause

log = get_logger(__name__)
StoredPositions = Callable[[], Awaitable[Mapping[PositionKey, int]]]


async def start_with_retry(consumer: BatchConsumer, stop: asyncio.Event, name: str) -> bool:
    """Join the group, retrying every 2 s while the broker is away; False if stopped first."""
    while not stop.is_set():
        try:
            await consumer.start()
            return True
        except Exception as error:
            log.warning("consumer_start_failed", consumer=name, error=str(error))
            await consumer.stop()
            await _pause(stop, 2.0)
    return False


async def consume_forever(
    stop: asyncio.Event,
    *,
    consumer: BatchConsumer,
    handler: BatchHandler,
    stored_positions: StoredPositions,
    send_dead_letters: SendBatch,
    name: str,
    metrics: ConsumerMetrics | None = None,
) -> None:
    """Fold batches until `stop`, recording lag, batch time and dead letters in `metrics`.

    A failure outside a batch (the broker went away under the consumer) stops the consumer and
    starts it again after a pause; it rejoins at the positions the database holds.
    """
    while await start_with_retry(consumer, stop, name):
        try:
            await _consume(
                stop, consumer, handler, stored_positions, send_dead_letters, name, metrics
            )
        except Exception as error:
            log.warning("consumer_restarting", consumer=name, error=str(error))
            await _pause(stop, 1.0)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


async def _consume(
    stop: asyncio.Event,
    consumer: BatchConsumer,
    handler: BatchHandler,
    stored_positions: StoredPositions,
    send_dead_letters: SendBatch,
    name: str,
    metrics: ConsumerMetrics | None,
) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        records = await consumer.next_batch()
        if records:
            started = loop.time()
            try:
                await _process(
                    handler,
                    records,
                    send_dead_letters,
                    on_dead_letter=metrics.dead_lettered if metrics else None,
                )
            except Exception as error:
                # An outage, or a failure to dead-letter: never drop the batch, never die;
                # go back to what the database says was applied and try again.
                log.warning(
                    "batch_retrying",
                    consumer=name,
                    error=str(error),
                    transient=is_transient(error),
                )
                await _pause(stop, 1.0)
                await consumer.seek(await stored_positions())
                continue
            if metrics is not None:
                metrics.observe_batch(records, loop.time() - started)
            with contextlib.suppress(Exception):  # informational; the database holds positions
                await consumer.commit(next_offsets(records))
        if metrics is not None:
            with contextlib.suppress(Exception):  # lag is informational
                metrics.observe_lag(await consumer.lag(), records)
