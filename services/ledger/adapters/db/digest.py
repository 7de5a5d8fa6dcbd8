"""A fingerprint of the ledger's money: equal digests mean equal balances on every account."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.read_repository import account_balances
from services.ledger.adapters.db.tables import journal_entries


def digest_of(balances: list[tuple[str, int]]) -> str:
    """sha256 over ``account<TAB>balance`` lines sorted by account (balances in minor units)."""
    text = "".join(f"{account}\t{amount}\n" for account, amount in sorted(balances))
    return hashlib.sha256(text.encode()).hexdigest()


async def ledger_digest(engine: AsyncEngine) -> tuple[str, int]:
    """(digest, number of journal entries) of the database behind ``engine``."""
    async with engine.connect() as conn:
        balances = await account_balances(conn)
        entries = await conn.scalar(select(func.count()).select_from(journal_entries))
    return digest_of(balances), int(entries or 0)
