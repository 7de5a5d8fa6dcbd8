"""Response bodies of the payouts API; amounts are integer minor units of `currency`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.payouts.adapters.db.payouts_repository import PayoutRow
from services.payouts.domain.holds import Hold, HoldStatus, PartyAmount


class PartyAmountPublic(BaseModel):
    party_type: str
    party_id: str
    amount: int


class HoldPublic(BaseModel):
    order_id: str
    shop_id: str
    region: str
    currency: str
    status: HoldStatus
    delivered_at: datetime | None
    release_at: datetime | None
    released_at: datetime | None
    amounts: list[PartyAmountPublic]

    @classmethod
    def of(cls, hold: Hold, amounts: tuple[PartyAmount, ...]) -> HoldPublic:
        return cls(
            order_id=hold.order_id,
            shop_id=hold.shop_id,
            region=hold.region,
            currency=hold.currency,
            status=hold.status,
            delivered_at=hold.delivered_at,
            release_at=hold.release_at,
            released_at=hold.released_at,
            amounts=[
                PartyAmountPublic(party_type=a.party_type, party_id=a.party_id, amount=a.amount)
                for a in amounts
            ],
        )


class PayoutPublic(BaseModel):
    payout_id: str
    run_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int
    status: str
    failure_reason: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, row: PayoutRow) -> PayoutPublic:
        return cls(
            payout_id=row.payout_id,
            run_id=row.run_id,
            party_type=row.party_type,
            party_id=row.party_id,
            currency=row.currency,
            amount=row.amount,
            status=row.status,
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


class PayoutRunPublic(BaseModel):
    run_id: str
    trigger: str
    started_at: datetime
    payouts: list[PayoutPublic]


class PayoutListPublic(BaseModel):
    payouts: list[PayoutPublic]
