"""SQL for commission plans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.orders.adapters.db.tables import plans
from services.orders.domain.plans import Plan, PlanType


async def add_plan(conn: AsyncConnection, plan: Plan) -> None:
    await conn.execute(
        insert(plans).values(
            plan_id=plan.plan_id,
            shop_id=plan.shop_id,
            type=plan.type,
            rate_bps=plan.rate_bps,
            skus=sorted(plan.skus),
            creator_ids=sorted(plan.creator_ids),
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
        )
    )


async def list_plans(conn: AsyncConnection, shop_id: str) -> list[Plan]:
    """Every plan of the shop, oldest first."""
    statement = (
        select(plans)
        .where(plans.c.shop_id == shop_id)
        .order_by(plans.c.created_at, plans.c.plan_id)
    )
    return [plan_of(row._mapping) for row in await conn.execute(statement)]


def plan_of(row: Any) -> Plan:
    skus: Sequence[str] = row["skus"]
    creators: Sequence[str] = row["creator_ids"]
    return Plan(
        plan_id=row["plan_id"],
        shop_id=row["shop_id"],
        type=cast(PlanType, row["type"]),
        rate_bps=row["rate_bps"],
        skus=frozenset(skus),
        creator_ids=frozenset(creators),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )
