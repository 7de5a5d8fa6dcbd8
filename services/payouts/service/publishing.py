"""Events this service publishes on payouts.v1, queued through the transactional outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.payouts.domain.holds import Hold
from services.payouts.service.ports import UnitOfWork
from shared.events import payouts_v1
from shared.events.common import Leg
from shared.events.envelope import to_kafka

_RELEASE_NAMESPACE = uuid.UUID("6f1d3c52-4c1e-4a8b-9a57-1b7f0e6f2a11")


def release_event_id(hold: Hold) -> str:
    """Deterministic: an order (``(shop_id, order_id)``) is released once, so its release has
    exactly one event id, and a consumer can drop a repeat even if the record were ever produced
    twice."""
    return str(
        uuid.uuid5(_RELEASE_NAMESPACE, f"settlement.released:{hold.shop_id}/{hold.order_id}")
    )


def settlement_released(hold: Hold) -> payouts_v1.SettlementReleased:
    if hold.released_at is None:
        raise ValueError(f"hold {hold.order_id} has not been released")
    return payouts_v1.SettlementReleased(
        order_id=hold.order_id,
        shop_id=hold.shop_id,
        currency=hold.currency,
        released_at=hold.released_at,
        legs=[
            Leg(party_type=a.party_type, party_id=a.party_id, amount=a.amount) for a in hold.amounts
        ],
    )


async def publish(
    uow: UnitOfWork,
    topic: str,
    events: Sequence[tuple[str, payouts_v1.PayoutsEvent]],
    *,
    time: datetime,
) -> None:
    """Queue (event id, event) pairs for `topic` in the unit of work's transaction."""
    records = [
        to_kafka(payouts_v1.to_envelope(event, event_id=event_id, time=time))
        for event_id, event in events
    ]
    await uow.add_to_outbox(topic, records)
