"""SQL for webhook deliveries: the per-shop idempotency record of each ``webhook-id``, claimed in
the same statement that locks the order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.orders.adapters.db.orders import StoredOrder, stored_order
from services.orders.adapters.db.tables import orders, webhook_deliveries


@dataclass(frozen=True, slots=True)
class PriorDelivery:
    """What the first accepted delivery of a ``webhook-id`` was and what it was answered."""

    body_sha256: bytes
    event_id: str


async def claim_delivery_and_lock_order(
    conn: AsyncConnection,
    *,
    shop_id: str,
    webhook_id: str,
    body_sha256: bytes,
    event_id: str,
    order_id: str,
) -> StoredOrder | PriorDelivery:
    """Claim ``(shop_id, webhook_id)`` for this delivery and, if the claim is new, lock the order
    row (created empty if absent) until the transaction ends; one round trip.

    Returns the locked order, or the earlier delivery of the same id (nothing locked). A
    concurrent delivery of the same id waits for the first one's transaction: if it committed,
    this returns its record; if it rolled back, this one becomes the first. The row lock is the
    one ``INSERT ... ON CONFLICT DO UPDATE`` takes, the same as ``SELECT ... FOR UPDATE``: two
    webhooks of one order never decide at the same time. Rows of a rolled-back transaction
    leave nothing behind.
    """
    claim = (
        pg_insert(webhook_deliveries)
        .values(
            shop_id=shop_id,
            webhook_id=webhook_id,
            body_sha256=body_sha256,
            event_id=event_id,
            order_id=order_id,
        )
        .on_conflict_do_nothing(
            index_elements=[webhook_deliveries.c.shop_id, webhook_deliveries.c.webhook_id]
        )
        .returning(webhook_deliveries.c.event_id)
        .cte("claim")
    )
    start_order = pg_insert(orders).from_select(
        ["order_id", "shop_id", "status", "events"],
        select(
            literal(order_id),
            literal(shop_id),
            literal("awaiting_placement"),
            literal([], JSONB),
        ).where(exists(select(claim.c.event_id))),
    )
    lock = (
        start_order.on_conflict_do_update(
            index_elements=[orders.c.order_id], set_={"order_id": start_order.excluded.order_id}
        )
        .returning(orders.c.shop_id, orders.c.events, orders.c.terms)
        .cte("lock")
    )
    row = (await conn.execute(select(lock.c.shop_id, lock.c.events, lock.c.terms))).first()
    if row is not None:
        return stored_order(order_id, row.shop_id, row.events, row.terms)
    prior = (
        await conn.execute(
            select(webhook_deliveries.c.body_sha256, webhook_deliveries.c.event_id).where(
                webhook_deliveries.c.shop_id == shop_id,
                webhook_deliveries.c.webhook_id == webhook_id,
            )
        )
    ).one()
    return PriorDelivery(body_sha256=prior.body_sha256, event_id=prior.event_id)
