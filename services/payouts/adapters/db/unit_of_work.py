"""The payouts service's unit of work: the shared one plus its holds, balances and payouts."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.balances_repository import SqlBalancesRepository
from services.payouts.adapters.db.holds_repository import SqlHoldsRepository, database_now
from services.payouts.adapters.db.payouts_repository import SqlPayoutsRepository
from services.payouts.adapters.db.tables import consumer_positions, outbox, processed_events
from shared.db.unit_of_work import InboxTables, SqlUnitOfWork


class PayoutsUnitOfWork(SqlUnitOfWork):
    """``service.ports.UnitOfWork`` over PostgreSQL: the repositories are bound to the
    transaction on entering ``async with``; `consumer` names the inbox it claims in."""

    holds: SqlHoldsRepository
    balances: SqlBalancesRepository
    payouts: SqlPayoutsRepository

    def __init__(self, engine: AsyncEngine, consumer: str, *, snapshot: bool = False) -> None:
        """`snapshot`: REPEATABLE READ, every read at one instant (reconciliation's view)."""
        super().__init__(
            engine,
            outbox=outbox,
            inbox=InboxTables(consumer, processed_events, consumer_positions),
            isolation_level="REPEATABLE READ" if snapshot else None,
        )

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.holds = SqlHoldsRepository(self.connection)
        self.balances = SqlBalancesRepository(self.connection)
        self.payouts = SqlPayoutsRepository(self.connection)
        return self

    async def database_now(self) -> datetime:
        return await database_now(self.connection)
