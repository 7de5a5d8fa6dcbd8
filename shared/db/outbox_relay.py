"""Publishes committed outbox rows to Kafka, oldest first, and marks them published.

The relay scans for unpublished rows (`FOR UPDATE SKIP LOCKED`) rather than following an id
high-water mark, so a row whose transaction commits late is still found. One relay per database
publishes at a time (a transaction-scoped advisory lock), which keeps per-key order even when
several replicas run. Delivery is at least once: if the commit after a send fails, the rows are
sent again and consumers drop the repeat by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.outbox import OutgoingRecord
from shared.logging import get_logger

SendBatch = Callable[[Sequence[OutgoingRecord]], Awaitable[None]]

_RELAY_LOCK = 0x0B0C5E1A7  # one relay per database publishes at a time
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    unpublished: int
    oldest_created_at: datetime | None
    oldest_age_seconds: float


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        send_batch: SendBatch,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.02,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._send_batch = send_batch
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self.published_total = 0

    async def publish_once(self) -> int:
        """Publish one batch; returns how many rows were published (0 when idle or not leader)."""
        t = self._outbox
        async with self._engine.begin() as conn:
            leader = await conn.scalar(select(func.pg_try_advisory_xact_lock(_RELAY_LOCK)))
            if not leader:
                return 0
            rows = (
                await conn.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.value, t.c.headers)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await self._send_batch(
                [
                    OutgoingRecord(
                        topic=row.topic,
                        key=row.key,
                        value=row.value,
                        headers=[(name, value.encode()) for name, value in row.headers],
                    )
                    for row in rows
                ]
            )
            await conn.execute(
                update(t)
                .where(t.c.id.in_([row.id for row in rows]))
                .values(published_at=func.now())
            )
        self.published_total += len(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; errors are logged and retried after a pause."""
        while not stop.is_set():
            try:
                published = await self.publish_once()
            except Exception:
                log.exception("outbox_publish_failed")
                published = 0
                await _sleep_or_stop(stop, 1.0)
                continue
            if published < self._batch_size:
                await _sleep_or_stop(stop, self._poll_interval_s)

    async def backlog(self) -> OutboxBacklog:
        t = self._outbox
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.count(),
                        func.min(t.c.created_at),
                        func.coalesce(
                            func.extract("epoch", func.now() - func.min(t.c.created_at)), 0
                        ),
                    ).where(t.c.published_at.is_(None))
                )
            ).one()
        return OutboxBacklog(int(row[0]), row[1], float(row[2]))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


__all__ = ["OutboxBacklog", "OutboxRelay", "SendBatch"]
