"""SQL for the payee available-balance projection."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.payouts.adapters.db.tables import payee_balances
from services.payouts.domain.balances import Payee, PayeeBalance


async def add_to_available(
    conn: AsyncConnection,
    changes: Mapping[Payee, int],
    *,
    min_payouts: Mapping[Payee, int] | None = None,
) -> None:
    """Add each change (minor units, may be negative) to the payee's available balance.

    A new payee row starts at 0; a payee's entry in `min_payouts` becomes its minimum (the
    latest order's terms win). Rows are locked in payee order (code-point order, the same as
    `lock_payable_balances`'s `COLLATE "C"`), so two writers never deadlock.
    """
    minimums = min_payouts or {}
    for payee in sorted(changes):
        delta = changes[payee]
        min_payout = minimums.get(payee)
        statement = insert(payee_balances).values(
            party_type=payee.party_type,
            party_id=payee.party_id,
            currency=payee.currency,
            available=delta,
            min_payout=min_payout if min_payout is not None else 0,
        )
        updates = {
            "available": payee_balances.c.available + delta,
            "updated_at": func.now(),
        }
        if min_payout is not None:
            updates["min_payout"] = statement.excluded.min_payout
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["party_type", "party_id", "currency"], set_=updates
            )
        )


async def lock_payable_balances(conn: AsyncConnection) -> list[PayeeBalance]:
    """Lock every balance that may be payable (positive and at least its minimum) until commit,
    so a concurrent run waits and then sees what this one left."""
    t = payee_balances
    rows = await conn.execute(
        select(t)
        .where(t.c.available > 0, t.c.available >= t.c.min_payout)
        .order_by(t.c.party_type.collate("C"), t.c.party_id.collate("C"), t.c.currency.collate("C"))
        .with_for_update()
    )
    return [
        PayeeBalance(Payee(r.party_type, r.party_id, r.currency), int(r.available), r.min_payout)
        for r in rows
    ]


async def get_balances(conn: AsyncConnection, party_type: str, party_id: str) -> list[PayeeBalance]:
    t = payee_balances
    rows = await conn.execute(
        select(t).where(t.c.party_type == party_type, t.c.party_id == party_id)
    )
    return [
        PayeeBalance(Payee(r.party_type, r.party_id, r.currency), int(r.available), r.min_payout)
        for r in rows
    ]


async def all_available(conn: AsyncConnection) -> dict[Payee, int]:
    """Every payee's available balance (minor units, may be negative)."""
    t = payee_balances
    rows = await conn.execute(select(t.c.party_type, t.c.party_id, t.c.currency, t.c.available))
    return {Payee(r.party_type, r.party_id, r.currency): int(r.available) for r in rows}


class SqlBalancesRepository:
    """``service.ports.BalancesRepository`` on one connection (the unit of work's transaction)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_to_available(
        self, changes: Mapping[Payee, int], *, min_payouts: Mapping[Payee, int] | None = None
    ) -> None:
        await add_to_available(self._conn, changes, min_payouts=min_payouts)

    async def lock_payable(self) -> list[PayeeBalance]:
        return await lock_payable_balances(self._conn)
