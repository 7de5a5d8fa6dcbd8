"""Use cases of commission plans: add one (validated against DOMAIN.md bounds), list them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.plans import add_plan, list_plans
from services.orders.adapters.db.shops import shop_exists
from services.orders.domain.plans import Plan, validate_plan
from services.orders.service.errors import ShopNotFound


async def create_plan(engine: AsyncEngine, plan: Plan) -> Plan:
    """Store ``plan`` for its shop. Raises ``InvalidPlan`` (422) or ``ShopNotFound`` (404).

    Plans are never edited: a placed order keeps the terms stamped on it.
    """
    validate_plan(plan)
    async with engine.begin() as conn:
        if not await shop_exists(conn, plan.shop_id):
            raise ShopNotFound(f"no shop {plan.shop_id}")
        await add_plan(conn, plan)
    return plan


async def shop_plans(engine: AsyncEngine, shop_id: str) -> list[Plan]:
    async with engine.connect() as conn:
        if not await shop_exists(conn, shop_id):
            raise ShopNotFound(f"no shop {shop_id}")
        return await list_plans(conn, shop_id)
