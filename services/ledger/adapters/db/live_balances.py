"""The live ledger's balances, for the replay's verify mode to compare with."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.read_repository import account_balances
from services.ledger.adapters.db.tables import journal_entries


async def live_balances(engine: AsyncEngine) -> tuple[dict[str, int], int]:
    """(balance per account code, number of journal entries), read in one snapshot."""
    async with engine.connect() as connection:
        conn = await connection.execution_options(isolation_level="REPEATABLE READ")
        balances = dict(await account_balances(conn))
        entries = await conn.scalar(select(func.count()).select_from(journal_entries))
    return balances, int(entries or 0)
