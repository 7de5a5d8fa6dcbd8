"""Deciding a group of webhooks in memory, in arrival order, as if each had its own transaction.

Given what is committed (the locked order streams and the recorded deliveries), each webhook
is decided in turn against the state the earlier webhooks of the group left: a second delivery
of a ``webhook-id`` the group already accepted is a duplicate of it (or ``WebhookIdReused``
with another body), a second fact for the same order sees the first one's events. A rejected
webhook changes nothing, so the others are decided exactly as if it had never arrived. Pure:
no I/O; event ids come from ``new_event_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, reduce
from typing import Any

from services.orders.domain.errors import OrdersDomainError
from services.orders.domain.events import (
    FactHeld,
    HeldFactDropped,
    OrderEvent,
    OrderPlaced,
    RecordedEvent,
)
from services.orders.domain.facts import Placed, validate_fact
from services.orders.domain.order import OrderState, decide, evolve
from services.orders.service.errors import CurrencyMismatch, WebhookIdReused
from services.orders.service.messages import ReceivedWebhook, WebhookAnswer
from services.orders.service.ports import (
    DeliveryClaim,
    OrderStream,
    PriorDelivery,
    ShopKey,
    StreamAppend,
)
from services.orders.service.publishing import published_records
from shared.db.outbox import RecordLike
from shared.events.terms import OrderTerms
from shared.regions import region_terms

WebhookOutcome = WebhookAnswer | OrdersDomainError


def fold(events: Iterable[OrderEvent]) -> OrderState | None:
    """The order's state from its stream (None for an empty stream)."""
    return reduce(evolve, events, None)


def check_fact(webhook: ReceivedWebhook) -> None:
    """What needs no order state: the fact's bounds (``occurred_at`` against the receipt time)
    and a placement's currency against the shop's. Raises ``InvalidOrder`` (``OutOfBounds``) or
    ``CurrencyMismatch``."""
    fact, shop = webhook.fact, webhook.shop
    validate_fact(fact, received_at=webhook.received_at)
    if isinstance(fact, Placed) and fact.currency != shop.currency:
        raise CurrencyMismatch(
            f"order currency {fact.currency} is not {shop.currency}, the currency of the "
            f"shop's region {shop.region}"
        )


@dataclass(slots=True)
class _Order:
    """One order as the group changes it."""

    stream: list[RecordedEvent]
    state: OrderState | None
    read_as: OrderStream | None
    new: list[RecordedEvent] = field(default_factory=list)
    status: str = ""
    terms: Mapping[str, Any] | None = None


@dataclass(slots=True)
class GroupDecision:
    """Each webhook's outcome (in arrival order) and what the group writes."""

    outcomes: list[WebhookOutcome]
    claims: list[DeliveryClaim]
    appends: list[StreamAppend]
    records: list[RecordLike]


def decide_group(
    webhooks: Sequence[ReceivedWebhook],
    streams: Mapping[ShopKey, OrderStream],
    priors: Mapping[ShopKey, PriorDelivery],
    new_event_id: Callable[[], str],
) -> GroupDecision:
    """Decide every webhook of the group in arrival order (see the module docstring).

    ``streams`` holds the (locked) streams of the group's orders that have a row; ``priors``
    the recorded deliveries of its ``webhook-id``\\ s. Every webhook must have passed
    ``check_fact``.
    """
    orders: dict[ShopKey, _Order] = {}
    accepted: dict[ShopKey, PriorDelivery] = {}
    outcomes: list[WebhookOutcome] = []
    claims: list[DeliveryClaim] = []
    records: list[RecordLike] = []
    for webhook in webhooks:
        shop_id = webhook.shop.shop_id
        delivery = (shop_id, webhook.webhook_id)
        prior = accepted.get(delivery) or priors.get(delivery)
        if prior is not None:
            outcomes.append(_repeat(webhook, prior))
            continue
        key = (shop_id, webhook.fact.order_id)
        order = orders.get(key)
        if order is None:
            order = orders[key] = _order_from(streams.get(key))
        try:
            outcome, new_records = _decide_one(webhook, order, new_event_id)
        except OrdersDomainError as rejected:
            outcomes.append(rejected)
            continue
        outcomes.append(outcome)
        records += new_records
        claims.append(
            DeliveryClaim(
                shop_id=shop_id,
                webhook_id=webhook.webhook_id,
                body_sha256=webhook.body_sha256,
                event_id=outcome.event_id,
                order_id=webhook.fact.order_id,
            )
        )
        accepted[delivery] = PriorDelivery(webhook.body_sha256, outcome.event_id)
    appends = [
        StreamAppend(
            shop_id=shop_id,
            order_id=order_id,
            events=tuple(order.new),
            status=order.status,
            terms=order.terms,
            read_as=order.read_as,
        )
        for (shop_id, order_id), order in orders.items()
        if order.new
    ]
    return GroupDecision(outcomes, claims, appends, records)


def _repeat(webhook: ReceivedWebhook, prior: PriorDelivery) -> WebhookOutcome:
    if prior.body_sha256 != webhook.body_sha256:
        return WebhookIdReused(
            f"webhook-id {webhook.webhook_id} was already delivered with another body"
        )
    return WebhookAnswer(event_id=prior.event_id, outcome="duplicate")


def _order_from(stream: OrderStream | None) -> _Order:
    if stream is None:
        return _Order(stream=[], state=None, read_as=None)
    return _Order(
        stream=list(stream.events),
        state=fold([recorded.event for recorded in stream.events]),
        read_as=stream,
    )


def _decide_one(
    webhook: ReceivedWebhook, order: _Order, new_event_id: Callable[[], str]
) -> tuple[WebhookAnswer, list[RecordLike]]:
    """Decide one webhook on ``order`` and, if it is taken, apply it to ``order``. Raises
    ``TransitionRejected`` (or ``InvalidOrder``) leaving ``order`` unchanged."""
    fact, shop = webhook.fact, webhook.shop
    terms: OrderTerms | None = None
    terms_json: Mapping[str, Any] | None = None
    if isinstance(fact, Placed):
        terms, terms_json = _terms_in_force(shop.region)
    decision = decide(order.state, fact, plans=webhook.plans)
    event_id = new_event_id()
    paired = _with_event_ids(decision.events, order.stream, event_id, new_event_id)
    first_seq = len(order.stream) + 1
    recorded = [
        RecordedEvent(seq=first_seq + n, event_id=eid, recorded_at=webhook.received_at, event=e)
        for n, (eid, e) in enumerate(paired)
    ]
    records = published_records(
        paired,
        order.state,
        shop_id=shop.shop_id,
        region=shop.region,
        terms=terms,
        recorded_at=webhook.received_at,
    )
    order.stream += recorded
    order.new += recorded
    order.state = decision.new_state
    order.status = decision.new_state.status
    if terms_json is not None:
        order.terms = terms_json
    answer = WebhookAnswer(event_id=event_id, outcome="held" if decision.held else "accepted")
    return answer, list(records)


@cache
def _terms_in_force(region: str) -> tuple[OrderTerms, Mapping[str, Any]]:
    """The terms a placement in ``region`` is stamped with, and their JSON form: the region's
    defaults (static), built once per region. Read only."""
    terms = OrderTerms.from_region(region_terms(region))
    return terms, terms.model_dump(mode="json")


def _with_event_ids(
    events: Sequence[OrderEvent],
    stream: Sequence[RecordedEvent],
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
