"""The orders unit of work: the shared ``SqlUnitOfWork`` with the webhook path's repositories,
run on the asyncpg connection itself.

The webhook path is the service's hot path, so its statements skip SQLAlchemy's statement
building and result machinery (most of its CPU per statement): the transaction is the driver's
(BEGIN at ``async with``, COMMIT at ``commit()``, ROLLBACK otherwise) on a connection checked
out of the engine's pool, and asyncpg prepares each statement once per connection. A group of
webhooks takes five round trips: BEGIN, lock the orders, find the deliveries, ``record`` (one
statement for deliveries, streams and outbox), COMMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.transaction import Transaction
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.orders.adapters.db.delivery_repository import (
    DeliveryRepository,
    claim_args,
    claim_cte,
)
from services.orders.adapters.db.order_repository import (
    OrderRepository,
    append_args,
    append_ctes,
)
from services.orders.service.ports import DeliveryClaim, StreamAppend, WriteConflict
from shared.db.outbox import RecordLike, locked_outbox_insert_args, locked_outbox_insert_ctes
from shared.db.unit_of_work import NotInTransactionError, SqlUnitOfWork

_BROKEN_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
)


@cache
def _record_sql(outbox: Table) -> str:
    return (
        f"WITH {claim_cte(1)}, {append_ctes(6)}, "  # noqa: S608 - placeholders only
        f"{locked_outbox_insert_ctes(outbox, first_param=13)} "
        "SELECT (SELECT count(*) FROM claims) AS claimed, (SELECT count(*) FROM created) AS created"
    )


class OrdersUnitOfWork(SqlUnitOfWork):
    """``services.orders.service.ports.WebhookUnitOfWork`` on PostgreSQL (see the module doc).

    A connection that broke meanwhile is invalidated instead of going back to the pool: errors
    raised by asyncpg itself do not pass through SQLAlchemy, which would otherwise notice.
    """

    orders: OrderRepository
    deliveries: DeliveryRepository

    def __init__(self, engine: AsyncEngine, *, outbox: Table) -> None:
        super().__init__(engine, outbox=outbox)
        self._record_sql = _record_sql(outbox)
        self._driver: asyncpg.Connection | None = None
        self._driver_transaction: Transaction | None = None

    async def __aenter__(self) -> Self:
        self.committed = False
        connection = await self._engine.connect()
        try:
            driver: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
            transaction = driver.transaction()
            await transaction.start()
        except BaseException as error:
            await _release(connection, error)
            raise
        self._connection, self._driver, self._driver_transaction = connection, driver, transaction
        self.orders = OrderRepository(driver)
        self.deliveries = DeliveryRepository(driver)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, transaction = self._connection, self._driver_transaction
        self._connection = self._driver = self._driver_transaction = None
        if connection is None:
            return
        error = exc
        try:
            if transaction is not None and not self.committed:
                await transaction.rollback()
        except BaseException as rollback_error:
            error = error or rollback_error
            raise
        finally:
            await _release(connection, error)

    async def commit(self) -> None:
        if self._driver_transaction is None:
            raise NotInTransactionError("commit outside 'async with'")
        await self._driver_transaction.commit()
        self.committed = True

    async def record(
        self,
        claims: Sequence[DeliveryClaim],
        appends: Sequence[StreamAppend],
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        """See ``services.orders.service.ports.WebhookUnitOfWork.record``; one round trip."""
        if self._driver is None:
            raise NotInTransactionError("use the unit of work inside 'async with'")
        try:
            row = await self._driver.fetchrow(
                self._record_sql,
                *claim_args(claims),
                *append_args(appends),
                *locked_outbox_insert_args(topic, records),
            )
        except asyncpg.DeadlockDetectedError as error:
            raise WriteConflict("deadlock with a concurrent writer") from error
        created = sum(not append.existed for append in appends)
        if row is None or row["claimed"] != len(claims) or row["created"] != created:
            raise WriteConflict("a concurrent writer claimed a webhook-id or created an order")


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
