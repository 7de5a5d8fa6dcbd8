"""SQL for the simulated bank's own books (`simulated_bank_transfers`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Text, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.payouts.adapters.db.tables import simulated_bank_transfers as transfers
from services.payouts.service.ports import PayoutInstruction


async def record_transfer(
    conn: AsyncConnection, instruction: PayoutInstruction, status: str
) -> str:
    """Book the bank's answer to a payout once; returns the status on the books (the first
    answer wins, as a bank honours its idempotency key)."""
    await conn.execute(
        insert(transfers)
        .values(
            payout_id=instruction.payout_id,
            party_type=instruction.party_type,
            party_id=instruction.party_id,
            currency=instruction.currency,
            amount=instruction.amount,
            status=status,
        )
        .on_conflict_do_nothing()
    )
    booked = await conn.scalar(
        select(transfers.c.status).where(transfers.c.payout_id == instruction.payout_id)
    )
    return str(booked)


async def transfer_statuses(conn: AsyncConnection, payout_ids: Sequence[str]) -> dict[str, str]:
    """The booked status of each of these payouts the bank has heard of."""
    if not payout_ids:
        return {}
    ids = bindparam("ids", list(payout_ids), type_=ARRAY(Text))
    rows = await conn.execute(
        select(transfers.c.payout_id, transfers.c.status).where(transfers.c.payout_id == any_(ids))
    )
    return {row.payout_id: row.status for row in rows}
