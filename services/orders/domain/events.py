"""What an order records: the accepted (published) events and the inbox's bookkeeping events.

``AcceptedEvent`` values go to the ``orders.v1`` outbox. ``FactHeld`` and ``HeldFactDropped`` are
recorded in the order's own stream only, so that folding the stream with ``evolve`` rebuilds the
inbox of facts waiting for the placement.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.orders.domain.facts import Agency, Cancelled, Delivered, Fact, Placed, Refunded
from services.orders.domain.plans import Plan, PlanType, resolve


@dataclass(frozen=True, slots=True)
class PricedLine:
    """An order line with the commission terms resolved for it at placement (rate in bps)."""

    sku: str
    quantity: int
    unit_price: int
    discount: int
    plan_id: str | None
    plan_type: PlanType | None
    rate_bps: int

    @property
    def base(self) -> int:
        """Commissionable amount of the line, in minor units."""
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    """``order.placed`` as published: the placement with every line's plan and rate stamped.

    The terms are resolved once, from the shop's plans active at ``occurred_at``; later plan
    changes never alter them.
    """

    order_id: str
    occurred_at: datetime
    currency: str
    lines: tuple[PricedLine, ...]
    shipping_fee: int
    creator_id: str | None
    agency: Agency | None

    @property
    def paid_total(self) -> int:
        """Sum of line bases plus shipping, in minor units."""
        return sum(line.base for line in self.lines) + self.shipping_fee

    @classmethod
    def stamp(cls, placed: Placed, plans: Iterable[Plan]) -> "OrderPlaced":
        """Resolve every line of a (validated) placement against the shop's ``plans``."""
        shop_plans = tuple(plans)
        lines = []
        for line in placed.lines:
            terms = resolve(shop_plans, line.sku, placed.creator_id, placed.occurred_at)
            lines.append(
                PricedLine(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    plan_id=terms.plan_id,
                    plan_type=terms.plan_type,
                    rate_bps=terms.rate_bps,
                )
            )
        return cls(
            order_id=placed.order_id,
            occurred_at=placed.occurred_at,
            currency=placed.currency,
            lines=tuple(lines),
            shipping_fee=placed.shipping_fee,
            creator_id=placed.creator_id,
            agency=placed.agency,
        )


@dataclass(frozen=True, slots=True)
class FactHeld:
    """A fact that arrived before the placement and waits in the order's inbox."""

    fact: Delivered | Refunded | Cancelled


@dataclass(frozen=True, slots=True)
class HeldFactDropped:
    """A held fact the order could not take once placed (``reason`` as a 409 would say it)."""

    fact: Delivered | Refunded | Cancelled
    reason: str


AcceptedEvent = OrderPlaced | Delivered | Refunded | Cancelled
OrderEvent = AcceptedEvent | FactHeld | HeldFactDropped


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One entry of an order's stream: the event, its position (``seq`` from 1), its id (the
    published ``ce_id`` when it is published) and when it was recorded (aware)."""

    seq: int
    event_id: str
    recorded_at: datetime
    event: OrderEvent


BusinessKey = tuple[datetime, int, str]


def business_key(item: Fact | AcceptedEvent) -> BusinessKey:
    """Sort key of business order: ``occurred_at``, then placed < delivered < refunded <
    cancelled, then ``refund_id``. Two facts an order can both accept never share a key."""
    if isinstance(item, Delivered):
        return (item.occurred_at, 1, "")
    if isinstance(item, Refunded):
        return (item.occurred_at, 2, item.refund_id)
    if isinstance(item, Cancelled):
        return (item.occurred_at, 3, "")
    return (item.occurred_at, 0, "")
