"""``services.orders.service.ports.PlanStore`` on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.plans import add_plan, list_plans
from services.orders.adapters.db.shops import shop_exists
from services.orders.domain.plans import Plan


class PlanRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, plan: Plan) -> bool:
        async with self._engine.begin() as conn:
            if not await shop_exists(conn, plan.shop_id):
                return False
            await add_plan(conn, plan)
        return True

    async def of_shop(self, shop_id: str) -> list[Plan] | None:
        async with self._engine.connect() as conn:
            if not await shop_exists(conn, shop_id):
                return None
            return await list_plans(conn, shop_id)
