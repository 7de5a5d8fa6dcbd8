"""What the ledger announces on ``ledger.v1``, as the domain's own values.

Each class mirrors one event of ``shared.events.ledger_v1`` field for field (that module is the
schema and the AsyncAPI source); the adapters write these straight to record bytes, so nothing
here is validated twice or built only to be serialised. ``TYPE`` is the event's CloudEvents type:
publication ids are derived from it (``outputs.publication_id``), so it must not change.

Amounts are non-negative integer minor units of ``currency``; the event type says which way the
money moved (see the ``ledger_v1`` docstring).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from shared.events.common import PartyType

ReversalReason = Literal["refund", "cancel"]
ReversalPhase = Literal["pending", "clawback"]
PayoutStatus = Literal["created", "paid", "failed"]


@dataclass(frozen=True, slots=True)
class PartyLeg:
    """One party's amount, minor units (>= 0): a party's legs summed (fee and cut together)."""

    party_type: PartyType
    party_id: str
    amount: int


@dataclass(frozen=True, slots=True)
class ReleaseTerms:
    """The order's release terms as placed, forwarded to the payouts service."""

    after_sales_window_days: int
    release_rule: str
    min_payout: int


@dataclass(frozen=True, slots=True)
class OrderPosted:
    TYPE: ClassVar[str] = "ledger.order_posted"

    order_id: str
    shop_id: str
    region: str
    currency: str
    occurred_at: datetime
    paid_total: int
    legs: tuple[PartyLeg, ...]
    release_terms: ReleaseTerms


@dataclass(frozen=True, slots=True)
class OrderDelivered:
    TYPE: ClassVar[str] = "ledger.order_delivered"

    order_id: str
    shop_id: str
    currency: str
    delivered_at: datetime


@dataclass(frozen=True, slots=True)
class OrderReversed:
    TYPE: ClassVar[str] = "ledger.order_reversed"

    order_id: str
    shop_id: str
    currency: str
    reason: ReversalReason
    refund_id: str | None
    phase: ReversalPhase
    occurred_at: datetime
    amount: int
    legs: tuple[PartyLeg, ...]


@dataclass(frozen=True, slots=True)
class OrderReleased:
    TYPE: ClassVar[str] = "ledger.order_released"

    order_id: str
    shop_id: str
    currency: str
    released_at: datetime
    legs: tuple[PartyLeg, ...]


@dataclass(frozen=True, slots=True)
class PayoutPosted:
    TYPE: ClassVar[str] = "ledger.payout_posted"

    payout_id: str
    party_type: PartyType
    party_id: str
    currency: str
    amount: int
    status: PayoutStatus
    occurred_at: datetime


LedgerPublication = OrderPosted | OrderDelivered | OrderReversed | OrderReleased | PayoutPosted
