"""Orders as the ledger folded them so far (``ledger_orders``), locked for the batch that reads
them.

Placement and split are immutable, so they come from the ``PlacedCache`` when it has them and the
stored ``order.placed`` is parsed only on a miss; the placement is written once, when the order
is placed, and later batches update the mutable columns only.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ledger.adapters.db.placed_cache import PlacedCache
from services.ledger.domain.split import Split
from services.ledger.domain.state import OrderKey, OrderState, split_of
from shared.events.orders_v1 import OrderPlaced

_LOCK_AND_LOAD = text(
    "SELECT o.shop_id, o.order_id, o.refunded_total, o.cancelled, o.released, o.delivered_at "
    "FROM ledger_orders o JOIN unnest(CAST(:shop_id AS text[]), CAST(:order_id AS text[])) "
    "AS k(shop_id, order_id) ON o.shop_id = k.shop_id AND o.order_id = k.order_id "
    "ORDER BY o.shop_id, o.order_id FOR UPDATE OF o"
)
_PLACED = text(
    "SELECT o.placed FROM ledger_orders o "
    "JOIN unnest(CAST(:shop_id AS text[]), CAST(:order_id AS text[])) AS k(shop_id, order_id) "
    "ON o.shop_id = k.shop_id AND o.order_id = k.order_id"
)
_INSERT = text(
    "INSERT INTO ledger_orders (shop_id, order_id, placed, refunded_total, cancelled, released, "
    "delivered_at, updated_at) "
    "SELECT shop_id, order_id, CAST(placed AS jsonb), refunded_total, cancelled, released, "
    "delivered_at, now() FROM unnest(CAST(:shop_id AS text[]), CAST(:order_id AS text[]), "
    "CAST(:placed AS text[]), CAST(:refunded_total AS bigint[]), CAST(:cancelled AS boolean[]), "
    "CAST(:released AS boolean[]), CAST(:delivered_at AS timestamptz[])) "
    "AS t(shop_id, order_id, placed, refunded_total, cancelled, released, delivered_at)"
)
_UPDATE = text(
    "UPDATE ledger_orders o SET refunded_total = t.refunded_total, cancelled = t.cancelled, "
    "released = t.released, delivered_at = t.delivered_at, updated_at = now() "
    "FROM unnest(CAST(:shop_id AS text[]), CAST(:order_id AS text[]), "
    "CAST(:refunded_total AS bigint[]), CAST(:cancelled AS boolean[]), "
    "CAST(:released AS boolean[]), CAST(:delivered_at AS timestamptz[])) "
    "AS t(shop_id, order_id, refunded_total, cancelled, released, delivered_at) "
    "WHERE o.shop_id = t.shop_id AND o.order_id = t.order_id"
)


class OrderRepository:
    """One transaction's view of ``ledger_orders`` (see the module docstring)."""

    def __init__(self, connection: AsyncConnection, cache: PlacedCache) -> None:
        self._connection = connection
        self._cache = cache
        self._stored: set[OrderKey] = set()
        self._saved: list[OrderState] = []

    async def lock_and_load(self, keys: Collection[OrderKey]) -> dict[OrderKey, OrderState]:
        """The stored orders among ``keys``, locked until commit (in key order: two folders
        never deadlock on them); keys of orders never placed are absent."""
        if not keys:
            return {}
        ordered = sorted(keys)
        rows = (
            await self._connection.execute(
                _LOCK_AND_LOAD,
                {"shop_id": [k[0] for k in ordered], "order_id": [k[1] for k in ordered]},
            )
        ).all()
        known = {
            (row.shop_id, row.order_id): self._cache.get((row.shop_id, row.order_id))
            for row in rows
        }
        missing = [key for key, found in known.items() if found is None]
        if missing:
            stored = await self._connection.execute(
                _PLACED,
                {"shop_id": [k[0] for k in missing], "order_id": [k[1] for k in missing]},
            )
            for value in stored.scalars():
                placed = _placed(value)
                known[placed.order_key] = (placed, split_of(placed))
        orders = {}
        for row in rows:
            key = (row.shop_id, row.order_id)
            placed, split = known[key] or _vanished(key)
            orders[key] = OrderState(
                placed=placed,
                split=split,
                refunded=row.refunded_total,
                cancelled=row.cancelled,
                released=row.released,
                delivered_at=row.delivered_at,
            )
        self._stored.update(orders)
        return orders

    async def save(self, orders: Mapping[OrderKey, OrderState]) -> None:
        """Store the new state of ``orders``: orders placed in this transaction are inserted
        (with their placement), the others, loaded by ``lock_and_load``, updated."""
        new = [orders[key] for key in sorted(orders) if key not in self._stored]
        known = [orders[key] for key in sorted(orders) if key in self._stored]
        if new:
            await self._connection.execute(
                _INSERT,
                {**_columns(new), "placed": [o.placed.model_dump_json() for o in new]},
            )
        if known:
            await self._connection.execute(_UPDATE, _columns(known))
        self._saved += new + known

    def committed(self) -> None:
        """Called once the transaction committed: the saved placements may now be cached."""
        for order in self._saved:
            self._cache.put(order)
        self._saved = []


def _columns(orders: list[OrderState]) -> dict[str, list[Any]]:
    return {
        "shop_id": [o.placed.shop_id for o in orders],
        "order_id": [o.order_id for o in orders],
        "refunded_total": [o.refunded for o in orders],
        "cancelled": [o.cancelled for o in orders],
        "released": [o.released for o in orders],
        "delivered_at": [o.delivered_at for o in orders],
    }


def _vanished(key: OrderKey) -> tuple[OrderPlaced, Split]:
    raise RuntimeError(f"placement of {key} vanished while loading it")


def _placed(stored: Any) -> OrderPlaced:
    return OrderPlaced.model_validate(json.loads(stored) if isinstance(stored, str) else stored)
