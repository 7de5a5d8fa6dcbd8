"""SQL of parking: orders that waited too long for their placement move their held facts to
``parked_orders`` (the row stays, status ``parked``, stream empty); the order's next webhook
takes them back (``order_repository``)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.orders.service.ports import ParkedCount

# Rows a webhook holds locked are skipped: that webhook is about to change the order anyway.
_PARK = text(
    "WITH stale AS ("
    " SELECT shop_id, order_id, events, updated_at FROM orders"
    " WHERE status = 'awaiting_placement'"
    " AND updated_at < now() - make_interval(secs => :waited_s)"
    " ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED),"
    " parked AS ("
    " INSERT INTO parked_orders (shop_id, order_id, events, held_since)"
    " SELECT shop_id, order_id, events, updated_at FROM stale)"
    " UPDATE orders o SET status = 'parked', events = '[]'::jsonb"
    " FROM stale WHERE o.shop_id = stale.shop_id AND o.order_id = stale.order_id"
)
_COUNT = text(
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(parked_at)), 0) FROM parked_orders"
)


async def park_stale_orders(conn: AsyncConnection, *, waited_s: float, limit: int) -> int:
    """Park at most ``limit`` orders still awaiting their placement whose last fact arrived
    more than ``waited_s`` seconds ago (by the database's clock); returns how many."""
    result = await conn.execute(_PARK, {"waited_s": waited_s, "limit": limit})
    return int(result.rowcount or 0)


async def parked_count(conn: AsyncConnection) -> ParkedCount:
    row = (await conn.execute(_COUNT)).one()
    return ParkedCount(orders=int(row[0]), oldest_age_s=float(row[1]))


class ParkingRepository:
    """``services.orders.service.ports.ParkingStore`` on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def park_stale(self, *, waited_s: float, limit: int) -> int:
        async with self._engine.begin() as conn:
            return await park_stale_orders(conn, waited_s=waited_s, limit=limit)

    async def parked_count(self) -> ParkedCount:
        async with self._engine.connect() as conn:
            return await parked_count(conn)
