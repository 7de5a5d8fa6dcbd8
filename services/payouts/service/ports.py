"""Ports the payouts use cases depend on; adapters implement them, tests may fake them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, runtime_checkable

from services.payouts.domain.balances import Payee, PayeeBalance
from services.payouts.domain.holds import Hold, OrderKey
from services.payouts.domain.payouts import Payout
from services.payouts.domain.reconciliation import (
    Figures,
    PartyCurrency,
    PayoutState,
    ProviderStatus,
)
from shared.db.outbox import RecordLike
from shared.service.unit_of_work import InboxUnitOfWork


class HoldsRepository(Protocol):
    """Holds, keyed by (shop_id, order_id); the rows this transaction locks stay locked until it
    ends."""

    async def lock(self, keys: set[OrderKey]) -> dict[OrderKey, Hold]:
        """The existing holds of these orders, locked (in key order: no deadlock)."""
        ...

    async def insert(self, holds: Sequence[Hold]) -> None: ...

    async def save(self, holds: Sequence[Hold]) -> None:
        """Store changed holds (everything but the key)."""
        ...

    async def mark_released_by_ledger(self, orders: set[OrderKey]) -> None:
        """Record that the ledger released these orders (the first time is kept)."""
        ...

    async def claim_due(self, limit: int) -> list[Hold]:
        """Lock up to `limit` holds due by database time, skipping rows another transaction
        holds (`SKIP LOCKED`), so concurrent schedulers never claim the same hold."""
        ...

    async def mark_released(self, released: Sequence[Hold]) -> None: ...

    async def of_order_id(self, order_id: str) -> list[Hold]:
        """Every shop's hold of an order id, by shop."""
        ...

    async def count_by_status(self) -> dict[str, int]: ...

    async def due_backlog(self) -> tuple[int, float]:
        """(holds due but not released, age in seconds of the oldest one)."""
        ...

    async def pending_by_party(self) -> list[tuple[str, str, str, int]]:
        """(party_type, party_id, currency, minor units) held in holds the ledger has not
        released yet: what this service believes the ledger holds pending for each party."""
        ...


class BalancesRepository(Protocol):
    """Payees' available balances, minor units (may be negative)."""

    async def add_to_available(
        self, changes: Mapping[Payee, int], *, min_payouts: Mapping[Payee, int] | None = None
    ) -> None:
        """Add each change, locking rows in payee order; a payee in `min_payouts` gets that
        minimum."""
        ...

    async def lock_payable(self) -> list[PayeeBalance]:
        """Lock every balance that may be payable until the transaction ends."""
        ...

    async def all_available(self) -> dict[Payee, int]: ...


class PayoutsRepository(Protocol):
    """Payout runs and payouts (see `service.payout_runs` for the locking they rely on)."""

    async def start_run(
        self, run_id: str, trigger: str, scheduled_for: date | None
    ) -> datetime | None:
        """The run's start time, or None when the day's scheduled run exists already."""
        ...

    async def create(self, payout_id: str, run_id: str, payee: Payee, amount: int) -> Payout: ...

    async def lock_due(self, payout_id: str) -> Payout | None:
        """The payout locked if still created and due; None if settled, not due, or held by
        another transaction (`SKIP LOCKED`)."""
        ...

    async def due_ids(self, limit: int) -> list[str]: ...

    async def finish(
        self, payout_id: str, status: str, failure_reason: str | None
    ) -> Payout | None: ...

    async def postpone(
        self, payout_id: str, error: str, retry_after: timedelta
    ) -> Payout | None: ...

    async def wait_for(self, payout_id: str) -> Payout | None:
        """The payout once no other transaction holds it (waits for its lock)."""
        ...

    async def unsettled_backlog(self) -> tuple[int, float]: ...

    async def created_since(self, since: datetime) -> list[Payout]:
        """Every payout created at or after `since`, oldest first."""
        ...

    async def listing(
        self, *, party_type: str | None = None, party_id: str | None = None, limit: int = 500
    ) -> list[Payout]:
        """Newest first, filtered by party when given."""
        ...


class UnitOfWork(InboxUnitOfWork, Protocol):
    """One transaction: ``async with uow:`` ... ``await uow.commit()``; leaving the block
    without committing rolls everything back. The same surface as
    ``shared.db.unit_of_work.SqlUnitOfWork`` plus this service's repositories."""

    @property
    def holds(self) -> HoldsRepository: ...

    @property
    def balances(self) -> BalancesRepository: ...

    @property
    def payouts(self) -> PayoutsRepository: ...

    async def add_to_outbox(self, topic: str, records: Sequence[RecordLike]) -> None: ...

    async def database_now(self) -> datetime:
        """The database's clock, the one every replica agrees on."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""A new, not yet entered unit of work per call."""


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


@dataclass(frozen=True, slots=True)
class BankRequest:
    """A payout id the simulated bank was called with: `status` of its booked transfer (None
    when every call timed out before the bank booked anything), `calls` every `pay` call."""

    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int
    status: str | None
    calls: int


class BankBooks(Protocol):
    """What the simulated bank did, for tests and operators looking for a double payment."""

    async def requests(self, *, after: str | None = None, limit: int = 1_000) -> list[BankRequest]:
        """Every payout id the bank was called with, in payout id order after `after`."""
        ...

    async def paid_by_payee(self) -> dict[tuple[str, str, str], int]:
        """Minor units paid per (party_type, party_id, currency)."""
        ...


class PayoutsView(Protocol):
    async def read(self, payout_window: timedelta) -> OwnView:
        """This service's pending, available and recent payouts, consistent with each other."""
        ...
