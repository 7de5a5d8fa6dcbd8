"""Realistic ledger inputs for tests and the benchmark: orders.v1 / payouts.v1 events as records.

`OrderStream` makes a seeded random stream of orders (placed, then delivered / refunded /
cancelled, in business order per order) across regions; `as_record` turns an event into the
`ConsumedRecord` a consumer would read, `outgoing` into the record a producer sends.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.db.outbox import OutgoingRecord
from shared.events import orders_v1, payouts_v1
from shared.events.envelope import to_kafka
from shared.events.orders_v1 import (
    Agency,
    OrderCancelled,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderRefunded,
    OrdersEvent,
)
from shared.events.payouts_v1 import PayoutsEvent
from shared.events.terms import OrderTerms
from shared.kafka.consumer import ConsumedRecord
from shared.regions import region_terms

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
REGION_CURRENCY = {"UK": "GBP", "US": "USD", "ID": "IDR", "VN": "VND", "CN": "CNY"}


@dataclass(frozen=True, slots=True)
class Sent:
    event_id: str
    event: OrdersEvent | PayoutsEvent


def placed(
    order_id: str,
    *,
    region: str = "UK",
    shop_id: str = "shop-1",
    creator_id: str | None = "creator-x",
    agency: tuple[str, int] | None = ("mcn-1", 2000),
    at: datetime = T0,
) -> OrderPlaced:
    """The DOMAIN.md worked example by default (UK, paid_total 4299)."""
    return OrderPlaced(
        order_id=order_id,
        shop_id=shop_id,
        region=region,
        currency=REGION_CURRENCY[region],
        occurred_at=at,
        lines=[
            OrderLine(
                line_no=1,
                sku="A",
                quantity=2,
                unit_price=1500,
                discount=0,
                rate_bps=2000 if creator_id else 0,
                plan_id="plan-t" if creator_id else None,
                plan_type="targeted" if creator_id else None,
            ),
            OrderLine(
                line_no=2,
                sku="B",
                quantity=1,
                unit_price=1000,
                discount=100,
                rate_bps=500 if creator_id else 0,
                plan_id="plan-s" if creator_id else None,
                plan_type="shop" if creator_id else None,
            ),
        ],
        shipping_fee=399,
        creator_id=creator_id,
        agency=Agency(agency_id=agency[0], share_bps=agency[1]) if agency else None,
        terms=OrderTerms.from_region(region_terms(region)),
    )


def envelope_record(topic: str, sent: Sent, *, time: datetime = T0) -> OutgoingRecord:
    event = sent.event
    if isinstance(event, OrderPlaced | OrderDelivered | OrderRefunded | OrderCancelled):
        envelope = orders_v1.to_envelope(event, event_id=sent.event_id, time=time)
    else:
        envelope = payouts_v1.to_envelope(event, event_id=sent.event_id, time=time)
    record = to_kafka(envelope)
    return OutgoingRecord(topic, record.key, record.value, record.headers)


def as_record(topic: str, sent: Sent, offset: int, *, partition: int = 0) -> ConsumedRecord:
    out = envelope_record(topic, sent)
    return ConsumedRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        key=out.key,
        value=out.value,
        headers=tuple(out.headers),
        timestamp_ms=int(T0.timestamp() * 1000),
    )


def new_id() -> str:
    return str(uuid.uuid4())


class OrderStream:
    """A seeded stream of orders.v1 events, in business order per order, interleaved."""

    def __init__(self, seed: int, prefix: str = "o") -> None:
        self._rng = random.Random(seed)
        self._prefix = prefix

    def events(self, orders: int) -> list[Sent]:
        rng = self._rng
        per_order = [self._order_events(n) for n in range(orders)]
        stream: list[Sent] = []
        while per_order:
            index = rng.randrange(len(per_order))
            stream.append(per_order[index].pop(0))
            if not per_order[index]:
                per_order.pop(index)
        return stream

    def _order_events(self, n: int) -> list[Sent]:
        rng = self._rng
        region = rng.choice(list(REGION_CURRENCY))
        order_id = f"{self._prefix}-{n}"
        at = T0 + timedelta(minutes=n)
        creator = rng.random() < 0.8
        order = placed(
            order_id,
            region=region,
            shop_id=f"shop-{rng.randrange(20)}",
            creator_id=f"creator-{rng.randrange(50)}" if creator else None,
            agency=(f"mcn-{rng.randrange(5)}", rng.choice([1000, 2000, 3000]))
            if creator and rng.random() < 0.5
            else None,
            at=at,
        )
        events: list[OrdersEvent] = [order]
        fate = rng.random()
        if fate < 0.1:
            events.append(OrderCancelled(order_id=order_id, shop_id=order.shop_id, occurred_at=at))
        else:
            refunded = 0
            for k in range(rng.choice([0, 0, 1, 2])):
                amount = rng.randint(1, max(1, (order.paid_total - refunded) // 2))
                if refunded + amount > order.paid_total:
                    break
                refunded += amount
                events.append(
                    OrderRefunded(
                        order_id=order_id,
                        shop_id=order.shop_id,
                        refund_id=f"{order_id}-r{k}",
                        amount=amount,
                        occurred_at=at + timedelta(hours=k + 1),
                        refunded_total=refunded,
                    )
                )
            if rng.random() < 0.7:
                events.append(
                    OrderDelivered(
                        order_id=order_id,
                        shop_id=order.shop_id,
                        delivered_at=at + timedelta(days=2),
                    )
                )
        return [Sent(new_id(), event) for event in events]
