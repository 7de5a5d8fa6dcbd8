"""Topic `payouts.v1`: releases and payouts, published by the payouts service.

`settlement.released` is keyed by order id and tells the ledger to move the order's remaining
pending amounts to available; its legs (one per party, every party including platform and tax,
non-negative) are what the payouts service expects to move, so the ledger can cross-check them.
Payout events are keyed by payee (`common.payee_key`) so a payee's payouts stay in order; they
share one shape plus the time (and, on failure, the reason) of the transition they announce.
"""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field

from shared.events.common import (
    Currency,
    EventModel,
    Id,
    Legs,
    PartyType,
    PositiveAmount,
    Timestamp,
    Upcaster,
    envelope_of,
    parse_event,
    payee_key,
    registry_of,
    require_matching_key,
    upcast_data,
)
from shared.events.envelope import Envelope

TOPIC = "payouts.v1"
SOURCE = "/settlement/payouts"
SCHEMA_VERSION = 1


class SettlementReleased(EventModel):
    """The order's after-sales window closed without a full refund: release its funds."""

    TYPE = "settlement.released"

    order_id: Id
    shop_id: Id
    currency: Currency
    released_at: Timestamp
    legs: Legs

    @property
    def record_key(self) -> str:
        return self.order_id


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
EVENT_TYPES: Mapping[str, type[PayoutsEvent]] = MappingProxyType(registry_of(*_MODELS))

_UPCASTERS: Mapping[int, Upcaster] = MappingProxyType({})
"""Version n -> n + 1 steps; add one here with each new SCHEMA_VERSION."""


def upcast(type_name: str, version: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Bring data written at `version` to SCHEMA_VERSION (identity while only v1 exists)."""
    return upcast_data(
        topic=TOPIC,
        current=SCHEMA_VERSION,
        steps=_UPCASTERS,
        type_name=type_name,
        version=version,
        data=data,
    )


def parse(
    type_name: str, data: Mapping[str, Any], *, version: int = SCHEMA_VERSION
) -> PayoutsEvent:
    """Upcast and validate; raises UnknownEventTypeError, UnsupportedSchemaVersionError or
    pydantic.ValidationError (all ValueError)."""
    return parse_event(
        topic=TOPIC,
        registry=EVENT_TYPES,
        type_name=type_name,
        data=upcast(type_name, version, data),
    )


def parse_envelope(envelope: Envelope) -> PayoutsEvent:
    """The event in an envelope read from this topic; also refuses a mismatched record key."""
    event = parse(envelope.type, envelope.data, version=envelope.schemaversion)
    require_matching_key(envelope, event)
    return event


def to_envelope(
    event: PayoutsEvent, *, event_id: str, time: datetime, subject: str | None = None
) -> Envelope:
    """Wrap an event for publishing on this topic; `time` is when it was recorded."""
    return envelope_of(
        event,
        source=SOURCE,
        schema_version=SCHEMA_VERSION,
        event_id=event_id,
        time=time,
        subject=subject,
    )
