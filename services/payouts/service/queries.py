"""The reads the API and the gauges serve, each in its own short transaction (nothing is
written; the unit of work rolls back on leaving)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.payouts.domain.holds import Hold
from services.payouts.domain.payouts import Payout
from services.payouts.domain.reconciliation import PartyCurrency, PayoutState
from services.payouts.service.ports import OwnView, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the hold and payout gauges show."""

    holds_by_status: dict[str, int]
    due_unreleased: int
    oldest_due_age_s: float
    """Seconds since the oldest due, unreleased hold became due (0 when none)."""
    unsettled_payouts: int
    oldest_unsettled_age_s: float
    """Seconds since the oldest unsettled payout was created (0 when none)."""


@dataclass(frozen=True, slots=True)
class PayoutsQueries:
    new_uow: UnitOfWorkFactory

    async def holds_of_order_id(self, order_id: str) -> list[Hold]:
        """Every shop's hold of an order id (an order is (shop_id, order_id)), by shop."""
        async with self.new_uow() as uow:
            return await uow.holds.of_order_id(order_id)

    async def payouts(
        self, *, party_type: str | None = None, party_id: str | None = None
    ) -> list[Payout]:
        """Payouts newest first (at most 500), filtered by party when given."""
        async with self.new_uow() as uow:
            return await uow.payouts.listing(party_type=party_type, party_id=party_id)

    async def backlog(self) -> Backlog:
        async with self.new_uow() as uow:
            counts = await uow.holds.count_by_status()
            due, oldest_due = await uow.holds.due_backlog()
            unsettled, oldest_unsettled = await uow.payouts.unsettled_backlog()
        return Backlog(counts, due, oldest_due, unsettled, oldest_unsettled)


@dataclass(frozen=True, slots=True)
class OwnViewQuery:
    """``service.ports.PayoutsView``: this service's side of a reconciliation. `new_snapshot`
    makes REPEATABLE READ units of work: a folded batch moves a hold out of pending and into
    available in one transaction, so both must be read at one instant."""

    new_snapshot: UnitOfWorkFactory

    async def read(self, payout_window: timedelta) -> OwnView:
        async with self.new_snapshot() as uow:
            checked_at = await uow.database_now()
            pending = await uow.holds.pending_by_party()
            available = await uow.balances.all_available()
            recent = await uow.payouts.created_since(checked_at - payout_window)
        return OwnView(
            checked_at=checked_at,
            pending={
                PartyCurrency(party_type, party_id, currency): amount
                for party_type, party_id, currency, amount in pending
            },
            available={
                PartyCurrency(p.party_type, p.party_id, p.currency): amount
                for p, amount in available.items()
            },
            payouts=[
                PayoutState(p.payout_id, p.party_type, p.party_id, p.currency, p.amount, p.status)
                for p in recent
            ],
        )
