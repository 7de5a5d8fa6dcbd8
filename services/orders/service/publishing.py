"""The ``orders.v1`` records for what a decision accepted, ready for the outbox.

Domain events become the published schema (``shared.events.orders_v1``): lines are numbered from
1, ``order.placed`` carries the shop, its region and the region terms in force,
``order.delivered`` carries the order's ``delivered_at`` (never before its placement, see
``services.orders.domain.order``) and ``order.refunded`` carries the cumulative refunded amount
including itself. Record key = order id.

The record value is encoded straight from the domain types (no event model is built only to be
serialised): the fields in the schema's order, instants as RFC 3339 (msgspec writes what
pydantic writes for the aware, minute-offset instants the domain holds). The unit tests hold
these bytes to the model path's (``orders_v1`` models, ``to_envelope``, ``to_kafka``) and parse
them back with the consumers' decoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec

from services.orders.domain.events import FactHeld, HeldFactDropped, OrderEvent, OrderPlaced
from services.orders.domain.facts import Cancelled, Delivered, Refunded
from services.orders.domain.order import OrderState, evolve
from shared.events import orders_v1
from shared.events.envelope import KafkaRecord
from shared.events.terms import OrderTerms

_encode = msgspec.json.Encoder().encode


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
        type_name, data = _published(event, state, shop_id=shop_id, region=region, terms=terms)
        records.append(
            orders_v1.record_of_data(
                type_name, event.order_id, _encode(data), event_id=event_id, time=recorded_at
            )
        )
    return records


def _published(
    event: OrderPlaced | Delivered | Refunded | Cancelled,
    state: OrderState,
    *,
    shop_id: str,
    region: str,
    terms: OrderTerms | None,
) -> tuple[str, dict[str, Any]]:
    if isinstance(event, OrderPlaced):
        if terms is None:
            raise ValueError("a placement is published with the terms in force")
        return orders_v1.OrderPlaced.TYPE, placed_data(
            event, shop_id=shop_id, region=region, terms=terms
        )
    if isinstance(event, Delivered):
        if state.delivered_at is None:
            raise ValueError(f"order {event.order_id} has no delivered_at after its delivery")
        return orders_v1.OrderDelivered.TYPE, {
            "order_id": event.order_id,
            "shop_id": shop_id,
            "delivered_at": state.delivered_at,
        }
    if isinstance(event, Refunded):
        return orders_v1.OrderRefunded.TYPE, {
            "order_id": event.order_id,
            "shop_id": shop_id,
            "refund_id": event.refund_id,
            "amount": event.amount,
            "occurred_at": event.occurred_at,
            "refunded_total": state.refunded_total,
        }
    return orders_v1.OrderCancelled.TYPE, {
        "order_id": event.order_id,
        "shop_id": shop_id,
        "occurred_at": event.occurred_at,
    }


def placed_data(
    event: OrderPlaced, *, shop_id: str, region: str, terms: OrderTerms
) -> dict[str, Any]:
    """``order.placed`` data as published, with each line's resolved plan and rate (fields in
    the order of ``orders_v1.OrderPlaced``)."""
    agency = event.agency
    return {
        "order_id": event.order_id,
        "shop_id": shop_id,
        "region": region,
        "currency": event.currency,
        "occurred_at": event.occurred_at,
        "lines": [
            {
                "line_no": number,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "rate_bps": line.rate_bps,
                "plan_id": line.plan_id,
                "plan_type": line.plan_type,
            }
            for number, line in enumerate(event.lines, start=1)
        ],
        "shipping_fee": event.shipping_fee,
        "creator_id": event.creator_id,
        "agency": (
            {"agency_id": agency.agency_id, "share_bps": agency.share_bps} if agency else None
        ),
        "terms": _terms_data(terms),
    }


@lru_cache(maxsize=64)
def _terms_data(terms: OrderTerms) -> dict[str, Any]:
    """The terms as JSON values, in model order; terms are per region, so few and reused.
    Read only (shared by every record that carries them)."""
    dumped: dict[str, Any] = terms.model_dump(mode="json")
    return dumped
