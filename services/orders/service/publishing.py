"""The ``orders.v1`` records for what a decision accepted, ready for the outbox.

Domain events become the published schema (``shared.events.orders_v1``): lines are numbered from
1, ``order.placed`` carries the shop, its region and the region terms in force,
``order.delivered`` carries the order's ``delivered_at`` (never before its placement, see
``services.orders.domain.order``) and ``order.refunded`` carries the cumulative refunded amount
including itself. Record key = order id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.orders.domain.events import FactHeld, HeldFactDropped, OrderEvent, OrderPlaced
from services.orders.domain.facts import Cancelled, Delivered, Refunded
from services.orders.domain.order import OrderState, evolve
from shared.events import orders_v1
from shared.events.envelope import KafkaRecord, to_kafka
from shared.events.terms import OrderTerms


def published_records(
    recorded: Sequence[tuple[str, OrderEvent]],
    state_before: OrderState | None,
    *,
    shop_id: str,
    region: str,
    terms: OrderTerms | None,
    recorded_at: datetime,
) -> list[KafkaRecord]:
    """One record per accepted event of ``recorded`` ((event id, event) pairs in fold order).

    ``state_before`` is the order before these events, so cumulative amounts come out right.
    """
    records: list[KafkaRecord] = []
    state = state_before
    for event_id, event in recorded:
        state = evolve(state, event)
        if isinstance(event, FactHeld | HeldFactDropped):
            continue
        published = _published(event, state, shop_id=shop_id, region=region, terms=terms)
        envelope = orders_v1.to_envelope(published, event_id=event_id, time=recorded_at)
        records.append(to_kafka(envelope))
    return records


def _published(
    event: OrderPlaced | Delivered | Refunded | Cancelled,
    state: OrderState,
    *,
    shop_id: str,
    region: str,
    terms: OrderTerms | None,
) -> orders_v1.OrdersEvent:
    if isinstance(event, OrderPlaced):
        if terms is None:
            raise ValueError("a placement is published with the terms in force")
        return placed_event(event, shop_id=shop_id, region=region, terms=terms)
    if isinstance(event, Delivered):
        if state.delivered_at is None:
            raise ValueError(f"order {event.order_id} has no delivered_at after its delivery")
        return orders_v1.OrderDelivered(
            order_id=event.order_id, shop_id=shop_id, delivered_at=state.delivered_at
        )
    if isinstance(event, Refunded):
        return orders_v1.OrderRefunded(
            order_id=event.order_id,
            shop_id=shop_id,
            refund_id=event.refund_id,
            amount=event.amount,
            occurred_at=event.occurred_at,
            refunded_total=state.refunded_total,
        )
    return orders_v1.OrderCancelled(
        order_id=event.order_id, shop_id=shop_id, occurred_at=event.occurred_at
    )


def placed_event(
    event: OrderPlaced, *, shop_id: str, region: str, terms: OrderTerms
) -> orders_v1.OrderPlaced:
    """``order.placed`` as published, with each line's resolved plan and rate."""
    agency = event.agency
    return orders_v1.OrderPlaced(
        order_id=event.order_id,
        shop_id=shop_id,
        region=region,
        currency=event.currency,
        occurred_at=event.occurred_at,
        lines=[
            orders_v1.OrderLine(
                line_no=number,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                rate_bps=line.rate_bps,
                plan_id=line.plan_id,
                plan_type=line.plan_type,
            )
            for number, line in enumerate(event.lines, start=1)
        ],
        shipping_fee=event.shipping_fee,
        creator_id=event.creator_id,
        agency=(
            orders_v1.Agency(agency_id=agency.agency_id, share_bps=agency.share_bps)
            if agency
            else None
        ),
        terms=terms,
    )
