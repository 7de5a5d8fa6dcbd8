"""Topic `payouts.v1`: releases and payouts, published by the payouts service.

`settlement.released` is keyed by order id and tells the ledger to move the order's remaining
pending amounts to available; its legs (one per party, every party including platform and tax,
non-negative) are what the payouts service expects to move, so the ledger can cross-check them.
Payout events are keyed by payee (`common.payee_key`) so a payee's payouts stay in order; they
share one shape plus the time (and, on failure, the reason) of the transition they announce.
"""

from typing import Annotated

from pydantic import Field

from shared.events.common import (
    Currency,
    EventModel,
    Id,
    Legs,
    OrderEvent,
    PartyType,
    PositiveAmount,
    Timestamp,
    payee_key,
)
from shared.events.topic_schema import TopicSchema

TOPIC = "payouts.v1"
SOURCE = "/settlement/payouts"
SCHEMA_VERSION = 1


class SettlementReleased(OrderEvent):
    """The order's after-sales window closed without a full refund: release its funds."""

    TYPE = "settlement.released"

    currency: Currency
    released_at: Timestamp
    legs: Legs


class _PayoutEvent(EventModel):
    """Fields every payout event carries; `amount` is minor units, the payee's whole balance."""

    payout_id: Id
    run_id: Id
    party_type: PartyType
    party_id: Id
    currency: Currency
    amount: PositiveAmount

    @property
    def record_key(self) -> str:
        return payee_key(self.party_type, self.party_id)


class PayoutCreated(_PayoutEvent):
    TYPE = "payout.created"

    created_at: Timestamp


class PayoutPaid(_PayoutEvent):
    TYPE = "payout.paid"

    paid_at: Timestamp


class PayoutFailed(_PayoutEvent):
    """The payout did not go through; its amount returns to the payee's available balance."""

    TYPE = "payout.failed"

    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    failed_at: Timestamp


PayoutsEvent = SettlementReleased | PayoutCreated | PayoutPaid | PayoutFailed
_MODELS: tuple[type[PayoutsEvent], ...] = (
    SettlementReleased,
    PayoutCreated,
    PayoutPaid,
    PayoutFailed,
)
_SCHEMA: TopicSchema[PayoutsEvent] = TopicSchema(
    topic=TOPIC, source=SOURCE, version=SCHEMA_VERSION, models=_MODELS, upcasters={}
)
"""Add an upcaster (version n -> n + 1) to `upcasters` with each new SCHEMA_VERSION."""
EVENT_TYPES = _SCHEMA.event_types
upcast = _SCHEMA.upcast
parse = _SCHEMA.parse
parse_envelope = _SCHEMA.parse_envelope
to_envelope = _SCHEMA.to_envelope
