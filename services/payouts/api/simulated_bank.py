"""`GET /v1/simulated-bank/transfers` and `/payees` (admin): what the simulated bank did, so a
test or an operator can see a double payment. Mounted only when the simulated bank is the
provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.payouts.api.deps import SimulatedBankDep
from services.payouts.api.schemas import (
    SimulatedPayeePaidPublic,
    SimulatedPayeesPublic,
    SimulatedTransferPublic,
    SimulatedTransfersPublic,
)
from shared.http.auth import AdminDep
from shared.http.ids import ID_PATTERN

DEFAULT_PAGE = 10_000
MAX_PAGE = 50_000


def simulated_bank_router() -> APIRouter:
    router = APIRouter(tags=["simulated bank"])

    @router.get("/v1/simulated-bank/transfers")
    async def read_transfers(
        _: AdminDep,
        bank: SimulatedBankDep,
        after: Annotated[
            str | None, Query(max_length=200, pattern=ID_PATTERN, description="a payout_id")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> SimulatedTransfersPublic:
        """Every payout id the bank was called with, in payout_id order: the transfer it booked
        (`not_booked` when every call timed out first) and how many calls it received. Pages of
        `limit` (10,000 by default, at most 50,000); `next_after` continues."""
        found = await bank.requests(after=after, limit=limit)
        return SimulatedTransfersPublic(
            transfers=[SimulatedTransferPublic.model_validate(r) for r in found],
            next_after=found[-1].payout_id if len(found) == limit else None,
        )

    @router.get("/v1/simulated-bank/payees")
    async def read_paid_by_payee(_: AdminDep, bank: SimulatedBankDep) -> SimulatedPayeesPublic:
        """Per payee and currency, the total the bank actually paid (minor units)."""
        totals = await bank.paid_by_payee()
        return SimulatedPayeesPublic(
            payees=[
                SimulatedPayeePaidPublic(party_type=t, party_id=i, currency=c, paid=paid)
                for (t, i, c), paid in sorted(totals.items())
            ]
        )

    return router
