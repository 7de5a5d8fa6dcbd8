"""The reads the API and the gauges serve, each in its own short transaction (nothing is
written; the unit of work rolls back on leaving)."""

from __future__ import annotations

from dataclasses import dataclass

from services.payouts.domain.holds import Hold
from services.payouts.domain.payouts import Payout
from services.payouts.service.ports import UnitOfWorkFactory


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
