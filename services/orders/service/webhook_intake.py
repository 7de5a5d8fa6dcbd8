"""Where the webhook edge hands its work: the shops webhooks name, read in batches, and the
webhooks themselves, decided and committed in groups (``batching``, ``handlers``).

Concurrent webhooks share one shop query (at once when none is in flight, else together once
it returns) and one transaction (a group is flushed when ``group_size`` webhooks wait or
``group_wait_s`` after its first arrived). Each caller gets its own answer once its group is
committed, or its own rejection; a database failure fails the whole group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.orders.service.batching import Batcher
from services.orders.service.handlers import handle_webhooks
from services.orders.service.messages import ReceivedWebhook, WebhookAnswer
from services.orders.service.ports import (
    ShopDirectory,
    ShopWanted,
    ShopWithPlans,
    WebhookUnitOfWork,
)
from services.orders.service.webhook_group import WebhookOutcome

SHOP_QUERY_MAX_SIZE = 256
SHOP_QUERY_WAIT_SHARE = 0.5
"""A shop query waits half as long as a group for company: every round trip costs the
database far more CPU than the rows it reads, so webhooks share one whenever they can."""
GROUPS_IN_FLIGHT = 2
"""Two groups may commit at once: one slow commit does not hold every webhook behind it."""


class WebhookIntake:
    def __init__(
        self,
        shops: ShopDirectory,
        unit_of_work: Callable[[], WebhookUnitOfWork],
        *,
        topic: str,
        group_size: int,
        group_wait_s: float,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._topic = topic
        self._shops: Batcher[ShopWanted, ShopWithPlans | None] = Batcher(
            shops.shops_with_plans,
            max_size=SHOP_QUERY_MAX_SIZE,
            max_wait_s=group_wait_s * SHOP_QUERY_WAIT_SHARE,
        )
        self.groups: Batcher[ReceivedWebhook, WebhookAnswer] = Batcher(
            self._handle,
            max_size=group_size,
            max_wait_s=group_wait_s,
            max_in_flight=GROUPS_IN_FLIGHT,
        )

    async def shop_with_plans(
        self, shop_id: str, plans_at: datetime | None
    ) -> ShopWithPlans | None:
        """The shop (None if there is none) and, for ``plans_at``, its plans active then."""
        return await self._shops.submit(ShopWanted(shop_id, plans_at))

    async def submit(self, webhook: ReceivedWebhook) -> WebhookAnswer:
        """The webhook's answer once its group committed; raises its ``OrdersDomainError``."""
        return await self.groups.submit(webhook)

    async def _handle(self, batch: Sequence[ReceivedWebhook]) -> Sequence[WebhookOutcome]:
        return await handle_webhooks(batch, self._unit_of_work(), topic=self._topic)
