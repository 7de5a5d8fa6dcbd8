"""Topic `ledger.v1`: what the ledger posted, published for the payouts service.

The payouts service holds each order's funds from these events alone: its per-party pending amount
for an order is the `ledger.order_posted` legs minus every `phase="pending"` reversal; the release
instant comes from `ledger.order_delivered.delivered_at` and the posted `release_terms` (the
`order.placed` terms' `release_terms()`), e.g. through `shared.regions.release_at`.

Keys: order events are keyed by order id (so they arrive in posting order); payout postings by
payee (`common.payee_key`). The ledger publishes in business order even when orders.v1 events came
out of order: `order_posted` comes first; `order_delivered` when delivery is known (it may directly
follow `order_posted` if the delivery arrived first).

Legs are one per party (platform fee and cut are summed into one platform leg) and always carry
non-negative magnitudes; the event type says which way the money moved:
- `ledger.order_posted`: pending amounts credited; legs sum to `paid_total`.
- `ledger.order_reversed`: amounts taken back; legs sum to `amount`. `phase="pending"` before
  release (from pending), `phase="clawback"` after release (from available, which may go
  negative). A cancellation (`reason="cancel"`, no `refund_id`) is only ever `pending`.
- `ledger.order_released`: pending moved to available, per party, once per order.
- `ledger.payout_posted`: `created` moves the amount out of available, `paid` records it as paid
  out, `failed` returns it to available.
"""

from typing import Literal, Self

from pydantic import model_validator

from shared.events.common import (
    Amount,
    Currency,
    EventModel,
    Id,
    Legs,
    OrderEvent,
    PartyType,
    PositiveAmount,
    Region,
    Timestamp,
    payee_key,
)
from shared.events.lean_decoding import TopicDecoder
from shared.events.terms import ReleaseTerms
from shared.events.topic_schema import TopicSchema

TOPIC = "ledger.v1"
SOURCE = "/settlement/ledger"
SCHEMA_VERSION = 1

ReversalReason = Literal["refund", "cancel"]
ReversalPhase = Literal["pending", "clawback"]
PayoutStatus = Literal["created", "paid", "failed"]


class LedgerOrderPosted(OrderEvent):
    """The order's split, posted as pending; `occurred_at` is the order's placement time."""

    TYPE = "ledger.order_posted"

    region: Region
    currency: Currency
    occurred_at: Timestamp
    paid_total: Amount
    legs: Legs
    release_terms: ReleaseTerms

    @model_validator(mode="after")
    def _balanced(self) -> Self:
        if sum(leg.amount for leg in self.legs) != self.paid_total:
            raise ValueError("posted legs must sum to paid_total")
        return self


class LedgerOrderDelivered(OrderEvent):
    """The order was delivered; its after-sales window runs from `delivered_at`. No money moves."""

    TYPE = "ledger.order_delivered"

    currency: Currency
    delivered_at: Timestamp


class LedgerOrderReversed(OrderEvent):
    """Amounts reversed per party by one refund, or by the cancellation."""

    TYPE = "ledger.order_reversed"

    currency: Currency
    reason: ReversalReason
    refund_id: Id | None
    """The refund's id for `reason="refund"`; None for a cancellation."""
    phase: ReversalPhase
    occurred_at: Timestamp
    amount: Amount
    legs: Legs

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.reason == "refund") != (self.refund_id is not None):
            raise ValueError("refund_id is required for a refund and absent for a cancellation")
        if self.reason == "cancel" and self.phase != "pending":
            raise ValueError("a cancellation happens before delivery, so never after release")
        if sum(leg.amount for leg in self.legs) != self.amount:
            raise ValueError("reversed legs must sum to amount")
        return self


class LedgerOrderReleased(OrderEvent):
    """Each party's remaining pending amount for the order, moved to available."""

    TYPE = "ledger.order_released"

    currency: Currency
    released_at: Timestamp
    legs: Legs


class LedgerPayoutPosted(EventModel):
    """A payout's effect on a payee's balance, posted on each status change."""

    TYPE = "ledger.payout_posted"

    payout_id: Id
    party_type: PartyType
    party_id: Id
    currency: Currency
    amount: PositiveAmount
    status: PayoutStatus
    occurred_at: Timestamp

    @property
    def record_key(self) -> str:
        return payee_key(self.party_type, self.party_id)


LedgerEvent = (
    LedgerOrderPosted
    | LedgerOrderDelivered
    | LedgerOrderReversed
    | LedgerOrderReleased
    | LedgerPayoutPosted
)
_MODELS: tuple[type[LedgerEvent], ...] = (
    LedgerOrderPosted,
    LedgerOrderDelivered,
    LedgerOrderReversed,
    LedgerOrderReleased,
    LedgerPayoutPosted,
)
_SCHEMA: TopicSchema[LedgerEvent] = TopicSchema(
    topic=TOPIC, source=SOURCE, version=SCHEMA_VERSION, models=_MODELS, upcasters={}
)
"""Add an upcaster (version n -> n + 1) to `upcasters` with each new SCHEMA_VERSION."""
EVENT_TYPES = _SCHEMA.event_types
upcast = _SCHEMA.upcast
parse = _SCHEMA.parse
parse_envelope = _SCHEMA.parse_envelope
to_envelope = _SCHEMA.to_envelope
to_record = _SCHEMA.to_record


decode_record: TopicDecoder[LedgerEvent] = TopicDecoder(
    TOPIC, EVENT_TYPES, SCHEMA_VERSION, parse_envelope
)
"""(event id, event) of a ledger.v1 record read from Kafka: accepts and refuses exactly what
``parse_envelope(from_kafka(...))`` does, decoding the body once (``lean_decoding``)."""
