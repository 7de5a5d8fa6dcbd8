"""This service's side of a reconciliation, from its own database in one snapshot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.balances_repository import all_available
from services.payouts.adapters.db.holds_repository import database_now, pending_by_party
from services.payouts.adapters.db.payouts_repository import payouts_created_since
from services.payouts.domain.reconciliation import PartyCurrency, PayoutState
from services.payouts.service.ports import OwnView


class SqlPayoutsView:
    """`PayoutsView` over this service's tables. REPEATABLE READ: a folded batch moves a hold
    out of pending and into available in one transaction, so both are read at one instant."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def read(self, payout_window: timedelta) -> OwnView:
        async with self._engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            checked_at = await database_now(conn)
            pending = await pending_by_party(conn)
            available = await all_available(conn)
            recent = await payouts_created_since(conn, checked_at - payout_window)
        return OwnView(
            checked_at=checked_at,
            pending={
                PartyCurrency(party_type, party_id, currency): amount
                for party_type, party_id, currency, amount in pending
            },
            available={
                PartyCurrency(p.party_type, p.party_id, p.currency): amount
                for p, amount in available.items()
            },
            payouts=[
                PayoutState(p.payout_id, p.party_type, p.party_id, p.currency, p.amount, p.status)
                for p in recent
            ],
        )
