"""Read side: one order as its stream folds today."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.orders import find_order
from services.orders.domain.order import OrderState
from services.orders.service.errors import OrderNotFound
from services.orders.service.webhooks import fold


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as its stream folds; ``terms`` are those stamped at placement (None before)."""

    order_id: str
    shop_id: str
    state: OrderState
    terms: dict[str, Any] | None


async def order_view(engine: AsyncEngine, order_id: str) -> OrderView:
    """The order; raises ``OrderNotFound`` when no event of it was ever recorded."""
    async with engine.connect() as conn:
        stored = await find_order(conn, order_id)
    state = fold(e.event for e in stored.events) if stored else None
    if stored is None or state is None:
        raise OrderNotFound(f"no order {order_id}")
    return OrderView(order_id=order_id, shop_id=stored.shop_id, state=state, terms=stored.terms)
