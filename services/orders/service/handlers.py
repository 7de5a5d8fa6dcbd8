"""The orders message handlers: a batch of decoded messages and a unit of work in, one
transaction out.

``handle_webhooks`` takes a group of verified webhooks (``ReceivedWebhook``, from the API edge)
and answers each with its own outcome, as if each had had its own transaction in arrival order:
``WebhookAnswer`` (accepted, held or duplicate) or the ``OrdersDomainError`` that rejects it
(``InvalidOrder``/``OutOfBounds``, ``CurrencyMismatch``, ``WebhookIdReused``: 422;
``TransitionRejected``: 409). A rejected webhook records nothing and does not affect the others.
The group's order streams and ``webhook-id``\\ s (idempotency per shop) are read in one
snapshot, every webhook is decided in memory, then one atomic write claims the deliveries,
appends to the streams and queues the accepted events on the outbox, provided nothing it read
changed meanwhile; if something did (a concurrent writer, another process), the group is
decided again on what is committed then. A database failure raises: nothing of the group is
recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from services.orders.domain.errors import OrdersDomainError
from services.orders.service.messages import ReceivedWebhook
from services.orders.service.ports import ShopKey, WebhookUnitOfWork, WriteConflict
from services.orders.service.webhook_group import WebhookOutcome, check_fact, decide_group

MAX_ATTEMPTS = 5
"""A group is decided again when a concurrent writer (another process) got to one of its
``webhook-id``\\ s or new orders first; each attempt sees more committed, so this is plenty."""


def new_event_id() -> str:
    return str(uuid.uuid4())


async def handle_webhooks(
    batch: Sequence[ReceivedWebhook],
    uow: WebhookUnitOfWork,
    *,
    topic: str,
    new_event_id: Callable[[], str] = new_event_id,
) -> list[WebhookOutcome]:
    """One outcome per webhook of ``batch``, in order (see the module docstring); what the
    accepted ones record is committed before this returns. ``topic``: where the outbox sends
    the accepted events."""
    outcomes: list[WebhookOutcome | None] = [None] * len(batch)
    checked: list[int] = []
    for index, webhook in enumerate(batch):
        try:
            check_fact(webhook)
        except OrdersDomainError as rejected:
            outcomes[index] = rejected
        else:
            checked.append(index)
    if checked:
        decided = await _decide_and_record([batch[i] for i in checked], uow, topic, new_event_id)
        for index, outcome in zip(checked, decided, strict=True):
            outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


async def _decide_and_record(
    webhooks: list[ReceivedWebhook],
    uow: WebhookUnitOfWork,
    topic: str,
    new_event_id: Callable[[], str],
) -> list[WebhookOutcome]:
    order_keys = _distinct([(w.shop.shop_id, w.fact.order_id) for w in webhooks])
    delivery_keys = _distinct([(w.shop.shop_id, w.webhook_id) for w in webhooks])
    for _ in range(MAX_ATTEMPTS):
        async with uow:
            read = await uow.read(order_keys, delivery_keys)
            group = decide_group(webhooks, read.streams, read.priors, new_event_id)
            if not group.claims:
                return group.outcomes  # only repeats and rejections: nothing to write
            uow.record(group.claims, group.appends, topic, group.records)
            try:
                await uow.commit()
            except WriteConflict:
                continue
            return group.outcomes
    raise RuntimeError(f"a webhook group met a concurrent writer {MAX_ATTEMPTS} times")


def _distinct(keys: list[ShopKey]) -> list[ShopKey]:
    """Sorted, each once: rows are locked in one order, so two groups never deadlock."""
    return sorted(set(keys))
