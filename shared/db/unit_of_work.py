"""The unit of work every service's handlers run in: one transaction that rolls back unless
committed.

A handler receives a batch and a unit of work; inside ``async with uow:`` it claims the batch's
event ids (only new ones come back), changes state through the service's repositories, queues
outbox records and saves consumer positions, then calls ``commit()``. Leaving the block without
``commit()`` (an exception, an early return) rolls everything back, so a crash mid-batch leaves
nothing behind and the batch is handled again from the stored positions.

Each service subclasses ``SqlUnitOfWork`` in ``adapters/db/unit_of_work.py`` to add its
repositories (built on ``self.connection``); its ``service/ports.py`` states the same surface as a
``Protocol`` so handler tests can pass a fake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from shared.db.inbox import claim_new_events, load_positions, save_positions
from shared.db.outbox import RecordLike, add_to_outbox
from shared.service.unit_of_work import M, TopicPartition, only_new


@dataclass(frozen=True, slots=True)
class InboxTables:
    """Where one consumer keeps its dedupe markers and positions."""

    consumer: str
    processed_events: Table
    consumer_positions: Table


class NotInTransactionError(RuntimeError):
    """The unit of work was used outside ``async with``."""


class SqlUnitOfWork:
    """One PostgreSQL transaction on ``engine``; see the module docstring."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        outbox: Table | None = None,
        inbox: InboxTables | None = None,
        isolation_level: str | None = None,
    ) -> None:
        """`isolation_level` (e.g. ``"REPEATABLE READ"``: every read sees one snapshot) applies
        to this unit of work's transactions only; None keeps the engine's (READ COMMITTED)."""
        self._engine = engine
        self._outbox = outbox
        self._inbox = inbox
        self._isolation_level = isolation_level
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None
        self.committed = False

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise NotInTransactionError("use the unit of work inside 'async with'")
        return self._connection

    async def __aenter__(self) -> Self:
        self.committed = False
        self._connection = await self._engine.connect()
        try:
            if self._isolation_level is not None:
                await self._connection.execution_options(isolation_level=self._isolation_level)
            self._transaction = await self._connection.begin()
        except BaseException:
            await self._connection.close()
            self._connection = None
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = None
        try:
            if transaction is not None and transaction.is_active:
                await transaction.rollback()
        finally:
            if connection is not None:
                await connection.close()

    async def commit(self) -> None:
        if self._transaction is None:
            raise NotInTransactionError("commit outside 'async with'")
        await self._transaction.commit()
        self.committed = True

    async def claim_new(self, messages: Sequence[M]) -> list[M]:
        """Mark these messages handled; returns those not handled before (the ones to act on),
        in batch order, each once even if the batch repeats an event id."""
        inbox = self._require_inbox()
        new_ids = await claim_new_events(
            self.connection, inbox.processed_events, inbox.consumer, [m.event_id for m in messages]
        )
        return only_new(messages, new_ids)

    async def save_positions(self, next_offsets: Mapping[TopicPartition, int]) -> None:
        inbox = self._require_inbox()
        await save_positions(
            self.connection, inbox.consumer_positions, inbox.consumer, next_offsets
        )

    async def stored_positions(self) -> dict[TopicPartition, int]:
        """The next offset to read on each partition, as saved by committed batches (a consumer
        seeks there on assignment)."""
        inbox = self._require_inbox()
        return await load_positions(self.connection, inbox.consumer_positions, inbox.consumer)

    async def add_to_outbox(self, topic: str, records: Sequence[RecordLike]) -> None:
        """Queue records for ``topic``; the relay sends them only after commit."""
        if self._outbox is None:
            raise NotInTransactionError("this unit of work has no outbox")
        await add_to_outbox(self.connection, self._outbox, topic, records)

    def _require_inbox(self) -> InboxTables:
        if self._inbox is None:
            raise NotInTransactionError("this unit of work has no inbox")
        return self._inbox
