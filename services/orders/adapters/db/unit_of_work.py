"""The orders unit of work: the shared ``SqlUnitOfWork`` made optimistic for the webhook path,
run on the asyncpg connection itself.

A group of webhooks takes two statements, each its own implicit transaction: ``read`` (the
group's order streams and deliveries, one snapshot) and ``commit`` (the claims, the stream
appends and the outbox rows, one atomic statement that checks as it writes that every claim is
new and every stream is still the version read; if not, ``orders_write_conflict`` (migration
orders_0007) aborts it and ``WriteConflict`` is raised). Nothing is written before ``commit``,
so leaving the block without it leaves nothing, as the shared unit of work promises. No lock is
held while the group is decided in Python; the outbox's per-key advisory locks are taken inside
the writing statement, before its rows draw their ids, which keeps per-key order on the topic.

The statements skip SQLAlchemy's statement building and result machinery (most of its CPU per
statement) and are prepared once per pooled connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from types import TracebackType
from typing import Any, Self

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.orders.adapters.db.delivery_repository import (
    claim_args,
    claim_cte,
    deliveries_args,
    deliveries_select,
    delivery_of,
)
from services.orders.adapters.db.order_repository import (
    append_args,
    append_ctes,
    stream_of,
    streams_args,
    streams_select,
)
from services.orders.service.ports import (
    DeliveryClaim,
    GroupRead,
    OrderStream,
    PriorDelivery,
    ShopKey,
    StreamAppend,
    WriteConflict,
)
from shared.db.outbox import RecordLike, locked_outbox_insert_args, locked_outbox_insert_ctes
from shared.db.unit_of_work import NotInTransactionError, SqlUnitOfWork

_BROKEN_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
)
_READ = f"{streams_select(1)} UNION ALL {deliveries_select(3)}"


@cache
def _commit_sql(outbox: Table) -> str:
    # Parameters: claims $1-$5, appends $6-$13, outbox $14-$18, expected counts $19, $20.
    return (
        f"WITH {claim_cte(1)}, {append_ctes(6)}, "  # noqa: S608 - placeholders only
        f"{locked_outbox_insert_ctes(outbox, first_param=14)} "
        "SELECT CASE WHEN (SELECT count(*) FROM claims) = $19"
        " AND (SELECT count(*) FROM created) + (SELECT count(*) FROM appended) = $20 THEN 0"
        " ELSE orders_write_conflict('a webhook-id was claimed or an order changed since the"
        " group read it') END"
    )


class OrdersUnitOfWork(SqlUnitOfWork):
    """``services.orders.service.ports.WebhookUnitOfWork`` on PostgreSQL (see the module doc).

    A connection that broke meanwhile is invalidated instead of going back to the pool: errors
    raised by asyncpg itself do not pass through SQLAlchemy, which would otherwise notice.
    """

    def __init__(self, engine: AsyncEngine, *, outbox: Table) -> None:
        # Neither outbox nor inbox for the base class: its writers would run on SQLAlchemy's
        # own (lazily begun, never committed) transaction here, so they refuse instead; the
        # outbox rows go through ``record`` and ``commit``.
        super().__init__(engine)
        self._commit_sql = _commit_sql(outbox)
        self._driver: asyncpg.Connection | None = None
        self._recorded: tuple[Any, ...] | None = None

    async def __aenter__(self) -> Self:
        self.committed = False
        self._recorded = None
        connection = await self._engine.connect()
        try:
            raw = await connection.get_raw_connection()
        except BaseException as error:
            await _release(connection, error)
            raise
        self._connection, self._driver = connection, raw.driver_connection
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection, self._driver, self._recorded = None, None, None
        if connection is not None:
            await _release(connection, exc)

    async def read(self, orders: Sequence[ShopKey], deliveries: Sequence[ShopKey]) -> GroupRead:
        """See ``services.orders.service.ports.WebhookUnitOfWork.read``; one round trip."""
        rows = await self._require_driver().fetch(
            _READ, *streams_args(orders), *deliveries_args(deliveries)
        )
        streams: dict[ShopKey, OrderStream] = {}
        priors: dict[ShopKey, PriorDelivery] = {}
        for row in rows:
            if row["kind"] == "o":
                key, stream = stream_of(row)
                streams[key] = stream
            else:
                key, prior = delivery_of(row)
                priors[key] = prior
        return GroupRead(streams=streams, priors=priors)

    def record(
        self,
        claims: Sequence[DeliveryClaim],
        appends: Sequence[StreamAppend],
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        """See ``services.orders.service.ports.WebhookUnitOfWork.record``."""
        self._require_driver()
        self._recorded = (
            *claim_args(claims),
            *append_args(appends),
            *locked_outbox_insert_args(topic, records),
            len(claims),
            len(appends),
        )

    async def commit(self) -> None:
        """See ``services.orders.service.ports.WebhookUnitOfWork.commit``; one round trip
        (none when nothing was recorded)."""
        driver = self._require_driver()
        if self._recorded is not None:
            try:
                await driver.fetchval(self._commit_sql, *self._recorded)
            except (asyncpg.SerializationError, asyncpg.DeadlockDetectedError) as error:
                raise WriteConflict(str(error)) from error
        self._recorded = None
        self.committed = True

    def _require_driver(self) -> asyncpg.Connection:
        if self._driver is None:
            raise NotInTransactionError("use the unit of work inside 'async with'")
        return self._driver


async def _release(connection: AsyncConnection, error: BaseException | None) -> None:
    """Return the pooled connection, or drop it if the driver connection broke."""
    try:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        broken = isinstance(error, _BROKEN_CONNECTION) or driver is None or driver.is_closed()
        if broken and not connection.invalidated:
            await connection.invalidate()
    finally:
        await connection.close()
