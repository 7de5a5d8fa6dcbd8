"""Payouts as the ledger posted them (``ledger_payouts``), locked for the batch that reads them."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ledger.adapters.db.tables import ledger_payouts
from services.ledger.domain.state import PayoutState

_UPSERT = text(
    "INSERT INTO ledger_payouts (payout_id, party_type, party_id, currency, amount, status, "
    "updated_at) "
    "SELECT *, now() FROM unnest(CAST(:payout_id AS text[]), CAST(:party_type AS text[]), "
    "CAST(:party_id AS text[]), CAST(:currency AS text[]), CAST(:amount AS bigint[]), "
    "CAST(:status AS text[])) "
    "ON CONFLICT (payout_id) DO UPDATE SET status = excluded.status, updated_at = now()"
)


class PayoutRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock_and_load(self, payout_ids: Collection[str]) -> dict[str, PayoutState]:
        """The stored payouts among ``payout_ids``, locked until commit (in id order)."""
        if not payout_ids:
            return {}
        rows = (
            await self._connection.execute(
                select(ledger_payouts)
                .where(ledger_payouts.c.payout_id.in_(sorted(payout_ids)))
                .order_by(ledger_payouts.c.payout_id)
                .with_for_update()
            )
        ).all()
        return {
            row.payout_id: PayoutState(
                payout_id=row.payout_id,
                party_type=row.party_type,
                party_id=row.party_id,
                currency=row.currency,
                amount=row.amount,
                status=row.status,
            )
            for row in rows
        }

    async def save(self, payouts: Mapping[str, PayoutState]) -> None:
        """Store the new state of ``payouts`` (amount and party never change once created)."""
        if not payouts:
            return
        ordered = [payouts[payout_id] for payout_id in sorted(payouts)]
        await self._connection.execute(
            _UPSERT,
            {
                "payout_id": [p.payout_id for p in ordered],
                "party_type": [p.party_type for p in ordered],
                "party_id": [p.party_id for p in ordered],
                "currency": [p.currency for p in ordered],
                "amount": [p.amount for p in ordered],
                "status": [p.status for p in ordered],
            },
        )
