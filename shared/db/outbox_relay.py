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
from typing import Any

import asyncpg
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.outbox import OUTBOX_CHANNEL, OutgoingRecord
from shared.logging import get_logger
from shared.stopping import pause as _sleep_or_stop

SendBatch = Callable[[Sequence[OutgoingRecord]], Awaitable[None]]

_RELAY_LOCK = 0x0B0C5E1A7  # one relay per database publishes at a time
_BROKEN_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
)
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
        listen: bool = False,
        idle_poll_s: float = 1.0,
    ) -> None:
        """With `listen`, the relay waits for the outbox trigger's NOTIFY (`outbox_notify_ddl`)
        and polls only every `idle_poll_s` as a safety net; without it (or while the listening
        connection is down) it polls every `poll_interval_s`."""
        self._engine = engine
        self._outbox = outbox
        self._send_batch = send_batch
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._listen = listen
        self._idle_poll_s = idle_poll_s
        self.published_total = 0
        # Only the table's own name is put into the text; every value is bound.
        table = f'"{outbox.name}"'
        self._batch_sql = (
            "WITH leader AS (SELECT pg_try_advisory_xact_lock($1::bigint) AS ok)"  # noqa: S608
            f" SELECT o.id, o.topic, o.key, o.value, o.headers FROM {table} o"
            " WHERE (SELECT ok FROM leader) AND o.published_at IS NULL"
            " ORDER BY o.id LIMIT $2 FOR UPDATE OF o SKIP LOCKED"
        )
        self._mark_sql = f"UPDATE {table} SET published_at = now() WHERE id = ANY($1::bigint[])"  # noqa: S608

    async def publish_once(self) -> int:
        """Publish one batch; returns how many rows were published (0 when idle or not leader).

        Four round trips on the asyncpg connection itself (BEGIN, the leader lock with the
        batch, the update after the send, COMMIT): the relay runs after every commit that
        queued rows, so it skips SQLAlchemy's statement machinery like the hot paths do.
        """
        async with self._engine.connect() as conn:
            driver: Any = (await conn.get_raw_connection()).driver_connection
            try:
                async with driver.transaction():
                    rows = await driver.fetch(self._batch_sql, _RELAY_LOCK, self._batch_size)
                    if not rows:
                        return 0
                    await self._send_batch(
                        [
                            OutgoingRecord(
                                topic=row["topic"],
                                key=row["key"],
                                value=row["value"],
                                headers=[(name, value.encode()) for name, value in row["headers"]],
                            )
                            for row in rows
                        ]
                    )
                    await driver.execute(self._mark_sql, [row["id"] for row in rows])
            except _BROKEN_CONNECTION:
                await conn.invalidate()
                raise
        self.published_total += len(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; errors are logged and retried after a pause."""
        wake = asyncio.Event()
        listener = CommitListener(self._engine, wake) if self._listen else None
        try:
            while not stop.is_set():
                if listener is not None:
                    await listener.ensure_listening()
                wake.clear()  # a commit from here on wakes the next wait
                try:
                    published = await self.publish_once()
                except Exception:
                    log.exception("outbox_publish_failed")
                    await _sleep_or_stop(stop, 1.0)
                    continue
                if published < self._batch_size:
                    listening = listener is not None and listener.listening
                    idle = self._idle_poll_s if listening else self._poll_interval_s
                    await _wait_for_any(stop, wake, idle)
        finally:
            if listener is not None:
                await listener.close()

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


async def _wait_for_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class CommitListener:
    """A dedicated connection LISTENing on the outbox channel; sets `wake` on each NOTIFY.

    If the connection drops, `listening` turns false (the relay polls) and the next
    `ensure_listening` (at most every 5 s) connects again.
    """

    def __init__(self, engine: AsyncEngine, wake: asyncio.Event) -> None:
        self._engine = engine
        self._wake = wake
        self._conn: AsyncConnection | None = None
        self._last_attempt = float("-inf")
        self.listening = False

    async def ensure_listening(self) -> None:
        loop = asyncio.get_running_loop()
        if self.listening or loop.time() - self._last_attempt < 5.0:
            return
        self._last_attempt = loop.time()
        await self.close()
        try:
            self._conn = await self._engine.connect()
            raw = await self._conn.get_raw_connection()
            driver: Any = raw.driver_connection
            driver.add_termination_listener(self._lost)
            await driver.add_listener(OUTBOX_CHANNEL, self._notified)
            self.listening = True
        except Exception as error:
            log.warning("outbox_listen_failed", error=str(error))
            await self.close()

    def _notified(self, *_: object) -> None:
        self._wake.set()

    def _lost(self, *_: object) -> None:
        self.listening = False
        self._wake.set()

    async def close(self) -> None:
        self.listening = False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()


__all__ = ["OutboxBacklog", "OutboxRelay", "SendBatch"]
