"""Ports the payouts use cases depend on; adapters implement them, tests may fake them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PayoutInstruction:
    """Pay `amount` minor units of `currency` to one payee; `payout_id` is the idempotency key."""

    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    """`paid` or not; a failure carries the provider's reason."""

    paid: bool
    reason: str | None = None

    @classmethod
    def success(cls) -> ProviderOutcome:
        return cls(paid=True)

    @classmethod
    def failure(cls, reason: str) -> ProviderOutcome:
        return cls(paid=False, reason=reason)


class PayoutProvider(Protocol):
    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        """Move the money; an exception is treated as a failure with its message as reason."""
        ...
