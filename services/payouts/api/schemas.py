"""Response bodies of the payouts API; amounts are integer minor units of `currency`.

Each body is validated straight from the service's own objects (``from_attributes``): a field
named as in the domain needs no mapping code; the two differences flatten their domain object
once, in a ``before`` validator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.payouts.domain.holds import Hold, HoldStatus, PartyAmount
from services.payouts.domain.reconciliation import (
    BalanceDifference,
    Figure,
    PayoutDifference,
    ProviderStatus,
)
from services.payouts.service.ports import BankRequest


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PartyAmountPublic(PublicModel):
    party_type: str
    party_id: str
    amount: int


class HoldPublic(PublicModel):
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
    def of(cls, hold: Hold, amounts: Sequence[PartyAmount]) -> HoldPublic:
        """The hold showing only `amounts` (the legs the reader may see)."""
        return cls.model_validate(replace(hold, amounts=tuple(amounts)))


class PayoutPublic(PublicModel):
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

    @model_validator(mode="after")
    def _retried_only_while_unsettled(self) -> PayoutPublic:
        if self.status != "created":
            self.next_attempt_at = None
        return self


class PayoutRunPublic(PublicModel):
    run_id: str
    trigger: str
    started_at: datetime
    payouts: list[PayoutPublic]


class PayoutListPublic(PublicModel):
    payouts: list[PayoutPublic]


class FiguresPublic(PublicModel):
    pending: int = Field(description="integer minor units")
    available: int | None = Field(
        description="integer minor units; null where that side keeps no available balance "
        "(this service for platform and tax)"
    )


class BalanceDifferencePublic(PublicModel):
    party_type: str
    party_id: str
    currency: str
    differs: list[Figure]
    payouts: FiguresPublic = Field(description="this service's view")
    ledger: FiguresPublic = Field(description="the ledger's balances")

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        if not isinstance(value, BalanceDifference):
            return value
        return {
            **asdict(value.account),
            "differs": list(value.fields),
            "payouts": value.payouts,
            "ledger": value.ledger,
        }


class PayoutDifferencePublic(PublicModel):
    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int = Field(description="integer minor units")
    status: str = Field(description="ours: created (not settled yet), paid or failed")
    provider_status: ProviderStatus = Field(description="unknown: the provider never received it")

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        if not isinstance(value, PayoutDifference):
            return value
        return {**asdict(value.payout), "provider_status": value.provider_status}


class ReconciliationPublic(PublicModel):
    checked_at: datetime
    agrees: bool = Field(description="true when both lists are empty")
    balances: list[BalanceDifferencePublic]
    payouts_checked: bool = Field(description="false when the provider cannot be asked")
    payouts: list[PayoutDifferencePublic]


class SimulatedTransferPublic(PublicModel):
    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int = Field(description="integer minor units")
    status: str = Field(
        description="paid, refused, or not_booked (every call timed out before booking)"
    )
    calls: int = Field(description="every pay call the bank received with this payout_id")

    @model_validator(mode="before")
    @classmethod
    def _not_booked(cls, value: Any) -> Any:
        if isinstance(value, BankRequest) and value.status is None:
            return replace(value, status="not_booked")
        return value


class SimulatedTransfersPublic(PublicModel):
    transfers: list[SimulatedTransferPublic]
    next_after: str | None = Field(
        description="pass as `after` for the next page; null when this page was not full"
    )


class SimulatedPayeePaidPublic(PublicModel):
    party_type: str
    party_id: str
    currency: str
    paid: int = Field(description="integer minor units the bank actually paid this payee")


class SimulatedPayeesPublic(PublicModel):
    payees: list[SimulatedPayeePaidPublic]
