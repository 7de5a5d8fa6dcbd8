"""Response bodies of the payouts API; amounts are integer minor units of `currency`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.payouts.adapters.db.payouts_repository import PayoutRow
from services.payouts.adapters.db.simulated_bank_repository import BankRequest
from services.payouts.domain.holds import Hold, HoldStatus, PartyAmount
from services.payouts.domain.reconciliation import (
    BalanceDifference,
    Figure,
    Figures,
    PayoutDifference,
    ProviderStatus,
)
from services.payouts.service.reconciliation import Reconciliation


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
    status: str = Field(
        description="created: not settled yet (pending: the provider has not answered "
        "definitely; retried with the same payout_id), paid, or failed (refused, funds back)"
    )
    failure_reason: str | None
    created_at: datetime
    completed_at: datetime | None
    attempts: int = Field(description="provider calls made for this payout")
    last_attempt_at: datetime | None
    last_error: str | None = Field(description="why the last call had no definite answer")
    next_attempt_at: datetime | None = Field(description="when an unsettled payout is retried")

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
            attempts=row.attempts,
            last_attempt_at=row.last_attempt_at,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if row.status == "created" else None,
        )


class PayoutRunPublic(BaseModel):
    run_id: str
    trigger: str
    started_at: datetime
    payouts: list[PayoutPublic]


class PayoutListPublic(BaseModel):
    payouts: list[PayoutPublic]


class FiguresPublic(BaseModel):
    pending: int = Field(description="integer minor units")
    available: int | None = Field(
        description="integer minor units; null where that side keeps no available balance "
        "(this service for platform and tax)"
    )

    @classmethod
    def of(cls, figures: Figures) -> FiguresPublic:
        return cls(pending=figures.pending, available=figures.available)


class BalanceDifferencePublic(BaseModel):
    party_type: str
    party_id: str
    currency: str
    differs: list[Figure]
    payouts: FiguresPublic = Field(description="this service's view")
    ledger: FiguresPublic = Field(description="the ledger's balances")

    @classmethod
    def of(cls, difference: BalanceDifference) -> BalanceDifferencePublic:
        account = difference.account
        return cls(
            party_type=account.party_type,
            party_id=account.party_id,
            currency=account.currency,
            differs=list(difference.fields),
            payouts=FiguresPublic.of(difference.payouts),
            ledger=FiguresPublic.of(difference.ledger),
        )


class PayoutDifferencePublic(BaseModel):
    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int = Field(description="integer minor units")
    status: str = Field(description="ours: created (not settled yet), paid or failed")
    provider_status: ProviderStatus = Field(description="unknown: the provider never received it")

    @classmethod
    def of(cls, difference: PayoutDifference) -> PayoutDifferencePublic:
        payout = difference.payout
        return cls(
            payout_id=payout.payout_id,
            party_type=payout.party_type,
            party_id=payout.party_id,
            currency=payout.currency,
            amount=payout.amount,
            status=payout.status,
            provider_status=difference.provider_status,
        )


class ReconciliationPublic(BaseModel):
    checked_at: datetime
    agrees: bool = Field(description="true when both lists are empty")
    balances: list[BalanceDifferencePublic]
    payouts_checked: bool = Field(description="false when the provider cannot be asked")
    payouts: list[PayoutDifferencePublic]

    @classmethod
    def of(cls, found: Reconciliation) -> ReconciliationPublic:
        return cls(
            checked_at=found.checked_at,
            agrees=found.agrees,
            balances=[BalanceDifferencePublic.of(d) for d in found.balances],
            payouts_checked=found.payouts_checked,
            payouts=[PayoutDifferencePublic.of(d) for d in found.payouts],
        )


class SimulatedTransferPublic(BaseModel):
    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int = Field(description="integer minor units")
    status: str = Field(
        description="paid, refused, or not_booked (every call timed out before booking)"
    )
    calls: int = Field(description="every pay call the bank received with this payout_id")

    @classmethod
    def of(cls, request: BankRequest) -> SimulatedTransferPublic:
        return cls(
            payout_id=request.payout_id,
            party_type=request.party_type,
            party_id=request.party_id,
            currency=request.currency,
            amount=request.amount,
            status=request.status or "not_booked",
            calls=request.calls,
        )


class SimulatedTransfersPublic(BaseModel):
    transfers: list[SimulatedTransferPublic]
    next_after: str | None = Field(
        description="pass as `after` for the next page; null when this page was not full"
    )


class SimulatedPayeePaidPublic(BaseModel):
    party_type: str
    party_id: str
    currency: str
    paid: int = Field(description="integer minor units the bank actually paid this payee")


class SimulatedPayeesPublic(BaseModel):
    payees: list[SimulatedPayeePaidPublic]
