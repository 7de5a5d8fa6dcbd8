"""SQL of webhook deliveries: the ``webhook-id``\\ s each shop has delivered (idempotency per
shop), with the body's SHA-256 and the event id the first delivery was answered with.

Statements run on the asyncpg connection of the unit of work (``unit_of_work``), with one array
parameter per column (``unnest``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.orders.service.ports import DeliveryClaim, PriorDelivery, ShopKey

_FIND = (
    "SELECT d.shop_id, d.webhook_id, d.body_sha256, d.event_id"
    " FROM unnest($1::text[], $2::text[]) AS k(shop_id, webhook_id)"
    " JOIN webhook_deliveries d ON d.shop_id = k.shop_id AND d.webhook_id = k.webhook_id"
)


class DeliveryRepository:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def find(self, deliveries: Sequence[ShopKey]) -> dict[ShopKey, PriorDelivery]:
        """See ``services.orders.service.ports.DeliveryRepository``; one round trip."""
        rows = await self._connection.fetch(
            _FIND, [shop for shop, _ in deliveries], [webhook for _, webhook in deliveries]
        )
        return {
            (row["shop_id"], row["webhook_id"]): PriorDelivery(
                body_sha256=row["body_sha256"], event_id=row["event_id"]
            )
            for row in rows
        }


def claim_cte(first_param: int) -> str:
    """A CTE ``claims`` inserting the deliveries of ``claim_args`` (5 parameters from
    ``$first_param``) in key order; it returns a row per claim it made, none for a
    ``webhook-id`` a concurrent writer claimed meanwhile (that one waits for the other's
    transaction to end first)."""
    shops, webhooks, digests, event_ids, orders = (f"${first_param + n}" for n in range(5))
    return (
        "claims AS (INSERT INTO webhook_deliveries"  # noqa: S608 - placeholders only
        " (shop_id, webhook_id, body_sha256, event_id, order_id)"
        f" SELECT * FROM unnest({shops}::text[], {webhooks}::text[], {digests}::bytea[],"
        f" {event_ids}::text[], {orders}::text[]) ORDER BY 1, 2"
        " ON CONFLICT (shop_id, webhook_id) DO NOTHING RETURNING 1)"
    )


def claim_args(claims: Sequence[DeliveryClaim]) -> tuple[list[Any], ...]:
    return (
        [c.shop_id for c in claims],
        [c.webhook_id for c in claims],
        [c.body_sha256 for c in claims],
        [c.event_id for c in claims],
        [c.order_id for c in claims],
    )
