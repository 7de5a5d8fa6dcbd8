"""Use cases of commission plans: add one (validated against DOMAIN.md bounds), list them."""

from __future__ import annotations

from services.orders.domain.plans import Plan, validate_plan
from services.orders.service.errors import ShopNotFound
from services.orders.service.ports import PlanStore


async def create_plan(plans: PlanStore, plan: Plan) -> Plan:
    """Store ``plan`` for its shop. Raises ``InvalidPlan`` (422) or ``ShopNotFound`` (404).

    Plans are never edited: a placed order keeps the terms stamped on it.
    """
    validate_plan(plan)
    if not await plans.add(plan):
        raise ShopNotFound(f"no shop {plan.shop_id}")
    return plan


async def shop_plans(plans: PlanStore, shop_id: str) -> list[Plan]:
    found = await plans.of_shop(shop_id)
    if found is None:
        raise ShopNotFound(f"no shop {shop_id}")
    return found
