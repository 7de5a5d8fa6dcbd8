"""SQL for orders: one row per order, keyed by ``(shop_id, order_id)``, holding its event
stream (locked while a webhook decides, see
``webhook_store.WebhookStore.claim_delivery_and_lock_order``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.orders.adapters.db.event_codec import StoredEvent
from services.orders.adapters.db.tables import orders, parked_orders


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order row: its shop, its stream (oldest first) and the terms stamped at placement."""

    order_id: str
    shop_id: str
    events: tuple[StoredEvent, ...]
    terms: dict[str, Any] | None

    @property
    def is_new(self) -> bool:
        return not self.events


async def find_orders(
    conn: AsyncConnection, order_id: str, *, shop_id: str | None = None
) -> list[StoredOrder]:
    """The orders with this id: of shop ``shop_id`` only (at most one), else of every shop,
    ordered by shop id. A parked order's stream is its held facts, as before it was parked."""
    parked = parked_orders.c
    statement = (
        select(
            orders.c.shop_id,
            func.coalesce(parked.events, orders.c.events).label("events"),
            orders.c.terms,
        )
        .outerjoin(
            parked_orders,
            (parked.shop_id == orders.c.shop_id) & (parked.order_id == orders.c.order_id),
        )
        .where(orders.c.order_id == order_id)
        .order_by(orders.c.shop_id)
    )
    if shop_id is not None:
        statement = statement.where(orders.c.shop_id == shop_id)
    rows = (await conn.execute(statement)).all()
    return [stored_order(order_id, row.shop_id, row.events, row.terms) for row in rows]


def stored_order(
    order_id: str, shop_id: str, events: list[dict[str, Any]], terms: dict[str, Any] | None
) -> StoredOrder:
    return StoredOrder(
        order_id=order_id,
        shop_id=shop_id,
        events=tuple(StoredEvent.from_json(entry) for entry in events),
        terms=terms,
    )
