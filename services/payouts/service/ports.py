"""Ports the payouts use cases depend on; adapters implement them, tests may fake them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from services.payouts.domain.reconciliation import (
    Figures,
    PartyCurrency,
    PayoutState,
    ProviderStatus,
)


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
    """A definite answer: `paid`, or refused (a failure, with the provider's reason)."""

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
        """Move the money, idempotently per `instruction.payout_id`. Returning is a definite
        answer; an exception (or no answer within the caller's timeout) is not: the money may
        or may not have moved, and the caller asks again later with the same payout id."""
        ...


@runtime_checkable
class PayoutStatusLookup(Protocol):
    async def statuses(self, payout_ids: Sequence[str]) -> dict[str, ProviderStatus]:
        """The provider's status of each of these payouts it has heard of; a payout it never
        received is absent. Any exception is a failure to ask (ProviderUnavailableError)."""
        ...


class ProviderUnavailableError(Exception):
    """The payout provider could not be asked about payouts."""


class LedgerUnavailableError(Exception):
    """The ledger's balances could not be read (down, refused the token, answered nonsense)."""


class LedgerBalances(Protocol):
    async def all_balances(self) -> dict[PartyCurrency, Figures]:
        """Every party's pending and available balance per currency as the ledger reports them
        (minor units; the ledger's system accounts left out). Raises LedgerUnavailableError."""
        ...


@dataclass(frozen=True, slots=True)
class OwnView:
    """This service's side of a reconciliation, read in one snapshot at `checked_at`."""

    checked_at: datetime
    pending: Mapping[PartyCurrency, int]
    """Minor units held per party in holds the ledger has not released yet."""
    available: Mapping[PartyCurrency, int]
    """Payees' available balances, minor units (may be negative)."""
    payouts: Sequence[PayoutState]
    """Payouts created within the window asked for."""


class PayoutsView(Protocol):
    async def read(self, payout_window: timedelta) -> OwnView:
        """This service's pending, available and recent payouts, consistent with each other."""
        ...
