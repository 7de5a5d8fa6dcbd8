"""SQL for reading orders: one row per order, keyed by ``(shop_id, order_id)``, holding its
event stream (written by the webhook path, ``unit_of_work``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.orders.adapters.db.event_codec import StoredEvent
from services.orders.adapters.db.tables import orders, parked_orders
from services.orders.service.ports import StoredOrder


class OrderRepository:
    """``services.orders.service.ports.OrderReader`` on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find(self, order_id: str, *, shop_id: str | None) -> list[StoredOrder]:
        async with self._engine.connect() as conn:
            return await find_orders(conn, order_id, shop_id=shop_id)


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
