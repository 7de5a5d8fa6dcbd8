"""Poison records go to `<topic>.dlq` with the error attached, and the partition carries on.

A failure is retried a bounded number of times. Failures that say the database or broker is
unreachable are transient: they are retried without limit (with backoff) and never dead-lettered,
because a dead letter is for a record that cannot be processed, not for an outage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from shared.db.outbox import OutgoingRecord
from shared.kafka.consumer import ConsumedRecord
from shared.kafka.topics import dlq_topic
from shared.logging import get_logger

log = get_logger(__name__)

DLQ_HEADERS = ("dlq_error", "dlq_original_topic", "dlq_original_partition", "dlq_original_offset")


class BatchHandler(Protocol):
    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        """Apply the records and store their positions in one transaction."""

    async def skip(self, record: ConsumedRecord) -> None:
        """Store the position past `record` without applying it (it was dead-lettered)."""


SendBatch = Callable[[Sequence[OutgoingRecord]], Awaitable[None]]


def is_transient(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def dead_letter(
    record: ConsumedRecord, error: BaseException, failed_at: datetime
) -> OutgoingRecord:
    reason = f"{type(error).__name__}: {error}"[:2000]
    headers = [(name, value) for name, value in record.headers if name not in DLQ_HEADERS]
    headers += [
        ("dlq_error", reason.encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
        ("dlq_failed_at", failed_at.isoformat().encode()),
    ]
    return OutgoingRecord(
        topic=dlq_topic(record.topic),
        key=record.key or b"",
        value=record.value or b"",
        headers=headers,
    )


async def process_with_dead_letters(
    handler: BatchHandler,
    records: Sequence[ConsumedRecord],
    send: SendBatch,
    *,
    max_attempts: int = 3,
    backoff_s: float = 0.2,
    on_dead_letter: Callable[[ConsumedRecord], None] | None = None,
) -> None:
    """Handle a batch; if it fails, isolate poison records one by one and dead-letter them."""
    try:
        await handler.handle(records)
        return
    except Exception as error:
        if is_transient(error):
            raise
        log.warning("batch_failed_isolating_records", error=str(error), size=len(records))
    for record in records:
        await _process_one(handler, record, send, max_attempts, backoff_s, on_dead_letter)


async def _process_one(
    handler: BatchHandler,
    record: ConsumedRecord,
    send: SendBatch,
    max_attempts: int,
    backoff_s: float,
    on_dead_letter: Callable[[ConsumedRecord], None] | None,
) -> None:
    attempt = 0
    while True:
        try:
            await handler.handle([record])
            return
        except Exception as error:
            if is_transient(error):
                raise
            attempt += 1
            if attempt < max_attempts:
                await asyncio.sleep(backoff_s * attempt)
                continue
            log.error(
                "record_dead_lettered",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                error=str(error),
            )
            await send([dead_letter(record, error, datetime.now(UTC))])
            await handler.skip(record)
            if on_dead_letter is not None:
                on_dead_letter(record)
            return
