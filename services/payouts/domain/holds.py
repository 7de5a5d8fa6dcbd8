"""An order's hold: the per-party pending amounts from posting until release, as a pure fold.

Lifecycle: `awaiting_delivery` -> `holding` (delivered; `release_at` known) -> `released` (the
release was decided and `settlement.released` sent). A hold with nothing left to release (fully
refunded, or cancelled) is `closed` and never released. Amounts are non-negative minor units of
the hold's currency. Every function returns a new hold; none reads a clock.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from services.payouts.domain.errors import NotDueError, OverReversalError, UnknownPartyError
from services.payouts.domain.release_instant import HoldTerms, release_instant

HoldStatus = Literal["awaiting_delivery", "holding", "released", "closed"]
HOLD_STATUSES: tuple[HoldStatus, ...] = ("awaiting_delivery", "holding", "released", "closed")
OrderKey = tuple[str, str]
"""An order's identity, ``(shop_id, order_id)``: order ids are unique within a shop only."""


@dataclass(frozen=True, slots=True)
class PartyAmount:
    """One party's amount in minor units (pending while held, moved when released)."""

    party_type: str
    party_id: str
    amount: int

    @property
    def party(self) -> tuple[str, str]:
        return (self.party_type, self.party_id)


@dataclass(frozen=True, slots=True)
class Hold:
    order_id: str
    shop_id: str
    region: str
    currency: str
    terms: HoldTerms
    status: HoldStatus
    amounts: tuple[PartyAmount, ...]
    delivered_at: datetime | None = None
    release_at: datetime | None = None
    released_at: datetime | None = None

    @property
    def key(self) -> OrderKey:
        return (self.shop_id, self.order_id)

    @property
    def total(self) -> int:
        return sum(leg.amount for leg in self.amounts)

    def involves(self, party_type: str, party_id: str) -> bool:
        return any(leg.party == (party_type, party_id) for leg in self.amounts)


def open_hold(
    *,
    order_id: str,
    shop_id: str,
    region: str,
    currency: str,
    terms: HoldTerms,
    legs: Iterable[PartyAmount],
) -> Hold:
    """The hold of a freshly posted order: every leg pending, waiting for delivery."""
    amounts = tuple(legs)
    status: HoldStatus = "awaiting_delivery" if sum(a.amount for a in amounts) else "closed"
    return Hold(order_id, shop_id, region, currency, terms, status, amounts)


def deliver(hold: Hold, delivered_at: datetime) -> Hold:
    """Start the after-sales window; a repeated delivery, or one of a settled hold, is a no-op."""
    if hold.status != "awaiting_delivery":
        return hold
    due = release_instant(hold.region, hold.currency, hold.terms, delivered_at)
    return replace(hold, status="holding", delivered_at=delivered_at, release_at=due)


def reverse_pending(hold: Hold, legs: Iterable[PartyAmount]) -> Hold:
    """Shrink the pending amounts by a refund or cancellation posted before the ledger released.

    This also applies to a hold this service already marked released whose ledger release has
    not happened yet (the refund won the race at the ledger). A hold left with nothing pending
    before release is closed. Raises for an unknown party or a reversal beyond what is pending.
    """
    remaining = {leg.party: leg.amount for leg in hold.amounts}
    for leg in legs:
        if leg.party not in remaining:
            raise UnknownPartyError(f"{hold.order_id}: no pending amount for {leg.party}")
        if leg.amount > remaining[leg.party]:
            raise OverReversalError(
                f"{hold.order_id}: reversing {leg.amount} from {leg.party}, "
                f"only {remaining[leg.party]} pending"
            )
        remaining[leg.party] -= leg.amount
    amounts = tuple(PartyAmount(pt, pid, amount) for (pt, pid), amount in remaining.items())
    reversed_hold = replace(hold, amounts=amounts)
    if reversed_hold.total == 0 and hold.status in ("awaiting_delivery", "holding"):
        return replace(reversed_hold, status="closed")
    return reversed_hold


def is_due(hold: Hold, now: datetime) -> bool:
    return hold.status == "holding" and hold.release_at is not None and hold.release_at <= now


def release(hold: Hold, now: datetime) -> Hold:
    """Decide the release at `now` (database time); never before `release_at`, at most once."""
    if not is_due(hold, now):
        raise NotDueError(f"{hold.order_id} is {hold.status}, due {hold.release_at}, now {now}")
    return replace(hold, status="released", released_at=now)


def record_ledger_release(hold: Hold, legs: Iterable[PartyAmount], released_at: datetime) -> Hold:
    """Adopt what the ledger actually moved to available (it may be less than the hold after a
    racing refund). A release that moved nothing leaves the hold closed."""
    amounts = tuple(legs)
    status: HoldStatus = "released" if sum(a.amount for a in amounts) else "closed"
    return replace(
        hold, status=status, amounts=amounts, released_at=hold.released_at or released_at
    )
