"""What the ledger's handlers need from the outside world, as Protocols (the adapters implement
them in ``adapters/db``; handler tests pass fakes)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.ledger.domain.journal import JournalEntry
from services.ledger.domain.outputs import Publication
from services.ledger.domain.state import OrderKey, OrderState, PayoutState
from shared.service.unit_of_work import InboxUnitOfWork


class JournalPort(Protocol):
    async def append(self, entries: Sequence[JournalEntry], recorded_at: datetime) -> None:
        """Append entries (each new) with their postings, stamped ``recorded_at``."""


class OrdersPort(Protocol):
    async def lock_and_load(self, keys: Collection[OrderKey]) -> dict[OrderKey, OrderState]:
        """The placed orders among ``keys``, locked until the transaction ends."""

    async def save(self, orders: Mapping[OrderKey, OrderState]) -> None:
        """Store the new state of these orders (new ones, or ones loaded in this transaction)."""


class PayoutsPort(Protocol):
    async def lock_and_load(self, payout_ids: Collection[str]) -> dict[str, PayoutState]:
        """The posted payouts among ``payout_ids``, locked until the transaction ends."""

    async def save(self, payouts: Mapping[str, PayoutState]) -> None:
        """Store the new state of these payouts."""


class LedgerUnitOfWork(InboxUnitOfWork, Protocol):
    """One transaction: rolls back unless ``commit()`` is called inside ``async with``."""

    @property
    def journal(self) -> JournalPort: ...

    @property
    def orders(self) -> OrdersPort: ...

    @property
    def payouts(self) -> PayoutsPort: ...

    async def publish(self, publications: Sequence[Publication], recorded_at: datetime) -> None:
        """Queue ``ledger.v1`` publications; they are sent only after commit."""
