"""The webhook use case: one verified, parsed fact in, one transaction out.

In that transaction: the ``webhook-id`` is claimed (idempotency per shop), the order row is
locked and its stream folded, the domain decides, the new events are appended and the accepted
ones queued on the outbox. Any failure rolls all of it back, so a rejected webhook leaves no trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, reduce
from typing import Any, Literal

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.event_codec import StoredEvent
from services.orders.adapters.db.shops import Shop
from services.orders.adapters.db.webhook_store import PriorDelivery, webhook_store
from services.orders.adapters.secret_box import SecretBox
from services.orders.domain.events import FactHeld, HeldFactDropped, OrderEvent, OrderPlaced
from services.orders.domain.facts import Fact, Placed, validate_fact
from services.orders.domain.order import OrderState, decide, evolve
from services.orders.domain.plans import Plan
from services.orders.service.errors import CurrencyMismatch, ShopNotFound, WebhookIdReused
from services.orders.service.publishing import published_records
from shared.events.terms import OrderTerms
from shared.regions import region_terms

Outcome = Literal["accepted", "held", "duplicate"]


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """A webhook whose signature was verified and whose body parsed into ``fact``."""

    webhook_id: str
    body_sha256: bytes
    fact: Fact


Admit = Callable[[Shop, datetime], WebhookDelivery]
"""Verifies and parses a request for its shop at the receipt time; raises (anything) to reject
it."""


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """``event_id`` is the id of the event this delivery recorded (for a repeat, the one the
    first delivery recorded). ``outcome``: ``accepted`` (published), ``held`` (waits for the
    order's placement, published then under the same id) or ``duplicate``."""

    event_id: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class WebhookPorts:
    engine: AsyncEngine
    outbox: Table
    topic: str
    clock: Callable[[], datetime]
    box: SecretBox
    new_event_id: Callable[[], str] = lambda: str(uuid.uuid4())


def fold(events: Iterable[OrderEvent]) -> OrderState | None:
    """The order's state from its stream (None for an empty stream)."""
    return reduce(evolve, events, None)


async def handle_webhook(
    ports: WebhookPorts, shop_id: str, admit: Admit, *, placed_at: datetime | None = None
) -> WebhookAnswer:
    """Record the webhook ``admit`` accepts for shop ``shop_id``, exactly once.

    ``placed_at`` (the ``occurred_at`` of a placement, when the body says it is one) lets the
    shop's plans come with the shop in one query. The receipt time is ``ports.clock()`` as the
    request is handled (never the payload's): a fact may occur at most 5 minutes after it.
    Raises, recording nothing: ``ShopNotFound`` (404), whatever ``admit`` raises,
    ``CurrencyMismatch``, ``InvalidOrder`` (``OutOfBounds`` for a field out of DOMAIN.md's
    bounds) or ``WebhookIdReused`` (422) and ``TransitionRejected`` (409). One connection and
    one transaction from shop to outbox.

    The order is the shop's own ``(shop_id, order_id)``: another shop's order of the same id is
    never read, locked or changed, so no answer depends on it.
    """
    event_id = ports.new_event_id()
    now = ports.clock()  # the receipt time, also what the events are recorded at
    async with webhook_store(ports.engine, ports.outbox, ports.box) as store:
        # Read before the transaction: a shop and its plans need no lock, and a request that
        # fails authentication never opens one.
        found = await store.shop_with_plans(shop_id, placed_at)
        if found is None:
            raise ShopNotFound(f"no shop {shop_id}")
        shop, prefetched_plans = found
        delivery = admit(shop, now)
        fact = delivery.fact
        _check_fact(fact, shop, received_at=now)
        async with store.transaction():
            order = await store.claim_delivery_and_lock_order(
                shop_id=shop.shop_id,
                webhook_id=delivery.webhook_id,
                body_sha256=delivery.body_sha256,
                event_id=event_id,
                order_id=fact.order_id,
            )
            if isinstance(order, PriorDelivery):
                if order.body_sha256 != delivery.body_sha256:
                    raise WebhookIdReused(
                        f"webhook-id {delivery.webhook_id} was already delivered with another body"
                    )
                return WebhookAnswer(event_id=order.event_id, outcome="duplicate")
            state = fold(stored.event for stored in order.events)
            plans: Sequence[Plan] = ()
            terms: OrderTerms | None = None
            terms_json: dict[str, Any] | None = None
            if isinstance(fact, Placed):
                plans = (
                    prefetched_plans
                    if placed_at == fact.occurred_at
                    else await store.plans_active_at(shop.shop_id, fact.occurred_at)
                )
                terms, terms_json = _terms_in_force(shop.region)
            decision = decide(state, fact, plans=plans)
            recorded = _with_event_ids(decision.events, order.events, event_id, ports.new_event_id)
            first_seq = len(order.events) + 1
            await store.append_and_queue(
                shop.shop_id,
                fact.order_id,
                [
                    StoredEvent(seq=first_seq + n, event_id=eid, recorded_at=now, event=event)
                    for n, (eid, event) in enumerate(recorded)
                ],
                status=decision.new_state.status,
                terms=terms_json,
                topic=ports.topic,
                records=published_records(
                    recorded,
                    state,
                    shop_id=shop.shop_id,
                    region=shop.region,
                    terms=terms,
                    recorded_at=now,
                ),
            )
    return WebhookAnswer(event_id=event_id, outcome="held" if decision.held else "accepted")


@cache
def _terms_in_force(region: str) -> tuple[OrderTerms, dict[str, Any]]:
    """The terms a placement in ``region`` is stamped with, and their JSON form: the region's
    defaults (static), built once per region. Read only."""
    terms = OrderTerms.from_region(region_terms(region))
    return terms, terms.model_dump(mode="json")


def _check_fact(fact: Fact, shop: Shop, *, received_at: datetime) -> None:
    validate_fact(fact, received_at=received_at)
    if isinstance(fact, Placed) and fact.currency != shop.currency:
        raise CurrencyMismatch(
            f"order currency {fact.currency} is not {shop.currency}, the currency of the "
            f"shop's region {shop.region}"
        )


def _with_event_ids(
    events: Sequence[OrderEvent],
    stream: Sequence[StoredEvent],
    event_id: str,
    new_event_id: Callable[[], str],
) -> list[tuple[str, OrderEvent]]:
    """Pair each new event with its id: the first (this webhook's own event) gets ``event_id``;
    a held fact taken (or dropped) at placement keeps the id it was answered with when held."""
    held_ids = {
        stored.event.fact: stored.event_id
        for stored in stream
        if isinstance(stored.event, FactHeld)
    }
    paired: list[tuple[str, OrderEvent]] = []
    for index, event in enumerate(events):
        if index == 0:
            paired.append((event_id, event))
            continue
        fact = event.fact if isinstance(event, HeldFactDropped | FactHeld) else event
        held_id = None if isinstance(fact, OrderPlaced) else held_ids.get(fact)
        paired.append((held_id or new_event_id(), event))
    return paired
