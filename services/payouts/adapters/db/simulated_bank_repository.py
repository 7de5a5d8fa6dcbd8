"""SQL for the simulated bank's own books (`simulated_bank_transfers`) and call log
(`simulated_bank_requests`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Text, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.payouts.adapters.db.tables import simulated_bank_requests as requests
from services.payouts.adapters.db.tables import simulated_bank_transfers as transfers
from services.payouts.service.ports import BankRequest, PayoutInstruction


async def record_call(conn: AsyncConnection, instruction: PayoutInstruction) -> int:
    """Count one `pay` call with this payout id; returns the calls so far, this one included."""
    new = insert(requests).values(
        payout_id=instruction.payout_id,
        party_type=instruction.party_type,
        party_id=instruction.party_id,
        currency=instruction.currency,
        amount=instruction.amount,
        calls=1,
        first_called_at=func.clock_timestamp(),
        last_called_at=func.clock_timestamp(),
    )
    statement = new.on_conflict_do_update(
        index_elements=[requests.c.payout_id],
        set_={"calls": requests.c.calls + 1, "last_called_at": func.clock_timestamp()},
    ).returning(requests.c.calls)
    return int((await conn.execute(statement)).scalar_one())


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


async def bank_requests(
    conn: AsyncConnection, *, after: str | None = None, limit: int = 1_000
) -> list[BankRequest]:
    """Every payout id the bank was called with, with its booked status and call count, in
    payout id order after `after`."""
    query = (
        select(
            requests.c.payout_id,
            requests.c.party_type,
            requests.c.party_id,
            requests.c.currency,
            func.coalesce(transfers.c.amount, requests.c.amount).label("amount"),
            transfers.c.status,
            requests.c.calls,
        )
        .select_from(requests.outerjoin(transfers, transfers.c.payout_id == requests.c.payout_id))
        .order_by(requests.c.payout_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(requests.c.payout_id > after)
    return [
        BankRequest(
            r.payout_id, r.party_type, r.party_id, r.currency, int(r.amount), r.status, r.calls
        )
        for r in await conn.execute(query)
    ]


async def paid_totals(conn: AsyncConnection) -> dict[tuple[str, str, str], int]:
    """Minor units the bank actually paid per payee (party_type, party_id, currency)."""
    rows = await conn.execute(
        select(
            transfers.c.party_type,
            transfers.c.party_id,
            transfers.c.currency,
            func.sum(transfers.c.amount).label("paid"),
        )
        .where(transfers.c.status == "paid")
        .group_by(transfers.c.party_type, transfers.c.party_id, transfers.c.currency)
    )
    return {(r.party_type, r.party_id, r.currency): int(r.paid) for r in rows}
