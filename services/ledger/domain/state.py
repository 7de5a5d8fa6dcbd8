"""What the ledger remembers between events: per order and per payout (not the journal itself).

Both are derived from the journal's events and rebuilt by a replay; they exist so an event can be
folded without re-reading the order's history.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from services.ledger.domain.order import Agency, OrderLine, PlacedOrder, SplitTerms
from services.ledger.domain.split import Split, compute_split
from shared.events.common import PartyType
from shared.events.orders_v1 import OrderPlaced

PayoutStatus = Literal["created", "paid", "failed"]
OrderKey = tuple[str, str]
"""An order's identity, ``(shop_id, order_id)``: order ids are unique within a shop only."""


def split_of(placed: OrderPlaced) -> Split:
    """The split of an ``order.placed`` event, from the event alone."""
    order = PlacedOrder(
        order_id=placed.order_id,
        shop_id=placed.shop_id,
        currency=placed.currency,
        lines=tuple(
            OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                rate_bps=line.rate_bps,
                plan_id=line.plan_id,
            )
            for line in placed.lines
        ),
        shipping_fee=placed.shipping_fee,
        terms=SplitTerms(
            platform_fee_bps=placed.terms.platform_fee_bps,
            platform_cut_bps=placed.terms.platform_cut_bps,
            creator_tax_bps=placed.terms.creator_tax_bps,
        ),
        creator_id=placed.creator_id,
        agency=(
            Agency(placed.agency.agency_id, placed.agency.share_bps)
            if placed.agency is not None
            else None
        ),
    )
    return compute_split(order)


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order as folded so far. ``refunded`` is cumulative minor units reversed by refunds;
    after a cancellation every leg has been reversed whatever ``refunded`` says."""

    placed: OrderPlaced
    split: Split
    refunded: int = 0
    cancelled: bool = False
    released: bool = False
    delivered_at: datetime | None = None

    @classmethod
    def from_placed(cls, placed: OrderPlaced) -> "OrderState":
        return cls(placed=placed, split=split_of(placed))

    @property
    def order_id(self) -> str:
        return self.placed.order_id

    @property
    def key(self) -> OrderKey:
        return self.placed.order_key

    @property
    def reversed_total(self) -> int:
        """Minor units reversed so far (refunds, or everything after a cancellation)."""
        return self.split.paid_total if self.cancelled else self.refunded

    def evolve(self, **changes: object) -> "OrderState":
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class PayoutState:
    """A payout the ledger posted; ``amount`` in minor units of ``currency``."""

    payout_id: str
    party_type: PartyType
    party_id: str
    currency: str
    amount: int
    status: PayoutStatus


@dataclass(slots=True)
class LedgerState:
    """The orders and payouts a fold reads and updates (a working copy, owned by one fold)."""

    orders: dict[OrderKey, OrderState] = field(default_factory=dict)
    payouts: dict[str, PayoutState] = field(default_factory=dict)
