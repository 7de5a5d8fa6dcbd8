"""The orders message handlers: a batch of decoded messages and a unit of work in, one
transaction out.

``handle_webhooks`` takes a group of verified webhooks (``ReceivedWebhook``, from the API edge)
and answers each with its own outcome, as if each had had its own transaction in arrival order:
``WebhookAnswer`` (accepted, held or duplicate) or the ``OrdersDomainError`` that rejects it
(``InvalidOrder``/``OutOfBounds``, ``CurrencyMismatch``, ``WebhookIdReused``: 422;
``TransitionRejected``: 409). A rejected webhook records nothing and does not affect the others.
In one transaction: the group's order rows are locked (an order's webhooks never decide at the
same time in two transactions), its ``webhook-id``\\ s looked up (idempotency per shop), every
webhook decided in memory, then the deliveries claimed, the streams appended and the accepted
events queued on the outbox. A database failure raises: nothing of the group is recorded.
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
        try:
            async with uow:
                streams = await uow.orders.lock_streams(order_keys)
                # After the locks: a delivery committed while this waited for one is seen.
                priors = await uow.deliveries.find(delivery_keys)
                group = decide_group(webhooks, streams, priors, new_event_id)
                if group.claims:
                    await uow.record(group.claims, group.appends, topic, group.records)
                    await uow.commit()
                return group.outcomes
        except WriteConflict:
            continue
    raise RuntimeError(f"a webhook group met a concurrent writer {MAX_ATTEMPTS} times")


def _distinct(keys: list[ShopKey]) -> list[ShopKey]:
    """Sorted, each once: rows are locked in one order, so two groups never deadlock."""
    return sorted(set(keys))
