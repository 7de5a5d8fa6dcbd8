"""SQL of webhook deliveries: the ``webhook-id``\\ s each shop has delivered (idempotency per
shop), with the body's SHA-256 and the event id the first delivery was answered with.

These are SQL fragments (one array parameter per column, ``unnest``), which the unit of work
(``unit_of_work``) puts into its statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.orders.service.ports import DeliveryClaim, PriorDelivery, ShopKey


def deliveries_select(first_param: int) -> str:
    """A SELECT of the recorded deliveries of the ``webhook-id``\\ s of ``deliveries_args`` (2
    parameters), in the columns of the unit of work's group read (``kind`` ``d``, ``id`` the
    ``webhook-id``)."""
    shops, webhooks = f"${first_param}", f"${first_param + 1}"
    return (
        "SELECT 'd' AS kind, d.shop_id, d.webhook_id AS id, NULL::text AS status,"  # noqa: S608
        " NULL::int AS stored, NULL::jsonb AS events, d.body_sha256, d.event_id"
        f" FROM unnest({shops}::text[], {webhooks}::text[]) AS k(shop_id, webhook_id)"
        " JOIN webhook_deliveries d ON d.shop_id = k.shop_id AND d.webhook_id = k.webhook_id"
    )


def deliveries_args(deliveries: Sequence[ShopKey]) -> tuple[list[str], list[str]]:
    return [shop for shop, _ in deliveries], [webhook for _, webhook in deliveries]


def delivery_of(row: Mapping[str, Any]) -> tuple[ShopKey, PriorDelivery]:
    return (row["shop_id"], row["id"]), PriorDelivery(
        body_sha256=row["body_sha256"], event_id=row["event_id"]
    )


def claim_cte(first_param: int) -> str:
    """A CTE ``claims`` inserting the deliveries of ``claim_args`` (5 parameters from
    ``$first_param``) in key order; it returns a row per claim it made, none for a
    ``webhook-id`` a concurrent writer claimed meanwhile (which waits for that writer's
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
